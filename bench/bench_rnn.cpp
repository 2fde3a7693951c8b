// An LSTM training step of tfx's Keras-style models against libtorch measured in the same run, and
// the heap allocations of a step.
//
// Case, float32, single thread:
//   lstm     batch 32, x [32, 8 time steps, 8 features] -> lstm 64 units (last output) -> dense 10,
//            sparse softmax cross entropy from logits, SGD (lr 0.01, no momentum)
//   predict  the same model's inference on batch 32 (libtorch: forward under NoGradGuard)
// tfx: models::sequential(layers::input<8, 8>, layers::lstm<64>(), layers::dense<10>()), compile,
// train_on_batch(x, y, logs) into logs kept across steps, predict.
// libtorch: torch::nn::LSTM (batch_first) whose final hidden state feeds a torch::nn::Linear,
// torch::optim::SGD, F::cross_entropy, zero_grad / backward / step, the loss read with item()
// (tfx's step reads it too, for its logs and NaN check). libtorch runs on one thread:
// at::set_num_threads(1) and, since its BLAS is OpenBLAS, openblas_set_num_threads(1).
//
// The libtorch net starts from the tfx model's initial weights (tfx draws them from a fixed seed):
// weight_ih_l0 [4U, F] is the kernel [F, 4U] transposed, weight_hh_l0 [4U, U] the recurrent kernel
// [U, 4U] transposed, bias_ih_l0 the bias; PyTorch's gate order i, f, g, o is Keras's i, f, c, o.
// PyTorch's LSTM has a second bias, bias_hh_l0, which Keras's has not: it is set to 0 and frozen
// (requires_grad false, not given to SGD), so that both sides train the same function (a trainable
// second bias would take the same gradient as the first and double the bias's SGD update).
// Before timing the two are checked to agree: the predictions from the initial weights, the loss
// and the LSTM's kernel and recurrent kernel gradients of the first step, and the losses of the
// next two steps. A case that disagrees is reported as an error (its pairs as skipped), never timed.
//
// Data: random inputs; the labels cycle through 4 random draws for the same inputs, so that the
// loss is not driven to zero over the many thousands of steps a run takes on one batch.
//
// Heap allocations (as bench_training): this file interposes malloc, calloc, realloc,
// posix_memalign, aligned_alloc and memalign (forwarding to glibc's __libc_* entry points) and
// counts calls while a flag is set. The *_allocs_* cases run 20 warm-up calls, then count over 100
// steady-state calls: counters allocs_per_step (per call, for predict) and bytes_per_step; the
// table compares them (target for tfx: 0) and a summary is printed after the run.
//
// Target (the issue's): tfx's forward+backward step <= 0.5x libtorch's time in the same run. The
// predict ratio is printed for information. Run with repetitions (medians), e.g.
//   bench_rnn --benchmark_repetitions=3
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

constexpr std::size_t batch = 32;
constexpr index_t time_steps = 8, features = 8, units = 64, classes = 10;
constexpr double learning_rate = 0.01;

// ---------------------------------------------------------------------------------------------
// Data: x [batch, time, features] normal(0, 1); label_draws vectors of labels in [0, classes).
struct batches {
    tfx::tensor<float, dyn, time_steps, features> x;
    std::array<tfx::tensor<std::int64_t, dyn>, label_draws> y;
    explicit batches(std::size_t n) {
        tfx::random::generator gen{42};
        x = tfx::random::normal<float, dyn, time_steps, features>(gen, 0.0, 1.0, n);
        for (auto& yk : y) {
            yk = tfx::tensor<std::int64_t, dyn>(n);
            for (auto& v : yk) v = std::int64_t(gen.below(classes));
        }
    }
};

auto tfx_lstm_model() {
    using namespace tfx;
    return models::sequential(layers::input<time_steps, features>, layers::lstm<units>(), layers::dense<classes>());
}
using tfx_model = decltype(tfx_lstm_model());

// The tfx case: the model compiled with SGD and the loss; step() is one train_on_batch into logs
// kept across steps, predict() one inference call.
class tfx_case {
   public:
    explicit tfx_case(std::size_t n) : m_(tfx_lstm_model()), d_(n) {
        m_.compile(tfx::optimizers::sgd{.learning_rate = learning_rate},
                   tfx::losses::sparse_categorical_crossentropy{.from_logits = true});
    }
    void step() { m_.train_on_batch(d_.x, d_.y[next_++ % label_draws], logs_); }
    const float* predict() { return m_.predict(d_.x).data(); }
    double loss() const { return logs_.at("loss"); }
    const char* check() { return nullptr; }
    tfx_model& model() { return m_; }
    const batches& data() const { return d_; }

