#include "verify/result.hpp"

#include <nlohmann/json.hpp>

#include "core/json_number.hpp"

namespace nnmip::verify {

const char* statusName(Status status) {
  switch (status) {
    case Status::kSat: return "sat";
    case Status::kUnsat: return "unsat";
    case Status::kUnknown: return "unknown";
    case Status::kTimeout: return "timeout";
  }
  return "unknown";
}

const char* disjunctStateName(DisjunctState state) {
  switch (state) {
    case DisjunctState::kOpen: return "open";
    case DisjunctState::kClosed: return "closed";
    case DisjunctState::kViolated: return "violated";
  }
  return "open";
}

void to_json(nlohmann::json& j, const Counterexample& c) {
  j = nlohmann::json{{"box", c.box},
                     {"disjunct", c.disjunct},
                     {"found_by", c.found_by},
                     {"margin_float32", c.margin_float},
                     {"margin_double", jsonNumber(c.margin_double)},
                     {"x", c.x},
                     {"y_float32", c.y},
                     {"y_double", c.y_double}};
}

void to_json(nlohmann::json& j, const DisjunctReport& d) {
  j = nlohmann::json{{"state", disjunctStateName(d.state)},
                     {"closed_by", d.closed_by},
                     {"margin_upper_bound", jsonNumber(d.upper_bound)},
                     {"best_margin_seen", jsonNumber(d.best_margin)},
                     {"milp", d.milp},
                     {"milp_s", d.milp_s}};
}

void to_json(nlohmann::json& j, const PhaseStats& p) {
  j = nlohmann::json{{"phase", p.name},
                     {"wall_s", p.wall_s},
                     {"closed", p.closed},
                     {"open_after", p.open_after},
                     {"detail", p.detail}};
  if (p.nodes > 0) j["nodes"] = p.nodes;
  if (!p.seconds.empty()) {
    nlohmann::json s = nlohmann::json::object();
    for (const auto& [name, v] : p.seconds) s[name] = v;
    j["seconds"] = s;
  }
}

void to_json(nlohmann::json& j, const BoxReport& b) {
  j = nlohmann::json{{"box", b.box},
                     {"status", statusName(b.status)},
                     {"wall_s", b.wall_s},
                     {"bounds_method", b.bounds_method},
                     {"unstable_per_layer", b.unstable},
                     {"phases", b.phases},
                     {"disjuncts", b.disjuncts}};
}

void to_json(nlohmann::json& j, const Result& r) {
  j = nlohmann::json{{"status", statusName(r.status)},
                     {"reason", r.reason},
                     {"wall_s", r.wall_s},
                     {"boxes", r.boxes}};
  if (r.counterexample) j["counterexample"] = *r.counterexample;
}

}  // namespace nnmip::verify
