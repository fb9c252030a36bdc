#include "verify/vnncomp.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/timer.hpp"
#include "core/version.hpp"
#include "data/instances_csv.hpp"
#include "data/vnnlib.hpp"
#include "nn/onnx_io.hpp"
#include "verify/outputs.hpp"

namespace nnmip::verify {
namespace {

// An instance whose timeout is nearly spent by loading (or smaller than reserve_s) still gets
// this long: the centre, the attack and the first bounds fit, and a verdict in time beats none.
constexpr double kMinInstanceS = 0.5;

std::string trim(std::string s) {
  const auto issp = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && issp(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && issp(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string key(const std::string& onnx, const std::string& vnnlib) { return onnx + "\n" + vnnlib; }

// Appends one line with a single write() on an O_APPEND descriptor.
void appendLine(const std::filesystem::path& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0)
    fail(ErrorKind::kIo, "{}: cannot open for appending: {}", path.string(), std::strerror(errno));
  const ssize_t n = ::write(fd, line.data(), line.size());
  const int err = errno;
  ::fsync(fd);
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size())) {
    fail(ErrorKind::kIo, "{}: short write: {}", path.string(), std::strerror(err));
  }
}

std::string csvField(std::string s) {
  std::replace(s.begin(), s.end(), '"', '\'');
  std::replace(s.begin(), s.end(), '\n', ' ');
  return "\"" + s + "\"";
}

}  // namespace

std::vector<Instance> readInstances(const std::filesystem::path& csv) {
  const std::filesystem::path base = csv.parent_path();
  std::vector<Instance> out;
  for (data::InstanceRow& row :
       data::parseInstancesCsv(readInputFile(csv, kMaxTextInputBytes), csv.string())) {
    Instance i;
    i.onnx = std::move(row.onnx);
    i.vnnlib = std::move(row.vnnlib);
    i.timeout_s = row.timeout_s;
    const std::filesystem::path o(i.onnx);
    const std::filesystem::path v(i.vnnlib);
    i.onnx_path = o.is_absolute() ? o : base / o;
    i.vnnlib_path = v.is_absolute() ? v : base / v;
    out.push_back(std::move(i));
  }
  return out;
}

std::vector<CampaignRow> runCampaign(
    const std::vector<Instance>& instances, const CampaignOptions& options,
    const std::function<void(const CampaignRow&, int, int)>& on_row, const Callbacks& callbacks) {
  NNMIP_CHECK(!options.results_csv.empty(), "campaign without a results file");
  std::set<std::string> done;
  const std::string header = "onnx,vnnlib,timeout_s,result,time_s,note";
  const bool has_rows = std::filesystem::exists(options.results_csv) &&
                        checkInputFile(options.results_csv, kMaxTextInputBytes) > 0;
  if (has_rows) {
    // Appended to only when it is a results file of this command: the header, then rows.
    std::istringstream in(readInputFile(options.results_csv, kMaxTextInputBytes));
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line_no == 1 && trim(line) != header) {
        fail(ErrorKind::kInvalidInput,
             "{}: exists but is not a results file of nnmip vnncomp (its first line is not '{}'); "
             "not appending to it",
             options.results_csv.string(), header);
      }
      if (line_no == 1 || trim(line).empty()) continue;
      const std::vector<std::string> f = data::splitCsvLine(line);
      if (f.size() < 6) {
        fail(ErrorKind::kInvalidInput,
             "{}:{}: not a results row (expected {}); not appending to this file",
             options.results_csv.string(), line_no, header);
      }
      done.insert(key(f[0], f[1]));
    }
  } else {
    appendLine(options.results_csv, header + "\n");
  }
  if (!options.result_dir.empty()) std::filesystem::create_directories(options.result_dir);

  std::map<std::string, std::shared_ptr<const nn::Network>> nets;  // loaded once per file
  std::vector<CampaignRow> rows;
  const int total = static_cast<int>(instances.size());
  for (int k = 0; k < total; ++k) {
    const Instance& inst = instances[static_cast<size_t>(k)];
    if (!options.filter.empty() && inst.onnx.find(options.filter) == std::string::npos &&
        inst.vnnlib.find(options.filter) == std::string::npos) {
      continue;
    }
    CampaignRow row;
    row.instance = inst;
    if (done.count(key(inst.onnx, inst.vnnlib)) != 0) {
      row.skipped = true;
      row.result = "done";
      if (on_row) on_row(row, k, total);
      rows.push_back(std::move(row));
      continue;
    }
    if (callbacks.stopRequested()) break;
    const Timer timer;
    const double cpu0 = processCpuSeconds();
    const double limit = inst.timeout_s * options.time_limit_scale;
    std::string result_text;
    nlohmann::json report;
    try {
      std::shared_ptr<const nn::Network>& net = nets[inst.onnx_path.string()];
      if (!net) net = std::make_shared<const nn::Network>(nn::readOnnx(inst.onnx_path.string()));
      const data::VnnlibProperty prop = data::readVnnlib(inst.vnnlib_path);
      VerifyOptions vo = options.verify;
      vo.time_limit_s = std::max(kMinInstanceS, limit - timer.seconds() - options.reserve_s);
      const Result r = verifyWithEngine(options.engine, *net, prop, vo, callbacks);
      row.result = statusName(r.status);
      row.note = r.reason;
      result_text = resultFileText(r);
      report = r;
      report["engine"] = engineName(resolveEngine(options.engine.kind, *net));
    } catch (const std::exception& e) {
      row.result = "error";
      row.note = e.what();
      result_text = "unknown\n";
    }
    row.wall_s = timer.seconds();
    row.cpu_s = processCpuSeconds() - cpu0;
    if (!report.is_null()) {
      report["cpu_s"] = row.cpu_s;
      report["tool"] = toolInfo();  // names the binary's commit: one campaign, one binary
    }
    if (!options.result_dir.empty()) {
      const std::string stem = std::filesystem::path(inst.onnx).stem().string() + "__" +
                               std::filesystem::path(inst.vnnlib).stem().string();
      writeFileAtomic(options.result_dir / (stem + ".txt"), result_text);
      if (!report.is_null()) writeFileAtomic(options.result_dir / (stem + ".json"), report.dump(1));
    }
    appendLine(options.results_csv,
               fmt::format("{},{},{},{},{:.3f},{}\n", inst.onnx, inst.vnnlib, inst.timeout_s,
                           row.result, row.wall_s, csvField(row.note)));
    if (on_row) on_row(row, k, total);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace nnmip::verify
