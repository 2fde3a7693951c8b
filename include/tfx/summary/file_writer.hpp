#pragma once
// summary::file_writer: TensorBoard event files, as tf.summary.create_file_writer writes them.
//
//   tfx::summary::file_writer w("logs/run1");
//   w.scalar("loss", loss, epoch);
//   w.histogram("dense_1/kernel", W, epoch);   // any tensor or range of numbers
//   w.text("notes", "lr = 0.01", 0);
//
// The file is logdir/events.out.tfevents.<unix seconds>.<hostname>, a TFRecord file whose first
// record is an Event { wall_time, file_version: "brain.Event:2" }; then one Event per call.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "../core/errors.hpp"
#include "event.hpp"
#include "histogram.hpp"
#include "record_writer.hpp"

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace tfx::summary {

// The same knobs, and defaults, as tf.summary.create_file_writer.
struct file_writer_options {
    std::size_t max_queue = 10;  // flush when this many events are waiting
    std::chrono::milliseconds flush_interval{120'000};  // ... or, at the next event, when this long has passed
    std::string filename_suffix;                        // appended to the file name
};

namespace detail {
inline std::string hostname() {
#if __has_include(<unistd.h>)
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) == 0 && buf[0] != '\0') return buf;
#endif
    return "localhost";
}
inline double wall_time() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}
}  // namespace detail

class file_writer {
   public:
    // Creates `logdir` (and its parents) and a new event file in it, and writes the file_version
    // event at once, so that an unusable directory is reported here, as io_error naming the path.
    explicit file_writer(const std::filesystem::path& logdir, file_writer_options options = {})
        : logdir_(logdir), options_(std::move(options)), records_(open(logdir_, options_.filename_suffix)) {
        records_.write(event::file_version_event(detail::wall_time()));
        records_.flush();
        last_flush_ = std::chrono::steady_clock::now();
    }

    file_writer(file_writer&&) noexcept = default;
    file_writer& operator=(file_writer&&) noexcept = default;
    // Destruction flushes; errors there are swallowed (call flush() or close() to see them).
    ~file_writer() = default;

    // A scalar (stored as float32, like TensorBoard's scalars): loss, accuracy, learning rate per step.
    void scalar(std::string_view tag, double value, std::int64_t step) {
        add(step, event::scalar_value(tag, float(value)));
    }

    // A histogram of `values`: a tfx tensor, a std::vector, any range of numbers (with TensorFlow's
    // default buckets; see histogram.hpp). NaN or infinity throws value_error and writes nothing.
    template <number_range R>
    void histogram(std::string_view tag, const R& values, std::int64_t step) {
        histogram(tag, make_histogram(values, tag), step);
    }
    void histogram(std::string_view tag, std::initializer_list<double> values, std::int64_t step) {
        histogram(tag, make_histogram(values, tag), step);
    }
    // A histogram bucketed elsewhere (bucket_limit and bucket as in histogram_data).
    void histogram(std::string_view tag, const histogram_data& h, std::int64_t step) {
        add(step, event::histogram_value(tag, h));
    }

    // Text for TensorBoard's text dashboard (rendered as Markdown).
    void text(std::string_view tag, std::string_view text, std::int64_t step) {
        add(step, event::text_value(tag, text));
    }

    // Writes the waiting events to the file.
    void flush() {
        queued_ = 0;
        last_flush_ = std::chrono::steady_clock::now();
        records_.flush();
    }
    // Flushes and closes the file; writing afterwards throws io_error.
    void close() { records_.close(); }

    const std::filesystem::path& logdir() const noexcept { return logdir_; }
    // The event file.
    const std::filesystem::path& path() const noexcept { return records_.path(); }

   private:
    std::filesystem::path logdir_;
    file_writer_options options_;
    record_writer records_;
    std::size_t queued_ = 0;
    std::chrono::steady_clock::time_point last_flush_;

    static record_writer open(const std::filesystem::path& logdir, const std::string& suffix) {
        std::error_code ec;
        std::filesystem::create_directories(logdir, ec);
        if (ec || !std::filesystem::is_directory(logdir))
            throw io_error("tfx: summary: cannot create log directory '" + logdir.string() +
                           "': " + (ec ? ec.message() : std::string("a file of that name exists")));
        // tensorflow's EventsWriter: "%s.out.tfevents.%010lld.%s%s". Two writers opened in the same
        // second get ".1", ".2", ... after the name rather than sharing one file.
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%010lld", static_cast<long long>(detail::wall_time()));
        const std::string base = std::string("events.out.tfevents.") + seconds + "." + detail::hostname() + suffix;
        for (int n = 0;; ++n) {
            auto name = n == 0 ? base : base + "." + std::to_string(n);
            auto path = logdir / name;
            try {
                return record_writer(path, record_writer::open_mode::create_new);
            } catch (const io_error&) {
                if (!std::filesystem::exists(path) || n >= 1000) throw;  // a real error, not a name taken
            }
        }
    }

    void add(std::int64_t step, std::string_view value) {
        records_.write(event::summary_event(detail::wall_time(), step, value));
        if (++queued_ >= options_.max_queue ||
            std::chrono::steady_clock::now() - last_flush_ >= options_.flush_interval)
            flush();
    }
};

}  // namespace tfx::summary
