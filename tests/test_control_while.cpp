// while_loop (forward, gradients against central finite differences), tensor_array, and the
// bidirectional recurrent layer.
#include <catch2/catch.hpp>

#include <tfx/nn.hpp>

using namespace tfx;

namespace {
// (f(x + eps e_i) - f(x - eps e_i)) / 2 eps for every entry of x.
template <class F, class Tn>
Tn central_difference(F&& f, const Tn& x, double eps = 1e-6) {
    Tn g = x;
    for (std::size_t i = 0; i < x.size(); ++i) {
        Tn p = x, m = x;
        p.data()[i] += eps;
        m.data()[i] -= eps;
        g.data()[i] = (f(p) - f(m)) / (2 * eps);
    }
    return g;
}
}  // namespace

TEST_CASE("while_loop runs until its condition fails, with a run-time trip count", "[control][while]") {
    auto f = function([](auto x, auto limit) {
        auto [i, y] = while_loop([&](auto, auto y) { return sum(y) < limit; },
                                 [&](auto i, auto y) { return std::tuple{i + 1.0, y * 2.0}; }, scalar<double>(0.0), x);
        return std::tuple{i, y};
    });
    tensor<double, 2> x{1.0, 2.0};
    for (double lim : {100.0, 2.0, 7.0}) {
        tensor<double> limit(lim);
        auto [i, y] = f(x, limit);
        double s = 3.0, n = 0;
        while (s < lim) s *= 2, ++n;
        CHECK(i() == n);
        CHECK(y(0) == Approx(std::pow(2.0, n)));
        CHECK(y(1) == Approx(2 * std::pow(2.0, n)));
    }
}

TEST_CASE("while_loop with one state variable returns an expression", "[control][while]") {
    tensor<double> x(1.5);
    tensor<double> r = while_loop([](auto v) { return v < 40.0; }, [](auto v) { return v * 3.0; }, x);
    CHECK(r() == Approx(40.5));
}

TEST_CASE("gradients through while_loop match finite differences", "[control][while][grad]") {
    auto loss = [](auto w, auto y0, auto n) {
        auto [k, y] = while_loop([&](auto k, auto) { return k < n; },
                                 [&](auto k, auto y) { return std::tuple{k + 1.0, tanh(y * w + 0.1)}; }, scalar<double>(0.0), y0);
        return sum(y * y) + k * 0.0;
    };
    tensor<double, 2> w{0.7, -1.2}, y0{0.3, 0.5};
    for (double trips : {0.0, 1.0, 5.0}) {
        tensor<double> n(trips);
        auto [l, gw, gy] = value_and_grad<0, 1>(loss)(w, y0, n);
        auto lf = function(loss);
        auto fw = central_difference([&](const tensor<double, 2>& v) { return lf(v, y0, n)(); }, w);
        auto fy = central_difference([&](const tensor<double, 2>& v) { return lf(w, v, n)(); }, y0);
        for (int i = 0; i < 2; ++i) {
            CHECK(gw(i) == Approx(fw(i)).margin(1e-7));
            CHECK(gy(i) == Approx(fy(i)).margin(1e-7));
        }
        if (trips == 0.0) {
            CHECK(gw(0) == 0.0);
            CHECK(gy(0) == Approx(2 * y0(0)));
        }
    }
}

TEST_CASE("while_loop: two state parts of one shape each get their own gradient", "[control][while][grad]") {
    // No constants in the loop (the counter's step and the bound are arguments), so the loop's type
    // says everything about its value; its final a and b are still two parts (one type, two
    // offsets). Reverse mode once took them for one node: a got both adjoints and b none.
    auto loss = [](auto w, auto a0, auto b0, auto k0, auto one, auto n) {
        auto [k, a, b] = while_loop([&](auto k, auto, auto) { return k < n; },
                                    [&](auto k, auto a, auto b) { return std::tuple{k + one, a * w, b + w}; }, k0, a0, b0);
        return sum(a) + 2.0 * sum(b);
    };
    const tensor<double, 3> w{0.5, 2.0, -1.0}, a0{1, 2, 3}, b0{4, 5, 6};
    const tensor<double> k0(0.0), one(1.0), n(3.0);
    auto [ga, gb] = tfx::grad<1, 2>(loss)(w, a0, b0, k0, one, n);
    for (int i = 0; i < 3; ++i) {
        CHECK(ga(i) == Approx(w(i) * w(i) * w(i)));  // a_T = a0 w^3
        CHECK(gb(i) == Approx(2.0));                 // b_T = b0 + 3 w
    }
}

