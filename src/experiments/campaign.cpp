#include "experiments/campaign.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/timer.hpp"
#include "core/version.hpp"
#include "experiments/campaigns.hpp"
#include "experiments/job_store.hpp"

#ifdef NNMIP_WITH_MPI
#include <mpi.h>
#endif

namespace nnmip::experiments {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

double threadCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double childCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_CHILDREN, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// "all 36 rows: 1a2b3c4d5e6f" or "2 commits: 1a2b.. (30 rows), 9f8e.. (6 rows)": a result is
// one run of one binary only when every row names the same commit (rows written before rows
// carried one count as "unrecorded").
std::string rowsByCommit(const std::vector<json>& rows) {
  std::map<std::string, int> count;
  for (const json& r : rows) ++count[r.value("commit", std::string("unrecorded"))];
  if (count.size() == 1) {
    return fmt::format("all {} rows: {}", rows.size(), count.begin()->first);
  }
  std::string out = fmt::format("{} commits:", count.size());
  for (const auto& [commit, n] : count) out += fmt::format(" {} ({} rows),", commit, n);
  out.pop_back();
  return out;
}

// Runs one job and adds what every row carries: the spec, the binary's commit, wall and CPU
// seconds (this thread's CPU plus the forked children waited for meanwhile: MILPs under a hard
// limit).
json runOne(Campaign& campaign, const Job& job, const CampaignContext& ctx) {
  Timer wall;
  const double cpu0 = threadCpuSeconds(), child0 = childCpuSeconds();
  json result = campaign.run(job, ctx);
  NNMIP_CHECK(result.is_object(), "campaign {}: job {} gave no JSON object", campaign.name(),
              job.id);
  result["spec"] = job.spec;
  result["commit"] = buildCommit();
  result["wall_s"] = wall.seconds();
  result["cpu_s"] = threadCpuSeconds() - cpu0 + (childCpuSeconds() - child0);
  return result;
}

std::string shellLine(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::vector<json> storedRows(const JobStore& store, const std::vector<Job>& jobs) {
  std::vector<json> rows;
  for (const Job& j : jobs) {
    if (const json* r = store.find(j.id)) rows.push_back(*r);
  }
  return rows;
}

// Campaign `name` after its dependencies (recursively, each once).
std::vector<std::string> dependencyOrder(const std::string& name) {
  std::vector<std::string> order;
  std::function<void(const std::string&)> visit = [&](const std::string& n) {
    if (std::find(order.begin(), order.end(), n) != order.end()) return;
    for (const std::string& d : makeCampaign(n)->dependencies()) visit(d);
    order.push_back(n);
  };
  visit(name);
  return order;
}

#ifdef NNMIP_WITH_MPI
constexpr int kTagReady = 1, kTagResult = 2, kTagWork = 3;

// Rank 0: hands out the indices of `pending` and stores each result as it arrives.
void coordinate(Campaign& campaign, const std::vector<Job>& jobs,
                const std::vector<size_t>& pending, JobStore& store, const CampaignContext& ctx,
                CampaignSummary& s, Timer& clock) {
  size_t next = 0;
  int workers = mpiSize() - 1, done = 0;
  while (workers > 0) {
    MPI_Status st;
    int len = 0;
    MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
    MPI_Get_count(&st, MPI_CHAR, &len);
    std::string msg(static_cast<size_t>(len), '\0');
    MPI_Recv(msg.data(), len, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    if (st.MPI_TAG == kTagResult) {
      const json r = json::parse(msg);
      const size_t index = r.at("index").get<size_t>();
      if (r.contains("error")) {
        ctx.callbacks.log(Level::kWarn, fmt::format("[{}] job {} failed on rank {}: {}",
                                                    campaign.name(), jobs[index].id, st.MPI_SOURCE,
                                                    r.at("error").get<std::string>()));
      } else {
        store.append(jobs[index].id, r.at("result"));
        ++s.ran;
      }
      ++done;
      ctx.callbacks.log(Level::kInfo, fmt::format("[{}] job {}/{} {} done on rank {} ({:.0f} s)",
                                                  campaign.name(), done, pending.size(),
                                                  jobs[index].id, st.MPI_SOURCE, clock.seconds()));
    }
    int index = -1;
    if (next < pending.size() && !ctx.callbacks.stopRequested()) {
      index = static_cast<int>(pending[next++]);
    } else {
      --workers;  // this worker gets the stop index
    }
    MPI_Send(&index, 1, MPI_INT, st.MPI_SOURCE, kTagWork, MPI_COMM_WORLD);
  }
}

// Ranks > 0: ask for an index, run it, send the result, until the stop index (-1).
void work(Campaign& campaign, const std::vector<Job>& jobs, const CampaignContext& ctx) {
  std::string msg = "ready";
  int tag = kTagReady;
  for (;;) {
    MPI_Send(msg.data(), static_cast<int>(msg.size()), MPI_CHAR, 0, tag, MPI_COMM_WORLD);
    int index = -1;
    MPI_Recv(&index, 1, MPI_INT, 0, kTagWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (index < 0) return;
    json r{{"index", index}};
    try {
      r["result"] = runOne(campaign, jobs[static_cast<size_t>(index)], ctx);
    } catch (const std::exception& e) {
      r["error"] = e.what();
    }
    msg = r.dump();
    tag = kTagResult;
  }
}
#endif

}  // namespace

const char* scaleName(Scale scale) { return scale == Scale::kPaper ? "paper" : "small"; }

std::optional<Scale> parseScale(std::string_view name) {
  if (name == "small") return Scale::kSmall;
  if (name == "paper") return Scale::kPaper;
  return std::nullopt;
}

const fs::path& CampaignContext::dataDir() const {
  if (!data_dir) {
    fail(ErrorKind::kInvalidInput,
         "this campaign needs the shared data directory (--data-dir, $NNMIP_DATA_DIR or "
         "../shared/data)");
  }
  return *data_dir;
}

std::vector<std::string> campaignNames() {
  return {"nets", "pruning", "bounds", "bdnn", "verify", "pv", "compare", "mineps", "selftest"};
}

std::unique_ptr<Campaign> makeCampaign(std::string_view name) {
  if (name == "nets") return makeNetsCampaign();
  if (name == "pruning") return makePruningCampaign();
  if (name == "bounds") return makeBoundsCampaign();
  if (name == "bdnn") return makeBdnnCampaign();
  if (name == "verify") return makeVerifyCampaign();
  if (name == "pv") return makePvCampaign();
  if (name == "selftest") return makeSelftestCampaign();
  if (name == "compare") return makeCompareCampaign();
  if (name == "mineps") return makeMinepsCampaign();
  fail(ErrorKind::kUsage,
       "unknown campaign '{}' (one of nets, pruning, bounds, bdnn, verify, pv, compare, mineps)",
       name);
}

json runInfo(const CampaignContext& ctx, const std::string& campaign) {
  json info;
  info["command"] = ctx.command.empty() ? "nnmip experiment " + campaign : ctx.command;
  info["scale"] = scaleName(ctx.scale);
  info["binary"] = std::string("nnmip ") + kVersion;
  info["commit"] = buildCommit();  // of the binary writing the report
  info["machine"] = fmt::format("{} ({} hardware threads)", shellLine("uname -nm"),
                                std::thread::hardware_concurrency());
  std::ifstream load("/proc/loadavg");
  std::string l1, l5, l15;
  load >> l1 >> l5 >> l15;
  info["load_average"] = l1 + " " + l5 + " " + l15;
  info["threads"] = ctx.threads;
  info["mpi_ranks"] = mpiSize();
  info["data_dir"] = ctx.data_dir ? ctx.data_dir->string() : "none";
  const std::time_t now = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  info["written"] = when;
  return info;
}

std::vector<Job> filteredJobs(const Campaign& campaign, const CampaignContext& ctx) {
  std::vector<Job> jobs = campaign.jobs(ctx);
  if (!ctx.job_filter.empty()) {
    const std::regex keep(ctx.job_filter);
    std::erase_if(jobs, [&keep](const Job& j) { return !std::regex_search(j.id, keep); });
  }
  return jobs;
}

CampaignSummary runCampaign(Campaign& campaign, const CampaignContext& ctx) {
  Timer clock;
  CampaignSummary s;
  s.name = campaign.name();
  const std::vector<Job> jobs = filteredJobs(campaign, ctx);
  {
    std::set<std::string> seen;
    for (const Job& j : jobs)
      NNMIP_CHECK(seen.insert(j.id).second, "campaign {}: duplicate job id {}", s.name, j.id);
    if (ctx.needed_jobs) {
      for (const std::string& id : *ctx.needed_jobs)
        NNMIP_CHECK(seen.count(id) > 0, "campaign {}: needed job {} is not one of its jobs", s.name,
                    id);
    }
  }
  // The jobs this run is asked for: all, or what the dependent campaigns need.
  const auto asked = [&ctx](const Job& j) {
    return !ctx.needed_jobs || ctx.needed_jobs->count(j.id) > 0;
  };
  s.jobs = static_cast<int>(std::count_if(jobs.begin(), jobs.end(), asked));
  const fs::path dir = ctx.dir(s.name);
  const bool coordinator = mpiRank() == 0;
  std::unique_ptr<JobStore> store;
  std::vector<size_t> pending;
  if (coordinator) {
    store = std::make_unique<JobStore>(dir / "jobs.jsonl");
    int imported = 0;
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (!asked(jobs[i]) || store->done(jobs[i].id)) continue;
      if (std::optional<json> r = campaign.imported(jobs[i], ctx)) {
        (*r)["spec"] = jobs[i].spec;
        store->append(jobs[i].id, std::move(*r));
        ++imported;
        continue;
      }
      pending.push_back(i);
    }
    if (imported > 0) {
      ctx.callbacks.log(Level::kInfo, fmt::format("[{}] imported {} finished jobs from earlier "
                                                  "files",
                                                  s.name, imported));
    }
    s.skipped = s.jobs - static_cast<int>(pending.size());
    ctx.callbacks.log(Level::kInfo,
                      fmt::format("[{}] {} jobs at scale {}{}: {} finished earlier, {} to run ({})",
                                  s.name, s.jobs, scaleName(ctx.scale),
                                  ctx.needed_jobs ? fmt::format(" (the {} of {} that the campaigns "
                                                                "depending on it need)",
                                                                s.jobs, jobs.size())
                                                  : std::string(),
                                  s.skipped, pending.size(), (dir / "jobs.jsonl").string()));
  }
  if (mpiSize() > 1) {
#ifdef NNMIP_WITH_MPI
    int n = static_cast<int>(pending.size());
    MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (n > 0) {
      if (!coordinator) campaign.prepare(ctx);
      if (coordinator) {
        coordinate(campaign, jobs, pending, *store, ctx, s, clock);
      } else {
        work(campaign, jobs, ctx);
      }
    }
    MPI_Barrier(MPI_COMM_WORLD);
#endif
  } else if (!pending.empty()) {
    campaign.prepare(ctx);
    std::mutex log_mutex;
    int finished = 0, failed = 0;
    parallelFor(static_cast<int>(pending.size()), ctx.threads, [&](int k) {
      const Job& job = jobs[pending[static_cast<size_t>(k)]];
      if (ctx.callbacks.stopRequested()) return;
      {
        std::lock_guard<std::mutex> lock(log_mutex);
        ctx.callbacks.log(Level::kInfo,
                          fmt::format("[{}] job {}/{} {}: running ({:.0f} s)", s.name, k + 1,
                                      pending.size(), job.id, clock.seconds()));
      }
      try {
        json r = runOne(campaign, job, ctx);
        const double w = r.value("wall_s", 0.0);
        store->append(job.id, std::move(r));
        std::lock_guard<std::mutex> lock(log_mutex);
        ++finished;
        const double per = clock.seconds() / finished;
        ctx.callbacks.log(
            Level::kInfo,
            fmt::format("[{}] job {} done in {:.1f} s ({}/{} this run, about {:.0f} s to go)",
                        s.name, job.id, w, finished, pending.size(),
                        per * static_cast<double>(pending.size() - finished)));
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(log_mutex);
        ++failed;
        ctx.callbacks.log(Level::kWarn,
                          fmt::format("[{}] job {} failed: {}", s.name, job.id, e.what()));
      }
    });
    s.ran = finished;
  }
  s.wall_s = clock.seconds();
  if (!coordinator) return s;
  const std::vector<json> rows = storedRows(*store, jobs);
  for (const json& r : rows) s.job_cpu_s += r.value("cpu_s", 0.0);
  s.complete = std::all_of(jobs.begin(), jobs.end(),
                           [&](const Job& j) { return !asked(j) || store->done(j.id); });
  Report report(dir, campaign.title());
  json info = runInfo(ctx, s.name);
  info["rows_by_commit"] = rowsByCommit(rows);
  report.addHeader(info);
  report.addText(fmt::format("{} of {} jobs stored in `jobs.jsonl` (job CPU time {:.0f} s{}).",
                             rows.size(), jobs.size(), s.job_cpu_s,
                             s.complete ? "" : "; the report covers the stored jobs only"));
  campaign.report(ctx, rows, report);
  s.report = report.write();
  s.plots_drawn = report.plotsDrawn();
  s.plots_written = report.plotsWritten();
  if (!gnuplotAvailable() && s.plots_written > 0) {
    ctx.callbacks.log(Level::kWarn,
                      fmt::format("[{}] gnuplot not found: wrote {} .gp/.dat pairs in {}, no "
                                  "images (run gnuplot on them later)",
                                  s.name, s.plots_written, (dir / "plots").string()));
  }
  return s;
}

std::vector<PlannedCampaign> experimentPlan(const std::string& name, const CampaignContext& ctx) {
  const std::vector<std::string> order = dependencyOrder(name);
  std::set<std::string> needs_all;
  std::map<std::string, std::set<std::string>> needed;
  std::map<std::string, std::vector<Job>> planned_jobs;
  // Dependents before their dependencies, so that a campaign's own job list is settled before
  // it says what it needs of the campaigns below it.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const auto c = makeCampaign(*it);
    CampaignContext at = ctx;
    if (*it != name) at.job_filter.clear();  // --only selects the named campaign's jobs
    std::vector<Job> jobs = filteredJobs(*c, at);
    if (*it != name && !needs_all.count(*it)) {
      const std::set<std::string>& keep = needed[*it];
      std::erase_if(jobs, [&keep](const Job& j) { return !keep.count(j.id); });
    }
    for (const std::string& d : c->dependencies()) {
      if (const auto want = c->neededJobs(d, jobs, at)) {
        needed[d].insert(want->begin(), want->end());
      } else {
        needs_all.insert(d);
      }
    }
    planned_jobs[*it] = std::move(jobs);
  }
  std::vector<PlannedCampaign> out;
  for (const std::string& n : order) {
    PlannedCampaign p{n, std::nullopt, std::move(planned_jobs[n])};
    if (n != name && !needs_all.count(n)) p.needed = needed[n];
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<CampaignSummary> runExperiment(const std::string& name, const CampaignContext& ctx) {
  std::vector<CampaignSummary> out;
  for (const PlannedCampaign& p : experimentPlan(name, ctx)) {
    auto c = makeCampaign(p.name);
    CampaignContext at = ctx;
    if (p.name != name) at.job_filter.clear();
    at.needed_jobs = p.needed;
    out.push_back(runCampaign(*c, at));
    if (!out.back().complete && mpiRank() == 0 && p.name != name) {
      fail(ErrorKind::kSolver, "campaign {} (needed by {}) did not finish the jobs it needs",
           p.name, name);
    }
  }
  return out;
}

std::vector<json> storedCampaignRows(const std::string& name, const CampaignContext& ctx) {
  const fs::path path = ctx.dir(name) / "jobs.jsonl";
  if (!fs::exists(path)) {
    fail(ErrorKind::kInvalidInput, "no job store {} (run `nnmip experiment {}` first)",
         path.string(), name);
  }
  const JobStore store(path);
  auto c = makeCampaign(name);
  // The scale the store was run at: the first stored spec's "scale", else ctx.scale.
  CampaignContext at = ctx;
  for (const json& r : store.rows()) {
    if (r.contains("spec") && r["spec"].contains("scale")) {
      if (auto s = parseScale(r["spec"]["scale"].get<std::string>())) at.scale = *s;
      break;
    }
  }
  return storedRows(store, c->jobs(at));
}

std::vector<DryRun> dryRun(const std::string& name, const CampaignContext& ctx,
                           const fs::path& small_root) {
  std::vector<DryRun> out;
  for (const PlannedCampaign& p : experimentPlan(name, ctx)) {
    const std::string& n = p.name;
    auto c = makeCampaign(n);
    DryRun d;
    d.name = n;
    d.jobs = static_cast<int>(p.jobs.size());
    for (const Job& j : p.jobs) d.total_weight += j.cost_weight;
    // The small run: its stored rows give CPU seconds per unit of weight.
    CampaignContext small = ctx;
    small.scale = Scale::kSmall;
    const fs::path store_path = small_root / n / "jobs.jsonl";
    if (fs::exists(store_path)) {
      const JobStore store(store_path);
      double cpu = 0.0, weight = 0.0;
      int found = 0;
      const std::vector<Job> small_jobs = c->jobs(small);
      for (const Job& j : small_jobs) {
        if (const json* r = store.find(j.id)) {
          cpu += r->value("cpu_s", 0.0);
          weight += j.cost_weight;
          ++found;
        }
      }
      if (found > 0 && weight > 0) {
        d.cpu_hours = cpu / weight * d.total_weight / 3600.0;
        d.basis = fmt::format(
            "{} of {} small jobs in {}: {:.1f} CPU s over weight {:.3g}, scaled "
            "to weight {:.3g}",
            found, small_jobs.size(), store_path.string(), cpu, weight, d.total_weight);
      }
    }
    if (!d.cpu_hours) d.basis = "no finished small run under " + (small_root / n).string();
    out.push_back(d);
  }
  return out;
}

#ifdef NNMIP_WITH_MPI
namespace {
bool g_mpi_on = false;
}
int mpiRank() {
  int r = 0;
  if (g_mpi_on) MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int mpiSize() {
  int n = 1;
  if (g_mpi_on) MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}
std::string mpiInit(int* argc, char*** argv) {
  // Only under mpirun (OpenMPI sets OMPI_COMM_WORLD_SIZE): a plain start stays MPI-free.
  if (!std::getenv("OMPI_COMM_WORLD_SIZE") && !std::getenv("PMI_SIZE")) return "off";
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  g_mpi_on = true;
  return provided >= MPI_THREAD_FUNNELED ? "funneled" : "single";
}
void mpiFinalize() {
  if (g_mpi_on) MPI_Finalize();
  g_mpi_on = false;
}
#else
int mpiRank() { return 0; }
int mpiSize() { return 1; }
std::string mpiInit(int*, char***) { return "not built (NNMIP_WITH_MPI off)"; }
void mpiFinalize() {}
#endif

}  // namespace nnmip::experiments
