// tfx::layers max_pool2d, avg_pool2d and global_average_pool2d on NHWC inputs: forward values
// against naive loops written here (Keras's padding rules; padded positions never win a max and
// are left out of an average), and gradients against central finite differences in double
// precision. Split from test_layers_conv.cpp for the compiler (the window geometry,
// window_geometry.hpp, is shared with it).
#include "layers_check.hpp"
#include "window_geometry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace {

using tfx::dyn;
using tfx::index_t;
using tfx::padding;
using tfx::shape;
using tfx::tensor;
namespace layers = tfx::layers;
namespace activations = tfx::activations;
using laytest::check_spec_gradients;
using laytest::close;
using laytest::fill_uniform;
using laytest::mismatch_log;
using laytest::rng;

constexpr double ftol = 2e-6;  // float results against double references

using wintest::at4;
using wintest::geometry;

// ---- pooling

using In652 = shape<dyn, 6, 5, 2>;

// max_pool2d / avg_pool2d<PH, PW, P, SH, SW>() against the max / mean of each window's positions
// inside the image, and its gradients.
template <bool Max, class In, index_t PH, index_t PW, padding P, index_t SH, index_t SW>
void check_pool(double lo, double hi) {
    constexpr std::size_t H = In::extents[1], W = In::extents[2], C = In::extents[3];
    const geometry geo(H, W, C, PH, PW, SH, SW, P == padding::same);
    const auto spec = [] {
        if constexpr (Max)
            return layers::max_pool2d<PH, PW, P, SH, SW>();
        else
            return layers::avg_pool2d<PH, PW, P, SH, SW>();
    }();
    INFO((Max ? "max_pool2d<" : "avg_pool2d<") << PH << ", " << PW << ", " << (P == padding::same ? "same" : "valid") << ", "
                                                << SH << ", " << SW << "> on [?, " << H << ", " << W << ", " << C << "] in ["
                                                << lo << ", " << hi << "]");
    auto l = spec.template build<float, In>();
    using L = decltype(l);
    STATIC_REQUIRE(std::is_same_v<typename L::output_type, tensor<float, dyn, L::output_shape::extents[1], L::output_shape::extents[2], C>>);
    REQUIRE(std::size_t(L::output_shape::extents[1]) == geo.OH);
    REQUIRE(std::size_t(L::output_shape::extents[2]) == geo.OW);
    CHECK(std::string(L::kind) == (Max ? "max_pooling2d" : "average_pooling2d"));
    STATIC_REQUIRE(std::tuple_size_v<decltype(l.trainable())> == 0);
    rng r(43);
    for (std::size_t batch : {1, 2}) {
        typename L::input_type x(batch);
        fill_uniform(x, r, lo, hi);
        const typename L::output_type y = l(x);
        REQUIRE(y.shape() == (tfx::dims_t<4>{batch, geo.OH, geo.OW, C}));
        mismatch_log log;
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t oh = 0; oh < geo.OH; ++oh)
                for (std::size_t ow = 0; ow < geo.OW; ++ow)
                    for (std::size_t c = 0; c < C; ++c) {
                        double best = -std::numeric_limits<double>::infinity(), sum = 0;
                        std::size_t count = 0;
                        geo.each(oh, ow, [&](std::size_t, std::size_t, std::size_t ih, std::size_t iw) {
                            const double v = at4(x, n, ih, iw, c, geo);
                            best = std::max(best, v);
                            sum += v;
                            ++count;
                        });
                        log.compare("y[" + std::to_string(n) + ", " + std::to_string(oh) + ", " + std::to_string(ow) + ", " +
                                        std::to_string(c) + "]",
                                    y(n, oh, ow, c), Max ? best : sum / double(count), ftol);
                    }
        INFO("batch " << batch << ": " << log.str());
        CHECK(log.count == 0);
        const std::string m = laytest::check_inference_matches_training(l, x, 0);
        INFO("l(x) against forward_train(x): " << m);
        CHECK(m.empty());
    }

    // Gradients, in double. Max: distinct values (no ties within a finite-difference step).
    auto ld = spec.template build<double, In>();
    for (std::size_t batch : {1, 2}) {
        typename decltype(ld)::input_type x(batch);
        adtest::fill_distinct(x, r);
        for (auto& v : x) v = lo + (hi - lo) * (v - -10) / 20;  // into [lo, hi], order kept
        const std::string m = laytest::check_layer_gradients(ld, x, 44 + batch, true);
        INFO("gradients, batch " << batch << ": " << m);
        CHECK(m.empty());
    }
}

