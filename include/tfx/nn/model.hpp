#pragma once
// The Keras model API over a chain of built layers: compile, fit, evaluate, predict,
// train_on_batch, variables by path, weights saved and restored as checkpoints. A training step is
// the layers' compiled stages run forward, the loss and its gradient as one compiled function, the
// stages' pullbacks run backward, then the optimizer's fused update: no allocation once the shapes
// have been seen.
#include <any>
#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "../callbacks/callbacks.hpp"
#include "../core/numerics.hpp"
#include "../data/data.hpp"
#include "../distribute/strategy.hpp"
#include "../io/checkpoint.hpp"
#include "../metrics/metrics.hpp"
#include "../optimizers/optimizers.hpp"
#include "../summary/file_writer.hpp"
#include "concurrency.hpp"
#include "losses.hpp"
#include "sequential.hpp"

namespace tfx::models {

// What fit returns: the logs of every epoch (Keras's History).
struct history {
    std::vector<tfx::logs> epochs;
    // The values of one key over the epochs: history.at("loss").
    std::vector<double> at(std::string_view key) const {
        std::vector<double> r;
        for (const auto& l : epochs) r.push_back(l.at(key));
        return r;
    }
};

namespace detail {

template <class L>
inline constexpr std::size_t n_trainable = std::tuple_size_v<std::remove_cvref_t<decltype(std::declval<L&>().trainable())>>;

template <class... L>
constexpr std::array<std::string_view, sizeof...(L)> kinds() {
    return {std::string_view(L::kind)...};
}
// Keras's naming: dense, dense_1, dense_2, ... per kind, in order.
template <std::size_t N>
std::array<std::string, N> layer_names(const std::array<std::string_view, N>& kinds) {
    std::array<std::string, N> names;
    for (std::size_t i = 0; i < N; ++i) {
        std::size_t same = 0;
        for (std::size_t j = 0; j < i; ++j) same += kinds[j] == kinds[i];
        names[i] = std::string(kinds[i]) + (same ? "_" + std::to_string(same) : std::string());
    }
    return names;
}

// The variables of one layer named "<path>/<variable>": trainable ones, then its state.
template <class L, class F>
void visit_layer_variables(const std::string& path, L& l, F& f) {
    using Lk = std::remove_cvref_t<L>;
    std::size_t i = 0;
    std::apply([&](auto&... t) { ((f(std::string_view(path + "/" + Lk::trainable_names[i++]), t)), ...); }, l.trainable());
    i = 0;
    std::apply([&](auto&... t) { ((f(std::string_view(path + "/" + Lk::state_names[i++]), t)), ...); }, l.state());
}

// Keras's summary table; for_each(f) calls f(name, layer) for every layer, in order.
template <class ForEach>
std::string summary_table(const char* model, ForEach&& for_each, std::size_t total_params) {
    std::string r = std::string("Model: \"") + model + "\"\n";
    char line[160];
    std::snprintf(line, sizeof line, "%-36s%-22s%10s\n", "Layer (type)", "Output Shape", "Param #");
    r += line;
    for_each([&]<class L>(const std::string& name, const L& l) {
        std::size_t n = 0;
        auto count = [&](std::string_view, const auto& t) { n += t.size(); };
        visit_layer_variables(name, l, count);
        std::snprintf(line, sizeof line, "%-36s%-22s%10zu\n", (name + " (" + L::kind + ")").c_str(),
                      nn::detail::shape_name<typename L::output_shape>().c_str(), n);
        r += line;
    });
    return r + "Total params: " + std::to_string(total_params) + "\n";
}

// The label types a compiled model takes in fit/evaluate/train_on_batch: integer class ids, targets
// of the output's shape, and [?] targets for an output [?, 1].
template <class M>
using label_types = std::tuple<tensor<std::int32_t, dyn>, tensor<std::int64_t, dyn>, typename M::output_type,
                               tensor<typename M::value_type, dyn>>;

template <class M, class Y>
struct step_interface {
    virtual ~step_interface() = default;
    virtual void train(M& m, const typename M::input_type& x, const Y& y, bool nan_guard) = 0;
    virtual void test(M& m, const typename M::input_type& x, const Y& y) = 0;
};
template <class M, class Labels>
struct compiled_interfaces;
template <class M, class... Y>
struct compiled_interfaces<M, std::tuple<Y...>> : step_interface<M, Y>... {};

// What fit's epoch loop calls: step(x, y) for a batch, step.idle() for a rank without one in a
// data-parallel step (compiled_base::idle_step). Both return whether training goes on.
template <class Train, class Idle>
struct fit_step {
    Train train;
    Idle idle_fn;
    template <class X, class Y>
    bool operator()(const X& x, const Y& y) {
        return train(x, y);
    }
    bool idle() { return idle_fn(); }
};

// fit's epoch loop (callbacks, logs, history, data-parallel setup and errors) is one plain function,
// run_fit (impl/fit.ipp; compiled once in tfx::compiled), not a template compiled for every model.
// What it needs from the model and the call comes through fit_hooks, which model_api::fit_loop
// implements per model with a few forwarding functions.
struct fit_run;
struct fit_hooks {
    // One pass over the data: a step per batch, each ending with run.after_step(); returns the
    // number of steps.
    virtual std::int64_t run_epoch(fit_run& run) = 0;
    // Every variable of the model (for_each_variable's order), as views of its memory.
    virtual std::vector<distribute::detail::variable_view> variables() = 0;
    virtual void set_strategy(distribute::strategy* s) = 0;  // the compiled step averages across ranks
    virtual void reset_metrics() = 0;
    virtual void results(tfx::logs& out) = 0;
    virtual void average_state_variables(distribute::strategy& s) = 0;
    virtual bool validates() const = 0;  // fit_options::validation_data was given
    virtual tfx::logs validate() = 0;
    virtual void save_weights(const std::string& path) = 0;

