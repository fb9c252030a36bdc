// MPS and CPLEX-LP writers. They work on our Model only; no backend is involved.
//
// Conventions (documented for users who hand the files to other solvers):
//  * Names are sanitised: characters outside [A-Za-z0-9_.[]] become '_', a name starting with a
//    digit, '.', 'e' or 'E' gets a '_' prefix (LP format reads those as numbers), unnamed
//    columns / rows become x<i> / r<i>, and duplicates get a "_<i>" suffix. The objective row
//    is called "obj". The same names are used in both formats.
//  * MPS is written in free format and always as a MINIMISATION (CoinMpsIO ignores OBJSENSE,
//    STYLE.md §3.4): for a max problem the objective is negated and the original sense is
//    recorded in a '*' comment. The objective constant C is written as the RHS of the objective
//    row with the usual convention objective = c.x - rhs (CPLEX, Gurobi, HiGHS, CoinMpsIO's
//    objectiveOffset), i.e. rhs = -C in minimisation form, and also in a comment.
//  * LP format keeps the sense (Maximize / Minimize) and writes the constant as a constant term
//    of the objective. Ranged rows (finite lb < ub) become two rows <name>_lo and <name>_hi.
//  * Numbers are written with the shortest representation that reads back to the same double.
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <string>

#include "core/error.hpp"
#include "mip/solver.hpp"