   private:
    tfx_model m_;
    batches d_;
    tfx::logs logs_;
    std::size_t next_ = 0;
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
    std::printf("bench_rnn: OpenBLAS headers not found: libtorch's BLAS threads are not limited to one\n");
    return 0;
}();
#endif

template <class T>
torch::Tensor to_torch(const T& t, std::vector<std::int64_t> sizes) {
    using V = typename T::value_type;
    const auto type = std::is_same_v<V, float> ? torch::kFloat : torch::kLong;
    return torch::from_blob(const_cast<V*>(t.data()), sizes, type).clone();
}
void assign(const torch::Tensor& dst, const torch::Tensor& src) {
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

// A libtorch gradient [4U, K] as tfx lays it out, [K, 4U], compared with tfx's.
template <class G>
bool close_transposed(const torch::Tensor& torch_grad, const G& tfx_grad, double tol) {
    if (!torch_grad.defined()) return false;
    const torch::Tensor t = torch_grad.t().contiguous();
    return std::size_t(t.numel()) == tfx_grad.size() && close(t.data_ptr<float>(), tfx_grad.data(), tfx_grad.size(), tol);
}

struct torch_lstm_net : torch::nn::Module {
    torch_lstm_net()
        : lstm(register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(features, units).batch_first(true)))),
          fc(register_module("fc", torch::nn::Linear(units, classes))) {}
    torch::Tensor forward(const torch::Tensor& x) {
        auto [seq, state] = lstm->forward(x);
        return fc(std::get<0>(state).select(0, 0));  // h_T of the one layer, [B, U]
    }
    torch::Tensor param(const char* name) { return lstm->named_parameters()[name]; }  // a handle
    torch::nn::LSTM lstm;
    torch::nn::Linear fc;
};

// The trainable parameters: all but the LSTM's frozen second bias.
std::vector<torch::Tensor> trainable(torch_lstm_net& n) {
    std::vector<torch::Tensor> r;
    for (auto& p : n.parameters())
        if (p.requires_grad()) r.push_back(p);
    return r;
}

// The libtorch case: the net with the tfx case's initial weights, its data, SGD; the same step and
// predict as the tfx case, and check() against a fresh tfx case.
class torch_case {
   public:
    explicit torch_case(std::size_t n) : net_(std::make_shared<torch_lstm_net>()), ref_(n) {
        torch_single_thread();
        auto& m = ref_.model();
        auto& lstm = m.layer<0>();
        auto& dense = m.layer<1>();
        constexpr std::int64_t F = features, U = units, C = classes;
        assign(net_->param("weight_ih_l0"), to_torch(lstm.kernel, {F, 4 * U}).t());
        assign(net_->param("weight_hh_l0"), to_torch(lstm.recurrent_kernel, {U, 4 * U}).t());
        assign(net_->param("bias_ih_l0"), to_torch(lstm.bias, {4 * U}));
        assign(net_->param("bias_hh_l0"), torch::zeros({4 * U}));
        net_->param("bias_hh_l0").requires_grad_(false);
        assign(net_->fc->weight, to_torch(dense.kernel, {U, C}).t());
        assign(net_->fc->bias, to_torch(dense.bias, {C}));
        opt_ = std::make_unique<torch::optim::SGD>(trainable(*net_), torch::optim::SGDOptions(learning_rate));
        x_ = to_torch(ref_.data().x, {std::int64_t(n), time_steps, features});
        for (std::size_t k = 0; k < label_draws; ++k) y_[k] = to_torch(ref_.data().y[k], {std::int64_t(n)});
    }
    void step() {
        opt_->zero_grad();
        torch::Tensor loss = torch::nn::functional::cross_entropy(net_->forward(x_), y_[next_++ % label_draws]);
        loss.backward();
        opt_->step();
        loss_ = loss.item<float>();
    }
    const float* predict() {
        torch::NoGradGuard no_grad;
        out_ = net_->forward(x_);
        return out_.data_ptr<float>();
    }
    double loss() const { return loss_; }

