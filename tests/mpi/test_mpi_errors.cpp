// Data-parallel training over MPI, part of tfx_mpi_tests (main in test_mpi.cpp): a model that differs
// between ranks and a rank that fails in a step end fit on every rank with an error, nothing changed,
// nobody waiting.
#include <catch2/catch.hpp>

#include <string>

#include "../blobs.hpp"
#include "mpi_check.hpp"

using namespace tfx;
using namespace mpitest;

TEST_CASE("a model that differs between the ranks: an error on every rank, nothing changed", "[mpi][model][errors]") {
    const blobs b = make_blobs(64, 13);
    auto run = [&](auto m) {
        const auto before = flat(m);
        std::string what = "(no error)";
        try {
            m.fit(b.x, b.y, {.epochs = 1, .verbose = 0, .strategy = world});
        } catch (const distribute_error& e) {
            what = e.what();
        }
        CHECK(flat(m) == before);
        return what;
    };
    std::string what;
    if (world->rank() == 0) {
        what = run(make_model());
    } else {
        auto other = models::sequential(layers::input<4>, layers::dense<12>(activations::relu), layers::dense<3>());
        other.compile(optimizers::adam{}, losses::sparse_categorical_crossentropy{.from_logits = true});
        what = run(std::move(other));
    }
    INFO(what);
    CHECK_THAT(what, Catch::Contains("tfx: broadcast_variables: the ranks differ in the model's variables: rank 0 has "
                                     "\"dense/kernel [4,16] of 4-byte elements\" where rank 1 has "
                                     "\"dense/kernel [4,12] of 4-byte elements\""));
}

TEST_CASE("a rank that fails in a step: its error there, a clear one on the others, no update anywhere", "[mpi][model][errors]") {
    blobs b = make_blobs(64, 14);
    auto m = make_model();
    m.fit(b.x, b.y, {.epochs = 1, .verbose = 0, .batch_size = 64, .shuffle = false, .strategy = world});  // one step
    // Then batches of 32 in order: rank 1 takes rows 16..31 of the first and 48..63 of the second.
    if (world->rank() == 1) b.y(50) = 7;  // out of range for 3 classes
    const auto before = flat(m);
    std::string what = "(no error)";
    try {
        m.fit(b.x, b.y, {.epochs = 1, .verbose = 0, .batch_size = 32, .shuffle = false, .strategy = world});
    } catch (const std::exception& e) {
        what = e.what();
    }
    INFO(what);
    if (world->rank() == 1) {
        CHECK_THAT(what, Catch::Contains("label 7") && Catch::Contains("out of range [0, 3)"));
    } else {
        CHECK_THAT(what, Catch::Contains("tfx: fit: rank 1 of 2 failed in step 2") &&
                             Catch::Contains("no rank's variables took that step"));
    }
    // The second fit's first step was taken on both ranks alike, the failed one on neither.
    CHECK(same_on_all_ranks(flat(m)));
    CHECK(flat(m) != before);
    CHECK(m.optimizer_iterations() == 2);
}
