// A softmax-ended ONNX network through the CLI: `bounds` labels its last layer as logits, and
// `export-mps` refuses an output objective or output rows with one line unless --logits.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "nn/network.hpp"
#include "nn/onnx_io.hpp"

namespace nnmip {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CliRun nnmip(const std::string& args, const fs::path& dir) {
  const fs::path out = dir / "stdout.txt";
  const fs::path err = dir / "stderr.txt";
  const std::string cmd =
      std::string(NNMIP_BIN) + " " + args + " >" + out.string() + " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  return {WEXITSTATUS(status), slurp(out), slurp(err)};
}

class SoftmaxCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nnmip_softmax_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    nn::DenseLayer hidden{Eigen::MatrixXd::Constant(3, 2, 0.5),
                          Eigen::VectorXd::Constant(3, -0.2),
                          nn::Activation::kRelu,
                          {}};
    nn::DenseLayer out{
        Eigen::MatrixXd::Identity(2, 3), Eigen::VectorXd::Zero(2), nn::Activation::kSoftmax, {}};
    nn::writeOnnx(nn::Network({hidden, out}), (dir_ / "softmax.onnx").string());
    std::ofstream(dir_ / "prop.vnnlib") << "(declare-const X_0 Real)\n(declare-const X_1 Real)\n"
                                           "(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n"
                                           "(assert (>= X_0 0))\n(assert (<= X_0 1))\n"
                                           "(assert (>= X_1 0))\n(assert (<= X_1 1))\n"
                                           "(assert (>= Y_1 Y_0))\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string net() const { return (dir_ / "softmax.onnx").string(); }
  fs::path dir_;
};

TEST_F(SoftmaxCli, BoundsLabelsLogits) {
  const CliRun r = nnmip("bounds " + net() + " --method interval", dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("2 (logits)"), std::string::npos) << r.out;
  const CliRun j =
      nnmip("bounds " + net() + " --method interval -o " + (dir_ / "b.json").string(), dir_);
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_NE(slurp(dir_ / "b.json").find("\"quantity\":\"logits\""), std::string::npos);
}

TEST_F(SoftmaxCli, ExportRefusesOutputObjectiveAndRows) {
  const std::string mps = (dir_ / "m.mps").string();
  const CliRun obj = nnmip("export-mps " + net() + " --objective max:1 -o " + mps, dir_);
  EXPECT_EQ(obj.code, 3);
  EXPECT_NE(obj.err.find("softmax"), std::string::npos) << obj.err;
  EXPECT_EQ(std::count(obj.err.begin(), obj.err.end(), '\n'), 1) << obj.err;
  EXPECT_FALSE(fs::exists(mps));
  const std::string dom = " --domain vnnlib:" + (dir_ / "prop.vnnlib").string();
  const CliRun rows = nnmip("export-mps " + net() + dom + " --output-rows -o " + mps, dir_);
  EXPECT_EQ(rows.code, 3);
  EXPECT_NE(rows.err.find("softmax"), std::string::npos) << rows.err;
  EXPECT_FALSE(fs::exists(mps));
  // Asking for logits explicitly is accepted.
  const CliRun ok = nnmip(
      "export-mps " + net() + dom + " --output-rows --logits --objective max:1 -o " + mps, dir_);
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(slurp(mps).find("out_row0"), std::string::npos);
}

}  // namespace
}  // namespace nnmip
