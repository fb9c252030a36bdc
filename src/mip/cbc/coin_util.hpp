#pragma once
// Private helpers shared by the COIN backends. Included only from src/mip/cbc/*.cpp.
#include <CoinError.hpp>
#include <CoinPackedMatrix.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "mip/model.hpp"

namespace nnmip::mip::detail {

// COIN uses +-DBL_MAX (COIN_DBL_MAX) for infinite bounds.
inline double toCoin(double v) {
  if (v >= kInf) return DBL_MAX;
  if (v <= -kInf) return -DBL_MAX;
  return v;
}

[[noreturn]] inline void rethrowCoin(const CoinError& e, const char* where) {
  fail(ErrorKind::kSolver, "{}: COIN error in {}::{}: {}", where, e.className(), e.methodName(),
       e.message());
}

// Column-ordered constraint matrix of the model (duplicate terms in one row are summed,
// explicit zeros dropped).
inline CoinPackedMatrix buildColumnMatrix(const Model& model) {
  struct Entry {
    int col;
    int row;
    double value;
  };
  std::vector<Entry> entries;
  const auto& rows = model.rows();
  for (size_t i = 0; i < rows.size(); ++i) {
    for (const Term& t : rows[i].terms) entries.push_back({t.var.id, static_cast<int>(i), t.coef});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.col != b.col ? a.col < b.col : a.row < b.row;
  });
  const int n = model.numVars();
  std::vector<CoinBigIndex> start(static_cast<size_t>(n) + 1, 0);
  std::vector<int> length(static_cast<size_t>(n), 0);
  std::vector<int> index;
  std::vector<double> element;
  size_t k = 0;
  for (int j = 0; j < n; ++j) {
    start[static_cast<size_t>(j)] = static_cast<CoinBigIndex>(index.size());
    while (k < entries.size() && entries[k].col == j) {
      const int row = entries[k].row;
      double sum = 0.0;
      while (k < entries.size() && entries[k].col == j && entries[k].row == row) {
        sum += entries[k].value;
        ++k;
      }
      if (sum != 0.0) {
        index.push_back(row);
        element.push_back(sum);
      }
    }
    length[static_cast<size_t>(j)] =
        static_cast<int>(static_cast<CoinBigIndex>(index.size()) - start[static_cast<size_t>(j)]);
  }
  start[static_cast<size_t>(n)] = static_cast<CoinBigIndex>(index.size());
  return CoinPackedMatrix(/*colordered=*/true, /*minor=*/model.numRows(), /*major=*/n,
                          static_cast<CoinBigIndex>(element.size()), element.data(), index.data(),
                          start.data(), length.data());
}

// Objective coefficients as a dense vector (duplicates summed).
inline std::vector<double> denseObjective(const Model& model) {
  std::vector<double> c(static_cast<size_t>(model.numVars()), 0.0);
  for (const Term& t : model.objective().terms) c[static_cast<size_t>(t.var.id)] += t.coef;
  return c;
}

}  // namespace nnmip::mip::detail
