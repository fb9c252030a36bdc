#pragma once
// Data sets by name for the CLI: mnist, fashion-mnist, bcw, wdbc, random.
#include <cstdint>
#include <string>

#include "data/dataset.hpp"

namespace nnmip::cli {

struct DatasetRequest {
  std::string name = "mnist";
  std::string split = "test";   // "train" or "test"
  std::string data_dir;         // --data-dir value (may be empty)
  uint64_t seed = 1;            // shuffle seed for data sets without a fixed split
  double train_fraction = 0.8;  // for data sets without a fixed split
};

data::Dataset loadDataset(const DatasetRequest& request);

// Names accepted by loadDataset, for --help texts.
const char* datasetNamesHelp();

}  // namespace nnmip::cli
