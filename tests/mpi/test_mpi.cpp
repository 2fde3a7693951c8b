// Data-parallel training over MPI (distribute/mpi.hpp), run as `mpirun -np 2 tfx_mpi_tests` (CTest:
// mpi.two_ranks). Every rank runs every test case in the same order, so the collectives match.
// Checked here: shards cover a data set once per epoch; fit with the global batch leaves both ranks
// with identical variables equal (within float tolerance) to one process training on the global
// batch, with the same logs; a rank whose shard ends early takes part until every rank is done.
// The same executable (split for the compiler): test_mpi_errors.cpp (a model that differs between
// ranks, a rank that fails in a step), test_mpi_models.cpp (no allocation in steady state) and
// test_mpi_loops.cpp (custom loops). This file has main.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "../blobs.hpp"
#include "mpi_check.hpp"

using namespace tfx;
using namespace mpitest;

TEST_CASE("two ranks", "[mpi]") {
    REQUIRE(world->num_replicas() == 2);
}

TEST_CASE("each rank's shard: together they hold every element once per epoch", "[mpi][data]") {
    const std::size_t n = 23;
    tensor<std::int64_t, dyn> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids(i) = std::int64_t(i);
    auto mine = data::from_tensor_slices(ids).shard(world->num_replicas(), world->rank()).batch(4);
    for (int epoch = 0; epoch < 2; ++epoch) {
        std::vector<double> seen(n, 0.0);
        for (const auto& b : mine)
            for (auto v : b) seen[std::size_t(v)] += 1;
        world->all_reduce_sum(seen.data(), n);
        CHECK(std::count(seen.begin(), seen.end(), 1.0) == std::ptrdiff_t(n));
    }
}

TEST_CASE("fit with the global batch: identical variables on both ranks, as one process would train", "[mpi][model]") {
    const blobs b = make_blobs(200, 11);  // the same data on every rank
    auto m = make_model();
    auto single = make_model();           // the reference: this process alone, the global batch
    const auto initial = flat(m);
    if (world->rank() == 1)               // rank 1 starts elsewhere: fit broadcasts rank 0's variables
        for (auto& v : m.layer<0>().kernel) v += 1.0f;
    const auto h = m.fit(b.x, b.y, {.epochs = 3, .verbose = 0, .batch_size = 32, .seed = 5, .strategy = world});
    const auto hs = single.fit(b.x, b.y, {.epochs = 3, .verbose = 0, .batch_size = 32, .seed = 5});
    const auto mine = flat(m), ref = flat(single);
    CHECK(same_on_all_ranks(mine));
    CHECK(mine != initial);  // it trained
    CHECK(max_rel_diff(mine, ref) < 1e-4);
    // The logs are the means over every rank's rows: those of the single process, on every rank.
    for (std::size_t e = 0; e < 3; ++e) {
        CHECK(h.epochs[e].at("loss") == Approx(hs.epochs[e].at("loss")).epsilon(1e-4));
        CHECK(h.epochs[e].at("sparse_categorical_accuracy") == Approx(hs.epochs[e].at("sparse_categorical_accuracy")).margin(1e-9));
        CHECK(same_on_all_ranks({h.epochs[e].at("loss"), h.epochs[e].at("sparse_categorical_accuracy")}));
    }
    CHECK(h.at("loss").back() < h.at("loss").front());
    CHECK(m.optimizer_iterations() == 3 * 7);  // ceil(200 / 32) steps per epoch, the same on each rank
}

TEST_CASE("fit on datasets of different lengths: a rank that runs out takes part until all have", "[mpi][model][data]") {
    const blobs b = make_blobs(120, 12);
    // Rank 0: 5 batches of 8; rank 1: 3. The ranks step together 5 times.
    auto ds = data::from_tensor_slices(b.x, b.y).shard(2, world->rank()).take(world->rank() == 0 ? 40 : 24).batch(8);
    auto m = make_model();
    const auto h = m.fit(ds, {.epochs = 2, .verbose = 0, .strategy = world});
    CHECK(same_on_all_ranks(flat(m)));
    CHECK(m.optimizer_iterations() == 2 * 5);
    CHECK(same_on_all_ranks({h.epochs[1].at("loss")}));
}

int main(int argc, char** argv) {
    distribute::mpi_strategy strategy;
    world = &strategy;
    // Both ranks run and report every test; the exit code is non-zero on every rank if either failed.
    const int failed = Catch::Session().run(argc, argv);
    double failures = failed;
    strategy.all_reduce_sum(&failures, 1);
    return failures == 0 ? 0 : 1;
}
