// tfx::scan of lengths 1 and 0 (values and gradients), and inside tfx::function and value_and_grad
// called with several lengths (include/tfx/control/scan.hpp). The other gradients:
// test_control_scan_grad.cpp.
#include "scan_check.hpp"

using namespace scantest;

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
