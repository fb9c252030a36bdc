#include "core/error.hpp"

namespace nnmip {

const char* errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput: return "invalid input";
    case ErrorKind::kUnsupported: return "unsupported";
    case ErrorKind::kIo: return "i/o error";
    case ErrorKind::kSolver: return "solver failure";
    case ErrorKind::kInternal: return "internal error";
    case ErrorKind::kUsage: return "usage error";
  }
  return "error";
}

int exitCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage: return 2;
    case ErrorKind::kInvalidInput:
    case ErrorKind::kUnsupported:
    case ErrorKind::kIo: return 3;
    case ErrorKind::kSolver: return 4;
    case ErrorKind::kInternal: return 1;
  }
  return 1;
}

}  // namespace nnmip
