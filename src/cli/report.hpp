#pragma once
// Shared output helpers for the CLI: fixed-width tables on stdout, JSON files written
// atomically, and a progress line on stderr.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "core/timer.hpp"
#include "core/version.hpp"  // toolInfo(), the "tool" block of every JSON report

namespace nnmip::cli {

// A fixed-width table: columns are right-aligned unless their name starts with '<'.
class Table {
 public:
  explicit Table(std::vector<std::string> columns);
  void addRow(std::vector<std::string> cells);
  std::string str() const;
  void print(std::FILE* out = stdout) const;

 private:
  std::vector<std::string> columns_;
  std::vector<bool> left_;
  std::vector<std::vector<std::string>> rows_;
};

// Writes JSON (indented) or text to `path` whole or not at all (core's writeFileAtomic).
void writeJsonFile(const std::string& path, const nlohmann::json& doc);
void writeTextFile(const std::string& path, const std::string& text);

// A one-line progress bar on stderr, redrawn at most every 0.2 s; silent when quiet.
class ProgressLine {
 public:
  ProgressLine(std::string phase, long total, bool quiet = false);
  void update(long done, const std::string& note = {});
  void finish(const std::string& note = {});

 private:
  std::string phase_;
  long total_;
  bool quiet_;
  bool tty_;
  Timer timer_;
  double last_draw_ = -1.0;
};

// Logs "[  12.3s] info  message" on stderr (the CLI's log format, STYLE.md §2.5).
void logLine(const Timer& clock, const char* level, const std::string& message);

}  // namespace nnmip::cli
