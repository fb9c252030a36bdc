#include "train/trainer.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "nn/forward.hpp"

namespace nnmip::train {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

constexpr char kCheckpointMagic[8] = {'N', 'N', 'M', 'I', 'P', 'C', 'K', '1'};

}  // namespace

uint64_t epochSeed(uint64_t seed, int epoch) {
  return splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(epoch));
}

double evaluateAccuracy(const nn::Network& net, const data::Dataset& set, int threads) {
  if (set.size() == 0) return std::numeric_limits<double>::quiet_NaN();
  return data::accuracy(nn::predictClasses(net, set.X, threads), set.y);
}

void checkDatasetFits(const nn::Network& net, const data::Dataset& set, LossKind loss) {
  if (set.features() != net.inputSize()) {
    fail(ErrorKind::kInvalidInput, "data set '{}' has {} features, the network expects {}",
         set.name, set.features(), net.inputSize());
  }
  if (static_cast<int>(set.y.size()) != set.size()) {
    fail(ErrorKind::kInvalidInput, "data set '{}' has {} rows but {} labels", set.name, set.size(),
         set.y.size());
  }
  const int outputs = net.outputSize();
  const int classes = outputs == 1 ? 2 : outputs;
  if (outputs == 1 && loss != LossKind::kBinaryCrossEntropy) {
    fail(ErrorKind::kInvalidInput, "a single-output network needs the binary cross-entropy loss");
  }
  for (const int y : set.y) {
    if (y < 0 || y >= classes) {
      fail(ErrorKind::kInvalidInput, "data set '{}' has label {}, the network has {} output(s)",
           set.name, y, outputs);
    }
  }
}

Trainer::Trainer(nn::Network& net, const TrainOptions& options)
    : net_(net), options_(options), optimizer_(net, options.optimizer) {
  checkTrainable(net);
  net.validate("training network");
  if (options.batch_size <= 0) {
    fail(ErrorKind::kInvalidInput, "batch size must be positive, got {}", options.batch_size);
  }
  if (options.epochs < 0) fail(ErrorKind::kInvalidInput, "epochs must be >= 0");
  if (options.grad_chunks <= 0) fail(ErrorKind::kInvalidInput, "grad_chunks must be positive");
  if (options.threads <= 0) fail(ErrorKind::kInvalidInput, "threads must be positive");
  if (!(options.objective.lambda >= 0.0) || !std::isfinite(options.objective.lambda)) {
    fail(ErrorKind::kInvalidInput, "lambda must be finite and >= 0, got {}",
         options.objective.lambda);
  }
  chunk_grads_.resize(static_cast<size_t>(options.grad_chunks));
}

