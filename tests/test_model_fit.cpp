// Keras-style models: compile/fit/evaluate on a classification problem (from a dataset and from
// tensors) and fit with mean squared error on float targets.
// The model tests are split over the test_model*.cpp files so that each compiles in well under a
// minute: every compiled model instantiates its whole training step (docs/benchmarks.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <tfx/nn.hpp>

#include "blobs.hpp"

using namespace tfx;

TEST_CASE("fit reduces the loss and evaluate agrees with the metrics", "[model]") {
    auto m = models::sequential(layers::input<4>, layers::dense<16>(activations::relu), layers::batch_norm(),
                                layers::dropout(0.1f), layers::dense<3>());
    m.compile(optimizers::adam{.learning_rate = 1e-2}, losses::sparse_categorical_crossentropy{.from_logits = true},
              metrics::sparse_categorical_accuracy{});
    blobs train = make_blobs(256, 3), test = make_blobs(128, 4);
    const double before = m.evaluate(test.x, test.y).at("loss");
    auto ds = data::from_tensor_slices(train.x, train.y).shuffle(256, 5).batch(32);
    auto h = m.fit(ds, {.epochs = 8, .verbose = 0, .validation_data = std::tie(test.x, test.y)});
    REQUIRE(h.epochs.size() == 8);
    const auto losses = h.at("loss");
    CHECK(losses.back() < losses.front());
    const auto logs = m.evaluate(test.x, test.y);
    CHECK(logs.at("loss") < before * 0.5);
    CHECK(logs.at("sparse_categorical_accuracy") > 0.9);
    CHECK(h.epochs.back().at("val_loss") == Approx(logs.at("loss")).epsilon(1e-4));
    // fit on tensors, with the same options
    auto h2 = m.fit(train.x, train.y, {.epochs = 2, .verbose = 0, .batch_size = 64});
    CHECK(h2.epochs.size() == 2);
}

TEST_CASE("fit with mean squared error on float targets", "[model]") {
    auto m = models::sequential(layers::input<2>, layers::dense<1>());
    m.compile(optimizers::sgd{.learning_rate = 0.1}, losses::mean_squared_error{});
    random::generator g{9};
    tensor<float, dyn, 2> x(64);
    for (auto& v : x) v = float(g.standard_normal());
    tensor<float, dyn, 1> y = matmul(x, tensor<float, 2, 1>{{2}, {-3}}) + 0.5f;
    auto h = m.fit(x, y, {.epochs = 60, .verbose = 0, .batch_size = 16});
    CHECK(h.at("loss").back() < 1e-4);
    CHECK(m.layer<0>().kernel(0, 0) == Approx(2).margin(1e-2));
    CHECK(m.layer<0>().kernel(1, 0) == Approx(-3).margin(1e-2));
    CHECK(m.layer<0>().bias(0) == Approx(0.5).margin(1e-2));
}
