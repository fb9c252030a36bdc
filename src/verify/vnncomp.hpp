#pragma once
// A VNN-COMP benchmark folder run through the verifier: instances.csv rows `onnx,vnnlib,timeout`
// (paths relative to the CSV's folder, or absolute; a header row is skipped), one result row per
// instance appended to a results CSV, resumable (instances already in the results are skipped).
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "verify/engine.hpp"
#include "verify/verifier.hpp"

namespace nnmip::verify {

struct Instance {
  std::string onnx;  // as written in the CSV (the key in the results file)
  std::string vnnlib;
  double timeout_s = 0.0;
  std::filesystem::path onnx_path;  // resolved
  std::filesystem::path vnnlib_path;
};

// Throws Error{kIo} when the file cannot be read, Error{kInvalidInput} "<file>:<line>: ..." for a
// row without three fields or with a timeout that is not a positive number, and for a file with
// no instances. The first row is a header when its timeout is not a number and its first field
// names no .onnx file; a UTF-8 byte order mark is skipped.
std::vector<Instance> readInstances(const std::filesystem::path& csv);

struct CampaignOptions {
  VerifyOptions verify;           // time_limit_s is set per instance
  EngineChoice engine;            // relu (verifyProperty) unless chosen otherwise
  double time_limit_scale = 1.0;  // limit = timeout * scale, minus the time to load the files
  double reserve_s = 1.0;         // kept back from each limit to write the result
  std::filesystem::path results_csv;
  std::filesystem::path result_dir;  // per-instance VNN-COMP result and JSON files; empty = none
  std::string filter;                // only instances whose onnx or vnnlib contains this text
};

struct CampaignRow {
  Instance instance;
  std::string result;  // sat | unsat | unknown | timeout | error
  double wall_s = 0.0;
  double cpu_s = 0.0;    // CPU seconds of the process (all threads) spent on the instance
  std::string note;      // one line: the verifier's reason, or the error
  bool skipped = false;  // already in the results file
};

// Runs every instance not yet in options.results_csv, appending one row each (the header
// "onnx,vnnlib,timeout_s,result,time_s,note" first when the file is new; an existing file must
// start with that header and hold only rows, else Error{kInvalidInput} before any instance runs;
// its folder must exist, and result_dir is created when missing; every row is written with
// a single append, so an interrupted run leaves only whole rows). An instance whose files fail to
// load is recorded as "error" with the message. on_row is called after every instance (skipped
// ones included) with its index and the total.
std::vector<CampaignRow> runCampaign(
    const std::vector<Instance>& instances, const CampaignOptions& options,
    const std::function<void(const CampaignRow&, int, int)>& on_row,
    const Callbacks& callbacks = {});

}  // namespace nnmip::verify
