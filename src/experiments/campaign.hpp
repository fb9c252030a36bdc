#pragma once
// `nnmip experiment <name>`: a study of the research documents as one resumable campaign.
//
// A campaign is a list of jobs with stable ids (the same parameters give the same id on every
// run and machine), a function that runs one job into a JSON result, and a report built from
// the stored results. runCampaign keeps one JobStore per campaign (<root>/<name>/jobs.jsonl),
// runs the jobs it does not hold yet on a local pool (core/parallel.hpp) or, under MPI, on the
// ranks (rank 0 hands out job indices and is the only writer), then writes the report (CSV,
// plots, report.md) from the stored rows in job order, so an interrupted and resumed campaign
// ends with the same tables as an uninterrupted one.
//
// Campaigns may depend on others (pruning, bounds and pv read the networks of `nets`):
// runExperiment runs the dependencies first (each resumes, so a finished one costs nothing), and
// of each dependency only the jobs its dependents need (mineps: one network of the grid).
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/callbacks.hpp"
#include "experiments/report.hpp"

namespace nnmip::experiments {

enum class Scale { kSmall, kPaper };
const char* scaleName(Scale scale);  // "small", "paper"
std::optional<Scale> parseScale(std::string_view name);

struct CampaignContext {
  Scale scale = Scale::kSmall;
  std::filesystem::path root = "results/experiments";  // -o DIR; a campaign writes root/<name>
  std::optional<std::filesystem::path> data_dir;       // nullopt: no shared data found
  int threads = 1;                                     // jobs run at once (local pool)
  std::string command;                                 // as typed, for the report
  Callbacks callbacks;                                 // progress lines (never printed here)
  // When set, only the jobs whose id matches this ECMAScript regex (std::regex_search) run and
  // enter the report; of the dependencies run the jobs that these need (runExperiment).
  std::string job_filter;
  // When set, only these jobs (ids) run: what the campaigns that depend on this one need of it
  // (Campaign::neededJobs). The report still covers every stored job.
  std::optional<std::set<std::string>> needed_jobs;

  std::filesystem::path dir(const std::string& campaign) const { return root / campaign; }
  const std::filesystem::path& dataDir() const;  // Error{kInvalidInput} when absent
};

struct Job {
  std::string id;            // stable: "<campaign>|<parameters>"
  nlohmann::json spec;       // the parameters, stored beside the result
  double cost_weight = 1.0;  // relative size, for the CPU-hour estimate of --dry-run
};

class Campaign {
 public:
  virtual ~Campaign() = default;
  virtual std::string name() const = 0;
  virtual std::string title() const = 0;  // report heading
  virtual std::vector<std::string> dependencies() const { return {}; }
  // Every job at ctx.scale, in report order.
  virtual std::vector<Job> jobs(const CampaignContext& ctx) const = 0;
  // The ids of `dependency`'s jobs that `jobs` (this campaign's jobs that will run) read;
  // nullopt: all of them.
  virtual std::optional<std::set<std::string>> neededJobs(const std::string& dependency,
                                                          const std::vector<Job>& jobs,
                                                          const CampaignContext& ctx) const {
    (void)dependency;
    (void)jobs;
    (void)ctx;
    return std::nullopt;
  }
  // Called once before the first job runs (loads data sets shared by the jobs).
  virtual void prepare(const CampaignContext& ctx) { (void)ctx; }
  // A result that exists outside the store (an earlier tool's files), stored as finished
  // instead of running the job; nullopt: run it.
  virtual std::optional<nlohmann::json> imported(const Job& job, const CampaignContext& ctx) {
    (void)job;
    (void)ctx;
    return std::nullopt;
  }
  // Runs one job; called concurrently from several threads when ctx.threads > 1.
  virtual nlohmann::json run(const Job& job, const CampaignContext& ctx) = 0;
  // Tables, plots and document/ours lines from the stored rows (job order; a row holds the
  // result's fields plus "key", "spec", "wall_s", "cpu_s").
  virtual void report(const CampaignContext& ctx, const std::vector<nlohmann::json>& rows,
                      Report& report) const = 0;
};

// "nets", "pruning", "bounds", "bdnn", "verify", "pv", "compare", "mineps" (and "selftest").
// Error{kUsage} for an unknown name.
std::unique_ptr<Campaign> makeCampaign(std::string_view name);
std::vector<std::string> campaignNames();

struct CampaignSummary {
  std::string name;
  int jobs = 0, ran = 0, skipped = 0;
  double wall_s = 0.0;
  double job_cpu_s = 0.0;  // CPU seconds of every stored job (this run's and earlier ones)
  std::filesystem::path report;
  int plots_drawn = 0, plots_written = 0;
  bool complete = false;  // every job this run was asked for stored (false after a stop request)
};

// The campaign's jobs at ctx.scale that match ctx.job_filter (all when it is empty).
std::vector<Job> filteredJobs(const Campaign& campaign, const CampaignContext& ctx);

// Runs the missing jobs of one campaign (of ctx.needed_jobs only, when set) and writes its
// report. Under MPI (when built with NNMIP_WITH_MPI and started by mpirun with more than one
// rank) every rank must call it; only rank 0 writes files and returns a complete summary.
CampaignSummary runCampaign(Campaign& campaign, const CampaignContext& ctx);

// What runExperiment runs for campaign `name`: its dependencies (recursively, each once) first,
// each with the jobs its dependents need (the union of their neededJobs over the jobs they will
// run; nullopt: all), then the campaign itself (its jobs matching ctx.job_filter; needed nullopt).
struct PlannedCampaign {
  std::string name;
  std::optional<std::set<std::string>> needed;
  std::vector<Job>
      jobs;  // the jobs that will run: filtered (the campaign) or needed (a dependency)
};
std::vector<PlannedCampaign> experimentPlan(const std::string& name, const CampaignContext& ctx);

// Runs experimentPlan(name, ctx) in order; a dependency that does not finish its needed jobs
// stops the run (Error{kSolver}).
std::vector<CampaignSummary> runExperiment(const std::string& name, const CampaignContext& ctx);

// The stored rows of campaign `name` under ctx.root, in job order at the scale the store was run
// at (its rows' spec "scale", else ctx.scale): what its report is built from. Error{kInvalidInput}
// when the store does not exist.
std::vector<nlohmann::json> storedCampaignRows(const std::string& name, const CampaignContext& ctx);

// --dry-run, per campaign of experimentPlan: the job count at ctx.scale (a dependency's needed
// jobs only) and, when a finished small run exists under ctx.root (or `small_root`), an
// estimate of CPU hours: the small run's CPU seconds per unit of cost_weight times the total
// weight of those jobs.
struct DryRun {
  std::string name;
  int jobs = 0;
  double total_weight = 0.0;
  std::optional<double> cpu_hours;  // nullopt without a finished small run
  std::string basis;                // how the estimate was made
};
std::vector<DryRun> dryRun(const std::string& name, const CampaignContext& ctx,
                           const std::filesystem::path& small_root);

// MPI rank and size (0 and 1 without MPI); set up by the CLI through mpiInit.
int mpiRank();
int mpiSize();
// Initialises MPI when built with it and started under mpirun; a no-op otherwise. Returns the
// thread-support level text for the report. mpiFinalize must be called before exit.
std::string mpiInit(int* argc, char*** argv);
void mpiFinalize();

// Information for the report header: commit, machine, load, scale.
nlohmann::json runInfo(const CampaignContext& ctx, const std::string& campaign);

}  // namespace nnmip::experiments
