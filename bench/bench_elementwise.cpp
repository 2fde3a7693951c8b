// Elementwise and reduction throughput: tfx's fused loop against a hand-written xsimd loop (the
// practical limit), Eigen, xtensor and a scalar loop, for the first three rows of BENCHMARKS.md
// (tanh(a*b+c) 4M, a*b+c 4096, sum 64K), plus sum(a*b) and softmax for information.
//
// Every implementation of a case reads and writes the same buffers (the tfx tensors' storage, seen
// by the peers through Eigen::Map, xt::adapt and raw pointers): the same hand loop ran up to 15%
// slower on one process's allocation than on another's, and that placement luck must not enter
// the ratios. On a shared machine run with --benchmark_enable_random_interleaving=true and
// --benchmark_repetitions=N (N >= 9): each ratio then compares medians of interleaved runs.
//
// xtensor vectorizes its expressions only when XTENSOR_USE_XSIMD is defined; without it xt::tanh
// is a scalar std::tanh loop, which would not be xtensor at its best.
#ifndef XTENSOR_USE_XSIMD
#define XTENSOR_USE_XSIMD
#endif

#include <tfx/tfx.hpp>

#include "ratio.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <xsimd/xsimd.hpp>
#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xtensor.hpp>

#ifdef TFX_BENCH_HAVE_EIGEN
#include <Eigen/Core>
#endif

