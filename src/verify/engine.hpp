#pragma once
// The general entry of the verifier: which engine answers a property (relu: verifyProperty,
// bounds + LP + MILP per disjunct + BaB; input-split: verifyByInputSplit), and the relu engine on
// a presplit property (verifyPieces).
#include <string_view>

#include "core/callbacks.hpp"
#include "data/vnnlib.hpp"
#include "nn/network.hpp"
#include "verify/input_split.hpp"
#include "verify/result.hpp"
#include "verify/verifier.hpp"

namespace nnmip::verify {

// Which engine answers a property: `relu` is verifyProperty (bounds, LP and big-M MILP per
// disjunct), `input-split` is verifyByInputSplit, `auto` takes input-split for networks with
// at most kAutoInputSplitMaxInputs inputs and relu otherwise.
enum class EngineKind { kAuto, kInputSplit, kRelu };
inline constexpr int kAutoInputSplitMaxInputs = 16;
const char* engineName(EngineKind kind);  // "auto", "input-split", "relu"
// Throws Error{kInvalidInput} naming the accepted values.
EngineKind parseEngine(std::string_view name);
EngineKind resolveEngine(EngineKind kind, const nn::Network& net);

struct EngineChoice {
  EngineKind kind = EngineKind::kRelu;
  InputSplitOptions split;  // for input-split
  // For relu: each input box is first cut into this many equal pieces (a power of two; bisected
  // along the widest input relative to the box, in turn), verified one by one (verifyPieces).
  // 1 = the property as given.
  int relu_presplit = 1;
};

// The property with every input box cut into `pieces` sub-boxes (see relu_presplit). Throws
// Error{kInvalidInput} unless pieces is a power of two >= 1.
data::VnnlibProperty presplitBoxes(const data::VnnlibProperty& property, int pieces);

// verifyProperty on each piece of presplitBoxes(property, pieces) in turn, as a separate
// property with a fair share of the time left (the time left over divided by the pieces left),
// in rounds: a piece that stays open is cut into 8 for the next round (at most 10 rounds), so the
// time the easy pieces leave goes to the hard parts. sat at the first piece with a
// counterexample (its box index is the property's box the piece lies in), unsat when every piece
// of some round-by-round tiling closed, else timeout / unknown.
Result verifyPieces(const nn::Network& net, const data::VnnlibProperty& property, int pieces,
                    const VerifyOptions& options, const Callbacks& callbacks = {});

// Runs the chosen engine (auto resolved against `net`).
Result verifyWithEngine(const EngineChoice& engine, const nn::Network& net,
                        const data::VnnlibProperty& property, const VerifyOptions& options,
                        const Callbacks& callbacks = {});

}  // namespace nnmip::verify
