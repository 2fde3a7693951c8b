// sgemm: tfx against OpenBLAS (single thread) and Eigen, square 256..1024, the MLP shapes, and
// small static products (tfx gemm_small against Eigen fixed-size matrices and OpenBLAS); tfx runs on
// one thread (tfx::set_num_threads(1)) for all of these. Then thread scaling: sgemm 1024 on 1 .. all
// hardware threads, tfx's pool against OpenBLAS and libtorch (torch::mm) set to the same count.
#include <tfx/kernels/gemm.hpp>

#include "ratio.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <random>
#include <vector>

#ifdef TFX_BENCH_HAVE_EIGEN
#include <Eigen/Core>
#endif
#ifdef TFX_BENCH_HAVE_OPENBLAS
#include <cblas.h>
#endif
#ifdef TFX_BENCH_HAVE_TORCH
#include <torch/torch.h>
#endif
#include <string>
#include <thread>

namespace {

std::vector<float> random_floats(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

// GFLOPS as a rate counter: 2mnk floating-point operations per iteration.
void set_gflops(benchmark::State& state, double m, double n, double k) {
    state.counters["GFLOPS"] =
        benchmark::Counter(2.0 * m * n * k * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// One implementation of C (m x n) = A (m x k) * B (k x n), C row-major. A is stored row-major, or
// (ta) as its k x m transpose; B row-major, or (tb) as its n x k transpose.
enum class impl { tfx, openblas, eigen };

template <impl I>
void sgemm(benchmark::State& state, std::size_t m, std::size_t k, std::size_t n, bool ta = false,
           bool tb = false) {
    const auto av = random_floats(m * k, 1), bv = random_floats(k * n, 2);
    std::vector<float> cv(m * n);
    if constexpr (I == impl::tfx) {
        const auto a = ta ? tfx::kernels::matrix_ref<float>{av.data(), 1, std::ptrdiff_t(m)}
                          : tfx::kernels::matrix_ref<float>{av.data(), std::ptrdiff_t(k), 1};
        const auto b = tb ? tfx::kernels::matrix_ref<float>{bv.data(), 1, std::ptrdiff_t(k)}
                          : tfx::kernels::matrix_ref<float>{bv.data(), std::ptrdiff_t(n), 1};
        for (auto _ : state) {
            tfx::kernels::gemm<float>(m, n, k, a, b, cv.data(), n);
            benchmark::DoNotOptimize(cv.data());
            benchmark::ClobberMemory();
        }
    }
#ifdef TFX_BENCH_HAVE_OPENBLAS
    if constexpr (I == impl::openblas) {
        openblas_set_num_threads(1);
        for (auto _ : state) {
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                        int(m), int(n), int(k), 1.0f, av.data(), int(ta ? m : k), bv.data(),
                        int(tb ? k : n), 0.0f, cv.data(), int(n));
            benchmark::DoNotOptimize(cv.data());
            benchmark::ClobberMemory();
        }
    }
#endif
#ifdef TFX_BENCH_HAVE_EIGEN
    if constexpr (I == impl::eigen) {
        using mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        Eigen::setNbThreads(1);
        const auto rows = [](std::size_t r) { return static_cast<Eigen::Index>(r); };
        const mat a = Eigen::Map<const mat>(av.data(), rows(ta ? k : m), rows(ta ? m : k));
        const mat b = Eigen::Map<const mat>(bv.data(), rows(tb ? n : k), rows(tb ? k : n));
        mat c(rows(m), rows(n));
        auto run = [&](const auto& x, const auto& y) {
            for (auto _ : state) {
                c.noalias() = x * y;
                benchmark::DoNotOptimize(c.data());
                benchmark::ClobberMemory();
            }
        };
        if (ta && tb) run(a.transpose(), b.transpose());
        else if (ta) run(a.transpose(), b);
        else if (tb) run(a, b.transpose());
        else run(a, b);
    }
#endif
    set_gflops(state, double(m), double(n), double(k));
}

// Square N x N, and the MLP shapes of BENCHMARKS.md as m, k, n, layout (0: A*B, 1: A^T*B, 2: A*B^T).
template <impl I>
void square(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    sgemm<I>(state, n, n, n);
}
template <impl I>
void mlp(benchmark::State& state) {
    const auto r = [&](int i) { return std::size_t(state.range(i)); };
    sgemm<I>(state, r(0), r(1), r(2), state.range(3) == 1, state.range(3) == 2);
}

void square_sizes(benchmark::internal::Benchmark* b) {
    for (int n : {256, 512, 1024}) b->Arg(n);
}
// Forward x[32,64] * W1[64,128], h[32,128] * W2[128,10], x[256,64] * W[64,512]; backward
// dW1 = x^T * dh, dh = dy * W2^T, dW2 = h^T * dy.
void mlp_sizes(benchmark::internal::Benchmark* b) {
    b->Args({32, 64, 128, 0})->Args({32, 128, 10, 0})->Args({256, 64, 512, 0});
    b->Args({64, 32, 128, 1})->Args({32, 10, 128, 2})->Args({128, 32, 10, 1});
}

BENCHMARK_TEMPLATE(square, impl::tfx)->Name("tfx_sgemm")->Apply(square_sizes);
BENCHMARK_TEMPLATE(mlp, impl::tfx)->Name("tfx_mlp")->Apply(mlp_sizes);
#ifdef TFX_BENCH_HAVE_OPENBLAS
BENCHMARK_TEMPLATE(square, impl::openblas)->Name("openblas_sgemm")->Apply(square_sizes);
BENCHMARK_TEMPLATE(mlp, impl::openblas)->Name("openblas_mlp")->Apply(mlp_sizes);
#endif
#ifdef TFX_BENCH_HAVE_EIGEN
BENCHMARK_TEMPLATE(square, impl::eigen)->Name("eigen_sgemm")->Apply(square_sizes);
BENCHMARK_TEMPLATE(mlp, impl::eigen)->Name("eigen_mlp")->Apply(mlp_sizes);
#endif

// ---------------------------------------------------------------------------------------------
// Small static products, C = A * B with N x N operands. Inputs and outputs escape to memory
// (DoNotOptimize on their addresses), and ClobberMemory makes every iteration reload A and B
// and store C, so no peer can hoist or drop the product.
template <std::size_t N>
void tfx_small(benchmark::State& state) {
    const auto av = random_floats(N * N, 3), bv = random_floats(N * N, 4);
    alignas(64) float a[N * N], b[N * N], c[N * N];
    std::copy(av.begin(), av.end(), a);
    std::copy(bv.begin(), bv.end(), b);
    benchmark::DoNotOptimize(+a);
    benchmark::DoNotOptimize(+b);
    benchmark::DoNotOptimize(+c);
    for (auto _ : state) {
        tfx::kernels::gemm_small<float, N, N, N>(a, b, c);
        benchmark::ClobberMemory();
    }
    set_gflops(state, N, N, N);
}

#ifdef TFX_BENCH_HAVE_EIGEN
template <std::size_t N>
void eigen_fixed(benchmark::State& state) {
    using mat = Eigen::Matrix<float, int(N), int(N)>;
    const auto av = random_floats(N * N, 3), bv = random_floats(N * N, 4);
    mat a = Eigen::Map<const mat>(av.data()), b = Eigen::Map<const mat>(bv.data()), c;
    benchmark::DoNotOptimize(a.data());
    benchmark::DoNotOptimize(b.data());
    benchmark::DoNotOptimize(c.data());
    for (auto _ : state) {
        c.noalias() = a * b;
        benchmark::ClobberMemory();
    }
    set_gflops(state, N, N, N);
}
#endif

#ifdef TFX_BENCH_HAVE_OPENBLAS
template <std::size_t N>
void openblas_small(benchmark::State& state) {
    openblas_set_num_threads(1);
    const auto av = random_floats(N * N, 3), bv = random_floats(N * N, 4);
    alignas(64) float a[N * N], b[N * N], c[N * N];
    std::copy(av.begin(), av.end(), a);
    std::copy(bv.begin(), bv.end(), b);
    benchmark::DoNotOptimize(+a);
    benchmark::DoNotOptimize(+b);
    benchmark::DoNotOptimize(+c);
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(N), int(N), int(N), 1.0f, a, int(N), b,
                    int(N), 0.0f, c, int(N));
        benchmark::ClobberMemory();
    }
    set_gflops(state, N, N, N);
}
#endif

BENCHMARK_TEMPLATE(tfx_small, 4)->Name("tfx_small/4");
BENCHMARK_TEMPLATE(tfx_small, 8)->Name("tfx_small/8");
BENCHMARK_TEMPLATE(tfx_small, 16)->Name("tfx_small/16");
#ifdef TFX_BENCH_HAVE_EIGEN
BENCHMARK_TEMPLATE(eigen_fixed, 4)->Name("eigen_fixed/4");
BENCHMARK_TEMPLATE(eigen_fixed, 8)->Name("eigen_fixed/8");
BENCHMARK_TEMPLATE(eigen_fixed, 16)->Name("eigen_fixed/16");
#endif
#ifdef TFX_BENCH_HAVE_OPENBLAS
BENCHMARK_TEMPLATE(openblas_small, 4)->Name("openblas_small/4");
BENCHMARK_TEMPLATE(openblas_small, 8)->Name("openblas_small/8");
BENCHMARK_TEMPLATE(openblas_small, 16)->Name("openblas_small/16");
#endif

// ---------------------------------------------------------------------------------------------
// Thread scaling: sgemm n x n x n with `threads` threads on each side (real time). Every side is set
// back to one thread afterwards.
enum class scaling_impl { tfx, openblas, torch };

template <scaling_impl I>
void sgemm_threads(benchmark::State& state, std::size_t n, int threads) {
    const auto av = random_floats(n * n, 5), bv = random_floats(n * n, 6);
    std::vector<float> cv(n * n);
    if constexpr (I == scaling_impl::tfx) {
        tfx::set_num_threads(threads);
        const tfx::kernels::matrix_ref<float> a{av.data(), std::ptrdiff_t(n), 1}, b{bv.data(), std::ptrdiff_t(n), 1};
        for (auto _ : state) {
            tfx::kernels::gemm<float>(n, n, n, a, b, cv.data(), n);
            benchmark::DoNotOptimize(cv.data());
            benchmark::ClobberMemory();
        }
        tfx::set_num_threads(1);
    }
#ifdef TFX_BENCH_HAVE_OPENBLAS
    if constexpr (I == scaling_impl::openblas) {
        openblas_set_num_threads(threads);
        for (auto _ : state) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(n), int(n), int(n), 1.0f, av.data(), int(n),
                        bv.data(), int(n), 0.0f, cv.data(), int(n));
            benchmark::DoNotOptimize(cv.data());
            benchmark::ClobberMemory();
        }
        openblas_set_num_threads(1);
    }
