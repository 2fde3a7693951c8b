// tfx::scan (include/tfx/control/scan.hpp): forward values against hand-written loops (one carry,
// a tuple carry with tuple inputs, tuple outputs, a nested scan); tfx::shape_error for inputs of
// different lengths and for a carry whose run-time extent changes; two scans of one step type in a
// tfx::function. Gradients: test_control_scan_grad.cpp. The no-allocation check is in
// test_autodiff_alloc.cpp (it owns the counting operator new); the compile-time carry check in
// compile_fail/control_scan_carry_shape.cpp.
#include "scan_check.hpp"

using namespace scantest;

TEST_CASE("scan: a cumulative sum matches a loop", "[control][scan]") {
    rng r(1001);
    tensor<double, dyn, 2> xs(tfx::uninitialized, {6, 2});
    fill(xs, r);
    const tensor<double, 2> c0{0.5, -1.0};
    // y_t is the carry before the step times x_t, so ys is not merely the carries.
    auto [cf, ys] = tfx::scan([](auto c, auto x) { return std::tuple{c + x, c * x}; }, c0, xs);
    STATIC_REQUIRE(std::is_same_v<decltype(cf)::shape_type, tfx::shape<2>>);
    STATIC_REQUIRE(std::is_same_v<decltype(ys)::shape_type, tfx::shape<dyn, 2>>);
    const tensor<double, 2> cft = cf;
    const tensor<double, dyn, 2> yst = ys;
    REQUIRE(yst.shape() == tfx::dims_t<2>{6, 2});
    std::vector<double> c(c0.begin(), c0.end()), want_ys;
    for (std::size_t t = 0; t < 6; ++t)
        for (std::size_t j = 0; j < 2; ++j) {
            want_ys.push_back(c[j] * xs(t, j));
            c[j] += xs(t, j);
        }
    {
        const std::string m = compare_with(cft, c);
        INFO(m);
        CHECK(m.empty());
    }
    {
        const std::string m = compare_with(yst, want_ys);
        INFO(m);
        CHECK(m.empty());
    }
}

TEST_CASE("scan: a tuple carry (h, c) with tuple inputs and tuple outputs matches a loop", "[control][scan]") {
    rng r(1002);
    const std::size_t T = 5;
    tensor<double, dyn, 3> xa(tfx::uninitialized, {T, 3}), xb(tfx::uninitialized, {T, 3});
    fill(xa, r);
    fill(xb, r);
    tensor<double, 3> h0, c0;
    fill(h0, r);
    fill(c0, r);
    auto step = [](auto carry, auto x) {
        auto [h, c] = carry;
        auto [a, b] = x;
        auto hn = tanh(h * c + a);
        auto cn = c * 0.9 + b * hn;
        return std::tuple{std::tuple{hn, cn}, std::tuple{hn * 2.0, sum(cn), a - b}};
    };
    auto [cf, ys] = tfx::scan(step, std::tuple{h0, c0}, std::tuple{xa, xb});
    auto [hf, cfin] = cf;
    auto [y0, y1, y2] = ys;
    STATIC_REQUIRE(std::is_same_v<decltype(y0)::shape_type, tfx::shape<dyn, 3>>);
    STATIC_REQUIRE(std::is_same_v<decltype(y1)::shape_type, tfx::shape<dyn>>);
    const tensor<double, 3> hft = hf, cft = cfin;
    const tensor<double, dyn, 3> y0t = y0, y2t = y2;
    const tensor<double, dyn> y1t = y1;
    REQUIRE(y0t.shape()[0] == T);
    REQUIRE(y1t.shape()[0] == T);
    std::vector<double> h(h0.begin(), h0.end()), c(c0.begin(), c0.end()), w0, w1, w2;
    for (std::size_t t = 0; t < T; ++t) {
        double s = 0;
        for (std::size_t j = 0; j < 3; ++j) {
            h[j] = std::tanh(h[j] * c[j] + xa(t, j));
            c[j] = c[j] * 0.9 + xb(t, j) * h[j];
            w0.push_back(2 * h[j]);
            w2.push_back(xa(t, j) - xb(t, j));
            s += c[j];
        }
        w1.push_back(s);
    }
    for (const auto& [got, want] : {std::pair{&hft, &h}, std::pair{&cft, &c}}) {
        const std::string m = compare_with(*got, *want);
        INFO(m);
        CHECK(m.empty());
    }
    const std::string m0 = compare_with(y0t, w0), m1 = compare_with(y1t, w1), m2 = compare_with(y2t, w2);
    INFO(m0 << m1 << m2);
    CHECK(m0.empty());
    CHECK(m1.empty());
    CHECK(m2.empty());
}

