// MipParams::hard_time_limit: the solve runs in a forked child process that is killed at the
// deadline. CBC checks its clock only between nodes and has overrun a time limit by 7-45 s at
// the root (cut generation, heuristics); a child process is the one stop that always holds.
//
// Protocol (one pipe, child -> parent): records [tag][payload], tag 'p' = progress event
// (elapsed, incumbent, bound, nodes), 's' = a new incumbent's values (ProgressEvent::
// incumbent_values), 'r' = the final MipResult, 'e' = an Error (kind, message).
// A stop request (Callbacks::should_stop) is passed on as SIGUSR1, so the child can still return
// its incumbent; it is killed if it has not answered within 2 s.
// The parent forwards progress to the caller's Callbacks and keeps the last dual bound and the
// last incumbent's values, so a killed solve still reports the dual bound it had proved (never
// the incumbent as a bound) and the last point it reported (CBC raises no event inside its root
// cut loop, so an incumbent it holds there, its MIP start included, is not seen and is lost).
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/timer.hpp"
#include "mip/backends.hpp"

namespace nnmip::mip::detail {
namespace {

// ---- byte encoding ---------------------------------------------------------------------------

class Writer {
 public:
  template <typename T>
  void put(const T& v) {
    const auto* p = reinterpret_cast<const char*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  void putString(const std::string& s) {
    put<uint64_t>(s.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  void putDoubles(std::span<const double> v) {
    put<uint64_t>(v.size());
    const auto* p = reinterpret_cast<const char*>(v.data());
    bytes_.insert(bytes_.end(), p, p + sizeof(double) * v.size());
  }
  // Writes [size][bytes] to fd; false when the pipe is gone (the parent stopped listening).
  bool flushTo(int fd) {
    const uint64_t n = bytes_.size();
    bool ok = writeAll(fd, reinterpret_cast<const char*>(&n), sizeof(n)) &&
              writeAll(fd, bytes_.data(), bytes_.size());
    bytes_.clear();
    return ok;
  }

 private:
  static bool writeAll(int fd, const char* p, size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }
  std::vector<char> bytes_;
};

class Reader {
 public:
  explicit Reader(const std::vector<char>& bytes) : bytes_(bytes) {}
  template <typename T>
  T get() {
    T v{};
    take(&v, sizeof(T));
    return v;
  }
  std::string getString() {
    std::string s(static_cast<size_t>(get<uint64_t>()), '\0');
    take(s.data(), s.size());
    return s;
  }
  std::vector<double> getDoubles() {
    std::vector<double> v(static_cast<size_t>(get<uint64_t>()));
    take(v.data(), sizeof(double) * v.size());
    return v;
  }

 private:
  void take(void* out, size_t n) {
    NNMIP_CHECK(pos_ + n <= bytes_.size(), "truncated record from the solver process");
    if (n == 0) return;  // an empty vector's data() may be null, which memcpy must not get
    std::memcpy(out, bytes_.data() + pos_, n);
    pos_ += n;
  }
  const std::vector<char>& bytes_;
  size_t pos_ = 0;
};

void encodeResult(Writer& w, const MipResult& r) {
  w.put<char>('r');
  w.put<int32_t>(static_cast<int32_t>(r.termination));
  w.put<int32_t>(static_cast<int32_t>(r.limit));
  w.putString(r.detail);
  w.put<uint8_t>(r.objective ? 1 : 0);
  w.put<double>(r.objective.value_or(NAN));
  w.put<double>(r.best_bound);
  w.putDoubles(r.values);
  w.put<double>(r.stats.wall_s);
  w.put<int64_t>(r.stats.nodes);
  w.put<int64_t>(r.stats.lp_iterations);
  w.putString(r.stats.backend);
}

MipResult decodeResult(Reader& in) {
  MipResult r;
  r.termination = static_cast<Termination>(in.get<int32_t>());
  r.limit = static_cast<Limit>(in.get<int32_t>());
  r.detail = in.getString();
  const bool has_objective = in.get<uint8_t>() != 0;
  const double objective = in.get<double>();
  if (has_objective) r.objective = objective;
  r.best_bound = in.get<double>();
  r.values = in.getDoubles();
  r.stats.wall_s = in.get<double>();
  r.stats.nodes = in.get<int64_t>();
  r.stats.lp_iterations = in.get<int64_t>();
  r.stats.backend = in.getString();
  return r;
}

// ---- the child -------------------------------------------------------------------------------

// A stop request reaches the child as SIGUSR1: the solver then stops at its next check and
// returns its incumbent (with values), which a kill would lose.
volatile sig_atomic_t g_stop_requested = 0;
extern "C" void onStopSignal(int) { g_stop_requested = 1; }

[[noreturn]] void runChild(MipSolver& inner, const Model& model, MipParams params, int fd) {
  Writer w;
  // Progress always goes to the parent (it keeps the last dual bound of a killed solve); no logs;
  // stop requests arrive as SIGUSR1 (blocked by the parent before the fork, so none is lost).
  struct sigaction action {};
  action.sa_handler = onStopSignal;
  ::sigaction(SIGUSR1, &action, nullptr);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ::sigprocmask(SIG_UNBLOCK, &usr1, nullptr);
  Callbacks child;
  child.should_stop = [] { return g_stop_requested != 0; };
  child.on_progress = [&](const ProgressEvent& e) {
    w.put<char>('p');
    w.put<double>(e.elapsed_s);
    w.put<double>(e.incumbent);
    w.put<double>(e.bound);
    w.put<int64_t>(e.nodes);
    if (!w.flushTo(fd)) ::_exit(3);
    if (!e.incumbent_values.empty()) {
      w.put<char>('s');
      w.putDoubles(e.incumbent_values);
      if (!w.flushTo(fd)) ::_exit(3);
    }
  };
  params.hard_time_limit = false;
  int code = 0;
  try {
    const MipResult r = inner.solve(model, params, child);
    encodeResult(w, r);
  } catch (const Error& e) {
    w.put<char>('e');
    w.put<int32_t>(static_cast<int32_t>(e.kind()));
    w.putString(e.what());
  } catch (const std::exception& e) {
    w.put<char>('e');
    w.put<int32_t>(static_cast<int32_t>(ErrorKind::kSolver));
    w.putString(e.what());
  }
  if (!w.flushTo(fd)) code = 3;
  ::close(fd);
  ::_exit(code);  // no destructors, no stdio flush: the parent owns those
}

// ---- the parent ------------------------------------------------------------------------------

class DeadlineSolver final : public MipSolver {
 public:
  explicit DeadlineSolver(std::unique_ptr<MipSolver> inner) : inner_(std::move(inner)) {}
  std::string_view name() const override { return inner_->name(); }
  Capabilities capabilities() const override { return inner_->capabilities(); }
  MipResult solve(const Model& model, const MipParams& params,
                  const Callbacks& callbacks) override {
    if (!params.hard_time_limit || !params.time_limit_s) {
      return inner_->solve(model, params, callbacks);
    }
    return solveInChild(model, params, callbacks);
  }

 private:
  MipResult solveInChild(const Model& model, const MipParams& params, const Callbacks& callbacks);
  std::unique_ptr<MipSolver> inner_;
};

// Reads whole [size][bytes] records from a non-blocking pipe.
class RecordStream {
 public:
  explicit RecordStream(int fd) : fd_(fd) {}
  // Appends what the pipe has; false at end of file.
  bool pull() {
    char chunk[65536];
    while (true) {
      const ssize_t n = ::read(fd_, chunk, sizeof(chunk));
      if (n > 0) {
        buffer_.insert(buffer_.end(), chunk, chunk + n);
        continue;
      }
      if (n == 0) return false;
      if (errno == EINTR) continue;
      return true;  // EAGAIN: nothing more for now
    }
  }
  bool next(std::vector<char>& record) {
    uint64_t size = 0;
    if (buffer_.size() - pos_ < sizeof(size)) return false;
    std::memcpy(&size, buffer_.data() + pos_, sizeof(size));
    if (buffer_.size() - pos_ - sizeof(size) < size) return false;
    const auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(pos_ + sizeof(size));
    record.assign(begin, begin + static_cast<std::ptrdiff_t>(size));
    pos_ += sizeof(size) + size;
    if (pos_ == buffer_.size()) {
      buffer_.clear();
      pos_ = 0;
    }
    return true;
  }

 private:
  int fd_;
  std::vector<char> buffer_;
  size_t pos_ = 0;
};

MipResult DeadlineSolver::solveInChild(const Model& model, const MipParams& params,
                                       const Callbacks& callbacks) {
  const Timer timer;
  // A little grace so that a solver which honours the limit itself returns its full result.
  const double deadline = *params.time_limit_s + std::min(1.0, 0.02 * *params.time_limit_s);
  int fds[2] = {-1, -1};
  if (::pipe(fds) != 0) fail(ErrorKind::kInternal, "mip: cannot create a pipe for the solve");
  std::fflush(nullptr);  // buffered output must not be written twice
  sigset_t usr1;
  sigset_t old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &usr1, &old_mask);
  const pid_t pid = ::fork();
  if (pid != 0) ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    fail(ErrorKind::kInternal, "mip: fork failed for a hard time limit");
  }
  if (pid == 0) {
    ::close(fds[0]);
    runChild(*inner_, model, params, fds[1]);
  }
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);

