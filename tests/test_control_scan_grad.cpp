// tfx::scan differentiated (include/tfx/control/scan.hpp): an RNN step h' = tanh(h @ U + x_t + bias)
// with U captured from the function's arguments: gradients with respect to U, h0 and xs against
// central finite differences in double (backpropagation through time; helpers in
// test_autodiff_check.hpp); tuple carries. A cond in the step: test_control_scan_cond.cpp; lengths
// 1 and 0, and tfx::function with several lengths: test_control_scan_lengths.cpp; the forward
// values: test_control_scan.cpp.
#include "scan_check.hpp"

using namespace scantest;

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

TEST_CASE("scan: two carry parts of one shape each get their own gradient", "[control][scan][autodiff]") {
    // The step has no constants, so the scan's type says everything about its value; its final h
    // and c are still two parts of the pack (one type, two offsets). Reverse mode once took them
    // for one node: h got the sum of both adjoints and c none.
    rng r(1006);
    const auto a0 = uniform<tensor<double, 3>>(r), b0 = uniform<tensor<double, 3>>(r);
    tensor<double, dyn, 3> xs(tfx::uninitialized, {4, 3});
    fill(xs, r);
    auto loss = [](auto a0, auto b0, auto xs) {
        auto [carry, ys] = tfx::scan(
            [](const auto& c, const auto& x) {
                const auto& [a, b] = c;
                auto na = a * x;
                return std::tuple{std::tuple{na, b + x}, na};
            },
            std::tuple{a0, b0}, xs);
        return sum(std::get<0>(carry)) + 2.0 * sum(std::get<1>(carry));
    };
    auto [ga, gb] = tfx::grad<0, 1>(loss)(a0, b0, xs);
    for (std::size_t j = 0; j < 3; ++j) {
        double prod = 1;
        for (std::size_t t = 0; t < 4; ++t) prod *= xs(t, j);
        CHECK(ga(j) == Approx(prod).epsilon(1e-12));  // d sum(a_T) / d a0 = the product of x over time
        CHECK(gb(j) == Approx(2.0).epsilon(1e-12));
    }
    const std::string m = check_grad(loss, a0, b0, xs);
    INFO(m);
    CHECK(m.empty());
}
