// tfx::layers forward passes against references computed here with plain loops (dense with every
// activation, flatten, activation, dropout, embedding), and the weight initializers against their
// published formulas. Gradients: test_layers_grad.cpp; batch_norm and layer_norm:
// test_layers_norm.cpp; convolution and pooling layers: test_layers_conv.cpp.
#include "layers_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace {

using tfx::dyn;
using tfx::shape;
using tfx::tensor;
namespace layers = tfx::layers;
namespace activations = tfx::activations;
namespace initializers = tfx::initializers;
using laytest::close;
using laytest::fill_signed;
using laytest::fill_uniform;
using laytest::mismatch_log;
using laytest::rng;

constexpr double ftol = 2e-6;  // float results against double references

// A row-wise reference activation: z (one row of pre-activations) -> act(z).
using row_fn = std::function<std::vector<double>(const std::vector<double>&)>;
row_fn elementwise(double (*f)(double)) {
    return [f](const std::vector<double>& z) {
        std::vector<double> y(z.size());
        std::transform(z.begin(), z.end(), y.begin(), f);
        return y;
    };
}
std::vector<double> ref_softmax(const std::vector<double>& z) {
    const double m = *std::max_element(z.begin(), z.end());
    double s = 0;
    for (double v : z) s += std::exp(v - m);
    std::vector<double> y(z.size());
    for (std::size_t i = 0; i < z.size(); ++i) y[i] = std::exp(z[i] - m) / s;
    return y;
}
std::vector<double> ref_log_softmax(const std::vector<double>& z) {
    auto y = ref_softmax(z);
    for (auto& v : y) v = std::log(v);
    return y;
}
double ref_linear(double z) { return z; }
double ref_relu(double z) { return z > 0 ? z : 0; }
double ref_sigmoid(double z) { return 1 / (1 + std::exp(-z)); }
double ref_tanh(double z) { return std::tanh(z); }
double ref_gelu(double z) { return 0.5 * z * (1 + std::erf(z / std::sqrt(2.0))); }
double ref_elu(double z) { return z > 0 ? z : std::exp(z) - 1; }           // alpha 1
double ref_leaky_relu(double z) { return z > 0 ? z : 0.2 * z; }             // tf.nn.leaky_relu's alpha 0.2
double ref_softplus(double z) { return std::log1p(std::exp(z)); }

// dense<Units>(act) on x [batch, F] with a random kernel and bias against
// act(sum_f x[b, f] kernel[f, u] + bias[u]), through both l(x) and forward_train.
template <tfx::index_t F, tfx::index_t Units, class Act>
void check_dense_forward(Act act, const row_fn& ref, std::size_t batch) {
    INFO("dense<" << Units << ">(" << Act::name << ") on [" << batch << ", " << F << "]");
    auto l = layers::dense<Units>(act).template build<float, shape<dyn, F>>();
    tfx::random::generator gen(5);
    l.initialize(gen);
    rng r(17);
    fill_uniform(l.bias, r, -0.5, 0.5);  // initialize() zeroes the bias: give it values to add
    tensor<float, dyn, F> x(batch);
    fill_uniform(x, r, -2, 2);

    const tensor<float, dyn, Units> y = l(x);
    tfx::nn::train_context ctx{&gen};
    const tensor<float, dyn, Units> yt = l.forward_train(x, ctx);
    REQUIRE(y.shape() == (tfx::dims_t<2>{batch, std::size_t(Units)}));
    REQUIRE(yt.shape() == y.shape());
    mismatch_log log;
    for (std::size_t b = 0; b < batch; ++b) {
        std::vector<double> z(Units);
        for (std::size_t u = 0; u < std::size_t(Units); ++u) {
            double s = l.bias(u);
            for (std::size_t f = 0; f < std::size_t(F); ++f) s += double(x(b, f)) * double(l.kernel(f, u));
            z[u] = s;
        }
        const auto want = ref(z);
        for (std::size_t u = 0; u < std::size_t(Units); ++u) {
            std::string at = "[";  // appended, not "[" + std::to_string(b): GCC 12 warns (-Wrestrict) on that
            at += std::to_string(b);
            at += ", ";
            at += std::to_string(u);
            at += ']';
            log.compare("l(x)" + at, y(b, u), want[u], ftol);
            log.compare("forward_train(x)" + at, yt(b, u), want[u], ftol);
        }
    }
    INFO(log.str());
    CHECK(log.count == 0);
}

