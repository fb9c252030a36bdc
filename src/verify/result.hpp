#pragma once
// What the verifier answers and how it got there: status, counterexample, per-box and per-phase
// statistics. to_json sits next to the types (STYLE.md §4).
#include <nlohmann/json_fwd.hpp>

#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nnmip::verify {

// VNN-COMP vocabulary: sat = a counterexample exists (the property is violated), unsat = the
// property holds on every input box, unknown = no verdict (a phase failed or doubted its
// numbers), timeout = the time limit ended the search with open disjuncts.
enum class Status { kSat, kUnsat, kUnknown, kTimeout };
const char* statusName(Status status);  // "sat", "unsat", "unknown", "timeout"

// A counterexample that passed the witness check (verify/witness.hpp).
struct Counterexample {
  int box = 0;                   // index into VnnlibProperty::input_boxes
  int disjunct = 0;              // index into VnnlibProperty::unsafe_disjuncts
  std::vector<double> x;         // clipped to the box exactly
  std::vector<float> y;          // float32 forward pass (what is written as Y)
  std::vector<double> y_double;  // double forward pass
  double margin_float = 0.0;     // min over the disjunct's atoms of rhs - coef . y (float y)
  double margin_double = 0.0;    // the same with the double outputs
  std::string found_by;          // "centre", "attack", "milp", ...
};

enum class DisjunctState { kOpen, kClosed, kViolated };
const char* disjunctStateName(DisjunctState state);

struct DisjunctReport {
  DisjunctState state = DisjunctState::kOpen;
  std::string closed_by;  // phase that closed it ("interval", "lp", "milp", ...)
  // Best known valid upper bound on the disjunct's margin max_x min_a (rhs_a - coef_a . y) over
  // the box (+inf when none); the disjunct is unsafe exactly where the margin is >= 0.
  double upper_bound = std::numeric_limits<double>::infinity();
  // Best margin seen at a concrete input (centre, attack, MILP incumbents), double forward pass.
  double best_margin = -std::numeric_limits<double>::infinity();
  std::string milp;  // outcome of the disjunct's MILP, when one ran
  double milp_s = 0.0;
};

struct PhaseStats {
  std::string name;  // "centre", "attack", "bounds", "lp", "milp", ...
  double wall_s = 0.0;
  int closed = 0;  // disjuncts closed by this phase
  int open_after = 0;
  std::string detail;
  long nodes = 0;  // search nodes (bab: children bounded), 0 for phases without a search
  // Where a search phase's time went, summed over its workers (name -> seconds).
  std::vector<std::pair<std::string, double>> seconds;
};

struct BoxReport {
  int box = 0;
  Status status = Status::kUnknown;  // this box alone
  std::vector<DisjunctReport> disjuncts;
  std::vector<PhaseStats> phases;
  std::vector<int> unstable;  // unstable ReLUs per hidden layer under the best root bounds
  std::string bounds_method;
  double wall_s = 0.0;
};

struct Result {
  Status status = Status::kUnknown;
  std::optional<Counterexample> counterexample;  // set exactly when status == kSat
  std::vector<BoxReport> boxes;                  // boxes visited, in order
  std::string reason;  // one line: what decided, or what stopped the search
  double wall_s = 0.0;
};

void to_json(nlohmann::json& j, const Counterexample& c);
void to_json(nlohmann::json& j, const DisjunctReport& d);
void to_json(nlohmann::json& j, const PhaseStats& p);
void to_json(nlohmann::json& j, const BoxReport& b);
void to_json(nlohmann::json& j, const Result& r);

}  // namespace nnmip::verify
