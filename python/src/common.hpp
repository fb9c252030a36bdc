#pragma once
// Shared pieces of the Python bindings: running a long library call with the GIL released and
// Ctrl-C turned into Callbacks::should_stop, JSON -> Python conversion, small argument helpers.
//
// Interrupts. A long call runs on a worker thread with the GIL released; the calling thread
// waits and, every 50 ms, takes the GIL and runs Python's signal handlers (PyErr_CheckSignals).
// When a handler raises (SIGINT: KeyboardInterrupt), a C-level flag is set that the callbacks'
// should_stop reads, so the library ends its search with what it has; the call then raises
// nnmip.Interrupted (a KeyboardInterrupt) whose `.result` holds that partial result. The
// callbacks never touch Python (no GIL inside the library's threads or in a forked child).
//
// Logs and progress. When the caller passes Python callables (log=, progress=), the library's
// on_log / on_progress only queue their events (under a mutex, and only in the process that
// made the queue: a forked child drops them without locking, so a lock held at the fork cannot
// block it); the waiting thread hands them to the callables with the GIL held at each 50 ms
// wake-up and once more at the end (progress: the latest event only). An exception raised by a
// callable stops the call (should_stop) and is re-raised when the library has returned.
#include <pybind11/pybind11.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/callbacks.hpp"

namespace nnmip::python {

namespace py = pybind11;

// The nnmip.Interrupted exception type (set by module.cpp).
py::object& interruptedType();

// Python callables for the library's logs and progress (None: not reported).
struct Hooks {
  py::object log;       // log(level: str, message: str)
  py::object progress;  // progress(event: dict)
  bool any() const { return (log && !log.is_none()) || (progress && !progress.is_none()); }
};

// Events queued by the library's threads, delivered with the GIL held (see the file comment).
class HookQueue {
 public:
  void log(Level level, std::string_view message) {
    if (::getpid() != owner_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    logs_.emplace_back(level, std::string(message));
  }
  void progress(const ProgressEvent& event) {
    if (::getpid() != owner_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    last_ = event;
  }
  // With the GIL held. Returns false (with the Python error fetched into `error`) when a
  // callable raised; later calls then deliver nothing.
  bool deliver(const Hooks& hooks, py::object& error_type, py::object& error_value,
               py::object& error_trace);

 private:
  pid_t owner_ = ::getpid();
  std::mutex mutex_;
  std::vector<std::pair<Level, std::string>> logs_;
  std::optional<ProgressEvent> last_;
  bool failed_ = false;
};

// Result of a long call and whether a signal handler asked it to stop.
template <typename R>
struct Outcome {
  R value;
  bool interrupted = false;
  std::string handler_error;  // a handler raised something other than KeyboardInterrupt
};

// Runs f(callbacks) as described above. Exceptions of f propagate (after the worker ended).
template <typename F>
auto runInterruptible(F&& f, const Hooks& hooks = {})
    -> Outcome<decltype(f(std::declval<const Callbacks&>()))> {
  using R = decltype(f(std::declval<const Callbacks&>()));
  auto flag = std::make_shared<std::atomic<bool>>(false);
  Callbacks cb;
  cb.should_stop = [flag] { return flag->load(std::memory_order_relaxed); };
  auto queue = std::make_shared<HookQueue>();
  if (hooks.log && !hooks.log.is_none()) {
    cb.on_log = [queue](Level level, std::string_view m) { queue->log(level, m); };
  }
  if (hooks.progress && !hooks.progress.is_none()) {
    cb.on_progress = [queue](const ProgressEvent& e) { queue->progress(e); };
  }
  bool hook_failed = false;
  std::optional<R> result;
  std::exception_ptr error;
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  bool interrupted = false;
  py::object pending_type, pending_value, pending_trace;
  {
    py::gil_scoped_release release;
    std::thread worker([&] {
      try {
        result.emplace(f(cb));
      } catch (...) {
        error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        done = true;
      }
      cv.notify_all();
    });
    std::unique_lock<std::mutex> lock(mutex);
    while (!done) {
      cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return done; });
      if (done || interrupted) continue;
      lock.unlock();
      {
        py::gil_scoped_acquire acquire;
        if (hooks.any() && !hook_failed &&
            !queue->deliver(hooks, pending_type, pending_value, pending_trace)) {
          hook_failed = true;
          flag->store(true);
        }
        if (!hook_failed && PyErr_CheckSignals() != 0) {
          interrupted = true;
          flag->store(true);
          PyObject *t = nullptr, *v = nullptr, *tb = nullptr;
          PyErr_Fetch(&t, &v, &tb);
          pending_type = py::reinterpret_steal<py::object>(t);
          pending_value = py::reinterpret_steal<py::object>(v);
          pending_trace = py::reinterpret_steal<py::object>(tb);
        }
      }
      lock.lock();
    }
    lock.unlock();
    worker.join();
  }
  if (hooks.any() && !hook_failed && !interrupted &&
      !queue->deliver(hooks, pending_type, pending_value, pending_trace)) {
    hook_failed = true;
  }
  if (hook_failed) {
    // A log / progress callable raised: re-raise its exception as it is.
    PyErr_Restore(pending_type.release().ptr(), pending_value.release().ptr(),
                  pending_trace.release().ptr());
    throw py::error_already_set();
  }
  if (interrupted && pending_type &&
      !PyErr_GivenExceptionMatches(pending_type.ptr(), PyExc_KeyboardInterrupt)) {
    // A handler raised something else (SystemExit, ...): re-raise it as it is.
    PyErr_Restore(pending_type.release().ptr(), pending_value.release().ptr(),
                  pending_trace.release().ptr());
    throw py::error_already_set();
  }
  if (error) std::rethrow_exception(error);
  return Outcome<R>{std::move(*result), interrupted, {}};
}

// Returns `out`, or raises nnmip.Interrupted carrying it when the call was interrupted.
py::object finish(py::object out, bool interrupted, const char* what);

// nlohmann::json -> Python (null -> None, arrays -> lists, objects -> dicts).
py::object fromJson(const nlohmann::json& j);

// A list of floats (or None) in a dict -> numpy float64 array, when the key exists.
void arrayField(py::dict& d, const char* key);

}  // namespace nnmip::python
