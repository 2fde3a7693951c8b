// A failure on one rank that the others cannot learn of (here a callback that throws on rank 1 only,
// after its first step): fit must end the whole job (MPI_Abort) with that rank's message, instead of
// leaving rank 0 waiting in the next step's allreduce. CTest mpi.abort_one_rank checks the message
// and, by its timeout, that nothing hangs. Exits 0 only if fit returned, which is the bug.
#include <cstdio>
#include <stdexcept>
#include <tfx/distribute/mpi.hpp>
#include <tfx/nn.hpp>

using namespace tfx;

int main() {
    distribute::mpi_strategy strategy;
    random::generator gen{3};
    tensor<float, dyn, 4> x = random::normal<float, dyn, 4>(gen, 0.0, 1.0, 64);
    tensor<std::int64_t, dyn> y(64);
    for (std::size_t i = 0; i < 64; ++i) y(i) = x(i, 0) > 0 ? 1 : 0;
    auto model = models::sequential(layers::input<4>, layers::dense<2>());
    model.compile(optimizers::sgd{}, losses::sparse_categorical_crossentropy{.from_logits = true});
    const int rank = strategy.rank();
    model.fit(x, y, {.epochs = 2, .verbose = 0, .batch_size = 16,
                     .callbacks = {callbacks::lambda_callback{.on_train_batch_end = [rank](auto&, std::int64_t, const auto&) {
                         if (rank == 1) throw std::runtime_error("disk full (a test's callback on rank 1)");
                     }}},
                     .strategy = &strategy});
    std::printf("fit returned on rank %d: the failure did not end the job\n", rank);
    return 0;
}
