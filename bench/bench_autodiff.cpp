// Reverse mode: gradient / primal time ratios (the FastAD list in ../shared/BENCHMARKS.md) and the
// MLP loss+gradient rows, tfx against a hand-written xsimd gradient and libtorch autograd measured
// in the same run.
//
// Cases, all float32, single thread, inputs drawn with fixed seeds:
//   sum        sum(x)                                                       d/dx
//   logsumexp  logsumexp(x) over all axes of a tensor<float, dyn>            d/dx
//   normal     sum(-0.5*square((x - mu)/sigma) - log(sigma) - log(sqrt(2 pi)))   d/dx, with mu = -0.56
//              and sigma = 1.37 held constant (plain numbers), as FastAD's benchmark does
//   matmul     sum(matmul(A, B)), A and B n x n (tensor<float, dyn, dyn>)   d/dA and d/dB
// for N = 16, 256, 4096, 16384 (n = 16, 64, 128, 256), and the MLP
//   loss = mean(logsumexp<1>(logits) - gather<1, 1>(logits, labels)),
//   logits = matmul(relu(matmul(x, W1) + b1), W2) + b2
// for x[32, 64], 64 -> 128 -> 10 and x[256, 64], 64 -> 512 -> 10, gradients w.r.t. W1, b1, W2, b2.
//
// Per case: tfx_primal (tfx::function), tfx_grad (tfx::value_and_grad: value and gradient),
// hand_primal / hand_grad (xsimd loops: the value alone, and the value with the gradient in the
// fewest passes), torch_primal (under NoGradGuard) / torch_grad (requires_grad, backward, grads
// zeroed each iteration as Optimizer::zero_grad does). libtorch runs on one thread: at::set_num_threads(1)
// and, since libtorch's BLAS is OpenBLAS, openblas_set_num_threads(1). Every gradient is checked
// against the others once before timing; a case whose results disagree is reported as an error
// (and its pairs as skipped), never timed.
//
// The hand-written gradient of sum(A B) is the closed form: sum(A B) = colsum(A) . rowsum(B),
// dA[i, k] = rowsum(B)[k], dB[k, j] = colsum(A)[k] — O(n^2), no product at all; so "tfx vs hand"
// for matmul measures what the algebra saves, not the AD machinery.
//
// Run with repetitions (the table uses medians), interleaved so that a change of machine load
// during the run is spread over all cases rather than landing on one side of a ratio:
//   bench_autodiff --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
//
// The MLP targets of BENCHMARKS.md are absolute (25 us, 0.75 ms) and were set with libtorch at
// 66 us / 1.61 ms on an idle machine: the table states them as ratios to libtorch measured in this
// run (25/66, 0.75/1.61), and the tfx column gives the absolute time.
#include <tfx/tfx.hpp>

#include "ratio.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#ifdef TFX_BENCH_HAVE_TORCH
#include <torch/torch.h>
#endif
#ifdef TFX_BENCH_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace {

using tfx::dyn;
using vec = tfx::tensor<float, dyn>;
using mat = tfx::tensor<float, dyn, dyn>;

constexpr float normal_mu = -0.56f, normal_sigma = 1.37f;
constexpr float half_log_2pi = 0.9189385332f;

enum class fn { sum, logsumexp, normal };

constexpr const char* fn_name(fn f) {
    return f == fn::sum ? "sum" : f == fn::logsumexp ? "logsumexp" : "normal";
}

// The functions, as tfx traces them.
template <fn F>
auto model() {
    if constexpr (F == fn::sum)
        return [](auto x) { return sum(x); };
    else if constexpr (F == fn::logsumexp)
        return [](auto x) { return logsumexp(x); };
    else
        return [](auto x, float mu, float sigma) {
            return sum(-0.5f * square((x - mu) / sigma) - std::log(sigma) - half_log_2pi);
        };
}
auto matmul_model() {
    return [](auto a, auto b) { return sum(matmul(a, b)); };
}
auto mlp_model() {
    return [](auto W1, auto b1, auto W2, auto b2, auto x, auto y) {
        auto logits = matmul(relu(matmul(x, W1) + b1), W2) + b2;
        return mean(logsumexp<1>(logits) - gather<1, 1>(logits, y));
    };
}

template <fn F, class Fn>
decltype(auto) call(Fn& f, const vec& x) {
    if constexpr (F == fn::normal)
        return f(x, normal_mu, normal_sigma);
    else
        return f(x);
}

