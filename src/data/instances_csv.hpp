#pragma once
// A VNN-COMP benchmark list, instances.csv: rows `onnx,vnnlib,timeout` (fields may be quoted,
// blank lines and lines starting with '#' are skipped). The first row is a header when its
// timeout is not a number and its first field names no .onnx file; a UTF-8 byte order mark is
// skipped. verify/vnncomp.hpp resolves the paths and runs the instances.
#include <string>
#include <string_view>
#include <vector>

namespace nnmip::data {

struct InstanceRow {
  std::string onnx;  // as written
  std::string vnnlib;
  double timeout_s = 0.0;  // finite, > 0
  int line = 0;            // 1-based line in the file
};

// Parses the text of an instances.csv; `origin` names it in errors. Error{kInvalidInput}
// "<origin>:<line>: ..." for a row without three fields, an empty path, a timeout that is not a
// positive finite number, and for a list with no instances.
std::vector<InstanceRow> parseInstancesCsv(std::string_view text, const std::string& origin);

// One CSV line split at commas outside double quotes, each field trimmed of white space.
std::vector<std::string> splitCsvLine(const std::string& line);

}  // namespace nnmip::data
