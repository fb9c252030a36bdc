// `selftest`: a campaign on data it makes itself (the Bah & Kurtz random data set), for the
// resume and MPI tests: 24 jobs of a fraction of a second each, every number deterministic.
// Job k trains a 100-8-2 ReLU net (seed k) on the random data set and bounds it over [0,1]^100
// by the lp tier; every third job also solves a small knapsack MILP under
// MipParams::hard_time_limit, which forks a child process (checked under mpirun by the MPI test).
#include <fmt/format.h>

#include "bounds/bounder.hpp"
#include "core/rng.hpp"
#include "data/synthetic.hpp"
#include "experiments/campaigns.hpp"
#include "mip/model.hpp"
#include "mip/params.hpp"
#include "mip/solver.hpp"
#include "train/mlp.hpp"
#include "train/trainer.hpp"

namespace nnmip::experiments {
namespace {

using nlohmann::json;

class SelftestCampaign : public Campaign {
 public:
  std::string name() const override { return "selftest"; }
  std::string title() const override { return "selftest: resume and MPI check on made-up data"; }

  std::vector<Job> jobs(const CampaignContext& ctx) const override {
    std::vector<Job> out;
    const int n = ctx.scale == Scale::kSmall ? 24 : 96;
    for (int k = 1; k <= n; ++k) {
      Job j;
      j.id = fmt::format("selftest|seed{}|epochs20", k);
      j.spec = {{"seed", k}, {"data_seed", 1 + k % 3}, {"epochs", 20}};
      out.push_back(j);
    }
    return out;
  }

  json run(const Job& job, const CampaignContext&) override {
    const uint64_t seed = job.spec.at("seed");
    const data::Dataset all = data::makeRandomOverlap(100, 200, job.spec.at("data_seed"));
    const data::Split split = data::shuffleSplit(all, 0.8, seed);
    Rng rng(seed);
    nn::Network net = train::makeMlp(100, {8}, 2, true, rng);
    train::TrainOptions o;
    o.epochs = job.spec.at("epochs");
    o.batch_size = 32;
    o.seed = seed;
    train::train(net, split.train, nullptr, o);
    bounds::BoundsOptions b;
    b.method = bounds::Method::kLp;
    const bounds::BoundsResult r =
        bounds::computeBounds(net, bounds::Box::uniform(100, 0.0, 1.0), b);
    const auto& last = r.bounds.layers.back();
    json out = {{"test_acc", train::evaluateAccuracy(net, split.test)},
                {"logit_width", (last.hi - last.lo).sum()}};
    if (seed % 3 == 0) {
      // max sum v_i x_i  s.t.  sum w_i x_i <= 15, x binary (12 items), in a forked child.
      mip::Model m;
      std::vector<mip::Term> value, weight;
      for (int i = 0; i < 12; ++i) {
        const mip::Var x = m.addBinary();
        value.push_back({x, static_cast<double>((i * 7 + static_cast<int>(seed)) % 11 + 1)});
        weight.push_back({x, static_cast<double>(i * 5 % 7 + 2)});
      }
      m.addLe(weight, 15.0);
      m.setObjective(mip::Sense::kMaximize, value);
      mip::MipParams p;
      p.time_limit_s = 20.0;
      p.hard_time_limit = true;
      const mip::MipResult k = mip::makeMipSolver("cbc")->solve(m, p);
      out["knapsack"] = k.objective ? *k.objective : -1.0;
    }
    return out;
  }

  void report(const CampaignContext&, const std::vector<json>& rows, Report& rep) const override {
    Table t;
    t.header = {"job", "test acc %", "logit width (lp)", "knapsack (forked MILP)"};
    for (const json& r : rows) {
      t.add({r.at("key"), pct(r.at("test_acc"), 2),
             fmt::format("{:.6g}", r.at("logit_width").get<double>()),
             r.contains("knapsack") ? fmt::format("{:g}", r.at("knapsack").get<double>()) : "-"});
    }
    rep.addTable("Results", "selftest", t, 100);
  }
};

}  // namespace

std::unique_ptr<Campaign> makeSelftestCampaign() { return std::make_unique<SelftestCampaign>(); }

}  // namespace nnmip::experiments
