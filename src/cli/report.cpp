#include "cli/report.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "core/file_io.hpp"

namespace nnmip::cli {

Table::Table(std::vector<std::string> columns) {
  for (std::string& c : columns) {
    const bool left = !c.empty() && c[0] == '<';
    left_.push_back(left);
    columns_.push_back(left ? c.substr(1) : c);
  }
}

void Table::addRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::str() const {
  std::vector<size_t> width(columns_.size());
  for (size_t j = 0; j < columns_.size(); ++j) {
    width[j] = columns_[j].size();
    for (const auto& r : rows_) width[j] = std::max(width[j], r[j].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t j = 0; j < cells.size(); ++j) {
      if (j > 0) s += "  ";
      s += left_[j] ? fmt::format("{:<{}}", cells[j], width[j])
                    : fmt::format("{:>{}}", cells[j], width[j]);
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s + "\n";
  };
  std::string out = line(columns_);
  for (const auto& r : rows_) out += line(r);
  return out;
}

void Table::print(std::FILE* out) const { std::fputs(str().c_str(), out); }

void writeTextFile(const std::string& path, const std::string& text) {
  writeFileAtomic(path, text);
}

void writeJsonFile(const std::string& path, const nlohmann::json& doc) {
  writeTextFile(path, doc.dump(2) + "\n");
}

ProgressLine::ProgressLine(std::string phase, long total, bool quiet)
    : phase_(std::move(phase)), total_(total), quiet_(quiet), tty_(::isatty(2) != 0) {}

void ProgressLine::update(long done, const std::string& note) {
  if (quiet_) return;
  const double now = timer_.seconds();
  // A terminal gets a redrawn bar; a log file gets a line every 5 s.
  const double period = tty_ ? 0.2 : 5.0;
  if (last_draw_ >= 0 && now - last_draw_ < period && done < total_) return;
  last_draw_ = now;
  const double frac = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 0.0;
  const int filled = static_cast<int>(frac * 30);
  const std::string bar = std::string(static_cast<size_t>(filled), '#') +
                          std::string(static_cast<size_t>(30 - filled), '.');
  const double eta = frac > 0 ? now / frac - now : 0.0;
  const std::string text = fmt::format("{} [{}] {}/{} {:5.1f}s eta {:5.1f}s {}", phase_, bar, done,
                                       total_, now, eta, note);
  std::fprintf(stderr, tty_ ? "\r%s\033[K" : "%s\n", text.c_str());
  std::fflush(stderr);
}

void ProgressLine::finish(const std::string& note) {
  if (quiet_) return;
  last_draw_ = -1.0;
  update(total_, note);
  if (tty_) std::fputc('\n', stderr);
}

void logLine(const Timer& clock, const char* level, const std::string& message) {
  std::fprintf(stderr, "[%7.1fs] %-5s %s\n", clock.seconds(), level, message.c_str());
}

}  // namespace nnmip::cli
