// tfx::scan (include/tfx/control/scan.hpp): forward values against hand-written loops (one carry,
// a tuple carry with tuple inputs, tuple outputs, a nested scan, a cond in the step); an RNN step
// h' = tanh(h @ U + x_t + bias) with U captured from the function's arguments: gradients with
// respect to U, h0 and xs against central finite differences in double (backpropagation through
// time; helpers in test_autodiff_check.hpp); lengths 1 and 0; tfx::function and value_and_grad
// called with several lengths; tfx::shape_error for inputs of different lengths and for a carry
// whose run-time extent changes. The no-allocation check is in test_autodiff_alloc.cpp (it owns the
// counting operator new); the compile-time carry check in compile_fail/control_scan_carry_shape.cpp.
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_grad;
using adtest::rng;
using tfx::dyn;
using tfx::tensor;

constexpr std::size_t B = 3, H = 4;

template <class Tn>
Tn uniform(rng& r, double lo = -1, double hi = 1) {
    Tn t;
    adtest::fill_uniform(t, r, lo, hi);
    return t;
}
template <class Tn>
void fill(Tn& t, rng& r, double lo = -1, double hi = 1) {
    adtest::fill_uniform(t, r, lo, hi);
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The RNN of these tests: h_{t+1} = tanh(h_t @ U + x_t + bias), y_t = h_{t+1}, with U a symbol
// captured from the enclosing function's arguments and bias a captured constant tensor.
struct rnn {
    tensor<double, H> bias{0.1, -0.2, 0.05, 0.3};

    auto run(const auto& U, const auto& h0, const auto& xs) const {
        return tfx::scan(
            [&](auto h, auto x) {
                auto n = tanh(matmul(h, U) + x + bias);
                return std::tuple{n, n};
            },
            h0, xs);
    }
    // The loss whose gradients are checked: uses both the final carry and every output.
    auto loss() const {
        return [this](auto U, auto h0, auto xs) {
            auto [hf, ys] = run(U, h0, xs);
            return sum(hf) + sum(ys * ys) * 0.5;
        };
    }

    // The same by hand: the final carry, and the outputs stacked [T, B, H].
    std::pair<std::vector<double>, std::vector<double>> reference(const tensor<double, H, H>& U,
                                                                  const tensor<double, B, H>& h0,
                                                                  const tensor<double, dyn, B, H>& xs) const {
        const std::size_t T = xs.shape()[0];
        std::vector<double> h(h0.begin(), h0.end()), ys;
        for (std::size_t t = 0; t < T; ++t) {
            std::vector<double> n(B * H);
            for (std::size_t b = 0; b < B; ++b)
                for (std::size_t j = 0; j < H; ++j) {
                    double s = 0;
                    for (std::size_t k = 0; k < H; ++k) s += h[b * H + k] * U(k, j);
                    n[b * H + j] = std::tanh(s + xs(t, b, j) + bias(j));
                }
            h = n;
            ys.insert(ys.end(), n.begin(), n.end());
        }
        return {h, ys};
    }
    double reference_loss(const tensor<double, H, H>& U, const tensor<double, B, H>& h0,
                          const tensor<double, dyn, B, H>& xs) const {
        auto [h, ys] = reference(U, h0, xs);
        double l = 0;
        for (double v : h) l += v;
        for (double v : ys) l += 0.5 * v * v;
        return l;
    }
};

template <class Got>
std::string compare_with(const Got& got, const std::vector<double>& want, double tol = 1e-12) {
    adtest::mismatch_log log;
    if (got.size() != want.size()) return "sizes differ: " + std::to_string(got.size()) + " and " + std::to_string(want.size());
    for (std::size_t k = 0; k < want.size(); ++k) log.compare("[" + std::to_string(k) + "]", got.data()[k], want[k], tol);
    return log.str();
}

struct rnn_inputs {
    tensor<double, H, H> U;
    tensor<double, B, H> h0;
    tensor<double, dyn, B, H> xs;
    rnn_inputs(rng& r, std::size_t T) : xs(tfx::uninitialized, {T, B, H}) {
        fill(U, r, -0.6, 0.6);
        fill(h0, r);
        fill(xs, r);
    }
};

}  // namespace

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