TEST_CASE("layers: max_pool2d, 2x2 windows with stride 2 (valid: the last column is left out)", "[layers][pool]") {
    check_pool<true, In652, 2, 2, padding::valid, 2, 2>(-1, 1);
}
TEST_CASE("layers: max_pool2d, 3x3 windows, same padding, stride 2: padded positions never win", "[layers][pool]") {
    check_pool<true, In652, 3, 3, padding::same, 2, 2>(-1, 1);
    check_pool<true, In652, 3, 3, padding::same, 2, 2>(-3, -1);  // all negative: a padded 0 would show
}
TEST_CASE("layers: max_pool2d, overlapping 2x3 windows with stride 1", "[layers][pool]") {
    check_pool<true, In652, 2, 3, padding::valid, 1, 1>(-1, 1);
}
TEST_CASE("layers: avg_pool2d, 2x2 windows with stride 2", "[layers][pool]") {
    check_pool<false, In652, 2, 2, padding::valid, 2, 2>(-1, 1);
}
TEST_CASE("layers: avg_pool2d, same padding: padded positions are left out of the mean", "[layers][pool]") {
    check_pool<false, In652, 3, 3, padding::same, 2, 2>(1, 3);
    check_pool<false, In652, 3, 2, padding::same, 1, 1>(1, 3);
}

TEST_CASE("layers: max_pool2d sends the gradient of a tied window to its first maximum", "[layers][pool]") {
    // Every value equal: each window's gradient goes to its first position in (row, column) order.
    auto l = layers::max_pool2d<2, 2, padding::valid, 1, 1>().build<double, In652>();
    tensor<double, dyn, 6, 5, 2> x(1);
    x.fill(0.5);
    tensor<double, dyn, 5, 4, 2> gy(1);
    rng r(45);
    fill_uniform(gy, r, -1, 1);
    tfx::random::generator gen(1);
    tfx::nn::train_context ctx{&gen};
    l.forward_train(x, ctx);
    const auto* dx = l.backward<true>(gy);
    REQUIRE(dx);
    for (std::size_t i = 0; i < 6; ++i)
        for (std::size_t j = 0; j < 5; ++j)
            for (std::size_t c = 0; c < 2; ++c) {
                const double want = i < 5 && j < 4 ? gy(0, i, j, c) : 0.0;  // window (i, j) starts at (i, j)
                CHECK(close((*dx)(0, i, j, c), want, 1e-14));
            }
}

TEST_CASE("layers: global_average_pool2d averages over height and width", "[layers][pool]") {
    const auto spec = layers::global_average_pool2d();
    auto l = spec.build<float, In652>();
    STATIC_REQUIRE(std::is_same_v<decltype(l)::output_type, tensor<float, dyn, 2>>);
    CHECK(std::string(l.kind) == "global_average_pooling2d");
    tensor<float, dyn, 6, 5, 2> x(3);
    rng r(46);
    fill_uniform(x, r, -1, 2);
    const tensor<float, dyn, 2> y = l(x);
    REQUIRE(y.shape() == (tfx::dims_t<2>{3, 2}));
    for (std::size_t n = 0; n < 3; ++n)
        for (std::size_t c = 0; c < 2; ++c) {
            double s = 0;
            for (std::size_t i = 0; i < 6; ++i)
                for (std::size_t j = 0; j < 5; ++j) s += x(n, i, j, c);
            CHECK(close(y(n, c), s / 30, ftol));
        }
    const std::string m = laytest::check_inference_matches_training(l, x, 0);
    INFO(m);
    CHECK(m.empty());
    check_spec_gradients<In652>(spec, {1, 3});
}

}  // namespace
