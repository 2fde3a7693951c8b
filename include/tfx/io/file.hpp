#pragma once
// Files for tfx::io: atomic writes (a temporary file in the target's directory, fsync, rename) and
// bounded readers over a file or a memory buffer. POSIX (open/pread/fsync/rename).
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
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "../core/errors.hpp"

namespace tfx::io {

namespace detail {

// (Appended, not "'" + s: GCC 12 warns falsely about operator+(const char*, string&&), -Wrestrict.)
inline std::string in_quotes(const std::string& s) {
    std::string r;
    r.reserve(s.size() + 2);
    r += '\'';
    r += s;
    r += '\'';
    return r;
}
inline std::string in_quotes(const std::filesystem::path& p) { return in_quotes(p.string()); }
inline std::string in_quotes(const char* s) { return in_quotes(std::string(s)); }
inline std::string errno_message(int e) { return std::generic_category().message(e); }

// Writes a file so that the target is either its old self or the complete new file: the bytes go
// to a temporary file next to the target (same file system, so rename is atomic), which is
// fsync'ed and renamed over the target on commit(). Without commit() (an exception, a full disk)
// the temporary file is removed and the target is untouched. A crash may leave the hidden
// temporary file (".<name>.tfx-tmp-...") behind, never a half-written target.
class atomic_file {
   public:
    atomic_file(std::filesystem::path target, std::string op) : target_(std::move(target)), op_(std::move(op)) {
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
    atomic_file(const atomic_file&) = delete;
    atomic_file& operator=(const atomic_file&) = delete;
    ~atomic_file() {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_) ::unlink(tmp_.c_str());
    }

    void write(const void* data, std::size_t n) {
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
    void write(std::string_view s) { write(s.data(), s.size()); }
    std::uint64_t written() const noexcept { return written_; }

    // fsync, close, rename over the target, then fsync the directory (best effort: some file
    // systems refuse fsync on a directory, and the rename has happened by then).
    void commit() {
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

    const std::filesystem::path& target() const noexcept { return target_; }
    const std::string& op() const noexcept { return op_; }

   private:
    std::filesystem::path target_, tmp_;
    std::string op_;
    int fd_ = -1;
    bool committed_ = false;
    std::uint64_t written_ = 0;

    [[noreturn]] void fail(const char* what, int e) const {
        throw io_error("tfx: " + op_ + ": " + what + " " + in_quotes(target_) + " (temporary file " + in_quotes(tmp_) +
                       ") failed: " + errno_message(e) + "; the target is unchanged");
    }
};

// Random access to a bounded sequence of bytes: a file or a buffer. `where()` names it in messages
// ("npz file 'a.npz'").
class input {
   public:
    virtual ~input() = default;
    virtual std::uint64_t size() const noexcept = 0;
    // Reads exactly n bytes at off; throws io_error when the input ends first.
    virtual void read_at(std::uint64_t off, void* dst, std::size_t n) const = 0;
    const std::string& where() const noexcept { return where_; }

   protected:
    explicit input(std::string where) : where_(std::move(where)) {}
    [[noreturn]] void ended(std::uint64_t off, std::size_t n) const {
        throw io_error("tfx: " + where_ + ": unexpected end of data: " + std::to_string(n) + " bytes at offset " +
                       std::to_string(off) + " are past the end (" + std::to_string(size()) + " bytes)");
    }

   private:
    std::string where_;
};

class file_input final : public input {
   public:
    // kind: "npy file", "npz file", ... (for messages).
    file_input(const std::filesystem::path& path, std::string_view kind) : input(std::string(kind) + " " + in_quotes(path)) {
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
    file_input(const file_input&) = delete;
    file_input& operator=(const file_input&) = delete;
    ~file_input() override { ::close(fd_); }

    std::uint64_t size() const noexcept override { return size_; }
    void read_at(std::uint64_t off, void* dst, std::size_t n) const override {
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

   private:
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

// A buffer: viewed (it must outlive the input) or owned (moved in).
class memory_input final : public input {
   public:
    memory_input(std::string_view bytes, std::string where) : input(std::move(where)), bytes_(bytes) {}
    memory_input(std::string&& bytes, std::string where)
        : input(std::move(where)), owned_(std::move(bytes)), bytes_(owned_) {}
    std::uint64_t size() const noexcept override { return bytes_.size(); }
    void read_at(std::uint64_t off, void* dst, std::size_t n) const override {
        if (off > bytes_.size() || n > bytes_.size() - off) ended(off, n);
        if (n) std::memcpy(dst, bytes_.data() + off, n);
    }

   private:
    std::string owned_;
    std::string_view bytes_;
};

// A sequential stream that must deliver exactly size() bytes: a region of an input, a deflated ZIP
// member, ... finish() is called once every byte was read and checks what can only be checked at
// the end (a CRC, the end of a deflate stream).
class source {
   public:
    virtual ~source() = default;
    std::uint64_t size() const noexcept { return size_; }
    std::uint64_t position() const noexcept { return pos_; }
    std::uint64_t remaining() const noexcept { return size_ - pos_; }
    const std::string& where() const noexcept { return where_; }

    // Reads exactly n bytes (n <= remaining()).
    void read(void* dst, std::size_t n) {
        if (n > remaining())
            throw io_error("tfx: " + where_ + ": reading " + std::to_string(n) + " bytes at offset " +
                           std::to_string(pos_) + " would pass the end (" + std::to_string(size_) + " bytes)");
        do_read(dst, n);
        pos_ += n;
    }
    virtual void finish() {}

   protected:
    source(std::uint64_t size, std::string where) : size_(size), where_(std::move(where)) {}
    virtual void do_read(void* dst, std::size_t n) = 0;

   private:
    std::uint64_t size_, pos_ = 0;
    std::string where_;
};

// [offset, offset + size) of an input.
class region_source final : public source {
   public:
    region_source(std::shared_ptr<const input> in, std::uint64_t offset, std::uint64_t size, std::string where)
        : source(size, std::move(where)), in_(std::move(in)), offset_(offset) {}

   protected:
    void do_read(void* dst, std::size_t n) override { in_->read_at(offset_ + position(), dst, n); }

   private:
    std::shared_ptr<const input> in_;
    std::uint64_t offset_;
};

}  // namespace detail
}  // namespace tfx::io