   protected:
    ~fit_hooks() = default;
};
// The loop's state as a step sees it.
struct fit_run {
    fit_hooks& hooks;
    std::vector<callbacks::callback>& cbs;
    callbacks::training_context& ctx;
    tfx::logs& batch_logs;
    distribute::strategy* strategy = nullptr;
    bool nan_guard = false;   // terminate_on_nan is among the callbacks: steps check the loss
    bool collective = false;  // set by a failing step: every rank throws this error alike
    std::int64_t batch = 0;
    // After a batch's step: the metrics so far to the callbacks' on_train_batch_end. False when a
    // callback asked to stop.
    bool after_step();
};
history run_fit(fit_hooks& hooks, int epochs, int verbose, const std::vector<callbacks::callback>& callbacks,
                distribute::strategy* strategy);

// What compile() keeps: optimizer, loss, metrics (type-erased behind the model, so that compile can
// be called on an existing model as in Keras).
template <class M>
struct compiled_base : compiled_interfaces<M, label_types<M>> {
    virtual void reset_metrics() = 0;
    virtual void results(tfx::logs& out, std::string_view prefix) const = 0;
    virtual void save(const std::filesystem::path& path, const M& m) const = 0;
    virtual void restore(const std::filesystem::path& path, M& m) = 0;
    virtual std::int64_t iterations() const = 0;
    virtual std::unique_ptr<compiled_base> clone() const = 0;
    // Data-parallel training (distribute/strategy.hpp): while a strategy is set, each training step
    // averages the gradients across ranks before the update, and results() reduces the metrics
    // across ranks (both collective: every rank calls them in step).
    virtual void set_strategy(distribute::strategy* s) = 0;
    // A step for a rank that has no batch left while others do: it takes part in the averaging with
    // nothing of its own and applies the same update. False when no rank had a batch (no update).
    virtual bool idle_step(M& m, bool nan_guard) = 0;
    // Whether the last exception out of a step was thrown on every rank alike (a rank's failure, a
    // NaN loss), so that no rank waits for another: fit then need not end the job.
    virtual bool last_error_collective() const = 0;
};

// Which labels a loss takes for outputs P (checked before the loss is instantiated, whose own
// static_asserts would otherwise fire for every label type a compiled model is prepared for):
// sparse losses take integer class ids [?]; the others float targets shaped like the output, and
// binary_crossentropy also [?] targets for an output [?, 1].
template <class Loss, class Y, class P>
constexpr bool loss_accepts() {
    using YT = typename Y::value_type;
    if constexpr (std::is_same_v<Loss, losses::sparse_categorical_crossentropy>)
        return std::is_integral_v<YT> && Y::rank == 1;
    else if constexpr (!std::is_floating_point_v<YT>)
        return false;
    else if constexpr (std::is_same_v<typename Y::shape_type, typename P::shape_type>)
        return true;
    else
        return std::is_same_v<Loss, losses::binary_crossentropy> && Y::rank == 1 && P::rank == 2 && P::shape_type::extents[1] == 1;
}

template <class T>
bool finite_value(T v) {
    return std::isfinite(double(v));
}

template <class M, class Opt, class Loss, class... Ms>
class compiled final : public compiled_base<M> {
    struct loss_value {
        Loss loss;
        template <class Y, class P>
        auto operator()(const Y& y, const P& p) const {
            return loss(y, p);
        }
    };
    using grad_fn = decltype(tfx::value_and_grad<1>(std::declval<loss_value>()));
    using variables = decltype(std::declval<M&>().trainable_variables());  // std::tuple<V&...>

   public:
    compiled(Opt opt, Loss loss, Ms... ms)
        : opt_(std::move(opt)), loss_(loss), metrics_(std::move(ms)...), vg_(tfx::value_and_grad<1>(loss_value{loss})),
          value_(loss_value{loss}) {}

    std::unique_ptr<compiled_base<M>> clone() const override {
        auto c = std::make_unique<compiled>(*this);
        c->strategy_ = nullptr;  // a copy is a new model, outside any fit
        return c;
    }

    void reset_metrics() override {
        loss_sum_ = loss_sum_weight_ = 0;
        std::apply([](auto&... m) { (m.reset_state(), ...); }, metrics_);
    }
    // Into existing keys this allocates nothing (fit refills the same batch logs every step).
    void results(tfx::logs& out, std::string_view prefix) const override {
        if (strategy_) return reduced_results(out, prefix);
        write_results(out, prefix, loss_sum_weight_ > 0 ? loss_sum_ / loss_sum_weight_ : 0.0, metrics_);
    }
    template <class Tuple>
    void write_results(tfx::logs& out, std::string_view prefix, double loss, const Tuple& metrics) const {
        if (prefix.empty()) {
            out["loss"] = loss;
            std::size_t i = 0;
            std::apply([&](const auto&... m) { ((out[names_[i++]] = m.result()), ...); }, metrics);
        } else {
            std::string key(prefix);
            out[key + "loss"] = loss;
            std::size_t i = 0;
            std::apply([&](const auto&... m) { ((out[key + names_[i++]] = m.result()), ...); }, metrics);
        }
    }
    // The results over every rank's data: the loss and metric states, summed across ranks in one
    // allreduce into a kept copy of the metrics (metrics without visit_state cannot be: an error on
    // every rank). After the first step this allocates nothing.
    void reduced_results(tfx::logs& out, std::string_view prefix) const {
        if constexpr (std::is_copy_assignable_v<std::tuple<Ms...>>) {
            if (metric_copy_)
                *metric_copy_ = metrics_;
            else
                metric_copy_.emplace(metrics_);
        } else {
            metric_copy_.emplace(metrics_);
        }
        auto& copy = *metric_copy_;
        metric_sync_.clear();
        metric_sync_.push_back(loss_sum_);
        metric_sync_.push_back(loss_sum_weight_);
        std::apply([&](auto&... m) { (visit_metric_state(m, [&](auto& v) { append_state(v); }), ...); }, copy);
        strategy_->all_reduce_sum(metric_sync_.data(), metric_sync_.size());
        std::size_t i = 2;
        std::apply([&](auto&... m) { (visit_metric_state(m, [&](auto& v) { read_state(v, i); }), ...); }, copy);
        write_results(out, prefix, metric_sync_[1] > 0 ? metric_sync_[0] / metric_sync_[1] : 0.0, copy);
    }
    template <class Mt, class F>
    static void visit_metric_state(Mt& m, F&& f) {
        if constexpr (requires { m.visit_state(f); })
            m.visit_state(f);
        else
            throw distribute_error("tfx: fit: the metric " + m.name() +
                                   " has no visit_state(f), so it cannot be summed across ranks (docs/distribute.md)");
    }
    void append_state(double v) const { metric_sync_.push_back(v); }
    void append_state(const std::vector<double>& v) const { metric_sync_.insert(metric_sync_.end(), v.begin(), v.end()); }
    void read_state(double& v, std::size_t& i) const { v = metric_sync_[i++]; }
    void read_state(std::vector<double>& v, std::size_t& i) const {
        std::copy(metric_sync_.begin() + std::ptrdiff_t(i), metric_sync_.begin() + std::ptrdiff_t(i + v.size()), v.begin());
        i += v.size();
    }

