#include <cmath>

#include "compare/compare.hpp"
#include "core/error.hpp"
#include "nn/forward.hpp"
#include "nn/prune.hpp"

namespace nnmip::compare {

std::vector<CertifyLevel> certifyPrune(const nn::Network& net, const Eigen::MatrixXd& images,
                                       const std::vector<int>& labels,
                                       const Eigen::MatrixXd& test_X,
                                       const std::vector<int>& test_y,
                                       const CertifyPruneOptions& options,
                                       const std::function<void(const CertifyLevel&)>& on_level,
                                       const Callbacks& callbacks) {
  if (images.rows() != static_cast<Eigen::Index>(labels.size()) || images.rows() == 0) {
    fail(ErrorKind::kInvalidInput, "certify-prune: {} images and {} labels", images.rows(),
         labels.size());
  }
  if (!(options.radius > 0.0 && options.radius <= 1.0)) {
    fail(ErrorKind::kInvalidInput, "certify-prune: radius {} (need 0 < r <= 1)", options.radius);
  }
  std::vector<CertifyLevel> out;
  for (double percent : options.levels) {
    if (!(percent >= 0.0 && percent <= 100.0)) {
      fail(ErrorKind::kInvalidInput, "certify-prune: level {} (need 0..100)", percent);
    }
    nn::Network pruned = net;
    nn::pruneByPercent(pruned, percent, nn::PruneScope::kGlobal);
    CertifyLevel lv;
    lv.percent = percent;
    lv.total = static_cast<int>(images.rows());
    if (test_X.rows() > 0) {
      const std::vector<int> pred = nn::predictClasses(pruned, test_X);
      long right = 0;
      for (size_t i = 0; i < pred.size(); ++i) right += pred[i] == test_y[i];
      lv.accuracy = static_cast<double>(right) / static_cast<double>(pred.size());
    }
    for (Eigen::Index r = 0; r < images.rows(); ++r) {
      const Eigen::VectorXd x0 = images.row(r).transpose();
      const encode::Domain dom(encode::Box((x0.array() - options.radius).max(0.0).matrix(),
                                           (x0.array() + options.radius).min(1.0).matrix()));
      CompareOptions o = options.compare;
      bool ok = false;
      std::string status;
      if (options.max_diff) {
        o.comparator = Comparator::kMaxDiff;
        const CompareResult res = compareNetworks(net, pruned, dom, x0, o, callbacks);
        ok = res.bound <= *options.max_diff;  // the dual bound, never the incumbent
        lv.worst = std::isnan(lv.worst) ? res.bound : std::max(lv.worst, res.bound);
        status = res.status;
      } else {
        o.comparator = Comparator::kMinEps;
        o.weak = true;
        o.eps_max = options.radius;
        o.class0 = labels[static_cast<size_t>(r)];
        const CompareResult res = compareNetworks(net, pruned, dom, x0, o, callbacks);
        ok = res.status == "infeasible" && res.proven;
        status = res.status;
      }
      lv.certified += ok ? 1 : 0;
      lv.statuses.push_back(status);
    }
    lv.all = lv.certified == lv.total;
    if (on_level) on_level(lv);
    out.push_back(lv);
  }
  return out;
}

}  // namespace nnmip::compare
