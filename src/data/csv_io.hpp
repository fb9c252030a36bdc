#pragma once
// CSV readers for the tabular data sets.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.hpp"

namespace nnmip::data {

// Locations of the files inside the data directory (../shared/data).
inline constexpr const char* kBreastCancerWisconsinFile =
    "breast_cancer_wisconsin/breast-cancer-wisconsin.data";
inline constexpr const char* kWdbcFile = "breast_cancer_wisconsin/wdbc_sklearn_breast_cancer.csv";

// Splits one CSV line at `sep` (no quoting; surrounding spaces and a trailing '\r' are trimmed
// from each field).
std::vector<std::string> splitCsvLine(std::string_view line, char sep = ',');

// How the 16 '?' values of the Breast Cancer Wisconsin (Original) file are handled. All 16 are
// in column 7 (bare nuclei).
enum class MissingPolicy {
  kImputeMedian,  // default: replace '?' by the median of the column's non-missing values
                  // (computed over the whole file: 683 values, median 1), keeping all 699 rows
  kDropRows,      // drop the 16 rows with a '?', leaving 683
};

// UCI "Breast Cancer Wisconsin (Original)": rows "id,f1,...,f9,class" with the 9 features
// integers 1..10 and class 2 (benign) or 4 (malignant). Result: 9 features scaled to [0, 1] by
// (v - 1) / 9 (so max |feature| = 1), y = 0 benign / 1 malignant, num_classes = 2; the id
// column is dropped. Blank lines are skipped. A wrong column count, a non-numeric or
// out-of-range value, or a bad class throws Error{kInvalidInput} "<file>:<line>: <problem>";
// a missing file throws Error{kIo}.
Dataset readBreastCancerWisconsin(const std::filesystem::path& path,
                                  MissingPolicy policy = MissingPolicy::kImputeMedian);

// scikit-learn's WDBC (Wisconsin Diagnostic) CSV: a header "569,30,malignant,benign" (row and
// feature counts, class names), then rows of 30 real features and a target 0 = malignant,
// 1 = benign. Result: the 30 features unscaled, y = 1 malignant / 0 benign (the same coding as
// readBreastCancerWisconsin, the reverse of the file's), num_classes = 2. Errors as above; the
// row count must match the header.
Dataset readWdbc(const std::filesystem::path& path);

}  // namespace nnmip::data
