// tfx::data throughput: from_tensor_slices(x, y) -> shuffle -> batch(32) -> prefetch(2), one
// epoch per iteration, against a hand-written loop over the same arrays (a Fisher-Yates
// permutation drawn with the same generator, then each batch gathered row by row into reused
// batch buffers): what a C++ programmer would write without a data API.
//
// Data, float32 features and int32 labels, values drawn with a fixed seed:
//   digits  1797 x 64 (the size of the digits data set, 460 KB: fits in L2)
//   large   409600 x 64 (105 MB of features: far beyond the caches)
// Pipelines:
//   tfx_full        shuffle buffer = the whole data set (a uniform shuffle, as the hand loop's), prefetch(2)
//   tfx_noprefetch  the same without prefetch
//   tfx_window      shuffle(16384) on the large data, the buffer size a tf.data user would pick; not
//                   the same shuffle as the hand loop's (each output comes from a window of the next
//                   16384 rows), shown for what it costs; tfx_window_noprefetch without prefetch
// Consumer (second argument): 0, nothing is done with a batch (the pipeline alone); 1, a 64 -> 256
// dense layer with relu on it, the kind of work a training step does.
// Metric: items_per_second (rows delivered in batches, wall clock). Also: allocs_per_batch, the
// calls to operator new and posix_memalign (tensor storage) during the timed epochs divided by the
// batches; cpu_ms_per_epoch, the CPU time of the whole process (both threads with prefetch) per
// epoch, which says what prefetching costs whatever share of the cores the machine gives us. With
// prefetch and a consumer that does nothing, every batch is a hand-over between threads that waits
// for the producer: the worst case for prefetch, whose purpose is to overlap making the next batch
// with using this one (consumer 1).
//
// Ratios are printed for information (tfx_bench::show): there is no external target for an input
// pipeline, and the hand loop, which copies each row once, is an upper bound; the pipeline copies a
// row twice (into the shuffle buffer, from there into the batch) and keeps TF's shuffle-buffer
// algorithm (a buffer the size of the data is filled, then drained at random).
//
//   bench_data --benchmark_repetitions=3 --benchmark_enable_random_interleaving=true
#include <tfx/data/data.hpp>
#include <tfx/tfx.hpp>

#include "ratio.hpp"

#include <benchmark/benchmark.h>

#include <time.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstddef>
#include <cstring>
#include <new>
#include <numeric>
#include <vector>

