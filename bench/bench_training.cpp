// Training steps of tfx's Keras-style models against libtorch measured in the same run: the
// training-step rows of ../shared/BENCHMARKS.md and the heap allocations of a step.
//
// Cases, all float32, single thread (tfx::set_num_threads(1)) except the scaling case:
//   digits  batch 32, 64 -> 128 (relu) -> 10, Adam (lr 1e-3), sparse softmax cross entropy from logits
//   tiny    batch 8,  64 -> 32 (relu) -> 10, same loss and optimizer
//   predict the digits MLP's inference on batch 32 (libtorch: forward under NoGradGuard)
//   cnn     the demo's CNN (examples/digits.cpp) at batch 32: conv 3x3x16 same relu, max pool 2,
//           conv 3x3x32 same relu, max pool 2, flatten, dense 64 relu, dense 10; Adam (lr 2e-3)
//   wide    thread scaling: batch 512, 64 -> 512 (relu) -> 10, Adam, on 1 .. all hardware threads,
//           both sides set to the same count (tfx's pool; libtorch's threads and OpenBLAS's)
// tfx: models::sequential, compile, train_on_batch(x, y, logs) into logs kept across steps, predict.
// libtorch: torch::nn::Linear / Conv2d / MaxPool2d modules, torch::optim::Adam, F::cross_entropy,
// zero_grad / backward / step, the loss read with item() (tfx's step reads it too, for its logs and
// NaN check). Both Adams use epsilon 1e-7 (Keras's default). libtorch runs on one thread:
// at::set_num_threads(1) and, since its BLAS is OpenBLAS, openblas_set_num_threads(1).
//
// The libtorch net of each case starts from the tfx model's initial weights (tfx draws them from a
// fixed seed), and before timing the two are checked to agree: the loss and first-layer gradient of
// the first step and the losses of the next two steps. A case that disagrees is reported as an
// error (its pairs as skipped), never timed.
//
// Data: random inputs; the labels cycle through 4 random draws for the same inputs, so that no
// model can drive the loss to zero over the many thousands of steps a run takes on one batch (a
// saturated softmax gives subnormal gradients, which slow both sides and no real training sees).
//
// Heap allocations: this file interposes malloc, calloc, realloc, posix_memalign, aligned_alloc and
// memalign (forwarding to glibc's __libc_* entry points) and counts calls while a flag is set. The
// *_allocs_* cases run 20 warm-up calls, then count over 100 steady-state calls: counters
// allocs_per_step (per call, for predict) and bytes_per_step; the table compares them (target for
// tfx: 0) and a summary is printed after the run.
//
// The targets of BENCHMARKS.md are absolute (30 us, 3 us per step), set when libtorch measured 160
// and 136 us: the table states them as ratios to libtorch in this run (30/160, 3/136), and its tfx
// column gives tfx's absolute time. Run with repetitions (medians), e.g.
//   bench_training --benchmark_repetitions=3
#include <tfx/nn.hpp>

#include "ratio.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#ifdef TFX_BENCH_HAVE_TORCH
#include <torch/torch.h>
#endif
#ifdef TFX_BENCH_HAVE_OPENBLAS
#include <cblas.h>
#endif

// ---------------------------------------------------------------------------------------------
// Allocation counting: every allocation entry point of the process comes through here (the
// executable's definitions interpose glibc's for every shared library too, libtorch included).
namespace alloc_count {
constinit std::atomic<bool> on{false};
constinit std::atomic<long long> calls{0}, bytes{0};

inline void note(std::size_t n) noexcept {
    if (on.load(std::memory_order_relaxed)) {
        calls.fetch_add(1, std::memory_order_relaxed);
        bytes.fetch_add(static_cast<long long>(n), std::memory_order_relaxed);
    }
}
struct totals {
    long long calls, bytes;
};
inline void start() noexcept {
    calls.store(0, std::memory_order_relaxed);
    bytes.store(0, std::memory_order_relaxed);
    on.store(true, std::memory_order_relaxed);
}
inline totals stop() noexcept {
    on.store(false, std::memory_order_relaxed);
    return {calls.load(std::memory_order_relaxed), bytes.load(std::memory_order_relaxed)};
}
}  // namespace alloc_count