TEST_CASE("tensor_array writes, reads, stacks and unstacks", "[control][tensor_array]") {
    tensor_array<float, 2> ta(3);
    CHECK(ta.size() == 3);
    tensor<float, 2> a{1.f, 2.f};
    ta.write(0, a).write(2, a * 3.f);
    CHECK_THROWS_AS(ta.stack(), value_error);
    CHECK_THROWS_WITH(ta.read(1), Catch::StartsWith("tfx: tensor_array: read of element 1"));
    ta.write(1, a + 1.f);
    tensor<float, dyn, 2> s = ta.stack();
    REQUIRE(s.shape()[0] == 3);
    CHECK(s(1, 0) == 2.f);
    CHECK(s(2, 1) == 6.f);
    tensor<float, 2> r = ta.read(2) * 2.f;
    CHECK(r(0) == 6.f);
    CHECK_THROWS_WITH(ta.write(3, a), Catch::StartsWith("tfx: tensor_array: write at index 3 of an array of size 3"));

    tensor_array<float, dyn> grow(0, true);
    tensor<float, dyn> v(4);
    v.fill(1.f);
    grow.write(2, v);
    CHECK(grow.size() == 3);
    tensor<float, dyn> w(5);
    CHECK_THROWS_AS(grow.write(0, w), shape_error);

    tensor<float, dyn, 2> rows(uninitialized, {4, 2});
    for (std::size_t i = 0; i < 8; ++i) rows.data()[i] = float(i);
    tensor_array<float, 2> un;
    un.unstack(rows);
    CHECK(un.size() == 4);
    tensor<float, 2> third = un.read(3);
    CHECK(third(1) == 7.f);
}

TEST_CASE("bidirectional runs the cell forwards and backwards and concatenates", "[control][rnn]") {
    using In = shape<dyn, 3, 4>;
    auto spec = layers::bidirectional(layers::gru<5>(layers::return_sequences));
    auto layer = spec.build<double, In>();
    random::generator gen{3};
    layer.initialize(gen);
    tensor<double, dyn, 3, 4> x = random::normal<double, dyn, 3, 4>(gen, 0.0, 1.0, 2);
    tensor<double, dyn, 3, 10> y = layer(x);
    auto zero = broadcast_to_dims<shape<dyn, 5>>(scalar<double>(0), dims_t<2>{2, 5});
    tensor<double, dyn, dyn, 5> fwd = std::get<0>(rnn::gru(x, layer.forward_kernel, layer.forward_recurrent_kernel, layer.forward_bias, zero));
    tensor<double, dyn, dyn, 5> bwd =
        std::get<0>(rnn::gru<true>(x, layer.backward_kernel, layer.backward_recurrent_kernel, layer.backward_bias, zero));
    // The backward direction at time t has read x_t .. x_{T-1}: at t = T - 1 it has read one step,
    // which is the forward cell's first step on the reversed input.
    tensor<double, dyn, 3, 4> x_rev = x;
    for (std::size_t b = 0; b < 2; ++b)
        for (std::size_t t = 0; t < 3; ++t)
            for (std::size_t f = 0; f < 4; ++f) x_rev(b, t, f) = x(b, 2 - t, f);
    tensor<double, dyn, dyn, 5> bwd_ref = std::get<0>(rnn::gru(x_rev, layer.backward_kernel, layer.backward_recurrent_kernel, layer.backward_bias, zero));
    for (std::size_t b = 0; b < 2; ++b)
        for (std::size_t t = 0; t < 3; ++t)
            for (std::size_t u = 0; u < 5; ++u) {
                CHECK(y(b, t, u) == Approx(fwd(b, t, u)));
                CHECK(y(b, t, 5 + u) == Approx(bwd(b, t, u)));
                CHECK(bwd(b, t, u) == Approx(bwd_ref(b, 2 - t, u)));
            }
}

TEST_CASE("eager gradient through scan: inputs get gradients, captured tensors are refused", "[control][scan][eager]") {
    tensor<double, 2> w{0.5, -0.4}, c0{0.1, 0.2};
    tensor<double, dyn, 2> xs(uninitialized, {3, 2});
    for (std::size_t i = 0; i < 6; ++i) xs.data()[i] = 0.1 * double(i) - 0.2;
    auto loss_of = [&](const tensor<double, 2>& c, const tensor<double, dyn, 2>& x) {
        auto [cf, ys] = scan([&](auto c_, auto x_) { auto n = tanh(c_ * w + x_); return std::tuple{n, n}; }, c, x);
        return sum(cf) + sum(ys * ys);
    };
    auto [l, gc, gx] = gradient(loss_of(c0, xs), c0, xs);
    auto fc = central_difference([&](const tensor<double, 2>& v) { tensor<double> r = loss_of(v, xs); return r(); }, c0);
    auto fx = central_difference([&](const tensor<double, dyn, 2>& v) { tensor<double> r = loss_of(c0, v); return r(); }, xs);
    for (std::size_t i = 0; i < 2; ++i) CHECK(gc(i) == Approx(fc(i)).margin(1e-7));
    for (std::size_t i = 0; i < 6; ++i) CHECK(gx.data()[i] == Approx(fx.data()[i]).margin(1e-7));
    CHECK_THROWS_WITH(gradient(loss_of(c0, xs), w), Catch::StartsWith("tfx: gradient: a scan step reads a tensor"));
}
