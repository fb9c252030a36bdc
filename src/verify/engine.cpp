#include "verify/engine.hpp"

#include <fmt/format.h>

#include <limits>
#include <vector>

#include "core/error.hpp"
#include "core/timer.hpp"

namespace nnmip::verify {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

int log2Exact(int pieces) {
  if (pieces < 1 || (pieces & (pieces - 1)) != 0) {
    fail(ErrorKind::kInvalidInput, "presplit: {} pieces is not a power of two >= 1", pieces);
  }
  int k = 0;
  while ((1 << k) < pieces) ++k;
  return k;
}

}  // namespace

const char* engineName(EngineKind kind) {
  switch (kind) {
    case EngineKind::kAuto: return "auto";
    case EngineKind::kInputSplit: return "input-split";
    case EngineKind::kRelu: return "relu";
  }
  return "?";
}

EngineKind parseEngine(std::string_view name) {
  if (name == "auto") return EngineKind::kAuto;
  if (name == "input-split") return EngineKind::kInputSplit;
  if (name == "relu") return EngineKind::kRelu;
  fail(ErrorKind::kInvalidInput, "engine '{}': expected auto, input-split or relu", name);
}

EngineKind resolveEngine(EngineKind kind, const nn::Network& net) {
  if (kind != EngineKind::kAuto) return kind;
  return net.inputSize() <= kAutoInputSplitMaxInputs ? EngineKind::kInputSplit : EngineKind::kRelu;
}

namespace {

// `root` cut into 2^levels equal pieces, each bisected along its widest input relative to root.
std::vector<data::InputBox> cutBox(const data::InputBox& root, int levels) {
  std::vector<data::InputBox> boxes{root};
  for (int l = 0; l < levels; ++l) {
    std::vector<data::InputBox> next;
    for (const data::InputBox& b : boxes) {
      size_t dim = 0;
      double best = -1.0;
      for (size_t i = 0; i < b.lo.size(); ++i) {
        const double w =
            root.hi[i] > root.lo[i] ? (b.hi[i] - b.lo[i]) / (root.hi[i] - root.lo[i]) : 0.0;
        if (w > best) {
          best = w;
          dim = i;
        }
      }
      const double mid = 0.5 * (b.lo[dim] + b.hi[dim]);
      data::InputBox left = b;
      data::InputBox right = b;
      left.hi[dim] = mid;
      right.lo[dim] = mid;
      next.push_back(std::move(left));
      next.push_back(std::move(right));
    }
    boxes = std::move(next);
  }
  return boxes;
}

}  // namespace

data::VnnlibProperty presplitBoxes(const data::VnnlibProperty& property, int pieces) {
  const int levels = log2Exact(pieces);
  data::VnnlibProperty out = property;
  if (levels == 0) return out;
  out.input_boxes.clear();
  for (const data::InputBox& root : property.input_boxes) {
    for (data::InputBox& b : cutBox(root, levels)) out.input_boxes.push_back(std::move(b));
  }
  return out;
}

Result verifyPieces(const nn::Network& net, const data::VnnlibProperty& property, int pieces,
                    const VerifyOptions& options, const Callbacks& callbacks) {
  struct Piece {
    data::InputBox box;
    int origin = 0;  // index of the property's box it is part of
  };
  const int levels = log2Exact(pieces);
  std::vector<Piece> work;
  for (size_t o = 0; o < property.input_boxes.size(); ++o) {
    for (data::InputBox& b : cutBox(property.input_boxes[o], levels)) {
      work.push_back({std::move(b), static_cast<int>(o)});
    }
  }
  const Timer timer;
  Result result;
  const int first_round = static_cast<int>(work.size());
  int verified = 0;
  bool out_of_time = false;
  bool any_unknown = false;
  // Rounds: every open piece of a round, each with a fair share of the time left; a piece that
  // ended open (time share, or all phases ran) is cut into 2^kRetryLevels for the next round, so
  // time the closed pieces left over goes to the hard parts of the box. The pieces of a round
  // always tile the open part of the boxes, so closing them all proves every box.
  // Cutting into 8 beat halving on ACAS 1_1 prop_1 (interval root, LPs only, 32 first pieces):
  // unsat after 1288 pieces in 275 s against 480 pieces and a timeout at 300 s, since smaller
  // pieces have fewer unstable ReLUs and cheaper LPs.
  constexpr int kRetryLevels = 3;  // 8 pieces
  constexpr int kMaxRounds = 10;
  for (int round = 0; !work.empty(); ++round) {
    if (round == kMaxRounds) {
      any_unknown = true;
      break;
    }
    std::vector<Piece> open;
    const int n = static_cast<int>(work.size());
    for (int b = 0; b < n; ++b) {
      const double left = options.time_limit_s ? *options.time_limit_s - timer.seconds() : kInf;
      if (left <= 0.0 || callbacks.stopRequested()) {
        out_of_time = true;
        break;
      }
      const Piece& pc = work[static_cast<size_t>(b)];
      data::VnnlibProperty piece = property;
      piece.input_boxes = {pc.box};
      piece.input_lo = pc.box.lo;
      piece.input_hi = pc.box.hi;
      VerifyOptions o = options;
      // A fair share of what is left; time a piece does not use goes to the later ones.
      if (options.time_limit_s) o.time_limit_s = left / static_cast<double>(n - b);
      Result r = verifyProperty(net, piece, o, callbacks);
      for (BoxReport& rep : r.boxes) {
        rep.box = pc.origin;
        result.boxes.push_back(std::move(rep));
      }
      ++verified;
      if (r.status == Status::kSat) {
        result.status = Status::kSat;
        result.counterexample = std::move(r.counterexample);
        result.counterexample->box = pc.origin;
        result.reason = fmt::format("round {}, piece {} of {}: {}", round, b, n, r.reason);
        result.wall_s = timer.seconds();
        return result;
      }
      if (r.status == Status::kUnsat) continue;
      for (data::InputBox& sub : cutBox(pc.box, kRetryLevels)) {
        open.push_back({std::move(sub), pc.origin});
      }
    }
    if (out_of_time) break;
    if (!open.empty()) {
      callbacks.log(Level::kInfo, fmt::format("round {}: {} of {} pieces open, next round {}",
                                              round, open.size() >> kRetryLevels, n, open.size()));
    }
    work = std::move(open);
  }
  result.wall_s = timer.seconds();
  if (out_of_time) {
    result.status = Status::kTimeout;
    result.reason =
        fmt::format("time limit reached with pieces open ({} verified; {} in the first round)",
                    verified, first_round);
  } else if (any_unknown) {
    result.status = Status::kUnknown;
    result.reason =
        fmt::format("pieces still open after {} rounds ({} verified)", kMaxRounds, verified);
  } else {
    result.status = Status::kUnsat;
    result.reason =
        fmt::format("every piece closed: {} pieces verified in rounds from a {}-piece partition",
                    verified, first_round);
  }
  return result;
}

Result verifyWithEngine(const EngineChoice& engine, const nn::Network& net,
                        const data::VnnlibProperty& property, const VerifyOptions& options,
                        const Callbacks& callbacks) {
  switch (resolveEngine(engine.kind, net)) {
    case EngineKind::kInputSplit:
      return verifyByInputSplit(net, property, options, callbacks, engine.split);
    case EngineKind::kAuto:
    case EngineKind::kRelu: break;
  }
  if (engine.relu_presplit == 1) return verifyProperty(net, property, options, callbacks);
  return verifyPieces(net, property, engine.relu_presplit, options, callbacks);
}

}  // namespace nnmip::verify
