// Keras-style models: int32 class ids train, evaluate and fail exactly like int64 ones.
// The model tests are split over the test_model*.cpp files so that each compiles in well under a
// minute: every compiled model instantiates its whole training step (docs/benchmarks.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tfx/nn.hpp>

#include "blobs.hpp"

using namespace tfx;

TEST_CASE("int32 class ids train, evaluate and fail exactly like int64 ones", "[model]") {
    // The model widens int32 ids into int64 before the step (one compiled step per sparse loss):
    // same weights bit for bit, same metrics, same error.
    blobs b = make_blobs(40, 11);
    tensor<std::int32_t, dyn> y32(b.y.shape()[0]);
    std::transform(b.y.begin(), b.y.end(), y32.begin(), [](std::int64_t v) { return std::int32_t(v); });
    auto make = [] {
        auto m = models::sequential(layers::input<4>, layers::dense<6>(activations::relu), layers::dense<3>());
        m.compile(optimizers::adam(0.05f), losses::sparse_categorical_crossentropy{.from_logits = true},
                  metrics::sparse_categorical_accuracy{});
        return m;
    };
    auto m64 = make(), m32 = make();
    const auto h64 = m64.fit(b.x, b.y, {.epochs = 3, .verbose = 0, .batch_size = 16});
    const auto h32 = m32.fit(b.x, y32, {.epochs = 3, .verbose = 0, .batch_size = 16});
    CHECK(h32.epochs.back().at("loss") == h64.epochs.back().at("loss"));
    CHECK(std::equal(m64.layer<0>().kernel.begin(), m64.layer<0>().kernel.end(), m32.layer<0>().kernel.begin()));
    CHECK(std::equal(m64.layer<1>().bias.begin(), m64.layer<1>().bias.end(), m32.layer<1>().bias.begin()));
    CHECK(m32.evaluate(b.x, y32).at("sparse_categorical_accuracy") == m64.evaluate(b.x, b.y).at("sparse_categorical_accuracy"));
    CHECK(m32.train_on_batch(b.x, y32).at("loss") == m64.train_on_batch(b.x, b.y).at("loss"));
    // a label out of range: the same message, and the model unchanged
    tensor<std::int64_t, dyn> bad64 = b.y;
    bad64(5) = 3;
    tensor<std::int32_t, dyn> bad32 = y32;
    bad32(5) = 3;
    std::string msg64, msg32;
    try { m64.train_on_batch(b.x, bad64); } catch (const tfx::value_error& e) { msg64 = e.what(); }
    const tensor<float, 4, 6> before = m32.layer<0>().kernel;
    try { m32.train_on_batch(b.x, bad32); } catch (const tfx::value_error& e) { msg32 = e.what(); }
    CHECK_THAT(msg32, Catch::Contains("label 3 at row 5 is out of range [0, 3)"));
    CHECK(msg32 == msg64);
    CHECK(std::equal(before.begin(), before.end(), m32.layer<0>().kernel.begin()));
}
