// tfx::layers::batch_norm and layer_norm: forward values against references computed here with
// plain loops (training with batch statistics, commit() and the moving statistics, inference). Their
// gradients are in test_layers_norm_grad.cpp and test_layers_batch_norm_grad.cpp (one file of both
// took over 60 s to compile).
#include "layers_check.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace {

using tfx::dyn;
using tfx::shape;
using tfx::tensor;
namespace layers = tfx::layers;
using laytest::check_spec_gradients;
using laytest::close;
using laytest::fill_uniform;
using laytest::mismatch_log;
using laytest::rng;

constexpr double ftol = 2e-6;  // float results against double references

// ---- batch_norm

// Per-channel batch mean and biased variance of x viewed as [rows, C].
struct channel_stats {
    std::vector<double> mean, var;
};
template <class Tn>
channel_stats stats_of(const Tn& x, std::size_t C) {
    const std::size_t rows = x.size() / C;
    channel_stats s{std::vector<double>(C, 0), std::vector<double>(C, 0)};
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t c = 0; c < C; ++c) s.mean[c] += x.data()[i * C + c];
    for (auto& m : s.mean) m /= double(rows);
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t c = 0; c < C; ++c) s.var[c] += std::pow(x.data()[i * C + c] - s.mean[c], 2);
    for (auto& v : s.var) v /= double(rows);
    return s;
}
// (x - mean) / sqrt(var + eps) * gamma + beta per channel (the last axis), against y.
template <class Tn, class P>
std::string compare_normalized(const Tn& y, const Tn& x, const std::vector<double>& mean, const std::vector<double>& var,
                               const P& gamma, const P& beta, double eps, double tol) {
    const std::size_t C = gamma.size();
    mismatch_log log;
    if (y.shape() != x.shape()) return "shape differs";
    for (std::size_t k = 0; k < x.size(); ++k) {
        const std::size_t c = k % C;
        const double want = (x.data()[k] - mean[c]) / std::sqrt(var[c] + eps) * gamma(c) + beta(c);
        log.compare("y[" + std::to_string(k) + "]", y.data()[k], want, tol);
    }
    return log.str();
}

template <class In, class X>
void check_batch_norm(X& x, double momentum, double eps, bool default_args) {
    constexpr std::size_t C = std::size_t(In::extents[In::rank - 1]);
    auto l = default_args ? layers::batch_norm().build<float, In>() : layers::batch_norm(momentum, eps).build<float, In>();
    CHECK(l.momentum == momentum);
    CHECK(l.epsilon() == eps);
    tfx::random::generator gen(1);
    l.initialize(gen);
    for (std::size_t c = 0; c < C; ++c) {  // initialize(): gamma 1, beta 0, moving mean 0, moving variance 1
        CHECK(l.gamma(c) == 1);
        CHECK(l.beta(c) == 0);
        CHECK(l.moving_mean(c) == 0);
        CHECK(l.moving_variance(c) == 1);
    }
    rng r(9);
    fill_uniform(l.gamma, r, 0.5, 2);
    fill_uniform(l.beta, r, -1, 1);
    tfx::nn::train_context ctx{&gen};

    // Training: the batch's statistics; the moving ones do not move before commit().
    const auto s = stats_of(x, C);
    const X y = l.forward_train(x, ctx);
    {
        const std::string m = compare_normalized(y, x, s.mean, s.var, l.gamma, l.beta, eps, ftol);
        INFO("training output: " << m);
        CHECK(m.empty());
    }
    for (std::size_t c = 0; c < C; ++c) {
        CHECK(l.moving_mean(c) == 0);
        CHECK(l.moving_variance(c) == 1);
    }
    // commit(): moving = momentum * moving + (1 - momentum) * batch statistic.
    l.commit();
    std::vector<double> mm(C), mv(C);
    for (std::size_t c = 0; c < C; ++c) {
        mm[c] = (1 - momentum) * s.mean[c];
        mv[c] = momentum + (1 - momentum) * s.var[c];
        CHECK(close(l.moving_mean(c), mm[c], ftol));
        CHECK(close(l.moving_variance(c), mv[c], ftol));
    }
    l.commit();  // nothing pending: no change
    for (std::size_t c = 0; c < C; ++c) CHECK(close(l.moving_mean(c), mm[c], ftol));

    // A second batch, from other values: the statistics follow from the first commit.
    X x2 = x;
    fill_uniform(x2, r, -3, 1);
    const auto s2 = stats_of(x2, C);
    l.forward_train(x2, ctx);
    l.commit();
    for (std::size_t c = 0; c < C; ++c) {
        mm[c] = momentum * mm[c] + (1 - momentum) * s2.mean[c];
        mv[c] = momentum * mv[c] + (1 - momentum) * s2.var[c];
        CHECK(close(l.moving_mean(c), mm[c], ftol));
        CHECK(close(l.moving_variance(c), mv[c], ftol));
    }

    // Inference: the moving statistics, not the batch's.
    const X yi = l(x);
    const std::string m = compare_normalized(yi, x, mm, mv, l.gamma, l.beta, eps, ftol);
    INFO("inference output: " << m);
    CHECK(m.empty());
}

