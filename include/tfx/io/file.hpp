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
#include "../core/inline.hpp"

namespace tfx::io {

namespace detail {

std::string in_quotes(const std::string& s);
std::string in_quotes(const std::filesystem::path& p);
std::string in_quotes(const char* s);
std::string errno_message(int e);

// Writes a file so that the target is either its old self or the complete new file: the bytes go
// to a temporary file next to the target (same file system, so rename is atomic), which is
// fsync'ed and renamed over the target on commit(). Without commit() (an exception, a full disk)
// the temporary file is removed and the target is untouched. A crash may leave the hidden
// temporary file (".<name>.tfx-tmp-...") behind, never a half-written target.
class atomic_file {
   public:
    atomic_file(std::filesystem::path target, std::string op);
    atomic_file(const atomic_file&) = delete;
    atomic_file& operator=(const atomic_file&) = delete;
    ~atomic_file();

    void write(const void* data, std::size_t n);
    void write(std::string_view s) { write(s.data(), s.size()); }
    std::uint64_t written() const noexcept { return written_; }

    // fsync, close, rename over the target, then fsync the directory (best effort: some file
    // systems refuse fsync on a directory, and the rename has happened by then).
    void commit();

    const std::filesystem::path& target() const noexcept { return target_; }
    const std::string& op() const noexcept { return op_; }

   private:
    std::filesystem::path target_, tmp_;
    std::string op_;
    int fd_ = -1;
    bool committed_ = false;
    std::uint64_t written_ = 0;

    [[noreturn]] void fail(const char* what, int e) const;
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
    [[noreturn]] void ended(std::uint64_t off, std::size_t n) const;

   private:
    std::string where_;
};

class file_input final : public input {
   public:
    // kind: "npy file", "npz file", ... (for messages).
    file_input(const std::filesystem::path& path, std::string_view kind);
    file_input(const file_input&) = delete;
    file_input& operator=(const file_input&) = delete;
    ~file_input() override { ::close(fd_); }

    std::uint64_t size() const noexcept override { return size_; }
    void read_at(std::uint64_t off, void* dst, std::size_t n) const override;

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
    void read_at(std::uint64_t off, void* dst, std::size_t n) const override;

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
    void read(void* dst, std::size_t n);
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

#ifndef TFX_COMPILED_LIB
#include "impl/file.ipp"
#endif
