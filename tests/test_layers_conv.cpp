// tfx::layers conv2d on NHWC inputs: forward values against naive loops written here (Keras's
// padding rules: valid, and same with pad_top = pad_total / 2, the extra row or column at the
// bottom or right), and gradients against central finite differences in double precision. The
// pooling layers are in test_layers_pool.cpp (split for the compiler).
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

// ---- conv2d

double ref_linear(double z) { return z; }
double ref_relu(double z) { return z > 0 ? z : 0; }
double ref_tanh(double z) { return std::tanh(z); }
double ref_sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

// conv2d<F, KH, KW, P, SH, SW>(act) built for float [?, H, W, C] against
// act(bias[f] + sum over the window's positions inside the image of x[n, ih, iw, c] kernel[kh, kw, c, f]),
// then its gradients in double.
template <class In, index_t F, index_t KH, index_t KW, padding P, index_t SH, index_t SW, class Act>
void check_conv2d(Act act, double (*ref)(double)) {
    constexpr std::size_t H = In::extents[1], W = In::extents[2], C = In::extents[3];
    const geometry geo(H, W, C, KH, KW, SH, SW, P == padding::same);
    const auto spec = layers::conv2d<F, KH, KW, P, SH, SW>(act);
    INFO("conv2d<" << F << ", " << KH << ", " << KW << ", " << (P == padding::same ? "same" : "valid") << ", " << SH << ", "
                   << SW << ">(" << Act::name << ") on [?, " << H << ", " << W << ", " << C << "]");
    auto l = spec.template build<float, In>();
    using L = decltype(l);
    STATIC_REQUIRE(std::is_same_v<typename L::output_type, tensor<float, dyn, L::output_shape::extents[1], L::output_shape::extents[2], F>>);
    REQUIRE(std::size_t(L::output_shape::extents[1]) == geo.OH);
    REQUIRE(std::size_t(L::output_shape::extents[2]) == geo.OW);
    CHECK(std::string(L::kind) == "conv2d");
    tfx::random::generator gen(41);
    l.initialize(gen);
    rng r(42);
    fill_uniform(l.bias, r, -0.5, 0.5);
    for (std::size_t batch : {1, 3}) {
        typename L::input_type x(batch);
        fill_uniform(x, r, -1, 1);
        const typename L::output_type y = l(x);
        REQUIRE(y.shape() == (tfx::dims_t<4>{batch, geo.OH, geo.OW, std::size_t(F)}));
        mismatch_log log;
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t oh = 0; oh < geo.OH; ++oh)
                for (std::size_t ow = 0; ow < geo.OW; ++ow)
                    for (std::size_t f = 0; f < std::size_t(F); ++f) {
                        double z = l.bias(f);
                        geo.each(oh, ow, [&](std::size_t kh, std::size_t kw, std::size_t ih, std::size_t iw) {
                            for (std::size_t c = 0; c < C; ++c) z += at4(x, n, ih, iw, c, geo) * double(l.kernel(kh, kw, c, f));
                        });
                        log.compare("y[" + std::to_string(n) + ", " + std::to_string(oh) + ", " + std::to_string(ow) + ", " +
                                        std::to_string(f) + "]",
                                    y(n, oh, ow, f), ref(z), ftol);
                    }
        INFO("batch " << batch << ": " << log.str());
        CHECK(log.count == 0);
        const std::string m = laytest::check_inference_matches_training(l, x, 1e-6);
        INFO("l(x) against forward_train(x): " << m);
        CHECK(m.empty());
    }
    check_spec_gradients<In>(spec, {1, 2});
}

using In652 = shape<dyn, 6, 5, 2>;

TEST_CASE("layers: conv2d with valid padding, stride 1", "[layers][conv]") {
    check_conv2d<In652, 3, 3, 3, padding::valid, 1, 1>(activations::linear, ref_linear);
}
TEST_CASE("layers: conv2d with same padding, stride 2, a 3x2 kernel (the extra padding at the bottom)", "[layers][conv]") {
    check_conv2d<In652, 4, 3, 2, padding::same, 2, 2>(activations::relu, ref_relu);
}
TEST_CASE("layers: conv2d with same padding on both sides, strides (1, 2), a 3x4 kernel", "[layers][conv]") {
    check_conv2d<In652, 2, 3, 4, padding::same, 1, 2>(activations::tanh, ref_tanh);
}
TEST_CASE("layers: conv2d with valid padding, stride 2 (the last column is left out)", "[layers][conv]") {
    check_conv2d<In652, 3, 2, 2, padding::valid, 2, 2>(activations::sigmoid, ref_sigmoid);
}

}  // namespace
