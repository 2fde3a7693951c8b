// Keras-style models: sequential's structure and variables, predict, and train_on_batch against a
// step computed by hand.
// The model tests are split over the test_model*.cpp files so that each compiles in well under a
// minute: every compiled model instantiates its whole training step (docs/benchmarks.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <tfx/nn.hpp>

#include "blobs.hpp"

using namespace tfx;

TEST_CASE("sequential deduces shapes, names variables like Keras and counts parameters", "[model]") {
    auto m = models::sequential(layers::input<4>, layers::dense<8>(activations::relu), layers::dropout(0.5f),
                                layers::dense<8>(activations::tanh), layers::dense<3>());
    STATIC_REQUIRE(std::is_same_v<decltype(m)::output_type, tensor<float, dyn, 3>>);
    CHECK(m.trainable_variable_names() ==
          std::vector<std::string>{"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias"});
    CHECK(m.count_params() == (4 * 8 + 8) + (8 * 8 + 8) + (8 * 3 + 3));
    std::vector<std::string> all;
    m.for_each_variable([&](std::string_view name, const auto&) { all.emplace_back(name); });
    CHECK(all.size() == 6);
    CHECK(m.summary().find("dense_2 (dense)") != std::string::npos);
    // Deterministic initialization: two new models are equal, initialize(seed) draws new values.
    auto m2 = models::sequential(layers::input<4>, layers::dense<8>(activations::relu), layers::dropout(0.5f),
                                 layers::dense<8>(activations::tanh), layers::dense<3>());
    CHECK(std::equal(m.layer<0>().kernel.begin(), m.layer<0>().kernel.end(), m2.layer<0>().kernel.begin()));
    m2.initialize(random::generator{7});
    CHECK_FALSE(std::equal(m.layer<0>().kernel.begin(), m.layer<0>().kernel.end(), m2.layer<0>().kernel.begin()));
}

TEST_CASE("predict is the layers applied in order, dropout off", "[model]") {
    auto m = models::sequential(layers::input<4>, layers::dense<5>(activations::relu), layers::dropout(0.5f), layers::dense<2>());
    blobs b = make_blobs(7, 1);
    const auto& l0 = m.layer<0>();
    const auto& l2 = m.layer<2>();
    tensor<float, dyn, 2> expect = matmul(relu(matmul(b.x, l0.kernel) + l0.bias), l2.kernel) + l2.bias;
    const auto& got = m.predict(b.x);
    REQUIRE(got.shape() == expect.shape());
    for (std::size_t i = 0; i < expect.size(); ++i) CHECK(got.data()[i] == Approx(expect.data()[i]).epsilon(1e-5));
    tensor<float, dyn, 2> via_call = m(b.x);  // the model as an expression
    for (std::size_t i = 0; i < expect.size(); ++i) CHECK(via_call.data()[i] == Approx(expect.data()[i]).epsilon(1e-5));
}

TEST_CASE("train_on_batch takes one SGD step with the gradient of the loss", "[model]") {
    auto m = models::sequential(layers::input<4>, layers::dense<3>(activations::tanh), layers::dense<3>());
    m.compile(optimizers::sgd{.learning_rate = 0.1}, losses::sparse_categorical_crossentropy{.from_logits = true});
    blobs b = make_blobs(6, 2);
    // The expected step, with tfx::grad of the same loss written out over the variables.
    auto loss = [](auto w0, auto b0, auto w1, auto b1, auto x, auto y) {
        auto logits = matmul(tanh(matmul(x, w0) + b0), w1) + b1;
        return -mean(gather<1, 1>(log_softmax<1>(logits), y));
    };
    auto& d0 = m.layer<0>();
    auto& d1 = m.layer<1>();
    auto [l, g0, gb0, g1, gb1] = tfx::value_and_grad<0, 1, 2, 3>(loss)(d0.kernel, d0.bias, d1.kernel, d1.bias, b.x, b.y);
    tensor<float, 4, 3> w0 = d0.kernel - 0.1f * g0;
    tensor<float, 3> bb1 = d1.bias - 0.1f * gb1;
    const auto logs = m.train_on_batch(b.x, b.y);
    CHECK(logs.at("loss") == Approx(l()).epsilon(1e-5));
    for (std::size_t i = 0; i < w0.size(); ++i) CHECK(d0.kernel.data()[i] == Approx(w0.data()[i]).margin(1e-6));
    for (std::size_t i = 0; i < bb1.size(); ++i) CHECK(d1.bias.data()[i] == Approx(bb1.data()[i]).margin(1e-6));
}
