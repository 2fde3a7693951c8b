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
#include "../summary/file_writer.hpp"
#include "logs.hpp"

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

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
inline bool maximizes(std::string_view who, std::string_view monitor, std::string_view mode) {
    if (mode == "min") return false;
    if (mode == "max") return true;
    if (mode != "auto")
        throw value_error("tfx: " + std::string(who) + ": mode must be \"auto\", \"min\" or \"max\", got \"" +
                          std::string(mode) + "\"");
    for (std::string_view word : {"acc", "auc", "precision", "recall"})
        if (monitor.find(word) != std::string_view::npos) return true;
    return false;
}

// Keras warns when the monitored metric is missing; tfx says so once per training run, on std::cerr.
inline void warn_missing(bool& warned, std::string_view who, std::string_view monitor, const logs& l) {
    if (warned) return;
    warned = true;
    std::cerr << "tfx: warning: " << who << " monitors '" << monitor << "', which is not in the logs ("
              << (l.empty() ? std::string("no keys") : "keys: " + l.keys()) << "); skipping it\n";
}

inline std::string printf_double(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

// A value as Keras's progress bar prints it: 4 decimals, or %.4e when tiny (|v| <= 1e-3, zero
// included, as Keras does) or huge (|v| >= 1e9, where Keras would print all the integer digits).
inline std::string metric_value(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    const double a = std::fabs(v);
    return printf_double(a > 1e-3 && a < 1e9 ? "%.4f" : "%.4e", v);
}

// A duration per unit as Keras prints it: "2s/step", "15ms/step", "120us/step".
inline std::string format_time(double t, std::string_view unit) {
    std::string r = t >= 1 || t == 0 ? printf_double("%.0fs/", t)
                    : t >= 1e-3      ? printf_double("%.0fms/", t * 1e3)
                                     : printf_double("%.0fus/", t * 1e6);
    return r += unit;
}

// Keras's ETA: "1:02:03", "2:05" or "12s" (whole seconds, truncated).
inline std::string format_eta(double eta) {
    const long long e = eta > 0 ? static_cast<long long>(eta) : 0;
    char buf[64];
    if (eta > 3600)
        std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", e / 3600, (e % 3600) / 60, e % 60);
    else if (eta > 60)
        std::snprintf(buf, sizeof buf, "%lld:%02lld", e / 60, e % 60);
    else
        std::snprintf(buf, sizeof buf, "%llds", e);
    return buf;
}

// Python's repr(float), which Keras's CSV files and filepath templates use: the shortest digits that
// read back to the same double, in exponent notation outside [1e-4, 1e16) ("0.1", "1.0", "1e-05").
inline std::string python_repr(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[48];
    const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    std::string_view s(buf, static_cast<std::size_t>(res.ptr - buf));  // "-d.ddde+XX"
    std::string out;
    if (s.front() == '-') {
        out = "-";
        s.remove_prefix(1);
    }
    const std::size_t e_pos = s.find('e');
    std::string digits;
    for (char c : s.substr(0, e_pos))
        if (c != '.') digits += c;
    const int exp = std::atoi(std::string(s.substr(e_pos + 1)).c_str());
    if (exp < -4 || exp >= 16) {
        out += digits[0];
        if (digits.size() > 1) (out += '.').append(digits, 1);
        char e[16];
        std::snprintf(e, sizeof e, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        out += e;
    } else if (exp >= 0) {
        const std::size_t int_len = static_cast<std::size_t>(exp) + 1;
        if (digits.size() <= int_len)
            out.append(digits).append(int_len - digits.size(), '0').append(".0");
        else
            out.append(digits, 0, int_len).append(".").append(digits, int_len);
    } else {
        out.append("0.").append(static_cast<std::size_t>(-exp - 1), '0').append(digits);
    }
    return out;
}

// Python's str.format for the fields of a checkpoint path: "{epoch}", "{epoch:02d}",
// "{val_loss:.2f}", "{{" and "}}". The spec is [0][width][.precision][d|f|F|e|E|g|G].
struct format_spec {
    bool zero = false;
    int width = 0;
    int precision = -1;
    char type = 0;
};

inline format_spec parse_format_spec(std::string_view spec, std::string_view pattern) {
    format_spec f;
    std::size_t i = 0;
    auto number = [&] {
        int n = 0;
        for (; i < spec.size() && spec[i] >= '0' && spec[i] <= '9'; ++i) n = std::min(n * 10 + (spec[i] - '0'), 100000);
        return n;
    };
    if (i < spec.size() && spec[i] == '0') {
        f.zero = true;
        ++i;
    }
    f.width = number();
    if (i < spec.size() && spec[i] == '.') {
        ++i;
        const std::size_t start = i;
        f.precision = number();
        if (i == start) f.precision = -2;  // "." without digits: rejected below
    }
    if (i < spec.size() && std::string_view("dfFeEgG").find(spec[i]) != std::string_view::npos) f.type = spec[i++];
    if (i != spec.size() || f.precision == -2 || f.width > 256 || f.precision > 64)
        throw value_error("tfx: model_checkpoint: filepath '" + std::string(pattern) + "' has the format spec ':" +
                          std::string(spec) + "', which tfx does not support (use [0][width][.precision][d|f|e|g])");
    return f;
}

// Pads `s` on the left to the spec's width, with zeros after the sign when the spec says 0.
inline std::string pad(std::string s, const format_spec& f) {
    if (static_cast<int>(s.size()) >= f.width) return s;
    const std::size_t fill = static_cast<std::size_t>(f.width) - s.size();
    const std::size_t at = f.zero && !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
    s.insert(f.zero ? at : 0, fill, f.zero ? '0' : ' ');
    return s;
}

inline std::string format_number(double v, bool integer, const format_spec& f, std::string_view name,
                                 std::string_view pattern) {
    if (f.type == 'd' || (f.type == 0 && integer)) {
        if (!integer || f.precision >= 0)
            throw value_error("tfx: model_checkpoint: filepath '" + std::string(pattern) + "' formats '" +
                              std::string(name) + "' as an integer; " +
                              (integer ? "an integer takes no precision" : "it is a real number (use f, e or g)"));
        return pad(std::to_string(static_cast<long long>(v)), f);
    }
    if (f.type == 0 && f.precision < 0) return pad(python_repr(v), f);
    const std::string format = "%." + std::to_string(f.precision < 0 ? 6 : f.precision) + (f.type ? f.type : 'g');
    return pad(printf_double(format.c_str(), v), f);
}

inline std::string format_filepath(std::string_view pattern, int epoch_1based, const logs& l) {
    std::string out;
    for (std::size_t i = 0; i < pattern.size();) {
        const char c = pattern[i];
        if ((c == '{' || c == '}') && i + 1 < pattern.size() && pattern[i + 1] == c) {  // "{{", "}}"
            out += c;
            i += 2;
            continue;
        }
        if (c == '}')
            throw value_error("tfx: model_checkpoint: filepath '" + std::string(pattern) +
                              "' has a single '}' (write '}}' for a brace)");
        if (c != '{') {
            out += c;
            ++i;
            continue;
        }
        const std::size_t close = pattern.find('}', i);
        if (close == std::string_view::npos)
            throw value_error("tfx: model_checkpoint: filepath '" + std::string(pattern) +
                              "' has an unclosed '{' (write '{{' for a brace)");
        const std::string_view field = pattern.substr(i + 1, close - i - 1);
        const std::size_t colon = field.find(':');
        const std::string_view name = field.substr(0, colon);
        const format_spec spec =
            parse_format_spec(colon == std::string_view::npos ? std::string_view{} : field.substr(colon + 1), pattern);
        if (name == "epoch") {
            out += format_number(epoch_1based, true, spec, name, pattern);
        } else if (const double* v = l.find(name)) {
            out += format_number(*v, false, spec, name, pattern);
        } else {
            throw value_error("tfx: model_checkpoint: filepath '" + std::string(pattern) + "' names '" +
                              std::string(name) + "', which is neither epoch nor a key of the logs (" +
                              (l.empty() ? std::string("no keys") : "keys: " + l.keys()) + ")");
        }
        i = close + 1;
    }
    return out;
}

inline bool stdout_is_terminal() noexcept {
#if __has_include(<unistd.h>)
    return ::isatty(::fileno(stdout)) != 0;
#else
    return false;
#endif
}

inline double steady_seconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

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

    void on_train_begin(training_context&) {
        if (verbose < 0 || verbose > 2)
            throw value_error("tfx: progbar: verbose must be 0, 1 or 2, got " + std::to_string(verbose));
        impl.live = verbose == 1 && (force_tty || (out == &std::cout && detail::stdout_is_terminal()));
    }

    void on_epoch_begin(training_context& ctx, int epoch) {
        if (silent()) return;
        const bool live = impl.live;
        impl = detail::progbar_state{};
        impl.live = live;
        impl.start = now();
        if (ctx.epochs > 1) *out << "Epoch " << epoch + 1 << '/' << ctx.epochs << '\n' << std::flush;
    }

    void on_train_batch_end(training_context& ctx, std::int64_t batch, const logs& batch_logs) {
        if (silent()) return;
        const double t = now();
        impl.seen = batch + 1;
        if (impl.seen == 1) {
            impl.after_first_step = t;
            impl.first_step_done = true;
        }
        if (impl.live && t - impl.last_draw >= interval) draw(impl.seen, ctx.steps, batch_logs, t, false);
    }

    void on_epoch_end(training_context& ctx, int, const logs& epoch_logs) {
        if (silent()) return;
        const double t = now();
        const std::int64_t target = ctx.steps >= 0 ? ctx.steps : impl.seen;
        // An epoch cut short (stop_training) shows how far it got.
        const std::int64_t current = impl.seen > 0 && impl.seen < target ? impl.seen : target;
        if (impl.live) {
            draw(current, target, epoch_logs, t, true);
        } else {
            const double elapsed = t - impl.start;
            *out << count(current, target) << " - " << detail::printf_double("%.0f", elapsed) << 's'
                 << metrics(epoch_logs) << " - "
                 << detail::format_time(current > 0 ? elapsed / double(current) : 0.0, "step") << '\n'
                 << std::flush;
        }
    }

   private:
    bool silent() const noexcept { return verbose == 0 || out == nullptr; }
    double now() const { return clock ? clock() : detail::steady_seconds(); }

    // "45/45", the count right-aligned to the width of the target, as Keras does.
    static std::string count(std::int64_t current, std::int64_t target) {
        const int digits = static_cast<int>(std::to_string(target).size());
        char buf[64];
        std::snprintf(buf, sizeof buf, "%*lld/%lld", digits, static_cast<long long>(current),
                      static_cast<long long>(target));
        return buf;
    }
    static std::string metrics(const logs& l) {
        std::string r;
        for (const auto& [name, value] : l) r.append(" - ").append(name).append(": ").append(detail::metric_value(value));
        return r;
    }
    // Seconds per step, leaving out the first step (which often includes one-off work), as Keras does.
    double step_time(std::int64_t current, double t) const {
        if (current <= 0) return 0;
        if (current > 1 && impl.first_step_done) return (t - impl.after_first_step) / double(current - 1);
        return (t - impl.start) / double(current);
    }

    void draw(std::int64_t current, std::int64_t target, const logs& l, double t, bool final) {
        std::string bar;
        if (target >= 0) {
            bar = count(current, target) + " [";
            const int w = std::max(width, 1);
            const double progress = target > 0 ? double(current) / double(target) : 1.0;
            const int filled = std::clamp(static_cast<int>(w * progress), 0, w);
            if (filled > 0) bar.append(std::size_t(filled - 1), '=').push_back(current < target ? '>' : '=');
            bar.append(std::size_t(w - filled), '.').push_back(']');
        } else {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%7lld/Unknown", static_cast<long long>(current));
            bar = buf;
        }
        const double per_step = step_time(current, t);
        std::string info = target < 0 || final
                               ? " - " + detail::printf_double("%.0f", t - impl.start) + "s " +
                                     detail::format_time(per_step, "step")
                               : " - ETA: " + detail::format_eta(per_step * double(target - current));
        info += metrics(l);
        const std::size_t total = bar.size() + info.size();
        if (impl.drawn > total) info.append(impl.drawn - total, ' ');  // blank the rest of a longer line
        impl.drawn = total;
        impl.last_draw = t;
        *out << '\r' << bar << info;
        if (final) *out << '\n';
        *out << std::flush;
    }
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

    void on_train_begin(training_context& ctx) {
        const bool max = detail::maximizes("early_stopping", monitor, mode);
        if (restore_best_weights && (!ctx.get_weights || !ctx.set_weights))
            throw value_error("tfx: early_stopping: restore_best_weights needs the training context's get_weights "
                              "and set_weights");
        wait = 0;
        stopped_epoch = 0;
        best_epoch = 0;
        best = max ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
        best_weights.reset();
        impl = {};
    }

    void on_epoch_end(training_context& ctx, int epoch, const logs& epoch_logs) {
        const double* current = epoch_logs.find(monitor);
        if (!current) return detail::warn_missing(impl.warned, "early_stopping", monitor, epoch_logs);
        if (epoch < start_from_epoch) return;
        const bool max = detail::maximizes("early_stopping", monitor, mode);
        const bool improved = improves(*current, best, max);
        // The first monitored epoch is the best so far even if it does not improve (a NaN loss).
        if (restore_best_weights && (improved || !best_weights.has_value())) {
            best_weights = ctx.get_weights();
            best_epoch = epoch;
        }
        ++wait;
        if (improved) {
            best = *current;
            best_epoch = epoch;
            if (!baseline || improves(*current, *baseline, max)) wait = 0;
            return;
        }
        if (wait >= patience && epoch > 0) {
            stopped_epoch = epoch;
            ctx.stop_training = true;
        }
    }

    void on_train_end(training_context& ctx, const logs&) {
        if (stopped_epoch > 0 && verbose > 0) std::cout << "Epoch " << stopped_epoch + 1 << ": early stopping\n";
        if (restore_best_weights && best_weights.has_value()) {
            if (verbose > 0)
                std::cout << "Restoring model weights from the end of the best epoch: " << best_epoch + 1 << ".\n";
            ctx.set_weights(best_weights);
        }
        if (verbose > 0) std::cout << std::flush;
    }

   private:
    bool improves(double value, double reference, bool max) const {
        const double d = std::fabs(min_delta);
        return max ? value - d > reference : value + d < reference;
    }
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

    void on_train_begin(training_context& ctx) {
        detail::maximizes("model_checkpoint", monitor, mode);
        if (filepath.empty()) throw value_error("tfx: model_checkpoint: filepath is empty");
        if (!ctx.save_checkpoint)
            throw value_error("tfx: model_checkpoint: the training context has no save_checkpoint");
        impl = {};
    }

    void on_epoch_end(training_context& ctx, int epoch, const logs& epoch_logs) {
        const std::string path = detail::format_filepath(filepath, epoch + 1, epoch_logs);
        if (save_best_only) {
            const double* current = epoch_logs.find(monitor);
            if (!current) return detail::warn_missing(impl.warned, "model_checkpoint", monitor, epoch_logs);
            const bool max = detail::maximizes("model_checkpoint", monitor, mode);
            const std::optional<double> reference = best ? best : initial_value_threshold;
            const double shown = reference ? *reference
                                 : max     ? -std::numeric_limits<double>::infinity()
                                           : std::numeric_limits<double>::infinity();
            if (reference && !(max ? *current > *reference : *current < *reference)) {
                if (verbose > 0)
                    std::cout << "\nEpoch " << epoch + 1 << ": " << monitor << " did not improve from "
                              << detail::printf_double("%.5f", shown) << '\n'
                              << std::flush;
                return;
            }
            if (verbose > 0)
                std::cout << "\nEpoch " << epoch + 1 << ": " << monitor << " improved from "
                          << detail::printf_double("%.5f", shown) << " to " << detail::printf_double("%.5f", *current)
                          << ", saving model to " << path << '\n'
                          << std::flush;
            best = *current;
        } else if (verbose > 0) {
            std::cout << "\nEpoch " << epoch + 1 << ": saving model to " << path << '\n' << std::flush;
        }
        save(ctx, path);
    }

   private:
    static void save(training_context& ctx, const std::string& path) {
        if (!ctx.save_checkpoint)
            throw value_error("tfx: model_checkpoint: the training context has no save_checkpoint");
        const std::filesystem::path parent = std::filesystem::path(path).parent_path();
        if (!parent.empty()) {
            std::error_code ec;
            std::filesystem::create_directories(parent, ec);
            if (ec)
                throw io_error("tfx: model_checkpoint: cannot create directory '" + parent.string() +
                               "': " + ec.message());
        }
        ctx.save_checkpoint(path);
    }
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

    void on_train_begin(training_context&) {
        if (histogram_freq < 0 || update_freq < 0)
            throw value_error("tfx: tensorboard: histogram_freq and update_freq must be >= 0, got " +
                              std::to_string(histogram_freq) + " and " + std::to_string(update_freq));
        impl = {};
        train_writer();
    }

    void on_train_batch_end(training_context&, std::int64_t, const logs& batch_logs) {
        ++impl.batches;
        if (update_freq <= 0 || impl.batches % update_freq != 0) return;
        auto& w = train_writer();
        for (const auto& [name, value] : batch_logs) w.scalar("batch_" + name, value, impl.batches);
    }

    void on_epoch_end(training_context& ctx, int epoch, const logs& epoch_logs) {
        for (const auto& [name, value] : epoch_logs) {
            if (name.starts_with("val_"))
                validation_writer().scalar("epoch_" + name.substr(4), value, epoch);
            else
                train_writer().scalar("epoch_" + name, value, epoch);
        }
        if (histogram_freq > 0 && epoch % histogram_freq == 0 && ctx.write_histograms)
            ctx.write_histograms(train_writer(), epoch);
        if (impl.train) impl.train->flush();
        if (impl.validation) impl.validation->flush();
    }

    void on_train_end(training_context&, const logs&) {
        auto train = std::move(impl.train);
        auto validation = std::move(impl.validation);
        impl.train.reset();
        impl.validation.reset();
        if (train) train->close();
        if (validation) validation->close();
    }

   private:
    summary::file_writer& train_writer() {
        if (!impl.train) impl.train = std::make_shared<summary::file_writer>(std::filesystem::path(log_dir) / "train");
        return *impl.train;
    }
    summary::file_writer& validation_writer() {
        if (!impl.validation)
            impl.validation = std::make_shared<summary::file_writer>(std::filesystem::path(log_dir) / "validation");
        return *impl.validation;
    }
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

    void on_epoch_end(training_context&, int epoch, const logs& epoch_logs) {
        if (!impl.file) open();
        if (!impl.keys_set) {
            impl.keys.clear();
            for (const auto& item : epoch_logs) impl.keys.push_back(item.first);
            std::sort(impl.keys.begin(), impl.keys.end());
            impl.keys_set = true;
            if (impl.header) {
                std::string row = "epoch";
                for (const auto& k : impl.keys) (row += separator) += field(k);
                write(row);
            }
        }
        std::string row = std::to_string(epoch);
        for (const auto& k : impl.keys) {
            const double* v = epoch_logs.find(k);
            (row += separator) += v ? detail::python_repr(*v) : std::string("NA");
        }
        write(row);
    }

    void on_train_end(training_context&, const logs&) {
        if (impl.file) impl.file->close();
        impl = {};
    }

   private:
    void open() {
        std::error_code ec;
        const bool has_content = append && std::filesystem::exists(filename, ec) &&
                                 std::filesystem::file_size(filename, ec) > 0 && !ec;
        auto file = std::make_shared<std::ofstream>(
            filename, std::ios::binary | std::ios::out | (append ? std::ios::app : std::ios::trunc));
        if (!*file)
            throw io_error("tfx: csv_logger: cannot open '" + filename + "' for writing: " + std::strerror(errno));
        impl = {};
        impl.file = std::move(file);
        impl.header = !has_content;
    }
    void write(const std::string& row) {
        *impl.file << row << '\n';
        impl.file->flush();
        if (!*impl.file) throw io_error("tfx: csv_logger: cannot write to '" + filename + "'");
    }
    // A header field quoted as Python's csv module does when it holds the separator, a quote or a newline.
    std::string field(const std::string& s) const {
        if (s.find_first_of(std::string{separator, '"', '\n', '\r'}) == std::string::npos) return s;
        std::string r = "\"";
        for (char c : s) (c == '"' ? r += "\"\"" : r += c);
        return r += '"';
    }
};

// ------------------------------------------------------------------------------------------------
// terminate_on_nan: when a batch's loss is NaN or infinite, prints "Batch N: Invalid loss,
// terminating training" (std::cout, N 0-based, as Keras) and sets ctx.stop_training; fit then stops
// after that batch and throws tfx::value_error.
struct terminate_on_nan {
    void on_train_batch_end(training_context& ctx, std::int64_t batch, const logs& batch_logs) {
        const double* loss = batch_logs.find("loss");
        if (!loss || std::isfinite(*loss)) return;
        std::cout << "Batch " << batch << ": Invalid loss, terminating training\n" << std::flush;
        ctx.stop_training = true;
    }
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
