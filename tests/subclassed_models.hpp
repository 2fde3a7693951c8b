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

inline void fill(auto& t, std::uint64_t seed) {
    tfx::random::generator g{seed};
    for (auto& v : t) v = float(g.standard_normal());
}

}  // namespace test_subclassed
