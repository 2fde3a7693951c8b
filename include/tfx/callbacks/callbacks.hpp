#pragma once
// Keras-style training callbacks (tf.keras.callbacks): what `fit` calls at the start and end of
// training, of each epoch and after each batch.
//
//   model.fit(train, {.epochs = 20, .validation_data = &test,
//                     .callbacks = {callbacks::tensorboard{"logs"},
//                                   callbacks::early_stopping{.patience = 3},
//                                   callbacks::csv_logger{"training.csv"}}});
//
// A callback is any copyable type with some of these member functions (the hooks):
//
//   void on_train_begin(training_context&);
//   void on_epoch_begin(training_context&, int epoch);                          // epoch: 0-based
//   void on_train_batch_end(training_context&, std::int64_t batch, const logs&); // running means of the epoch
//   void on_epoch_end(training_context&, int epoch, const logs&);               // with val_* when validating
//   void on_train_end(training_context&, const logs& last_epoch_logs);
//
// `callback` holds one, type-erased, and forwards the hooks it has. A hook may also be a data member
// that is callable so (std::function, a function pointer); an empty one is skipped (lambda_callback).
// See docs/callbacks.md.
#include <algorithm>
#include <any>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/errors.hpp"
#include "../core/inline.hpp"
#include "../summary/file_writer.hpp"
#include "logs.hpp"