extern "C" {
void* __libc_malloc(std::size_t) noexcept;
void* __libc_calloc(std::size_t, std::size_t) noexcept;
void* __libc_realloc(void*, std::size_t) noexcept;
void __libc_free(void*) noexcept;
void* __libc_memalign(std::size_t, std::size_t) noexcept;

void* malloc(std::size_t n) noexcept {
    alloc_count::note(n);
    return __libc_malloc(n);
}
void* calloc(std::size_t count, std::size_t n) noexcept {
    alloc_count::note(count * n);
    return __libc_calloc(count, n);
}
void* realloc(void* p, std::size_t n) noexcept {
    alloc_count::note(n);
    return __libc_realloc(p, n);
}
void free(void* p) noexcept { __libc_free(p); }
void* memalign(std::size_t align, std::size_t n) noexcept {
    alloc_count::note(n);
    return __libc_memalign(align, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) noexcept {
    alloc_count::note(n);
    return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) noexcept {
    if (align % sizeof(void*) != 0 || (align & (align - 1)) != 0) return EINVAL;
    alloc_count::note(n);
    void* p = __libc_memalign(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
}

namespace {

using tfx::dyn;
using tfx::index_t;

constexpr int warmup_calls = 20;
constexpr int counted_calls = 100;
constexpr std::size_t label_draws = 4;

// ---------------------------------------------------------------------------------------------
// Data: x [batch, E...] normal(0, 1); label_draws vectors of labels in [0, 10).
template <index_t... E>
struct batches {
    tfx::tensor<float, dyn, E...> x;
    std::array<tfx::tensor<std::int64_t, dyn>, label_draws> y;
    explicit batches(std::size_t batch) {
        tfx::random::generator gen{42};
        x = tfx::random::normal<float, dyn, E...>(gen, 0.0, 1.0, batch);
        for (auto& yk : y) {
            yk = tfx::tensor<std::int64_t, dyn>(batch);
            for (auto& v : yk) v = std::int64_t(gen.below(10));
        }
    }
};

// The models, as in the demo.
template <index_t H>
auto tfx_mlp_model() {
    using namespace tfx;
    return models::sequential(layers::input<64>, layers::dense<H>(activations::relu), layers::dense<10>());
}
auto tfx_cnn_model() {
    using namespace tfx;
    return models::sequential(layers::input<8, 8, 1>,
                              layers::conv2d<16, 3, 3, padding::same>(activations::relu),
                              layers::max_pool2d<2>(),
                              layers::conv2d<32, 3, 3, padding::same>(activations::relu),
                              layers::max_pool2d<2>(),
                              layers::flatten(),
                              layers::dense<64>(activations::relu),
                              layers::dense<10>());
}
constexpr double cnn_learning_rate = 2e-3, mlp_learning_rate = 1e-3;

// A tfx case: the model compiled with Adam and the loss; step() is one train_on_batch into logs
// kept across steps, predict() one inference call.
template <class Model, index_t... E>
class tfx_case {
   public:
    tfx_case(Model model, std::size_t batch, double learning_rate) : m_(std::move(model)), d_(batch) {
        m_.compile(tfx::optimizers::adam{.learning_rate = learning_rate},
                   tfx::losses::sparse_categorical_crossentropy{.from_logits = true});
    }
    void step() { m_.train_on_batch(d_.x, d_.y[next_++ % label_draws], logs_); }
    const float* predict() { return m_.predict(d_.x).data(); }
    double loss() const { return logs_.at("loss"); }
    const char* check() { return nullptr; }
    Model& model() { return m_; }
    const batches<E...>& data() const { return d_; }

   private:
    Model m_;
    batches<E...> d_;
    tfx::logs logs_;
    std::size_t next_ = 0;
};
template <index_t H>
using tfx_mlp = tfx_case<decltype(tfx_mlp_model<H>()), 64>;
using tfx_cnn = tfx_case<decltype(tfx_cnn_model()), 8, 8, 1>;

template <index_t H>
struct tfx_mlp_case : tfx_mlp<H> {
    explicit tfx_mlp_case(std::size_t batch) : tfx_mlp<H>(tfx_mlp_model<H>(), batch, mlp_learning_rate) {}
};
struct tfx_cnn_case : tfx_cnn {
    explicit tfx_cnn_case(std::size_t batch) : tfx_cnn(tfx_cnn_model(), batch, cnn_learning_rate) {}
};

// ---------------------------------------------------------------------------------------------
// libtorch.
#ifdef TFX_BENCH_HAVE_TORCH

void torch_single_thread() {
    torch::set_num_threads(1);
#ifdef TFX_BENCH_HAVE_OPENBLAS
    openblas_set_num_threads(1);
#endif
}
#ifndef TFX_BENCH_HAVE_OPENBLAS
[[maybe_unused]] const int blas_note = [] {
    std::printf("bench_training: OpenBLAS headers not found: libtorch's BLAS threads are not limited to one\n");
    return 0;
}();
#endif

template <class T>
torch::Tensor to_torch(const T& t, std::vector<std::int64_t> sizes) {
    using V = typename T::value_type;
    const auto type = std::is_same_v<V, float> ? torch::kFloat : torch::kLong;
    return torch::from_blob(const_cast<V*>(t.data()), sizes, type).clone();
}
void assign(torch::Tensor& dst, const torch::Tensor& src) {
    torch::NoGradGuard no_grad;
    dst.copy_(src);
}

// max |a - b| <= tol * max(1, max |b|)
bool close(const float* a, const float* b, std::size_t n, double tol) {
    double err = 0, scale = 1;
    for (std::size_t i = 0; i < n; ++i) {
        err = std::max(err, std::abs(double(a[i]) - double(b[i])));
        scale = std::max(scale, std::abs(double(b[i])));
    }
    return err <= tol * scale;
}
bool close(double a, double b, double tol) { return std::abs(a - b) <= tol * std::max(1.0, std::abs(b)); }

struct torch_mlp_net : torch::nn::Module {
    torch_mlp_net(std::int64_t hidden)
        : fc1(register_module("fc1", torch::nn::Linear(64, hidden))), fc2(register_module("fc2", torch::nn::Linear(hidden, 10))) {}
    torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::relu(fc1(x))); }
    torch::nn::Linear fc1, fc2;
};
struct torch_cnn_net : torch::nn::Module {
    torch_cnn_net()
        : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 16, 3).padding(1)))),
          conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 3).padding(1)))),
          pool(register_module("pool", torch::nn::MaxPool2d(2))),
          fc1(register_module("fc1", torch::nn::Linear(32 * 2 * 2, 64))),
          fc2(register_module("fc2", torch::nn::Linear(64, 10))) {}
    torch::Tensor forward(const torch::Tensor& x) {
        auto h = pool(torch::relu(conv1(x)));
        h = pool(torch::relu(conv2(h)));
        return fc2(torch::relu(fc1(h.flatten(1))));
    }
    torch::nn::Conv2d conv1, conv2;
    torch::nn::MaxPool2d pool;
    torch::nn::Linear fc1, fc2;
};

