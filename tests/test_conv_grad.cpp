// Convolution and pooling differentiated (include/tfx/expr/conv.hpp): reverse and forward mode of
// conv2d, extract_patches and the pools against finite differences in double precision, the
// dot-product test, and TensorFlow's choice of the first maximum in max_pool2d's gradient. Second
// order: test_conv_hvp.cpp, test_conv_grad_grad.cpp; values: test_conv.cpp.
#include "conv_check.hpp"

using namespace convtest;

TEST_CASE("conv2d: gradients with respect to x and w match finite differences", "[conv][autodiff]") {
    rng r(4201);
    SECTION("3x3 valid, stride 1, C = 3, F = 4, odd sizes") {
        const auto x = random_tensor<double, dyn, 5, 7, 3>(r, 2);
        const auto w = random_tensor<double, 3, 3, 3, 4>(r, 0);
        const auto rr = random_tensor<double, dyn, 3, 5, 4>(r, 2);
        adtest::check_derivatives([](auto x, auto w) { return tfx::conv2d(x, w); }, x, w);
        const std::string m = adtest::check_grad([](auto x, auto w, auto r) { return sum(tfx::conv2d(x, w) * r); }, x, w, rr);
        INFO(m);
        CHECK(m.empty());
    }
    SECTION("3x2 same, stride 2, C = 2, F = 3, static batch") {
        const auto x = random_tensor<double, 2, 7, 6, 2>(r, 0);
        const auto w = random_tensor<double, 3, 2, 2, 3>(r, 0);
        const auto rr = random_tensor<double, 2, 4, 3, 3>(r, 0);
        adtest::check_derivatives([](auto x, auto w) { return tfx::conv2d<2, 2, padding::same>(x, w); }, x, w);
        const std::string m = adtest::check_grad(
            [](auto x, auto w, auto r) { return sum(tfx::conv2d<2, 2, padding::same>(x, w) * r); }, x, w, rr);
        INFO(m);
        CHECK(m.empty());
    }
    SECTION("4x4 same, strides 3x2, through bias and tanh") {
        const auto x = random_tensor<double, dyn, 5, 6, 2>(r, 2);
        const auto w = random_tensor<double, 4, 4, 2, 3>(r, 0);
        const auto b = random_tensor<double, 3>(r, 0);
        adtest::check_derivatives([](auto x, auto w, auto b) { return tanh(tfx::conv2d<3, 2, padding::same>(x, w) + b); },
                                  x, w, b);
    }
    SECTION("tfx::grad gives what value_and_grad gives") {
        const auto x = random_tensor<double, dyn, 5, 5, 2>(r, 2);
        const auto w = random_tensor<double, 3, 3, 2, 2>(r, 0);
        auto loss = [](auto x, auto w) { return sum(square(tfx::conv2d<1, 1, padding::same>(x, w))); };
        auto g = tfx::grad<0, 1>(loss);
        const auto [dx, dw] = g(x, w);
        auto vg = tfx::value_and_grad<0, 1>(loss);
        const auto& [l, dx2, dw2] = vg(x, w);
        CHECK(l() > 0);
        CHECK(values(dx) == values(dx2));
        CHECK(values(dw) == values(dw2));
    }
}

TEST_CASE("extract_patches and pooling: derivatives match finite differences", "[conv][autodiff]") {
    rng r(4202);
    const auto x = random_tensor<double, dyn, 5, 7, 2>(r, 2);
    SECTION("extract_patches, same, stride 2, pad value 3 (no gradient)") {
        adtest::check_derivatives([](auto x) { return tfx::extract_patches<3, 2, 2, 2, padding::same>(x, 3.0); }, x);
    }
    SECTION("avg_pool2d, same, 3x3 stride 2 (border windows average fewer positions)") {
        adtest::check_derivatives([](auto x) { return tfx::avg_pool2d<3, 3, 2, 2, padding::same>(x); }, x);
    }
    SECTION("max_pool2d, valid 2x2 and same 3x3 stride 2, on distinct values") {
        auto xd = x;
        adtest::fill_distinct(xd, r);
        adtest::check_derivatives([](auto x) { return tfx::max_pool2d<2, 2>(x); }, xd);
        adtest::check_derivatives([](auto x) { return tfx::max_pool2d<3, 3, 2, 2, padding::same>(x); }, xd);
    }
    SECTION("global_average_pool2d") {
        adtest::check_derivatives([](auto x) { return tfx::global_average_pool2d(x); }, x);
    }
    SECTION("dot-product test <t, J^T c> == <J t, c>") {
        auto xd = x;
        adtest::fill_distinct(xd, r);
        adtest::check_dot_product([](auto x) { return tfx::extract_patches<2, 3, 1, 2, padding::same>(x, 0.0); }, xd);
        adtest::check_dot_product([](auto x) { return tfx::avg_pool2d<2, 3, 1, 2, padding::same>(x); }, xd);
        adtest::check_dot_product([](auto x) { return tfx::max_pool2d<2, 3, 1, 2, padding::same>(x); }, xd);
    }
}

TEST_CASE("max_pool2d sends the gradient to the first maximum of a window, as TensorFlow does", "[conv][autodiff]") {
    // Window 0 has a tie (7 at positions 0 and 3): the first one gets it all.
    const tensor<double, 1, 2, 4, 1> x{{{{7}, {1}, {2}, {3}}, {{0}, {7}, {4}, {-1}}}};
    auto g = tfx::grad([](auto x) { return sum(tfx::max_pool2d<2, 2>(x) * tensor<double, 1, 1, 2, 1>{{{{10}, {100}}}}); });
    const tensor<double, 1, 2, 4, 1> dx = g(x);
    CHECK(values(dx) == std::vector<double>{10, 0, 0, 0, 0, 0, 100, 0});

    // 37 channels (SIMD batches and a scalar tail): channel c has its maximum 1 at window position
    // c % 4, and at c % 4 + 1 too when c % 3 == 0 (a tie); elsewhere 0.
    tensor<float, 1, 2, 2, 37> y;
    for (std::size_t c = 0; c < 37; ++c) {
        const std::size_t k = c % 4;
        y(0, k / 2, k % 2, c) = 1;
        if (c % 3 == 0 && k < 3) y(0, (k + 1) / 2, (k + 1) % 2, c) = 1;
    }
    auto gy = tfx::grad([](auto y) { return sum(tfx::max_pool2d<2, 2>(y)); });
    const tensor<float, 1, 2, 2, 37> dy = gy(y);
    for (std::size_t c = 0; c < 37; ++c)
        for (std::size_t k = 0; k < 4; ++k) {
            INFO("channel " << c << ", window position " << k);
            CHECK(dy(0, k / 2, k % 2, c) == (k == c % 4 ? 1.f : 0.f));
        }
}