TEST_CASE("layers: batch_norm normalizes with batch statistics in training and moving ones in inference", "[layers][batch_norm]") {
    rng r(8);
    SECTION("[?, 4], Keras's defaults") {
        tensor<float, dyn, 4> x(6);
        fill_uniform(x, r, -2, 3);
        check_batch_norm<shape<dyn, 4>>(x, 0.99, 1e-3, true);
    }
    SECTION("[?, 4], momentum 0.9, epsilon 0.01") {
        tensor<float, dyn, 4> x(6);
        fill_uniform(x, r, -2, 3);
        check_batch_norm<shape<dyn, 4>>(x, 0.9, 1e-2, false);
    }
    SECTION("[?, 3, 2, 5] (NHWC): statistics over the batch and both spatial axes") {
        tensor<float, dyn, 3, 2, 5> x(4);
        fill_uniform(x, r, -1, 4);
        check_batch_norm<shape<dyn, 3, 2, 5>>(x, 0.8, 1e-3, false);
    }
    SECTION("a batch of one sample with a constant feature: epsilon keeps it finite") {
        tensor<float, dyn, 4> x(1);
        fill_uniform(x, r, -2, 3);
        check_batch_norm<shape<dyn, 4>>(x, 0.9, 1e-3, false);
    }
}

TEST_CASE("layers: batch_norm's names", "[layers][batch_norm]") {
    auto l = layers::batch_norm().build<float, shape<dyn, 3>>();
    CHECK(std::string(l.kind) == "batch_normalization");
    CHECK(std::string(l.trainable_names[0]) == "gamma");
    CHECK(std::string(l.trainable_names[1]) == "beta");
    CHECK(std::string(l.state_names[0]) == "moving_mean");
    CHECK(std::string(l.state_names[1]) == "moving_variance");
    CHECK(&std::get<0>(l.state()) == &l.moving_mean);
    CHECK(&std::get<1>(l.state()) == &l.moving_variance);
}

// ---- layer_norm

template <class In, class X>
void check_layer_norm(X& x, double eps, bool default_args) {
    constexpr std::size_t C = std::size_t(In::extents[In::rank - 1]);
    auto l = default_args ? layers::layer_norm().build<float, In>() : layers::layer_norm(eps).build<float, In>();
    tfx::random::generator gen(1);
    l.initialize(gen);
    for (std::size_t c = 0; c < C; ++c) {
        CHECK(l.gamma(c) == 1);
        CHECK(l.beta(c) == 0);
    }
    rng r(12);
    fill_uniform(l.gamma, r, 0.5, 2);
    fill_uniform(l.beta, r, -1, 1);
    const X y = l(x);
    REQUIRE(y.shape() == x.shape());
    mismatch_log log;
    for (std::size_t row = 0; row < x.size() / C; ++row) {
        const float* p = x.data() + row * C;
        double mean = 0, var = 0;
        for (std::size_t c = 0; c < C; ++c) mean += p[c];
        mean /= double(C);
        for (std::size_t c = 0; c < C; ++c) var += std::pow(p[c] - mean, 2);
        var /= double(C);
        for (std::size_t c = 0; c < C; ++c)
            log.compare("y[" + std::to_string(row * C + c) + "]", y.data()[row * C + c],
                        (p[c] - mean) / std::sqrt(var + eps) * l.gamma(c) + l.beta(c), ftol);
    }
    INFO(log.str());
    CHECK(log.count == 0);
    const std::string m = laytest::check_inference_matches_training(l, x, 1e-6);
    INFO("training against inference: " << m);
    CHECK(m.empty());
}

TEST_CASE("layers: layer_norm normalizes each sample over its last axis", "[layers][layer_norm]") {
    rng r(10);
    SECTION("[?, 6], epsilon 1e-3") {
        tensor<float, dyn, 6> x(5);
        fill_uniform(x, r, -2, 3);
        check_layer_norm<shape<dyn, 6>>(x, 1e-3, true);
    }
    SECTION("[?, 3, 17], epsilon 1e-5") {
        tensor<float, dyn, 3, 17> x(2);
        fill_uniform(x, r, -2, 3);
        check_layer_norm<shape<dyn, 3, 17>>(x, 1e-5, false);
    }
}

}  // namespace
