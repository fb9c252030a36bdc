#include "mip/model.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace nnmip::mip {

Var Model::addVar(double lb, double ub, VarType type, std::string name) {
  if (type == VarType::kBinary) {
    lb = std::max(lb, 0.0);
    ub = std::min(ub, 1.0);
  }
  columns_.push_back(Column{lb, ub, type, std::move(name)});
  return Var{static_cast<int32_t>(columns_.size() - 1)};
}

Row Model::addRow(double lb, double ub, std::span<const Term> terms, std::string name) {
  for (const Term& t : terms) {
    NNMIP_CHECK(t.var.id >= 0 && t.var.id < numVars(), "row {} uses unknown variable {}", name,
                t.var.id);
  }
  rows_.push_back(
      Constraint{lb, ub, std::vector<Term>(terms.begin(), terms.end()), std::move(name)});
  return Row{static_cast<int32_t>(rows_.size() - 1)};
}

void Model::setObjective(Sense sense, std::span<const Term> terms, double constant) {
  for (const Term& t : terms) {
    NNMIP_CHECK(t.var.id >= 0 && t.var.id < numVars(), "objective uses unknown variable {}",
                t.var.id);
  }
  objective_ = Objective{sense, std::vector<Term>(terms.begin(), terms.end()), constant};
}

void Model::setVarBounds(Var v, double lb, double ub) {
  Column& c = columns_.at(static_cast<size_t>(v.id));
  c.lb = lb;
  c.ub = ub;
}

void Model::setVarType(Var v, VarType type) { columns_.at(static_cast<size_t>(v.id)).type = type; }

int Model::numIntegerVars() const {
  return static_cast<int>(std::count_if(columns_.begin(), columns_.end(), [](const Column& c) {
    return c.type != VarType::kContinuous;
  }));
}

Model Model::relaxed() const {
  Model m = *this;
  for (Column& c : m.columns_) c.type = VarType::kContinuous;
  return m;
}

double Model::objectiveValue(std::span<const double> x) const {
  double v = objective_.constant;
  for (const Term& t : objective_.terms) v += t.coef * x[static_cast<size_t>(t.var.id)];
  return v;
}

double Model::maxViolation(std::span<const double> x) const {
  NNMIP_CHECK(static_cast<int>(x.size()) == numVars(), "point has {} values for {} variables",
              x.size(), numVars());
  double worst = 0.0;
  for (size_t j = 0; j < columns_.size(); ++j) {
    const Column& c = columns_[j];
    worst = std::max({worst, c.lb - x[j], x[j] - c.ub});
    if (c.type != VarType::kContinuous) worst = std::max(worst, std::abs(x[j] - std::round(x[j])));
  }
  for (const Constraint& r : rows_) {
    double activity = 0.0;
    for (const Term& t : r.terms) activity += t.coef * x[static_cast<size_t>(t.var.id)];
    worst = std::max({worst, r.lb - activity, activity - r.ub});
  }
  return worst;
}

void validateModel(const Model& model) {
  for (size_t j = 0; j < model.columns().size(); ++j) {
    const Column& c = model.columns()[j];
    if (std::isnan(c.lb) || std::isnan(c.ub) || c.lb > c.ub) {
      fail(ErrorKind::kInvalidInput, "variable {} ('{}') has invalid bounds [{}, {}]", j, c.name,
           c.lb, c.ub);
    }
  }
  for (size_t i = 0; i < model.rows().size(); ++i) {
    const Constraint& r = model.rows()[i];
    if (std::isnan(r.lb) || std::isnan(r.ub) || r.lb > r.ub) {
      fail(ErrorKind::kInvalidInput, "row {} ('{}') has invalid bounds [{}, {}]", i, r.name, r.lb,
           r.ub);
    }
    for (const Term& t : r.terms) {
      if (!std::isfinite(t.coef)) {
        fail(ErrorKind::kInvalidInput, "row {} ('{}') has a non-finite coefficient", i, r.name);
      }
    }
  }
  for (const Term& t : model.objective().terms) {
    if (!std::isfinite(t.coef))
      fail(ErrorKind::kInvalidInput, "objective has a non-finite coefficient");
  }
}

}  // namespace nnmip::mip