TEST_CASE("scan: an RNN step with U captured matches a loop", "[control][scan]") {
    rng r(1003);
    const rnn net;
    const rnn_inputs in(r, 5);
    auto [hf, ys] = net.run(in.U, in.h0, in.xs);
    STATIC_REQUIRE(std::is_same_v<decltype(hf)::shape_type, tfx::shape<3, 4>>);
    STATIC_REQUIRE(std::is_same_v<decltype(ys)::shape_type, tfx::shape<dyn, 3, 4>>);
    const tensor<double, B, H> hft = hf;
    const tensor<double, dyn, B, H> yst = ys;
    REQUIRE(yst.shape() == tfx::dims_t<3>{5, B, H});
    const auto [want_h, want_ys] = net.reference(in.U, in.h0, in.xs);
    const std::string m1 = compare_with(hft, want_h), m2 = compare_with(yst, want_ys);
    INFO(m1 << m2);
    CHECK(m1.empty());
    CHECK(m2.empty());
    // tfx::function agrees.
    auto f = tfx::function(net.loss());
    CHECK(f(in.U, in.h0, in.xs)() == Approx(net.reference_loss(in.U, in.h0, in.xs)).epsilon(1e-12));
}

TEST_CASE("scan: a scan nested in the step matches a loop", "[control][scan]") {
    rng r(1007);
    tensor<double, dyn, 3, 2> xs(tfx::uninitialized, {4, 3, 2});
    fill(xs, r);
    const tensor<double, 2> c0{1.0, 2.0};
    auto [cf, ys] = tfx::scan(
        [](auto c, auto x) {  // x: [3, 2], scanned again along its first axis
            auto [ci, yi] = tfx::scan([](auto c2, auto x2) { return std::tuple{c2 * 0.5 + x2, c2}; }, c, x);
            return std::tuple{ci, sum(yi)};
        },
        c0, xs);
    const tensor<double, 2> cft = cf;
    const tensor<double, dyn> yst = ys;
    std::vector<double> c(c0.begin(), c0.end()), want_ys;
    for (std::size_t t = 0; t < 4; ++t) {
        double s = 0;
        for (std::size_t i = 0; i < 3; ++i)
            for (std::size_t j = 0; j < 2; ++j) {
                s += c[j];
                c[j] = c[j] * 0.5 + xs(t, i, j);
            }
        want_ys.push_back(s);
    }
    const std::string m1 = compare_with(cft, c), m2 = compare_with(yst, want_ys);
    INFO(m1 << m2);
    CHECK(m1.empty());
    CHECK(m2.empty());
}

