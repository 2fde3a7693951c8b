// Subclassed models: a struct of layers adapted with TFX_MODEL, with a templated call; variables by
// path (recursively), residual connections between layers, and training steps that match tfx::grad
// of the same function written out.
#include <catch2/catch.hpp>

#include <tfx/nn.hpp>

using namespace tfx;

namespace test_subclassed {

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

namespace {
void fill(auto& t, std::uint64_t seed) {
    random::generator g{seed};
    for (auto& v : t) v = float(g.standard_normal());
}
}  // namespace

TEST_CASE("subclassed models find their variables recursively, by path", "[model][subclassed]") {
    models::model<test_subclassed::residual> m;
    CHECK(m.trainable_variable_names() == std::vector<std::string>{"stem/kernel", "stem/bias", "blk/hidden/kernel", "blk/hidden/bias",
                                                                   "blk/norm/gamma", "blk/norm/beta", "head/kernel", "head/bias"});
    CHECK(std::tuple_size_v<decltype(m.trainable_variables())> == 8);
    CHECK(m.count_params() == (4 * 8 + 8) + (8 * 8 + 8) + 16 + (8 * 3 + 3));
    CHECK(m.summary().find("blk/hidden (dense)") != std::string::npos);
}

TEST_CASE("a subclassed model's predict and train step match the function written out", "[model][subclassed]") {
    models::model<test_subclassed::residual> m;
    m.drop.rate = 0.f;  // no dropout: the step is deterministic
    tensor<float, dyn, 4> x(6);
    fill(x, 3);
    tensor<std::int64_t, dyn> y{0, 1, 2, 2, 1, 0};
    auto forward = [](auto w0, auto b0, auto w1, auto b1, auto gm, auto bt, auto w2, auto b2, auto x) {
        auto h = relu(matmul(x, w0) + b0);
        auto s = tanh(matmul(h, w1) + b1) + h;
        auto c = s - mean<-1>(s, keepdims);
        auto r = c * rsqrt(mean<-1>(square(c), keepdims) + 1e-3f) * gm + bt;
        return matmul(r, w2) + b2;
    };
    tensor<float, dyn, 3> expect =
        forward(m.stem.kernel, m.stem.bias, m.blk.hidden.kernel, m.blk.hidden.bias, m.blk.norm.gamma, m.blk.norm.beta, m.head.kernel,
                m.head.bias, x);
    const auto& got = m.predict(x);
    for (std::size_t i = 0; i < expect.size(); ++i) CHECK(got.data()[i] == Approx(expect.data()[i]).epsilon(1e-5));

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

TEST_CASE("subclassed models fit, and refuse a layer without gradient or called twice", "[model][subclassed]") {
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

    models::model<test_subclassed::plain> p;
    p.compile(optimizers::sgd{}, losses::sparse_categorical_crossentropy{.from_logits = true});
    tensor<float, 4, 5> before = p.a.kernel;
    tensor<float, dyn, 4> xs = slice<0>(x, 0, 8);
    tensor<std::int64_t, dyn> ys = slice<0>(y, 0, 8);
    CHECK_THROWS_WITH(p.train_on_batch(xs, ys), Catch::Contains("layer 'unused'") && Catch::Contains("no gradient"));
    CHECK(std::equal(before.begin(), before.end(), p.a.kernel.begin()));

    models::model<test_subclassed::twice> t;
    t.compile(optimizers::sgd{}, losses::mean_squared_error{});
    tensor<float, dyn, 3> x3(4), y3(4);
    fill(x3, 1);
    fill(y3, 2);
    CHECK_THROWS_WITH(t.train_on_batch(x3, y3), Catch::Contains("called twice"));
    tensor<float, dyn, 3> p3 = t.predict(x3);  // inference of a shared layer is fine
    CHECK(p3.shape()[0] == 4);
}
