#pragma once
// What the `compare` and `mineps` campaigns (thesis chapter 4, issue 22) share with the CLI:
// their tables, built from the stored job rows, so `nnmip compare table --kind K -o DIR` prints
// exactly what report.md shows.
//
//   compare  kinds thesis (Tables 4.2-4.7) and maxout (the 10x10 table)
//   mineps   kinds mineps (Figures 4.8-4.10 as a table), flips (maxflip) and certify (the
//            certify-prune curve)
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/report.hpp"

namespace nnmip::experiments {

struct NamedTable {
  std::string heading;
  std::string csv;  // file stem
  Table table;
};

// The campaign that holds a table kind ("compare" or "mineps"); Error{kUsage} for another kind.
std::string campaignOfCompareKind(const std::string& kind);
// The tables of one kind from the campaign's stored rows (job order).
std::vector<NamedTable> compareTables(const std::string& kind,
                                      const std::vector<nlohmann::json>& rows);

// One comparator answer as a job row: status, value, bound, gap, proven, found_by, classes and
// probabilities of both networks at the found input, MILP summary, times, and for square image
// inputs the found input x and the reference x0 (campaigns.hpp imageJson) for the pictures (json
// of compare::CompareResult, trimmed).
nlohmann::json compareSummary(const nlohmann::json& full_result);

}  // namespace nnmip::experiments