    void save(const std::filesystem::path& path, const M& m) const override {
        checkpoint::save(path, m, checkpoint::scope("optimizer", optimizers::detail::slots_for<variables>(std::as_const(opt_))));
    }
    void restore(const std::filesystem::path& path, M& m) override {
        // Files without optimizer slots (Keras, too, creates them only at the first step):
        //  - no optimizer member at all (saved by an uncompiled model): the weights; the optimizer
        //    keeps its state;
        //  - only optimizer/iterations, 0 (saved before the first step): the weights, and the
        //    optimizer starts afresh, as it was then.
        // Anything else is restored whole or not at all.
        bool any_optimizer = false, slots = false;
        const io::npz_reader archive(path);
        for (const auto& e : archive.zip().entries())
            if (e.name.starts_with("optimizer/")) {
                any_optimizer = true;
                slots = slots || e.name != "optimizer/iterations.npy";
            }
        if (!any_optimizer) {
            checkpoint::restore(path, m);
            return;
        }
        if (!slots) {
            tensor<std::int64_t> steps;
            checkpoint::restore(path, checkpoint::expect_partial, checkpoint::bind("optimizer/iterations", steps));
            if (steps() == 0) {
                checkpoint::restore(path, m, checkpoint::bind("optimizer/iterations", steps));
                // A copy, then a move: copy-assigning the optimizer would compile the slots
                // variant's copy assignment, 12 alternatives of it, for this one line.
                opt_ = Opt(fresh_);
                built_ = false;
                return;
            }
        }
        // A model that has not trained yet has no optimizer slots: build them first so that the
        // checkpoint's optimizer state has somewhere to go.
        opt_.build(m.trainable_variables(), m.trainable_variable_names());
        checkpoint::restore(path, m, checkpoint::scope("optimizer", optimizers::detail::slots_for<variables>(opt_)));
    }
    std::int64_t iterations() const override { return opt_.iterations(); }

    // The step for each label type; a loss that cannot take those labels says so.
    template <class Y>
    void train_impl(M& m, const typename M::input_type& x, const Y& y, bool nan_guard) {
        if constexpr (!loss_accepts<Loss, Y, typename M::output_type>()) {
            throw value_error(std::string("tfx: fit: the loss ") + Loss::name + " does not take labels of shape " +
                              shape_string(y.shape()) + " for outputs " + nn::detail::shape_name<typename M::output_shape>());
        } else {
            if (!built_) {
                opt_.build(m.trainable_variables(), m.trainable_variable_names());
                built_ = true;
            }
            if (strategy_) return train_distributed(m, x, y, nan_guard);
            const auto& pred = m.forward_train(x);
            loss_.check(y, pred);
            const auto& [l, dpred] = vg_(y, pred);
            const double lv = double(l());
            if (nan_guard && !finite_value(lv))
                throw value_error("tfx: fit: the loss is " + std::to_string(lv) + " at step " +
                                  std::to_string(opt_.iterations()) + " (terminate_on_nan); the model is unchanged");
            m.backward(dpred);
            m.commit();
            opt_.apply_gradients(m.gradients(), m.trainable_variables());
            track(lv, y, pred);
        }
    }
    // The step of a rank in a data-parallel job: the local forward and backward pass, then one
    // allreduce of one buffer holding every gradient (weighted by this rank's rows), the loss, the
    // rows, and which ranks failed; then, on every rank alike, the NaN check and the update with the
    // global mean gradient. For a loss that is a mean over its batch, that is the step of one process
    // on the global batch.
    template <class Y>
    void train_distributed(M& m, const typename M::input_type& x, const Y& y, bool nan_guard) {
        std::exception_ptr failure;
        double lv = 0;
        const double rows = double(x.shape()[0]);
        try {
            const auto& pred = m.forward_train(x);
            loss_.check(y, pred);
            const auto& [l, dpred] = vg_(y, pred);
            lv = double(l());
            m.backward(dpred);
            m.commit();
            track(lv, y, pred);
            pack(m, m.gradients(), rows);
        } catch (...) {
            failure = std::current_exception();
        }
        sync_and_apply(m, failure ? 0.0 : lv * rows, failure ? 0.0 : rows, failure != nullptr, nan_guard, !failure);
        if (failure) std::rethrow_exception(failure);
    }
    bool idle_step(M& m, bool nan_guard) override {
        if (!built_) {
            opt_.build(m.trainable_variables(), m.trainable_variable_names());
            built_ = true;
        }
        return sync_and_apply(m, 0.0, 0.0, false, nan_guard, false);
    }
    // sync_ = [gradients * rows..., loss * rows, rows, failed on rank 0, ..., failed on rank R-1]:
    // laid out once, with the averaged gradients (the gradients have the variables' shapes), and
    // again only if a later fit runs on a different number of ranks.
    std::size_t sync_layout(M& m) {
        if (!averaged_) {
            averaged_.emplace(std::apply([](const auto&... v) { return averaged_t(v...); }, m.trainable_variables()));
            grad_values_ = distribute::detail::total_size(*averaged_);
        }
        sync_.resize(grad_values_ + 2 + std::size_t(strategy_->num_replicas()));
        return grad_values_;
    }
    template <class G>
    void pack(M& m, const G& grads, double rows) {
        sync_layout(m);
        distribute::detail::pack(grads, sync_.data(), rows);
    }
    bool sync_and_apply(M& m, double loss_rows, double rows, bool failed, bool nan_guard, bool packed) {
        collective_error_ = false;
        const std::size_t R = std::size_t(strategy_->num_replicas());
        const std::size_t n = sync_layout(m);
        if (!packed)  // nothing of this rank's own
            std::fill(sync_.begin(), sync_.begin() + std::ptrdiff_t(n), 0.0);
        sync_[n] = loss_rows;
        sync_[n + 1] = rows;
        std::fill(sync_.begin() + std::ptrdiff_t(n + 2), sync_.end(), 0.0);
        sync_[n + 2 + std::size_t(strategy_->rank())] = failed ? 1.0 : 0.0;
        strategy_->all_reduce_sum(sync_.data(), sync_.size());
        for (std::size_t r = 0; r < R; ++r)
            if (sync_[n + 2 + r] != 0) {
                collective_error_ = true;
                if (failed) return false;  // this rank rethrows its own error
                throw distribute_error("tfx: fit: rank " + std::to_string(r) + " of " + std::to_string(R) + " failed in step " +
                                       std::to_string(opt_.iterations()) + " (its error is reported there); rank " +
                                       std::to_string(strategy_->rank()) +
                                       " stops too, and no rank's variables took that step");
            }
        const double total = sync_[n + 1];
        if (total == 0) return false;  // no rank had a batch
        const double loss = sync_[n] / total;
        if (nan_guard && !finite_value(loss)) {
            collective_error_ = true;
            throw value_error("tfx: fit: the loss is " + std::to_string(loss) + " at step " + std::to_string(opt_.iterations()) +
                              " (mean over the ranks; terminate_on_nan); the model is unchanged");
        }
        distribute::detail::unpack(sync_.data(), *averaged_, 1.0 / total);
        opt_.apply_gradients(std::apply([](const auto&... g) { return std::tie(g...); }, std::as_const(*averaged_)),
                             m.trainable_variables());
        return true;
    }
    // Tensors shaped like the trainable variables, for the averaged gradients (made once).
    using averaged_t = decltype(std::apply([](const auto&... v) { return std::tuple<std::remove_cvref_t<decltype(v)>...>(v...); },
                                           std::declval<M&>().trainable_variables()));
    void set_strategy(distribute::strategy* s) override { strategy_ = s; }
    bool last_error_collective() const override { return collective_error_; }