// A libtorch case: Net with the tfx case's initial weights, its data, Adam; the same step and
// predict as the tfx case, and check() against a fresh tfx case.
template <class Net, class TfxCase>
class torch_case {
   public:
    torch_case(std::shared_ptr<Net> net, std::size_t batch, double learning_rate, std::vector<std::int64_t> x_shape)
        : net_(std::move(net)), ref_(batch),
          opt_(net_->parameters(), torch::optim::AdamOptions(learning_rate).eps(1e-7)) {
        torch_single_thread();
        x_ = to_torch(ref_.data().x, x_shape);
        for (std::size_t k = 0; k < label_draws; ++k) y_[k] = to_torch(ref_.data().y[k], {std::int64_t(batch)});
    }
    void step() {
        opt_.zero_grad();
        torch::Tensor loss = torch::nn::functional::cross_entropy(net_->forward(x_), y_[next_++ % label_draws]);
        loss.backward();
        opt_.step();
        loss_ = loss.item<float>();
    }
    const float* predict() {
        torch::NoGradGuard no_grad;
        out_ = net_->forward(x_);
        return out_.data_ptr<float>();
    }
    double loss() const { return loss_; }

    // Three steps of both from the same weights: the losses agree, and the first layer's gradient on
    // the first step; the predictions agree before them.
    const char* check(torch::Tensor (*first_grad)(Net&), void (*grad_as_tfx)(const torch::Tensor&, std::vector<float>&)) {
        auto& m = ref_.model();
        {
            const auto& p = m.predict(ref_.data().x);
            if (!close(predict(), p.data(), p.size(), 1e-4)) return "libtorch and tfx predictions differ";
        }
        for (int s = 0; s < 3; ++s) {
            ref_.step();
            step();
            if (!close(loss(), ref_.loss(), 1e-4)) return "libtorch and tfx losses differ";
            if (s == 0) {
                const auto& g = std::get<0>(m.gradients());
                std::vector<float> gt;
                grad_as_tfx(first_grad(*net_), gt);
                if (gt.size() != g.size() || !close(gt.data(), g.data(), g.size(), 1e-4))
                    return "libtorch and tfx gradients differ";
            }
        }
        return nullptr;
    }

