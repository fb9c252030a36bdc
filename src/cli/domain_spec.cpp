// The --domain argument, parsed once for every command (moved here from cmd_bounds.cpp).
#include "cli/domain_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "cli/datasets.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "data/vnnlib.hpp"

namespace nnmip::cli {

const char* const kDomainHelp =
    "input domain: box:LO,HI (every input in [LO,HI]) | linf:REF,EPS (L-inf ball around REF "
    "clipped to [0,1]) | vnnlib:FILE (the property's input box; the hull of several boxes) | "
    "neighbours:REF[,eps=0.18][,m=3][,p=2] (thesis 3.2.1: box [(1-eps)avg, min(1,(1+eps)avg)] "
    "of the mean over an m x m window, zero padding p). REF is an MNIST test-set index or a "
    "text file of whitespace/comma-separated values";

std::vector<std::string> splitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

double parseNumber(const std::string& s, const std::string& what) {
  double v = 0.0;
  const char* b = s.data() + (!s.empty() && s[0] == '+' ? 1 : 0);
  const auto [p, ec] = std::from_chars(b, s.data() + s.size(), v);
  if (!s.empty() && ec == std::errc() && p == s.data() + s.size() && std::isfinite(v)) return v;
  fail(ErrorKind::kInvalidInput, "{}: '{}' is not a finite number", what, s);
}

// A reference input: an MNIST test index, or a text file of numbers.
bounds::Vec readReference(const std::string& ref, const GlobalOptions& g) {
  // An index: digits, with a sign or not (a negative one is out of range, not a file name).
  const size_t sign = !ref.empty() && (ref[0] == '-' || ref[0] == '+') ? 1 : 0;
  if (ref.size() > sign && std::all_of(ref.begin() + static_cast<long>(sign), ref.end(),
                                       [](char c) { return c >= '0' && c <= '9'; })) {
    DatasetRequest req;
    req.name = "mnist";
    req.split = "test";
    req.data_dir = g.data_dir;
    const data::Dataset ds = loadDataset(req);
    long idx = -1;
    const auto [p, ec] =
        std::from_chars(ref.data() + (ref[0] == '+' ? 1 : 0), ref.data() + ref.size(), idx);
    if (ec != std::errc() || idx < 0 || idx >= ds.size()) {
      fail(ErrorKind::kInvalidInput, "reference index {} out of range 0..{} (MNIST test set)", ref,
           ds.size() - 1);
    }
    return ds.X.row(idx).transpose();
  }
  std::istringstream in(readInputFile(ref, kMaxTextInputBytes));
  std::vector<double> v;
  std::string tok;
  while (in >> tok) {
    for (const std::string& part : splitComma(tok)) {
      if (!part.empty()) v.push_back(parseNumber(part, ref));
    }
  }
  return Eigen::Map<const bounds::Vec>(v.data(), static_cast<Eigen::Index>(v.size()));
}

DomainSpec parseDomainSpec(const std::string& spec, int n, const GlobalOptions& g) {
  const size_t colon = spec.find(':');
  if (colon == std::string::npos) {
    fail(ErrorKind::kInvalidInput, "domain '{}': expected KIND:ARGS ({})", spec, kDomainHelp);
  }
  const std::string kind = spec.substr(0, colon);
  const std::string rest = spec.substr(colon + 1);
  DomainSpec out;
  out.kind = kind == "neighbors" ? "neighbours" : kind;
  bounds::Box& box = out.box;
  if (kind == "box") {
    const auto p = splitComma(rest);
    if (p.size() != 2) fail(ErrorKind::kInvalidInput, "domain '{}': expected box:LO,HI", spec);
    const double lo = parseNumber(p[0], "box lower bound");
    const double hi = parseNumber(p[1], "box upper bound");
    box.lo = bounds::Vec::Constant(n, lo);
    box.hi = bounds::Vec::Constant(n, hi);
  } else if (kind == "linf") {
    const size_t comma = rest.rfind(',');
    if (comma == std::string::npos) {
      fail(ErrorKind::kInvalidInput, "domain '{}': expected linf:REF,EPS", spec);
    }
    out.reference = readReference(rest.substr(0, comma), g);
    box = bounds::linfBall(*out.reference, parseNumber(rest.substr(comma + 1), "linf radius"));
  } else if (kind == "vnnlib") {
    const data::VnnlibProperty p = data::readVnnlib(rest);
    box = bounds::Box(p.input_lo, p.input_hi, fmt::format("domain '{}'", spec));
  } else if (kind == "neighbours" || kind == "neighbors") {
    auto parts = splitComma(rest);
    if (parts.empty()) fail(ErrorKind::kInvalidInput, "domain '{}': missing REF", spec);
    bounds::NeighboursParams np;
    for (size_t i = 1; i < parts.size(); ++i) {
      const size_t eq = parts[i].find('=');
      const std::string key = parts[i].substr(0, eq);
      const std::string val = eq == std::string::npos ? "" : parts[i].substr(eq + 1);
      // Each value checked before use: a cast of NaN or 1e300 to int is undefined.
      const double x = parseNumber(val, fmt::format("domain '{}': neighbours {}", spec, key));
      if (key == "eps") {
        if (!(x >= 0.0 && x <= 1.0)) {
          fail(ErrorKind::kInvalidInput, "domain '{}': eps must lie in [0, 1], got {}", spec, val);
        }
        np.eps = x;
      } else if (key == "m" || key == "p") {
        if (!(x == std::floor(x) && x >= (key == "m" ? 1 : 0) && x <= 64)) {
          fail(ErrorKind::kInvalidInput, "domain '{}': {} must be an integer between {} and 64",
               spec, key, key == "m" ? 1 : 0);
        }
        (key == "m" ? np.m : np.p) = static_cast<int>(x);
      } else {
        fail(ErrorKind::kInvalidInput, "domain '{}': unknown neighbours option '{}'", spec, key);
      }
    }
    const bounds::Vec img = readReference(parts[0], g);
    const int side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(img.size()))));
    box = bounds::neighboursBox(img, side, side, np);
    out.reference = img;
  } else {
    fail(ErrorKind::kInvalidInput, "domain '{}': unknown kind '{}' ({})", spec, kind, kDomainHelp);
  }
  box.validate(fmt::format("domain '{}'", spec), n);
  if (out.reference && out.reference->size() != n) {
    fail(ErrorKind::kInvalidInput, "domain '{}': the reference has {} values, expected {}", spec,
         out.reference->size(), n);
  }
  return out;
}

bounds::Box parseDomain(const std::string& spec, int n, const GlobalOptions& g) {
  return parseDomainSpec(spec, n, g).box;
}

}  // namespace nnmip::cli
