// Reverse and forward mode of transpose, permute, reshape and broadcast_to against finite
// differences in double precision (helpers in test_autodiff_check.hpp).
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_derivatives;
using adtest::rng;
using adtest::uniform_tensor;
using tfx::dyn;
using tfx::tensor;

}  // namespace

#if !TFX_AD_BUG_PERMUTE_VJP  // see test_autodiff_check.hpp
TEST_CASE("vjp and jvp of transpose and permute match finite differences", "[autodiff]") {
    rng r(801);
    const auto x = uniform_tensor<tensor<double, 2, 3, 4>>(r);
    const auto c = uniform_tensor<tensor<double, 4, 3, 2>>(r);
    SECTION("transpose of a matrix") {
        check_derivatives([](auto m) { return transpose(m) * 2.0; }, uniform_tensor<tensor<double, 3, 5>>(r));
    }
    SECTION("transpose of rank 3 reverses all axes") { check_derivatives([](auto x, auto c) { return transpose(x) * c; }, x, c); }
    SECTION("permute<2, 0, 1>") { check_derivatives([](auto x) { return permute<2, 0, 1>(exp(x)); }, x); }
    SECTION("permute<1, 0, 2> of a dynamic extent") {
        tensor<double, dyn, 3, 4> xd(2);
        adtest::fill_uniform(xd, r, -1, 1);
        check_derivatives([](auto x) { return permute<1, 0, 2>(x); }, xd);
    }
}
#else
TEST_CASE("jvp of transpose and permute matches finite differences (vjp: see test_autodiff_check.hpp)", "[autodiff]") {
    rng r(801);
    const auto x = uniform_tensor<tensor<double, 2, 3, 4>>(r);
    const auto c = uniform_tensor<tensor<double, 4, 3, 2>>(r);
    const std::string m1 = adtest::check_jvp([](auto x, auto c) { return transpose(x) * c; }, x, c);
    INFO(m1);
    CHECK(m1.empty());
    const std::string m2 = adtest::check_jvp([](auto x) { return permute<2, 0, 1>(exp(x)); }, x);
    INFO(m2);
    CHECK(m2.empty());
}
#endif

TEST_CASE("vjp and jvp of reshape match finite differences", "[autodiff]") {
    rng r(802);
    const auto x = uniform_tensor<tensor<double, 2, 3, 4>>(r);
    SECTION("[2,3,4] -> [6,4]") { check_derivatives([](auto x) { return reshape<6, 4>(x) * 3.0; }, x); }
    SECTION("[2,3,4] -> [?,2], inferred") { check_derivatives([](auto x) { return reshape<dyn, 2>(x); }, x); }
    SECTION("of an expression, then broadcast against [4]") {
        const auto b = uniform_tensor<tensor<double, 4>>(r);
        check_derivatives([](auto x, auto b) { return reshape<6, 4>(sin(x)) * b; }, x, b);
    }
}

TEST_CASE("vjp and jvp of broadcast_to match finite differences (the adjoint sums)", "[autodiff]") {
    rng r(803);
    SECTION("[3] -> [2,3]") {
        check_derivatives([](auto v) { return broadcast_to<2, 3>(v); }, uniform_tensor<tensor<double, 3>>(r));
    }
    SECTION("[2,1] -> [4,2,3]") {
        check_derivatives([](auto v) { return broadcast_to<4, 2, 3>(v * v); }, uniform_tensor<tensor<double, 2, 1>>(r));
    }
    SECTION("[1,3] -> [?,3]") {
        check_derivatives([](auto v) { return broadcast_to<dyn, 3>(v, 5); }, uniform_tensor<tensor<double, 1, 3>>(r));
    }
}