   protected:
    std::shared_ptr<Net> net_;
    TfxCase ref_;  // a tfx case built from the same seed: the weights and data
    torch::optim::Adam opt_;
    torch::Tensor x_, out_;
    std::array<torch::Tensor, label_draws> y_;
    std::size_t next_ = 0;
    double loss_ = 0;
};

// The tfx weights into the libtorch nets: dense kernels [in, out] are Linear weights [out, in]
// transposed; conv kernels [KH, KW, C, F] are Conv2d weights [F, C, KH, KW]; the dense after the
// flatten reads (h, w, c) in tfx and (c, h, w) in libtorch.
template <index_t H>
struct torch_mlp_case : torch_case<torch_mlp_net, tfx_mlp_case<H>> {
    explicit torch_mlp_case(std::size_t batch)
        : torch_case<torch_mlp_net, tfx_mlp_case<H>>(std::make_shared<torch_mlp_net>(H), batch, mlp_learning_rate,
                                                      {std::int64_t(batch), 64}) {
        auto& m = this->ref_.model();
        auto& n = *this->net_;
        assign(n.fc1->weight, to_torch(m.template layer<0>().kernel, {64, H}).t());
        assign(n.fc1->bias, to_torch(m.template layer<0>().bias, {H}));
        assign(n.fc2->weight, to_torch(m.template layer<1>().kernel, {H, 10}).t());
        assign(n.fc2->bias, to_torch(m.template layer<1>().bias, {10}));
    }
    const char* check() {
        return torch_case<torch_mlp_net, tfx_mlp_case<H>>::check(
            [](torch_mlp_net& n) -> torch::Tensor { return n.fc1->weight.grad(); },
            [](const torch::Tensor& g, std::vector<float>& out) {  // [H, 64] -> [64, H]
                const torch::Tensor t = g.t().contiguous();
                out.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
            });
    }
};
struct torch_cnn_case : torch_case<torch_cnn_net, tfx_cnn_case> {
    explicit torch_cnn_case(std::size_t batch)
        : torch_case<torch_cnn_net, tfx_cnn_case>(std::make_shared<torch_cnn_net>(), batch, cnn_learning_rate,
                                                   {std::int64_t(batch), 1, 8, 8}) {  // NHWC with C = 1 is NCHW
        auto& m = ref_.model();
        auto& n = *net_;
        assign(n.conv1->weight, to_torch(m.layer<0>().kernel, {3, 3, 1, 16}).permute({3, 2, 0, 1}));
        assign(n.conv1->bias, to_torch(m.layer<0>().bias, {16}));
        assign(n.conv2->weight, to_torch(m.layer<2>().kernel, {3, 3, 16, 32}).permute({3, 2, 0, 1}));
        assign(n.conv2->bias, to_torch(m.layer<2>().bias, {32}));
        assign(n.fc1->weight, to_torch(m.layer<5>().kernel, {2, 2, 32, 64}).permute({3, 2, 0, 1}).reshape({64, 128}));
        assign(n.fc1->bias, to_torch(m.layer<5>().bias, {64}));
        assign(n.fc2->weight, to_torch(m.layer<6>().kernel, {64, 10}).t());
        assign(n.fc2->bias, to_torch(m.layer<6>().bias, {10}));
    }
    const char* check() {
        return torch_case<torch_cnn_net, tfx_cnn_case>::check(
            [](torch_cnn_net& n) -> torch::Tensor { return n.conv1->weight.grad(); },
            [](const torch::Tensor& g, std::vector<float>& out) {  // [16, 1, 3, 3] -> [3, 3, 1, 16]
                const torch::Tensor t = g.permute({2, 3, 1, 0}).contiguous();
                out.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
            });
    }
};

