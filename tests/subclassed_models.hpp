// The subclassed models of the test_model_subclassed*.cpp files: structs of layers adapted with
// TFX_MODEL, with a templated call (a residual connection, an expression after the last layer, a
// layer without gradient, a layer called twice).
#pragma once

#include <cstdint>

#include <tfx/nn.hpp>

namespace test_subclassed {

namespace layers = tfx::layers;
namespace activations = tfx::activations;

struct block {
    layers::layer<layers::dense<8>(activations::tanh), 8> hidden;
    layers::layer<layers::layer_norm(), 8> norm;
};

struct residual {
    static constexpr auto input = layers::input<4>;
    layers::layer<layers::dense<8>(activations::relu), 4> stem;
    block blk;
    layers::layer<layers::dropout(0.25f), 8> drop;
    layers::layer<layers::dense<3>(), 8> head;

    template <class Ctx, class X>
    auto call(Ctx& ctx, const X& x) {
        const auto& h = ctx(stem, x);
        const auto& r = ctx(blk.norm, ctx(blk.hidden, h) + h);  // a residual connection, then a norm
        return ctx(head, ctx(drop, r));
    }
};

struct plain {
    static constexpr auto input = layers::input<4>;
    layers::layer<layers::dense<5>(activations::tanh), 4> a;
    layers::layer<layers::dense<3>(), 5> b;
    layers::layer<layers::dense<3>(), 5> unused;
    template <class Ctx, class X>
    auto call(Ctx& ctx, const X& x) {
        return ctx(b, ctx(a, x)) * 2.f;  // an expression after the last layer
    }
};

struct twice {
    static constexpr auto input = layers::input<3>;
    layers::layer<layers::dense<3>(), 3> d;
    template <class Ctx, class X>
    auto call(Ctx& ctx, const X& x) {
        return ctx(d, ctx(d, x));
    }
};

}  // namespace test_subclassed

TFX_MODEL(test_subclassed::block, hidden, norm)
TFX_MODEL(test_subclassed::residual, stem, blk, drop, head)
TFX_MODEL(test_subclassed::plain, a, b, unused)
TFX_MODEL(test_subclassed::twice, d)

namespace test_subclassed {

// residual's function written out, dropout off: the reference for its predict and train step.
inline constexpr auto residual_forward = [](auto w0, auto b0, auto w1, auto b1, auto gm, auto bt, auto w2, auto b2, auto x) {
    auto h = tfx::relu(tfx::matmul(x, w0) + b0);
    auto s = tfx::tanh(tfx::matmul(h, w1) + b1) + h;
    auto c = s - tfx::mean<-1>(s, tfx::keepdims);
    auto r = c * tfx::rsqrt(tfx::mean<-1>(tfx::square(c), tfx::keepdims) + 1e-3f) * gm + bt;
    return tfx::matmul(r, w2) + b2;
};

// One SGD step on residual's loss (sparse cross-entropy from logits, the mean over the batch),
// computed with tfx::value_and_grad of residual_forward: the loss before the step and some of the
// variables after it. Defined in subclassed_reference.cpp, a TU of its own: this gradient and a
// compiled model in one file took over 60 s to compile.
struct residual_sgd_step {
    double loss = 0;
    tfx::tensor<float, 4, 8> stem_kernel;
    tfx::tensor<float, 8, 8> hidden_kernel;
    tfx::tensor<float, 8> norm_gamma;
    tfx::tensor<float, 3> head_bias;
};
residual_sgd_step residual_reference_step(const residual& m, const tfx::tensor<float, tfx::dyn, 4>& x,
                                          const tfx::tensor<std::int64_t, tfx::dyn>& y, float learning_rate);

inline void fill(auto& t, std::uint64_t seed) {
    tfx::random::generator g{seed};
    for (auto& v : t) v = float(g.standard_normal());
}

}  // namespace test_subclassed