    template <class Y>
    void test_impl(M& m, const typename M::input_type& x, const Y& y) {
        if constexpr (!loss_accepts<Loss, Y, typename M::output_type>()) {
            throw value_error(std::string("tfx: evaluate: the loss ") + Loss::name + " does not take labels of shape " +
                              shape_string(y.shape()));
        } else {
            const auto& pred = m.predict(x);
            loss_.check(y, pred);
            track(double(value_(y, pred)()), y, pred);
        }
    }

    // int32 class ids are widened into a kept int64 buffer when the loss takes both, so that a
    // sparse loss compiles one training and one test step instead of two of each (a step is most
    // of what compile() costs to build). The values, and so every check and error, are the same.
    using ids32 = tensor<std::int32_t, dyn>;
    using ids64 = tensor<std::int64_t, dyn>;
    static constexpr bool widen_ids = loss_accepts<Loss, ids32, typename M::output_type>() &&
                                      loss_accepts<Loss, ids64, typename M::output_type>();
    const ids64& widened(const ids32& y) {
        ids_.resize({y.shape()[0]});
        std::copy(y.begin(), y.end(), ids_.begin());
        return ids_;
    }
    void train(M& m, const typename M::input_type& x, const ids32& y, bool nan_guard) override {
        if constexpr (widen_ids)
            train_impl(m, x, widened(y), nan_guard);
        else
            train_impl(m, x, y, nan_guard);
    }
    void test(M& m, const typename M::input_type& x, const ids32& y) override {
        if constexpr (widen_ids)
            test_impl(m, x, widened(y));
        else
            test_impl(m, x, y);
    }

#define TFX_COMMA ,
#define TFX_STEP_OVERRIDES(Y)                                                                                  \
    void train(M& m, const typename M::input_type& x, const Y& y, bool nan_guard) override { train_impl(m, x, y, nan_guard); } \
    void test(M& m, const typename M::input_type& x, const Y& y) override { test_impl(m, x, y); }
    TFX_STEP_OVERRIDES(ids64)
    TFX_STEP_OVERRIDES(typename M::output_type)
    TFX_STEP_OVERRIDES(tensor<typename M::value_type TFX_COMMA dyn>)
#undef TFX_STEP_OVERRIDES
#undef TFX_COMMA