    // Three steps of both from the same weights: the losses agree, and the LSTM's kernel and
    // recurrent kernel gradients on the first step; the predictions agree before them.
    const char* check() {
        auto& m = ref_.model();
        {
            const auto& p = m.predict(ref_.data().x);
            if (!close(predict(), p.data(), p.size(), 1e-4)) return "libtorch and tfx predictions differ";
        }
        for (int s = 0; s < 3; ++s) {
            ref_.step();
            step();
            if (!close(loss(), ref_.loss(), 1e-4)) {
                std::printf("bench_rnn: step %d: loss libtorch %.8g, tfx %.8g\n", s, loss(), ref_.loss());
                return "libtorch and tfx losses differ";
            }
            if (s == 0) {
                const auto g = m.gradients();
                if (!close_transposed(net_->param("weight_ih_l0").grad(), std::get<0>(g), 1e-4))
                    return "libtorch and tfx LSTM kernel gradients differ";
                if (!close_transposed(net_->param("weight_hh_l0").grad(), std::get<1>(g), 1e-4))
                    return "libtorch and tfx LSTM recurrent kernel gradients differ";
            }
        }
        return nullptr;
    }

   private:
    std::shared_ptr<torch_lstm_net> net_;
    tfx_case ref_;  // a tfx case built from the same seed: the weights and data
    std::unique_ptr<torch::optim::SGD> opt_;
    torch::Tensor x_, out_;
    std::array<torch::Tensor, label_draws> y_;
    std::size_t next_ = 0;
    double loss_ = 0;
};

#endif  // TFX_BENCH_HAVE_TORCH

// ---------------------------------------------------------------------------------------------
// The benchmark bodies, shared by both sides.

// The steady-state allocations per call, for the summary printed after the run: case -> (calls, bytes).
std::map<std::string, std::pair<double, double>>& allocation_results() {
    static std::map<std::string, std::pair<double, double>> r;
    return r;
}

template <class Case>
void time_step(benchmark::State& state) {
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
void time_predict(benchmark::State& state) {
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
void count_allocations(benchmark::State& state, const std::string& name) {
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

// Registers the four benchmarks of one (tfx or libtorch) side.
template <class Case>
void register_side(const std::string& side) {
    const std::string tag = "lstm";
    benchmark::RegisterBenchmark((side + "_step_" + tag).c_str(), [](benchmark::State& s) { time_step<Case>(s); })
        ->Unit(benchmark::kMicrosecond);
    const std::string steps = side + "_allocs_step_" + tag;
    benchmark::RegisterBenchmark(steps.c_str(), [steps](benchmark::State& s) { count_allocations<Case, false>(s, steps); })
        ->Iterations(1)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((side + "_predict_" + tag).c_str(), [](benchmark::State& s) { time_predict<Case>(s); })
        ->Unit(benchmark::kMicrosecond);
    const std::string calls = side + "_allocs_predict_" + tag;
    benchmark::RegisterBenchmark(calls.c_str(), [calls](benchmark::State& s) { count_allocations<Case, true>(s, calls); })
        ->Iterations(1)
        ->Unit(benchmark::kMicrosecond);
}

void register_all() {
    register_side<tfx_case>("tfx");
#ifdef TFX_BENCH_HAVE_TORCH
    register_side<torch_case>("torch");
#else
    std::printf("bench_rnn: libtorch not found at configure time: libtorch peers skipped\n");
#endif
}

void declare_pairs() {
    using tfx_bench::compare;
    using tfx_bench::lower_is_better;
    using tfx_bench::show;
    const std::string allocs = "allocs_per_step";
    compare("LSTM step b32 T8 8->64->10 SGD: tfx vs libtorch (<= 0.5x)", "tfx_step_lstm", "torch_step_lstm", 0.5,
            lower_is_better);
    show("LSTM predict b32 T8 8->64->10: tfx vs libtorch (no_grad)", "tfx_predict_lstm", "torch_predict_lstm",
         lower_is_better);
    // Target 0 allocations: the ratio tfx / libtorch is 0 exactly when tfx allocates nothing.
    compare("allocs per LSTM step: tfx vs libtorch (tfx: 0)", "tfx_allocs_step_lstm", "torch_allocs_step_lstm", 0.0,
            lower_is_better, allocs);
    compare("allocs per LSTM predict: tfx vs libtorch (tfx: 0)", "tfx_allocs_predict_lstm", "torch_allocs_predict_lstm",
            0.0, lower_is_better, allocs);
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
    for (const char* what : {"step_lstm", "predict_lstm"}) {
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
    tfx::set_num_threads(1);  // BENCHMARKS.md's figures are single-thread
    if (!counter_sees_allocations()) {
        std::printf("bench_rnn: the allocation counter does not see allocations here: its counts are void\n");
        return 1;
    }
    register_all();
    declare_pairs();
    const int rc = tfx_bench::run_and_report(argc, argv);
    print_allocations();
    return rc;
}
