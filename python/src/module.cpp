// The extension module nnmip._nnmip: error translation, the Interrupted exception, shared
// helpers, and the bindings of each area (bind_*.cpp). The package nnmip (nnmip/__init__.py)
// re-exports it with the Python-level conveniences.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <vector>

#include "common.hpp"
#include "core/error.hpp"

namespace nnmip::python {

void bindNn(py::module_& m);
void bindSolve(py::module_& m);
void bindBdnn(py::module_& m);
void bindCompare(py::module_& m);

py::object& interruptedType() {
  static py::object type;  // owned for the life of the interpreter (never destroyed)
  return type;
}

bool HookQueue::deliver(const Hooks& hooks, py::object& error_type, py::object& error_value,
                        py::object& error_trace) {
  if (failed_) return false;
  std::vector<std::pair<Level, std::string>> logs;
  std::optional<ProgressEvent> last;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    logs.swap(logs_);
    last.swap(last_);
  }
  static const char* const kLevels[] = {"debug", "info", "warn", "error"};
  try {
    if (hooks.log && !hooks.log.is_none()) {
      for (const auto& [level, message] : logs) {
        hooks.log(kLevels[static_cast<int>(level)], message);
      }
    }
    if (last && hooks.progress && !hooks.progress.is_none()) {
      py::dict d;
      d["phase"] = last->phase;
      d["elapsed_s"] = last->elapsed_s;
      d["incumbent"] = last->incumbent;
      d["bound"] = last->bound;
      d["nodes"] = last->nodes;
      d["done"] = last->done;
      d["total"] = last->total;
      hooks.progress(d);
    }
  } catch (py::error_already_set& e) {
    failed_ = true;
    error_type = e.type();
    error_value = e.value();
    error_trace = e.trace();
    return false;
  }
  return true;
}

py::object finish(py::object out, bool interrupted, const char* what) {
  if (!interrupted) return out;
  py::object exc =
      interruptedType()(std::string(what) + " interrupted; the partial result is in .result");
  exc.attr("result") = out;
  PyErr_SetObject(interruptedType().ptr(), exc.ptr());
  throw py::error_already_set();
}

py::object fromJson(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return py::none();
    case nlohmann::json::value_t::boolean: return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return py::int_(j.get<long long>());
    case nlohmann::json::value_t::number_unsigned: return py::int_(j.get<unsigned long long>());
    case nlohmann::json::value_t::number_float: return py::float_(j.get<double>());
    case nlohmann::json::value_t::string: return py::str(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      py::list l;
      for (const auto& v : j) l.append(fromJson(v));
      return l;
    }
    case nlohmann::json::value_t::object: {
      py::dict d;
      for (const auto& [k, v] : j.items()) d[py::str(k)] = fromJson(v);
      return d;
    }
    default: return py::none();
  }
}

void arrayField(py::dict& d, const char* key) {
  if (!d.contains(key)) return;
  py::object v = d[key];
  if (!py::isinstance<py::list>(v)) return;
  std::vector<double> out;
  for (py::handle e : v) out.push_back(e.is_none() ? NAN : e.cast<double>());
  py::array_t<double> a(static_cast<py::ssize_t>(out.size()));
  std::copy(out.begin(), out.end(), a.mutable_data());
  d[key] = a;
}

}  // namespace nnmip::python

PYBIND11_MODULE(_nnmip, m) {
  namespace py = pybind11;
  using nnmip::python::interruptedType;
  m.doc() = "nnmip: mixed-integer optimisation over neural networks (C++ library bindings)";

  interruptedType() = py::reinterpret_steal<py::object>(PyErr_NewExceptionWithDoc(
      "nnmip.Interrupted",
      "Ctrl-C (or another KeyboardInterrupt from a signal handler) ended a long call; "
      "`.result` holds what it had found.",
      PyExc_KeyboardInterrupt, nullptr));
  m.attr("Interrupted") = interruptedType();

  // ErrorKind -> exception type; the message is the library's one line.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const nnmip::Error& e) {
      PyObject* type = PyExc_RuntimeError;
      switch (e.kind()) {
        case nnmip::ErrorKind::kInvalidInput:
        case nnmip::ErrorKind::kUsage: type = PyExc_ValueError; break;
        case nnmip::ErrorKind::kUnsupported: type = PyExc_NotImplementedError; break;
        case nnmip::ErrorKind::kIo: type = PyExc_OSError; break;
        case nnmip::ErrorKind::kSolver:
        case nnmip::ErrorKind::kInternal: type = PyExc_RuntimeError; break;
      }
      PyErr_SetString(type, e.what());
    }
  });

  nnmip::python::bindNn(m);
  nnmip::python::bindSolve(m);
  nnmip::python::bindBdnn(m);
  nnmip::python::bindCompare(m);
}