// ---- allocation counting (this executable only): every operator new, and posix_memalign, which
// xsimd's aligned allocator (tensor storage) calls. They count, atomically, and allocate as the
// default ones do.
namespace {
std::atomic<long> g_allocs{0};
void* counted_alloc(std::size_t n, std::size_t align) {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    if (n == 0) n = 1;
    if (align <= alignof(std::max_align_t)) return std::malloc(n);
    return std::aligned_alloc(align, (n + align - 1) / align * align);
}
void* counted_or_throw(std::size_t n, std::size_t align) {
    if (void* p = counted_alloc(n, align)) return p;
    throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return counted_or_throw(n, 0); }
void* operator new[](std::size_t n) { return counted_or_throw(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_or_throw(n, std::size_t(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_or_throw(n, std::size_t(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
extern "C" int posix_memalign(void** out, std::size_t align, std::size_t n) {
    if (align < sizeof(void*) || (align & (align - 1)) != 0) return EINVAL;
    void* p = counted_alloc(n, align < alignof(std::max_align_t) ? alignof(std::max_align_t) : align);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

namespace {

using tfx::dyn;
using tfx::tensor;
namespace data = tfx::data;

constexpr std::size_t features = 64, batch_size = 32;

struct arrays {
    tensor<float, dyn, 64> x;
    tensor<std::int32_t, dyn> y;
};

const arrays& dataset_arrays(std::size_t rows) {
    static arrays digits, large;
    arrays& a = rows == 1797 ? digits : large;
    if (a.y.size() != rows) {
        tfx::random::generator gen(7);
        a.x = tfx::random::uniform<float, dyn, 64>(gen, 0.0, 16.0, rows);
        a.y = tensor<std::int32_t, dyn>(rows);
        for (auto& v : a.y) v = std::int32_t(gen.below(10));
    }
    return a;
}

std::size_t rows_of(const benchmark::State& state) { return state.range(0) == 0 ? 1797 : 409600; }

// CPU time of the whole process (all threads), in seconds.
double process_cpu() {
    timespec t{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// What the consumer does with a batch: nothing (range(1) == 0: the pipeline alone), or a
// 64 -> 256 dense layer with relu (range(1) == 1: 0.5 MFLOP a batch of 32, the kind of work a
// training step does, which prefetch can overlap with making the next batch).
struct consumer {
    bool work;
    tensor<float, 64, 256> w;
    tensor<float, 256> b;
    tensor<float, dyn, 256> h;
    explicit consumer(const benchmark::State& state) : work(state.range(1) != 0) {
        tfx::random::generator gen(3);
        w = tfx::random::normal<float, 64, 256>(gen, 0.0, 0.1);
    }
    template <class X, class Y>
    void operator()(const X& x, const Y& y) {
        if (work) {
            h = tfx::relu(tfx::matmul(x, w) + b);
            benchmark::DoNotOptimize(h.data());
        }
        benchmark::DoNotOptimize(x.data());
        benchmark::DoNotOptimize(y.data());
    }
};

template <class D>
void run_epochs(benchmark::State& state, const D& ds, std::size_t rows) {
    consumer use(state);
    std::size_t batches = 0;
    long allocs = 0;
    const double cpu0 = process_cpu();
    for (auto _ : state) {
        const long a0 = g_allocs.load();
        for (auto& [x, y] : ds) {
            use(x, y);
            ++batches;
        }
        allocs += g_allocs.load() - a0;
    }
    state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(rows));
    state.counters["allocs_per_batch"] = double(allocs) / double(batches);
    state.counters["cpu_ms_per_epoch"] = 1e3 * (process_cpu() - cpu0) / double(state.iterations());
}

void tfx_full(benchmark::State& state) {
    const std::size_t rows = rows_of(state);
    const auto& a = dataset_arrays(rows);
    auto ds = data::from_tensor_slices(a.x, a.y).shuffle(std::int64_t(rows), 42).batch(batch_size).prefetch(2);
    run_epochs(state, ds, rows);
}

void tfx_noprefetch(benchmark::State& state) {
    const std::size_t rows = rows_of(state);
    const auto& a = dataset_arrays(rows);
    auto ds = data::from_tensor_slices(a.x, a.y).shuffle(std::int64_t(rows), 42).batch(batch_size);
    run_epochs(state, ds, rows);
}

void tfx_window(benchmark::State& state) {
    const std::size_t rows = rows_of(state);
    const auto& a = dataset_arrays(rows);
    auto ds = data::from_tensor_slices(a.x, a.y).shuffle(16384, 42).batch(batch_size).prefetch(2);
    run_epochs(state, ds, rows);
}

void tfx_window_noprefetch(benchmark::State& state) {
    const std::size_t rows = rows_of(state);
    const auto& a = dataset_arrays(rows);
    auto ds = data::from_tensor_slices(a.x, a.y).shuffle(16384, 42).batch(batch_size);
    run_epochs(state, ds, rows);
}

void hand_loop(benchmark::State& state) {
    const std::size_t rows = rows_of(state);
    const auto& a = dataset_arrays(rows);
    consumer use(state);
    tfx::random::generator gen(42);
    std::vector<std::uint32_t> perm(rows);
    tensor<float, dyn, 64> xb(batch_size), xlast;
    tensor<std::int32_t, dyn> yb(batch_size), ylast;
    std::size_t batches = 0;
    long allocs = 0;
    const double cpu0 = process_cpu();
    for (auto _ : state) {
        const long a0 = g_allocs.load();
        std::iota(perm.begin(), perm.end(), 0u);
        for (std::size_t i = rows; i > 1; --i) std::swap(perm[i - 1], perm[gen.below(i)]);
        for (std::size_t b = 0; b < rows; b += batch_size) {
            const std::size_t n = std::min(batch_size, rows - b);
            auto& x = n == batch_size ? xb : xlast;
            auto& y = n == batch_size ? yb : ylast;
            if (n != batch_size) {
                x.resize({n, features});
                y.resize({n});
            }
            for (std::size_t k = 0; k < n; ++k) {
                const std::size_t r = perm[b + k];
                std::memcpy(x.data() + k * features, a.x.data() + r * features, features * sizeof(float));
                y(k) = a.y(r);
            }
            use(x, y);
            ++batches;
        }
        allocs += g_allocs.load() - a0;
    }
    state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(rows));
    state.counters["allocs_per_batch"] = double(allocs) / double(batches);
    state.counters["cpu_ms_per_epoch"] = 1e3 * (process_cpu() - cpu0) / double(state.iterations());
}

// Arguments: data (0 digits, 1 large), consumer work (0 none, 1 dense layer).
BENCHMARK(tfx_full)->Args({0, 0})->Args({1, 0})->Args({0, 1})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(tfx_noprefetch)->Args({0, 0})->Args({1, 0})->Args({0, 1})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(tfx_window)->Args({1, 0})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(tfx_window_noprefetch)->Args({1, 0})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(hand_loop)->Args({0, 0})->Args({1, 0})->Args({0, 1})->UseRealTime()->Unit(benchmark::kMillisecond);

const int pairs = [] {
    using tfx_bench::higher_is_better;
    const char* m = "items_per_second";
    tfx_bench::show("digits: shuffle(all) batch(32) prefetch(2) vs hand loop", "tfx_full/0/0", "hand_loop/0/0",
                    higher_is_better, m);
    tfx_bench::show("digits: shuffle(all) batch(32) vs hand loop", "tfx_noprefetch/0/0", "hand_loop/0/0",
                    higher_is_better, m);
    tfx_bench::show("digits + dense layer: with prefetch(2) vs hand loop", "tfx_full/0/1", "hand_loop/0/1",
                    higher_is_better, m);
    tfx_bench::show("digits + dense layer: without prefetch vs hand loop", "tfx_noprefetch/0/1", "hand_loop/0/1",
                    higher_is_better, m);
    tfx_bench::show("105 MB: shuffle(all) batch(32) prefetch(2) vs hand loop", "tfx_full/1/0", "hand_loop/1/0",
                    higher_is_better, m);
    tfx_bench::show("105 MB: shuffle(all) batch(32) vs hand loop", "tfx_noprefetch/1/0", "hand_loop/1/0",
                    higher_is_better, m);
    tfx_bench::show("105 MB: shuffle(16384) batch(32) prefetch(2) vs hand loop", "tfx_window/1/0", "hand_loop/1/0",
                    higher_is_better, m);
    tfx_bench::show("105 MB: shuffle(16384) batch(32) vs hand loop", "tfx_window_noprefetch/1/0", "hand_loop/1/0",
                    higher_is_better, m);
    return 8;
}();

}  // namespace

int main(int argc, char** argv) {
    tfx::set_num_threads(1);  // BENCHMARKS.md's figures are single-thread
    return tfx_bench::run_and_report(argc, argv);
}
