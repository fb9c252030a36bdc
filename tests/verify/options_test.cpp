// validate() of the verifier's option structs: the defaults pass, a field out of its range
// throws Error{kInvalidInput}.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "nn/attack.hpp"
#include "verify/bab.hpp"
#include "verify/verifier.hpp"

namespace nnmip {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

TEST(Options, DefaultsAreValid) {
  EXPECT_NO_THROW(verify::VerifyOptions{}.validate());
  EXPECT_NO_THROW(verify::BabOptions{}.validate());
  EXPECT_NO_THROW(nn::AttackOptions{}.validate());
  EXPECT_NO_THROW(verify::VerifyOptions::defaultAttack().validate());
  verify::VerifyOptions always;  // thresholds: a negative one means "always"
  always.refine_min_unstable = -1;
  always.bab_before_milp_unstable = -1;
  EXPECT_NO_THROW(always.validate());
}

TEST(Options, EachVerifyFieldOutOfRangeThrows) {
  const std::vector<std::function<void(verify::VerifyOptions&)>> breaks = {
      [](auto& o) { o.threads = 0; },
      [](auto& o) { o.time_limit_s = 0.0; },
      [](auto& o) { o.attack_time_s = -1.0; },
      [](auto& o) { o.alpha_share = 1.5; },
      [](auto& o) { o.lp_bounds_share = -0.1; },
      [](auto& o) { o.lp_phase_share = kNan; },
      [](auto& o) { o.bab_early_share = 2.0; },
      [](auto& o) { o.bab_share = -1.0; },
      [](auto& o) { o.bab_share_refined = 1.01; },
      [](auto& o) { o.refine_share = -0.5; },
      [](auto& o) { o.refine_front_share = 1.5; },
      [](auto& o) { o.refine_min_per_solve_s = 0.0; },
      [](auto& o) { o.refine_per_solve_s = 0.5; },  // below the floor of 1 s
      [](auto& o) { o.refine_max_per_solve_s = 2.0; },
      [](auto& o) { o.refine_max_binaries = -1; },
      [](auto& o) { o.lp_close_margin = 0.0; },
      [](auto& o) { o.milp_delta = -1e-4; },
      [](auto& o) { o.mip_backend.clear(); },
      [](auto& o) { o.attack.restarts = 0; },
      [](auto& o) { o.bab.spec_lr_decay = 1.5; },
  };
  for (size_t k = 0; k < breaks.size(); ++k) {
    SCOPED_TRACE(k);
    verify::VerifyOptions o;
    breaks[k](o);
    EXPECT_THROW(o.validate(), Error);
  }
}

TEST(Options, EachBabAndAttackFieldOutOfRangeThrows) {
  const std::vector<std::function<void(verify::BabOptions&)>> bab = {
      [](auto& o) { o.threads = 0; },          [](auto& o) { o.time_limit_s = -1.0; },
      [](auto& o) { o.max_nodes = -1; },       [](auto& o) { o.max_queue_mb = 0.0; },
      [](auto& o) { o.close_margin = 0.0; },   [](auto& o) { o.interm_iterations = -1; },
      [](auto& o) { o.spec_iterations = -1; }, [](auto& o) { o.spec_lr_alpha = 0.0; },
      [](auto& o) { o.spec_lr_beta = kNan; },  [](auto& o) { o.spec_lr_decay = 0.0; },
      [](auto& o) { o.fsb_candidates = 0; },
  };
  for (size_t k = 0; k < bab.size(); ++k) {
    SCOPED_TRACE(k);
    verify::BabOptions o;
    bab[k](o);
    EXPECT_THROW(o.validate(), Error);
  }
  verify::BabOptions zero_time;
  zero_time.time_limit_s = 0.0;  // a search with no time left stops at once: valid
  EXPECT_NO_THROW(zero_time.validate());
  const std::vector<std::function<void(nn::AttackOptions&)>> attack = {
      [](auto& o) { o.restarts = 0; },
      [](auto& o) { o.rounds = 0; },
      [](auto& o) { o.steps = -1; },
      [](auto& o) { o.step_size = 0.0; },
      [](auto& o) { o.decay = 1.5; },
      [](auto& o) { o.diversify_steps = -1; },
      [](auto& o) { o.diversified_share = 2.0; },
      [](auto& o) { o.target = kNan; },
      [](auto& o) { o.time_limit_s = -1.0; },
  };
  for (size_t k = 0; k < attack.size(); ++k) {
    SCOPED_TRACE(k);
    nn::AttackOptions o;
    attack[k](o);
    EXPECT_THROW(o.validate(), Error);
  }
}

}  // namespace
}  // namespace nnmip