TEST_CASE("scan: RNN gradients with respect to U, h0 and xs match finite differences", "[control][scan][autodiff]") {
    rng r(1004);
    const rnn net;
    const rnn_inputs in(r, 5);
    SECTION("value_and_grad<0, 1, 2>") {
        const std::string m = check_grad(net.loss(), in.U, in.h0, in.xs);
        INFO(m);
        CHECK(m.empty());
    }
    SECTION("tfx::grad agrees with value_and_grad") {
        auto [gU, gh, gx] = tfx::grad<0, 1, 2>(net.loss())(in.U, in.h0, in.xs);
        auto [l, vU, vh, vx] = tfx::value_and_grad<0, 1, 2>(net.loss())(in.U, in.h0, in.xs);
        CHECK(l() == Approx(net.reference_loss(in.U, in.h0, in.xs)).epsilon(1e-12));
        REQUIRE(gx.shape() == in.xs.shape());
        for (std::size_t k = 0; k < gU.size(); ++k) CHECK(gU.data()[k] == Approx(vU.data()[k]).epsilon(1e-13));
        for (std::size_t k = 0; k < gh.size(); ++k) CHECK(gh.data()[k] == Approx(vh.data()[k]).epsilon(1e-13));
        for (std::size_t k = 0; k < gx.size(); ++k) CHECK(gx.data()[k] == Approx(vx.data()[k]).epsilon(1e-13));
    }
    SECTION("vjp of the stacked outputs (a random cotangent of ys)") {
        const std::string m = adtest::check_vjp(
            [&net](auto U, auto h0, auto xs) {
                auto [hf, ys] = net.run(U, h0, xs);
                return ys;
            },
            in.U, in.h0, in.xs);
        INFO(m);
        CHECK(m.empty());
    }
    SECTION("vjp of the final carry alone") {
        const std::string m = adtest::check_vjp(
            [&net](auto U, auto h0, auto xs) {
                auto [hf, ys] = net.run(U, h0, xs);
                return hf;
            },
            in.U, in.h0, in.xs);
        INFO(m);
        CHECK(m.empty());
    }
}

TEST_CASE("scan: gradients through a tuple carry, tuple inputs and tuple outputs match finite differences",
          "[control][scan][autodiff]") {
    rng r(1005);
    const std::size_t T = 4;
    tensor<double, dyn, 3> xa(tfx::uninitialized, {T, 3}), xb(tfx::uninitialized, {T, 3});
    fill(xa, r);
    fill(xb, r);
    const auto h0 = uniform<tensor<double, 3>>(r), c0 = uniform<tensor<double, 3>>(r);
    const auto w = uniform<tensor<double, 3>>(r);
    auto loss = [](auto w, auto h0, auto c0, auto xa, auto xb) {
        auto [cf, ys] = tfx::scan(
            [&](auto carry, auto x) {
                auto [h, c] = carry;
                auto [a, b] = x;
                auto hn = tanh(h * w + c * a);
                auto cn = sin(c) * 0.9 + b * hn;
                return std::tuple{std::tuple{hn, cn}, std::tuple{hn * cn, sum(cn * cn)}};
            },
            std::tuple{h0, c0}, std::tuple{xa, xb});
        auto [hf, cfin] = cf;
        auto [y0, y1] = ys;
        return sum(hf) + sum(cfin * cfin) + sum(y0) + sum(y1) * 0.25;
    };
    const std::string m = check_grad(loss, w, h0, c0, xa, xb);
    INFO(m);
    CHECK(m.empty());
}

