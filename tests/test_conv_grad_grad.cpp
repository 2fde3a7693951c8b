// Convolution and pooling, second order, reverse over reverse (include/tfx/expr/conv.hpp): grad of
// grad through conv2d and the pools against closed forms and finite differences in double
// precision. Hessian-vector products: test_conv_hvp.cpp.
#include "conv_check.hpp"

using namespace convtest;

// Reverse over reverse differentiates the adjoint nodes (fold_patches, avg_pool2d_grad,
// max_pool2d_grad) and their partners.
TEST_CASE("second order through conv2d and pooling: grad of grad", "[conv][autodiff]") {
    rng r(4204);
    const auto x = random_tensor<double, dyn, 5, 6, 2>(r, 2);
    const auto w = random_tensor<double, 3, 3, 2, 3>(r, 0);
    const tensor<double> a = 0.7;
    auto xd = x;
    adtest::fill_distinct(xd, r);
    SECTION("f(a) = sum(conv2d(a x, w)^2) = a^2 S: f'' = 2 S, and likewise for the pools") {
        double s_conv = 0, s_avg = 0, s_max = 0;
        for (double y : ref_conv(as_doubles(x), as_doubles(w), 2, 5, 6, 2, 3, 3, 3, 2, 1, true)) s_conv += y * y;
        for (double y : ref_pool(as_doubles(x), 2, 5, 6, 2, 3, 3, 2, 2, true, false)) s_avg += y * y;
        for (double y : ref_pool(as_doubles(x), 2, 5, 6, 2, 2, 3, 2, 2, true, true)) s_max += y * y;
        auto conv2 = tfx::grad(tfx::grad([](auto a, auto x, auto w) { return sum(square(tfx::conv2d<2, 1, padding::same>(a * x, w))); }));
        auto avg2 = tfx::grad(tfx::grad([](auto a, auto x) { return sum(square(tfx::avg_pool2d<3, 3, 2, 2, padding::same>(a * x))); }));
        auto max2 = tfx::grad(tfx::grad([](auto a, auto x) { return sum(square(tfx::max_pool2d<2, 3, 2, 2, padding::same>(a * x))); }));
        CHECK(conv2(a, x, w)() == Approx(2 * s_conv).epsilon(1e-12));
        CHECK(avg2(a, x)() == Approx(2 * s_avg).epsilon(1e-12));
        CHECK(max2(a, x)() == Approx(2 * s_max).epsilon(1e-12));
    }
    SECTION("the gradient of d f / d a with respect to a, x and w against finite differences") {
        auto conv_a = tfx::grad([](auto a, auto x, auto w) { return sum(tanh(tfx::conv2d<2, 1, padding::same>(a * x, w))); });
        auto avg_a = tfx::grad([](auto a, auto x) { return sum(tanh(tfx::avg_pool2d<3, 3, 2, 2, padding::same>(a * x))); });
        auto max_a = tfx::grad([](auto a, auto x) { return sum(tanh(tfx::max_pool2d<2, 3, 2, 2, padding::same>(a * x))); });
        for (const std::string& m : {adtest::check_grad(conv_a, a, x, w), adtest::check_grad(avg_a, a, x),
                                     adtest::check_grad(max_a, a, xd)}) {
            INFO(m);
            CHECK(m.empty());
        }
    }
}