TEST_CASE("layers: dense computes act(x kernel + bias) for every activation", "[layers]") {
    for (std::size_t batch : {1, 5, 33}) {
        check_dense_forward<3, 4>(activations::linear, elementwise(ref_linear), batch);
        check_dense_forward<3, 4>(activations::relu, elementwise(ref_relu), batch);
        check_dense_forward<3, 4>(activations::sigmoid, elementwise(ref_sigmoid), batch);
        check_dense_forward<3, 4>(activations::tanh, elementwise(ref_tanh), batch);
        check_dense_forward<3, 4>(activations::gelu, elementwise(ref_gelu), batch);
        check_dense_forward<3, 4>(activations::elu, elementwise(ref_elu), batch);
        check_dense_forward<3, 4>(activations::leaky_relu, elementwise(ref_leaky_relu), batch);
        check_dense_forward<3, 4>(activations::softmax, ref_softmax, batch);
        check_dense_forward<3, 4>(activations::softplus, elementwise(ref_softplus), batch);
        check_dense_forward<3, 4>(activations::log_softmax, ref_log_softmax, batch);
    }
}

TEST_CASE("layers: dense on wider inputs (GEMM blocks and SIMD tails)", "[layers]") {
    check_dense_forward<37, 19>(activations::relu, elementwise(ref_relu), 70);
    check_dense_forward<37, 19>(activations::relu, elementwise(ref_relu), 1);
}

TEST_CASE("layers: elu and leaky_relu take their alpha", "[layers]") {
    check_dense_forward<3, 4>(activations::elu_t{.alpha = 0.5f},
                              elementwise([](double z) { return z > 0 ? z : 0.5 * std::expm1(z); }), 6);
    check_dense_forward<3, 4>(activations::leaky_relu_t{.alpha = 0.1f},
                              elementwise([](double z) { return z > 0 ? z : double(0.1f) * z; }), 6);
}

TEST_CASE("layers: dense's variables, names and shapes", "[layers]") {
    auto l = layers::dense<4>(activations::relu).build<float, shape<dyn, 3>>();
    STATIC_REQUIRE(std::is_same_v<decltype(l)::output_type, tensor<float, dyn, 4>>);
    STATIC_REQUIRE(std::is_same_v<std::remove_cvref_t<decltype(l.kernel)>, tensor<float, 3, 4>>);
    STATIC_REQUIRE(std::is_same_v<std::remove_cvref_t<decltype(l.bias)>, tensor<float, 4>>);
    CHECK(std::string(l.kind) == "dense");
    CHECK(std::string(l.trainable_names[0]) == "kernel");
    CHECK(std::string(l.trainable_names[1]) == "bias");
    CHECK(&std::get<0>(l.trainable()) == &l.kernel);
    CHECK(&std::get<1>(l.trainable()) == &l.bias);
    STATIC_REQUIRE(std::tuple_size_v<decltype(l.state())> == 0);
}

TEST_CASE("layers: layers::layer names a built layer by its spec and input features", "[layers]") {
    layers::layer<layers::dense<4>(activations::relu), 3> l;
    STATIC_REQUIRE(std::is_base_of_v<decltype(layers::dense<4>(activations::relu).build<float, shape<dyn, 3>>()), decltype(l)>);
    tfx::random::generator gen(21);
    l.initialize(gen);
    rng r(22);
    fill_uniform(l.bias, r, -1, 1);
    tensor<float, dyn, 3> x(4);
    fill_uniform(x, r, -1, 1);
    const tensor<float, dyn, 4> y = l(x);
    for (std::size_t b = 0; b < 4; ++b)
        for (std::size_t u = 0; u < 4; ++u) {
            double z = l.bias(u);
            for (std::size_t f = 0; f < 3; ++f) z += double(x(b, f)) * l.kernel(f, u);
            CHECK(close(y(b, u), ref_relu(z), ftol));
        }
    const std::string m = laytest::check_inference_matches_training(l, x, 1e-6);
    INFO(m);
    CHECK(m.empty());
}