   private:
    template <class Y, class P>
    void track(double lv, const Y& y, const P& pred) {
        const double n = double(pred.shape()[0]);
        loss_sum_ += lv * n;
        loss_sum_weight_ += n;
        std::apply([&](auto&... m) { (m.update_state(y, pred), ...); }, metrics_);
    }
    Opt opt_;
    Opt fresh_ = opt_;  // as compiled, before any step (restore of a file saved then)
    Loss loss_;
    std::tuple<Ms...> metrics_;
    std::array<std::string, sizeof...(Ms)> names_ = std::apply([](const auto&... m) { return std::array<std::string, sizeof...(Ms)>{m.name()...}; }, metrics_);
    grad_fn vg_;
    function<loss_value> value_;
    bool built_ = false;
    ids64 ids_;  // int32 labels widened (widen_ids)
    // Data-parallel training (set by fit for its duration; not copied with the model).
    distribute::strategy* strategy_ = nullptr;
    std::vector<double> sync_;
    std::size_t grad_values_ = 0;
    std::optional<averaged_t> averaged_;
    mutable std::vector<double> metric_sync_;
    mutable std::optional<std::tuple<Ms...>> metric_copy_;  // the metrics with every rank's state
    bool collective_error_ = false;
    double loss_sum_ = 0, loss_sum_weight_ = 0;  // the running mean of the loss, weighted by batch size
};

}  // namespace detail

// Where fit finds its validation data: a pointer to a dataset of (x, y) batches, or
// std::tie(x, y) of tensors (evaluated in batches of fit's batch size).
template <class M>
class validation_data_t {
   public:
    validation_data_t() = default;
    validation_data_t(std::nullptr_t) {}
    template <class D>
        requires(!is_tensor_v<D>)
    validation_data_t(const D* ds) {
        if (ds) run_ = [ds](M& m, index_t) { return m.evaluate(*ds, {.verbose = 0}); };
    }
    template <class X, class Y>
    validation_data_t(std::tuple<X&, Y&> xy) {
        const X* x = &std::get<0>(xy);
        const Y* y = &std::get<1>(xy);
        run_ = [x, y](M& m, index_t batch) { return m.evaluate(*x, *y, {.batch_size = batch, .verbose = 0}); };
    }
    explicit operator bool() const { return bool(run_); }
    tfx::logs operator()(M& m, index_t batch) const { return run_(m, batch); }

   private:
    std::function<tfx::logs(M&, index_t)> run_;
};

template <class M>
struct fit_options {
    int epochs = 1;
    int verbose = 1;           // 0 silent, 1 progress bar (one line per epoch when stdout is not a terminal), 2 one line per epoch
    index_t batch_size = 32;   // for fit(x, y): the batch size; a dataset brings its own batches
    bool shuffle = true;       // for fit(x, y): a new order each epoch, from `seed`
    std::uint64_t seed = 0x5eed;
    validation_data_t<M> validation_data{};
    std::vector<callbacks::callback> callbacks{};
    std::int64_t steps_per_epoch = -1;   // for an endless (repeated) dataset
    // Data-parallel training across ranks (docs/distribute.md): batch_size is then the global batch,
    // of which each rank takes its part (fit(x, y)), or each rank reads its own dataset (its shard).
    distribute::strategy* strategy = nullptr;
};
struct evaluate_options {
    index_t batch_size = 32;
    int verbose = 0;
};

// The Keras API shared by every model (compile, fit, evaluate, train_on_batch, weights). Derived
// provides input_type/output_type, forward_train(x), backward(g), commit(), gradients(),
// trainable_variables(), trainable_variable_names(), for_each_variable(f) and predict(x).
template <class Derived, class Input>
class model_api {
   public:
    using fit_options = models::fit_options<Derived>;

    model_api() = default;
    model_api(const model_api& o) : compiled_(o.compiled_ ? o.compiled_->clone() : nullptr) {}
    model_api(model_api&&) noexcept = default;
    model_api& operator=(const model_api& o) {
        if (this != &o) compiled_ = o.compiled_ ? o.compiled_->clone() : nullptr;
        return *this;
    }
    model_api& operator=(model_api&&) noexcept = default;

    // ---- training
    template <class Opt, class Loss, class... Ms>
    void compile(Opt optimizer, Loss loss, Ms... metrics) {
        auto use = use_.exclusive("compile");
        compiled_ = std::make_unique<detail::compiled<Derived, Opt, Loss, Ms...>>(std::move(optimizer), loss,
                                                                                            std::move(metrics)...);
    }
    bool compiled() const { return bool(compiled_); }
    // The optimizer's step count (Keras's model.optimizer.iterations); 0 before compile.
    std::int64_t optimizer_iterations() const { return compiled_ ? compiled_->iterations() : 0; }

    // One step on one batch; returns the loss and metrics of that batch.
    template <class Y>
    tfx::logs train_on_batch(const Input& x, const Y& y) {
        auto use = use_.exclusive("train_on_batch");
        flush_denormals ftz;  // like TensorFlow's executors (docs/numerics.md)
        auto& c = step_for<Y, step_op::train_on_batch>();
        compiled_->reset_metrics();
        c.train(self(), x, y, true);
        tfx::logs out;
        compiled_->results(out, "");
        return out;
    }
    // The same into logs the caller keeps: with keys already there, a steady-state step allocates nothing.
    template <class Y>
    void train_on_batch(const Input& x, const Y& y, tfx::logs& out) {
        auto use = use_.exclusive("train_on_batch");
        flush_denormals ftz;  // like TensorFlow's executors (docs/numerics.md)
        auto& c = step_for<Y, step_op::train_on_batch>();
        compiled_->reset_metrics();
        c.train(self(), x, y, true);
        compiled_->results(out, "");
    }
    template <class Y>
    tfx::logs test_on_batch(const Input& x, const Y& y) {
        auto use = use_.exclusive("test_on_batch");
        flush_denormals ftz;  // like TensorFlow's executors (docs/numerics.md)
        auto& c = step_for<Y, step_op::test_on_batch>();
        compiled_->reset_metrics();
        c.test(self(), x, y);
        tfx::logs out;
        compiled_->results(out, "");
        return out;
    }