namespace tfx::callbacks {

// What a callback sees of the training run; fit fills it.
struct training_context {
    int epochs = 1;              // total epochs of this fit
    std::int64_t steps = -1;     // steps per epoch, -1 if unknown (first epoch of a dataset)
    int verbose = 1;             // fit's verbose option
    bool stop_training = false;  // set by a callback; fit stops at the end of the current batch
    int rank = 0;                // data-parallel fit (docs/distribute.md): this process's rank, of
    int num_replicas = 1;        // num_replicas; the logs are the same on every rank
    std::function<void(const std::string& path)> save_checkpoint{};  // model (and optimizer) -> .npz
    std::function<std::any()> get_weights{};                       // snapshot of all model variables
    std::function<void(const std::any&)> set_weights{};            // restore such a snapshot
    std::function<void(summary::file_writer&, std::int64_t step)> write_histograms{};  // may be empty
};

// ------------------------------------------------------------------------------------------------
// Hook detection and the type-erased holder

namespace detail {

template <class C>
concept hook_train_begin = requires(C& c, training_context& ctx) { c.on_train_begin(ctx); };
template <class C>
concept hook_epoch_begin = requires(C& c, training_context& ctx, int epoch) { c.on_epoch_begin(ctx, epoch); };
template <class C>
concept hook_batch_end = requires(C& c, training_context& ctx, std::int64_t batch, const logs& l) {
    c.on_train_batch_end(ctx, batch, l);
};
template <class C>
concept hook_epoch_end = requires(C& c, training_context& ctx, int epoch, const logs& l) {
    c.on_epoch_end(ctx, epoch, l);
};
template <class C>
concept hook_train_end = requires(C& c, training_context& ctx, const logs& l) { c.on_train_end(ctx, l); };

// A hook that is a data member testable as bool (std::function, function pointer): skipped when empty.
// Naming a member function without calling it is ill-formed, so these are false for member functions.
template <class C>
concept optional_train_begin = requires(C& c) { static_cast<bool>(c.on_train_begin); };
template <class C>
concept optional_epoch_begin = requires(C& c) { static_cast<bool>(c.on_epoch_begin); };
template <class C>
concept optional_batch_end = requires(C& c) { static_cast<bool>(c.on_train_batch_end); };
template <class C>
concept optional_epoch_end = requires(C& c) { static_cast<bool>(c.on_epoch_end); };
template <class C>
concept optional_train_end = requires(C& c) { static_cast<bool>(c.on_train_end); };

// A member of a hook's name (not overloaded): if it cannot be called as the hook, its signature is
// wrong, and that is reported rather than silently ignored.
template <class C>
concept names_train_begin = requires { &C::on_train_begin; };
template <class C>
concept names_epoch_begin = requires { &C::on_epoch_begin; };
template <class C>
concept names_batch_end = requires { &C::on_train_batch_end; };
template <class C>
concept names_epoch_end = requires { &C::on_epoch_end; };
template <class C>
concept names_train_end = requires { &C::on_train_end; };

template <class C>
constexpr bool check_callback_type() {
    // (A member with a hook's name but the wrong signature is reported by the asserts below instead.)
    static_assert(hook_train_begin<C> || hook_epoch_begin<C> || hook_batch_end<C> || hook_epoch_end<C> ||
                      hook_train_end<C> || names_train_begin<C> || names_epoch_begin<C> || names_batch_end<C> ||
                      names_epoch_end<C> || names_train_end<C>,
                  "tfx: callback: the type has none of the hooks on_train_begin(training_context&), "
                  "on_epoch_begin(training_context&, int), on_train_batch_end(training_context&, std::int64_t, "
                  "const logs&), on_epoch_end(training_context&, int, const logs&), "
                  "on_train_end(training_context&, const logs&)");
    static_assert(hook_train_begin<C> || !names_train_begin<C>,
                  "tfx: callback: on_train_begin cannot be called as on_train_begin(training_context&)");
    static_assert(hook_epoch_begin<C> || !names_epoch_begin<C>,
                  "tfx: callback: on_epoch_begin cannot be called as on_epoch_begin(training_context&, int epoch)");
    static_assert(hook_batch_end<C> || !names_batch_end<C>,
                  "tfx: callback: on_train_batch_end cannot be called as "
                  "on_train_batch_end(training_context&, std::int64_t batch, const logs&)");
    static_assert(hook_epoch_end<C> || !names_epoch_end<C>,
                  "tfx: callback: on_epoch_end cannot be called as on_epoch_end(training_context&, int epoch, "
                  "const logs&)");
    static_assert(hook_train_end<C> || !names_train_end<C>,
                  "tfx: callback: on_train_end cannot be called as on_train_end(training_context&, const logs&)");
    return true;
}

// std::ref(obj) is held by reference: the hooks run on `obj`, which the caller keeps.
template <class T>
struct unwrap {
    using type = T;
    static T& get(T& t) noexcept { return t; }
};
template <class T>
struct unwrap<std::reference_wrapper<T>> {
    using type = T;
    static T& get(std::reference_wrapper<T>& r) noexcept { return r.get(); }
};

// One address per type, for callback::target without RTTI.
template <class T>
struct type_tag {
    static constexpr char id = 0;
};

}  // namespace detail

// A copyable holder for any callback type; copies hold copies (std::ref(x) shares x).
class callback {
   public:
    template <class C>
        requires(!std::is_same_v<std::remove_cvref_t<C>, callback>)
    callback(C c) : p_(make(std::move(c))) {}  // NOLINT: implicit, so that {tensorboard{...}, ...} works

    callback(const callback& o) : p_(o.p_ ? o.p_->clone() : nullptr) {}
    callback(callback&&) noexcept = default;
    callback& operator=(const callback& o) {
        if (this != &o) p_ = o.p_ ? o.p_->clone() : nullptr;
        return *this;
    }
    callback& operator=(callback&&) noexcept = default;
    ~callback() = default;

    // The hooks; those the held type lacks do nothing (as does a moved-from callback).
    void on_train_begin(training_context& ctx) {
        if (p_) p_->train_begin(ctx);
    }
    void on_epoch_begin(training_context& ctx, int epoch) {
        if (p_) p_->epoch_begin(ctx, epoch);
    }
    void on_train_batch_end(training_context& ctx, std::int64_t batch, const logs& batch_logs) {
        if (p_) p_->batch_end(ctx, batch, batch_logs);
    }
    void on_epoch_end(training_context& ctx, int epoch, const logs& epoch_logs) {
        if (p_) p_->epoch_end(ctx, epoch, epoch_logs);
    }
    void on_train_end(training_context& ctx, const logs& last_epoch_logs) {
        if (p_) p_->train_end(ctx, last_epoch_logs);
    }