TEST_CASE("layers: flatten keeps the row-major order of each sample", "[layers]") {
    auto l = layers::flatten().build<float, shape<dyn, 2, 3, 4>>();
    STATIC_REQUIRE(std::is_same_v<decltype(l)::output_type, tensor<float, dyn, 24>>);
    tensor<float, dyn, 2, 3, 4> x(3);
    rng r(1);
    fill_uniform(x, r, -1, 1);
    const tensor<float, dyn, 24> y = l(x);
    REQUIRE(y.shape() == (tfx::dims_t<2>{3, 24}));
    for (std::size_t n = 0; n < 3; ++n)
        for (std::size_t i = 0; i < 2; ++i)
            for (std::size_t j = 0; j < 3; ++j)
                for (std::size_t k = 0; k < 4; ++k) CHECK(y(n, (i * 3 + j) * 4 + k) == x(n, i, j, k));
    const std::string m = laytest::check_inference_matches_training(l, x, 0);
    INFO(m);
    CHECK(m.empty());
}

TEST_CASE("layers: activation applies its function elementwise", "[layers]") {
    auto l = layers::activation(activations::tanh).build<float, shape<dyn, 4, 3>>();
    STATIC_REQUIRE(std::is_same_v<decltype(l)::output_type, tensor<float, dyn, 4, 3>>);
    tensor<float, dyn, 4, 3> x(5);
    rng r(2);
    fill_uniform(x, r, -3, 3);
    const tensor<float, dyn, 4, 3> y = l(x);
    for (std::size_t k = 0; k < x.size(); ++k) CHECK(close(y.data()[k], std::tanh(double(x.data()[k])), ftol));
    const std::string m = laytest::check_inference_matches_training(l, x, 0);
    INFO(m);
    CHECK(m.empty());

    auto s = layers::activation(activations::softmax).build<float, shape<dyn, 6>>();
    tensor<float, dyn, 6> xs(4);
    fill_uniform(xs, r, -3, 3);
    const tensor<float, dyn, 6> ys = s(xs);
    for (std::size_t b = 0; b < 4; ++b) {
        const auto want = ref_softmax(std::vector<double>(xs.data() + b * 6, xs.data() + b * 6 + 6));
        for (std::size_t j = 0; j < 6; ++j) CHECK(close(ys(b, j), want[j], ftol));
    }
}

TEST_CASE("layers: activation keeps the alpha of its activation", "[layers]") {
    auto l = layers::activation(activations::elu_t{.alpha = 0.5f}).build<float, shape<dyn, 4>>();
    tensor<float, dyn, 4> x(3);
    rng r(7);
    fill_uniform(x, r, -3, 3);
    const tensor<float, dyn, 4> y = l(x);
    mismatch_log log;
    for (std::size_t k = 0; k < x.size(); ++k) {
        const double v = x.data()[k];
        log.compare("y[" + std::to_string(k) + "]", y.data()[k], v > 0 ? v : 0.5 * std::expm1(v), ftol);
    }
    INFO(log.str());
    CHECK(log.count == 0);
}

// ---- dropout

TEST_CASE("layers: dropout is the identity in inference", "[layers][dropout]") {
    auto l = layers::dropout(0.4f).build<float, shape<dyn, 7>>();
    tensor<float, dyn, 7> x(9);
    rng r(3);
    fill_uniform(x, r, -1, 1);
    const tensor<float, dyn, 7> y = l(x);
    REQUIRE(y.shape() == x.shape());
    for (std::size_t k = 0; k < x.size(); ++k) CHECK(y.data()[k] == x.data()[k]);
}

