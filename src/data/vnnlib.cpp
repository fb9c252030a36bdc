#include "data/vnnlib.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/memory.hpp"

namespace nnmip::data {
namespace {

constexpr size_t kMaxDisjuncts = 1u << 20;
constexpr size_t kMaxAtoms = 1u << 22;
// Largest X_i / Y_j index (the ONNX reader's limit on a network's inputs too).
constexpr int kMaxIndex = (1 << 26) - 1;

// A place in the file, 1-based, for messages "<file>:<line>:<col>: ...". The column counts bytes.
struct Pos {
  int line = 1;
  int col = 1;
};

// ---- S-expressions --------------------------------------------------------------------------

struct SExpr {
  std::string atom;  // empty for a list
  std::vector<SExpr> items;
  Pos pos;
  bool isList() const { return atom.empty(); }
};

class Parser {
 public:
  Parser(std::string_view text, const std::string& origin) : text_(text), origin_(origin) {}

  template <typename... Args>
  [[noreturn]] void failAt(ErrorKind kind, Pos at, fmt::format_string<Args...> f,
                           Args&&... args) const {
    fail(kind, "{}:{}:{}: {}", origin_, at.line, at.col,
         fmt::format(f, std::forward<Args>(args)...));
  }

  // Where the text ends (for problems of the whole file).
  Pos end() const { return here(); }

  // Next top-level expression, or nullopt at the end of the text.
  std::optional<SExpr> next() {
    if (pos_ == 0 && text_.substr(0, 3) == "\xEF\xBB\xBF") {
      pos_ = 3;  // a UTF-8 byte order mark
      line_start_ = 3;
    }
    skipSpace();
    if (pos_ >= text_.size()) return std::nullopt;
    return parse(0);
  }

 private:
  void skipSpace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ';') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
        if (c == '\n') {
          ++line_;
          line_start_ = pos_;
        }
      } else {
        return;
      }
    }
  }
  SExpr parse(int depth) {
    if (depth > 200) failAt(ErrorKind::kUnsupported, here(), "expressions nested too deeply");
    skipSpace();
    if (pos_ >= text_.size()) failAt(ErrorKind::kInvalidInput, here(), "unexpected end of file");
    SExpr e;
    e.pos = here();
    const char c = text_[pos_];
    if (c == ')') failAt(ErrorKind::kInvalidInput, here(), "unbalanced ')'");
    if (c == '(') {
      const Pos open = here();
      ++pos_;
      for (;;) {
        skipSpace();
        if (pos_ >= text_.size()) {
          failAt(ErrorKind::kInvalidInput, open, "'(' is never closed (truncated file?)");
        }
        if (text_[pos_] == ')') {
          ++pos_;
          break;
        }
        e.items.push_back(parse(depth + 1));
      }
      return e;
    }
    const size_t start = pos_;
    while (pos_ < text_.size()) {
      const char d = text_[pos_];
      if (d == '(' || d == ')' || d == ';' || d == ' ' || d == '\t' || d == '\r' || d == '\n')
        break;
      ++pos_;
    }
    e.atom = std::string(text_.substr(start, pos_ - start));
    return e;
  }

  Pos here() const { return Pos{line_, static_cast<int>(pos_ - line_start_) + 1}; }

  std::string_view text_;
  const std::string& origin_;
  size_t pos_ = 0;
  size_t line_start_ = 0;  // offset of the current line's first byte
  int line_ = 1;
};

