// Convolution and pooling (include/tfx/expr/conv.hpp): values against naive loops written from
// Keras's padding formulas (valid and same, strides 1 and 2, several channels and filters, odd
// sizes, dynamic and static batches) and hand-computed cases at the borders. Derivatives against
// finite differences in double precision: test_conv_grad.cpp (reverse and forward),
// test_conv_hvp.cpp and test_conv_grad_grad.cpp (second order); no allocation after the first
// call: test_conv_alloc.cpp; the helpers they share: conv_check.hpp.
#include "conv_check.hpp"

using namespace convtest;

// ---------------------------------------------------------------- values

TEST_CASE("extract_patches of a 3x3 image: hand-written patches, padding and Keras's bottom-heavy split", "[conv]") {
    const tensor<float, 1, 3, 3, 1> x{{{{1}, {2}, {3}}, {{4}, {5}, {6}}, {{7}, {8}, {9}}}};
    SECTION("2x2 valid, stride 1") {
        const tensor p = tfx::extract_patches<2, 2>(x);
        static_assert(std::is_same_v<decltype(p), const tensor<float, 1, 2, 2, 4>>);
        CHECK(values(p) == std::vector<double>{1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9});
    }
    SECTION("3x3 same, stride 1, pad value -1: the corner patches") {
        const tensor p = tfx::extract_patches<3, 3, 1, 1, padding::same>(x, -1.f);
        REQUIRE(p.shape() == tfx::dims_t<4>{1, 3, 3, 9});
        const std::vector<double> all = values(p);
        CHECK(std::vector<double>(all.begin(), all.begin() + 9) == std::vector<double>{-1, -1, -1, -1, 1, 2, -1, 4, 5});
        CHECK(std::vector<double>(all.begin() + 4 * 9, all.begin() + 5 * 9) == std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9});
        CHECK(std::vector<double>(all.end() - 9, all.end()) == std::vector<double>{5, 6, -1, 8, 9, -1, -1, -1, -1});
    }
    SECTION("2x2 same, stride 2 on 3x3: pad_total 1 goes below and right, none above") {
        const tensor p = tfx::extract_patches<2, 2, 2, 2, padding::same>(x, 0.f);
        CHECK(values(p) == std::vector<double>{1, 2, 4, 5, 3, 0, 6, 0, 7, 8, 0, 0, 9, 0, 0, 0});
    }
}

TEST_CASE("extract_patches matches a naive loop for strides 1 and 2, valid and same, C > 1", "[conv]") {
    rng r(4101);
    check_patch_values<float, 5, 7, 3, 3, 3, 1, 1, padding::valid>(r, 2, 0.f);
    check_patch_values<float, 5, 7, 3, 3, 3, 1, 1, padding::same>(r, 2, 0.5f);
    check_patch_values<double, 7, 6, 2, 3, 2, 2, 2, padding::valid>(r, 3, 0.0);
    check_patch_values<double, 7, 6, 2, 3, 2, 2, 2, padding::same>(r, 3, -2.0);
    check_patch_values<float, 4, 5, 2, 4, 4, 3, 2, padding::same>(r, 1, 9.f);  // pad 3 rows / 3 cols: 1 + 2
    check_patch_values<float, 3, 3, 2, 3, 3, 1, 1, padding::valid>(r, 2, 0.f);  // one window, the whole image
}

TEST_CASE("conv2d matches a naive loop: valid and same, strides 1 and 2, C > 1, F > 1, odd sizes", "[conv]") {
    rng r(4102);
    check_conv_values<float, dyn, 5, 7, 3, 3, 3, 4, 1, 1, padding::valid>(r);
    check_conv_values<float, dyn, 5, 7, 3, 3, 3, 4, 1, 1, padding::same>(r);
    check_conv_values<float, dyn, 7, 6, 2, 3, 2, 5, 2, 2, padding::valid>(r);
    check_conv_values<float, dyn, 7, 6, 2, 3, 2, 5, 2, 2, padding::same>(r);
    check_conv_values<float, dyn, 9, 9, 3, 5, 5, 2, 2, 1, padding::same>(r, 1);
    check_conv_values<double, dyn, 5, 5, 2, 5, 5, 3, 1, 1, padding::valid>(r);   // one output position
    check_conv_values<double, 3, 6, 5, 2, 2, 3, 3, 1, 2, padding::same>(r);      // static batch
    check_conv_values<float, dyn, 4, 4, 8, 1, 1, 3, 1, 1, padding::same>(r);     // 1x1
    check_conv_values<float, dyn, 8, 8, 1, 3, 3, 16, 1, 1, padding::same>(r, 32);  // the benchmark shapes
    check_conv_values<float, dyn, 8, 8, 16, 3, 3, 32, 1, 1, padding::same>(r, 4);
    check_conv_values<float, dyn, 6, 6, 2, 3, 3, 2, 1, 1, padding::valid>(r, 0);  // an empty batch
}

