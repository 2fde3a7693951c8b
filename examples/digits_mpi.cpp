// Data-parallel training over MPI: the demo's MLP trained by several processes, each reading its own
// shard of the digits training data, with the gradients averaged across them every step
// (distribute::mpi_strategy, docs/distribute.md). Only rank 0 prints the progress bar and writes the
// checkpoint; every rank ends with the same variables.
//
//   mpirun -np 2 ./digits_mpi [digits.csv.gz] [out]        (as root: add --allow-run-as-root)
#include <algorithm>
#include <cstdio>
#include <vector>

#include <tfx/distribute/mpi.hpp>
#include <tfx/nn.hpp>

#include "digits_data.hpp"

using namespace tfx;

int main(int argc, char** argv) {
    distribute::mpi_strategy strategy;  // MPI_Init (MPI_Finalize at exit)
    const int rank = strategy.rank(), ranks = strategy.num_replicas();
    const std::string path = argc > 1 ? argv[1] : TFX_DIGITS_CSV;
    const std::string out = argc > 2 ? argv[2] : "digits_mpi_out";
    digits::dataset all = digits::load(path);

    // Every rank makes the same fixed 80/20 split.
    auto [x_train, x_test, y_train, y_test] = digits::split(all, 42);
    const std::size_t n_train = y_train.size(), n_test = y_test.size();
    if (rank == 0) std::printf("digits over MPI: %d ranks, %zu training images (one shard each), %zu test\n\n", ranks, n_train, n_test);

    auto mlp = models::sequential(layers::input<64>, layers::dense<128>(activations::relu), layers::dense<10>());
    mlp.compile(optimizers::adam{.learning_rate = 1e-3},
                losses::sparse_categorical_crossentropy{.from_logits = true},
                metrics::sparse_categorical_accuracy{});
    // This rank's shard, shuffled and batched: 32 per rank, 32 * ranks per step in all.
    auto train = data::from_tensor_slices(x_train, y_train).shard(ranks, rank).shuffle(2048, 42).batch(32);
    mlp.fit(train, {.epochs = 20,
                    .validation_data = std::tie(x_test, y_test),
                    .callbacks = {callbacks::model_checkpoint{.filepath = out + "/mlp.npz"}},
                    .strategy = &strategy});

    // The ranks hold the same variables: each one's sum, compared on every rank.
    double mine = 0;
    mlp.for_each_variable([&](std::string_view, const auto& t) {
        for (auto v : t) mine += double(v);
    });
    std::vector<double> sums(static_cast<std::size_t>(ranks));
    strategy.all_gather(&mine, sums.data(), sizeof mine);
    const bool agree = std::all_of(sums.begin(), sums.end(), [&](double s) { return s == sums[0]; });
    const double acc = mlp.evaluate(x_test, y_test).at("sparse_categorical_accuracy");
    if (rank == 0)
        std::printf("\ntest accuracy: MLP %.4f; the %d ranks' variables %s; checkpoint %s/mlp.npz\n", acc, ranks,
                    agree ? "agree" : "DIFFER", out.c_str());
    return acc >= 0.95 && agree ? 0 : 1;
}
