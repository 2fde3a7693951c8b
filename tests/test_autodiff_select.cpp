// Reverse and forward mode of concat, gather and slice against finite differences in double
// precision (helpers in test_autodiff_check.hpp): the adjoint of concat is slices, of gather a
// scatter-add (repeated indices add up), of slice a zero pad. Integer indices get zero cotangents.
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_derivatives;
using adtest::rng;
using tfx::dyn;
using tfx::tensor;

template <class Tn>
Tn uniform(rng& r) {
    Tn t;
    adtest::fill_uniform(t, r, -1, 1);
    return t;
}

}  // namespace

TEST_CASE("vjp and jvp of concat match finite differences", "[autodiff]") {
    rng r(901);
    const auto a = uniform<tensor<double, 2, 3>>(r);
    SECTION("axis 0, two operands") {
        check_derivatives([](auto a, auto b) { return concat<0>(a, b * b); }, a, uniform<tensor<double, 1, 3>>(r));
    }
    SECTION("axis 1, three operands") {
        check_derivatives([](auto a, auto b, auto c) { return concat<1>(a, exp(b), c); }, a, uniform<tensor<double, 2, 2>>(r),
                          uniform<tensor<double, 2, 1>>(r));
    }
    SECTION("the same argument twice gets both slices") {
        check_derivatives([](auto a) { return concat<-1>(a, a * 2.0); }, a);
    }
    SECTION("dynamic extent along the axis") {
        tensor<double, dyn, 3> d(4);
        adtest::fill_uniform(d, r, -1, 1);
        check_derivatives([](auto a, auto d) { return concat<0>(d, a); }, a, d);
    }
}

TEST_CASE("vjp and jvp of gather match finite differences, repeated indices add up", "[autodiff]") {
    rng r(902);
    SECTION("gather<0>: rows, with repeats") {
        const tensor<std::int64_t, 4> idx{4, 0, 4, 2};
        check_derivatives([](auto x, auto i) { return gather<0>(x, i); }, uniform<tensor<double, 5, 3>>(r), idx);
        auto g = tfx::grad([](auto x, auto i) { return sum(gather<0>(x, i)); });
        const auto& dx = g(uniform<tensor<double, 5, 3>>(r), idx);
        const double rows[5] = {1, 0, 1, 0, 2};
        for (std::size_t i = 0; i < 5; ++i)
            for (std::size_t j = 0; j < 3; ++j) CHECK(dx(i, j) == rows[i]);
    }
    SECTION("gather<1, 1>: the label's class of each row") {
        const tensor<std::int64_t, dyn> labels{2, 0, 2, 4};
        check_derivatives([](auto z, auto y) { return gather<1, 1>(z, y) * 2.0; }, uniform<tensor<double, 4, 5>>(r), labels);
    }
    SECTION("gather<1>: columns, int32 indices") {
        const tensor<std::int32_t, 2> idx{2, 0};
        check_derivatives([](auto x, auto i) { return gather<1>(x, i); }, uniform<tensor<double, 3, 4>>(r), idx);
    }
    SECTION("gather<0> with 2-D indices, of an expression") {
        const tensor<std::int64_t, 2, 2> idx{{1, 1}, {0, 2}};
        check_derivatives([](auto x, auto i) { return gather<0>(tanh(x), i); }, uniform<tensor<double, 3, 2>>(r), idx);
    }
}

TEST_CASE("vjp and jvp of slice match finite differences", "[autodiff]") {
    rng r(903);
    const auto x = uniform<tensor<double, 4, 5>>(r);
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
        const auto x6 = uniform<tensor<double, 4, 6>>(r);
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
        const auto v = uniform<tensor<double, 4, 5>>(r);
        const std::string m = adtest::check_hvp(
            [](auto x) { return sum(sin(slice<1, 0, 2>(x)) * slice<1, 2, 2>(x) + square(slice<1, 1, 2>(x))); }, x, v);
        INFO(m);
        CHECK(m.empty());
    }
}
