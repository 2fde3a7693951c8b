// Data-parallel training over MPI, part of tfx_mpi_tests (main in test_mpi.cpp; split for the
// compiler): a data-parallel fit step allocates nothing in steady state, metrics' states included.
#include <catch2/catch.hpp>

#include "../blobs.hpp"
#include "mpi_check.hpp"

// operator new is counted (tests/counting_new.hpp); Open MPI allocates with malloc, so the count
// is tfx's and the test's.
#include "../counting_new.hpp"

using namespace tfx;
using namespace mpitest;

TEST_CASE("a data-parallel fit step allocates nothing in steady state (metrics' states included)", "[mpi][model][alloc]") {
    // A binary problem, so that auc (a vector of buckets per threshold) is among the metrics whose
    // states are summed across the ranks for every step's logs.
    const blobs b = make_blobs(256, 21);
    tensor<float, dyn, 1> y(b.y.size());
    for (std::size_t i = 0; i < b.y.size(); ++i) y(i, 0) = b.y(i) == 0 ? 1.0f : 0.0f;
    auto m = models::sequential(layers::input<4>, layers::dense<8>(activations::relu), layers::dense<1>(activations::sigmoid));
    m.compile(optimizers::adam{.learning_rate = 1e-2}, losses::binary_crossentropy{}, metrics::auc{},
              metrics::binary_accuracy{}, metrics::precision{});
    // operator new calls between consecutive batch ends, after the first epoch.
    std::vector<std::size_t> per_step;
    per_step.reserve(64);
    std::size_t last = 0;
    int epoch = 0;
    callbacks::lambda_callback count{
        .on_epoch_begin = [&](callbacks::training_context&, int e) { epoch = e; },
        .on_train_batch_end =
            [&](callbacks::training_context&, std::int64_t batch, const logs&) {
                const std::size_t now = tfx_test::operator_news.load();
                if (epoch > 0 && batch > 0) per_step.push_back(now - last);
                last = tfx_test::operator_news.load();
            }};
    const auto h = m.fit(b.x, y, {.epochs = 3, .verbose = 0, .batch_size = 64, .seed = 3, .callbacks = {count}, .strategy = world});
    REQUIRE(per_step.size() == 2 * 3);  // 256 / 64 = 4 steps per epoch; steps 1..3 of epochs 1 and 2
    for (std::size_t n : per_step) CHECK(n == 0);
    CHECK(h.epochs.back().at("auc") > 0.5);
    CHECK(same_on_all_ranks({h.epochs.back().at("auc"), h.epochs.back().at("loss")}));
}