namespace {

using fvec = std::vector<float, xsimd::aligned_allocator<float, 64>>;
using batch = xsimd::batch<float>;
constexpr std::size_t W = batch::size;

// Fixed-seed data in [-1, 1): the same values for every implementation.
fvec random_floats(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    fvec v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

using vec = tfx::tensor<float, tfx::dyn>;
using mat = tfx::tensor<float, tfx::dyn, tfx::dyn>;

vec tfx_vector(std::size_t n, unsigned seed) {
    const fvec v = random_floats(n, seed);
    vec t(n);
    std::copy(v.begin(), v.end(), t.data());
    return t;
}

// The shared operands of one case size: a, b, c in [-1, 1) (fixed seeds) and the output o, made
// once and kept for the whole run.
struct operands {
    vec a, b, c, o;
    explicit operands(std::size_t n) : a(tfx_vector(n, 1)), b(tfx_vector(n, 2)), c(tfx_vector(n, 3)), o(n) {}
};
operands& shared(std::size_t n) {
    static std::map<std::size_t, std::unique_ptr<operands>> cache;
    auto& p = cache[n];
    if (!p) p = std::make_unique<operands>(n);
    return *p;
}

auto xt_view(float* p, std::size_t n) {
    return xt::adapt(p, n, xt::no_ownership(), std::array<std::size_t, 1>{n});
}
auto xt_view(const float* p, std::size_t n) {
    return xt::adapt(const_cast<float*>(p), n, xt::no_ownership(), std::array<std::size_t, 1>{n});
}

#ifdef TFX_BENCH_HAVE_EIGEN
// The tfx storage is 64-byte aligned (tfx::alignment).
using eigen_vec = Eigen::Map<Eigen::ArrayXf, Eigen::Aligned64>;
using eigen_cvec = Eigen::Map<const Eigen::ArrayXf, Eigen::Aligned64>;
#endif

// ---------------------------------------------------------------------------------------------
// out = a*b + c, optionally followed by tanh: three inputs read, one output written.
enum class impl { tfx, xsimd, eigen, xtensor, scalar };

void set_bytes(benchmark::State& state, std::size_t n) {
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(4 * sizeof(float) * n));
}

template <bool Tanh>
void hand_fma(float* o, const float* a, const float* b, const float* c, std::size_t n) {
    std::size_t i = 0;
    for (; i + W <= n; i += W) {
        batch x = xsimd::fma(batch::load_unaligned(a + i), batch::load_unaligned(b + i), batch::load_unaligned(c + i));
        if constexpr (Tanh) x = xsimd::tanh(x);
        x.store_unaligned(o + i);
    }
    for (; i < n; ++i) {
        const float x = std::fma(a[i], b[i], c[i]);
        o[i] = Tanh ? std::tanh(x) : x;
    }
}

template <impl I, bool Tanh>
void fma_case(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    auto& [a, b, c, o] = shared(n);
    if constexpr (I == impl::tfx) {
        for (auto _ : state) {
            if constexpr (Tanh)
                o = tfx::tanh(a * b + c);
            else
                o = a * b + c;
            benchmark::DoNotOptimize(o.data());
            benchmark::ClobberMemory();
        }
    }
    if constexpr (I == impl::xsimd) {
        for (auto _ : state) {
            hand_fma<Tanh>(o.data(), a.data(), b.data(), c.data(), n);
            benchmark::DoNotOptimize(o.data());
            benchmark::ClobberMemory();
        }
    }
#ifdef TFX_BENCH_HAVE_EIGEN
    if constexpr (I == impl::eigen) {
        const Eigen::Index en(static_cast<Eigen::Index>(n));
        const eigen_cvec ea(a.data(), en), eb(b.data(), en), ec(c.data(), en);
        eigen_vec eo(o.data(), en);
        for (auto _ : state) {
            if constexpr (Tanh)
                eo = (ea * eb + ec).tanh();
            else
                eo = ea * eb + ec;
            benchmark::DoNotOptimize(o.data());
            benchmark::ClobberMemory();
        }
    }
#endif
    if constexpr (I == impl::xtensor) {
        const auto xa = xt_view(a.data(), n), xb = xt_view(b.data(), n), xc = xt_view(c.data(), n);
        auto xo = xt_view(o.data(), n);
        for (auto _ : state) {
            if constexpr (Tanh)
                xt::noalias(xo) = xt::tanh(xa * xb + xc);
            else
                xt::noalias(xo) = xa * xb + xc;
            benchmark::DoNotOptimize(o.data());
            benchmark::ClobberMemory();
        }
    }
    if constexpr (I == impl::scalar) {
        const float *pa = a.data(), *pb = b.data(), *pc = c.data();
        float* po = o.data();
        for (auto _ : state) {
            for (std::size_t i = 0; i < n; ++i) {
                const float x = pa[i] * pb[i] + pc[i];
                po[i] = Tanh ? std::tanh(x) : x;
            }
            benchmark::DoNotOptimize(po);
            benchmark::ClobberMemory();
        }
    }
    set_bytes(state, n);
}

constexpr int big = 1 << 22;   // 4M floats: 64 MB over the four arrays, memory-bound
constexpr int small = 4096;    // 64 KB over the four arrays: L1 (Zen 4: 32 KB) / L2 resident

BENCHMARK_TEMPLATE(fma_case, impl::tfx, true)->Name("tfx_tanh_fma")->Arg(big);
BENCHMARK_TEMPLATE(fma_case, impl::xsimd, true)->Name("xsimd_tanh_fma")->Arg(big);
#ifdef TFX_BENCH_HAVE_EIGEN
BENCHMARK_TEMPLATE(fma_case, impl::eigen, true)->Name("eigen_tanh_fma")->Arg(big);
#endif
BENCHMARK_TEMPLATE(fma_case, impl::xtensor, true)->Name("xtensor_tanh_fma")->Arg(big);
BENCHMARK_TEMPLATE(fma_case, impl::scalar, true)->Name("scalar_tanh_fma")->Arg(big);

BENCHMARK_TEMPLATE(fma_case, impl::tfx, false)->Name("tfx_fma")->Arg(small);
BENCHMARK_TEMPLATE(fma_case, impl::xsimd, false)->Name("xsimd_fma")->Arg(small);
#ifdef TFX_BENCH_HAVE_EIGEN
BENCHMARK_TEMPLATE(fma_case, impl::eigen, false)->Name("eigen_fma")->Arg(small);
#endif
BENCHMARK_TEMPLATE(fma_case, impl::xtensor, false)->Name("xtensor_fma")->Arg(small);

// CPU seconds per iteration as a counter: the time metric of the sum and softmax pairs. Wall time
// (the reporter's default) counts the periods when another process holds the core; on the shared
// machine that put 30% spreads into the medians, which CPU time does not have.
const std::string cpu_time = "cpu_s/iter";
void set_cpu_time(benchmark::State& state) {
    state.counters[cpu_time] =
        benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// ---------------------------------------------------------------------------------------------
// Full reductions: sum(a) and the fused sum(a*b). Metric: CPU time per iteration.
float hand_sum(const float* a, std::size_t n) {
    std::size_t i = 0;
    batch s0(0.0f), s1 = s0, s2 = s0, s3 = s0;
    for (; i + 4 * W <= n; i += 4 * W) {
        s0 += batch::load_unaligned(a + i);
        s1 += batch::load_unaligned(a + i + W);
        s2 += batch::load_unaligned(a + i + 2 * W);
        s3 += batch::load_unaligned(a + i + 3 * W);
    }
    for (; i + W <= n; i += W) s0 += batch::load_unaligned(a + i);
    float r = xsimd::hadd((s0 + s1) + (s2 + s3));
    for (; i < n; ++i) r += a[i];
    return r;
}

float hand_dot(const float* a, const float* b, std::size_t n) {
    std::size_t i = 0;
    batch s0(0.0f), s1 = s0, s2 = s0, s3 = s0;
    for (; i + 4 * W <= n; i += 4 * W) {
        s0 = xsimd::fma(batch::load_unaligned(a + i), batch::load_unaligned(b + i), s0);
        s1 = xsimd::fma(batch::load_unaligned(a + i + W), batch::load_unaligned(b + i + W), s1);
        s2 = xsimd::fma(batch::load_unaligned(a + i + 2 * W), batch::load_unaligned(b + i + 2 * W), s2);
        s3 = xsimd::fma(batch::load_unaligned(a + i + 3 * W), batch::load_unaligned(b + i + 3 * W), s3);
    }
    for (; i + W <= n; i += W) s0 = xsimd::fma(batch::load_unaligned(a + i), batch::load_unaligned(b + i), s0);
    float r = xsimd::hadd((s0 + s1) + (s2 + s3));
    for (; i < n; ++i) r += a[i] * b[i];
    return r;
}

template <impl I>
void sum_case(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    const vec& a = shared(n).a;
    if constexpr (I == impl::tfx) {
        for (auto _ : state) {
            tfx::tensor<float> s = tfx::sum(a);
            benchmark::DoNotOptimize(*s.data());
            benchmark::ClobberMemory();
        }
    }
    if constexpr (I == impl::xsimd) {
        for (auto _ : state) {
            float s = hand_sum(a.data(), n);
            benchmark::DoNotOptimize(s);
            benchmark::ClobberMemory();
        }
    }
    if constexpr (I == impl::xtensor) {
        const auto xa = xt_view(a.data(), n);
        for (auto _ : state) {
            float s = xt::sum(xa)();
            benchmark::DoNotOptimize(s);
            benchmark::ClobberMemory();
        }
    }
    set_cpu_time(state);
}

template <impl I>
void dot_case(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    const vec& a = shared(n).a;
    const vec& b = shared(n).b;
    if constexpr (I == impl::tfx) {
        for (auto _ : state) {
            tfx::tensor<float> s = tfx::sum(a * b);
            benchmark::DoNotOptimize(*s.data());
            benchmark::ClobberMemory();
        }
    }
    if constexpr (I == impl::xsimd) {
        for (auto _ : state) {
            float s = hand_dot(a.data(), b.data(), n);
            benchmark::DoNotOptimize(s);
            benchmark::ClobberMemory();
        }
    }
    set_cpu_time(state);
}

constexpr int sum_n = 1 << 16;  // 64K floats

BENCHMARK_TEMPLATE(sum_case, impl::tfx)->Name("tfx_sum")->Arg(sum_n);
BENCHMARK_TEMPLATE(sum_case, impl::xsimd)->Name("xsimd_sum")->Arg(sum_n);
BENCHMARK_TEMPLATE(sum_case, impl::xtensor)->Name("xtensor_sum")->Arg(sum_n);
BENCHMARK_TEMPLATE(dot_case, impl::tfx)->Name("tfx_sum_mul")->Arg(sum_n);
BENCHMARK_TEMPLATE(dot_case, impl::xsimd)->Name("xsimd_dot")->Arg(sum_n);

// ---------------------------------------------------------------------------------------------
// softmax along axis 1 of a [rows, cols] row-major block. Metric: CPU time per iteration.
void hand_softmax(float* o, const float* x, std::size_t rows, std::size_t cols) {
    for (std::size_t r = 0; r < rows; ++r) {
        const float* xr = x + r * cols;
        float* orow = o + r * cols;
        std::size_t j = 0;
        float m = -INFINITY;
        if (cols >= W) {
            batch bm(-INFINITY);
            for (; j + W <= cols; j += W) bm = xsimd::max(bm, batch::load_unaligned(xr + j));
            alignas(64) float lanes[W];
            bm.store_aligned(lanes);
            for (float v : lanes) m = std::max(m, v);
        }
        for (; j < cols; ++j) m = std::max(m, xr[j]);
        j = 0;
        float s = 0;
        if (cols >= W) {
            const batch bm(m);
            batch bs(0.0f);
            for (; j + W <= cols; j += W) {
                const batch e = xsimd::exp(batch::load_unaligned(xr + j) - bm);
                e.store_unaligned(orow + j);
                bs += e;
            }
            s = xsimd::hadd(bs);
        }
        for (; j < cols; ++j) s += (orow[j] = std::exp(xr[j] - m));
        const float inv = 1.0f / s;
        j = 0;
        for (; j + W <= cols; j += W) (batch::load_unaligned(orow + j) * batch(inv)).store_unaligned(orow + j);
        for (; j < cols; ++j) orow[j] *= inv;
    }
}

struct softmax_operands {
    mat x, o;
    softmax_operands(std::size_t rows, std::size_t cols) : x(rows, cols), o(rows, cols) {
        const fvec v = random_floats(rows * cols, 7);
        std::copy(v.begin(), v.end(), x.data());
    }
};
softmax_operands& shared_softmax(std::size_t rows, std::size_t cols) {
    static std::map<std::pair<std::size_t, std::size_t>, std::unique_ptr<softmax_operands>> cache;
    auto& p = cache[{rows, cols}];
    if (!p) p = std::make_unique<softmax_operands>(rows, cols);
    return *p;
}

template <impl I>
void softmax_case(benchmark::State& state) {
    const auto rows = std::size_t(state.range(0)), cols = std::size_t(state.range(1));
    auto& [x, o] = shared_softmax(rows, cols);
    if constexpr (I == impl::tfx) {
        for (auto _ : state) {
            o = tfx::softmax<1>(x);
            benchmark::DoNotOptimize(o.data());
            benchmark::ClobberMemory();
        }
    }
    if constexpr (I == impl::xsimd) {
        for (auto _ : state) {
            hand_softmax(o.data(), x.data(), rows, cols);
            benchmark::DoNotOptimize(o.data());
            benchmark::ClobberMemory();
        }
    }
#ifdef TFX_BENCH_HAVE_EIGEN
    if constexpr (I == impl::eigen) {
        using array = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        const Eigen::Index r = static_cast<Eigen::Index>(rows), c = static_cast<Eigen::Index>(cols);
        const Eigen::Map<const array> ex(x.data(), r, c);
        Eigen::Map<array> eo(o.data(), r, c);
        Eigen::ArrayXf m(r), s(r);
        for (auto _ : state) {
            m = ex.rowwise().maxCoeff();
            eo = (ex.colwise() - m).exp();
            s = eo.rowwise().sum();
            eo.colwise() /= s;
            benchmark::DoNotOptimize(o.data());
            benchmark::ClobberMemory();
        }
    }
#endif
    set_cpu_time(state);
}

void softmax_shapes(benchmark::internal::Benchmark* b) { b->Args({256, 10})->Args({32, 1000}); }

BENCHMARK_TEMPLATE(softmax_case, impl::tfx)->Name("tfx_softmax")->Apply(softmax_shapes);
BENCHMARK_TEMPLATE(softmax_case, impl::xsimd)->Name("xsimd_softmax")->Apply(softmax_shapes);
#ifdef TFX_BENCH_HAVE_EIGEN
BENCHMARK_TEMPLATE(softmax_case, impl::eigen)->Name("eigen_softmax")->Apply(softmax_shapes);
#endif

// Targets from BENCHMARKS.md; the rest is printed for information.
using tfx_bench::compare;
using tfx_bench::higher_is_better;
using tfx_bench::lower_is_better;
using tfx_bench::show;
const std::string bps = "bytes_per_second";  // SetBytesProcessed's rate, also per CPU second
[[maybe_unused]] const int pairs[] = {
    compare("tanh(a*b+c) 4M vs Eigen", "tfx_tanh_fma/4194304", "eigen_tanh_fma/4194304", 1.0, higher_is_better, bps),
    compare("tanh(a*b+c) 4M vs hand xsimd", "tfx_tanh_fma/4194304", "xsimd_tanh_fma/4194304", 0.9, higher_is_better, bps),
    show("tanh(a*b+c) 4M vs xtensor", "tfx_tanh_fma/4194304", "xtensor_tanh_fma/4194304", higher_is_better, bps),
    show("tanh(a*b+c) 4M vs scalar loop", "tfx_tanh_fma/4194304", "scalar_tanh_fma/4194304", higher_is_better, bps),
    compare("a*b+c 4096 vs hand xsimd", "tfx_fma/4096", "xsimd_fma/4096", 0.95, higher_is_better, bps),
    show("a*b+c 4096 vs Eigen", "tfx_fma/4096", "eigen_fma/4096", higher_is_better, bps),
    show("a*b+c 4096 vs xtensor", "tfx_fma/4096", "xtensor_fma/4096", higher_is_better, bps),
    compare("sum 64K vs hand xsimd", "tfx_sum/65536", "xsimd_sum/65536", 1.1, lower_is_better, cpu_time),
    show("sum 64K vs xtensor", "tfx_sum/65536", "xtensor_sum/65536", lower_is_better, cpu_time),
    show("sum(a*b) 64K vs hand dot", "tfx_sum_mul/65536", "xsimd_dot/65536", lower_is_better, cpu_time),
    show("softmax<1> [256,10] vs hand xsimd", "tfx_softmax/256/10", "xsimd_softmax/256/10", lower_is_better, cpu_time),
    show("softmax<1> [256,10] vs Eigen", "tfx_softmax/256/10", "eigen_softmax/256/10", lower_is_better, cpu_time),
    show("softmax<1> [32,1000] vs hand xsimd", "tfx_softmax/32/1000", "xsimd_softmax/32/1000", lower_is_better, cpu_time),
    show("softmax<1> [32,1000] vs Eigen", "tfx_softmax/32/1000", "eigen_softmax/32/1000", lower_is_better, cpu_time),
};

}  // namespace

int main(int argc, char** argv) {
    tfx::set_num_threads(1);  // BENCHMARKS.md's figures are single-thread
    return tfx_bench::run_and_report(argc, argv);
}