    // The held object if it is a C (or a std::reference_wrapper<C>: then the referenced object);
    // nullptr otherwise. As std::function::target.
    template <class C>
    C* target() noexcept {
        return p_ ? static_cast<C*>(p_->target(&detail::type_tag<C>::id)) : nullptr;
    }
    template <class C>
    const C* target() const noexcept {
        return p_ ? static_cast<const C*>(p_->target(&detail::type_tag<C>::id)) : nullptr;
    }

   private:
    struct base {
        virtual ~base() = default;
        virtual std::unique_ptr<base> clone() const = 0;
        virtual void train_begin(training_context&) = 0;
        virtual void epoch_begin(training_context&, int) = 0;
        virtual void batch_end(training_context&, std::int64_t, const logs&) = 0;
        virtual void epoch_end(training_context&, int, const logs&) = 0;
        virtual void train_end(training_context&, const logs&) = 0;
        virtual void* target(const void* tag) noexcept = 0;
    };

    template <class C>
    struct model final : base {
        using U = typename detail::unwrap<C>::type;
        C held;
        explicit model(C c) : held(std::move(c)) {}
        U& obj() noexcept { return detail::unwrap<C>::get(held); }

        std::unique_ptr<base> clone() const override { return std::make_unique<model>(held); }
        void train_begin(training_context& ctx) override {
            if constexpr (detail::hook_train_begin<U>) {
                U& c = obj();
                if constexpr (detail::optional_train_begin<U>)
                    if (!static_cast<bool>(c.on_train_begin)) return;
                c.on_train_begin(ctx);
            }
        }
        void epoch_begin(training_context& ctx, int epoch) override {
            if constexpr (detail::hook_epoch_begin<U>) {
                U& c = obj();
                if constexpr (detail::optional_epoch_begin<U>)
                    if (!static_cast<bool>(c.on_epoch_begin)) return;
                c.on_epoch_begin(ctx, epoch);
            }
        }
        void batch_end(training_context& ctx, std::int64_t batch, const logs& l) override {
            if constexpr (detail::hook_batch_end<U>) {
                U& c = obj();
                if constexpr (detail::optional_batch_end<U>)
                    if (!static_cast<bool>(c.on_train_batch_end)) return;
                c.on_train_batch_end(ctx, batch, l);
            }
        }
        void epoch_end(training_context& ctx, int epoch, const logs& l) override {
            if constexpr (detail::hook_epoch_end<U>) {
                U& c = obj();
                if constexpr (detail::optional_epoch_end<U>)
                    if (!static_cast<bool>(c.on_epoch_end)) return;
                c.on_epoch_end(ctx, epoch, l);
            }
        }
        void train_end(training_context& ctx, const logs& l) override {
            if constexpr (detail::hook_train_end<U>) {
                U& c = obj();
                if constexpr (detail::optional_train_end<U>)
                    if (!static_cast<bool>(c.on_train_end)) return;
                c.on_train_end(ctx, l);
            }
        }
        void* target(const void* tag) noexcept override {
            if (tag == &detail::type_tag<C>::id) return &held;
            if constexpr (!std::is_same_v<C, U>)
                if (tag == &detail::type_tag<U>::id) return &obj();
            return nullptr;
        }
    };

    template <class C>
    static std::unique_ptr<base> make(C c) {
        using U = typename detail::unwrap<C>::type;
        static_assert(std::is_copy_constructible_v<C>,
                      "tfx: callback: a callback type must be copyable (hold a std::shared_ptr to what cannot be "
                      "copied, or pass std::ref(object))");
        static_assert(detail::check_callback_type<U>());
        return std::make_unique<model<C>>(std::move(c));
    }