TEST_CASE("conv2d on tensors and expressions, as the eager API reads", "[conv]") {
    rng r(4103);
    tensor<float, dyn, 4, 4, 8> x(3);
    adtest::fill_uniform(x, r, -1, 1);
    tensor<float, 1, 1, 8, 8> w;
    adtest::fill_uniform(w, r, -1, 1);
    tensor<float, dyn, 4, 4, 8> y = tfx::conv2d<1, 1, padding::same>(x, w);
    CHECK(compare(y, ref_conv(as_doubles(x), as_doubles(w), 3, 4, 4, 8, 1, 1, 8, 1, 1, true), 2e-5).empty());

    // An operand that is itself an expression, and a consumer: relu(conv(2 x) + b).
    tensor<float, 8> b;
    adtest::fill_uniform(b, r, -1, 1);
    tensor<float, dyn, 4, 4, 8> z = relu(tfx::conv2d<1, 1, padding::same>(x * 2.f, w) + b);
    const auto plain = ref_conv(as_doubles(x), as_doubles(w), 3, 4, 4, 8, 1, 1, 8, 1, 1, true);
    std::vector<double> want(plain.size());
    for (std::size_t k = 0; k < want.size(); ++k) want[k] = std::max(0.0, 2 * plain[k] + double(b.data()[k % 8]));
    CHECK(compare(z, want, 2e-5).empty());

    // A gradient with the eager tape.
    auto [value, dw] = tfx::gradient(sum(tfx::conv2d(x, w)), w);
    double total = 0;
    for (double v : ref_conv(as_doubles(x), as_doubles(w), 3, 4, 4, 8, 1, 1, 8, 1, 1, false)) total += v;
    CHECK(double(value()) == Approx(total).epsilon(1e-5));
    // d sum / d w[0, 0, c, f] = sum of x[..., c] over every position.
    for (std::size_t c = 0; c < 8; ++c) {
        double s = 0;
        for (std::size_t k = c; k < x.size(); k += 8) s += double(x.data()[k]);
        for (std::size_t f = 0; f < 8; ++f) CHECK(double(dw(0, 0, c, f)) == Approx(s).epsilon(1e-5));
    }
}

TEST_CASE("a traced conv2d is im2col and one GEMM", "[conv]") {
    tensor<float, dyn, 8, 8, 16> x(32);
    tensor<float, 3, 3, 16, 32> w;
    auto f = tfx::function([](auto x, auto w) { return tfx::conv2d<1, 1, padding::same>(x, w); });
    const std::string g = f.graph(x, w);
    auto count = [&](const std::string& what) {
        std::size_t n = 0;
        for (std::size_t at = g.find(what); at != std::string::npos; at = g.find(what, at + 1)) ++n;
        return n;
    };
    INFO(g);
    CHECK(count("extract_patches [?, 8, 8, 144]") == 1);
    CHECK(count("matmul [?, 32]") == 1);
    CHECK(count("reshape [144, 32]") == 1);
}

TEST_CASE("max and avg pooling match naive loops, same padding at the borders", "[conv]") {
    rng r(4104);
    check_pool_values<float, dyn, 6, 6, 3, 2, 2, 2, 2, padding::valid>(r);
    check_pool_values<float, dyn, 7, 7, 2, 3, 3, 2, 2, padding::same>(r);
    check_pool_values<float, dyn, 7, 5, 2, 3, 3, 2, 2, padding::valid>(r);
    check_pool_values<double, dyn, 5, 6, 3, 2, 2, 1, 1, padding::same>(r);
    check_pool_values<double, 2, 5, 5, 4, 3, 2, 1, 2, padding::same>(r);  // static batch, unequal window
    check_pool_values<float, dyn, 5, 5, 3, 2, 2, 2, 2, padding::valid>(r);  // the last row and column left out
}

TEST_CASE("pooling of a 3x3 image with same padding, by hand", "[conv]") {
    const tensor<float, 1, 3, 3, 1> x{{{{1}, {2}, {3}}, {{4}, {5}, {6}}, {{7}, {8}, {9}}}};
    // 2x2 windows, stride 2: pad 1 below and right; averages over 4, 2, 2 and 1 valid positions.
    CHECK(values(tensor(tfx::avg_pool2d<2, 2, 2, 2, padding::same>(x))) == std::vector<double>{3, 4.5, 7.5, 9});
    CHECK(values(tensor(tfx::max_pool2d<2, 2, 2, 2, padding::same>(x))) == std::vector<double>{5, 6, 8, 9});
    // All negative: a padded position (0 in extract_patches) never wins the max.
    CHECK(values(tensor(tfx::max_pool2d<2, 2, 2, 2, padding::same>(-x))) == std::vector<double>{-1, -3, -7, -9});
    // 3x3 windows, stride 1: corner windows see 4 valid positions, edge windows 6.
    CHECK(compare(tensor(tfx::avg_pool2d<3, 3, 1, 1, padding::same>(x)), {3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7}, 1e-6).empty());
}

TEST_CASE("global_average_pool2d is the mean over H and W", "[conv]") {
    rng r(4105);
    tensor<double, dyn, 5, 3, 4> x(3);
    adtest::fill_uniform(x, r, -1, 1);
    const tensor g = tfx::global_average_pool2d(x);
    static_assert(std::is_same_v<decltype(g), const tensor<double, dyn, 4>>);
    REQUIRE(g.shape() == tfx::dims_t<2>{3, 4});
    for (std::size_t n = 0; n < 3; ++n)
        for (std::size_t c = 0; c < 4; ++c) {
            double s = 0;
            for (std::size_t h = 0; h < 5; ++h)
                for (std::size_t w = 0; w < 3; ++w) s += x(n, h, w, c);
            CHECK(g(n, c) == Approx(s / 15).epsilon(1e-13));
        }
}
