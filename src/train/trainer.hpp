#pragma once
// Mini-batch training of dense ReLU networks (softmax / binary cross-entropy, Adam or SGD,
// L1/L2 penalty on the weights), reproducible bit for bit.
//
// Determinism: epoch e shuffles with Rng(epochSeed(seed, e)); each batch is split into
// `grad_chunks` fixed row ranges whose gradients are computed independently (on up to
// `threads` threads) and summed in chunk order, so the weights depend on the seed and on
// grad_chunks but never on the thread count. Eigen runs single-threaded inside each chunk.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <vector>

#include "core/callbacks.hpp"
#include "data/dataset.hpp"
#include "nn/network.hpp"
#include "train/backprop.hpp"
#include "train/optimizer.hpp"

namespace nnmip::train {

struct TrainOptions {
  int epochs = 50;
  int batch_size = 128;  // the last batch of an epoch may be smaller
  uint64_t seed = 1;     // shuffles only; initialisation is makeMlp's business
  OptimizerOptions optimizer;
  Objective objective;     // loss + penalty
  bool train_bias = true;  // false: biases keep their value (zero for a bias-free network)
  int threads = 1;         // worker threads for gradient chunks and evaluation
  int grad_chunks = 2;     // fixed split of each batch (see the header comment)
};

struct EpochStats {
  int epoch = 0;              // 1-based
  double loss = 0;            // mean over batches of (data loss + scaled penalty)
  double data_loss = 0;       // mean over batches of the data loss alone
  double train_accuracy = 0;  // running: each batch scored before its update (Keras habit)
  double val_accuracy = std::numeric_limits<double>::quiet_NaN();  // NaN without validation set
  double seconds = 0;    // wall time of the epoch, evaluation included
  long steps = 0;        // optimizer steps so far
  bool complete = true;  // false when should_stop interrupted the epoch
};

// JSON of one epoch's statistics: {"epoch", "loss", "data_loss", "train_accuracy",
// "val_accuracy" (null without validation set), "seconds", "complete"}.
void to_json(nlohmann::json& j, const EpochStats& s);

struct TrainResult {
  std::vector<EpochStats> epochs;  // the epochs this call ran (not those a checkpoint held)
  double seconds = 0;
  bool stopped = false;      // should_stop was honoured
  int completed_epochs = 0;  // complete epochs of the network, resumed ones included
  int resumed_epochs = 0;    // complete epochs the resumed checkpoint held (0: from scratch)
};

// Where a long run keeps its state between epochs.
struct CheckpointOptions {
  std::filesystem::path path;  // written after every complete epoch; empty: no checkpoints
  bool resume = false;         // start from `path` when it exists, else from scratch
};

// Seed of epoch e's shuffle (splitmix64 of seed and e).
uint64_t epochSeed(uint64_t seed, int epoch);

// Share of rows whose nn::predictClasses class equals the label (NaN for an empty set).
double evaluateAccuracy(const nn::Network& net, const data::Dataset& set, int threads = 1);

// Checks that the data set's labels fit the network's outputs (Error{kInvalidInput}).
void checkDatasetFits(const nn::Network& net, const data::Dataset& set, LossKind loss);

class Trainer {
 public:
  // Keeps a reference to net, which it updates in place.
  Trainer(nn::Network& net, const TrainOptions& options);

  // Runs epoch completedEpochs() + 1. Reports one on_log line per epoch and on_progress per
  // batch (phase "epoch e/E", done/total = batches of this epoch).
  EpochStats runEpoch(const data::Dataset& train, const data::Dataset* val,
                      const Callbacks& callbacks = {});

  int completedEpochs() const { return epoch_; }
  const TrainOptions& options() const { return options_; }
  const Optimizer& optimizer() const { return optimizer_; }

  // Network weights, optimizer state and epoch count, written atomically (tmp + rename).
  void saveCheckpoint(const std::filesystem::path& path) const;
  // Restores what saveCheckpoint wrote; the network must have the same shapes and the
  // options the same batch size, seed, optimizer, chunking and lambda scale (Error{kInvalidInput}).
  void loadCheckpoint(const std::filesystem::path& path);

 private:
  nn::Network& net_;
  TrainOptions options_;
  Optimizer optimizer_;
  int epoch_ = 0;
  std::vector<Gradients> chunk_grads_;
};

// Runs options.epochs epochs (or until should_stop).
TrainResult train(nn::Network& net, const data::Dataset& train, const data::Dataset* val,
                  const TrainOptions& options, const Callbacks& callbacks = {});

// The same with per-epoch checkpoints: resumes from checkpoint.path when asked and the file
// exists, then runs epochs until options.epochs are complete in all (or until should_stop),
// saving the checkpoint after each complete epoch. An interrupted epoch is not saved, so a
// resumed run repeats it and ends with the weights of an uninterrupted run. Reports the resume
// through on_log. The caller removes the checkpoint once it no longer needs it.
TrainResult trainWithCheckpoints(nn::Network& net, const data::Dataset& train,
                                 const data::Dataset* val, const TrainOptions& options,
                                 const CheckpointOptions& checkpoint,
                                 const Callbacks& callbacks = {});

}  // namespace nnmip::train
