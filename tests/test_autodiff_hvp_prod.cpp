// The Hessian-vector product through prod against finite differences of the gradient (check_hvp in
// test_autodiff_check.hpp). A file of its own: its second-order graph alone takes most of a minute
// to compile at -O3 (see test_autodiff_hvp_ops.cpp).
#include "test_autodiff_check.hpp"

TEST_CASE("Hessian-vector products through prod match finite differences", "[autodiff]") {
    adtest::rng r(1103);
    tfx::tensor<double, 3, 4> w, v;
    adtest::fill_uniform(w, r, -1, 1);
    adtest::fill_uniform(v, r, -1, 1);
    const std::string m = adtest::check_hvp([](auto w) { return sum(prod<1>(w + 2.0)); }, w, v);
    INFO(m);
    CHECK(m.empty());
}
