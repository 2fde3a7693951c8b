// Hessian-vector products through slice, concat, max and softmax, against finite differences of the
// gradient (check_hvp in test_autodiff_check.hpp); prod's is in test_autodiff_hvp_prod.cpp. Apart
// from test_autodiff_hvp.cpp because second-order graphs are costly to compile, and one check per
// group of ops rather than one composite of them all: the composite (with prod) took 6 minutes and
// 6.8 GB of compiler memory at -O3, these checks under a minute per file. The compile-time analysis
// of a derivative graph grows faster than linearly with its size (docs/benchmarks.md).
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_hvp;
using adtest::rng;
using tfx::tensor;

template <class Tn>
Tn uniform(rng& r, double lo = -1, double hi = 1) {
    Tn t;
    adtest::fill_uniform(t, r, lo, hi);
    return t;
}

}  // namespace

TEST_CASE("Hessian-vector products through slice, concat, max and softmax match finite differences", "[autodiff]") {
    rng r(1103);
    tensor<double, 3, 4> w;
    adtest::fill_distinct(w, r);  // no ties for max
    const auto v = uniform<tensor<double, 3, 4>>(r);
    const auto c = uniform<tensor<double, 4>>(r);
    SECTION("softmax of a concat of a slice and an elementwise branch") {
        const std::string m = check_hvp(
            [](auto w, auto c) {
                auto parts = concat<0>(slice<0>(w, 1, 2), exp(w) * c);  // [5,4]
                return sum(softmax<1>(parts) * c);
            },
            w, v, c);
        INFO(m);
        CHECK(m.empty());
    }
    SECTION("max times a sum of the same variable") {
        const std::string m = check_hvp([](auto w, auto) { return max(w) * sum(w); }, w, v, c);
        INFO(m);
        CHECK(m.empty());
    }
}