  RecordStream stream(fds[0]);
  std::vector<char> record;
  std::optional<MipResult> final_result;
  std::optional<Error> child_error;
  double last_bound = NAN;
  double last_incumbent = NAN;
  std::vector<double> last_values;  // the last incumbent's, for a solve killed after it
  long last_nodes = 0;
  bool eof = false;
  bool interrupted = false;
  auto consume = [&] {
    eof = !stream.pull() || eof;
    while (stream.next(record)) {
      Reader in(record);
      const char tag = in.get<char>();
      if (tag == 'p') {
        ProgressEvent e;
        e.phase = "milp";
        e.elapsed_s = in.get<double>();
        e.incumbent = in.get<double>();
        e.bound = in.get<double>();
        e.nodes = in.get<int64_t>();
        if (std::isfinite(e.bound)) last_bound = e.bound;
        if (std::isfinite(e.incumbent)) last_incumbent = e.incumbent;
        last_nodes = e.nodes;
        callbacks.progress(e);
      } else if (tag == 's') {
        last_values = in.getDoubles();
      } else if (tag == 'r') {
        final_result = decodeResult(in);
      } else if (tag == 'e') {
        const auto kind = static_cast<ErrorKind>(in.get<int32_t>());
        child_error.emplace(kind, in.getString());
      }
    }
  };
  // The loop also watches the child itself: a pipe end inherited by another thread's child
  // (two workers forking at once) can keep EOF from arriving after this child died.
  int status = 0;
  bool reaped = false;
  bool killed = false;
  // A stop request is passed on (SIGUSR1) and the child gets kStopGrace seconds to return its
  // result; the deadline holds in any case.
  constexpr double kStopGrace = 2.0;
  double stop_at = deadline;
  while (!eof && !final_result && !child_error && !reaped) {
    const double left = stop_at - timer.seconds();
    if (left <= 0.0) break;
    if (!interrupted && callbacks.stopRequested()) {
      interrupted = true;
      ::kill(pid, SIGUSR1);
      stop_at = std::min(deadline, timer.seconds() + kStopGrace);
    }
    pollfd p{fds[0], POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::clamp(left * 1000.0, 1.0, 100.0)));
    consume();
    reaped = ::waitpid(pid, &status, WNOHANG) == pid;
  }
  if (reaped) {
    consume();  // what it wrote before exiting
  } else if (final_result || child_error || eof) {
    ::waitpid(pid, &status, 0);
  } else {
    killed = true;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    consume();  // a record written just before the kill
  }
  ::close(fds[0]);
  if (child_error) throw *child_error;
  if (final_result) return *final_result;

