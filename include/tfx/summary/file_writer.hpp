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
#include "../core/inline.hpp"
#include "event.hpp"
#include "histogram.hpp"
#include "record_writer.hpp"

namespace tfx::summary {

// The same knobs, and defaults, as tf.summary.create_file_writer.
struct file_writer_options {
    std::size_t max_queue = 10;  // flush when this many events are waiting
    std::chrono::milliseconds flush_interval{120'000};  // ... or, at the next event, when this long has passed
    std::string filename_suffix;                        // appended to the file name
};

namespace detail {
std::string hostname();
double wall_time();
}  // namespace detail

class file_writer {
   public:
    // Creates `logdir` (and its parents) and a new event file in it, and writes the file_version
    // event at once, so that an unusable directory is reported here, as io_error naming the path.
    explicit file_writer(const std::filesystem::path& logdir, file_writer_options options = {});

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
    void flush();
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

    static record_writer open(const std::filesystem::path& logdir, const std::string& suffix);

    void add(std::int64_t step, std::string_view value);
};

}  // namespace tfx::summary

#ifndef TFX_COMPILED_LIB
#include "impl/file_writer.ipp"
#endif