#endif  // TFX_BENCH_HAVE_TORCH

// ---------------------------------------------------------------------------------------------
// The benchmark bodies, shared by all cases.

// Every side's thread count: tfx's pool, libtorch's intra-op threads and its BLAS's.
void set_threads(int n) {
    tfx::set_num_threads(n);
#ifdef TFX_BENCH_HAVE_TORCH
    torch::set_num_threads(n);
#endif
#ifdef TFX_BENCH_HAVE_OPENBLAS
    openblas_set_num_threads(n);
#endif
}

// The steady-state allocations per call, for the summary printed after the run: case -> (calls, bytes).
std::map<std::string, std::pair<double, double>>& allocation_results() {
    static std::map<std::string, std::pair<double, double>> r;
    return r;
}

template <class Case>
void time_step(benchmark::State& state, std::size_t batch) {
    Case c(batch);
    if (const char* e = c.check()) {
        state.SkipWithError(e);
        return;
    }
    for (int i = 0; i < warmup_calls; ++i) c.step();
    for (auto _ : state) {
        c.step();
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(c.loss());
}
template <class Case>
void time_predict(benchmark::State& state, std::size_t batch) {
    Case c(batch);
    if (const char* e = c.check()) {
        state.SkipWithError(e);
        return;
    }
    for (int i = 0; i < warmup_calls; ++i) c.predict();
    for (auto _ : state) {
        benchmark::DoNotOptimize(c.predict());
        benchmark::ClobberMemory();
    }
}
// Run with one iteration: warm up, then count over counted_calls calls.
template <class Case, bool Predict>
void count_allocations(benchmark::State& state, std::size_t batch, const std::string& name) {
    Case c(batch);
    if (const char* e = c.check()) {
        state.SkipWithError(e);
        return;
    }
    auto call = [&] {
        if constexpr (Predict)
            benchmark::DoNotOptimize(c.predict());
        else
            c.step();
    };
    for (int i = 0; i < warmup_calls; ++i) call();
    alloc_count::totals t{};
    for (auto _ : state) {
        alloc_count::start();
        for (int i = 0; i < counted_calls; ++i) call();
        t = alloc_count::stop();
    }
    const double calls = double(t.calls) / counted_calls, bytes = double(t.bytes) / counted_calls;
    state.counters["allocs_per_step"] = calls;
    state.counters["bytes_per_step"] = bytes;
    allocation_results()[name] = {calls, bytes};
}

// Thread scaling (issue "Scale out"): a step on `threads` threads, tfx's pool (tfx::set_num_threads)
// against libtorch's intra-op threads and its OpenBLAS's, set to the same count; one thread again
// afterwards. Real time: the work is spread over threads.
template <class Case>
void time_step_threads(benchmark::State& state, std::size_t batch, int threads) {
    Case c(batch);
    if (const char* e = c.check()) {
        state.SkipWithError(e);
        return;
    }
    set_threads(threads);
    for (int i = 0; i < warmup_calls; ++i) c.step();
    for (auto _ : state) {
        c.step();
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(c.loss());
    set_threads(1);
}

// Registers the four benchmarks of one (tfx or libtorch) side of a case.
template <class Case>
void register_side(const std::string& side, const std::string& tag, std::size_t batch, bool with_predict) {
    benchmark::RegisterBenchmark((side + "_step_" + tag).c_str(), [batch](benchmark::State& s) { time_step<Case>(s, batch); })
        ->Unit(benchmark::kMicrosecond);
    const std::string steps = side + "_allocs_step_" + tag;
    benchmark::RegisterBenchmark(steps.c_str(), [batch, steps](benchmark::State& s) { count_allocations<Case, false>(s, batch, steps); })
        ->Iterations(1)
        ->Unit(benchmark::kMicrosecond);
    if (!with_predict) return;
    benchmark::RegisterBenchmark((side + "_predict_" + tag).c_str(), [batch](benchmark::State& s) { time_predict<Case>(s, batch); })
        ->Unit(benchmark::kMicrosecond);
    const std::string calls = side + "_allocs_predict_" + tag;
    benchmark::RegisterBenchmark(calls.c_str(), [batch, calls](benchmark::State& s) { count_allocations<Case, true>(s, batch, calls); })
        ->Iterations(1)
        ->Unit(benchmark::kMicrosecond);
}

// The scaling case: batch 512, 64 -> 512 (relu) -> 10, Adam; its products (512 x 512 x 64 and the
// like) are large enough for the pool. Each side on 1 .. all hardware threads.
constexpr std::size_t scaling_batch = 512;
constexpr index_t scaling_hidden = 512;

int hardware_threads() { return std::max(1, int(std::thread::hardware_concurrency())); }

template <class Case>
void register_scaling(const std::string& side) {
    for (int t = 1; t <= hardware_threads(); ++t)
        benchmark::RegisterBenchmark((side + "_step_wide/threads:" + std::to_string(t)).c_str(),
                                     [t](benchmark::State& s) { time_step_threads<Case>(s, scaling_batch, t); })
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
}

void register_all() {
    register_scaling<tfx_mlp_case<scaling_hidden>>("tfx");
#ifdef TFX_BENCH_HAVE_TORCH
    register_scaling<torch_mlp_case<scaling_hidden>>("torch");
#endif
    register_side<tfx_mlp_case<128>>("tfx", "digits", 32, true);
    register_side<tfx_mlp_case<32>>("tfx", "tiny", 8, false);
    register_side<tfx_cnn_case>("tfx", "cnn", 32, false);
#ifdef TFX_BENCH_HAVE_TORCH
    register_side<torch_mlp_case<128>>("torch", "digits", 32, true);
    register_side<torch_mlp_case<32>>("torch", "tiny", 8, false);
    register_side<torch_cnn_case>("torch", "cnn", 32, false);
#else
    std::printf("bench_training: libtorch not found at configure time: libtorch peers skipped\n");
#endif
}

void declare_pairs() {
    using tfx_bench::compare;
    using tfx_bench::lower_is_better;
    using tfx_bench::show;
    const std::string allocs = "allocs_per_step";
    compare("digits step b32 64-128-10 Adam: tfx vs libtorch (30us @ 160us)", "tfx_step_digits", "torch_step_digits",
            30.0 / 160.0, lower_is_better);
    compare("tiny step b8 64-32-10 Adam: tfx vs libtorch (3us @ 136us)", "tfx_step_tiny", "torch_step_tiny", 3.0 / 136.0,
            lower_is_better);
    show("predict b32 64-128-10: tfx vs libtorch (no_grad)", "tfx_predict_digits", "torch_predict_digits", lower_is_better);
    show("CNN step b32 (demo's): tfx vs libtorch", "tfx_step_cnn", "torch_step_cnn", lower_is_better);
    // Target 0 allocations: the ratio tfx / libtorch is 0 exactly when tfx allocates nothing.
    compare("allocs per digits step: tfx vs libtorch (tfx: 0)", "tfx_allocs_step_digits", "torch_allocs_step_digits", 0.0,
            lower_is_better, allocs);
    compare("allocs per tiny step: tfx vs libtorch (tfx: 0)", "tfx_allocs_step_tiny", "torch_allocs_step_tiny", 0.0,
            lower_is_better, allocs);
    compare("allocs per predict b32: tfx vs libtorch (tfx: 0)", "tfx_allocs_predict_digits", "torch_allocs_predict_digits",
            0.0, lower_is_better, allocs);
    compare("allocs per CNN step: tfx vs libtorch (tfx: 0)", "tfx_allocs_step_cnn", "torch_allocs_step_cnn", 0.0,
            lower_is_better, allocs);
    // Thread scaling: no target in BENCHMARKS.md (its figures are single-thread); shown for each count,
    // with tfx against its own one-thread step.
    for (int t = 1; t <= hardware_threads(); ++t) {
        const std::string n = "/threads:" + std::to_string(t);
        show("wide step b512 64-512-10, " + std::to_string(t) + " threads: tfx vs libtorch", "tfx_step_wide" + n,
             "torch_step_wide" + n, lower_is_better);
        if (t > 1)
            show("wide step b512, " + std::to_string(t) + " threads vs 1: tfx", "tfx_step_wide" + n,
                 "tfx_step_wide/threads:1", lower_is_better);
    }
}

// The counter must see operator new (libstdc++ calling malloc) as it sees libtorch's allocations,
// or a count of 0 would mean nothing: checked once at start.
bool counter_sees_allocations() {
    alloc_count::start();
    auto* v = new std::vector<float>(64);
    benchmark::DoNotOptimize(v->data());
    delete v;
    void* p = std::malloc(64);
    benchmark::DoNotOptimize(p);
    std::free(p);
    return alloc_count::stop().calls >= 3;
}

void print_allocations() {
    const auto& r = allocation_results();
    if (r.empty()) return;
    std::printf("\nheap allocations per steady-state call (counted over %d calls after %d warm-up calls; target for tfx: 0)\n",
                counted_calls, warmup_calls);
    for (const char* what : {"step_digits", "step_tiny", "predict_digits", "step_cnn"}) {
        std::string line = std::string("  ") + what + ":";
        bool any = false;
        for (const char* side : {"tfx", "torch"}) {
            const auto it = r.find(std::string(side) + "_allocs_" + what);
            if (it == r.end()) continue;
            char buf[96];
            std::snprintf(buf, sizeof buf, "  %s %g allocs (%g bytes)", side, it->second.first, it->second.second);
            line += buf;
            any = true;
        }
        if (any) std::printf("%s\n", line.c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    tfx::set_num_threads(1);  // BENCHMARKS.md's figures are single-thread; the scaling cases set their own
    if (!counter_sees_allocations()) {
        std::printf("bench_training: the allocation counter does not see allocations here: its counts are void\n");
        return 1;
    }
    register_all();
    declare_pairs();
    const int rc = tfx_bench::run_and_report(argc, argv);
    print_allocations();
    return rc;
}
