// VNN-LIB parser: every shared property file, known atoms, and bad input.
#include "data/vnnlib.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.hpp"
#include "support/paths.hpp"

namespace nnmip::data {
namespace {

namespace fs = std::filesystem;

LinearAtom atom(std::vector<double> coef, double rhs) { return {std::move(coef), rhs}; }

void expectAtoms(const std::vector<LinearAtom>& got, const std::vector<LinearAtom>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) {
    EXPECT_EQ(got[k].coef, want[k].coef) << "atom " << k;
    EXPECT_EQ(got[k].rhs, want[k].rhs) << "atom " << k;
  }
}

void expectError(const std::string& text, ErrorKind kind, const std::string& part) {
  try {
    parseVnnlib(text, "spec.vnnlib");
    ADD_FAILURE() << "no error for: " << text;
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.kind(), kind) << msg;
    EXPECT_EQ(msg.rfind("spec.vnnlib:", 0), 0u) << msg;
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(Vnnlib, EverySharedFileParses) {
  NNMIP_SKIP_WITHOUT_DATA();
  int files = 0;
  for (const char* dir : {"vnncomp", "mnistfc_vnncomp2021_dev"}) {
    for (const auto& entry : fs::recursive_directory_iterator(support::kSharedData / dir)) {
      if (entry.path().extension() != ".vnnlib") continue;
      const VnnlibProperty p = readVnnlib(entry.path());
      EXPECT_TRUE(p.num_inputs == 5 || p.num_inputs == 784) << entry.path();
      EXPECT_TRUE(p.num_outputs == 5 || p.num_outputs == 10) << entry.path();
      EXPECT_GE(p.input_boxes.size(), 1u);
      EXPECT_GE(p.unsafe_disjuncts.size(), 1u) << entry.path();
      for (size_t i = 0; i < p.input_lo.size(); ++i) EXPECT_LE(p.input_lo[i], p.input_hi[i]);
      ++files;
    }
  }
  EXPECT_EQ(files, 30 + 10 + 36 + 6);  // mnist_fc, acasxu, eran, 2021 dev
}

TEST(Vnnlib, MnistFcRobustnessBox) {
  NNMIP_SKIP_WITHOUT_DATA();
  const VnnlibProperty p =
      readVnnlib(support::sharedPath("vnncomp/mnist_fc/vnnlib/prop_0_0.03.vnnlib"));
  ASSERT_EQ(p.num_inputs, 784);
  ASSERT_EQ(p.num_outputs, 10);
  EXPECT_TRUE(p.singleBox());
  int interior = 0;
  for (int i = 0; i < 784; ++i) {
    const double lo = p.input_lo[static_cast<size_t>(i)], hi = p.input_hi[static_cast<size_t>(i)];
    EXPECT_GE(lo, 0.0);
    EXPECT_LE(hi, 1.0);
    EXPECT_LE(hi - lo, 0.06 + 1e-7);
    if (lo > 0.0 && hi < 1.0) {
      EXPECT_NEAR(hi - lo, 0.06, 1e-7);  // 2 eps where the box is not clipped to [0, 1]
      ++interior;
    }
  }
  EXPECT_GT(interior, 0);
  // Label 4: unsafe if some other class scores >= class 4: Y_4 - Y_j <= 0.
  ASSERT_EQ(p.unsafe_disjuncts.size(), 9u);
  int k = 0;
  for (int j = 0; j < 10; ++j) {
    if (j == 4) continue;
    std::vector<double> c(10, 0.0);
    c[4] = 1.0;
    c[static_cast<size_t>(j)] = -1.0;
    expectAtoms(p.unsafe_disjuncts[static_cast<size_t>(k++)], {atom(c, 0.0)});
  }
  // outputUnsafe: class 4 the unique maximum is safe; a tie is unsafe.
  std::vector<double> y(10, 0.0);
  y[4] = 1.0;
  EXPECT_FALSE(p.outputUnsafe(y));
  y[7] = 1.0;
  EXPECT_TRUE(p.outputUnsafe(y));
}

TEST(Vnnlib, AcasXuProperties1To4) {
  NNMIP_SKIP_WITHOUT_DATA();
  auto read = [](int k) {
    return readVnnlib(
        support::sharedPath("vnncomp/acasxu/vnnlib/prop_" + std::to_string(k) + ".vnnlib"));
  };
  const VnnlibProperty p1 = read(1);
  EXPECT_EQ(p1.input_lo, (std::vector<double>{0.6, -0.5, -0.5, 0.45, -0.5}));
  EXPECT_EQ(p1.input_hi, (std::vector<double>{0.679857769, 0.5, 0.5, 0.5, -0.45}));
  ASSERT_EQ(p1.unsafe_disjuncts.size(), 1u);
  expectAtoms(p1.unsafe_disjuncts[0], {atom({-1, 0, 0, 0, 0}, -3.991125645861615)});

  // Property 2: unsafe if COC (Y_0) is maximal: one conjunction of four atoms Y_j - Y_0 <= 0.
  const VnnlibProperty p2 = read(2);
  EXPECT_EQ(p2.input_lo, p1.input_lo);
  ASSERT_EQ(p2.unsafe_disjuncts.size(), 1u);
  expectAtoms(p2.unsafe_disjuncts[0], {atom({-1, 1, 0, 0, 0}, 0), atom({-1, 0, 1, 0, 0}, 0),
                                       atom({-1, 0, 0, 1, 0}, 0), atom({-1, 0, 0, 0, 1}, 0)});

  // Properties 3 and 4: unsafe if COC is minimal: Y_0 - Y_j <= 0 for all j.
  for (int k : {3, 4}) {
    const VnnlibProperty p = read(k);
    ASSERT_EQ(p.unsafe_disjuncts.size(), 1u);
    expectAtoms(p.unsafe_disjuncts[0], {atom({1, -1, 0, 0, 0}, 0), atom({1, 0, -1, 0, 0}, 0),
                                        atom({1, 0, 0, -1, 0}, 0), atom({1, 0, 0, 0, -1}, 0)});
  }
  const VnnlibProperty p3 = read(3);
  EXPECT_EQ(p3.input_lo, (std::vector<double>{-0.303531156, -0.009549297, 0.493380324, 0.3, 0.3}));
  EXPECT_EQ(p3.input_hi, (std::vector<double>{-0.298552812, 0.009549297, 0.5, 0.5, 0.5}));
  const VnnlibProperty p4 = read(4);
  EXPECT_EQ(p4.input_lo[2], 0.0);  // a degenerate (point) interval is allowed
  EXPECT_EQ(p4.input_hi[2], 0.0);
}

TEST(Vnnlib, AcasXuProperty6HasTwoBoxes) {
  NNMIP_SKIP_WITHOUT_DATA();
  const VnnlibProperty p = readVnnlib(support::sharedPath("vnncomp/acasxu/vnnlib/prop_6.vnnlib"));
  ASSERT_EQ(p.input_boxes.size(), 2u);
  EXPECT_FALSE(p.singleBox());
  EXPECT_EQ(p.input_boxes[0].lo[1], 0.11140846);
  EXPECT_EQ(p.input_boxes[1].hi[1], -0.11140846);
  // The hull spans both.
  EXPECT_EQ(p.input_lo[1], -0.499999896);
  EXPECT_EQ(p.input_hi[1], 0.499999896);
  EXPECT_FALSE(p.inputInside({0.0, 0.0, -0.4995, 0.0, 0.0}));  // in the hull, in no box
  EXPECT_TRUE(p.inputInside({0.0, 0.2, -0.4995, 0.0, 0.0}));
  EXPECT_EQ(p.unsafe_disjuncts.size(), 4u);
}

TEST(Vnnlib, LinearTermsAndOperators) {
  const VnnlibProperty p = parseVnnlib(R"(
    ; comment
    (declare-const X_0 Real) (declare-const X_1 Real)
    (declare-const Y_0 Real) (declare-const Y_1 Real) (declare-const Y_2 Real)
    (assert (and (>= X_0 -1) (>= X_0 (- 2)) (<= X_0 5) (<= X_0 7)))
    (assert (<= 0.5 X_1))
    (assert (>= 1 X_1))
    (assert (or (and (<= (+ Y_0 (* 2 Y_1)) (- Y_2 3)) (> Y_0 1))
                (= Y_2 4)))
  )",
                                       "inline");
  EXPECT_EQ(p.input_lo, (std::vector<double>{-1, 0.5}));
  EXPECT_EQ(p.input_hi, (std::vector<double>{5, 1}));  // the tightest bounds win
  ASSERT_EQ(p.unsafe_disjuncts.size(), 2u);
  // Y_0 + 2 Y_1 - Y_2 + 3 <= 0  and  1 - Y_0 <= 0
  expectAtoms(p.unsafe_disjuncts[0], {atom({1, 2, -1}, -3), atom({-1, 0, 0}, -1)});
  expectAtoms(p.unsafe_disjuncts[1], {atom({0, 0, 1}, 4), atom({0, 0, -1}, -4)});
}

TEST(VnnlibBadInput, Errors) {
  const std::string decl = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n";
  expectError(decl + "(assert (<= X_0 1))\n", ErrorKind::kInvalidInput, "X_0 needs a finite");
  expectError(decl + "(assert (<= X_0 1))\n(assert (>= X_0 2))\n", ErrorKind::kInvalidInput,
              "above upper bound");
  expectError(decl + "(assert (<= X_0 1)\n", ErrorKind::kInvalidInput, "spec.vnnlib:3:1: '('");
  expectError(decl + "(assert (<= X_1 1))\n", ErrorKind::kInvalidInput, ":3:13: X_1 is used");
  expectError(decl + "(assert (<= (* Y_0 Y_0) 1))\n", ErrorKind::kUnsupported, ":3:13: non-linear");
  expectError(decl + "(assert (<= X_0 Y_0))\n", ErrorKind::kUnsupported, ":3:1: an assert mixing");
  expectError(decl + "(assert (<= X_0 abc))\n", ErrorKind::kUnsupported,
              ":3:17: unknown name 'abc'");
  expectError(decl + "(check-sat)\n", ErrorKind::kUnsupported, ":3:1: unsupported command");
  expectError("(declare-const X_1 Real)(declare-const Y_0 Real)", ErrorKind::kInvalidInput,
              ":1:16: X_1 is declared but X_0 is not");
  // Issue 21: an undeclared variable is reported where it is used, an index out of range as such.
  expectError(decl + "(assert (<= X_0 1))\n(assert (>= X_0 0))\n(assert (<= Y_5 0))\n",
              ErrorKind::kInvalidInput, ":5:13: Y_5 is used but not declared");
  expectError(decl + "(assert (<= X_2000000000 1))\n", ErrorKind::kUnsupported,
              ":3:13: index of 'X_2000000000' is out of range");
  // A UTF-8 byte order mark is skipped.
  EXPECT_EQ(
      parseVnnlib("\xEF\xBB\xBF" + decl + "(assert (<= X_0 1))(assert (>= X_0 0))", "s").num_inputs,
      1);
  // 2 X_0 <= 1 is still a bound on one input.
  EXPECT_EQ(parseVnnlib(decl + "(assert (<= (+ X_0 X_0) 1))(assert (>= X_0 0))", "s").input_hi[0],
            0.5);
}

// Issue 21: strict comparisons keep their flag (the VNN-COMP reading is non-strict, the strict
// check is the caller's); an empty disjunction parses as false with a warning.
TEST(VnnlibSemantics, StrictAtomsAndEmptyDisjunction) {
  const std::string decl =
      "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))\n"
      "(assert (>= X_0 0))\n";
  const VnnlibProperty p = parseVnnlib(decl + "(assert (< Y_0 Y_0))\n", "s");
  ASSERT_EQ(p.unsafe_disjuncts.size(), 1u);
  ASSERT_EQ(p.unsafe_disjuncts[0].size(), 1u);
  EXPECT_TRUE(p.unsafe_disjuncts[0][0].strict);
  EXPECT_TRUE(p.hasStrictOutputAtoms());
  EXPECT_TRUE(p.outputUnsafe({0.5}));         // y - y <= 0: the VNN-COMP reading
  EXPECT_FALSE(p.outputUnsafeStrict({0.5}));  // y - y < 0: never
  const VnnlibProperty q = parseVnnlib(decl + "(assert (> Y_0 1))\n", "s");
  EXPECT_TRUE(q.outputUnsafe({1.0}));
  EXPECT_FALSE(q.outputUnsafeStrict({1.0}));
  EXPECT_TRUE(q.outputUnsafeStrict({1.5}));
  EXPECT_TRUE(q.warnings.empty());
  const VnnlibProperty e = parseVnnlib(decl + "(assert (or))\n", "s");
  EXPECT_TRUE(e.unsafe_disjuncts.empty());
  ASSERT_EQ(e.warnings.size(), 1u);
  EXPECT_NE(e.warnings[0].find("s:5:9: (or) without disjuncts"), std::string::npos)
      << e.warnings[0];
}

}  // namespace
}  // namespace nnmip::data