    std::unique_ptr<base> p_;
};

// ------------------------------------------------------------------------------------------------
// Shared helpers: monitoring, number formatting

namespace detail {

// Whether a larger value of `monitor` is better. mode "auto": a name containing acc, auc,
// precision or recall is maximized, anything else (loss, mse, ...) minimized.
bool maximizes(std::string_view who, std::string_view monitor, std::string_view mode);

// Keras warns when the monitored metric is missing; tfx says so once per training run, on std::cerr.
void warn_missing(bool& warned, std::string_view who, std::string_view monitor, const logs& l);

std::string printf_double(const char* format, double v);

// A value as Keras's progress bar prints it: 4 decimals, or %.4e when tiny (|v| <= 1e-3, zero
// included, as Keras does) or huge (|v| >= 1e9, where Keras would print all the integer digits).
std::string metric_value(double v);

// A duration per unit as Keras prints it: "2s/step", "15ms/step", "120us/step".
std::string format_time(double t, std::string_view unit);

// Keras's ETA: "1:02:03", "2:05" or "12s" (whole seconds, truncated).
std::string format_eta(double eta);

// Python's repr(float), which Keras's CSV files and filepath templates use: the shortest digits that
// read back to the same double, in exponent notation outside [1e-4, 1e16) ("0.1", "1.0", "1e-05").
std::string python_repr(double v);

// Python's str.format for the fields of a checkpoint path: "{epoch}", "{epoch:02d}",
// "{val_loss:.2f}", "{{" and "}}". The spec is [0][width][.precision][d|f|F|e|E|g|G].
struct format_spec {
    bool zero = false;
    int width = 0;
    int precision = -1;
    char type = 0;
};

format_spec parse_format_spec(std::string_view spec, std::string_view pattern);

// Pads `s` on the left to the spec's width, with zeros after the sign when the spec says 0.
std::string pad(std::string s, const format_spec& f);

std::string format_number(double v, bool integer, const format_spec& f, std::string_view name,
                          std::string_view pattern);

std::string format_filepath(std::string_view pattern, int epoch_1based, const logs& l);

bool stdout_is_terminal() noexcept;

double steady_seconds();

struct progbar_state {
    bool live = false;                  // redrawn bar (verbose 1 on a terminal)
    double start = 0;                   // epoch start
    double after_first_step = 0;        // time at the end of the first batch
    bool first_step_done = false;
    double last_draw = -std::numeric_limits<double>::infinity();
    std::int64_t seen = 0;              // batches done this epoch
    std::size_t drawn = 0;              // length of the last line drawn, to blank what is left of it
};

struct monitor_state {
    bool warned = false;  // the missing-metric warning was given in this run
};

struct csv_state {
    std::shared_ptr<std::ofstream> file;  // shared: a callback must be copyable
    std::vector<std::string> keys;        // the columns after "epoch", fixed by the first epoch
    bool keys_set = false;
    bool header = true;  // write the header (not when appending to a file that has content)
};

struct tensorboard_state {
    std::shared_ptr<summary::file_writer> train, validation;  // shared: a callback must be copyable
    std::int64_t batches = 0;                                  // global batch counter of this run
};

}  // namespace detail

// ------------------------------------------------------------------------------------------------
// progbar: the Keras progress display. fit puts one first unless verbose == 0.
//
// verbose 1 on a terminal (or force_tty): a bar redrawn with '\r' at most every `interval` seconds
// and at the end of the epoch:
//     Epoch 3/20
//     45/45 [==============================] - 0s 2ms/step - loss: 0.1234 - accuracy: 0.9712 - val_loss: ...
// verbose 2, or verbose 1 when `out` is not a terminal: the final line of each epoch only:
//     45/45 - 0s - loss: 0.1234 - accuracy: 0.9712 - val_loss: ... - 2ms/step
// verbose 0: nothing. "Epoch N/M" is printed when there is more than one epoch, as Keras does.
struct progbar {
    std::ostream* out = &std::cout;
    int verbose = 1;
    bool force_tty = false;                // draw the live bar even if `out` is not a terminal
    int width = 30;                        // characters between [ and ]
    double interval = 0.05;                // seconds between two redraws of the live bar
    std::function<double()> clock{};       // seconds; a steady clock when empty (tests pass their own)
    detail::progbar_state impl{};          // not part of the API

