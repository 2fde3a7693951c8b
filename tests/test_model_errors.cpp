// Keras-style models: run-time misuse (not compiled, labels out of range, rows that do not match, a
// NaN loss under terminate_on_nan) throws and leaves the model unchanged.
// The model tests are split over the test_model*.cpp files so that each compiles in well under a
// minute: every compiled model instantiates its whole training step (docs/benchmarks.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tfx/nn.hpp>

#include "blobs.hpp"

using namespace tfx;

TEST_CASE("run-time misuse throws and leaves the model unchanged", "[model][errors]") {
    auto m = models::sequential(layers::input<4>, layers::dense<3>());
    blobs b = make_blobs(8, 7);
    CHECK_THROWS_WITH(m.fit(b.x, b.y, {.verbose = 0}), Catch::Contains("compiled"));
    m.compile(optimizers::sgd{}, losses::sparse_categorical_crossentropy{.from_logits = true});
    const tensor<float, 4, 3> before = m.layer<0>().kernel;
    // a label out of range
    tensor<std::int64_t, dyn> bad = b.y;
    bad(3) = 7;
    CHECK_THROWS_AS(m.train_on_batch(b.x, bad), tfx::value_error);
    // rows of x and y that do not match
    tensor<std::int64_t, dyn> short_y = slice<0>(b.y, 0, 5);
    CHECK_THROWS_AS(m.fit(b.x, short_y, {.verbose = 0}), tfx::shape_error);
    CHECK(std::equal(before.begin(), before.end(), m.layer<0>().kernel.begin()));
    // a NaN loss with terminate_on_nan
    tensor<float, dyn, 4> xn = b.x;
    xn(0, 0) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_AS(m.fit(xn, b.y, {.verbose = 0, .callbacks = {callbacks::terminate_on_nan{}}}), tfx::value_error);
    CHECK(std::equal(before.begin(), before.end(), m.layer<0>().kernel.begin()));
}
