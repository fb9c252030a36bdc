// Stand-alone MNIST trainer for batch machines: the same code path and seeds as
// `nnmip train --dataset mnist` (init Rng(seed), validation split shuffleSplit(train, 1 - vf,
// seed ^ 0x5eed), Trainer with batch 128, Adam, 2 gradient chunks), but with no CBC/ONNX
// dependency, so it can be linked fully static (see scripts/train_thesis_nets.sh) and run on a
// machine without nnmip's packages. It writes a Trainer checkpoint after every epoch and
// resumes from it; `nnmip train ... --resume -o X.onnx` with the checkpoint at X.onnx.ckpt then
// finishes the run (0 epochs left) and writes the ONNX file and the metrics.
//
// usage: train_mnist_runner DATA_DIR CKPT ARCH REG LAMBDA EPOCHS SEED DEADLINE_S [THREADS]
// Prints one line per epoch: epoch loss data_loss train_acc val_acc seconds.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "data/mnist.hpp"
#include "train/mlp.hpp"
#include "train/trainer.hpp"

int main(int argc, char** argv) {
  using namespace nnmip;
  if (argc < 9) {
    std::fprintf(stderr,
                 "usage: %s DATA_DIR CKPT ARCH REG LAMBDA EPOCHS SEED DEADLINE_S [THREADS]\n",
                 argv[0]);
    return 2;
  }
  try {
    Timer clock;
    const std::string data_dir = argv[1];
    const std::string ckpt = argv[2];
    const std::vector<int> hidden = train::parseArch(argv[3]);
    train::TrainOptions o;
    o.objective.reg = train::parseRegularization(argv[4]);
    o.objective.lambda = std::atof(argv[5]);
    o.epochs = std::atoi(argv[6]);
    o.seed = std::strtoull(argv[7], nullptr, 10);
    const double deadline = std::atof(argv[8]);
    o.threads = argc > 9 ? std::atoi(argv[9]) : 1;
    const double val_fraction = 0.1;

    data::Dataset all = data::readMnist(data_dir, true);
    const data::Dataset test = data::readMnist(data_dir, false);
    data::Split s = data::shuffleSplit(all, 1.0 - val_fraction, o.seed ^ 0x5eedULL);
    all = {};
    Rng rng(o.seed);
    nn::Network net = train::makeMlp(784, hidden, 10, true, rng);
    train::Trainer trainer(net, o);
    if (std::filesystem::exists(ckpt)) trainer.loadCheckpoint(ckpt);
    std::printf("# %s %s lambda %g seed %llu: starting after epoch %d (%.1fs)\n", argv[3],
                argv[4], o.objective.lambda, static_cast<unsigned long long>(o.seed),
                trainer.completedEpochs(), clock.seconds());
    std::fflush(stdout);
    Callbacks cb;
    cb.should_stop = [&] { return clock.seconds() > deadline; };
    while (trainer.completedEpochs() < o.epochs) {
      const train::EpochStats e = trainer.runEpoch(s.train, &s.test, cb);
      if (!e.complete) break;
      trainer.saveCheckpoint(ckpt);
      std::printf("%d %.6f %.6f %.5f %.5f %.2f\n", e.epoch, e.loss, e.data_loss,
                  e.train_accuracy, e.val_accuracy, e.seconds);
      std::fflush(stdout);
    }
    const bool done = trainer.completedEpochs() >= o.epochs;
    std::printf("# %s after epoch %d: test acc %.5f (double weights), %.1fs\n",
                done ? "done" : "partial", trainer.completedEpochs(),
                train::evaluateAccuracy(net, test, o.threads), clock.seconds());
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 3;
  }
}