    void on_train_begin(training_context&);
    void on_epoch_begin(training_context& ctx, int epoch);
    void on_train_batch_end(training_context& ctx, std::int64_t batch, const logs& batch_logs);
    void on_epoch_end(training_context& ctx, int, const logs& epoch_logs);

   private:
    bool silent() const noexcept { return verbose == 0 || out == nullptr; }
    double now() const { return clock ? clock() : detail::steady_seconds(); }

    // "45/45", the count right-aligned to the width of the target, as Keras does.
    static std::string count(std::int64_t current, std::int64_t target);
    static std::string metrics(const logs& l);
    // Seconds per step, leaving out the first step (which often includes one-off work), as Keras does.
    double step_time(std::int64_t current, double t) const;

    void draw(std::int64_t current, std::int64_t target, const logs& l, double t, bool final);
};

// ------------------------------------------------------------------------------------------------
// early_stopping: stop when the monitored metric has stopped improving (Keras's EarlyStopping).
//
// An epoch improves when the value beats the best so far by more than min_delta (below it in "min"
// mode, above it in "max" mode). After `patience` epochs in a row without improvement, it sets
// ctx.stop_training. With a baseline, an epoch that improves but does not beat the baseline does
// not reset the count. With restore_best_weights, the weights of the best epoch are put back at the
// end of training (ctx.get_weights / ctx.set_weights).
struct early_stopping {
    std::string monitor = "val_loss";
    double min_delta = 0;                 // its absolute value is used
    int patience = 0;
    std::string mode = "auto";            // "auto", "min" or "max"
    bool restore_best_weights = false;
    int start_from_epoch = 0;             // epochs before this one are not monitored (warm-up)
    std::optional<double> baseline{};     // a value the metric must beat to count as progress
    int verbose = 0;                      // 1: say when it stops and restores (std::cout)

    // The state, readable after training (Keras's attributes); reset by on_train_begin.
    int wait = 0;                         // epochs since the last improvement
    int stopped_epoch = 0;                // the epoch (0-based) that stopped training; 0 if none did
    int best_epoch = 0;
    double best = std::numeric_limits<double>::infinity();
    std::any best_weights{};              // ctx.get_weights() at best_epoch, with restore_best_weights
    detail::monitor_state impl{};         // not part of the API

    void on_train_begin(training_context& ctx);
    void on_epoch_end(training_context& ctx, int epoch, const logs& epoch_logs);
    void on_train_end(training_context& ctx, const logs&);

   private:
    bool improves(double value, double reference, bool max) const;
};

// ------------------------------------------------------------------------------------------------
// model_checkpoint: save the model (and optimizer) at the end of each epoch through
// ctx.save_checkpoint, to `filepath` formatted as Python's str.format with epoch (1-based) and the
// logs: "ckpt-{epoch:02d}.npz" -> "ckpt-03.npz", "best-{val_loss:.2f}.npz" -> "best-0.25.npz".
// Missing parent directories are created. With save_best_only, only when the monitored metric
// improves on the best so far (kept across fits, as Keras does).
struct model_checkpoint {
    std::string filepath{};
    std::string monitor = "val_loss";
    bool save_best_only = false;
    std::string mode = "auto";
    int verbose = 0;                                  // 1: say what it saves (std::cout)
    std::optional<double> initial_value_threshold{};  // the value to beat for the first save_best_only save

