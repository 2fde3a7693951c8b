// Convolution and pooling, second order, forward over reverse (include/tfx/expr/conv.hpp):
// Hessian-vector products through conv2d and the pools against finite differences in double
// precision. Reverse over reverse: test_conv_grad_grad.cpp; first order: test_conv_grad.cpp.
#include "conv_check.hpp"

using namespace convtest;

// Forward over reverse (jvp of grad) differentiates the adjoint nodes (fold_patches,
// avg_pool2d_grad, max_pool2d_grad) and their partners.
TEST_CASE("second order through conv2d and pooling: Hessian-vector products", "[conv][autodiff]") {
    rng r(4203);
    const auto x = random_tensor<double, dyn, 5, 6, 2>(r, 2);
    const auto v = random_tensor<double, dyn, 5, 6, 2>(r, 2);
    const auto w = random_tensor<double, 3, 3, 2, 3>(r, 0);
    const auto wv = random_tensor<double, 3, 3, 2, 3>(r, 0);
    auto xd = x;
    adtest::fill_distinct(xd, r);
    auto conv_x = [](auto x, auto w) { return sum(square(tfx::conv2d<2, 1, padding::same>(x, w))) + sum(x * x * x); };
    auto conv_w = [](auto w, auto x) { return sum(sin(tfx::conv2d<2, 1, padding::same>(x, w))); };
    auto avg = [](auto x) { return sum(square(tfx::avg_pool2d<3, 3, 2, 2, padding::same>(x * x))); };
    auto mx = [](auto x) {
        auto m = tfx::max_pool2d<2, 3, 2, 2, padding::same>(x);
        return sum(m * m * m);
    };
    for (const std::string& m : {adtest::check_hvp(conv_x, x, v, w), adtest::check_hvp(conv_w, w, wv, x),
                                 adtest::check_hvp(avg, x, v), adtest::check_hvp(mx, xd, v)}) {
        INFO(m);
        CHECK(m.empty());
    }
}
