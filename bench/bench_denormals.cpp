// Denormals and tfx::flush_denormals (docs/numerics.md): a fused elementwise kernel
// (y = x * 0.5f + z, 16384 floats) and a GEMM (tfx::matmul 128x128 floats), each evaluated into a
// preallocated tensor, on normal inputs and on inputs full of denormals, without and with the
// guard (FTZ + DAZ). Metric: CPU nanoseconds per output element ("ns_per_elem"). Also for
// information: what entering and leaving the guard costs, and check_numerics' scan against a copy
// of the same data.
//
// Inputs. Normal: uniform in [0.5, 1) (elementwise) and [-1, 1) (GEMM). Denormal: the elementwise
// x and z uniform in [1e-39, 7e-39), so the product, the sum and the result are all denormal; the
// GEMM's A uniform in ±[1e-42, 1e-41) and B normal, so every product and every partial sum of 128
// of them is denormal. Under the guard DAZ reads the denormals as 0 (the results are then 0).
//
// On a shared machine run with --benchmark_repetitions=N --benchmark_report_aggregates_only=true:
// the table at the end compares medians.
#include <tfx/tfx.hpp>

#include "ratio.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

namespace {

using vec = tfx::tensor<float, tfx::dyn>;
using mat = tfx::tensor<float, tfx::dyn, tfx::dyn>;

enum class input { normal, denormal };
enum class env { ieee, flushed };

constexpr std::size_t elementwise_n = 16384;
constexpr std::size_t gemm_n = 128;

// Uniform in [lo, hi), with a random sign when signed_ is set. Made before any guard exists, so
// denormals are stored as they are.
template <class Tn>
void fill(Tn& t, float lo, float hi, bool signed_, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> mag(lo, hi);
    std::bernoulli_distribution sign(0.5);
    for (auto& v : t) v = signed_ && sign(gen) ? -mag(gen) : mag(gen);
}

// ns per output element: a rate of n * 1e-9 per iteration, inverted.
void set_ns_per_element(benchmark::State& state, std::size_t n) {
    state.counters["ns_per_elem"] = benchmark::Counter(double(n) * 1e-9, benchmark::Counter::kIsIterationInvariantRate |
                                                                             benchmark::Counter::kInvert);
}

bool all_denormal_or_zero(const float* p, std::size_t n) {
    return std::all_of(p, p + n, [](float v) { return v == 0 || std::fpclassify(v) == FP_SUBNORMAL; });
}

// That the arithmetic measured is what the case says: from denormal inputs the IEEE results are
// denormal (not all 0), the flushed ones all 0.
void check_results(benchmark::State& state, env e, const float* p, std::size_t n) {
    const bool all_zero = std::all_of(p, p + n, [](float v) { return v == 0; });
    if (e == env::ieee && (all_zero || !all_denormal_or_zero(p, n))) state.SkipWithError("IEEE results are not denormal");
    if (e == env::flushed && !all_zero) state.SkipWithError("flushed results are not 0");
}

// ---------------------------------------------------------------------------------------------
// y = x * 0.5f + z, one fused SIMD loop.
struct elementwise_operands {
    vec x, z, y;
    explicit elementwise_operands(input in) : x(elementwise_n), z(elementwise_n), y(elementwise_n) {
        if (in == input::normal) {
            fill(x, 0.5f, 1.0f, false, 1);
            fill(z, 0.5f, 1.0f, false, 2);
        } else {
            fill(x, 1e-39f, 7e-39f, false, 1);
            fill(z, 1e-39f, 7e-39f, false, 2);
        }
    }
};
elementwise_operands& elementwise_data(input in) {
    static elementwise_operands normal(input::normal), denormal(input::denormal);
    return in == input::normal ? normal : denormal;
}

// One case: the inputs checked to be denormal when they should be, `step` timed under the chosen
// environment, the output checked (denormal under IEEE, 0 when flushed), ns per output element.
template <input In, env Env, class Out, class Step>
void time_case(benchmark::State& state, const float* probe, std::size_t probe_n, const Out& out, Step step) {
    if (In == input::denormal && !all_denormal_or_zero(probe, probe_n)) state.SkipWithError("inputs are not denormal");
    auto run = [&] {
        for (auto _ : state) {
            step();
            benchmark::DoNotOptimize(out.data());
            benchmark::ClobberMemory();
        }
    };
    if constexpr (Env == env::flushed) {
        tfx::flush_denormals guard;
        run();
    } else {
        run();
    }
    if (In == input::denormal) check_results(state, Env, out.data(), out.size());
    set_ns_per_element(state, out.size());
}

template <input In, env Env>
void elementwise_case(benchmark::State& state) {
    auto& [x, z, y] = elementwise_data(In);
    time_case<In, Env>(state, x.data(), x.size(), y, [&] { y = x * 0.5f + z; });
}

// ---------------------------------------------------------------------------------------------
// c = matmul(a, b), 128 x 128 x 128.
struct gemm_operands {
    mat a, b, c;
    explicit gemm_operands(input in) : a(gemm_n, gemm_n), b(gemm_n, gemm_n), c(gemm_n, gemm_n) {
        if (in == input::normal) {
            fill(a, 0.0f, 1.0f, true, 3);
            fill(b, 0.0f, 1.0f, true, 4);
        } else {
            fill(a, 1e-42f, 1e-41f, true, 3);
            fill(b, 0.5f, 1.0f, true, 4);
        }
    }
};
gemm_operands& gemm_data(input in) {
    static gemm_operands normal(input::normal), denormal(input::denormal);
    return in == input::normal ? normal : denormal;
}

template <input In, env Env>
void gemm_case(benchmark::State& state) {
    auto& [a, b, c] = gemm_data(In);
    time_case<In, Env>(state, a.data(), a.size(), c, [&] { c = tfx::matmul(a, b); });
}

BENCHMARK_TEMPLATE(elementwise_case, input::normal, env::ieee)->Name("fma16k/normal/ieee");
BENCHMARK_TEMPLATE(elementwise_case, input::denormal, env::ieee)->Name("fma16k/denormal/ieee");
BENCHMARK_TEMPLATE(elementwise_case, input::normal, env::flushed)->Name("fma16k/normal/flushed");
BENCHMARK_TEMPLATE(elementwise_case, input::denormal, env::flushed)->Name("fma16k/denormal/flushed");
BENCHMARK_TEMPLATE(gemm_case, input::normal, env::ieee)->Name("gemm128/normal/ieee");
BENCHMARK_TEMPLATE(gemm_case, input::denormal, env::ieee)->Name("gemm128/denormal/ieee");
BENCHMARK_TEMPLATE(gemm_case, input::normal, env::flushed)->Name("gemm128/normal/flushed");
BENCHMARK_TEMPLATE(gemm_case, input::denormal, env::flushed)->Name("gemm128/denormal/flushed");

// ---------------------------------------------------------------------------------------------
// For information: entering and leaving the guard (two MXCSR reads and writes), the per-call cost
// of wrapping fit/train_on_batch in it.
void guard_case(benchmark::State& state) {
    for (auto _ : state) {
        tfx::flush_denormals guard;
        benchmark::ClobberMemory();
    }
}
BENCHMARK(guard_case)->Name("guard_enter_exit");

// check_numerics' scan (all finite: the common case) against copying the same floats.
template <bool Check>
void scan_case(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    vec x(n), y(n);
    fill(x, -1.0f, 1.0f, false, 5);
    for (auto _ : state) {
        if constexpr (Check) {
            benchmark::DoNotOptimize(&tfx::check_numerics(x, "x"));
        } else {
            std::copy(x.begin(), x.end(), y.begin());
            benchmark::DoNotOptimize(y.data());
        }
        benchmark::ClobberMemory();
    }
    set_ns_per_element(state, n);
}
BENCHMARK_TEMPLATE(scan_case, true)->Name("check_numerics")->Arg(16384)->Arg(1 << 22);
BENCHMARK_TEMPLATE(scan_case, false)->Name("copy")->Arg(16384)->Arg(1 << 22);

using tfx_bench::lower_is_better;
using tfx_bench::show;
const std::string ns = "ns_per_elem";
[[maybe_unused]] const int pairs[] = {
    show("fma16k IEEE: denormal / normal inputs", "fma16k/denormal/ieee", "fma16k/normal/ieee", lower_is_better, ns),
    show("fma16k flushed: denormal / normal inputs", "fma16k/denormal/flushed", "fma16k/normal/flushed", lower_is_better, ns),
    show("fma16k denormal inputs: flushed / IEEE", "fma16k/denormal/flushed", "fma16k/denormal/ieee", lower_is_better, ns),
    show("fma16k normal inputs: flushed / IEEE", "fma16k/normal/flushed", "fma16k/normal/ieee", lower_is_better, ns),
    show("gemm128 IEEE: denormal / normal inputs", "gemm128/denormal/ieee", "gemm128/normal/ieee", lower_is_better, ns),
    show("gemm128 flushed: denormal / normal inputs", "gemm128/denormal/flushed", "gemm128/normal/flushed", lower_is_better, ns),
    show("gemm128 denormal inputs: flushed / IEEE", "gemm128/denormal/flushed", "gemm128/denormal/ieee", lower_is_better, ns),
    show("gemm128 normal inputs: flushed / IEEE", "gemm128/normal/flushed", "gemm128/normal/ieee", lower_is_better, ns),
    show("check_numerics / copy, 16K floats", "check_numerics/16384", "copy/16384", lower_is_better, ns),
    show("check_numerics / copy, 4M floats", "check_numerics/4194304", "copy/4194304", lower_is_better, ns),
};

}  // namespace

int main(int argc, char** argv) {
    tfx::set_num_threads(1);  // BENCHMARKS.md's figures are single-thread
    return tfx_bench::run_and_report(argc, argv);
}
