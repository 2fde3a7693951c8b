// Reverse and forward mode of logsumexp over one axis, several axes, all axes and with keepdims (of
// an expression, with a dynamic extent), against finite differences in double precision (helpers in
// test_autodiff_check.hpp). Split from test_autodiff_extrema.cpp for the compiler.
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_derivatives;
using adtest::rng;
using tfx::dyn;
using tfx::keepdims;
using tfx::tensor;

using X = tensor<double, 2, 3, 4>;

}  // namespace

TEST_CASE("vjp and jvp of logsumexp match finite differences", "[autodiff]") {
    rng r(503);
    X x;
    adtest::fill_uniform(x, r, -2, 2);
    SECTION("one axis") { check_derivatives([](auto x) { return logsumexp<1>(x); }, x); }
    SECTION("several axes") { check_derivatives([](auto x) { return logsumexp<0, 2>(x); }, x); }
    SECTION("all axes") { check_derivatives([](auto x) { return logsumexp(x); }, x); }
    SECTION("keepdims, of an expression, dynamic extent") {
        tensor<double, dyn, 4> xd(3);
        adtest::fill_uniform(xd, r, -2, 2);
        check_derivatives([](auto x) { return logsumexp<-1>(x * 3.0, keepdims); }, xd);
    }
}
