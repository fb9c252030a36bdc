#pragma once
// The --domain argument of the commands that range over an input domain (bounds, export-mps,
// adversarial), parsed once: box:LO,HI | linf:REF,EPS | vnnlib:FILE |
// neighbours:REF[,eps=][,m=][,p=]; REF is an MNIST test-set index or a text file of numbers.
#include <optional>
#include <string>
#include <vector>

#include "bounds/box.hpp"
#include "cli/commands.hpp"

namespace nnmip::cli {

extern const char* const kDomainHelp;  // --help text of --domain

struct DomainSpec {
  std::string kind;                      // "box", "linf", "vnnlib", "neighbours"
  bounds::Box box;                       // validated for `n` inputs
  std::optional<bounds::Vec> reference;  // REF of linf / neighbours
};

// Throws Error{kInvalidInput} (bad spec, wrong size) or Error{kIo} (unreadable REF file).
DomainSpec parseDomainSpec(const std::string& spec, int n, const GlobalOptions& g);
bounds::Box parseDomain(const std::string& spec, int n, const GlobalOptions& g);

// A reference input: an MNIST test index (in --data-dir), or a text file of numbers.
bounds::Vec readReference(const std::string& ref, const GlobalOptions& g);
std::vector<std::string> splitComma(const std::string& s);
// The whole of `s` as a number, else Error{kInvalidInput} naming `what`.
double parseNumber(const std::string& s, const std::string& what);

}  // namespace nnmip::cli