    // fit on a dataset of (x, y) batches.
    template <class D>
        requires(!is_tensor_v<D>)
    history fit(const D& ds, const fit_options& options = {}) {
        return fit_loop(options, [&](auto&& step) {
            std::int64_t n = 0;
            bool stopped = false;
            for (const auto& [x, y] : ds) {
                ++n;
                if (!step(x, y)) {
                    stopped = true;
                    break;
                }
                if (n == options.steps_per_epoch) break;
            }
            // With a strategy, a rank whose dataset (shard) ended takes part in the steps of the
            // ranks that still have batches, until none has (the same steps on every rank).
            if (options.strategy && !stopped)
                while (n != options.steps_per_epoch && step.idle()) ++n;
            return n;
        });
    }
    // fit on tensors: batches of options.batch_size, shuffled each epoch when options.shuffle.
    template <class Y>
    history fit(const Input& x, const Y& y, const fit_options& options = {}) {
        check_rows("fit", x, y);
        if (options.batch_size <= 0)
            throw value_error("tfx: fit: batch_size must be positive, got " + std::to_string(options.batch_size));
        const std::size_t n = x.shape()[0], b = std::size_t(options.batch_size);
        tensor<std::int64_t, dyn> order(n), idx;
        std::iota(order.begin(), order.end(), 0);
        random::generator shuffler{options.seed};
        Input xb;
        Y yb;
        return fit_loop(options, [&](auto&& step) {
            if (options.shuffle)
                for (std::size_t i = n; i > 1; --i) std::swap(order(i - 1), order(std::size_t(shuffler.below(i))));
            std::int64_t steps = 0;
            // With a strategy, rank r of R takes rows [len r / R, len (r + 1) / R) of each global
            // batch (every rank has the same data and seed, so the same order).
            const std::size_t R = options.strategy ? std::size_t(options.strategy->num_replicas()) : 1;
            const std::size_t r = options.strategy ? std::size_t(options.strategy->rank()) : 0;
            for (std::size_t start = 0; start < n; start += b) {
                const std::size_t len = std::min(b, n - start);
                const std::size_t from = start + len * r / R, to = start + len * (r + 1) / R;
                ++steps;
                if (from == to) {  // fewer rows than ranks: this rank has none of this batch
                    if (!step.idle()) break;
                    continue;
                }
                idx = slice<0>(order, from, to - from);
                xb = gather<0>(x, idx);
                yb = gather<0>(y, idx);
                if (!step(xb, yb)) break;
            }
            return steps;
        });
    }

    template <class D>
        requires(!is_tensor_v<D>)
    tfx::logs evaluate(const D& ds, const evaluate_options& = {}) {
        auto use = use_.exclusive("evaluate");
        flush_denormals ftz;  // like TensorFlow's executors (docs/numerics.md)
        require_compiled("evaluate");
        compiled_->reset_metrics();
        for (const auto& [x, y] : ds) step_for<std::remove_cvref_t<decltype(y)>, step_op::evaluate>().test(self(), x, y);
        tfx::logs out;
        compiled_->results(out, "");
        return out;
    }
    template <class Y>
    tfx::logs evaluate(const Input& x, const Y& y, const evaluate_options& options = {}) {
        auto use = use_.exclusive("evaluate");
        flush_denormals ftz;  // like TensorFlow's executors (docs/numerics.md)
        check_rows("evaluate", x, y);
        require_compiled("evaluate");
        compiled_->reset_metrics();
        const std::size_t n = x.shape()[0], b = std::size_t(std::max<index_t>(options.batch_size, 1));
        Input xb;
        Y yb;
        for (std::size_t start = 0; start < n; start += b) {
            const std::size_t m = std::min(b, n - start);
            xb = slice<0>(x, start, m);
            yb = slice<0>(y, start, m);
            step_for<Y, step_op::evaluate>().test(self(), xb, yb);
        }
        tfx::logs out;
        compiled_->results(out, "");
        return out;
    }

    // Weights (and, once compiled, the optimizer's state as "optimizer/...") to and from an .npz.
    void save_weights(const std::filesystem::path& path) const {
        auto use = use_.shared("save_weights");
        if (compiled_)
            compiled_->save(path, self());
        else
            checkpoint::save(path, self());
    }
    void load_weights(const std::filesystem::path& path) {
        auto use = use_.exclusive("load_weights");
        if (compiled_)
            compiled_->restore(path, self());
        else
            checkpoint::restore(path, checkpoint::expect_partial, self());
    }

    // For custom training loops, tfx::value_and_grad(f)(model) (autodiff/grad.hpp) comes here: f gets
    // a view of the model whose call is the training pass, f's scalar is differentiated with respect
    // to the model's output, and that gradient is pushed through the layers. Returns (value, the
    // gradients of trainable_variables(), in order; references valid until the next step).
    struct training_view {
        Derived* m;
        const typename Derived::output_type* pred = nullptr;
        auto operator()(const Input& x) {
            pred = &m->forward_train(x);
            return tref<typename Derived::output_type>(*pred);
        }
    };
    template <class F>
    auto value_and_grad_of(F& f) {
        auto use = use_.exclusive("value_and_grad");
        flush_denormals ftz;  // like TensorFlow's executors (docs/numerics.md)
        training_view v{&self()};
        auto loss = f(v);
        using L = std::remove_cvref_t<decltype(loss)>;
        static_assert(expression<L> && L::shape_type::rank == 0,
                      "tfx: value_and_grad: f(model) must return a scalar expression of the model's output (its type below)");
        if (!v.pred) throw value_error("tfx: value_and_grad: f did not call the model (m(x))");
        auto [value, g] = tfx::gradient(loss, *v.pred);
        self().backward(g);
        self().commit();
        return std::tuple{value, self().gradients()};
    }

