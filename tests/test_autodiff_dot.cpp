// The dot-product test on composite graphs: for random tangents t and a random cotangent c,
// <t, J^T c> (vjp's pullback) equals <J t, c> (jvp), to rounding (helpers in test_autodiff_check.hpp).
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_dot_product;
using adtest::rng;
using tfx::dyn;
using tfx::tensor;

template <class Tn>
Tn uniform(rng& r, double lo = -1, double hi = 1) {
    Tn t;
    adtest::fill_uniform(t, r, lo, hi);
    return t;
}

}  // namespace

TEST_CASE("dot-product test: an MLP layer stack, relu(x W1 + b1) W2 + b2", "[autodiff]") {
    rng r(1001);
    tensor<double, dyn, 4> x(5);
    adtest::fill_uniform(x, r, -1, 1);
    check_dot_product([](auto w1, auto b1, auto w2, auto b2, auto x) { return matmul(relu(matmul(x, w1) + b1), w2) + b2; },
                      uniform<tensor<double, 4, 6>>(r), uniform<tensor<double, 6>>(r), uniform<tensor<double, 6, 3>>(r),
                      uniform<tensor<double, 3>>(r), x);
}

TEST_CASE("dot-product test: softmax cross-entropy per example, logsumexp(z) - z[label]", "[autodiff]") {
    rng r(1002);
    tensor<double, dyn, 4> x(6);
    adtest::fill_uniform(x, r, -1, 1);
    const tensor<std::int64_t, dyn> labels{0, 4, 2, 2, 1, 3};
    check_dot_product(
        [](auto w, auto b, auto x, auto y) {
            auto z = matmul(x, w) + b;
            return logsumexp<1>(z) - gather<1, 1>(z, y);
        },
        uniform<tensor<double, 4, 5>>(r), uniform<tensor<double, 5>>(r), x, labels);
}

TEST_CASE("dot-product test: slices, gather, concat and reshape feeding a matmul", "[autodiff]") {
    rng r(1005);
    const tensor<std::int64_t, 2> idx{4, 1};
    check_dot_product(
        [](auto x, auto w, auto i) {
            auto parts = concat<1>(slice<1>(x, 1, 2), gather<1>(exp(x), i));  // [3,4]
            return max<1>(matmul(reshape<6, 2>(parts), w)) + sum<1>(square(reshape<6, 2>(parts)));
        },
        uniform<tensor<double, 3, 5>>(r), uniform<tensor<double, 2, 3>>(r), idx);
}
