#pragma once
// A plain-data MILP/LP model that backends read; it knows nothing about any solver.
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace nnmip::mip {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

struct Var {
  int32_t id = -1;
  bool valid() const { return id >= 0; }
  friend bool operator==(const Var&, const Var&) = default;
};
struct Row {
  int32_t id = -1;
  bool valid() const { return id >= 0; }
  friend bool operator==(const Row&, const Row&) = default;
};
struct Term {
  Var var;
  double coef = 0.0;
};

enum class VarType : uint8_t { kContinuous, kBinary, kInteger };
enum class Sense : uint8_t { kMinimize, kMaximize };

struct Column {
  double lb = 0.0;
  double ub = kInf;
  VarType type = VarType::kContinuous;
  std::string name;
};

// A row lb <= sum coef*x <= ub (use -kInf / kInf for one-sided rows, lb == ub for equality).
struct Constraint {
  double lb = -kInf;
  double ub = kInf;
  std::vector<Term> terms;
  std::string name;
};

struct Objective {
  Sense sense = Sense::kMinimize;
  std::vector<Term> terms;
  double constant = 0.0;
};

class Model {
 public:
  Var addVar(double lb, double ub, VarType type = VarType::kContinuous, std::string name = {});
  Var addContinuous(double lb, double ub, std::string name = {}) {
    return addVar(lb, ub, VarType::kContinuous, std::move(name));
  }
  Var addBinary(std::string name = {}) {
    return addVar(0.0, 1.0, VarType::kBinary, std::move(name));
  }

  Row addRow(double lb, double ub, std::span<const Term> terms, std::string name = {});
  Row addRow(double lb, double ub, std::initializer_list<Term> terms, std::string name = {}) {
    return addRow(lb, ub, std::span<const Term>(terms.begin(), terms.size()), std::move(name));
  }
  // Convenience: sum terms <= rhs, >= rhs, == rhs.
  Row addLe(std::span<const Term> terms, double rhs, std::string name = {}) {
    return addRow(-kInf, rhs, terms, std::move(name));
  }
  Row addGe(std::span<const Term> terms, double rhs, std::string name = {}) {
    return addRow(rhs, kInf, terms, std::move(name));
  }
  Row addEq(std::span<const Term> terms, double rhs, std::string name = {}) {
    return addRow(rhs, rhs, terms, std::move(name));
  }
  Row addLe(std::initializer_list<Term> terms, double rhs, std::string name = {}) {
    return addRow(-kInf, rhs, terms, std::move(name));
  }
  Row addGe(std::initializer_list<Term> terms, double rhs, std::string name = {}) {
    return addRow(rhs, kInf, terms, std::move(name));
  }
  Row addEq(std::initializer_list<Term> terms, double rhs, std::string name = {}) {
    return addRow(rhs, rhs, terms, std::move(name));
  }

  void setObjective(Sense sense, std::span<const Term> terms, double constant = 0.0);
  void setObjective(Sense sense, std::initializer_list<Term> terms, double constant = 0.0) {
    setObjective(sense, std::span<const Term>(terms.begin(), terms.size()), constant);
  }
  void setVarBounds(Var v, double lb, double ub);
  void setVarType(Var v, VarType type);

  int numVars() const { return static_cast<int>(columns_.size()); }
  int numRows() const { return static_cast<int>(rows_.size()); }
  int numIntegerVars() const;
  const std::vector<Column>& columns() const { return columns_; }
  const Column& column(Var v) const { return columns_.at(static_cast<size_t>(v.id)); }
  const std::vector<Constraint>& rows() const { return rows_; }
  const Objective& objective() const { return objective_; }

  // The LP relaxation: same model with every variable continuous.
  Model relaxed() const;

  // Value of the objective (constant included) at a full point.
  double objectiveValue(std::span<const double> x) const;
  // Largest violation of any bound, row or integrality at x (0 when feasible).
  double maxViolation(std::span<const double> x) const;

 private:
  std::vector<Column> columns_;
  std::vector<Constraint> rows_;
  Objective objective_;
};

// Throws Error{kInvalidInput} on NaN/Inf coefficients, lb > ub, or unknown variables.
void validateModel(const Model& model);

}  // namespace nnmip::mip