TEST_CASE("scan: a step containing cond (the branch picked per time step) matches a loop and finite differences",
          "[control][scan][cond][autodiff]") {
    rng r(1006);
    const std::size_t T = 6;
    tensor<double, dyn, 3> xs(tfx::uninitialized, {T, 3});
    fill(xs, r);
    // Time steps with sum(x_t) well away from 0, both signs, so finite differences never flip a branch.
    for (std::size_t t = 0; t < T; ++t) {
        const double shift = (t % 2 == 0 ? 0.8 : -0.8);
        for (std::size_t j = 0; j < 3; ++j) xs(t, j) = 0.2 * xs(t, j) + shift;
    }
    const auto w = uniform<tensor<double, 3>>(r), c0 = uniform<tensor<double, 3>>(r);
    auto loss = [](auto w, auto c0, auto xs) {
        auto [cf, ys] = tfx::scan(
            [&](auto c, auto x) {
                auto n = tfx::cond(sum(x) > 0.0, [&] { return tanh(c * w + x); }, [&] { return c * 0.5 - x * w; });
                return std::tuple{n, sum(n)};
            },
            c0, xs);
        return sum(cf * cf) + sum(ys);
    };
    // By hand.
    std::vector<double> c(c0.begin(), c0.end());
    double want = 0;
    for (std::size_t t = 0; t < T; ++t) {
        const double sx = xs(t, 0) + xs(t, 1) + xs(t, 2);
        for (std::size_t j = 0; j < 3; ++j) {
            c[j] = sx > 0 ? std::tanh(c[j] * w(j) + xs(t, j)) : c[j] * 0.5 - xs(t, j) * w(j);
            want += c[j];
        }
    }
    for (double v : c) want += v * v;
    auto f = tfx::function(loss);
    CHECK(f(w, c0, xs)() == Approx(want).epsilon(1e-12));
    const std::string m = check_grad(loss, w, c0, xs);
    INFO(m);
    CHECK(m.empty());
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

TEST_CASE("scan of length 1 and of length 0", "[control][scan][autodiff]") {
    rng r(1008);
    const rnn net;
    SECTION("length 1: one step, values and gradients") {
        const rnn_inputs in(r, 1);
        auto [hf, ys] = net.run(in.U, in.h0, in.xs);
        const tensor<double, B, H> hft = hf;
        const tensor<double, dyn, B, H> yst = ys;
        REQUIRE(yst.shape() == tfx::dims_t<3>{1, B, H});
        const auto [want_h, want_ys] = net.reference(in.U, in.h0, in.xs);
        const std::string m1 = compare_with(hft, want_h), m2 = compare_with(yst, want_ys);
        INFO(m1 << m2);
        CHECK(m1.empty());
        CHECK(m2.empty());
        const std::string m = check_grad(net.loss(), in.U, in.h0, in.xs);
        INFO(m);
        CHECK(m.empty());
    }
    SECTION("length 0: the final carry is the initial one, ys has leading extent 0") {
        const rnn_inputs in(r, 0);
        REQUIRE(in.xs.size() == 0);
        auto [hf, ys] = net.run(in.U, in.h0, in.xs);
        const tensor<double, B, H> hft = hf;
        const tensor<double, dyn, B, H> yst = ys;
        CHECK(yst.shape() == tfx::dims_t<3>{0, B, H});
        CHECK(yst.size() == 0);
        for (std::size_t k = 0; k < hft.size(); ++k) CHECK(hft.data()[k] == in.h0.data()[k]);
        // Inside tfx::function too.
        auto f = tfx::function([&net](auto U, auto h0, auto xs) {
            auto [a, b] = net.run(U, h0, xs);
            return std::tuple{a, b};
        });
        auto [fh, fy] = f(in.U, in.h0, in.xs);
        CHECK(fy.shape() == tfx::dims_t<3>{0, B, H});
        for (std::size_t k = 0; k < fh.size(); ++k) CHECK(fh.data()[k] == in.h0.data()[k]);
        // Gradients: loss = sum(h0), so dU = 0, dh0 = 1 and dxs is empty.
        auto [l, gU, gh, gx] = tfx::value_and_grad<0, 1, 2>(net.loss())(in.U, in.h0, in.xs);
        double s = 0;
        for (double v : in.h0) s += v;
        CHECK(l() == Approx(s).epsilon(1e-14));
        for (double v : gU) CHECK(v == 0.0);
        for (double v : gh) CHECK(v == 1.0);
        CHECK(gx.shape() == tfx::dims_t<3>{0, B, H});
    }
}

TEST_CASE("scan inside tfx::function and value_and_grad, called with different lengths", "[control][scan][autodiff]") {
    rng r(1009);
    const rnn net;
    auto f = tfx::function([&net](auto U, auto h0, auto xs) {
        auto [a, b] = net.run(U, h0, xs);
        return std::tuple{a, b};
    });
    auto vg = tfx::value_and_grad<0, 1, 2>(net.loss());
    const rnn_inputs in5(r, 5), in3(r, 3), in7(r, 7);
    for (const rnn_inputs* in : {&in5, &in3, &in7, &in5, &in3}) {
        const std::size_t T = in->xs.shape()[0];
        INFO("T = " << T);
        auto [hf, ys] = f(in->U, in->h0, in->xs);
        REQUIRE(ys.shape() == tfx::dims_t<3>{T, B, H});
        const auto [want_h, want_ys] = net.reference(in->U, in->h0, in->xs);
        const std::string m1 = compare_with(hf, want_h), m2 = compare_with(ys, want_ys);
        INFO(m1 << m2);
        CHECK(m1.empty());
        CHECK(m2.empty());
        // The reused value_and_grad agrees with a fresh one (whose gradients are checked against
        // finite differences above).
        auto [l, gU, gh, gx] = vg(in->U, in->h0, in->xs);
        auto [l2, gU2, gh2, gx2] = tfx::value_and_grad<0, 1, 2>(net.loss())(in->U, in->h0, in->xs);
        CHECK(l() == Approx(net.reference_loss(in->U, in->h0, in->xs)).epsilon(1e-12));
        CHECK(l() == l2());
        REQUIRE(gx.shape() == in->xs.shape());
        bool same = true;
        for (std::size_t k = 0; k < gU.size(); ++k) same = same && gU.data()[k] == gU2.data()[k];
        for (std::size_t k = 0; k < gh.size(); ++k) same = same && gh.data()[k] == gh2.data()[k];
        for (std::size_t k = 0; k < gx.size(); ++k) same = same && gx.data()[k] == gx2.data()[k];
        CHECK(same);
    }
    const std::string m = check_grad(net.loss(), in3.U, in3.h0, in3.xs);
    INFO(m);
    CHECK(m.empty());
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
