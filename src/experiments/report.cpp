#include "experiments/report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/file_io.hpp"

namespace nnmip::experiments {
namespace {

namespace fs = std::filesystem;

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string quoted(const std::string& s) {
  std::string q;
  for (char c : s) q += c == '"' ? std::string("\\\"") : std::string(1, c);
  return "\"" + q + "\"";
}

std::string number(double v) { return std::isfinite(v) ? fmt::format("{:.10g}", v) : "NaN"; }

// The gnuplot script: the same plot commands for the png and the svg terminal.
std::string gnuplotScript(const Plot& p) {
  std::string s = "# " + p.title + "\n# data: " + p.name + ".dat (one block per series)\n";
  s += "set title " + quoted(p.title) + "\n";
  s += "set xlabel " + quoted(p.xlabel) + "\nset ylabel " + quoted(p.ylabel) + "\n";
  s += "set grid\nset key outside right top\n";
  if (p.logx) s += "set logscale x\n";
  if (p.logy) s += "set logscale y\n";
  std::string cmd = "plot ";
  if (p.style == PlotStyle::kBoxes) {
    s += "set style data boxplot\nset style boxplot nooutliers\nset style fill solid 0.3\n";
    s += "set key off\nset xtics (";
    for (size_t i = 0; i < p.series.size(); ++i) {
      s += fmt::format("{}{} {}", i ? ", " : "", quoted(p.series[i].title), i + 1);
    }
    s += ")\nset xtics rotate by -30\n";
    s += fmt::format("set xrange [0.5:{}]\n", p.series.size() + 0.5);
    for (size_t i = 0; i < p.series.size(); ++i) {
      cmd += fmt::format("{}'{}.dat' index {} using ({}):2 with boxplot lc {}", i ? ", " : "",
                         p.name, i, i + 1, i + 1);
    }
  } else {
    const char* with = p.style == PlotStyle::kPoints ? "points pt 7" : "linespoints pt 7";
    for (size_t i = 0; i < p.series.size(); ++i) {
      cmd += fmt::format("{}'{}.dat' index {} using 1:2 with {} title {}", i ? ", " : "", p.name, i,
                         with, quoted(p.series[i].title));
    }
  }
  // No points (no series, or every y undefined): gnuplot refuses "all points undefined", so an
  // empty frame with a label.
  bool any_point = false;
  for (const PlotSeries& ser : p.series) {
    for (size_t k = 0; k < ser.x.size() && k < ser.y.size(); ++k)
      any_point = any_point || (std::isfinite(ser.x[k]) && std::isfinite(ser.y[k]));
  }
  if (!any_point) {
    cmd =
        "set label 1 'no data' at graph 0.5,0.5 center\nset xrange [0:1]\nset yrange [0:1]\n"
        "plot -1 notitle";
  }
  s += "set terminal pngcairo size 900,560 noenhanced\nset output '" + p.name + ".png'\n" + cmd +
       "\n";
  s += "set terminal svg size 900,560 noenhanced\nset output '" + p.name + ".svg'\n" + cmd +
       "\nunset output\n";
  return s;
}

std::string gnuplotData(const Plot& p) {
  std::string s;
  for (size_t i = 0; i < p.series.size(); ++i) {
    const PlotSeries& ser = p.series[i];
    s += "# " + ser.title + "\n";
    for (size_t k = 0; k < ser.x.size() && k < ser.y.size(); ++k) {
      s += number(ser.x[k]) + " " + number(ser.y[k]) + "\n";
    }
    if (ser.x.empty()) s += "NaN NaN\n";
    s += "\n\n";
  }
  return s;
}

}  // namespace

std::string csvText(const Table& table) {
  std::string s;
  for (size_t i = 0; i < table.header.size(); ++i) s += (i ? "," : "") + csvField(table.header[i]);
  s += "\n";
  for (const auto& row : table.rows) {
    for (size_t i = 0; i < row.size(); ++i) s += (i ? "," : "") + csvField(row[i]);
    s += "\n";
  }
  return s;
}

std::string markdownTable(const Table& table) {
  std::string s = "|";
  for (const auto& h : table.header) s += " " + h + " |";
  s += "\n|";
  for (size_t i = 0; i < table.header.size(); ++i) s += "---|";
  s += "\n";
  for (const auto& row : table.rows) {
    s += "|";
    for (const auto& v : row) s += " " + v + " |";
    s += "\n";
  }
  return s;
}

bool gnuplotAvailable() {
  static const bool found = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  return found;
}

Report::Report(fs::path dir, std::string title) : dir_(std::move(dir)), title_(std::move(title)) {
  fs::create_directories(dir_);
}

void Report::addHeader(const nlohmann::json& run_info) {
  std::string s = "## Run\n\n";
  for (const auto& [k, v] : run_info.items()) {
    s += fmt::format("- {}: {}\n", k, v.is_string() ? v.get<std::string>() : v.dump());
  }
  body_ += s + "\n";
}

void Report::addText(const std::string& markdown) { body_ += markdown + "\n\n"; }

void Report::addTable(const std::string& heading, const std::string& csv_name, const Table& table,
                      size_t max_rows) {
  writeFileAtomic(dir_ / (csv_name + ".csv"), csvText(table));
  Table shown = table;
  if (shown.rows.size() > max_rows) shown.rows.resize(max_rows);
  body_ += "### " + heading + "\n\n" + markdownTable(shown);
  if (table.rows.size() > max_rows) {
    body_ +=
        fmt::format("\n({} of {} rows; all in `{}.csv`)\n", max_rows, table.rows.size(), csv_name);
  } else {
    body_ += fmt::format("\n(`{}.csv`)\n", csv_name);
  }
  body_ += "\n";
}

void Report::addPlot(const Plot& plot, const std::string& caption) {
  const fs::path plots = dir_ / "plots";
  fs::create_directories(plots);
  writeFileAtomic(plots / (plot.name + ".dat"), gnuplotData(plot));
  writeFileAtomic(plots / (plot.name + ".gp"), gnuplotScript(plot));
  ++plots_written_;
  bool drawn = false;
  if (gnuplotAvailable()) {
    const std::string cmd = fmt::format("cd '{}' && gnuplot '{}.gp' >'{}.log' 2>&1", plots.string(),
                                        plot.name, plot.name);
    drawn = std::system(cmd.c_str()) == 0 && fs::exists(plots / (plot.name + ".png"));
    if (drawn) {
      ++plots_drawn_;
      fs::remove(plots / (plot.name + ".log"));
    }
  }
  body_ += "**" + caption + "**\n\n";
  if (drawn) {
    body_ += fmt::format("![{}](plots/{}.png) (also `plots/{}.svg`)\n\n", plot.title, plot.name,
                         plot.name);
  } else {
    body_ += fmt::format(
        "(not drawn: {}; `plots/{}.gp` and `plots/{}.dat` are written, run `gnuplot {}.gp` in "
        "plots/)\n\n",
        gnuplotAvailable() ? "gnuplot failed, see plots/" + plot.name + ".log"
                           : "gnuplot not found",
        plot.name, plot.name, plot.name);
  }
}

void Report::addImageGrid(const std::string& name, const data::ImageGrid& grid,
                          const std::string& caption) {
  const fs::path plots = dir_ / "plots";
  fs::create_directories(plots);
  data::writeImageGrid(plots / (name + ".png"), grid);
  body_ += fmt::format("**{}**\n\n![{}](plots/{}.png)\n\n", caption, name, name);
}

void Report::addComparisons(const std::string& heading, const std::vector<Comparison>& rows) {
  Table t;
  t.header = {"where", "document", "ours"};
  for (const auto& c : rows) t.add({c.where, c.document, c.ours});
  body_ += "### " + heading + "\n\n" + markdownTable(t) + "\n";
}

fs::path Report::write() const {
  const fs::path path = dir_ / "report.md";
  writeFileAtomic(path, "# " + title_ + "\n\n" + body_);
  return path;
}

}  // namespace nnmip::experiments
