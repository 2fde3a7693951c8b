// Subclassed models (subclassed_models.hpp): fit and evaluate a model with a residual connection.
#include <catch2/catch.hpp>

#include <tfx/nn.hpp>

#include "subclassed_models.hpp"

using namespace tfx;

TEST_CASE("subclassed models fit and evaluate", "[model][subclassed]") {
    models::model<test_subclassed::residual> m;
    tensor<float, dyn, 4> x(120);
    tensor<std::int64_t, dyn> y(120);
    random::generator g{11};
    for (std::size_t i = 0; i < 120; ++i) {
        y(i) = std::int64_t(i % 3);
        for (std::size_t j = 0; j < 4; ++j) x(i, j) = float((j == i % 3 ? 2.0 : 0.0) + 0.5 * g.standard_normal());
    }
    m.compile(optimizers::adam{.learning_rate = 1e-2}, losses::sparse_categorical_crossentropy{.from_logits = true},
              metrics::sparse_categorical_accuracy{});
    auto h = m.fit(x, y, {.epochs = 10, .verbose = 0, .batch_size = 16});
    CHECK(h.at("loss").back() < 0.5 * h.at("loss").front());
    CHECK(m.evaluate(x, y).at("sparse_categorical_accuracy") > 0.9);
}