    std::optional<double> best{};                     // the best value saved so far
    detail::monitor_state impl{};                     // not part of the API

    void on_train_begin(training_context& ctx);
    void on_epoch_end(training_context& ctx, int epoch, const logs& epoch_logs);

   private:
    static void save(training_context& ctx, const std::string& path);
};

// ------------------------------------------------------------------------------------------------
// tensorboard: TensorBoard event files in Keras's layout. <log_dir>/train gets "epoch_<name>" for
// each training metric (epoch_loss, epoch_accuracy) and <log_dir>/validation "epoch_<name>" for each
// val_<name>, at step = epoch (0-based); every histogram_freq epochs (epoch % histogram_freq == 0)
// ctx.write_histograms writes the weights to the train writer. With update_freq = N > 0, also
// "batch_<name>" every N batches, at the global batch count (Keras's integer update_freq).
// The train writer is created by on_train_begin, the validation one at the first val_ metric; both
// are flushed at each epoch end and closed by on_train_end.
struct tensorboard {
    std::string log_dir = "logs";
    int histogram_freq = 0;          // 0: no histograms
    std::int64_t update_freq = 0;    // 0: per epoch only (Keras's "epoch")
    detail::tensorboard_state impl{};  // not part of the API

    void on_train_begin(training_context&);
    void on_train_batch_end(training_context&, std::int64_t, const logs& batch_logs);
    void on_epoch_end(training_context& ctx, int epoch, const logs& epoch_logs);
    void on_train_end(training_context&, const logs&);

   private:
    summary::file_writer& train_writer();
    summary::file_writer& validation_writer();
};

// ------------------------------------------------------------------------------------------------
// csv_logger: one row per epoch in a CSV file, flushed at once (Keras's CSVLogger). The header is
// "epoch" and the keys of the first epoch's logs sorted by name, as Keras writes them; epochs are
// 0-based, values in Python's repr ("0.25", "1e-05"), "NA" for a key an epoch lacks. With append,
// rows are added to an existing file, and the header is written only if the file is new or empty.
struct csv_logger {
    std::string filename{};
    char separator = ',';
    bool append = false;
    detail::csv_state impl{};  // not part of the API

    void on_train_begin(training_context&) { open(); }

    void on_epoch_end(training_context&, int epoch, const logs& epoch_logs);
    void on_train_end(training_context&, const logs&);

   private:
    void open();
    void write(const std::string& row);
    // A header field quoted as Python's csv module does when it holds the separator, a quote or a newline.
    std::string field(const std::string& s) const;
};

// ------------------------------------------------------------------------------------------------
// terminate_on_nan: when a batch's loss is NaN or infinite, prints "Batch N: Invalid loss,
// terminating training" (std::cout, N 0-based, as Keras) and sets ctx.stop_training; fit then stops
// after that batch and throws tfx::value_error.
struct terminate_on_nan {
    void on_train_batch_end(training_context& ctx, std::int64_t batch, const logs& batch_logs);
};

// ------------------------------------------------------------------------------------------------
// lambda_callback: hooks given as functions (Keras's LambdaCallback); the ones left empty are skipped.
//   callbacks::lambda_callback{.on_epoch_end = [](auto& ctx, int epoch, const logs& l) { ... }}
struct lambda_callback {
    std::function<void(training_context&, int epoch)> on_epoch_begin{};
    std::function<void(training_context&, int epoch, const logs&)> on_epoch_end{};
    std::function<void(training_context&, std::int64_t batch, const logs&)> on_train_batch_end{};
    std::function<void(training_context&)> on_train_begin{};
    std::function<void(training_context&, const logs&)> on_train_end{};
};

}  // namespace tfx::callbacks

#ifndef TFX_COMPILED_LIB
#include "impl/callbacks.ipp"
#endif
