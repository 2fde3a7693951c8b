// tfx::scan with a tfx::cond in its step (include/tfx/control/scan.hpp, cond.hpp): the branch picked
// per time step, values against a loop and gradients against central finite differences in double.
// The other gradients through scan: test_control_scan_grad.cpp.
#include "scan_check.hpp"

using namespace scantest;

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
