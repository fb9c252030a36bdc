// Issue 21: instances.csv rows, header, byte order mark and bad rows.
#include "data/instances_csv.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace nnmip::data {
namespace {

std::string errorOf(const std::string& text) {
  try {
    parseInstancesCsv(text, "instances.csv");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error for: " << text;
  return {};
}

TEST(InstancesCsv, RowsHeaderAndByteOrderMark) {
  const auto rows = parseInstancesCsv(
      "\xEF\xBB\xBFonnx,vnnlib,timeout\n# c\n\na.onnx, p.vnnlib "
      ",60\n\"b,c.onnx\",q.vnnlib,1e-3\r\n",
      "instances.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].onnx, "a.onnx");
  EXPECT_EQ(rows[0].vnnlib, "p.vnnlib");
  EXPECT_EQ(rows[0].timeout_s, 60.0);
  EXPECT_EQ(rows[0].line, 4);
  EXPECT_EQ(rows[1].onnx, "b,c.onnx");
  EXPECT_EQ(rows[1].timeout_s, 1e-3);
  // Without a header, the byte order mark does not stay in the first path.
  EXPECT_EQ(parseInstancesCsv("\xEF\xBB\xBFn.onnx,p.vnnlib,5", "i")[0].onnx, "n.onnx");
}

TEST(InstancesCsv, BadRowsAreErrorsNotHeaders) {
  // The only row names an ONNX file: a bad timeout, not a header (issue 21: 0 instances ran).
  EXPECT_NE(errorOf("net.onnx,prop.vnnlib,abc\n").find("instances.csv:1: timeout 'abc'"),
            std::string::npos);
  EXPECT_NE(errorOf("onnx,vnnlib,timeout\n").find("no instances"), std::string::npos);
  EXPECT_NE(errorOf("").find("no instances"), std::string::npos);
  EXPECT_NE(errorOf("a.onnx,p.vnnlib,1\nb.onnx,p.vnnlib,x\n").find(":2: timeout 'x'"),
            std::string::npos);
  EXPECT_NE(errorOf("a.onnx,p.vnnlib,nan\n").find("> 0 and <= 1e+07"), std::string::npos);
  EXPECT_NE(errorOf("a.onnx,p.vnnlib,inf\n").find("> 0 and <= 1e+07"), std::string::npos);
  EXPECT_NE(errorOf("a.onnx,p.vnnlib,-1\n").find("> 0 and <= 1e+07"), std::string::npos);
  EXPECT_NE(errorOf("a.onnx,p.vnnlib,1e300\n").find("> 0 and <= 1e+07"), std::string::npos);
  EXPECT_NE(errorOf("a.onnx,,1\n").find("empty"), std::string::npos);
  EXPECT_NE(errorOf("a.onnx,p.vnnlib\n").find("expected onnx,vnnlib,timeout"), std::string::npos);
}

}  // namespace
}  // namespace nnmip::data
