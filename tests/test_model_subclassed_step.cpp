// Subclassed models (subclassed_models.hpp): one SGD step of train_on_batch equals the step computed
// with tfx::value_and_grad of the same function written out (a residual connection, a layer norm).
#include <catch2/catch.hpp>

#include <tfx/nn.hpp>

#include "subclassed_models.hpp"

using namespace tfx;
using test_subclassed::fill;

TEST_CASE("a subclassed model's train step matches tfx::grad of the function written out", "[model][subclassed]") {
    models::model<test_subclassed::residual> m;
    m.drop.rate = 0.f;  // no dropout: the step is deterministic
    tensor<float, dyn, 4> x(6);
    fill(x, 3);
    tensor<std::int64_t, dyn> y{0, 1, 2, 2, 1, 0};
    const auto forward = test_subclassed::residual_forward;
    auto loss = [&](auto w0, auto b0, auto w1, auto b1, auto gm, auto bt, auto w2, auto b2, auto x, auto y) {
        return -mean(gather<1, 1>(log_softmax<1>(forward(w0, b0, w1, b1, gm, bt, w2, b2, x)), y));
    };
    auto [l, g0, gb0, g1, gb1, ggm, gbt, g2, gb2] = tfx::value_and_grad<0, 1, 2, 3, 4, 5, 6, 7>(loss)(
        m.stem.kernel, m.stem.bias, m.blk.hidden.kernel, m.blk.hidden.bias, m.blk.norm.gamma, m.blk.norm.beta, m.head.kernel,
        m.head.bias, x, y);
    tensor<float, 4, 8> w0 = m.stem.kernel - 0.5f * g0;
    tensor<float, 8, 8> w1 = m.blk.hidden.kernel - 0.5f * g1;
    tensor<float, 8> gm = m.blk.norm.gamma - 0.5f * ggm;
    tensor<float, 3> b2 = m.head.bias - 0.5f * gb2;
    m.compile(optimizers::sgd{.learning_rate = 0.5}, losses::sparse_categorical_crossentropy{.from_logits = true});
    const auto logs = m.train_on_batch(x, y);
    CHECK(logs.at("loss") == Approx(l()).epsilon(1e-5));
    for (std::size_t i = 0; i < w0.size(); ++i) CHECK(m.stem.kernel.data()[i] == Approx(w0.data()[i]).margin(1e-5));
    for (std::size_t i = 0; i < w1.size(); ++i) CHECK(m.blk.hidden.kernel.data()[i] == Approx(w1.data()[i]).margin(1e-5));
    for (std::size_t i = 0; i < gm.size(); ++i) CHECK(m.blk.norm.gamma.data()[i] == Approx(gm.data()[i]).margin(1e-5));
    for (std::size_t i = 0; i < b2.size(); ++i) CHECK(m.head.bias.data()[i] == Approx(b2.data()[i]).margin(1e-5));
}
