// writeMps / writeLp round trips: write our model, read it back with COIN's own readers
// (CoinMpsIO, CoinLpIO), solve with CBC, and compare with the optimum of our model.
// This test links COIN directly (the only test that does; STYLE.md §2.6 item 6).
#include <gtest/gtest.h>
#include <CbcModel.hpp>
#include <CoinLpIO.hpp>
#include <CoinMpsIO.hpp>
#include <OsiClpSolverInterface.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "mip/solver.hpp"
#include "support/tolerances.hpp"
#include "test_models.hpp"

namespace nnmip::mip {
namespace {

namespace fs = std::filesystem;
using support::kMipTol;

struct ReadBack {
  double min_form_value = NAN;  // c.x of the minimisation the reader produced (no offset)
  double offset = NAN;          // the reader's objectiveOffset()
  bool was_max = false;         // CoinLpIO only
  int cols = 0;
  int rows = 0;
  int integers = 0;
};

ReadBack solveWithCbc(const CoinPackedMatrix& matrix, const double* cl, const double* cu,
                      const double* obj, const double* rl, const double* ru,
                      const std::vector<bool>& integer) {
  OsiClpSolverInterface osi;
  osi.messageHandler()->setLogLevel(0);
  osi.loadProblem(matrix, cl, cu, obj, rl, ru);
  ReadBack rb;
  for (int j = 0; j < osi.getNumCols(); ++j) {
    if (integer[static_cast<size_t>(j)]) {
      osi.setInteger(j);
      ++rb.integers;
    }
  }
  CbcModel cbc(osi);
  cbc.setLogLevel(0);
  cbc.solver()->messageHandler()->setLogLevel(0);
  cbc.branchAndBound();
  EXPECT_EQ(cbc.status(), 0);
  EXPECT_EQ(cbc.secondaryStatus(), 0);
  rb.min_form_value = cbc.getObjValue();
  rb.cols = osi.getNumCols();
  rb.rows = osi.getNumRows();
  return rb;
}

ReadBack readMpsAndSolve(const std::string& path) {
  CoinMpsIO io;
  io.messageHandler()->setLogLevel(0);
  EXPECT_EQ(io.readMps(path.c_str(), ""), 0) << path;
  std::vector<bool> integer;
  for (int j = 0; j < io.getNumCols(); ++j) integer.push_back(io.isInteger(j));
  ReadBack rb = solveWithCbc(*io.getMatrixByCol(), io.getColLower(), io.getColUpper(),
                             io.getObjCoefficients(), io.getRowLower(), io.getRowUpper(), integer);
  rb.offset = io.objectiveOffset();
  return rb;
}

ReadBack readLpAndSolve(const std::string& path) {
  CoinLpIO io;
  io.messageHandler()->setLogLevel(0);
  io.readLp(path.c_str());
  std::vector<bool> integer;
  for (int j = 0; j < io.getNumCols(); ++j) integer.push_back(io.isInteger(j));
  ReadBack rb = solveWithCbc(*io.getMatrixByRow(), io.getColLower(), io.getColUpper(),
                             io.getObjCoefficients(), io.getRowLower(), io.getRowUpper(), integer);
  rb.offset = io.objectiveOffset();
  rb.was_max = io.wasMaximization();
  return rb;
}

// A mixed model exercising every row and bound kind: equality, ranged, >=, <=; binary,
// general integer with negative bounds, free, fixed and bounded continuous columns.
//   max  2a + 3b + c - d + 4g + 0.5f + 7      (constant 7)
//   s.t. a + b + g <= 2                      (<=)
//        c - d = 1.5                         (=)
//        -1 <= b + c - f <= 3.25             (ranged)
//        g + d >= -4                         (>=)
//   a, b binary; g integer in [-3, 1]; c in [0, 4]; d free; f in [-2, 2]; e fixed at 1.5
// Optimum by hand: g and a/b compete in row 1; d = c - 1.5 so c - d = 1.5 always: the
// objective's c - d part is the constant 1.5. f: +0.5 f, so f as large as the ranged row
// allows: f >= b + c - 3.25; take f = 2 (needs b + c - 2 <= 3.25 and >= -1: b + c >= 1).
// Row 1: best of {a=1,b=1: 5}, {g=1,b=1: 7}, {g=1,a=1: 6}: g = 1, b = 1 -> 7.
// Total: 7 (g, b) + 1.5 (c - d) + 0.5*2 (f) + 7 = 16.5; g + d >= -4 holds with d = c - 1.5 >= -1.5.
Model mixedModel() {
  Model m;
  const Var a = m.addBinary("a");
  const Var b = m.addBinary("b has spaces");
  const Var c = m.addContinuous(0.0, 4.0, "c");
  const Var d = m.addContinuous(-kInf, kInf, "d");
  const Var e = m.addContinuous(1.5, 1.5, "");  // unnamed -> x4
  const Var f = m.addContinuous(-2.0, 2.0, "f");
  const Var g = m.addVar(-3.0, 1.0, VarType::kInteger, "g");
  m.addLe({{a, 1.0}, {b, 1.0}, {g, 1.0}}, 2.0, "pick");
  m.addEq({{c, 1.0}, {d, -1.0}}, 1.5, "link");
  m.addRow(-1.0, 3.25, {{b, 1.0}, {c, 1.0}, {f, -1.0}}, "range");
  m.addGe({{g, 1.0}, {d, 1.0}, {e, 0.0}}, -4.0, "");  // unnamed -> r3
  m.setObjective(Sense::kMaximize, {{a, 2.0}, {b, 3.0}, {c, 1.0}, {d, -1.0}, {g, 4.0}, {f, 0.5}},
                 7.0);
  return m;
}

class ModelWriter : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("nnmip_mip_writer_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(ModelWriter, MixedModelOptimumByCbc) {
  const MipResult r = makeMipSolver("cbc")->solve(mixedModel());
  ASSERT_EQ(r.termination, Termination::kOptimal) << r.detail;
  EXPECT_NEAR(*r.objective, 16.5, kMipTol);
  const MipResult e = makeMipSolver("enum")->solve(mixedModel());
  ASSERT_EQ(e.termination, Termination::kOptimal) << e.detail;
  EXPECT_NEAR(*e.objective, 16.5, kMipTol);
}

TEST_F(ModelWriter, MpsRoundTripMaxWithConstant) {
  const Model m = mixedModel();
  writeModelFile(m, path("mixed.mps"));
  const ReadBack rb = readMpsAndSolve(path("mixed.mps"));
  EXPECT_EQ(rb.cols, 7);
  EXPECT_EQ(rb.rows, 4);
  EXPECT_EQ(rb.integers, 3);
  // Minimisation form: c.x = -(16.5 - 7) = -9.5; the file's objective is c.x - rhs with
  // rhs = 7 (= -(-7), the constant of the negated objective), so -9.5 - 7 = -16.5.
  EXPECT_NEAR(rb.min_form_value, -9.5, kMipTol);
  EXPECT_NEAR(rb.offset, 7.0, 1e-12);
  EXPECT_NEAR(-(rb.min_form_value - rb.offset), 16.5, kMipTol);
}

TEST_F(ModelWriter, MpsRoundTripKnapsackAndMin) {
  // Max knapsack (22) and its negation as a min problem (-22) give the same MPS optimum.
  Model maxm = testing::knapsack();
  Model minm = testing::knapsack();
  std::vector<Term> neg = minm.objective().terms;
  for (Term& t : neg) t.coef = -t.coef;
  minm.setObjective(Sense::kMinimize, neg);
  writeModelFile(maxm, path("max.mps"));
  writeModelFile(minm, path("min.mps"));
  const ReadBack a = readMpsAndSolve(path("max.mps"));
  const ReadBack b = readMpsAndSolve(path("min.mps"));
  EXPECT_NEAR(a.min_form_value, -22.0, kMipTol);
  EXPECT_NEAR(b.min_form_value, -22.0, kMipTol);
  std::ifstream in(path("max.mps"));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("* original sense: MAXIMIZE"), std::string::npos);
}

TEST_F(ModelWriter, LpRoundTripMaxWithConstant) {
  const Model m = mixedModel();
  writeModelFile(m, path("mixed.lp"));
  const ReadBack rb = readLpAndSolve(path("mixed.lp"));
  EXPECT_EQ(rb.cols, 7);
  EXPECT_EQ(rb.rows, 5);  // the ranged row is written as two rows
  EXPECT_EQ(rb.integers, 3);
  EXPECT_TRUE(rb.was_max);
  // CoinLpIO negates a maximisation (c.x = -9.5) and keeps the constant as an offset with
  // the same convention as CoinMpsIO (objective = c.x - offset).
  EXPECT_NEAR(rb.min_form_value, -9.5, kMipTol);
  EXPECT_NEAR(rb.offset, 7.0, 1e-12);
  EXPECT_NEAR(-(rb.min_form_value - rb.offset), 16.5, kMipTol);
}

TEST_F(ModelWriter, NamesAreSanitisedAndUnique) {
  Model m;
  const Var a = m.addContinuous(0, 1, "has space");
  const Var b = m.addContinuous(0, 1, "has space");  // duplicate
  const Var c = m.addContinuous(0, 1, "1starts_with_digit");
  const Var d = m.addContinuous(0, 1);
  m.addLe({{a, 1.0}, {b, 1.0}, {c, 1.0}, {d, 1.0}}, 2.0, "obj");  // clashes with the obj row
  m.setObjective(Sense::kMinimize, {{a, 1.0}});
  std::ostringstream mps;
  writeMps(m, mps);
  const std::string s = mps.str();
  EXPECT_NE(s.find("has_space "), std::string::npos);
  EXPECT_NE(s.find("has_space_1 "), std::string::npos);
  EXPECT_NE(s.find("_1starts_with_digit "), std::string::npos);
  EXPECT_NE(s.find("x3 "), std::string::npos);
  EXPECT_NE(s.find(" L obj_1\n"), std::string::npos);
  EXPECT_EQ(s.find("has space"), std::string::npos);
  std::ostringstream lp;
  writeLp(m, lp);
  EXPECT_NE(lp.str().find("Minimize"), std::string::npos);
  EXPECT_NE(lp.str().find("obj_1:"), std::string::npos);
}

TEST_F(ModelWriter, UnknownExtensionAndNoTempLeftBehind) {
  try {
    writeModelFile(testing::knapsack(), path("model.txt"));
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  }
  writeModelFile(testing::knapsack(), path("k.MPS"));  // extension is case-insensitive
  writeModelFile(testing::knapsack(), path("k.lp"));
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 2);
  EXPECT_THROW(writeModelFile(testing::knapsack(), path("no_such_dir/k.mps")), Error);
}

}  // namespace
}  // namespace nnmip::mip
