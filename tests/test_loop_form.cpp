// The loop form of an evaluator (eval/evaluator.hpp): kernels whose expressions differ only in
// static extents or in their kernel operands run the same compiled loop, and compute the same
// values as the evaluator itself, under broadcasting, reshapes, kernel results and scalars.
#include <tfx/tfx.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <type_traits>

namespace {

using tfx::dyn;
using tfx::tensor;
using tfx::detail::eval_ctx;
using tfx::detail::evaluator;

template <class E>
using loop_form_t = decltype(tfx::detail::to_loop(std::declval<const evaluator<E, E::rank>&>()));

template <class T>
void fill(T& t, float scale) {
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = scale * float(int(i % 13) - 6);
}

}  // namespace

TEST_CASE("two dense layers' activations of different widths share one loop form", "[core]") {
    tensor<float, dyn, 64> x(3);
    tensor<float, 64, 128> w1;
    tensor<float, 128> b1;
    tensor<float, dyn, 128> h(3);
    tensor<float, 128, 32> w2;
    tensor<float, 32> b2;
    using A1 = decltype(relu(matmul(x, w1) + b1));
    using A2 = decltype(relu(matmul(h, w2) + b2));
    STATIC_REQUIRE(!std::is_same_v<A1, A2>);
    STATIC_REQUIRE(std::is_same_v<loop_form_t<A1>, loop_form_t<A2>>);
    // A different op structure is a different loop.
    using A3 = decltype(tanh(matmul(h, w2) + b2));
    STATIC_REQUIRE(!std::is_same_v<loop_form_t<A1>, loop_form_t<A3>>);
    // The loop form holds no node: it is small whatever the expression's kernels hold inline.
    tensor<float, 8, 8> s1, s2;
    using Static = decltype(exp(matmul(s1, s2)) * 2.0f);
    STATIC_REQUIRE(sizeof(loop_form_t<Static>) < sizeof(evaluator<Static, 2>));
}

TEST_CASE("the loop form computes what the evaluator computes", "[core]") {
    tensor<float, dyn, 5> a(4);
    tensor<float, 5> row;
    tensor<float, dyn, 1> col(4);
    tensor<float, 5, 5> w;
    fill(a, 0.25f);
    fill(row, -0.5f);
    fill(col, 0.125f);
    fill(w, 0.1f);

    // Broadcast row and column (a static extent of 1: one value per row), a kernel result, a
    // reshape of one, scalars, a comparison and a cast: against the same values element by element.
    const tensor<float, dyn, 5> prod = matmul(a, w);
    const tensor<float, dyn, 5> got = where(a > 0.0f, tanh(matmul(a, w) + row) * col, -exp(a * 0.5f)) +
                                      cast<float>(a > row) + reshape<4, 5>(matmul(a, w)) * 0.5f;
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 5; ++j) {
            const float v = a(i, j) > 0.0f ? std::tanh(prod(i, j) + row(j)) * col(i, 0) : -std::exp(a(i, j) * 0.5f);
            const float expect = v + (a(i, j) > row(j) ? 1.0f : 0.0f) + prod(i, j) * 0.5f;
            CHECK(got(i, j) == Approx(expect).epsilon(1e-5).margin(1e-6));
        }

    // A reduction over an elementwise operand with kernels runs on the loop form too.
    const tensor<float, dyn> sums = sum<1>(square(matmul(a, w) - row));
    for (std::size_t i = 0; i < 4; ++i) {
        double expect = 0;
        for (std::size_t j = 0; j < 5; ++j) expect += double(prod(i, j) - row(j)) * double(prod(i, j) - row(j));
        CHECK(sums(i) == Approx(expect).epsilon(1e-5));
    }
}
