#pragma once
// What a campaign writes besides its job store: CSV tables, gnuplot plots and report.md.
//
// Plots: each plot is <dir>/plots/<name>.dat (gnuplot data blocks, one per series, separated by
// two blank lines) and <name>.gp (a script that reads the .dat and draws <name>.png and
// <name>.svg). When gnuplot is on the PATH the scripts are run; otherwise only the .gp and .dat
// files are written and the report says so (run `gnuplot <name>.gp` in plots/ later).
//
// Image grids (found inputs of image-input campaigns): <dir>/plots/<name>.png, drawn here.
//
// report.md: the command, binary and machine first, then the sections in the order added;
// every number a research document states goes in a "document / ours" table with the section or
// figure id (addComparison).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/png.hpp"

namespace nnmip::experiments {

// A table kept as strings (already formatted): written as CSV and as a markdown table.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  void add(std::vector<std::string> row) { rows.push_back(std::move(row)); }
};
std::string csvText(const Table& table);
std::string markdownTable(const Table& table);

enum class PlotStyle { kLines, kPoints, kBoxes };

struct PlotSeries {
  std::string title;
  std::vector<double> x, y;  // kBoxes: x is the category index (0, 1, ...), y the samples
};

struct Plot {
  Plot(std::string name_in, std::string title_in, std::string xlabel_in, std::string ylabel_in,
       bool logx_in = false)
      : name(std::move(name_in)),
        title(std::move(title_in)),
        xlabel(std::move(xlabel_in)),
        ylabel(std::move(ylabel_in)),
        logx(logx_in) {}
  std::string name;  // file stem, e.g. "fig2_1a_accuracy"
  std::string title;
  std::string xlabel, ylabel;
  bool logx = false, logy = false;  // a log axis drops points <= 0 (e.g. eps = 0)
  PlotStyle style = PlotStyle::kLines;
  std::vector<std::string> categories;  // kBoxes: x tick labels
  std::vector<PlotSeries> series;
};

// One "document / ours" line: where the document says it, what it says, what we measured.
struct Comparison {
  std::string where;     // "thesis §2.3.1, Fig. 2.1a"
  std::string document;  // "eps = 0.1 rounds about 60% with under 1 point lost"
  std::string ours;      // "58.3% rounded, -0.4 points (mean over 4 unregularised nets)"
};

class Report {
 public:
  // `dir` is the campaign's folder (created if absent).
  Report(std::filesystem::path dir, std::string title);

  void addHeader(const nlohmann::json& run_info);  // command, commit, machine, load, sizes
  void addText(const std::string& markdown);
  // Writes <dir>/<csv_name>.csv and puts the table (first max_rows rows) in the report.
  void addTable(const std::string& heading, const std::string& csv_name, const Table& table,
                size_t max_rows = 60);
  // Writes the plot's files, runs gnuplot when found and links the PNG in the report.
  void addPlot(const Plot& plot, const std::string& caption);
  // Writes <dir>/plots/<name>.png (data::writeImageGrid) and links it in the report.
  void addImageGrid(const std::string& name, const data::ImageGrid& grid,
                    const std::string& caption);
  void addComparisons(const std::string& heading, const std::vector<Comparison>& rows);
  // Writes <dir>/report.md.
  std::filesystem::path write() const;

  int plotsDrawn() const { return plots_drawn_; }
  int plotsWritten() const { return plots_written_; }

 private:
  std::filesystem::path dir_;
  std::string title_;
  std::string body_;
  int plots_drawn_ = 0, plots_written_ = 0;
};

// Whether a gnuplot binary is on the PATH (checked once).
bool gnuplotAvailable();

}  // namespace nnmip::experiments
