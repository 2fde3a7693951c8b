#pragma once
// Definitions of file.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace tfx::io {

namespace detail {

// (Appended, not "'" + s: GCC 12 warns falsely about operator+(const char*, string&&), -Wrestrict.)
TFX_INLINE std::string in_quotes(const std::string& s) {
    std::string r;
    r.reserve(s.size() + 2);
    r += '\'';
    r += s;
    r += '\'';
    return r;
}
TFX_INLINE std::string in_quotes(const std::filesystem::path& p) { return in_quotes(p.string()); }
TFX_INLINE std::string in_quotes(const char* s) { return in_quotes(std::string(s)); }
TFX_INLINE std::string errno_message(int e) { return std::generic_category().message(e); }

TFX_INLINE atomic_file::atomic_file(std::filesystem::path target, std::string op)
    : target_(std::move(target)), op_(std::move(op)) {
    const std::string name = target_.filename().string();
    if (name.empty() || name == "." || name == "..")
        throw io_error("tfx: " + op_ + ": " + in_quotes(target_) + " is not a file name");
    std::filesystem::path dir = target_.parent_path();
    if (dir.empty()) dir = ".";
    static std::atomic<unsigned> counter{0};
    const auto stamp = std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
    for (int attempt = 0;; ++attempt) {
        // File names are at most 255 bytes: keep at most 160 of the target's.
        std::string tmp_name = ".";
        tmp_name += std::string_view(name).substr(0, 160);
        tmp_name += ".tfx-tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
                    std::to_string((stamp >> 4) % 1000000007u);
        tmp_ = dir / tmp_name;
        fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd_ >= 0) return;
        const int e = errno;
        if (e != EEXIST || attempt >= 100)
            throw io_error("tfx: " + op_ + ": cannot write " + in_quotes(target_) +
                           ": cannot create a temporary file in " + in_quotes(dir) + ": " + errno_message(e));
    }
}

TFX_INLINE atomic_file::~atomic_file() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
}

TFX_INLINE void atomic_file::write(const void* data, std::size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
        const ::ssize_t w = ::write(fd_, p, std::min<std::size_t>(n, std::size_t(1) << 30));
        if (w < 0) {
            if (errno == EINTR) continue;
            fail("writing", errno);
        }
        p += w;
        n -= std::size_t(w);
        written_ += std::uint64_t(w);
    }
}

TFX_INLINE void atomic_file::commit() {
    if (::fsync(fd_) != 0) fail("flushing", errno);
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) fail("closing", errno);
    if (::rename(tmp_.c_str(), target_.c_str()) != 0) {
        const int e = errno;
        throw io_error("tfx: " + op_ + ": cannot rename the temporary file " + in_quotes(tmp_) + " to " +
                       in_quotes(target_) + ": " + errno_message(e));
    }
    committed_ = true;
    std::filesystem::path dir = target_.parent_path();
    if (dir.empty()) dir = ".";
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
}

[[noreturn]] TFX_INLINE void atomic_file::fail(const char* what, int e) const {
    throw io_error("tfx: " + op_ + ": " + what + " " + in_quotes(target_) + " (temporary file " + in_quotes(tmp_) +
                   ") failed: " + errno_message(e) + "; the target is unchanged");
}

[[noreturn]] TFX_INLINE void input::ended(std::uint64_t off, std::size_t n) const {
    throw io_error("tfx: " + where_ + ": unexpected end of data: " + std::to_string(n) + " bytes at offset " +
                   std::to_string(off) + " are past the end (" + std::to_string(size()) + " bytes)");
}

TFX_INLINE file_input::file_input(const std::filesystem::path& path, std::string_view kind)
    : input(std::string(kind) + " " + in_quotes(path)) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
        const int e = errno;
        throw io_error("tfx: " + where() + ": cannot open: " + errno_message(e));
    }
    struct ::stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd_);
        throw io_error("tfx: " + where() + ": is not a regular file");
    }
    size_ = std::uint64_t(st.st_size);
}

TFX_INLINE void file_input::read_at(std::uint64_t off, void* dst, std::size_t n) const {
    if (off > size_ || n > size_ - off) ended(off, n);
    char* p = static_cast<char*>(dst);
    while (n > 0) {
        const ::ssize_t r = ::pread(fd_, p, std::min<std::size_t>(n, std::size_t(1) << 30), ::off_t(off));
        if (r < 0) {
            if (errno == EINTR) continue;
            const int e = errno;
            throw io_error("tfx: " + where() + ": read failed at offset " + std::to_string(off) + ": " +
                           errno_message(e));
        }
        if (r == 0)
            throw io_error("tfx: " + where() + ": the file ended at offset " + std::to_string(off) +
                           ", before its size when opened (" + std::to_string(size_) +
                           " bytes): was it changed while being read?");
        p += r;
        n -= std::size_t(r);
        off += std::uint64_t(r);
    }
}

TFX_INLINE void memory_input::read_at(std::uint64_t off, void* dst, std::size_t n) const {
    if (off > bytes_.size() || n > bytes_.size() - off) ended(off, n);
    if (n) std::memcpy(dst, bytes_.data() + off, n);
}

TFX_INLINE void source::read(void* dst, std::size_t n) {
    if (n > remaining())
        throw io_error("tfx: " + where_ + ": reading " + std::to_string(n) + " bytes at offset " +
                       std::to_string(pos_) + " would pass the end (" + std::to_string(size_) + " bytes)");
    do_read(dst, n);
    pos_ += n;
}

}  // namespace detail
}  // namespace tfx::io