namespace nnmip::mip {
namespace {

std::string sanitise(const std::string& raw) {
  std::string s;
  s.reserve(raw.size() + 1);
  if (!raw.empty() &&
      ((raw[0] >= '0' && raw[0] <= '9') || raw[0] == '.' || raw[0] == 'e' || raw[0] == 'E')) {
    s.push_back('_');  // LP format would read these as numbers
  }
  for (char c : raw) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '[' || c == ']';
    s.push_back(ok ? c : '_');
  }
  return s;
}

struct Names {
  std::vector<std::string> cols;
  std::vector<std::string> rows;
};

Names makeNames(const Model& model) {
  Names names;
  std::set<std::string> used = {"obj"};
  auto unique = [&used](std::string name, const std::string& fallback) {
    if (name.empty()) name = fallback;
    if (!used.insert(name).second) {
      const std::string base = name;
      int k = 1;
      do {
        name = fmt::format("{}_{}", base, k++);
      } while (!used.insert(name).second);
    }
    return name;
  };
  for (int j = 0; j < model.numVars(); ++j) {
    names.cols.push_back(
        unique(sanitise(model.columns()[static_cast<size_t>(j)].name), fmt::format("x{}", j)));
  }
  for (int i = 0; i < model.numRows(); ++i) {
    names.rows.push_back(
        unique(sanitise(model.rows()[static_cast<size_t>(i)].name), fmt::format("r{}", i)));
  }
  return names;
}

std::string num(double v) {
  if (v == 0.0) return "0";  // also turns -0 into 0
  return fmt::format("{}", v);
}

// Per-column list of (row, coef) with duplicate terms summed; row -1 is the objective.
std::vector<std::vector<std::pair<int, double>>> columnEntries(const Model& model,
                                                               double obj_sign) {
  std::vector<std::vector<std::pair<int, double>>> cols(static_cast<size_t>(model.numVars()));
  auto add = [&cols](int row, const Term& t, double sign) {
    auto& col = cols[static_cast<size_t>(t.var.id)];
    if (!col.empty() && col.back().first == row) {
      col.back().second += sign * t.coef;
    } else {
      col.emplace_back(row, sign * t.coef);
    }
  };
  // Objective first, then rows in order, so entries of one row are adjacent in each column
  // except when a row repeats a variable non-adjacently; merge those below.
  for (const Term& t : model.objective().terms) add(-1, t, obj_sign);
  for (int i = 0; i < model.numRows(); ++i) {
    for (const Term& t : model.rows()[static_cast<size_t>(i)].terms) add(i, t, 1.0);
  }
  for (auto& col : cols) {
    std::stable_sort(col.begin(), col.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::pair<int, double>> merged;
    for (const auto& e : col) {
      if (!merged.empty() && merged.back().first == e.first) {
        merged.back().second += e.second;
      } else {
        merged.push_back(e);
      }
    }
    std::erase_if(merged, [](const auto& e) { return e.second == 0.0; });
    col = std::move(merged);
  }
  return cols;
}

}  // namespace

void writeMps(const Model& model, std::ostream& out) {
  validateModel(model);
  const Names names = makeNames(model);
  const bool maximize = model.objective().sense == Sense::kMaximize;
  const double sign = maximize ? -1.0 : 1.0;
  const double constant = model.objective().constant;

  out << "* nnmip model: " << model.numVars() << " columns, " << model.numRows() << " rows\n";
  out << "* original sense: " << (maximize ? "MAXIMIZE" : "MINIMIZE") << "\n";
  if (maximize) {
    out << "* written as a MINIMISATION of the negated objective: original optimum = -(optimum of "
           "this file)\n";
  }
  out << "* objective constant (original sense): " << num(constant)
      << "; written as RHS of row obj, objective = c.x - RHS(obj)\n";
  out << "NAME nnmip\n";
  out << "ROWS\n";
  out << " N obj\n";
  for (int i = 0; i < model.numRows(); ++i) {
    const Constraint& r = model.rows()[static_cast<size_t>(i)];
    const char* type = "N";
    if (r.lb == r.ub) {
      type = "E";
    } else if (std::isfinite(r.ub)) {
      type = "L";  // a finite lb too becomes a RANGES entry
    } else if (std::isfinite(r.lb)) {
      type = "G";
    }
    out << " " << type << " " << names.rows[static_cast<size_t>(i)] << "\n";
  }

  out << "COLUMNS\n";
  const auto cols = columnEntries(model, sign);
  bool in_int = false;
  int marker = 0;
  for (int j = 0; j < model.numVars(); ++j) {
    const bool is_int = model.columns()[static_cast<size_t>(j)].type != VarType::kContinuous;
    if (is_int != in_int) {
      out << "    MARKER" << marker++ << " 'MARKER' " << (is_int ? "'INTORG'" : "'INTEND'") << "\n";
      in_int = is_int;
    }
    const std::string& name = names.cols[static_cast<size_t>(j)];
    const auto& entries = cols[static_cast<size_t>(j)];
    if (entries.empty()) {
      out << "    " << name << " obj 0\n";  // keep the column in the file
    }
    for (const auto& [row, coef] : entries) {
      out << "    " << name << " "
          << (row < 0 ? std::string("obj") : names.rows[static_cast<size_t>(row)]) << " "
          << num(coef) << "\n";
    }
  }
  if (in_int) out << "    MARKER" << marker++ << " 'MARKER' 'INTEND'\n";

  out << "RHS\n";
  if (constant != 0.0) out << "    RHS obj " << num(-sign * constant) << "\n";
  for (int i = 0; i < model.numRows(); ++i) {
    const Constraint& r = model.rows()[static_cast<size_t>(i)];
    double rhs = 0.0;
    if (r.lb == r.ub || std::isfinite(r.ub)) {
      rhs = r.ub;
    } else if (std::isfinite(r.lb)) {
      rhs = r.lb;
    }
    if (rhs != 0.0)
      out << "    RHS " << names.rows[static_cast<size_t>(i)] << " " << num(rhs) << "\n";
  }

  bool ranges_header = false;
  for (int i = 0; i < model.numRows(); ++i) {
    const Constraint& r = model.rows()[static_cast<size_t>(i)];
    if (r.lb != r.ub && std::isfinite(r.lb) && std::isfinite(r.ub)) {
      if (!ranges_header) out << "RANGES\n";
      ranges_header = true;
      // For an L row with rhs ub, range R gives [ub - |R|, ub].
      out << "    RNG " << names.rows[static_cast<size_t>(i)] << " " << num(r.ub - r.lb) << "\n";
    }
  }

  out << "BOUNDS\n";
  for (int j = 0; j < model.numVars(); ++j) {
    const Column& c = model.columns()[static_cast<size_t>(j)];
    const std::string& name = names.cols[static_cast<size_t>(j)];
    const bool is_int = c.type != VarType::kContinuous;
    if (c.type == VarType::kBinary && c.lb == 0.0 && c.ub == 1.0) {
      out << " BV BND " << name << "\n";
    } else if (c.lb == c.ub) {
      out << " FX BND " << name << " " << num(c.lb) << "\n";
    } else if (!std::isfinite(c.lb) && !std::isfinite(c.ub)) {
      out << " FR BND " << name << "\n";
    } else {
      if (!std::isfinite(c.lb)) {
        out << " MI BND " << name << "\n";
      } else if (c.lb != 0.0) {
        out << " LO BND " << name << " " << num(c.lb) << "\n";
      }
      if (std::isfinite(c.ub)) {
        out << " UP BND " << name << " " << num(c.ub) << "\n";
      } else if (is_int) {
        // Some readers default an integer column's upper bound to 1; say +inf explicitly.
        out << " PL BND " << name << "\n";
      }
    }
  }
  out << "ENDATA\n";
}

void writeLp(const Model& model, std::ostream& out) {
  validateModel(model);
  const Names names = makeNames(model);
  const bool maximize = model.objective().sense == Sense::kMaximize;
  constexpr int kTermsPerLine = 8;

  auto writeExpr = [&](const std::vector<std::pair<int, double>>& terms) {
    int on_line = 0;
    bool first = true;
    for (const auto& [col, coef] : terms) {
      if (on_line == kTermsPerLine) {
        out << "\n   ";
        on_line = 0;
      }
      if (first) {
        out << (coef < 0 ? " -" : " ");
      } else {
        out << (coef < 0 ? " - " : " + ");
      }
      const double a = std::abs(coef);
      if (a != 1.0) out << num(a) << " ";
      out << names.cols[static_cast<size_t>(col)];
      first = false;
      ++on_line;
    }
    if (first && model.numVars() > 0) out << " 0 " << names.cols[0];
  };
  auto merged = [](const std::vector<Term>& terms) {
    std::vector<std::pair<int, double>> v;
    for (const Term& t : terms) v.emplace_back(t.var.id, t.coef);
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::pair<int, double>> m;
    for (const auto& e : v) {
      if (!m.empty() && m.back().first == e.first) {
        m.back().second += e.second;
      } else {
        m.push_back(e);
      }
    }
    std::erase_if(m, [](const auto& e) { return e.second == 0.0; });
    return m;
  };

  out << "\\ nnmip model: " << model.numVars() << " columns, " << model.numRows() << " rows\n";
  out << (maximize ? "Maximize\n" : "Minimize\n");
  out << " obj:";
  writeExpr(merged(model.objective().terms));
  const double constant = model.objective().constant;
  if (constant != 0.0) out << (constant < 0 ? " - " : " + ") << num(std::abs(constant));
  out << "\nSubject To\n";
  for (int i = 0; i < model.numRows(); ++i) {
    const Constraint& r = model.rows()[static_cast<size_t>(i)];
    const std::string& name = names.rows[static_cast<size_t>(i)];
    const auto terms = merged(r.terms);
    auto emit = [&](const std::string& row_name, const char* op, double rhs) {
      out << " " << row_name << ":";
      writeExpr(terms);
      out << " " << op << " " << num(rhs) << "\n";
    };
    if (r.lb == r.ub) {
      emit(name, "=", r.lb);
    } else if (std::isfinite(r.lb) && std::isfinite(r.ub)) {
      emit(name + "_lo", ">=", r.lb);
      emit(name + "_hi", "<=", r.ub);
    } else if (std::isfinite(r.ub)) {
      emit(name, "<=", r.ub);
    } else if (std::isfinite(r.lb)) {
      emit(name, ">=", r.lb);
    } else {
      out << "\\ row " << name << " is free and omitted\n";
    }
  }
  out << "Bounds\n";
  for (int j = 0; j < model.numVars(); ++j) {
    const Column& c = model.columns()[static_cast<size_t>(j)];
    const std::string& name = names.cols[static_cast<size_t>(j)];
    if (c.type == VarType::kBinary && c.lb == 0.0 && c.ub == 1.0) continue;  // Binaries section
    if (c.lb == c.ub) {
      out << " " << name << " = " << num(c.lb) << "\n";
    } else if (!std::isfinite(c.lb) && !std::isfinite(c.ub)) {
      out << " " << name << " free\n";
    } else if (!std::isfinite(c.lb)) {
      out << " -inf <= " << name << " <= " << num(c.ub) << "\n";
    } else if (!std::isfinite(c.ub)) {
      if (c.lb != 0.0) out << " " << name << " >= " << num(c.lb) << "\n";
    } else {
      out << " " << num(c.lb) << " <= " << name << " <= " << num(c.ub) << "\n";
    }
  }
  bool header = false;
  for (int j = 0; j < model.numVars(); ++j) {
    const Column& c = model.columns()[static_cast<size_t>(j)];
    if (c.type == VarType::kBinary && c.lb == 0.0 && c.ub == 1.0) {
      if (!header) out << "Binaries\n";
      header = true;
      out << " " << names.cols[static_cast<size_t>(j)] << "\n";
    }
  }
  header = false;
  for (int j = 0; j < model.numVars(); ++j) {
    const Column& c = model.columns()[static_cast<size_t>(j)];
    if (c.type == VarType::kContinuous ||
        (c.type == VarType::kBinary && c.lb == 0.0 && c.ub == 1.0)) {
      continue;
    }
    if (!header) out << "Generals\n";
    header = true;
    out << " " << names.cols[static_cast<size_t>(j)] << "\n";
  }
  out << "End\n";
}

void writeModelFile(const Model& model, const std::string& path) {
  namespace fs = std::filesystem;
  std::string ext = fs::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext != ".mps" && ext != ".lp") {
    fail(ErrorKind::kInvalidInput, "cannot tell the model format of '{}': use .mps or .lp", path);
  }
  static std::atomic<long> counter{0};
  const std::string tmp =
      fmt::format("{}.tmp{}_{}", path, static_cast<long>(::getpid()), counter.fetch_add(1));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(ErrorKind::kIo, "cannot open '{}' for writing", tmp);
    try {
      if (ext == ".mps") {
        writeMps(model, out);
      } else {
        writeLp(model, out);
      }
    } catch (...) {
      out.close();
      std::remove(tmp.c_str());
      throw;
    }
    out.flush();
    if (!out) {
      out.close();
      std::remove(tmp.c_str());
      fail(ErrorKind::kIo, "error while writing '{}'", tmp);
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    fail(ErrorKind::kIo, "cannot rename '{}' to '{}': {}", tmp, path, ec.message());
  }
}

}  // namespace nnmip::mip