TEST_CASE("scan: inputs of different lengths throw tfx::shape_error", "[control][scan]") {
    tensor<double, dyn, 2> xa(tfx::uninitialized, {4, 2}), xb(tfx::uninitialized, {3, 2});
    for (auto& v : xa) v = 1;
    for (auto& v : xb) v = 2;
    const tensor<double, 2> c0{0.0, 0.0};
    auto step = [](auto c, auto x) {
        auto [a, b] = x;
        auto n = c + a * b;
        return std::tuple{n, n};
    };
    try {
        auto res = tfx::scan(step, c0, std::tuple{xa, xb});
        (void)res;
        FAIL("no shape_error");
    } catch (const tfx::shape_error& e) {
        INFO(e.what());
        CHECK(starts_with(e.what(), "tfx: scan:"));
    }
    // Inside tfx::function and value_and_grad; the same function works with equal lengths.
    auto f = tfx::function([step](auto c, auto a, auto b) { return std::get<0>(tfx::scan(step, c, std::tuple{a, b})); });
    tensor<double, dyn, 2> xb4(tfx::uninitialized, {4, 2});
    for (auto& v : xb4) v = 2;
    CHECK(f(c0, xa, xb4)(1) == 8.0);
    try {
        f(c0, xa, xb);
        FAIL("no shape_error");
    } catch (const tfx::shape_error& e) {
        INFO(e.what());
        CHECK(starts_with(e.what(), "tfx: scan:"));
    }
    auto vg = tfx::value_and_grad<1, 2>([step](auto c, auto a, auto b) { return sum(std::get<0>(tfx::scan(step, c, std::tuple{a, b}))); });
    CHECK_THROWS_AS(vg(c0, xa, xb), tfx::shape_error);
}

TEST_CASE("scan: a carry whose run-time extent the step changes throws tfx::shape_error", "[control][scan]") {
    tensor<double, dyn> c0(3);
    tensor<double, dyn, dyn> xs(4, 5);
    // The carry is [?] and so is a row of xs: the types agree, the run-time extents (3, 5) do not.
    try {
        auto res = tfx::scan([](auto c, auto x) { return std::tuple{x * 1.0, sum(c)}; }, c0, xs);
        (void)res;
        FAIL("no shape_error");
    } catch (const tfx::shape_error& e) {
        INFO(e.what());
        CHECK(starts_with(e.what(), "tfx: scan:"));
    }
    // The same step with rows of the carry's extent is fine.
    tensor<double, dyn, dyn> xs3(4, 3);
    for (auto& v : xs3) v = 1.5;
    auto [cf, ys] = tfx::scan([](auto c, auto x) { return std::tuple{x * 1.0, sum(c)}; }, c0, xs3);
    const tensor<double, dyn> cft = cf;
    const tensor<double, dyn> yst = ys;
    CHECK(cft(2) == 1.5);
    CHECK(yst(0) == 0.0);
    CHECK(yst(3) == 4.5);
}

// Two scans in one function whose steps have the same type (a helper's lambda) but capture
// different constant tensors: they must not be taken for one common subexpression (a scan node's
// identity must cover the tensors its step captures, not only its children and scalars).
TEST_CASE("scan: two scans with one step type but different captured tensors give different results in tfx::function",
          "[control][scan]") {
    const tensor<double, 2> w1{1.0, 1.0}, w2{2.0, 3.0};
    auto make_step = [](const tensor<double, 2>& w) {
        return [&w](auto c, auto x) {
            auto n = c * w + x;
            return std::tuple{n, n};
        };
    };
    tensor<double, dyn, 2> xs(tfx::uninitialized, {4, 2});
    for (std::size_t i = 0; i < xs.size(); ++i) xs.data()[i] = 0.1 * double(i);
    const tensor<double, 2> c0{1.0, 2.0};
    tensor<double, 2> want1, want2;  // eager: no common-subexpression reuse
    {
        auto [c, y] = tfx::scan(make_step(w1), c0, xs);
        want1 = c;
    }
    {
        auto [c, y] = tfx::scan(make_step(w2), c0, xs);
        want2 = c;
    }
    REQUIRE(want1(1) != want2(1));
    auto f = tfx::function([&](auto c, auto x) {
        auto [p, yp] = tfx::scan(make_step(w1), c, x);
        auto [q, yq] = tfx::scan(make_step(w2), c, x);
        return std::tuple{p, q};
    });
    auto [p, q] = f(c0, xs);
    INFO("want (" << want1(0) << ", " << want1(1) << ") and (" << want2(0) << ", " << want2(1) << "); got (" << p(0)
                  << ", " << p(1) << ") and (" << q(0) << ", " << q(1) << ")");
    CHECK(p(0) == want1(0));
    CHECK(p(1) == want1(1));
    CHECK(q(0) == want2(0));
    CHECK(q(1) == want2(1));
}
