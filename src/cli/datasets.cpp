#include "cli/datasets.hpp"

#include "core/data_dir.hpp"
#include "core/error.hpp"
#include "data/csv_io.hpp"
#include "data/mnist.hpp"
#include "data/synthetic.hpp"

namespace nnmip::cli {
namespace {

std::filesystem::path requireDataDir(const DatasetRequest& r) {
  const auto dir = resolveDataDir(r.data_dir);
  if (!dir) fail(ErrorKind::kInvalidInput, "data set {}: {}", r.name, dataDirHint());
  return *dir;
}

data::Dataset pickSplit(const data::Dataset& all, const DatasetRequest& r) {
  data::Split s = data::shuffleSplit(all, r.train_fraction, r.seed);
  return r.split == "train" ? s.train : s.test;
}

}  // namespace

const char* datasetNamesHelp() {
  return "mnist | fashion-mnist | bcw (Breast Cancer Wisconsin original) | wdbc | random "
         "(Bah & Kurtz synthetic, N=100, m=200)";
}

data::Dataset loadDataset(const DatasetRequest& r) {
  if (r.split != "train" && r.split != "test") {
    fail(ErrorKind::kUsage, "--split must be train or test, not '{}'", r.split);
  }
  const bool train = r.split == "train";
  if (r.name == "mnist") return data::readMnist(requireDataDir(r), train);
  if (r.name == "fashion-mnist") return data::readFashionMnist(train);
  if (r.name == "bcw") {
    const auto path =
        requireDataDir(r) / "breast_cancer_wisconsin" / "breast-cancer-wisconsin.data";
    return pickSplit(data::readBreastCancerWisconsin(path), r);
  }
  if (r.name == "wdbc") {
    const auto path =
        requireDataDir(r) / "breast_cancer_wisconsin" / "wdbc_sklearn_breast_cancer.csv";
    return pickSplit(data::readWdbc(path), r);
  }
  if (r.name == "random") return pickSplit(data::makeRandomOverlap(100, 200, r.seed), r);
  fail(ErrorKind::kUsage, "unknown data set '{}' (expected {})", r.name, datasetNamesHelp());
}

}  // namespace nnmip::cli