vec input_vector(std::size_t n, unsigned seed = 11) {
    tfx::random::generator gen{seed};
    return tfx::random::normal<float, dyn>(gen, 0.0, 1.0, n);
}
mat input_matrix(std::size_t n, unsigned seed) {
    tfx::random::generator gen{seed};
    return tfx::random::uniform<float, dyn, dyn>(gen, -1.0, 1.0, n, n);
}

// Gradients: max |a - b| <= tol * max |b| (relative to the gradient's own scale, which is small for
// logsumexp at large N). Values: |a - b| <= tol * max(1, |b|).
bool close(const float* a, const float* b, std::size_t n, double tol) {
    double err = 0, scale = 0;
    for (std::size_t i = 0; i < n; ++i) {
        err = std::max(err, std::abs(double(a[i]) - double(b[i])));
        scale = std::max(scale, std::abs(double(b[i])));
    }
    return err <= tol * scale;
}
bool close(float a, float b, double tol) { return std::abs(double(a) - double(b)) <= tol * std::max(1.0, std::abs(double(b))); }

// ---------------------------------------------------------------------------------------------
// Hand-written xsimd: the value alone, and the value with the gradient in the fewest passes.
namespace hand {

using B = xsimd::batch<float>;
constexpr std::size_t W = B::size;

float hmax(const B& b) {
    alignas(64) float lanes[W];
    b.store_aligned(lanes);
    float r = lanes[0];
    for (std::size_t i = 1; i < W; ++i) r = std::max(r, lanes[i]);
    return r;
}

float sum(const float* x, std::size_t n) {
    B a0(0.f), a1(0.f), a2(0.f), a3(0.f);
    std::size_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        a0 += B::load_unaligned(x + i);
        a1 += B::load_unaligned(x + i + W);
        a2 += B::load_unaligned(x + i + 2 * W);
        a3 += B::load_unaligned(x + i + 3 * W);
    }
    for (; i + W <= n; i += W) a0 += B::load_unaligned(x + i);
    float s = xsimd::hadd((a0 + a1) + (a2 + a3));
    for (; i < n; ++i) s += x[i];
    return s;
}
// One pass: the sum, and g = 1 stored.
float sum_grad(const float* x, float* g, std::size_t n) {
    const B one(1.f);
    B a0(0.f), a1(0.f);
    std::size_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        a0 += B::load_unaligned(x + i);
        a1 += B::load_unaligned(x + i + W);
        one.store_unaligned(g + i);
        one.store_unaligned(g + i + W);
    }
    for (; i + W <= n; i += W) {
        a0 += B::load_unaligned(x + i);
        one.store_unaligned(g + i);
    }
    float s = xsimd::hadd(a0 + a1);
    for (; i < n; ++i) {
        s += x[i];
        g[i] = 1.f;
    }
    return s;
}

float max(const float* x, std::size_t n) {
    float m = -std::numeric_limits<float>::infinity();
    std::size_t i = 0;
    if (n >= W) {
        B a0(m), a1(m), a2(m), a3(m);
        for (; i + 4 * W <= n; i += 4 * W) {
            a0 = xsimd::max(a0, B::load_unaligned(x + i));
            a1 = xsimd::max(a1, B::load_unaligned(x + i + W));
            a2 = xsimd::max(a2, B::load_unaligned(x + i + 2 * W));
            a3 = xsimd::max(a3, B::load_unaligned(x + i + 3 * W));
        }
        for (; i + W <= n; i += W) a0 = xsimd::max(a0, B::load_unaligned(x + i));
        m = hmax(xsimd::max(xsimd::max(a0, a1), xsimd::max(a2, a3)));
    }
    for (; i < n; ++i) m = std::max(m, x[i]);
    return m;
}
// sum(exp(x - m)), storing exp(x - m) into e when e is not null.
template <bool Store>
float exp_sum(const float* x, float m, float* e, std::size_t n) {
    const B mb(m);
    B a0(0.f), a1(0.f);
    std::size_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        const B e0 = xsimd::exp(B::load_unaligned(x + i) - mb), e1 = xsimd::exp(B::load_unaligned(x + i + W) - mb);
        a0 += e0;
        a1 += e1;
        if constexpr (Store) {
            e0.store_unaligned(e + i);
            e1.store_unaligned(e + i + W);
        }
    }
    for (; i + W <= n; i += W) {
        const B e0 = xsimd::exp(B::load_unaligned(x + i) - mb);
        a0 += e0;
        if constexpr (Store) e0.store_unaligned(e + i);
    }
    float s = xsimd::hadd(a0 + a1);
    for (; i < n; ++i) {
        const float v = std::exp(x[i] - m);
        s += v;
        if constexpr (Store) e[i] = v;
    }
    return s;
}
float logsumexp(const float* x, std::size_t n) {
    const float m = max(x, n);
    return m + std::log(exp_sum<false>(x, m, nullptr, n));
}
// Three passes: the max; exp(x - m) stored and summed; the scale by 1 / sum (exp computed once).
float logsumexp_grad(const float* x, float* g, std::size_t n) {
    const float m = max(x, n);
    const float s = exp_sum<true>(x, m, g, n);
    const float r = 1.f / s;
    const B rb(r);
    std::size_t i = 0;
    for (; i + W <= n; i += W) (B::load_unaligned(g + i) * rb).store_unaligned(g + i);
    for (; i < n; ++i) g[i] *= r;
    return m + std::log(s);
}

