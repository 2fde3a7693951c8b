// Reverse and forward mode of matmul against finite differences in double precision: 2-D (the
// small static kernel and the general GEMM), batched, and with either operand transposed (helpers in
// test_autodiff_check.hpp). Broadcast batch axes, epilogue fusion and a matmul under a full sum are
// in test_autodiff_matmul_fused.cpp (split for the compiler).
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_derivatives;
using adtest::check_grad;
using adtest::rng;
using adtest::uniform_tensor;
using tfx::dyn;
using tfx::tensor;

}  // namespace

TEST_CASE("vjp and jvp of a 2-D matmul match finite differences", "[autodiff]") {
    rng r(701);
    SECTION("small static [3,4] @ [4,5]") {
        check_derivatives([](auto a, auto b) { return matmul(a, b); }, uniform_tensor<tensor<double, 3, 4>>(r),
                          uniform_tensor<tensor<double, 4, 5>>(r));
    }
    SECTION("static [18,17] @ [17,19], beyond the small kernel") {
        check_derivatives([](auto a, auto b) { return matmul(a, b); }, uniform_tensor<tensor<double, 18, 17>>(r),
                          uniform_tensor<tensor<double, 17, 19>>(r));
    }
    SECTION("dynamic [?,4] @ [4,5]") {
        tensor<double, dyn, 4> a(6);
        adtest::fill_uniform(a, r, -1, 1);
        check_derivatives([](auto a, auto b) { return matmul(a, b); }, a, uniform_tensor<tensor<double, 4, 5>>(r));
    }
}

#if !TFX_AD_BUG_PERMUTE_VJP  // see test_autodiff_check.hpp
TEST_CASE("vjp and jvp of matmul with a transposed operand match finite differences", "[autodiff]") {
    rng r(702);
    const auto a = uniform_tensor<tensor<double, 4, 3>>(r);  // used as a^T: [3,4]
    const auto b = uniform_tensor<tensor<double, 5, 4>>(r);  // used as b^T: [4,5]
    const auto a2 = uniform_tensor<tensor<double, 3, 4>>(r);
    const auto b2 = uniform_tensor<tensor<double, 4, 5>>(r);
    SECTION("transpose(a) @ b") { check_derivatives([](auto a, auto b) { return matmul(transpose(a), b); }, a, b2); }
    SECTION("a @ transpose(b)") { check_derivatives([](auto a, auto b) { return matmul(a, transpose(b)); }, a2, b); }
    SECTION("transpose(a) @ transpose(b)") {
        check_derivatives([](auto a, auto b) { return matmul(transpose(a), transpose(b)); }, a, b);
    }
}
#else
TEST_CASE("jvp of matmul with transposed operands matches finite differences (vjp: see test_autodiff_check.hpp)",
          "[autodiff]") {
    rng r(702);
    const auto a = uniform_tensor<tensor<double, 4, 3>>(r);
    const auto b = uniform_tensor<tensor<double, 5, 4>>(r);
    const std::string m1 = adtest::check_jvp([](auto a, auto b) { return matmul(transpose(a), transpose(b)); }, a, b);
    INFO(m1);
    CHECK(m1.empty());
    const std::string m2 = adtest::check_jvp([](auto a, auto b) { return matmul(permute<0, 2, 1>(a), permute<0, 2, 1>(b)); },
                                             uniform_tensor<tensor<double, 2, 4, 3>>(r),
                                             uniform_tensor<tensor<double, 2, 5, 4>>(r));
    INFO(m2);
    CHECK(m2.empty());
}
#endif

TEST_CASE("vjp and jvp of a batched matmul match finite differences", "[autodiff]") {
    rng r(703);
    SECTION("[2,3,4] @ [2,4,5]") {
        check_derivatives([](auto a, auto b) { return matmul(a, b); }, uniform_tensor<tensor<double, 2, 3, 4>>(r),
                          uniform_tensor<tensor<double, 2, 4, 5>>(r));
    }
#if !TFX_AD_BUG_PERMUTE_VJP
    SECTION("batched, with the last two axes of each operand swapped") {
        check_derivatives([](auto a, auto b) { return matmul(permute<0, 2, 1>(a), permute<0, 2, 1>(b)); },
                          uniform_tensor<tensor<double, 2, 4, 3>>(r), uniform_tensor<tensor<double, 2, 5, 4>>(r));
    }
#endif
}
