#pragma once
// Definitions of record_writer.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../record_writer.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tfx::summary {

TFX_INLINE void append_record(std::string& out, std::string_view data) {
    auto put_le = [&out](std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) out.push_back(char((v >> (8 * i)) & 0xFF));
    };
    const std::size_t header = out.size();
    put_le(data.size(), 8);
    put_le(masked_crc32c(std::string_view(out).substr(header, 8)), 4);
    out.append(data);
    put_le(masked_crc32c(data), 4);
}

TFX_INLINE record_writer::record_writer(std::filesystem::path path, open_mode mode) : path_(std::move(path)) {
    errno = 0;
    file_.reset(std::fopen(path_.string().c_str(), mode == open_mode::create_new ? "wbx" : "wb"));
    if (!file_) fail("cannot create", errno);
    std::setvbuf(file_.get(), nullptr, _IONBF, 0);  // we buffer whole records ourselves
}

TFX_INLINE record_writer& record_writer::operator=(record_writer&& o) noexcept {
    if (this != &o) {
        close_quietly();
        path_ = std::move(o.path_);
        file_ = std::move(o.file_);
        buffer_ = std::move(o.buffer_);
        o.buffer_.clear();
    }
    return *this;
}

TFX_INLINE void record_writer::write(std::string_view record) {
    if (!file_) throw io_error("tfx: summary: cannot write to '" + path_.string() + "': the file is closed");
    append_record(buffer_, record);
}

TFX_INLINE void record_writer::flush() {
    if (!file_ || buffer_.empty()) return;
    std::string pending = std::move(buffer_);
    buffer_.clear();
    errno = 0;
    const std::size_t n = std::fwrite(pending.data(), 1, pending.size(), file_.get());
    if (n != pending.size() || std::fflush(file_.get()) != 0) fail("cannot write", errno);
}

TFX_INLINE void record_writer::close() {
    if (!file_) return;
    flush();
    errno = 0;
    if (std::fclose(file_.release()) != 0) fail("cannot close", errno);
}

TFX_INLINE void record_writer::fail(const char* what, int err) const {
    std::string msg = "tfx: summary: " + std::string(what) + " '" + path_.string() + "'";
    if (err != 0) msg += ": " + std::string(std::strerror(err));
    throw io_error(msg);
}

TFX_INLINE void record_writer::close_quietly() noexcept {
    try {
        close();
    } catch (...) {
    }
    file_.reset();
}

}  // namespace tfx::summary