TEST_CASE("layers: dropout in training zeroes elements and scales the others by 1 / (1 - rate)", "[layers][dropout]") {
    constexpr float rate = 0.3f;
    auto l = layers::dropout(rate).build<float, shape<dyn, 50>>();
    tensor<float, dyn, 50> x(400);
    rng r(4);
    fill_signed(x, r, 0.1, 2);  // no zero: a kept element is told from a dropped one
    tfx::random::generator gen(42);
    tfx::nn::train_context ctx{&gen};
    const tensor<float, dyn, 50> y = l.forward_train(x, ctx);
    REQUIRE(y.shape() == x.shape());
    std::size_t kept = 0, bad = 0;
    const double scale = 1 / (1 - double(rate));
    for (std::size_t k = 0; k < x.size(); ++k) {
        if (y.data()[k] == 0) continue;
        ++kept;
        if (!close(y.data()[k], x.data()[k] * scale, 1e-6)) ++bad;
    }
    CHECK(bad == 0);
    const double frac = double(kept) / double(x.size());  // 20000 draws: sd of the fraction ~0.0032
    INFO("kept fraction " << frac);
    CHECK(std::abs(frac - (1 - double(rate))) < 0.02);

    // A second step draws a new mask.
    const tensor<float, dyn, 50> y2 = l.forward_train(x, ctx);
    std::size_t differ = 0;
    for (std::size_t k = 0; k < x.size(); ++k) differ += (y.data()[k] == 0) != (y2.data()[k] == 0);
    CHECK(differ > x.size() / 10);
}

TEST_CASE("layers: dropout's mask is a function of the generator's seed", "[layers][dropout]") {
    auto a = layers::dropout(0.5f).build<double, shape<dyn, 16>>();
    auto b = layers::dropout(0.5f).build<double, shape<dyn, 16>>();
    tensor<double, dyn, 16> x(20);
    rng r(5);
    fill_signed(x, r, 0.1, 1);
    tfx::random::generator g1(7), g2(7), g3(8);
    tfx::nn::train_context c1{&g1}, c2{&g2}, c3{&g3};
    const tensor<double, dyn, 16> y1 = a.forward_train(x, c1);
    const tensor<double, dyn, 16> y2 = b.forward_train(x, c2);
    const tensor<double, dyn, 16> y3 = b.forward_train(x, c3);
    std::size_t same12 = 0, same13 = 0;
    for (std::size_t k = 0; k < x.size(); ++k) {
        same12 += y1.data()[k] == y2.data()[k];
        same13 += y1.data()[k] == y3.data()[k];
    }
    CHECK(same12 == x.size());
    CHECK(same13 < x.size());
}

TEST_CASE("layers: dropout with rate 0 passes training values through", "[layers][dropout]") {
    auto l = layers::dropout(0.f).build<float, shape<dyn, 5>>();
    tensor<float, dyn, 5> x(3);
    rng r(6);
    fill_uniform(x, r, -1, 1);
    tfx::nn::train_context ctx{};  // no generator needed
    const tensor<float, dyn, 5> y = l.forward_train(x, ctx);
    for (std::size_t k = 0; k < x.size(); ++k) CHECK(y.data()[k] == x.data()[k]);
    tensor<float, dyn, 5> g(3);
    fill_uniform(g, r, -1, 1);
    const auto* dx = l.backward<true>(g);
    REQUIRE(dx);
    for (std::size_t k = 0; k < g.size(); ++k) CHECK(dx->data()[k] == g.data()[k]);
}