std::optional<double> parseNumber(const std::string& s) {
  if (s.empty()) return std::nullopt;
  const char c = s[0];
  if (!(c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'))) return std::nullopt;
  const char* b = s.data() + (c == '+' ? 1 : 0);
  const char* e = s.data() + s.size();
  double v = 0.0;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e) return std::nullopt;
  return v;
}

// ---- linear expressions ---------------------------------------------------------------------

enum class VarKind { kInput, kOutput };

struct Linear {
  std::map<std::pair<VarKind, int>, double> coef;
  double constant = 0.0;
  void add(const Linear& o, double scale) {
    for (const auto& [k, v] : o.coef) coef[k] += scale * v;
    constant += scale * o.constant;
  }
  bool isConstant() const {
    for (const auto& [k, v] : coef) {
      if (v != 0.0) return false;
    }
    return true;
  }
};

// An atom normalised to  lin <= 0 (lin < 0 when strict: written with < or >).
struct Atom {
  Linear lin;
  Pos pos;
  bool strict = false;
};

using Conj = std::vector<Atom>;
using Dnf = std::vector<Conj>;

class Builder {
 public:
  Builder(const Parser& p, const std::string& origin) : p_(p), origin_(origin) {}

  void declare(const SExpr& e) {
    if (e.items.size() != 3 || e.items[1].isList()) {
      p_.failAt(ErrorKind::kInvalidInput, e.pos, "expected (declare-const NAME Real)");
    }
    if (e.items[2].atom != "Real") {
      p_.failAt(ErrorKind::kUnsupported, e.pos, "only Real constants are supported, got '{}'",
                e.items[2].isList() ? "(...)" : e.items[2].atom);
    }
    const auto [kind, index] = varName(e.items[1].atom, e.items[1].pos);
    auto& declared = kind == VarKind::kInput ? inputs_ : outputs_;
    const auto [it, added] = declared.emplace(index, e.items[1].pos);
    if (!added) {
      p_.failAt(ErrorKind::kInvalidInput, e.items[1].pos, "'{}' declared twice (first at line {})",
                e.items[1].atom, it->second.line);
    }
  }

  void assertion(const SExpr& e) {
    if (e.items.size() != 2) p_.failAt(ErrorKind::kInvalidInput, e.pos, "expected (assert F)");
    Dnf d = toDnf(e.items[1]);
    // Classify: all atoms over inputs, or all over outputs.
    bool has_in = false, has_out = false;
    for (const Conj& c : d) {
      for (const Atom& a : c) {
        for (const auto& [k, v] : a.lin.coef) {
          if (v == 0.0) continue;
          (k.first == VarKind::kInput ? has_in : has_out) = true;
        }
      }
    }
    if (has_in && has_out) {
      p_.failAt(ErrorKind::kUnsupported, e.pos,
                "an assert mixing input (X) and output (Y) constraints is not supported");
    }
    Dnf& target = has_in ? input_dnf_ : output_dnf_;
    if (has_in || has_out) {
      target = conjoin(std::move(target), d, e.pos);
    } else {
      // Constant formula: keep it with the outputs (it only decides satisfiable or not).
      output_dnf_ = conjoin(std::move(output_dnf_), d, e.pos);
    }
  }

  VnnlibProperty finish(Pos end) {
    VnnlibProperty prop;
    prop.warnings = std::move(warnings_);
    // A variable used but not declared, reported where it is first used.
    for (const auto& [key, at] : first_use_) {
      const auto& declared = key.first == VarKind::kInput ? inputs_ : outputs_;
      if (declared.count(key.second) == 0) {
        p_.failAt(ErrorKind::kInvalidInput, at, "{}_{} is used but not declared",
                  key.first == VarKind::kInput ? 'X' : 'Y', key.second);
      }
    }
    // A gap in the declared indices, reported at the declaration after the gap.
    // (A map, not a vector indexed by the index: a tiny file declaring X_67108863 must not
    // allocate for 2^26 names.)
    auto check_dense = [&](const std::map<int, Pos>& declared, const char* name) {
      int expected = 0;
      for (const auto& [index, at] : declared) {
        if (index != expected) {
          p_.failAt(ErrorKind::kInvalidInput, at,
                    "{}_{} is declared but {}_{} is not (indices must be 0..n-1)", name, index,
                    name, expected);
        }
        ++expected;
      }
    };
    check_dense(inputs_, "X");
    check_dense(outputs_, "Y");
    if (inputs_.empty()) p_.failAt(ErrorKind::kInvalidInput, end, "no input X_i declared");
    if (outputs_.empty()) p_.failAt(ErrorKind::kInvalidInput, end, "no output Y_j declared");
    prop.num_inputs = static_cast<int>(inputs_.size());
    prop.num_outputs = static_cast<int>(outputs_.size());

    // Input boxes.
    checkMemoryEstimate(
        16.0 * static_cast<double>(input_dnf_.size()) * static_cast<double>(inputs_.size()),
        ErrorKind::kUnsupported,
        fmt::format("{}: {} input boxes of {} inputs", origin_, input_dnf_.size(), inputs_.size()));
    const double inf = std::numeric_limits<double>::infinity();
    for (const Conj& c : input_dnf_) {
      InputBox box{std::vector<double>(inputs_.size(), -inf),
                   std::vector<double>(inputs_.size(), inf)};
      bool empty = false;
      for (const Atom& a : c) {
        int var = -1;
        double k = 0.0;
        for (const auto& [key, v] : a.lin.coef) {
          if (v == 0.0) continue;
          if (var >= 0) {
            p_.failAt(ErrorKind::kUnsupported, a.pos,
                      "input constraints must bound a single X_i (box constraints only)");
          }
          var = key.second;
          k = v;
        }
        if (var < 0) {
          if (a.lin.constant > 0.0) empty = true;
          continue;
        }
        // k x + c <= 0
        const double bound = -a.lin.constant / k;
        const size_t i = static_cast<size_t>(var);
        if (k > 0) {
          box.hi[i] = std::min(box.hi[i], bound);
        } else {
          box.lo[i] = std::max(box.lo[i], bound);
        }
      }
      if (empty) continue;
      for (size_t i = 0; i < inputs_.size(); ++i) {
        if (!std::isfinite(box.lo[i]) || !std::isfinite(box.hi[i])) {
          p_.failAt(
              ErrorKind::kInvalidInput, inputs_.at(static_cast<int>(i)),
              "X_{} needs a finite lower and upper bound{}", i,
              input_dnf_.size() > 1 ? fmt::format(" in every input disjunct") : std::string());
        }
        if (box.lo[i] > box.hi[i]) {
          p_.failAt(ErrorKind::kInvalidInput, inputs_.at(static_cast<int>(i)),
                    "X_{} has lower bound {} above upper bound {}", i, box.lo[i], box.hi[i]);
        }
      }
      prop.input_boxes.push_back(std::move(box));
    }
    if (prop.input_boxes.empty()) {
      p_.failAt(ErrorKind::kInvalidInput, end, "the input constraints are unsatisfiable");
    }
    prop.input_lo = prop.input_boxes[0].lo;
    prop.input_hi = prop.input_boxes[0].hi;
    for (const InputBox& b : prop.input_boxes) {
      for (size_t i = 0; i < inputs_.size(); ++i) {
        prop.input_lo[i] = std::min(prop.input_lo[i], b.lo[i]);
        prop.input_hi[i] = std::max(prop.input_hi[i], b.hi[i]);
      }
    }

    // Output disjuncts.
    for (const Conj& c : output_dnf_) {
      std::vector<LinearAtom> atoms;
      bool unsat = false;
      for (const Atom& a : c) {
        if (a.lin.isConstant()) {
          if (a.lin.constant > 0.0) unsat = true;
          // 0 < 0 (e.g. (< Y_0 Y_0)): true in the VNN-COMP reading, false as written. Kept as
          // the atom 0 . y < 0 (which every y satisfies non-strictly), so that a strict check
          // of a counterexample sees it.
          if (a.strict && a.lin.constant == 0.0) {
            LinearAtom zero;
            zero.coef.assign(outputs_.size(), 0.0);
            zero.strict = true;
            atoms.push_back(std::move(zero));
          }
          continue;
        }
        LinearAtom la;
        la.coef.assign(outputs_.size(), 0.0);
        for (const auto& [key, v] : a.lin.coef) la.coef[static_cast<size_t>(key.second)] += v;
        la.rhs = -a.lin.constant;
        la.strict = a.strict;
        atoms.push_back(std::move(la));
      }
      if (!unsat) prop.unsafe_disjuncts.push_back(std::move(atoms));
    }
    return prop;
  }

 private:
  std::pair<VarKind, int> varName(const std::string& s, Pos at) const {
    if (s.size() >= 3 && (s[0] == 'X' || s[0] == 'Y') && s[1] == '_' && s[2] >= '0' &&
        s[2] <= '9') {
      const char* end = s.data() + s.size();
      const char* digits = s.data() + 2;
      if (std::all_of(digits, end, [](char c) { return c >= '0' && c <= '9'; })) {
        long long idx = 0;
        auto [p, ec] = std::from_chars(digits, end, idx);
        if (ec != std::errc() || idx > kMaxIndex) {
          p_.failAt(ErrorKind::kUnsupported, at, "index of '{}' is out of range (at most {})", s,
                    kMaxIndex);
        }
        return {s[0] == 'X' ? VarKind::kInput : VarKind::kOutput, static_cast<int>(idx)};
      }
    }
    p_.failAt(ErrorKind::kUnsupported, at, "unknown name '{}' (expected X_<i> or Y_<j>)", s);
  }

  Linear term(const SExpr& e) {
    Linear l;
    if (!e.isList()) {
      if (auto v = parseNumber(e.atom)) {
        if (!std::isfinite(*v)) p_.failAt(ErrorKind::kInvalidInput, e.pos, "non-finite number");
        l.constant = *v;
        return l;
      }
      const auto key = varName(e.atom, e.pos);
      first_use_.emplace(key, e.pos);
      l.coef[key] = 1.0;
      return l;
    }
    if (e.items.empty() || e.items[0].isList()) {
      p_.failAt(ErrorKind::kInvalidInput, e.pos, "expected an operator in a term");
    }
    const std::string& op = e.items[0].atom;
    const size_t n = e.items.size() - 1;
    if (op == "+") {
      for (size_t k = 1; k <= n; ++k) l.add(term(e.items[k]), 1.0);
    } else if (op == "-") {
      if (n == 0) p_.failAt(ErrorKind::kInvalidInput, e.pos, "'-' without arguments");
      if (n == 1) {
        l.add(term(e.items[1]), -1.0);
      } else {
        l.add(term(e.items[1]), 1.0);
        for (size_t k = 2; k <= n; ++k) l.add(term(e.items[k]), -1.0);
      }
    } else if (op == "*") {
      l.constant = 1.0;
      for (size_t k = 1; k <= n; ++k) {
        const Linear f = term(e.items[k]);
        if (f.isConstant()) {
          for (auto& [key, v] : l.coef) v *= f.constant;
          l.constant *= f.constant;
        } else if (l.isConstant()) {
          const double c = l.constant;
          l = Linear{};
          l.add(f, c);
        } else {
          p_.failAt(ErrorKind::kUnsupported, e.pos, "non-linear product");
        }
      }
    } else {
      p_.failAt(ErrorKind::kUnsupported, e.pos, "unsupported term operator '{}'", op);
    }
    return l;
  }

  static size_t atomCount(const Dnf& d) {
    size_t n = 0;
    for (const Conj& c : d) n += c.size();
    return n;
  }

  Dnf conjoin(Dnf a, const Dnf& b, Pos line) const {
    // Every conjunction of a times every one of b: |b| atoms(a) + |a| atoms(b) atoms in all,
    // checked before the product is built (a short file can ask for billions).
    const double atoms = static_cast<double>(b.size()) * static_cast<double>(atomCount(a)) +
                         static_cast<double>(a.size()) * static_cast<double>(atomCount(b));
    if (atoms > static_cast<double>(kMaxAtoms)) {
      p_.failAt(ErrorKind::kUnsupported, line,
                "formula too large in disjunctive normal form (more than {} atoms)", kMaxAtoms);
    }
    if (b.size() == 1) {  // the common case: append in place
      for (Conj& x : a) x.insert(x.end(), b[0].begin(), b[0].end());
      return a;
    }
    Dnf out;
    if (a.size() * b.size() > kMaxDisjuncts) {
      p_.failAt(ErrorKind::kUnsupported, line, "formula too large in disjunctive normal form");
    }
    for (const Conj& x : a) {
      for (const Conj& y : b) {
        Conj c = x;
        c.insert(c.end(), y.begin(), y.end());
        out.push_back(std::move(c));
      }
    }
    return out;
  }

  Dnf toDnf(const SExpr& e) {
    if (!e.isList() || e.items.empty() || e.items[0].isList()) {
      if (!e.isList() && e.atom == "true") return Dnf{Conj{}};
      if (!e.isList() && e.atom == "false") {
        warn(e.pos, "'false': the formula can never hold");
        return Dnf{};
      }
      p_.failAt(ErrorKind::kInvalidInput, e.pos, "expected a formula");
    }
    const std::string& op = e.items[0].atom;
    if (op == "and") {
      Dnf d{Conj{}};
      for (size_t k = 1; k < e.items.size(); ++k)
        d = conjoin(std::move(d), toDnf(e.items[k]), e.pos);
      return d;
    }
    if (op == "or") {
      if (e.items.size() == 1) {
        warn(e.pos, "(or) without disjuncts is false: the formula can never hold");
      }
      Dnf d;
      for (size_t k = 1; k < e.items.size(); ++k) {
        Dnf s = toDnf(e.items[k]);
        if (d.size() + s.size() > kMaxDisjuncts) {
          p_.failAt(ErrorKind::kUnsupported, e.pos, "formula too large in disjunctive normal form");
        }
        for (Conj& c : s) d.push_back(std::move(c));
      }
      return d;
    }
    if (op == "<=" || op == ">=" || op == "<" || op == ">" || op == "=") {
      if (e.items.size() != 3) {
        p_.failAt(ErrorKind::kInvalidInput, e.pos, "'{}' takes two arguments", op);
      }
      const Linear a = term(e.items[1]);
      const Linear b = term(e.items[2]);
      Atom le;  // a - b <= 0
      le.pos = e.pos;
      le.lin.add(a, 1.0);
      le.lin.add(b, -1.0);
      Atom ge;  // b - a <= 0
      ge.pos = e.pos;
      ge.lin.add(b, 1.0);
      ge.lin.add(a, -1.0);
      le.strict = ge.strict = op == "<" || op == ">";
      if (op == "<=" || op == "<") return Dnf{Conj{le}};
      if (op == ">=" || op == ">") return Dnf{Conj{ge}};
      return Dnf{Conj{le, ge}};
    }
    p_.failAt(ErrorKind::kUnsupported, e.pos, "unsupported operator '{}'", op);
  }

  void warn(Pos at, const std::string& what) {
    warnings_.push_back(fmt::format("{}:{}:{}: {}", origin_, at.line, at.col, what));
  }

  const Parser& p_;
  const std::string& origin_;
  std::map<int, Pos> inputs_;  // index -> where it is declared
  std::map<int, Pos> outputs_;
  std::map<std::pair<VarKind, int>, Pos> first_use_;
  std::vector<std::string> warnings_;
  Dnf input_dnf_{Conj{}};  // "true": one empty conjunction
  Dnf output_dnf_{Conj{}};
};

}  // namespace

