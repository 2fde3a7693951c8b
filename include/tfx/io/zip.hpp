#pragma once
// The ZIP container under .npz: a reader of the central directory (ZIP64 records included, as
// NumPy's np.savez writes them) whose members stream through a CRC-32 check and, when deflated,
// zlib's raw inflate; and a writer of stored members (what np.savez writes), through an atomic file.
// Links with zlib (-lz, CMake ZLIB::ZLIB).
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../core/errors.hpp"
#include "../core/inline.hpp"
#include "file.hpp"

namespace tfx::io::detail {

std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::size_t n) noexcept;

std::string hex32(std::uint32_t v);

std::uint64_t le(const unsigned char* p, int n) noexcept;
void put_le(std::string& out, std::uint64_t v, int n);

struct zip_entry {
    std::string name;  // as stored, e.g. "dense_1/kernel.npy"
    std::uint16_t flags = 0, method = 0;
    std::uint32_t crc = 0;
    std::uint64_t compressed_size = 0, size = 0, local_offset = 0;
};

// The bytes of a deflated member, inflated as they are read (raw deflate, no zlib header).
class inflate_source final : public source {
   public:
    inflate_source(std::unique_ptr<source> compressed, std::uint64_t size, std::string where);
    inflate_source(const inflate_source&) = delete;
    inflate_source& operator=(const inflate_source&) = delete;
    ~inflate_source() override { ::inflateEnd(&zs_); }

    void finish() override;

   protected:
    void do_read(void* dst, std::size_t n) override;

   private:
    std::unique_ptr<source> in_;
    ::z_stream zs_{};
    std::array<unsigned char, 16384> buf_{};
    bool ended_ = false;

    [[noreturn]] void fail(const std::string& what) const { throw io_error("tfx: " + where() + ": bad deflate data: " + what); }

    // One inflate call into out[0, n); returns the bytes produced.
    std::size_t step(unsigned char* out, std::size_t n);
};

// Passes a member's bytes through and checks their CRC-32 when the last one was read.
class crc_source final : public source {
   public:
    crc_source(std::unique_ptr<source> in, std::uint32_t expected)
        : source(in->size(), in->where()), in_(std::move(in)), expected_(expected) {}
    void finish() override;

   protected:
    void do_read(void* dst, std::size_t n) override;

   private:
    std::unique_ptr<source> in_;
    std::uint32_t expected_, crc_ = 0;
};

// Reads the central directory of a ZIP archive. Supported: stored and deflated members, ZIP64
// sizes and end records, UTF-8 names. Refused with an io_error: encryption, other compression
// methods, multi-disk archives, patched data, duplicate member names.
class zip_reader {
   public:
    explicit zip_reader(std::shared_ptr<const input> in) : in_(std::move(in)) { read_directory(); }
    // Movable, not copyable: index_ views the names in entries_' heap buffer, which a move keeps.
    zip_reader(zip_reader&&) noexcept = default;
    zip_reader& operator=(zip_reader&&) noexcept = default;
    zip_reader(const zip_reader&) = delete;
    zip_reader& operator=(const zip_reader&) = delete;

    const std::string& where() const noexcept { return in_->where(); }
    const std::vector<zip_entry>& entries() const noexcept { return entries_; }
    const zip_entry* find(std::string_view name) const noexcept;
    std::string member_where(const zip_entry& e) const { return where() + ", member " + in_quotes(e.name); }

    // The member's uncompressed bytes as a stream (CRC checked at its end).
    std::unique_ptr<source> open(const zip_entry& e) const;

   private:
    std::shared_ptr<const input> in_;
    std::vector<zip_entry> entries_;
    std::unordered_map<std::string_view, std::size_t> index_;  // views of entries_' names (not moved after)

    [[noreturn]] void fail(const std::string& what) const { throw io_error("tfx: " + where() + ": " + what); }

    void read_directory();

    static std::string method_name(std::uint16_t m);

    // The ZIP64 extended information (id 1) holds, in order, those of size, compressed size, local
    // offset and disk whose 32-bit (16 for the disk) fields are all ones.
    void parse_extra(const unsigned char* x, std::size_t n, zip_entry& e, std::uint64_t& disk, const std::string& mw) const;

    [[noreturn]] void not_zip(const std::string& why) const;
};

// Writes stored members (method 0, as np.savez) with their CRC-32, then the central directory, into
// an atomic file. Members and the archive must stay under 4 GiB, and under 65535 members (no ZIP64 here).
class zip_writer {
   public:
    zip_writer(const std::filesystem::path& target, std::string op) : file_(target, std::move(op)) {}

    // A member whose bytes are the concatenation of parts.
    void add_stored(const std::string& name, std::span<const std::string_view> parts);

    void commit();

    const std::string& op() const noexcept { return file_.op(); }
    const std::filesystem::path& target() const noexcept { return file_.target(); }

   private:
    atomic_file file_;
    std::string central_;
    std::uint64_t count_ = 0;
};

}  // namespace tfx::io::detail

#ifndef TFX_COMPILED_LIB
#include "impl/zip.ipp"
#endif