TEST_CASE("layers: dropout rejects a rate below 0 or from 1 up, and training without a generator", "[layers][dropout][errors]") {
    auto make = [](float rate) { return layers::dropout(rate).build<float, shape<dyn, 5>>(); };
    CHECK_THROWS_AS(make(1.f), tfx::value_error);
    CHECK_THROWS_AS(make(-0.1f), tfx::value_error);
    CHECK_THROWS_AS(make(std::numeric_limits<float>::quiet_NaN()), tfx::value_error);
    CHECK_THROWS_WITH(make(1.5f), Catch::Contains("dropout") && Catch::Contains("1.5"));
    auto l = layers::dropout(0.5f).build<float, shape<dyn, 5>>();
    tensor<float, dyn, 5> x(2);
    tfx::nn::train_context none{};
    CHECK_THROWS_AS(l.forward_train(x, none), tfx::value_error);
    CHECK_THROWS_WITH(l.forward_train(x, none), Catch::Contains("dropout") && Catch::Contains("generator"));
}

// ---- embedding

template <class I>
void check_embedding() {
    auto l = layers::embedding<10, 4>().build<I, shape<dyn, 3>>();
    STATIC_REQUIRE(std::is_same_v<typename decltype(l)::output_type, tensor<float, dyn, 3, 4>>);
    CHECK(std::string(l.trainable_names[0]) == "embeddings");
    tfx::random::generator gen(2);
    l.initialize(gen);  // U(-0.05, 0.05), Keras's default
    bool in_range = true, all_zero = true;
    for (float v : l.embeddings) {
        in_range = in_range && std::abs(v) <= 0.05f;
        all_zero = all_zero && v == 0;
    }
    CHECK(in_range);
    CHECK(!all_zero);

    tensor<I, dyn, 3> ids{{0, 9, 3}, {3, 3, 7}};
    const tensor<float, dyn, 3, 4> y = l(ids);
    REQUIRE(y.shape() == (tfx::dims_t<3>{2, 3, 4}));
    for (std::size_t b = 0; b < 2; ++b)
        for (std::size_t j = 0; j < 3; ++j)
            for (std::size_t d = 0; d < 4; ++d) CHECK(y(b, j, d) == l.embeddings(std::size_t(ids(b, j)), d));
    tfx::nn::train_context ctx{&gen};
    const tensor<float, dyn, 3, 4> yt = l.forward_train(ids, ctx);
    for (std::size_t k = 0; k < y.size(); ++k) CHECK(yt.data()[k] == y.data()[k]);

    // Out-of-range ids: an error naming the id, in inference and in training; y is left unchanged.
    for (I bad : {I(10), I(-1)}) {
        tensor<I, dyn, 3> wrong{{0, 1, 2}, {4, bad, 5}};
        tensor<float, dyn, 3, 4> out = y;
        CHECK_THROWS_AS(out = l(wrong), tfx::error);
        CHECK_THROWS_WITH(out = l(wrong), Catch::Contains("gather") && Catch::Contains(std::to_string(bad)));
        for (std::size_t k = 0; k < y.size(); ++k) CHECK(out.data()[k] == y.data()[k]);
        CHECK_THROWS_AS(l.forward_train(wrong, ctx), tfx::error);
    }
}

TEST_CASE("layers: embedding gathers rows of its table and rejects ids out of range", "[layers][embedding]") {
    check_embedding<std::int32_t>();
    check_embedding<std::int64_t>();
}

// ---- initializers

// Sample mean and variance of a tensor's elements.
template <class Tn>
std::pair<double, double> moments(const Tn& t) {
    double m = 0, v = 0;
    for (auto e : t) m += e;
    m /= double(t.size());
    for (auto e : t) v += (e - m) * (e - m);
    return {m, v / double(t.size())};
}