EpochStats Trainer::runEpoch(const data::Dataset& train, const data::Dataset* val,
                             const Callbacks& callbacks) {
  checkDatasetFits(net_, train, options_.objective.loss);
  if (val && val->size() > 0) checkDatasetFits(net_, *val, options_.objective.loss);
  if (train.size() == 0) fail(ErrorKind::kInvalidInput, "training set is empty");

  Timer timer;
  const int epoch = epoch_ + 1;
  Rng rng(epochSeed(options_.seed, epoch));
  const std::vector<int> order = rng.permutation(train.size());
  const int n = train.size();
  const int bs = options_.batch_size;
  const long batches = (n + bs - 1) / bs;
  const Objective& obj = options_.objective;
  const bool penalised = obj.reg != Regularization::kNone && obj.lambda > 0.0;

  EpochStats stats;
  stats.epoch = epoch;
  Mat xb;
  std::vector<int> yb;
  std::vector<double> chunk_loss(chunk_grads_.size());
  std::vector<long> chunk_correct(chunk_grads_.size());
  double loss_sum = 0, data_sum = 0;
  long correct = 0, seen = 0, done = 0;
  for (long b = 0; b < batches; ++b) {
    if (callbacks.stopRequested()) {
      stats.complete = false;
      break;
    }
    const int begin = static_cast<int>(b * bs);
    const int len = std::min(bs, n - begin);
    xb.resize(len, train.features());
    yb.resize(static_cast<size_t>(len));
    for (int i = 0; i < len; ++i) {
      const int r = order[static_cast<size_t>(begin + i)];
      xb.row(i) = train.X.row(r);
      yb[static_cast<size_t>(i)] = train.y[static_cast<size_t>(r)];
    }
    const int chunks = std::min(options_.grad_chunks, len);
    const double scale = 1.0 / len;
    parallelFor(chunks, options_.threads, [&](int c) {
      const int c0 = static_cast<int>(static_cast<long>(len) * c / chunks);
      const int c1 = static_cast<int>(static_cast<long>(len) * (c + 1) / chunks);
      const auto ci = static_cast<size_t>(c);
      chunk_loss[ci] = dataLossSum(
          net_, xb.middleRows(c0, c1 - c0),
          std::span<const int>(yb).subspan(static_cast<size_t>(c0), static_cast<size_t>(c1 - c0)),
          obj.loss, scale, &chunk_grads_[ci], &chunk_correct[ci]);
    });
    // Fixed reduction order: chunk 0, then 1, ...
    Gradients& g = chunk_grads_[0];
    double batch_loss = chunk_loss[0];
    long batch_correct = chunk_correct[0];
    for (int c = 1; c < chunks; ++c) {
      g += chunk_grads_[static_cast<size_t>(c)];
      batch_loss += chunk_loss[static_cast<size_t>(c)];
      batch_correct += chunk_correct[static_cast<size_t>(c)];
    }
    batch_loss /= len;
    double penalty = 0.0;
    if (penalised) {
      const double lambda = stepLambda(obj.lambda, obj.scale, len, n);
      penalty = penaltyValue(net_, obj.reg, lambda);
      for (int l = 0; l < net_.numLayers(); ++l) {
        addPenaltyGradient(net_.layer(l).weight, obj.reg, lambda, g.weight[static_cast<size_t>(l)]);
      }
    }
    if (!std::isfinite(batch_loss)) {
      fail(ErrorKind::kInvalidInput, "training diverged: loss {} at epoch {} batch {}", batch_loss,
           epoch, b + 1);
    }
    optimizer_.step(net_, g, options_.train_bias);
    data_sum += batch_loss;
    loss_sum += batch_loss + penalty;
    correct += batch_correct;
    seen += len;
    ++done;
    ProgressEvent ev;
    ev.phase = fmt::format("epoch {}/{}", epoch, options_.epochs);
    ev.elapsed_s = timer.seconds();
    ev.incumbent = data_sum / static_cast<double>(done);
    ev.done = b + 1;
    ev.total = batches;
    callbacks.progress(ev);
  }
  if (done > 0) {
    stats.loss = loss_sum / static_cast<double>(done);
    stats.data_loss = data_sum / static_cast<double>(done);
    stats.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
  }
  stats.steps = optimizer_.state().step;
  if (stats.complete) {
    epoch_ = epoch;
    if (val && val->size() > 0) stats.val_accuracy = evaluateAccuracy(net_, *val, options_.threads);
  }
  stats.seconds = timer.seconds();
  const std::string val_text = std::isnan(stats.val_accuracy)
                                   ? std::string()
                                   : fmt::format(" val acc {:.4f}", stats.val_accuracy);
  callbacks.log(Level::kInfo,
                fmt::format("epoch {:>3}{} loss {:.5f} (data {:.5f}) train acc {:.4f}{} {:.1f}s",
                            epoch, stats.complete ? "" : " (interrupted)", stats.loss,
                            stats.data_loss, stats.train_accuracy, val_text, stats.seconds));
  return stats;
}

namespace {

void writeI64(std::ostream& os, int64_t v) { os.write(reinterpret_cast<const char*>(&v), 8); }
int64_t readI64(std::istream& is) {
  int64_t v = 0;
  is.read(reinterpret_cast<char*>(&v), 8);
  return v;
}
template <typename M>
void writeMat(std::ostream& os, const M& m) {
  writeI64(os, m.rows());
  writeI64(os, m.cols());
  os.write(reinterpret_cast<const char*>(m.data()),
           static_cast<std::streamsize>(sizeof(double) * static_cast<size_t>(m.size())));
}
template <typename M>
void readMat(std::istream& is, M& m, const std::string& what) {
  const int64_t r = readI64(is);
  const int64_t c = readI64(is);
  if (!is || r != m.rows() || c != m.cols()) {
    fail(ErrorKind::kInvalidInput, "checkpoint {}: shape {}x{} does not match {}x{}", what, r, c,
         m.rows(), m.cols());
  }
  is.read(reinterpret_cast<char*>(m.data()),
          static_cast<std::streamsize>(sizeof(double) * static_cast<size_t>(m.size())));
}

int64_t optionsFingerprint(const TrainOptions& o) {
  uint64_t h = splitmix64(o.seed);
  h = splitmix64(h ^ static_cast<uint64_t>(o.batch_size));
  h = splitmix64(h ^ static_cast<uint64_t>(o.grad_chunks));
  h = splitmix64(h ^ static_cast<uint64_t>(o.optimizer.kind));
  // Only a non-default scale enters, so checkpoints written before it existed still load.
  if (o.objective.scale != LambdaScale::kMean) {
    h = splitmix64(h ^ (0x5ca1eULL + static_cast<uint64_t>(o.objective.scale)));
  }
  return static_cast<int64_t>(h >> 1);
}

}  // namespace