#endif
#ifdef TFX_BENCH_HAVE_TORCH
    if constexpr (I == scaling_impl::torch) {
        torch::set_num_threads(threads);
#ifdef TFX_BENCH_HAVE_OPENBLAS
        openblas_set_num_threads(threads);  // libtorch's BLAS on Debian
#endif
        const auto size = std::int64_t(n);
        const torch::Tensor a = torch::from_blob(const_cast<float*>(av.data()), {size, size}).clone();
        const torch::Tensor b = torch::from_blob(const_cast<float*>(bv.data()), {size, size}).clone();
        torch::Tensor c = torch::empty({size, size});
        for (auto _ : state) {
            torch::mm_out(c, a, b);
            benchmark::DoNotOptimize(c.data_ptr<float>());
            benchmark::ClobberMemory();
        }
        torch::set_num_threads(1);
#ifdef TFX_BENCH_HAVE_OPENBLAS
        openblas_set_num_threads(1);
#endif
    }
#endif
    set_gflops(state, double(n), double(n), double(n));
}

constexpr std::size_t scaling_n = 1024;

void register_scaling() {
    const int hw = std::max(1, int(std::thread::hardware_concurrency()));
    auto reg = [](const char* side, auto fn, int t) {
        benchmark::RegisterBenchmark((std::string(side) + "_sgemm_threads/1024/threads:" + std::to_string(t)).c_str(),
                                     [fn, t](benchmark::State& s) { fn(s, scaling_n, t); })
            ->UseRealTime();
    };
    for (int t = 1; t <= hw; ++t) {
        reg("tfx", sgemm_threads<scaling_impl::tfx>, t);
#ifdef TFX_BENCH_HAVE_OPENBLAS
        reg("openblas", sgemm_threads<scaling_impl::openblas>, t);
#endif
#ifdef TFX_BENCH_HAVE_TORCH
        reg("torch", sgemm_threads<scaling_impl::torch>, t);
#endif
        const std::string n = "_sgemm_threads/1024/threads:" + std::to_string(t), ts = std::to_string(t);
        tfx_bench::show("sgemm 1024, " + ts + " threads vs OpenBLAS", "tfx" + n, "openblas" + n, tfx_bench::higher_is_better);
        tfx_bench::show("sgemm 1024, " + ts + " threads vs libtorch", "tfx" + n, "torch" + n, tfx_bench::higher_is_better);
        if (t > 1)
            tfx_bench::show("sgemm 1024, " + ts + " threads vs 1: tfx", "tfx" + n, "tfx_sgemm_threads/1024/threads:1",
                            tfx_bench::higher_is_better);
    }
}