// sum of the normal log-density: -0.5/sigma^2 sum((x - mu)^2) - n (log sigma + log sqrt(2 pi)).
float normal(const float* x, std::size_t n, float mu, float sigma) {
    const B mb(mu);
    B a0(0.f), a1(0.f);
    std::size_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        const B d0 = B::load_unaligned(x + i) - mb, d1 = B::load_unaligned(x + i + W) - mb;
        a0 = xsimd::fma(d0, d0, a0);
        a1 = xsimd::fma(d1, d1, a1);
    }
    for (; i + W <= n; i += W) {
        const B d0 = B::load_unaligned(x + i) - mb;
        a0 = xsimd::fma(d0, d0, a0);
    }
    float s = xsimd::hadd(a0 + a1);
    for (; i < n; ++i) s += (x[i] - mu) * (x[i] - mu);
    return -0.5f * s / (sigma * sigma) - float(n) * (std::log(sigma) + half_log_2pi);
}
// One pass: the value, and g = (mu - x) / sigma^2 stored.
float normal_grad(const float* x, float* g, std::size_t n, float mu, float sigma) {
    const float k = -1.f / (sigma * sigma);
    const B mb(mu), kb(k);
    B a0(0.f), a1(0.f);
    std::size_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        const B d0 = B::load_unaligned(x + i) - mb, d1 = B::load_unaligned(x + i + W) - mb;
        a0 = xsimd::fma(d0, d0, a0);
        a1 = xsimd::fma(d1, d1, a1);
        (d0 * kb).store_unaligned(g + i);
        (d1 * kb).store_unaligned(g + i + W);
    }
    for (; i + W <= n; i += W) {
        const B d0 = B::load_unaligned(x + i) - mb;
        a0 = xsimd::fma(d0, d0, a0);
        (d0 * kb).store_unaligned(g + i);
    }
    float s = xsimd::hadd(a0 + a1);
    for (; i < n; ++i) {
        const float d = x[i] - mu;
        s += d * d;
        g[i] = d * k;
    }
    return 0.5f * k * s - float(n) * (std::log(sigma) + half_log_2pi);
}

// sum(A B) = sum_k colsum(A)[k] rowsum(B)[k]; ca and rb are n-float scratch.
void col_row_sums(const float* a, const float* b, float* ca, float* rb, std::size_t n) {
    std::fill(ca, ca + n, 0.f);
    for (std::size_t i = 0; i < n; ++i) {
        const float* ar = a + i * n;
        std::size_t k = 0;
        for (; k + W <= n; k += W) (B::load_unaligned(ca + k) + B::load_unaligned(ar + k)).store_unaligned(ca + k);
        for (; k < n; ++k) ca[k] += ar[k];
    }
    for (std::size_t k = 0; k < n; ++k) rb[k] = sum(b + k * n, n);
}
float dot(const float* u, const float* v, std::size_t n) {
    B a(0.f);
    std::size_t i = 0;
    for (; i + W <= n; i += W) a = xsimd::fma(B::load_unaligned(u + i), B::load_unaligned(v + i), a);
    float s = xsimd::hadd(a);
    for (; i < n; ++i) s += u[i] * v[i];
    return s;
}
float matmul_sum(const float* a, const float* b, float* ca, float* rb, std::size_t n) {
    col_row_sums(a, b, ca, rb, n);
    return dot(ca, rb, n);
}
// dA[i, :] = rowsum(B), dB[k, :] = colsum(A)[k].
float matmul_sum_grad(const float* a, const float* b, float* ga, float* gb, float* ca, float* rb, std::size_t n) {
    col_row_sums(a, b, ca, rb, n);
    for (std::size_t i = 0; i < n; ++i) std::copy(rb, rb + n, ga + i * n);
    for (std::size_t k = 0; k < n; ++k) std::fill(gb + k * n, gb + (k + 1) * n, ca[k]);
    return dot(ca, rb, n);
}

}  // namespace hand

