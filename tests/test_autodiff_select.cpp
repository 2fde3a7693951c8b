// Reverse and forward mode of concat and gather against finite differences in double precision
// (helpers in test_autodiff_check.hpp): the adjoint of concat is slices, of gather a scatter-add
// (repeated indices add up). Integer indices get zero cotangents. slice is in
// test_autodiff_slice.cpp (one file of the three took over 60 s to compile).
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_derivatives;
using adtest::rng;
using adtest::uniform_tensor;
using tfx::dyn;
using tfx::tensor;

}  // namespace

TEST_CASE("vjp and jvp of concat match finite differences", "[autodiff]") {
    rng r(901);
    const auto a = uniform_tensor<tensor<double, 2, 3>>(r);
    SECTION("axis 0, two operands") {
        check_derivatives([](auto a, auto b) { return concat<0>(a, b * b); }, a, uniform_tensor<tensor<double, 1, 3>>(r));
    }
    SECTION("axis 1, three operands") {
        check_derivatives([](auto a, auto b, auto c) { return concat<1>(a, exp(b), c); }, a,
                          uniform_tensor<tensor<double, 2, 2>>(r),
                          uniform_tensor<tensor<double, 2, 1>>(r));
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
        check_derivatives([](auto x, auto i) { return gather<0>(x, i); }, uniform_tensor<tensor<double, 5, 3>>(r), idx);
        auto g = tfx::grad([](auto x, auto i) { return sum(gather<0>(x, i)); });
        const auto& dx = g(uniform_tensor<tensor<double, 5, 3>>(r), idx);
        const double rows[5] = {1, 0, 1, 0, 2};
        for (std::size_t i = 0; i < 5; ++i)
            for (std::size_t j = 0; j < 3; ++j) CHECK(dx(i, j) == rows[i]);
    }
    SECTION("gather<1, 1>: the label's class of each row") {
        const tensor<std::int64_t, dyn> labels{2, 0, 2, 4};
        check_derivatives([](auto z, auto y) { return gather<1, 1>(z, y) * 2.0; }, uniform_tensor<tensor<double, 4, 5>>(r),
                          labels);
    }
    SECTION("gather<1>: columns, int32 indices") {
        const tensor<std::int32_t, 2> idx{2, 0};
        check_derivatives([](auto x, auto i) { return gather<1>(x, i); }, uniform_tensor<tensor<double, 3, 4>>(r), idx);
    }
    SECTION("gather<0> with 2-D indices, of an expression") {
        const tensor<std::int64_t, 2, 2> idx{{1, 1}, {0, 2}};
        check_derivatives([](auto x, auto i) { return gather<0>(tanh(x), i); }, uniform_tensor<tensor<double, 3, 2>>(r), idx);
    }
}
