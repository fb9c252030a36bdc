#pragma once
// The relu engine's time budget (verify/verifier.hpp) as one table, in phase order. The shares a
// user tunes are VerifyOptions fields (alpha_share, lp_bounds_share, lp_phase_share,
// bab_early_share, bab_share, bab_share_refined, refine_share, attack_time_s); these are the
// fixed parts around them: caps, floors (a nearly spent budget still gets one useful call), the
// split of a phase's share between its steps, and budgets when there is no time limit.
// "share" = a fraction of a time; "_s" = seconds.
#include <cstddef>
#include <cstdint>

namespace nnmip::verify {

// attack (box_run.cpp): it only finds the easy counterexamples, so it never takes much.
inline constexpr double kAttackTimeShare = 0.1;        // cap: this share of the time limit
inline constexpr std::uint64_t kBoxSeedStride = 7919;  // a prime: every box draws its own numbers
// The attack runs in two stages: the first before any bound, the rest after the engine's cheap
// bounds. What an attack finds it finds at once (every attack sat of the one run of 2435152 within
// 0.52 s of a 3 s attack; docs/results_verify.md), while an unsat closed by the cheap bounds paid
// the whole attack.
inline constexpr double kAttackFirstStageShare = 1.0 / 3.0;        // of the attack's budget
inline constexpr std::uint64_t kAttackSecondStageSeedOffset = 31;  // fresh restarts, not stage 1's

// alpha: root bounds first, then the open atoms' spec bounds with what the roots left.
inline constexpr double kNoLimitAlphaS = 60.0;   // the phase's budget without a time limit
inline constexpr double kAlphaRootsShare = 0.7;  // of the phase's budget, for the root bounds
inline constexpr double kMinBoundTierS = 0.2;    // floor of one alpha (or tightening LP) call

// lp-bounds: one LP per neuron side; the floor lets the first layers finish.
inline constexpr double kMinLpBoundsS = 0.5;

// refine: per layer an equal share of the phase's time left, split between the MILPs and the
// alpha pass over the refined bounds.
inline constexpr double kNoLimitRefineS = 600.0;      // the phase's budget without a time limit
inline constexpr double kRefineMinLayerS = 1.0;       // less left: no further layer starts
inline constexpr double kRefineMilpShare = 0.85;      // of the layer's share, for its MILPs
inline constexpr double kRefineAlphaShare = 0.15;     // of the layer's share, for alpha after
inline constexpr double kRefineMaxSolveShare = 0.25;  // cap of a raised per-solve limit
// A layer of fewer unstable neurons than this says little about the next: no stop after it.
inline constexpr std::size_t kRefineMinNeuronsToStop = 8;

// lp: the per-disjunct LPs share lp_phase_share; their optima seed a short attack.
inline constexpr double kMinLpSolveS = 0.1;               // floor of one LP's limit
inline constexpr double kLpAttackShare = 0.5;             // of attack_time_s
inline constexpr std::uint64_t kLpAttackSeedOffset = 17;  // other numbers than the box's attack
// The LP optima already sit near the relaxation's largest margins: one long descent from each,
// with small steps, instead of restarts.
inline constexpr double kLpAttackStepSize = 0.1;
inline constexpr double kLpAttackDecay = 0.985;
inline constexpr int kLpAttackSteps = 300;

// bab: without the MILP after it, the search is the last phase and takes all the time left.
inline constexpr double kBabShareWithoutMilp = 1.0;

// milp, per disjunct.
inline constexpr double kTightenShare = 0.25;  // milp_tighten: output-constrained LP tier's share
inline constexpr double kNoLimitTightenS = 60.0;  // ... without a time limit
// CBC is killed at its limit (hard_time_limit) and then loses its incumbent; CBC that stops
// itself keeps it for the witness check. So this share of the time left, clamped, is held back.
inline constexpr double kMilpHoldBackShare = 0.1;
inline constexpr double kMilpHoldBackMinS = 1.0;
inline constexpr double kMilpHoldBackMaxS = 10.0;
inline constexpr double kMinMilpS = 0.05;  // floor of one MILP's limit
inline constexpr int kMilpAttempts = 3;    // re-solves after incumbents that fail the witness check

}  // namespace nnmip::verify