template <fn F>
float hand_value(const vec& x) {
    const std::size_t n = x.size();
    if constexpr (F == fn::sum)
        return hand::sum(x.data(), n);
    else if constexpr (F == fn::logsumexp)
        return hand::logsumexp(x.data(), n);
    else
        return hand::normal(x.data(), n, normal_mu, normal_sigma);
}
template <fn F>
float hand_gradient(const vec& x, vec& g) {
    const std::size_t n = x.size();
    if constexpr (F == fn::sum)
        return hand::sum_grad(x.data(), g.data(), n);
    else if constexpr (F == fn::logsumexp)
        return hand::logsumexp_grad(x.data(), g.data(), n);
    else
        return hand::normal_grad(x.data(), g.data(), n, normal_mu, normal_sigma);
}

// ---------------------------------------------------------------------------------------------
// tfx and hand-written cases of sum, logsumexp, normal.

template <fn F>
void tfx_primal(benchmark::State& state) {
    const auto x = input_vector(std::size_t(state.range(0)));
    auto f = tfx::function(model<F>());
    for (auto _ : state) {
        const auto& y = call<F>(f, x);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
}

template <fn F>
void tfx_grad(benchmark::State& state) {
    const auto x = input_vector(std::size_t(state.range(0)));
    auto vg = tfx::value_and_grad(model<F>());
    {  // checked once against the hand-written gradient
        vec g(x.size());
        const float v = hand_gradient<F>(x, g);
        auto [l, dx] = call<F>(vg, x);
        if (!close(l(), v, 1e-4) || !close(dx.data(), g.data(), g.size(), 1e-4)) {
            state.SkipWithError("tfx and hand-written gradients differ");
            return;
        }
    }
    for (auto _ : state) {
        auto [l, dx] = call<F>(vg, x);
        benchmark::DoNotOptimize(l.data());
        benchmark::DoNotOptimize(dx.data());
        benchmark::ClobberMemory();
    }
    const auto s = vg.stats();
    state.SetLabel("kernels/call " + std::to_string(double(s.kernels_computed) / double(state.iterations() + 1)));
}

template <fn F>
void hand_primal(benchmark::State& state) {
    auto x = input_vector(std::size_t(state.range(0)));
    benchmark::DoNotOptimize(x.data());
    for (auto _ : state) {
        float v = hand_value<F>(x);
        benchmark::DoNotOptimize(v);
        benchmark::ClobberMemory();
    }
}

template <fn F>
void hand_grad(benchmark::State& state) {
    auto x = input_vector(std::size_t(state.range(0)));
    vec g(x.size());
    benchmark::DoNotOptimize(x.data());
    benchmark::DoNotOptimize(g.data());
    for (auto _ : state) {
        float v = hand_gradient<F>(x, g);
        benchmark::DoNotOptimize(v);
        benchmark::ClobberMemory();
    }
}

// sum(A B)
void tfx_primal_matmul(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    const auto a = input_matrix(n, 21), b = input_matrix(n, 22);
    auto f = tfx::function(matmul_model());
    for (auto _ : state) {
        const auto& y = f(a, b);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
}
void tfx_grad_matmul(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    const auto a = input_matrix(n, 21), b = input_matrix(n, 22);
    auto vg = tfx::value_and_grad<0, 1>(matmul_model());
    {
        mat ga(n, n), gb(n, n);
        vec ca(n), rb(n);
        const float v = hand::matmul_sum_grad(a.data(), b.data(), ga.data(), gb.data(), ca.data(), rb.data(), n);
        auto [l, da, db] = vg(a, b);
        if (!close(l(), v, 1e-4) || !close(da.data(), ga.data(), n * n, 1e-4) || !close(db.data(), gb.data(), n * n, 1e-4)) {
            state.SkipWithError("tfx and hand-written gradients differ");
            return;
        }
    }
    for (auto _ : state) {
        auto [l, da, db] = vg(a, b);
        benchmark::DoNotOptimize(l.data());
        benchmark::DoNotOptimize(da.data());
        benchmark::DoNotOptimize(db.data());
        benchmark::ClobberMemory();
    }
    const auto s = vg.stats();
    state.SetLabel("kernels/call " + std::to_string(double(s.kernels_computed) / double(state.iterations() + 1)));
}
void hand_primal_matmul(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    auto a = input_matrix(n, 21), b = input_matrix(n, 22);
    vec ca(n), rb(n);
    benchmark::DoNotOptimize(a.data());
    benchmark::DoNotOptimize(b.data());
    for (auto _ : state) {
        float v = hand::matmul_sum(a.data(), b.data(), ca.data(), rb.data(), n);
        benchmark::DoNotOptimize(v);
        benchmark::ClobberMemory();
    }
}
void hand_grad_matmul(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    auto a = input_matrix(n, 21), b = input_matrix(n, 22);
    mat ga(n, n), gb(n, n);
    vec ca(n), rb(n);
    benchmark::DoNotOptimize(a.data());
    benchmark::DoNotOptimize(b.data());
    benchmark::DoNotOptimize(ga.data());
    benchmark::DoNotOptimize(gb.data());
    for (auto _ : state) {
        float v = hand::matmul_sum_grad(a.data(), b.data(), ga.data(), gb.data(), ca.data(), rb.data(), n);
        benchmark::DoNotOptimize(v);
        benchmark::ClobberMemory();
    }
}

// ---------------------------------------------------------------------------------------------
// MLP: W1[64, H], b1[H], W2[H, 10], b2[10]; x[batch, 64], labels[batch] in [0, 10).
template <tfx::index_t H>
struct mlp_data {
    tfx::tensor<float, 64, H> W1;
    tfx::tensor<float, H> b1;
    tfx::tensor<float, H, 10> W2;
    tfx::tensor<float, 10> b2;
    tfx::tensor<float, dyn, 64> x;
    tfx::tensor<std::int64_t, dyn> y;
    explicit mlp_data(std::size_t batch) : x(batch), y(batch) {
        tfx::random::generator gen{42};
        const double l1 = std::sqrt(6.0 / (64 + H)), l2 = std::sqrt(6.0 / (H + 10));
        W1 = tfx::random::uniform<float, 64, H>(gen, -l1, l1);
        b1 = tfx::random::uniform<float, H>(gen, -0.1, 0.1);
        W2 = tfx::random::uniform<float, H, 10>(gen, -l2, l2);
        b2 = tfx::random::uniform<float, 10>(gen, -0.1, 0.1);
        x = tfx::random::normal<float, dyn, 64>(gen, 0.0, 1.0, batch);
        for (auto& v : y) v = std::int64_t(gen.below(10));
    }
};

template <tfx::index_t H>
void tfx_mlp(benchmark::State& state) {
    const mlp_data<H> d(std::size_t(state.range(0)));
    auto vg = tfx::value_and_grad<0, 1, 2, 3>(mlp_model());
    for (auto _ : state) {
        auto [l, gW1, gb1, gW2, gb2] = vg(d.W1, d.b1, d.W2, d.b2, d.x, d.y);
        benchmark::DoNotOptimize(l.data());
        benchmark::DoNotOptimize(gW1.data());
        benchmark::DoNotOptimize(gb1.data());
        benchmark::DoNotOptimize(gW2.data());
        benchmark::DoNotOptimize(gb2.data());
        benchmark::ClobberMemory();
    }
    const auto s = vg.stats();
    state.SetLabel("kernels/call " + std::to_string(double(s.kernels_computed) / double(state.iterations() + 1)));
}
void tfx_mlp_primal_128(benchmark::State& state) {
    const mlp_data<128> d(std::size_t(state.range(0)));
    auto f = tfx::function(mlp_model());
    for (auto _ : state) {
        const auto& l = f(d.W1, d.b1, d.W2, d.b2, d.x, d.y);
        benchmark::DoNotOptimize(l.data());
        benchmark::ClobberMemory();
    }
}
void tfx_mlp_primal_512(benchmark::State& state) {
    const mlp_data<512> d(std::size_t(state.range(0)));
    auto f = tfx::function(mlp_model());
    for (auto _ : state) {
        const auto& l = f(d.W1, d.b1, d.W2, d.b2, d.x, d.y);
        benchmark::DoNotOptimize(l.data());
        benchmark::ClobberMemory();
    }
}

// ---------------------------------------------------------------------------------------------
// libtorch autograd.
#ifdef TFX_BENCH_HAVE_TORCH

// torch::set_num_threads(1) limits libtorch's own (OpenMP) threads but not OpenBLAS's, which its
// matmuls call: openblas_get_num_threads() stays 2 on this machine after it.
void torch_single_thread() {
    torch::set_num_threads(1);
#ifdef TFX_BENCH_HAVE_OPENBLAS
    openblas_set_num_threads(1);
#endif
}
#ifndef TFX_BENCH_HAVE_OPENBLAS
[[maybe_unused]] const int blas_note = [] {
    std::printf("bench_autodiff: OpenBLAS headers not found: libtorch's BLAS threads are not limited to one\n");
    return 0;
}();
#endif

template <class T>
torch::Tensor to_torch(const T& t, std::vector<std::int64_t> sizes) {
    using V = typename T::value_type;
    const auto type = std::is_same_v<V, float> ? torch::kFloat : torch::kLong;
    return torch::from_blob(const_cast<V*>(t.data()), sizes, type).clone();
}

// As Optimizer::zero_grad in libtorch 1.13.
void zero_grad(torch::Tensor& p) {
    if (p.mutable_grad().defined()) {
        p.mutable_grad().detach_();
        p.mutable_grad().zero_();
    }
}

template <fn F>
torch::Tensor torch_model(const torch::Tensor& x) {
    if constexpr (F == fn::sum)
        return torch::sum(x);
    else if constexpr (F == fn::logsumexp)
        return torch::logsumexp(x, 0);
    else
        return torch::sum(-0.5 * torch::square((x - normal_mu) / normal_sigma) - std::log(normal_sigma) - half_log_2pi);
}

template <fn F>
void torch_primal(benchmark::State& state) {
    torch_single_thread();
    const auto xv = input_vector(std::size_t(state.range(0)));
    torch::Tensor x = to_torch(xv, {std::int64_t(xv.size())});
    torch::NoGradGuard no_grad;
    for (auto _ : state) {
        torch::Tensor y = torch_model<F>(x);
        benchmark::DoNotOptimize(y.data_ptr<float>());
        benchmark::ClobberMemory();
    }
}

template <fn F>
void torch_grad(benchmark::State& state) {
    torch_single_thread();
    const auto xv = input_vector(std::size_t(state.range(0)));
    torch::Tensor x = to_torch(xv, {std::int64_t(xv.size())}).requires_grad_();
    {
        vec g(xv.size());
        const float v = hand_gradient<F>(xv, g);
        torch::Tensor y = torch_model<F>(x);
        y.backward();
        if (!close(y.item<float>(), v, 1e-4) || !close(x.grad().data_ptr<float>(), g.data(), g.size(), 1e-4)) {
            state.SkipWithError("libtorch and hand-written gradients differ");
            return;
        }
    }
    for (auto _ : state) {
        zero_grad(x);
        torch::Tensor y = torch_model<F>(x);
        y.backward();
        benchmark::DoNotOptimize(y.data_ptr<float>());
        benchmark::DoNotOptimize(x.grad().data_ptr<float>());
        benchmark::ClobberMemory();
    }
}

void torch_primal_matmul(benchmark::State& state) {
    torch_single_thread();
    const auto n = std::size_t(state.range(0));
    const auto sz = std::int64_t(n);
    auto a = to_torch(input_matrix(n, 21), {sz, sz}), b = to_torch(input_matrix(n, 22), {sz, sz});
    torch::NoGradGuard no_grad;
    for (auto _ : state) {
        torch::Tensor y = torch::matmul(a, b).sum();
        benchmark::DoNotOptimize(y.data_ptr<float>());
        benchmark::ClobberMemory();
    }
}
void torch_grad_matmul(benchmark::State& state) {
    torch_single_thread();
    const auto n = std::size_t(state.range(0));
    const auto sz = std::int64_t(n);
    const auto av = input_matrix(n, 21), bv = input_matrix(n, 22);
    auto a = to_torch(av, {sz, sz}).requires_grad_(), b = to_torch(bv, {sz, sz}).requires_grad_();
    {
        mat ga(n, n), gb(n, n);
        vec ca(n), rb(n);
        const float v = hand::matmul_sum_grad(av.data(), bv.data(), ga.data(), gb.data(), ca.data(), rb.data(), n);
        torch::Tensor y = torch::matmul(a, b).sum();
        y.backward();
        if (!close(y.item<float>(), v, 1e-4) || !close(a.grad().data_ptr<float>(), ga.data(), n * n, 1e-4) ||
            !close(b.grad().data_ptr<float>(), gb.data(), n * n, 1e-4)) {
            state.SkipWithError("libtorch and hand-written gradients differ");
            return;
        }
    }
    for (auto _ : state) {
        zero_grad(a);
        zero_grad(b);
        torch::Tensor y = torch::matmul(a, b).sum();
        y.backward();
        benchmark::DoNotOptimize(y.data_ptr<float>());
        benchmark::DoNotOptimize(a.grad().data_ptr<float>());
        benchmark::DoNotOptimize(b.grad().data_ptr<float>());
        benchmark::ClobberMemory();
    }
}

template <tfx::index_t H>
void torch_mlp(benchmark::State& state) {
    torch_single_thread();
    const std::size_t batch = std::size_t(state.range(0));
    const auto bs = std::int64_t(batch);
    const mlp_data<H> d(batch);
    torch::Tensor W1 = to_torch(d.W1, {64, H}).requires_grad_();
    torch::Tensor b1 = to_torch(d.b1, {H}).requires_grad_();
    torch::Tensor W2 = to_torch(d.W2, {H, 10}).requires_grad_();
    torch::Tensor b2 = to_torch(d.b2, {10}).requires_grad_();
    const torch::Tensor x = to_torch(d.x, {bs, 64}), y = to_torch(d.y, {bs});
    auto loss_of = [&]() -> torch::Tensor {
        auto h = torch::relu(torch::matmul(x, W1) + b1);
        auto logits = torch::matmul(h, W2) + b2;
        return torch::nn::functional::cross_entropy(logits, y);
    };
    {  // checked once against tfx
        auto vg = tfx::value_and_grad<0, 1, 2, 3>(mlp_model());
        auto [l, gW1, gb1, gW2, gb2] = vg(d.W1, d.b1, d.W2, d.b2, d.x, d.y);
        torch::Tensor loss = loss_of();
        loss.backward();
        if (!close(l(), loss.item<float>(), 1e-4) || !close(gW1.data(), W1.grad().data_ptr<float>(), gW1.size(), 1e-4) ||
            !close(gb1.data(), b1.grad().data_ptr<float>(), gb1.size(), 1e-4) ||
            !close(gW2.data(), W2.grad().data_ptr<float>(), gW2.size(), 1e-4) ||
            !close(gb2.data(), b2.grad().data_ptr<float>(), gb2.size(), 1e-4)) {
            state.SkipWithError("libtorch and tfx MLP gradients differ");
            return;
        }
    }
    for (auto _ : state) {
        zero_grad(W1);
        zero_grad(b1);
        zero_grad(W2);
        zero_grad(b2);
        torch::Tensor loss = loss_of();
        loss.backward();
        benchmark::DoNotOptimize(loss.data_ptr<float>());
        benchmark::DoNotOptimize(W1.grad().data_ptr<float>());
        benchmark::ClobberMemory();
    }
}

#endif  // TFX_BENCH_HAVE_TORCH

// ---------------------------------------------------------------------------------------------
// Registration and the ratio table.

constexpr int sizes[] = {16, 256, 4096, 16384};
constexpr int mat_sizes[] = {16, 64, 128, 256};

void vector_sizes(benchmark::internal::Benchmark* b) {
    for (int n : sizes) b->Arg(n);
}
void matrix_sizes(benchmark::internal::Benchmark* b) {
    for (int n : mat_sizes) b->Arg(n);
}

#define TFX_AD_CASES(F, tag)                                                                         \
    BENCHMARK_TEMPLATE(tfx_primal, F)->Name("tfx_primal_" tag)->Apply(vector_sizes);                 \
    BENCHMARK_TEMPLATE(tfx_grad, F)->Name("tfx_grad_" tag)->Apply(vector_sizes);                     \
    BENCHMARK_TEMPLATE(hand_primal, F)->Name("hand_primal_" tag)->Apply(vector_sizes);               \
    BENCHMARK_TEMPLATE(hand_grad, F)->Name("hand_grad_" tag)->Apply(vector_sizes);
TFX_AD_CASES(fn::sum, "sum")
TFX_AD_CASES(fn::logsumexp, "logsumexp")
TFX_AD_CASES(fn::normal, "normal")
#undef TFX_AD_CASES
BENCHMARK(tfx_primal_matmul)->Apply(matrix_sizes);
BENCHMARK(tfx_grad_matmul)->Apply(matrix_sizes);
BENCHMARK(hand_primal_matmul)->Apply(matrix_sizes);
BENCHMARK(hand_grad_matmul)->Apply(matrix_sizes);
BENCHMARK_TEMPLATE(tfx_mlp, 128)->Name("tfx_mlp_128")->Arg(32)->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(tfx_mlp, 512)->Name("tfx_mlp_512")->Arg(256)->Unit(benchmark::kMicrosecond);
BENCHMARK(tfx_mlp_primal_128)->Arg(32)->Unit(benchmark::kMicrosecond);
BENCHMARK(tfx_mlp_primal_512)->Arg(256)->Unit(benchmark::kMicrosecond);

#ifdef TFX_BENCH_HAVE_TORCH
BENCHMARK_TEMPLATE(torch_primal, fn::sum)->Name("torch_primal_sum")->Apply(vector_sizes);
BENCHMARK_TEMPLATE(torch_grad, fn::sum)->Name("torch_grad_sum")->Apply(vector_sizes);
BENCHMARK_TEMPLATE(torch_primal, fn::logsumexp)->Name("torch_primal_logsumexp")->Apply(vector_sizes);
BENCHMARK_TEMPLATE(torch_grad, fn::logsumexp)->Name("torch_grad_logsumexp")->Apply(vector_sizes);
BENCHMARK_TEMPLATE(torch_primal, fn::normal)->Name("torch_primal_normal")->Apply(vector_sizes);
BENCHMARK_TEMPLATE(torch_grad, fn::normal)->Name("torch_grad_normal")->Apply(vector_sizes);
BENCHMARK(torch_primal_matmul)->Apply(matrix_sizes);
BENCHMARK(torch_grad_matmul)->Apply(matrix_sizes);
BENCHMARK_TEMPLATE(torch_mlp, 128)->Name("torch_mlp_128")->Arg(32)->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(torch_mlp, 512)->Name("torch_mlp_512")->Arg(256)->Unit(benchmark::kMicrosecond);
#else
[[maybe_unused]] const int torch_note = [] {
    std::printf("bench_autodiff: libtorch not found at configure time: libtorch peers skipped\n");
    return 0;
}();
#endif

// FastAD's gradient / primal ratios (BENCHMARKS.md); tfx aims under each.
double fastad_ratio(const std::string& f) {
    return f == "sum" ? 2.64 : f == "logsumexp" ? 1.53 : f == "normal" ? 3.0 : 3.19;
}

int declare_pairs() {
    using tfx_bench::compare;
    using tfx_bench::lower_is_better;
    using tfx_bench::show;
    int count = 0;
    auto one = [&](const std::string& f, int n, bool is_matrix) {
        const std::string arg = "/" + std::to_string(n);
        const std::string sz = is_matrix ? std::to_string(n) + "x" + std::to_string(n) : "N=" + std::to_string(n);
        const std::string p = is_matrix ? "_matmul" : "_" + f;
        compare(f + " " + sz + ": tfx grad/primal (FastAD)", "tfx_grad" + p + arg, "tfx_primal" + p + arg,
                fastad_ratio(f), lower_is_better);
        if (f == "logsumexp" && n == 16384)
            compare(f + " " + sz + ": tfx grad/primal (BENCHMARKS)", "tfx_grad" + p + arg, "tfx_primal" + p + arg, 2.0,
                    lower_is_better);
        if (f == "logsumexp" && n == 16384)  // >= 5x faster than libtorch
            compare(f + " " + sz + ": tfx grad vs libtorch grad", "tfx_grad" + p + arg, "torch_grad" + p + arg, 0.2,
                    lower_is_better);
        else
            show(f + " " + sz + ": tfx grad vs libtorch grad", "tfx_grad" + p + arg, "torch_grad" + p + arg,
                 lower_is_better);
        show(f + " " + sz + ": tfx grad vs hand grad", "tfx_grad" + p + arg, "hand_grad" + p + arg, lower_is_better);
        show(f + " " + sz + ": tfx primal vs hand primal", "tfx_primal" + p + arg, "hand_primal" + p + arg,
             lower_is_better);
        show(f + " " + sz + ": hand grad/primal", "hand_grad" + p + arg, "hand_primal" + p + arg, lower_is_better);
        count = show(f + " " + sz + ": libtorch grad/primal", "torch_grad" + p + arg, "torch_primal" + p + arg,
                     lower_is_better);
    };
    for (const char* f : {"sum", "logsumexp", "normal"})
        for (int n : sizes) one(f, n, false);
    for (int n : mat_sizes) one("matmul", n, true);
    compare("MLP x[32,64] 64-128-10: tfx vs libtorch (25us @ 66us)", "tfx_mlp_128/32", "torch_mlp_128/32", 25.0 / 66.0,
            lower_is_better);
    show("MLP x[32,64] 64-128-10: tfx grad/primal", "tfx_mlp_128/32", "tfx_mlp_primal_128/32", lower_is_better);
    compare("MLP x[256,64] 64-512-10: tfx vs libtorch (0.75ms @ 1.61ms)", "tfx_mlp_512/256", "torch_mlp_512/256",
            0.75 / 1.61, lower_is_better);
    count = show("MLP x[256,64] 64-512-10: tfx grad/primal", "tfx_mlp_512/256", "tfx_mlp_primal_512/256", lower_is_better);
    return count;
}
[[maybe_unused]] const int pairs = declare_pairs();

}  // namespace

int main(int argc, char** argv) {
    tfx::set_num_threads(1);  // BENCHMARKS.md's figures are single-thread
    return tfx_bench::run_and_report(argc, argv);
}
