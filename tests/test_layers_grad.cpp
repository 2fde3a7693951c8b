// tfx::layers training passes: backward<true>'s dx and the parameter gradients against central
// finite differences of <g, forward(x)> in double precision, for dense (every activation), flatten,
// activation and embedding, and dropout's backward against its mask. Forward values:
// test_layers.cpp; batch_norm and layer_norm: test_layers_norm.cpp; convolution and pooling:
// test_layers_conv.cpp.
#include "layers_check.hpp"

#include <cmath>
#include <cstdint>
#include <string>

namespace {

using tfx::dyn;
using tfx::shape;
using tfx::tensor;
namespace layers = tfx::layers;
namespace activations = tfx::activations;
using laytest::close;
using laytest::fill_signed;
using laytest::fill_uniform;
using laytest::mismatch_log;
using laytest::rng;

using laytest::check_spec_gradients;

TEST_CASE("layers: dense's gradients match finite differences for every activation", "[layers][gradients]") {
    using In = shape<dyn, 3>;
    check_spec_gradients<In>(layers::dense<4>(), {1, 5});
    check_spec_gradients<In>(layers::dense<4>(activations::relu), {1, 5});
    check_spec_gradients<In>(layers::dense<4>(activations::sigmoid), {1, 5});
    check_spec_gradients<In>(layers::dense<4>(activations::tanh), {1, 5});
    check_spec_gradients<In>(layers::dense<4>(activations::gelu), {1, 5});
    check_spec_gradients<In>(layers::dense<4>(activations::elu), {1, 5});
    check_spec_gradients<In>(layers::dense<4>(activations::leaky_relu), {1, 5});
    check_spec_gradients<In>(layers::dense<4>(activations::softmax), {1, 5});
    check_spec_gradients<shape<dyn, 7>>(layers::dense<2>(activations::tanh), {3, 9});
}

TEST_CASE("layers: dense's gradients use the activation's own alpha", "[layers][gradients]") {
    check_spec_gradients<shape<dyn, 3>>(layers::dense<4>(activations::elu_t{.alpha = 0.5f}), {4});
}

TEST_CASE("layers: gradients of flatten and activation layers", "[layers][gradients]") {
    check_spec_gradients<shape<dyn, 2, 3, 2>>(layers::flatten(), {1, 3});
    check_spec_gradients<shape<dyn, 4, 3>>(layers::activation(activations::tanh), {2});
    check_spec_gradients<shape<dyn, 5>>(layers::activation(activations::softmax), {3});
}

TEST_CASE("layers: dropout's backward is g * mask / (1 - rate)", "[layers][gradients][dropout]") {
    constexpr float rate = 0.25f;
    auto l = layers::dropout(rate).build<double, shape<dyn, 3, 5>>();
    tensor<double, dyn, 3, 5> x(40), g(40);
    rng r(3);
    fill_signed(x, r, 0.1, 2);
    fill_uniform(g, r, -1, 1);
    tfx::random::generator gen(4);
    tfx::nn::train_context ctx{&gen};
    const tensor<double, dyn, 3, 5> y = l.forward_train(x, ctx);
    const double scale = 1 / (1 - double(rate));
    const auto* dx = l.backward<true>(g);
    REQUIRE(dx);
    REQUIRE(dx->shape() == x.shape());
    std::size_t dropped = 0, odd = 0;
    mismatch_log log;
    for (std::size_t k = 0; k < x.size(); ++k) {
        const double m = y.data()[k] / x.data()[k];  // the mask: 0 or 1 / (1 - rate)
        if (m == 0)
            ++dropped;
        else if (!close(m, scale, 1e-14))
            ++odd;
        log.compare("dx[" + std::to_string(k) + "]", dx->data()[k], g.data()[k] * (m == 0 ? 0 : scale), 1e-14);
    }
    CHECK(odd == 0);
    CHECK(dropped > 0);
    CHECK(dropped < x.size());
    INFO(log.str());
    CHECK(log.count == 0);
    CHECK(l.backward<false>(g) == nullptr);
    STATIC_REQUIRE(std::tuple_size_v<decltype(l.gradients())> == 0);
}

TEST_CASE("layers: embedding's gradient adds g's rows into the rows of the ids", "[layers][gradients][embedding]") {
    auto l = layers::embedding<6, 3>().build<std::int32_t, shape<dyn, 4>>();
    tfx::random::generator gen(5);
    l.initialize(gen);
    tensor<std::int32_t, dyn, 4> ids{{0, 5, 2, 2}, {2, 1, 5, 4}};  // 3 never occurs; 2 three times
    tensor<float, dyn, 4, 3> g(2);
    rng r(6);
    fill_uniform(g, r, -1, 1);
    tfx::nn::train_context ctx{&gen};
    l.forward_train(ids, ctx);
    l.backward<false>(g);
    const tensor<float, 6, 3> d = std::get<0>(l.gradients());
    double want[6][3] = {};
    for (std::size_t b = 0; b < 2; ++b)
        for (std::size_t j = 0; j < 4; ++j)
            for (std::size_t c = 0; c < 3; ++c) want[ids(b, j)][c] += g(b, j, c);
    mismatch_log log;
    for (std::size_t i = 0; i < 6; ++i)
        for (std::size_t c = 0; c < 3; ++c) log.compare("d embeddings[" + std::to_string(i) + ", " + std::to_string(c) + "]", d(i, c), want[i][c], 1e-6);
    // and against finite differences of <g, forward_train(ids)> (linear in the table: a wide step is exact)
    const float h = 1e-2f;
    for (std::size_t k = 0; k < l.embeddings.size(); ++k) {
        float& v = l.embeddings.data()[k];
        const float v0 = v;
        v = v0 + h;
        const double up = laytest::dot(l.forward_train(ids, ctx), g);
        v = v0 - h;
        const double down = laytest::dot(l.forward_train(ids, ctx), g);
        v = v0;
        log.compare("finite difference [" + std::to_string(k) + "]", d.data()[k], (up - down) / (2 * double(h)), 1e-4);
    }
    INFO(log.str());
    CHECK(log.count == 0);
}

}  // namespace
