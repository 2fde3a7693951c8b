// Keras-style models: save_weights/load_weights round trip the weights and the optimizer; a checkpoint
// of another architecture is refused and changes nothing. Partial files: test_model_checkpoint_partial.cpp.
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

TEST_CASE("save_weights and load_weights round trip the model and the optimizer", "[model][checkpoint]") {
    auto make = [] {
        auto m = models::sequential(layers::input<4>, layers::dense<6>(activations::relu), layers::batch_norm(), layers::dense<3>());
        m.compile(optimizers::adam{}, losses::sparse_categorical_crossentropy{.from_logits = true});
        return m;
    };
    auto a = make();
    blobs b = make_blobs(32, 6);
    a.fit(b.x, b.y, {.epochs = 2, .verbose = 0});
    const auto path = temp_path("roundtrip.npz");
    a.save_weights(path);
    auto c = make();
    c.load_weights(path);
    tensor<float, dyn, 3> pa = a.predict(b.x), pc = c.predict(b.x);
    for (std::size_t i = 0; i < pa.size(); ++i) CHECK(pc.data()[i] == pa.data()[i]);
    // The next step is the same too: the optimizer's moments and iterations came back.
    const auto la = a.train_on_batch(b.x, b.y), lc = c.train_on_batch(b.x, b.y);
    CHECK(la.at("loss") == lc.at("loss"));
    CHECK(std::equal(a.layer<0>().kernel.begin(), a.layer<0>().kernel.end(), c.layer<0>().kernel.begin()));
    // A checkpoint of another architecture is refused and changes nothing.
    auto other = models::sequential(layers::input<4>, layers::dense<5>(), layers::dense<3>());
    other.compile(optimizers::adam{}, losses::sparse_categorical_crossentropy{.from_logits = true});
    tensor<float, 4, 5> before = other.layer<0>().kernel;
    CHECK_THROWS_AS(other.load_weights(path), tfx::error);
    CHECK(std::equal(before.begin(), before.end(), other.layer<0>().kernel.begin()));
}
