#pragma once
// TFRecord framing and a buffered file of records. Each record is
//   uint64 length | uint32 masked_crc32c(length) | data[length] | uint32 masked_crc32c(data)
// with the integers little-endian and the length's CRC taken over its eight bytes.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "../core/errors.hpp"
#include "crc32c.hpp"

namespace tfx::summary {

// Appends one framed record holding `data` to `out`.
inline void append_record(std::string& out, std::string_view data) {
    auto put_le = [&out](std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) out.push_back(char((v >> (8 * i)) & 0xFF));
    };
    const std::size_t header = out.size();
    put_le(data.size(), 8);
    put_le(masked_crc32c(std::string_view(out).substr(header, 8)), 4);
    out.append(data);
    put_le(masked_crc32c(data), 4);
}

// Appends records to a file. Records are kept in memory until flush() (or destruction) writes them
// out; errors from opening and writing throw io_error naming the file.
class record_writer {
   public:
    enum class open_mode {
        create_new,  // the file must not exist yet (event files never overwrite one another)
        truncate,    // create or truncate
    };

    explicit record_writer(std::filesystem::path path, open_mode mode = open_mode::truncate) : path_(std::move(path)) {
        errno = 0;
        file_.reset(std::fopen(path_.string().c_str(), mode == open_mode::create_new ? "wbx" : "wb"));
        if (!file_) fail("cannot create", errno);
        std::setvbuf(file_.get(), nullptr, _IONBF, 0);  // we buffer whole records ourselves
    }

    record_writer(record_writer&&) noexcept = default;
    record_writer& operator=(record_writer&& o) noexcept {
        if (this != &o) {
            close_quietly();
            path_ = std::move(o.path_);
            file_ = std::move(o.file_);
            buffer_ = std::move(o.buffer_);
            o.buffer_.clear();
        }
        return *this;
    }
    record_writer(const record_writer&) = delete;
    record_writer& operator=(const record_writer&) = delete;

    // Flushes; errors here cannot be reported, so call flush() or close() to see them.
    ~record_writer() { close_quietly(); }

    void write(std::string_view record) {
        if (!file_) throw io_error("tfx: summary: cannot write to '" + path_.string() + "': the file is closed");
        append_record(buffer_, record);
    }

    // Writes the buffered records to the file. On failure the buffered records are dropped (a retry
    // could leave half a record twice) and io_error is thrown.
    void flush() {
        if (!file_ || buffer_.empty()) return;
        std::string pending = std::move(buffer_);
        buffer_.clear();
        errno = 0;
        const std::size_t n = std::fwrite(pending.data(), 1, pending.size(), file_.get());
        if (n != pending.size() || std::fflush(file_.get()) != 0) fail("cannot write", errno);
    }

    // Flushes and closes; later writes throw. Closing twice does nothing.
    void close() {
        if (!file_) return;
        flush();
        errno = 0;
        if (std::fclose(file_.release()) != 0) fail("cannot close", errno);
    }

    bool is_open() const noexcept { return file_ != nullptr; }
    const std::filesystem::path& path() const noexcept { return path_; }
    std::size_t buffered_bytes() const noexcept { return buffer_.size(); }

   private:
    struct closer {
        void operator()(std::FILE* f) const noexcept { std::fclose(f); }
    };
    std::filesystem::path path_;
    std::unique_ptr<std::FILE, closer> file_;
    std::string buffer_;

    [[noreturn]] void fail(const char* what, int err) const {
        std::string msg = "tfx: summary: " + std::string(what) + " '" + path_.string() + "'";
        if (err != 0) msg += ": " + std::string(std::strerror(err));
        throw io_error(msg);
    }
    void close_quietly() noexcept {
        try {
            close();
        } catch (...) {
        }
        file_.reset();
    }
};

}  // namespace tfx::summary
