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
#include "../core/inline.hpp"
#include "crc32c.hpp"

namespace tfx::summary {

// Appends one framed record holding `data` to `out`.
void append_record(std::string& out, std::string_view data);

// Appends records to a file. Records are kept in memory until flush() (or destruction) writes them
// out; errors from opening and writing throw io_error naming the file.
class record_writer {
   public:
    enum class open_mode {
        create_new,  // the file must not exist yet (event files never overwrite one another)
        truncate,    // create or truncate
    };

    explicit record_writer(std::filesystem::path path, open_mode mode = open_mode::truncate);

    record_writer(record_writer&&) noexcept = default;
    record_writer& operator=(record_writer&& o) noexcept;
    record_writer(const record_writer&) = delete;
    record_writer& operator=(const record_writer&) = delete;

    // Flushes; errors here cannot be reported, so call flush() or close() to see them.
    ~record_writer() { close_quietly(); }

    void write(std::string_view record);

    // Writes the buffered records to the file. On failure the buffered records are dropped (a retry
    // could leave half a record twice) and io_error is thrown.
    void flush();

    // Flushes and closes; later writes throw. Closing twice does nothing.
    void close();

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

    [[noreturn]] void fail(const char* what, int err) const;
    void close_quietly() noexcept;
};

}  // namespace tfx::summary

#ifndef TFX_COMPILED_LIB
#include "impl/record_writer.ipp"
#endif