TEST_CASE("initializers: glorot_uniform draws U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out))", "[layers][initializers]") {
    tensor<double, 200, 300> w;
    tfx::random::generator gen(11);
    initializers::glorot_uniform{}(w, gen, 200, 300);
    const double limit = std::sqrt(6.0 / 500);
    double lo = 1, hi = -1;
    for (double v : w) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    CHECK(lo >= -limit);
    CHECK(hi < limit);
    CHECK(lo < -0.99 * limit);  // 60000 draws reach the ends
    CHECK(hi > 0.99 * limit);
    const auto [m, var] = moments(w);
    CHECK(std::abs(m) < 0.01 * limit);
    CHECK(std::abs(var / (limit * limit / 3) - 1) < 0.02);  // var = limit^2 / 3 = 2 / (fan_in + fan_out)

    tensor<float, 3, 5> wf;  // float, and the same numbers from the same seed
    tensor<float, 3, 5> wf2;
    tfx::random::generator g1(3), g2(3);
    initializers::glorot_uniform{}(wf, g1, 3, 5);
    initializers::glorot_uniform{}(wf2, g2, 3, 5);
    for (std::size_t k = 0; k < wf.size(); ++k) {
        CHECK(wf.data()[k] == wf2.data()[k]);
        CHECK(std::abs(wf.data()[k]) <= float(std::sqrt(6.0 / 8)));
    }
}

TEST_CASE("initializers: he_normal is a normal truncated at two deviations with variance 2 / fan_in", "[layers][initializers]") {
    tensor<double, dyn, 100> w(600);
    tfx::random::generator gen(12);
    const double fan_in = 50;
    initializers::he_normal{}(w, gen, fan_in, 7);
    const double target = std::sqrt(2.0 / fan_in);      // the std after truncation
    const double sigma = target / 0.87962566103423978;  // the std before it
    double amax = 0;
    for (double v : w) amax = std::max(amax, std::abs(v));
    CHECK(amax <= 2 * sigma);
    CHECK(amax > 1.98 * sigma);
    const auto [m, var] = moments(w);
    CHECK(std::abs(m) < 0.02 * target);
    CHECK(std::abs(std::sqrt(var) / target - 1) < 0.01);
}

TEST_CASE("initializers: zeros, ones, constant and random_uniform", "[layers][initializers]") {
    tfx::random::generator gen(13);
    tensor<float, dyn, 7> t(3);
    t.fill(5);
    initializers::zeros{}(t, gen, 1, 1);
    for (float v : t) CHECK(v == 0);
    initializers::ones{}(t, gen, 1, 1);
    for (float v : t) CHECK(v == 1);
    initializers::constant{.value = -2.5}(t, gen, 1, 1);
    for (float v : t) CHECK(v == -2.5f);
    tensor<double, 100, 100> u;
    initializers::random_uniform{.minval = 1, .maxval = 3}(u, gen, 1, 1);
    const auto [m, var] = moments(u);
    for (double v : u) CHECK((v >= 1 && v < 3));
    CHECK(std::abs(m - 2) < 0.02);
    CHECK(std::abs(var / (4.0 / 12) - 1) < 0.03);
}

TEST_CASE("layers: dense and conv2d initialize the kernel by glorot_uniform with Keras's fans and zero the bias", "[layers][initializers]") {
    {
        auto l = layers::dense<30>().build<double, shape<dyn, 20>>();
        l.bias.fill(1);
        tfx::random::generator gen(14);
        l.initialize(gen);
        tensor<double, 20, 30> want;
        tfx::random::generator same(14);
        initializers::glorot_uniform{}(want, same, 20, 30);
        for (std::size_t k = 0; k < want.size(); ++k) CHECK(l.kernel.data()[k] == want.data()[k]);
        for (double b : l.bias) CHECK(b == 0);
    }
    {
        auto l = layers::conv2d<8, 3, 2>().build<double, shape<dyn, 6, 5, 4>>();
        l.bias.fill(1);
        tfx::random::generator gen(15);
        l.initialize(gen);
        tensor<double, 3, 2, 4, 8> want;
        tfx::random::generator same(15);
        initializers::glorot_uniform{}(want, same, 3 * 2 * 4, 3 * 2 * 8);  // receptive field times channels
        for (std::size_t k = 0; k < want.size(); ++k) CHECK(l.kernel.data()[k] == want.data()[k]);
        for (double b : l.bias) CHECK(b == 0);
    }
}

}  // namespace