   protected:
    Derived& self() { return static_cast<Derived&>(*this); }
    const Derived& self() const { return static_cast<const Derived&>(*this); }
    void require_compiled(const char* op) const {
        if (!compiled_)
            throw value_error(std::string("tfx: ") + op + ": the model must be compiled first (model.compile(optimizer, loss, metrics...))");
    }
    // The step for labels Y; a label type no compiled model takes fails to compile here, naming the
    // call (a static_assert message is a literal, hence one per call).
    enum class step_op { fit, evaluate, train_on_batch, test_on_batch };
    template <class Y, step_op Op>
    detail::step_interface<Derived, Y>& step_for() {
        constexpr bool takes = std::is_base_of_v<detail::step_interface<Derived, Y>, detail::compiled_base<Derived>>;
#define TFX_LABELS_MESSAGE(op)                                                                                          \
    "tfx: " op ": labels must be int32 or int64 class ids [?], targets shaped like the model's output, or [?] targets " \
    "for an output [?, 1] (the label type below)"
        if constexpr (Op == step_op::fit)
            static_assert(takes, TFX_LABELS_MESSAGE("fit"));
        else if constexpr (Op == step_op::evaluate)
            static_assert(takes, TFX_LABELS_MESSAGE("evaluate"));
        else if constexpr (Op == step_op::train_on_batch)
            static_assert(takes, TFX_LABELS_MESSAGE("train_on_batch"));
        else
            static_assert(takes, TFX_LABELS_MESSAGE("test_on_batch"));
#undef TFX_LABELS_MESSAGE
        constexpr const char* names[] = {"fit", "evaluate", "train_on_batch", "test_on_batch"};
        require_compiled(names[int(Op)]);
        if constexpr (takes)
            return *compiled_;
        else
            return *static_cast<detail::step_interface<Derived, Y>*>(nullptr);  // not reached: the static_assert failed
    }
    template <class Y>
    static void check_rows(const char* op, const Input& x, const Y& y) {
        if (x.shape()[0] != y.shape()[0])
            throw shape_error(std::string("tfx: ") + op + ": x has " + std::to_string(x.shape()[0]) + " rows " +
                              shape_string(x.shape()) + " but y has " + std::to_string(y.shape()[0]) + " " +
                              shape_string(y.shape()));
    }

    // The epoch loop shared by both fits: `epoch(step)` runs one pass, calling step(x, y) per batch
    // until it returns false (stop requested), and returns the number of steps it ran. The loop is
    // detail::run_fit; here are only what it asks of this model and this call.
    template <class Epoch>
    history fit_loop(const fit_options& options, Epoch&& epoch) {
        auto use = use_.exclusive("fit");
        flush_denormals ftz;  // like TensorFlow's executors (docs/numerics.md)
        require_compiled("fit");
        struct hooks final : detail::fit_hooks {
            model_api& m;
            const fit_options& o;
            Epoch& epoch;
            hooks(model_api& m_, const fit_options& o_, Epoch& e) : m(m_), o(o_), epoch(e) {}
            std::int64_t run_epoch(detail::fit_run& run) override {
                return epoch(detail::fit_step{
                    [&](const auto& x, const auto& y) {
                        using Y = std::remove_cvref_t<decltype(y)>;
                        try {
                            m.template step_for<Y, step_op::fit>().train(m.self(), x, y, run.nan_guard);
                        } catch (...) {
                            run.collective = run.strategy && m.compiled_->last_error_collective();
                            throw;
                        }
                        return run.after_step();
                    },
                    [&] {
                        bool stepped = false;
                        try {
                            stepped = m.compiled_->idle_step(m.self(), run.nan_guard);
                        } catch (...) {
                            run.collective = m.compiled_->last_error_collective();
                            throw;
                        }
                        return stepped && run.after_step();
                    }});
            }
            std::vector<distribute::detail::variable_view> variables() override {
                std::vector<distribute::detail::variable_view> v;
                m.self().for_each_variable([&](std::string_view name, auto& t) { v.push_back(distribute::detail::view_of(name, t)); });
                return v;
            }
            void set_strategy(distribute::strategy* s) override { m.compiled_->set_strategy(s); }
            void reset_metrics() override { m.compiled_->reset_metrics(); }
            void results(tfx::logs& out) override { m.compiled_->results(out, ""); }
            void average_state_variables(distribute::strategy& s) override { m.average_state_variables(s); }
            bool validates() const override { return bool(o.validation_data); }
            tfx::logs validate() override { return o.validation_data(m.self(), o.batch_size); }
            void save_weights(const std::string& path) override { m.save_weights(path); }
        } h{*this, options, epoch};
        return detail::run_fit(h, options.epochs, options.verbose, options.callbacks, options.strategy);
    }

    // Data-parallel: the variables that are not trained (batch_norm's moving statistics, which each
    // rank updates from its own batches) become their mean over the ranks, at the end of each epoch.
    void average_state_variables(distribute::strategy& s) {
        std::vector<const void*> trained;
        std::apply([&](const auto&... v) { (trained.push_back(v.data()), ...); }, self().trainable_variables());
        std::vector<distribute::detail::variable_view> state;
        self().for_each_variable([&](std::string_view name, auto& t) {
            if (std::find(trained.begin(), trained.end(), static_cast<const void*>(t.data())) == trained.end())
                state.push_back(distribute::detail::view_of(name, t));
        });
        s.average_views(state);  // the float and double ones
    }

