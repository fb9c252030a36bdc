#include "verify/bab_node.hpp"

namespace nnmip::verify::bab {
namespace {

// A std::map entry: the value plus the red-black tree node's colour and three links.
constexpr std::size_t kMapEntryOverhead = 4 * sizeof(void*);

template <class T>
std::size_t vectorBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

}  // namespace

std::size_t Node::bytes() const {
  std::size_t n = sizeof(Node);
  n += splits.size() * (sizeof(decltype(splits)::value_type) + kMapEntryOverhead);
  n += vectorBytes(bounds);
  for (const encode::LayerBounds& b : bounds) {
    n += static_cast<std::size_t>(b.lo.size() + b.hi.size()) * sizeof(double);
  }
  n += vectorBytes(open) + vectorBytes(ub);
  n += vectorBytes(slopes.rows) + vectorBytes(slopes.layers);
  for (const bounds::SlopeState::Layer& l : slopes.layers) {
    n += vectorBytes(l.alpha_idx) + vectorBytes(l.beta_idx);
    n += static_cast<std::size_t>(l.alpha.size() + l.beta.size()) * sizeof(float);
  }
  return n;
}

Context::Context(const nn::Network& n, const encode::Box& b, const std::vector<Atoms>& d,
                 const BabOptions& o)
    : net(n), box(b), disjuncts(d), opt(o), spec(d, n.outputSize()), base(b) {
  const int last = n.numLayers() - 1;
  last_relaxed = encode::isReluLayer(n.layer(last)) ? last : last - 1;
}

encode::Domain Context::domainOf(const Node& node) const {
  encode::Domain d = base;
  d.splits = node.splits;
  return d;
}

SpecRows specRows(const Spec& spec, const std::vector<int>& open) {
  SpecRows r;
  r.ids = spec.rowsOf(open);
  r.C = spec.C(r.ids, Eigen::all);
  r.c0 = -spec.rhs(r.ids);
  return r;
}

int countUnstable(const Context& c, const std::vector<encode::LayerBounds>& b) {
  int n = 0;
  for (int i = 0; i <= c.last_relaxed; ++i) {
    if (!encode::isReluLayer(c.net.layer(i))) continue;
    const encode::LayerBounds& lb = b[static_cast<size_t>(i)];
    for (int j = 0; j < lb.size(); ++j) n += lb.lo[j] < 0.0 && lb.hi[j] > 0.0;
  }
  return n;
}

}  // namespace nnmip::verify::bab