void Trainer::saveCheckpoint(const std::filesystem::path& path) const {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    if (!os) fail(ErrorKind::kIo, "cannot write checkpoint {}", tmp.string());
    os.write(kCheckpointMagic, sizeof(kCheckpointMagic));
    writeI64(os, optionsFingerprint(options_));
    writeI64(os, epoch_);
    writeI64(os, optimizer_.state().step);
    writeI64(os, net_.numLayers());
    const OptimizerState& st = optimizer_.state();
    for (int l = 0; l < net_.numLayers(); ++l) {
      const auto li = static_cast<size_t>(l);
      writeMat(os, net_.layer(l).weight);
      writeMat(os, net_.layer(l).bias);
      writeMat(os, st.first.weight[li]);
      writeMat(os, st.first.bias[li]);
      const bool adam = !st.second.weight.empty();
      writeI64(os, adam ? 1 : 0);
      if (adam) {
        writeMat(os, st.second.weight[li]);
        writeMat(os, st.second.bias[li]);
      }
    }
    if (!os) fail(ErrorKind::kIo, "error while writing checkpoint {}", tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    fail(ErrorKind::kIo, "cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message());
}

void Trainer::loadCheckpoint(const std::filesystem::path& path) {
  std::ifstream is(path, std::ios::binary);
  if (!is) fail(ErrorKind::kIo, "cannot open checkpoint {}", path.string());
  char magic[sizeof(kCheckpointMagic)] = {};
  is.read(magic, sizeof(magic));
  if (!is || std::memcmp(magic, kCheckpointMagic, sizeof(magic)) != 0) {
    fail(ErrorKind::kInvalidInput, "{} is not an nnmip training checkpoint", path.string());
  }
  if (readI64(is) != optionsFingerprint(options_)) {
    fail(ErrorKind::kInvalidInput,
         "checkpoint {} was written with another seed, batch size, optimizer, chunking or "
         "lambda scale",
         path.string());
  }
  const int64_t epoch = readI64(is);
  const int64_t step = readI64(is);
  if (readI64(is) != net_.numLayers()) {
    fail(ErrorKind::kInvalidInput, "checkpoint {} has another layer count", path.string());
  }
  // Read into copies so a bad file leaves the trainer untouched.
  nn::Network net = net_;
  OptimizerState st = optimizer_.state();
  auto& layers = net.mutableLayers();
  for (size_t l = 0; l < layers.size(); ++l) {
    readMat(is, layers[l].weight, "weight");
    readMat(is, layers[l].bias, "bias");
    readMat(is, st.first.weight[l], "moment");
    readMat(is, st.first.bias[l], "moment");
    const bool adam = readI64(is) == 1;
    if (adam != !st.second.weight.empty()) {
      fail(ErrorKind::kInvalidInput, "checkpoint {} was written by another optimizer",
           path.string());
    }
    if (adam) {
      readMat(is, st.second.weight[l], "moment");
      readMat(is, st.second.bias[l], "moment");
    }
  }
  if (!is) fail(ErrorKind::kInvalidInput, "checkpoint {} is truncated", path.string());
  st.step = step;
  net.validate(path.string());
  net_ = std::move(net);
  optimizer_.mutableState() = std::move(st);
  epoch_ = static_cast<int>(epoch);
}

TrainResult train(nn::Network& net, const data::Dataset& train_set, const data::Dataset* val,
                  const TrainOptions& options, const Callbacks& callbacks) {
  return trainWithCheckpoints(net, train_set, val, options, CheckpointOptions{}, callbacks);
}

TrainResult trainWithCheckpoints(nn::Network& net, const data::Dataset& train_set,
                                 const data::Dataset* val, const TrainOptions& options,
                                 const CheckpointOptions& checkpoint, const Callbacks& callbacks) {
  Timer timer;
  Trainer trainer(net, options);
  TrainResult result;
  if (checkpoint.resume) {
    NNMIP_CHECK(!checkpoint.path.empty(), "resume needs a checkpoint path");
    if (std::filesystem::exists(checkpoint.path)) {
      trainer.loadCheckpoint(checkpoint.path);
      result.resumed_epochs = trainer.completedEpochs();
      callbacks.log(Level::kInfo, fmt::format("resumed from {} after epoch {}",
                                              checkpoint.path.string(), result.resumed_epochs));
    } else {
      callbacks.log(Level::kInfo, fmt::format("no checkpoint {}, starting from scratch",
                                              checkpoint.path.string()));
    }
  }
  while (trainer.completedEpochs() < options.epochs) {
    result.epochs.push_back(trainer.runEpoch(train_set, val, callbacks));
    if (!result.epochs.back().complete || callbacks.stopRequested()) {
      result.stopped = true;
      break;
    }
    if (!checkpoint.path.empty()) trainer.saveCheckpoint(checkpoint.path);
  }
  result.completed_epochs = trainer.completedEpochs();
  result.seconds = timer.seconds();
  return result;
}

void to_json(nlohmann::json& j, const EpochStats& s) {
  j = nlohmann::json{{"epoch", s.epoch},
                     {"loss", s.loss},
                     {"data_loss", s.data_loss},
                     {"train_accuracy", s.train_accuracy},
                     {"val_accuracy", std::isnan(s.val_accuracy) ? nlohmann::json(nullptr)
                                                                 : nlohmann::json(s.val_accuracy)},
                     {"seconds", s.seconds},
                     {"complete", s.complete}};
}

}  // namespace nnmip::train