// Targets from BENCHMARKS.md; the rest is printed for information.
using tfx_bench::compare;
using tfx_bench::higher_is_better;
using tfx_bench::show;
[[maybe_unused]] const int pairs[] = {
    compare("sgemm 256 vs OpenBLAS", "tfx_sgemm/256", "openblas_sgemm/256", 0.9, higher_is_better),
    compare("sgemm 512 vs OpenBLAS", "tfx_sgemm/512", "openblas_sgemm/512", 0.9, higher_is_better),
    compare("sgemm 1024 vs OpenBLAS", "tfx_sgemm/1024", "openblas_sgemm/1024", 0.9, higher_is_better),
    show("sgemm 256 vs Eigen", "tfx_sgemm/256", "eigen_sgemm/256", higher_is_better),
    show("sgemm 512 vs Eigen", "tfx_sgemm/512", "eigen_sgemm/512", higher_is_better),
    show("sgemm 1024 vs Eigen", "tfx_sgemm/1024", "eigen_sgemm/1024", higher_is_better),
    show("MLP x[32,64] * W1[64,128] vs OpenBLAS", "tfx_mlp/32/64/128/0", "openblas_mlp/32/64/128/0", higher_is_better),
    show("MLP x[32,64] * W1[64,128] vs Eigen", "tfx_mlp/32/64/128/0", "eigen_mlp/32/64/128/0", higher_is_better),
    show("MLP h[32,128] * W2[128,10] vs OpenBLAS", "tfx_mlp/32/128/10/0", "openblas_mlp/32/128/10/0", higher_is_better),
    show("MLP h[32,128] * W2[128,10] vs Eigen", "tfx_mlp/32/128/10/0", "eigen_mlp/32/128/10/0", higher_is_better),
    show("MLP x[256,64] * W[64,512] vs OpenBLAS", "tfx_mlp/256/64/512/0", "openblas_mlp/256/64/512/0", higher_is_better),
    show("MLP x[256,64] * W[64,512] vs Eigen", "tfx_mlp/256/64/512/0", "eigen_mlp/256/64/512/0", higher_is_better),
    show("MLP dW1 = x^T * dh vs OpenBLAS", "tfx_mlp/64/32/128/1", "openblas_mlp/64/32/128/1", higher_is_better),
    show("MLP dW1 = x^T * dh vs Eigen", "tfx_mlp/64/32/128/1", "eigen_mlp/64/32/128/1", higher_is_better),
    show("MLP dh = dy * W2^T vs OpenBLAS", "tfx_mlp/32/10/128/2", "openblas_mlp/32/10/128/2", higher_is_better),
    show("MLP dh = dy * W2^T vs Eigen", "tfx_mlp/32/10/128/2", "eigen_mlp/32/10/128/2", higher_is_better),
    show("MLP dW2 = h^T * dy vs OpenBLAS", "tfx_mlp/128/32/10/1", "openblas_mlp/128/32/10/1", higher_is_better),
    show("MLP dW2 = h^T * dy vs Eigen", "tfx_mlp/128/32/10/1", "eigen_mlp/128/32/10/1", higher_is_better),
    show("small static 4 vs Eigen fixed", "tfx_small/4", "eigen_fixed/4", higher_is_better),
    compare("small static 8 vs Eigen fixed", "tfx_small/8", "eigen_fixed/8", 2.0, higher_is_better),
    show("small static 16 vs Eigen fixed", "tfx_small/16", "eigen_fixed/16", higher_is_better),
    show("small static 8 vs OpenBLAS", "tfx_small/8", "openblas_small/8", higher_is_better),
    compare("small static 16 vs OpenBLAS", "tfx_small/16", "openblas_small/16", 1.0, higher_is_better),
};

}  // namespace

int main(int argc, char** argv) {
    tfx::set_num_threads(1);  // BENCHMARKS.md's figures are single-thread; the scaling cases set their own
    register_scaling();
    return tfx_bench::run_and_report(argc, argv);
}
