#pragma once
// Definitions of file_writer.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../file_writer.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace tfx::summary {

namespace detail {

TFX_INLINE std::string hostname() {
#if __has_include(<unistd.h>)
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) == 0 && buf[0] != '\0') return buf;
#endif
    return "localhost";
}

TFX_INLINE double wall_time() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace detail

TFX_INLINE file_writer::file_writer(const std::filesystem::path& logdir, file_writer_options options)
    : logdir_(logdir), options_(std::move(options)), records_(open(logdir_, options_.filename_suffix)) {
    records_.write(event::file_version_event(detail::wall_time()));
    records_.flush();
    last_flush_ = std::chrono::steady_clock::now();
}

TFX_INLINE void file_writer::flush() {
    queued_ = 0;
    last_flush_ = std::chrono::steady_clock::now();
    records_.flush();
}

TFX_INLINE record_writer file_writer::open(const std::filesystem::path& logdir, const std::string& suffix) {
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

TFX_INLINE void file_writer::add(std::int64_t step, std::string_view value) {
    records_.write(event::summary_event(detail::wall_time(), step, value));
    if (++queued_ >= options_.max_queue ||
        std::chrono::steady_clock::now() - last_flush_ >= options_.flush_interval)
        flush();
}

}  // namespace tfx::summary
