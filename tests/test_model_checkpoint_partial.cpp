// Keras-style models: load_weights of a file saved before the first step (weights and a fresh
// optimizer) or by an uncompiled model (weights only), still strict about the architecture.
// The model tests are split over the test_model*.cpp files so that each compiles in well under a
// minute: every compiled model instantiates its whole training step (docs/benchmarks.md).
#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <filesystem>
#include <tfx/nn.hpp>

#include "blobs.hpp"

using namespace tfx;

namespace {

// A file in this process's own temporary directory, removed at exit.
std::filesystem::path temp_path(const std::string& name) {
    static const tfxtest::temp_dir dir("tfx_test_model");
    return dir / name;
}

}  // namespace

TEST_CASE("load_weights of a file saved before the first step, or by an uncompiled model", "[model][checkpoint]") {
    auto make = [] {
        auto m = models::sequential(layers::input<4>, layers::dense<6>(activations::relu), layers::dense<3>());
        m.compile(optimizers::adam(0.05f), losses::sparse_categorical_crossentropy{.from_logits = true});
        return m;
    };
    blobs b = make_blobs(32, 8);
    // Saved compiled but untrained (the file has optimizer/iterations = 0 and no slots): loading it
    // into a model that has trained since brings back the weights and a fresh optimizer, so the
    // next steps are those of a new model.
    auto a = make();
    const auto path = temp_path("untrained.npz");
    a.save_weights(path);
    a.fit(b.x, b.y, {.epochs = 2, .verbose = 0});
    a.load_weights(path);
    auto fresh = make();
    CHECK(std::equal(a.layer<0>().kernel.begin(), a.layer<0>().kernel.end(), fresh.layer<0>().kernel.begin()));
    const auto la = a.train_on_batch(b.x, b.y), lf = fresh.train_on_batch(b.x, b.y);
    CHECK(la.at("loss") == lf.at("loss"));
    CHECK(std::equal(a.layer<1>().kernel.begin(), a.layer<1>().kernel.end(), fresh.layer<1>().kernel.begin()));
    // Saved by an uncompiled model (weights only): the weights come back, the optimizer keeps its state.
    auto plain = models::sequential(layers::input<4>, layers::dense<6>(activations::relu), layers::dense<3>());
    const auto wpath = temp_path("weights_only.npz");
    plain.save_weights(wpath);
    auto c = make();
    c.fit(b.x, b.y, {.epochs = 1, .verbose = 0});
    c.load_weights(wpath);
    CHECK(std::equal(c.layer<1>().kernel.begin(), c.layer<1>().kernel.end(), plain.layer<1>().kernel.begin()));
    // Still strict about the weights: another architecture is refused, nothing changes.
    auto other = models::sequential(layers::input<4>, layers::dense<5>(), layers::dense<3>());
    other.compile(optimizers::adam{}, losses::sparse_categorical_crossentropy{.from_logits = true});
    const tensor<float, 4, 5> before = other.layer<0>().kernel;
    CHECK_THROWS_AS(other.load_weights(path), tfx::io_error);
    CHECK_THROWS_AS(other.load_weights(wpath), tfx::io_error);
    CHECK(std::equal(before.begin(), before.end(), other.layer<0>().kernel.begin()));
}