  MipResult r;
  r.stats.wall_s = timer.seconds();
  r.stats.nodes = last_nodes;
  r.stats.backend = std::string(inner_->name());
  if (!killed) {
    // The child ended without a result: it crashed (a solver fault is an error, not a verdict).
    r.termination = Termination::kError;
    r.detail = fmt::format("solver process ended without a result (status {})", status);
    return r;
  }
  r.limit = interrupted ? Limit::kInterrupted : Limit::kTime;
  r.best_bound = last_bound;
  std::string incumbent;
  if (static_cast<int>(last_values.size()) == model.numVars()) {
    r.termination = Termination::kLimitFeasible;
    r.values = std::move(last_values);
    r.objective = model.objectiveValue(r.values);
    incumbent = fmt::format(" (its last incumbent {} kept)", *r.objective);
  } else {
    r.termination = Termination::kLimitNoSolution;
    if (std::isfinite(last_incumbent)) {
      incumbent = fmt::format(" (incumbent {} reported without its values, lost)", last_incumbent);
    }
  }
  r.detail =
      fmt::format("killed at the hard time limit after {:.1f} s{}", timer.seconds(), incumbent);
  return r;
}

}  // namespace

std::unique_ptr<MipSolver> withHardTimeLimit(std::unique_ptr<MipSolver> inner) {
  return std::make_unique<DeadlineSolver>(std::move(inner));
}

}  // namespace nnmip::mip::detail