VnnlibProperty parseVnnlib(std::string_view text, const std::string& origin) {
  Parser parser(text, origin);
  Builder builder(parser, origin);
  while (auto e = parser.next()) {
    if (!e->isList() || e->items.empty() || e->items[0].isList()) {
      parser.failAt(ErrorKind::kInvalidInput, e->pos,
                    "expected (declare-const ...) or (assert ...)");
    }
    const std::string& head = e->items[0].atom;
    if (head == "declare-const") {
      builder.declare(*e);
    } else if (head == "assert") {
      builder.assertion(*e);
    } else {
      parser.failAt(ErrorKind::kUnsupported, e->pos, "unsupported command '{}'", head);
    }
  }
  return builder.finish(parser.end());
}

VnnlibProperty readVnnlib(const std::filesystem::path& path) {
  const std::string text = readInputFile(path, kMaxTextInputBytes);
  try {
    return parseVnnlib(text, path.string());
  } catch (const std::bad_alloc&) {
    fail(ErrorKind::kInvalidInput, "{}: the property is too large to parse (out of memory)",
         path.string());
  }
}

bool VnnlibProperty::outputUnsafe(const std::vector<double>& y, double tol) const {
  for (const auto& conj : unsafe_disjuncts) {
    bool all = true;
    for (const LinearAtom& a : conj) {
      double s = 0.0;
      for (size_t j = 0; j < a.coef.size() && j < y.size(); ++j) s += a.coef[j] * y[j];
      if (s > a.rhs + tol) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

bool VnnlibProperty::hasStrictOutputAtoms() const {
  for (const auto& conj : unsafe_disjuncts) {
    for (const LinearAtom& a : conj) {
      if (a.strict) return true;
    }
  }
  return false;
}

bool VnnlibProperty::outputUnsafeStrict(const std::vector<double>& y) const {
  for (const auto& conj : unsafe_disjuncts) {
    bool all = true;
    for (const LinearAtom& a : conj) {
      double s = 0.0;
      for (size_t j = 0; j < a.coef.size() && j < y.size(); ++j) s += a.coef[j] * y[j];
      if (a.strict ? !(s < a.rhs) : !(s <= a.rhs)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

bool VnnlibProperty::inputInside(const std::vector<double>& x, double tol) const {
  for (const InputBox& b : input_boxes) {
    bool in = x.size() == b.lo.size();
    for (size_t i = 0; in && i < x.size(); ++i) in = x[i] >= b.lo[i] - tol && x[i] <= b.hi[i] + tol;
    if (in) return true;
  }
  return false;
}

}  // namespace nnmip::data
