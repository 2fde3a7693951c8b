// Reverse and forward mode of slice against finite differences in double precision (helpers in
// test_autodiff_check.hpp): the adjoint of slice is a zero pad, and the adjoints of several slices
// of one node are one pad_sum, whether the ranges tile the axis, overlap or leave gaps; a
// Hessian-vector product through merged slices.
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_derivatives;
using adtest::rng;
using adtest::uniform_tensor;
using tfx::dyn;
using tfx::tensor;

}  // namespace

TEST_CASE("vjp and jvp of slice match finite differences", "[autodiff]") {
    rng r(903);
    const auto x = uniform_tensor<tensor<double, 4, 5>>(r);
    SECTION("run-time range on axis 0") { check_derivatives([](auto x) { return slice<0>(x, 1, 2); }, x); }
    SECTION("static range on axis 1") { check_derivatives([](auto x) { return slice<1, 1, 3>(x) * 2.0; }, x); }
    SECTION("run-time range on the last axis of an expression, dynamic extent") {
        tensor<double, dyn, 5> xd(3);
        adtest::fill_uniform(xd, r, -1, 1);
        check_derivatives([](auto x) { return slice<-1>(square(x), 2, 3); }, xd);
    }
    SECTION("two slices of one argument") {
        check_derivatives([](auto x) { return slice<0>(x, 0, 2) * slice<0>(x, 2, 2); }, x);
    }
    // The adjoints of several slices of one node are one pad_sum (autodiff/adjoint_ops.hpp): written
    // part by part when the ranges tile the axis, added into zeros when they overlap or leave gaps.
    SECTION("static slices that tile the axis, each used twice (an LSTM's gates)") {
        const auto x6 = uniform_tensor<tensor<double, 4, 6>>(r);
        check_derivatives(
            [](auto x) {
                auto a = sigmoid(slice<1, 0, 2>(x)), b = tanh(slice<1, 2, 2>(x)), c = slice<1, 4, 2>(x);
                return a * b + sin(c) * a + b * c;
            },
            x6);
    }
    SECTION("run-time slices that overlap and leave a gap") {
        check_derivatives([](auto x) { return slice<1>(x, 0, 2) * slice<1>(x, 1, 2) + exp(slice<1>(x, 0, 2)); }, x);
    }
    SECTION("Hessian-vector product through merged slices") {
        const auto v = uniform_tensor<tensor<double, 4, 5>>(r);
        const std::string m = adtest::check_hvp(
            [](auto x) { return sum(sin(slice<1, 0, 2>(x)) * slice<1, 2, 2>(x) + square(slice<1, 1, 2>(x))); }, x, v);
        INFO(m);
        CHECK(m.empty());
    }
}