    std::unique_ptr<detail::compiled_base<Derived>> compiled_;
    mutable detail::use_guard use_;  // who trains or reads the model (concurrency.hpp)
};

// The model over a chain of built layers (a tuple). sequential(...) makes one.
template <class In, class Layers>
class sequential_model;
template <class In, class... L>
class sequential_model<In, std::tuple<L...>>
    : public model_api<sequential_model<In, std::tuple<L...>>, nn::detail::tensor_t<typename In::value_type, typename In::shape_type>> {
    using api = model_api<sequential_model<In, std::tuple<L...>>, nn::detail::tensor_t<typename In::value_type, typename In::shape_type>>;
    friend api;
    static constexpr std::size_t N = sizeof...(L);
    static_assert(N > 0, "tfx: sequential: a model needs at least one layer after its input");
    using last_layer = std::tuple_element_t<N - 1, std::tuple<L...>>;

   public:
    using input_type = nn::detail::tensor_t<typename In::value_type, typename In::shape_type>;
    using output_type = typename last_layer::output_type;
    using output_shape = typename last_layer::output_shape;
    using value_type = typename output_type::value_type;

    // A new model's variables are drawn from a fixed default seed; initialize(generator) draws again.
    explicit sequential_model(std::tuple<L...> layers) : layers_(std::move(layers)) {
        random::generator gen{default_seed};
        initialize(gen);
    }

    static constexpr std::uint64_t default_seed = 1337;
    void initialize(random::generator gen) {
        std::apply([&](auto&... l) { (l.initialize(gen), ...); }, layers_);
        gen_ = gen;  // dropout masks continue from here
    }

    // ---- structure and variables
    static constexpr std::size_t size() { return N; }
    template <std::size_t K>
    auto& layer() {
        return std::get<K>(layers_);
    }
    template <std::size_t K>
    const auto& layer() const {
        return std::get<K>(layers_);
    }
    static const std::array<std::string, N>& layer_names() {
        static const auto names = detail::layer_names<N>(detail::kinds<L...>());
        return names;
    }
    auto trainable_variables() {
        return std::apply([](auto&... l) { return std::tuple_cat(l.trainable()...); }, layers_);
    }
    // "dense/kernel", "dense/bias", "dense_1/kernel", ...
    std::vector<std::string> trainable_variable_names() const {
        std::vector<std::string> r;
        for_each_layer([&]<class Lk>(std::size_t k, const Lk&) {
            for (const char* v : Lk::trainable_names) r.push_back(layer_names()[k] + "/" + v);
        });
        return r;
    }
    // Every variable with its path, trainable ones first within each layer (a checkpoint's contents).
    template <class F>
    void for_each_variable(F&& f) {
        visit_variables(*this, f);
    }
    template <class F>
    void for_each_variable(F&& f) const {
        visit_variables(*this, f);
    }
    std::size_t count_params() const {
        std::size_t n = 0;
        for_each_variable([&](std::string_view, const auto& t) { n += t.size(); });
        return n;
    }
    // A Keras-like table of layers, output shapes and parameter counts.
    std::string summary() const {
        return detail::summary_table(
            "sequential", [&](auto&& f) { for_each_layer([&](std::size_t k, const auto& l) { f(layer_names()[k], l); }); },
            count_params());
    }

    // ---- inference
    // model(x): the inference expression, to use inside other expressions and functions.
    template <class X>
    auto operator()(const X& x) const {
        return call<0>(as_node(x));
    }
    // predict(x): the outputs for a batch, computed by one compiled function (no allocation after the
    // first call with this batch size). Several threads may predict at once, each with its own
    // buffers: the reference is valid until the same thread's next predict.
    const output_type& predict(const input_type& x) {
        auto use = this->use_.shared("predict");
        flush_denormals ftz;
        return predict_.local()(x, this);
    }

    // ---- the training passes (used by compile's steps; public for custom training loops)
    const output_type& forward_train(const input_type& x) {
        nn::train_context ctx{&gen_};
        return forward_chain<0>(x, ctx);
    }
    void backward(const output_type& g) { backward_chain<N>(g); }
    // After a successful step: layers that keep statistics (batch_norm) take them.
    void commit() {
        std::apply([](auto&... l) { (commit_layer(l), ...); }, layers_);
    }
    auto gradients() const {
        return std::apply([](const auto&... l) { return std::tuple_cat(grads_of(l)...); }, layers_);
    }

   private:
    template <class Lk>
    static auto grads_of(const Lk& l) {
        if constexpr (detail::n_trainable<Lk> == 0)
            return std::tuple<>();
        else
            return l.gradients();
    }
    template <class Lk>
    static void commit_layer(Lk& l) {
        if constexpr (requires { l.commit(); }) l.commit();
    }
    template <class F>
    void for_each_layer(F&& f) const {
        [&]<std::size_t... K>(std::index_sequence<K...>) { (f(K, std::get<K>(layers_)), ...); }(std::index_sequence_for<L...>{});
    }
    template <class Self, class F>
    static void visit_variables(Self& self, F& f) {
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            (detail::visit_layer_variables(layer_names()[K], std::get<K>(self.layers_), f), ...);
        }(std::index_sequence_for<L...>{});
    }

    template <std::size_t K, class X>
    auto call(const X& x) const {
        if constexpr (K == N)
            return x;
        else
            return call<K + 1>(std::get<K>(layers_)(x));
    }
    struct predict_fn {
        template <class X>
        auto operator()(const X& x, const sequential_model* m) const {
            return (*m)(x);
        }
    };

    template <std::size_t K, class X>
    const output_type& forward_chain(const X& x, nn::train_context& ctx) {
        if constexpr (K == N)
            return x;
        else
            return forward_chain<K + 1>(std::get<K>(layers_).forward_train(x, ctx), ctx);
    }
    // Does any layer below K have variables (so that the gradient must reach K's input)?
    template <std::size_t K>
    static constexpr bool needs_input_gradient() {
        return []<std::size_t... J>(std::index_sequence<J...>) {
            return ((detail::n_trainable<std::tuple_element_t<J, std::tuple<L...>>> > 0) || ... || false);
        }(std::make_index_sequence<K>{});
    }
    template <std::size_t K, class G>
    void backward_chain(const G& g) {
        if constexpr (K > 0 && (needs_input_gradient<K - 1>() || detail::n_trainable<std::tuple_element_t<K - 1, std::tuple<L...>>> > 0)) {
            constexpr bool need_dx = needs_input_gradient<K - 1>();
            const auto* dx = std::get<K - 1>(layers_).template backward<need_dx>(g);
            if constexpr (need_dx) backward_chain<K - 1>(*dx);
        }
    }

    std::tuple<L...> layers_;
    random::generator gen_{default_seed};
    detail::per_thread<function<predict_fn>> predict_{function<predict_fn>{predict_fn{}}};
};

// sequential(layers::input<64>, layers::dense<128>(activations::relu), ...)
template <class T, index_t... E, class... Specs>
auto sequential(layers::input_spec<T, E...>, Specs... specs) {
    using In = layers::input_spec<T, E...>;
    using chain = typename detail::chain<1, T, shape<dyn, E...>, Specs...>::type;
    if constexpr (std::tuple_size_v<chain> != sizeof...(Specs))
        return chain{};  // a layer did not fit (reported above)
    else
        return sequential_model<In, chain>(detail::build_chain<T, shape<dyn, E...>>(specs...));
}

}  // namespace tfx::models

#ifndef TFX_COMPILED_LIB
#include "impl/fit.ipp"
#endif
