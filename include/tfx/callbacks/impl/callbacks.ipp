#pragma once
// Definitions of callbacks.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../callbacks.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <system_error>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace tfx::callbacks {

namespace detail {

TFX_INLINE bool maximizes(std::string_view who, std::string_view monitor, std::string_view mode) {
    if (mode == "min") return false;
    if (mode == "max") return true;
    if (mode != "auto")
        throw value_error("tfx: " + std::string(who) + ": mode must be \"auto\", \"min\" or \"max\", got \"" +
                          std::string(mode) + "\"");
    for (std::string_view word : {"acc", "auc", "precision", "recall"})
        if (monitor.find(word) != std::string_view::npos) return true;
    return false;
}

TFX_INLINE void warn_missing(bool& warned, std::string_view who, std::string_view monitor, const logs& l) {
    if (warned) return;
    warned = true;
    std::cerr << "tfx: warning: " << who << " monitors '" << monitor << "', which is not in the logs ("
              << (l.empty() ? std::string("no keys") : "keys: " + l.keys()) << "); skipping it\n";
}

TFX_INLINE std::string printf_double(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

TFX_INLINE std::string metric_value(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    const double a = std::fabs(v);
    return printf_double(a > 1e-3 && a < 1e9 ? "%.4f" : "%.4e", v);
}

TFX_INLINE std::string format_time(double t, std::string_view unit) {
    std::string r = t >= 1 || t == 0 ? printf_double("%.0fs/", t)
                    : t >= 1e-3      ? printf_double("%.0fms/", t * 1e3)
                                     : printf_double("%.0fus/", t * 1e6);
    return r += unit;
}

TFX_INLINE std::string format_eta(double eta) {
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

TFX_INLINE std::string python_repr(double v) {
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

TFX_INLINE format_spec parse_format_spec(std::string_view spec, std::string_view pattern) {
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

TFX_INLINE std::string pad(std::string s, const format_spec& f) {
    if (static_cast<int>(s.size()) >= f.width) return s;
    const std::size_t fill = static_cast<std::size_t>(f.width) - s.size();
    const std::size_t at = f.zero && !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
    s.insert(f.zero ? at : 0, fill, f.zero ? '0' : ' ');
    return s;
}

TFX_INLINE std::string format_number(double v, bool integer, const format_spec& f, std::string_view name,
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

TFX_INLINE std::string format_filepath(std::string_view pattern, int epoch_1based, const logs& l) {
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

TFX_INLINE bool stdout_is_terminal() noexcept {
#if __has_include(<unistd.h>)
    return ::isatty(::fileno(stdout)) != 0;
#else
    return false;
#endif
}

TFX_INLINE double steady_seconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace detail

TFX_INLINE void progbar::on_train_begin(training_context&) {
    if (verbose < 0 || verbose > 2)
        throw value_error("tfx: progbar: verbose must be 0, 1 or 2, got " + std::to_string(verbose));
    impl.live = verbose == 1 && (force_tty || (out == &std::cout && detail::stdout_is_terminal()));
}

TFX_INLINE void progbar::on_epoch_begin(training_context& ctx, int epoch) {
    if (silent()) return;
    const bool live = impl.live;
    impl = detail::progbar_state{};
    impl.live = live;
    impl.start = now();
    if (ctx.epochs > 1) *out << "Epoch " << epoch + 1 << '/' << ctx.epochs << '\n' << std::flush;
}

TFX_INLINE void progbar::on_train_batch_end(training_context& ctx, std::int64_t batch, const logs& batch_logs) {
    if (silent()) return;
    const double t = now();
    impl.seen = batch + 1;
    if (impl.seen == 1) {
        impl.after_first_step = t;
        impl.first_step_done = true;
    }
    if (impl.live && t - impl.last_draw >= interval) draw(impl.seen, ctx.steps, batch_logs, t, false);
}

TFX_INLINE void progbar::on_epoch_end(training_context& ctx, int, const logs& epoch_logs) {
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

TFX_INLINE std::string progbar::count(std::int64_t current, std::int64_t target) {
    const int digits = static_cast<int>(std::to_string(target).size());
    char buf[64];
    std::snprintf(buf, sizeof buf, "%*lld/%lld", digits, static_cast<long long>(current),
                  static_cast<long long>(target));
    return buf;
}

TFX_INLINE std::string progbar::metrics(const logs& l) {
    std::string r;
    for (const auto& [name, value] : l) r.append(" - ").append(name).append(": ").append(detail::metric_value(value));
    return r;
}

TFX_INLINE double progbar::step_time(std::int64_t current, double t) const {
    if (current <= 0) return 0;
    if (current > 1 && impl.first_step_done) return (t - impl.after_first_step) / double(current - 1);
    return (t - impl.start) / double(current);
}

TFX_INLINE void progbar::draw(std::int64_t current, std::int64_t target, const logs& l, double t, bool final) {
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

TFX_INLINE void early_stopping::on_train_begin(training_context& ctx) {
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

TFX_INLINE void early_stopping::on_epoch_end(training_context& ctx, int epoch, const logs& epoch_logs) {
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

TFX_INLINE void early_stopping::on_train_end(training_context& ctx, const logs&) {
    if (stopped_epoch > 0 && verbose > 0) std::cout << "Epoch " << stopped_epoch + 1 << ": early stopping\n";
    if (restore_best_weights && best_weights.has_value()) {
        if (verbose > 0)
            std::cout << "Restoring model weights from the end of the best epoch: " << best_epoch + 1 << ".\n";
        ctx.set_weights(best_weights);
    }
    if (verbose > 0) std::cout << std::flush;
}

TFX_INLINE bool early_stopping::improves(double value, double reference, bool max) const {
    const double d = std::fabs(min_delta);
    return max ? value - d > reference : value + d < reference;
}

TFX_INLINE void model_checkpoint::on_train_begin(training_context& ctx) {
    detail::maximizes("model_checkpoint", monitor, mode);
    if (filepath.empty()) throw value_error("tfx: model_checkpoint: filepath is empty");
    if (!ctx.save_checkpoint)
        throw value_error("tfx: model_checkpoint: the training context has no save_checkpoint");
    impl = {};
}

TFX_INLINE void model_checkpoint::on_epoch_end(training_context& ctx, int epoch, const logs& epoch_logs) {
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

TFX_INLINE void model_checkpoint::save(training_context& ctx, const std::string& path) {
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

TFX_INLINE void tensorboard::on_train_begin(training_context&) {
    if (histogram_freq < 0 || update_freq < 0)
        throw value_error("tfx: tensorboard: histogram_freq and update_freq must be >= 0, got " +
                          std::to_string(histogram_freq) + " and " + std::to_string(update_freq));
    impl = {};
    train_writer();
}

TFX_INLINE void tensorboard::on_train_batch_end(training_context&, std::int64_t, const logs& batch_logs) {
    ++impl.batches;
    if (update_freq <= 0 || impl.batches % update_freq != 0) return;
    auto& w = train_writer();
    for (const auto& [name, value] : batch_logs) w.scalar("batch_" + name, value, impl.batches);
}

TFX_INLINE void tensorboard::on_epoch_end(training_context& ctx, int epoch, const logs& epoch_logs) {
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

TFX_INLINE void tensorboard::on_train_end(training_context&, const logs&) {
    auto train = std::move(impl.train);
    auto validation = std::move(impl.validation);
    impl.train.reset();
    impl.validation.reset();
    if (train) train->close();
    if (validation) validation->close();
}

TFX_INLINE summary::file_writer& tensorboard::train_writer() {
    if (!impl.train) impl.train = std::make_shared<summary::file_writer>(std::filesystem::path(log_dir) / "train");
    return *impl.train;
}

TFX_INLINE summary::file_writer& tensorboard::validation_writer() {
    if (!impl.validation)
        impl.validation = std::make_shared<summary::file_writer>(std::filesystem::path(log_dir) / "validation");
    return *impl.validation;
}

TFX_INLINE void csv_logger::on_epoch_end(training_context&, int epoch, const logs& epoch_logs) {
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

TFX_INLINE void csv_logger::on_train_end(training_context&, const logs&) {
    if (impl.file) impl.file->close();
    impl = {};
}

TFX_INLINE void csv_logger::open() {
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

TFX_INLINE void csv_logger::write(const std::string& row) {
    *impl.file << row << '\n';
    impl.file->flush();
    if (!*impl.file) throw io_error("tfx: csv_logger: cannot write to '" + filename + "'");
}

TFX_INLINE std::string csv_logger::field(const std::string& s) const {
    if (s.find_first_of(std::string{separator, '"', '\n', '\r'}) == std::string::npos) return s;
    std::string r = "\"";
    for (char c : s) (c == '"' ? r += "\"\"" : r += c);
    return r += '"';
}

TFX_INLINE void terminate_on_nan::on_train_batch_end(training_context& ctx, std::int64_t batch,
                                                     const logs& batch_logs) {
    const double* loss = batch_logs.find("loss");
    if (!loss || std::isfinite(*loss)) return;
    std::cout << "Batch " << batch << ": Invalid loss, terminating training\n" << std::flush;
    ctx.stop_training = true;
}

}  // namespace tfx::callbacks
