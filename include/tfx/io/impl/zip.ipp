#pragma once
// Definitions of zip.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../zip.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tfx::io::detail {

TFX_INLINE std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::size_t n) noexcept {
    auto p = static_cast<const Bytef*>(data);
    while (n > 0) {
        const uInt k = uInt(std::min<std::size_t>(n, std::size_t(1) << 30));
        crc = std::uint32_t(::crc32(uLong(crc), p, k));
        p += k;
        n -= k;
    }
    return crc;
}

TFX_INLINE std::string hex32(std::uint32_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string r = "0x";
    for (int s = 28; s >= 0; s -= 4) r += digits[(v >> s) & 15];
    return r;
}

TFX_INLINE std::uint64_t le(const unsigned char* p, int n) noexcept {
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
    return v;
}

TFX_INLINE void put_le(std::string& out, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out += char((v >> (8 * i)) & 0xff);
}

TFX_INLINE inflate_source::inflate_source(std::unique_ptr<source> compressed, std::uint64_t size, std::string where)
    : source(size, std::move(where)), in_(std::move(compressed)) {
    if (::inflateInit2(&zs_, -MAX_WBITS) != Z_OK) throw io_error("tfx: " + this->where() + ": zlib inflateInit2 failed");
}

TFX_INLINE void inflate_source::finish() {
    // Every declared byte came out: the deflate stream must end right here.
    while (!ended_) {
        unsigned char extra;
        if (step(&extra, 1) != 0)
            fail("it inflates to more than the " + std::to_string(size()) + " bytes the central directory says");
    }
    in_->finish();
}

TFX_INLINE void inflate_source::do_read(void* dst, std::size_t n) {
    auto out = static_cast<unsigned char*>(dst);
    while (n > 0) {
        if (ended_)
            fail("it inflates to " + std::to_string(position() + std::size_t(out - static_cast<unsigned char*>(dst))) +
                 " bytes, but the central directory says " + std::to_string(size()));
        const std::size_t k = step(out, std::min<std::size_t>(n, std::size_t(1) << 30));
        out += k;
        n -= k;
    }
}

TFX_INLINE std::size_t inflate_source::step(unsigned char* out, std::size_t n) {
    if (zs_.avail_in == 0 && in_->remaining() > 0) {
        const std::size_t k = std::size_t(std::min<std::uint64_t>(in_->remaining(), buf_.size()));
        in_->read(buf_.data(), k);
        zs_.next_in = buf_.data();
        zs_.avail_in = uInt(k);
    }
    zs_.next_out = out;
    zs_.avail_out = uInt(n);
    const int rc = ::inflate(&zs_, Z_NO_FLUSH);
    const std::size_t produced = n - zs_.avail_out;
    if (rc == Z_STREAM_END)
        ended_ = true;
    else if (rc == Z_BUF_ERROR) {  // no progress possible: out of input
        if (zs_.avail_in == 0 && in_->remaining() == 0)
            fail("the compressed data (" + std::to_string(in_->size()) + " bytes) ends before the deflate stream does");
        fail("zlib made no progress");
    } else if (rc != Z_OK)
        fail(zs_.msg ? zs_.msg : ::zError(rc));
    return produced;
}

TFX_INLINE void crc_source::finish() {
    in_->finish();
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION  // lets a fuzzer's mutated members reach what follows
    return;
#endif
    if (crc_ != expected_)
        throw io_error("tfx: " + where() + ": CRC-32 mismatch: the central directory says " + hex32(expected_) +
                       ", the data has " + hex32(crc_) + " (the archive is corrupt)");
}

TFX_INLINE void crc_source::do_read(void* dst, std::size_t n) {
    in_->read(dst, n);
    crc_ = crc32_update(crc_, dst, n);
}

TFX_INLINE const zip_entry* zip_reader::find(std::string_view name) const noexcept {
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : &entries_[it->second];
}

TFX_INLINE std::unique_ptr<source> zip_reader::open(const zip_entry& e) const {
    const std::string mw = member_where(e);
    unsigned char h[30];
    if (e.local_offset > in_->size() || in_->size() - e.local_offset < 30)
        throw io_error("tfx: " + mw + ": the local header at offset " + std::to_string(e.local_offset) +
                       " is past the end of the file (" + std::to_string(in_->size()) + " bytes)");
    in_->read_at(e.local_offset, h, 30);
    if (le(h, 4) != 0x04034b50)
        throw io_error("tfx: " + mw + ": no local header signature (50 4b 03 04) at offset " +
                       std::to_string(e.local_offset));
    const std::uint64_t nlen = le(h + 26, 2), elen = le(h + 28, 2);
    if (in_->size() - e.local_offset - 30 < nlen + elen)
        throw io_error("tfx: " + mw + ": the local header's name and extra field run past the end of the file");
    std::string lname(std::size_t(nlen), '\0');
    in_->read_at(e.local_offset + 30, lname.data(), lname.size());
    if (lname != e.name)
        throw io_error("tfx: " + mw + ": the local header names the member " + in_quotes(lname) +
                       ", the central directory " + in_quotes(e.name));
    if (le(h + 8, 2) != e.method)
        throw io_error("tfx: " + mw + ": the local header's compression method (" + std::to_string(le(h + 8, 2)) +
                       ") differs from the central directory's (" + std::to_string(e.method) + ")");
    const std::uint64_t data = e.local_offset + 30 + nlen + elen;
    if (data > in_->size() || in_->size() - data < e.compressed_size)
        throw io_error("tfx: " + mw + ": its data (" + std::to_string(e.compressed_size) + " bytes at offset " +
                       std::to_string(data) + ") runs past the end of the file (" + std::to_string(in_->size()) +
                       " bytes)");
    auto raw = std::make_unique<region_source>(in_, data, e.compressed_size, mw);
    std::unique_ptr<source> s;
    if (e.method == 0) {
        if (e.compressed_size != e.size)
            throw io_error("tfx: " + mw + ": a stored member whose compressed size (" +
                           std::to_string(e.compressed_size) + ") differs from its size (" + std::to_string(e.size) + ")");
        s = std::move(raw);
    } else {
        // Deflate expands at most ~1032:1; a larger claim is a lie that would make us allocate.
        if (e.size / 1032 > e.compressed_size + 1)
            throw io_error("tfx: " + mw + ": claims " + std::to_string(e.size) + " bytes from " +
                           std::to_string(e.compressed_size) + " compressed bytes, more than deflate can produce");
        s = std::make_unique<inflate_source>(std::move(raw), e.size, mw);
    }
    return std::make_unique<crc_source>(std::move(s), e.crc);
}

TFX_INLINE void zip_reader::read_directory() {
    const std::uint64_t size = in_->size();
    if (size < 22) not_zip("it has " + std::to_string(size) + " bytes, fewer than an empty ZIP archive (22)");
    // The end record is the last thing in the file, followed only by its comment (< 64 KiB).
    const std::size_t tail_n = std::size_t(std::min<std::uint64_t>(size, 22 + 65535));
    std::vector<unsigned char> tail(tail_n);
    in_->read_at(size - tail_n, tail.data(), tail_n);
    std::size_t at = tail_n;
    for (std::size_t i = tail_n - 22 + 1; i-- > 0;)
        if (le(&tail[i], 4) == 0x06054b50 && i + 22 + le(&tail[i + 20], 2) == tail_n) {
            at = i;
            break;
        }
    if (at == tail_n) not_zip("no end of central directory record");
    const unsigned char* r = &tail[at];
    const std::uint64_t eocd = size - tail_n + at;
    std::uint64_t disk = le(r + 4, 2), cd_disk = le(r + 6, 2), n_disk = le(r + 8, 2), n = le(r + 10, 2),
                  cd_size = le(r + 12, 4), cd_offset = le(r + 16, 4);
    std::uint64_t cd_end = eocd;
    // ZIP64: a locator right before the end record points to the ZIP64 end record.
    if (eocd >= 20) {
        unsigned char loc[20];
        in_->read_at(eocd - 20, loc, 20);
        if (le(loc, 4) == 0x07064b50) {
            const std::uint64_t off = le(loc + 8, 8);
            if (le(loc + 4, 4) != 0 || le(loc + 16, 4) != 1) fail("multi-disk (split) ZIP archives are not supported");
            if (off > eocd - 20 || eocd - 20 - off < 56)
                fail("the ZIP64 end of central directory record (offset " + std::to_string(off) +
                     ") is not before its locator");
            unsigned char z[56];
            in_->read_at(off, z, 56);
            if (le(z, 4) != 0x06064b50) fail("no ZIP64 end of central directory record at offset " + std::to_string(off));
            disk = le(z + 16, 4);
            cd_disk = le(z + 20, 4);
            n_disk = le(z + 24, 8);
            n = le(z + 32, 8);
            cd_size = le(z + 40, 8);
            cd_offset = le(z + 48, 8);
            cd_end = off;
        }
    }
    if (disk != 0 || cd_disk != 0 || n_disk != n) fail("multi-disk (split) ZIP archives are not supported");
    if (cd_offset > cd_end || cd_end - cd_offset < cd_size)
        fail("the central directory (" + std::to_string(cd_size) + " bytes at offset " + std::to_string(cd_offset) +
             ") does not end before the end record at offset " + std::to_string(cd_end));
    if (n > cd_size / 46)
        fail("the end record claims " + std::to_string(n) + " members, but the central directory (" +
             std::to_string(cd_size) + " bytes) has room for at most " + std::to_string(cd_size / 46));
    std::vector<unsigned char> cd(std::size_t(cd_size) + 1);
    in_->read_at(cd_offset, cd.data(), std::size_t(cd_size));
    entries_.reserve(std::size_t(n));
    std::size_t p = 0;
    for (std::uint64_t k = 0; k < n; ++k) {
        const std::string entry_at = "central directory entry " + std::to_string(k) + " (offset " +
                                     std::to_string(cd_offset + p) + ")";
        if (cd_size - p < 46) fail(entry_at + ": runs past the end of the central directory");
        const unsigned char* c = &cd[p];
        if (le(c, 4) != 0x02014b50) fail(entry_at + ": no central directory signature (50 4b 01 02)");
        zip_entry e;
        e.flags = std::uint16_t(le(c + 8, 2));
        e.method = std::uint16_t(le(c + 10, 2));
        e.crc = std::uint32_t(le(c + 16, 4));
        e.compressed_size = le(c + 20, 4);
        e.size = le(c + 24, 4);
        const std::size_t nlen = std::size_t(le(c + 28, 2)), elen = std::size_t(le(c + 30, 2)),
                          clen = std::size_t(le(c + 32, 2));
        std::uint64_t edisk = le(c + 34, 2);
        e.local_offset = le(c + 42, 4);
        if (cd_size - p - 46 < nlen + elen + clen) fail(entry_at + ": its name and extra fields run past the end of the central directory");
        e.name.assign(reinterpret_cast<const char*>(c + 46), nlen);
        const std::string mw = member_where(e);
        parse_extra(c + 46 + nlen, elen, e, edisk, mw);
        if (edisk != 0) fail("multi-disk (split) ZIP archives are not supported (member " + in_quotes(e.name) + ")");
        if (e.flags & 1) throw io_error("tfx: " + mw + ": is encrypted; tfx does not read encrypted archives");
        if (e.flags & 0x20) throw io_error("tfx: " + mw + ": uses compressed patched data, which tfx does not read");
        if (e.method != 0 && e.method != 8)
            throw io_error("tfx: " + mw + ": uses compression method " + std::to_string(e.method) + method_name(e.method) +
                           "; tfx reads stored (0) and deflated (8) members only (np.savez and np.savez_compressed)");
        p += 46 + nlen + elen + clen;
        entries_.push_back(std::move(e));
    }
    for (std::size_t i = 0; i < entries_.size(); ++i)
        if (!index_.emplace(entries_[i].name, i).second)
            throw io_error("tfx: " + member_where(entries_[i]) + ": appears twice in the archive");
}

TFX_INLINE std::string zip_reader::method_name(std::uint16_t m) {
    switch (m) {
        case 12: return " (bzip2)";
        case 14: return " (lzma)";
        case 9: return " (deflate64)";
        case 93: return " (zstd)";
        default: return "";
    }
}

TFX_INLINE void zip_reader::parse_extra(const unsigned char* x, std::size_t n, zip_entry& e, std::uint64_t& disk,
                                        const std::string& mw) const {
    std::size_t p = 0;
    while (n - p >= 4) {
        const std::size_t id = std::size_t(le(x + p, 2)), len = std::size_t(le(x + p + 2, 2));
        if (n - p - 4 < len) throw io_error("tfx: " + mw + ": an extra field runs past the end of its entry");
        if (id == 1) {
            const unsigned char* z = x + p + 4;
            std::size_t q = 0;
            auto take = [&](std::uint64_t& v, int bytes, std::uint64_t ones) {
                if (v != ones) return;
                if (len - q < std::size_t(bytes)) throw io_error("tfx: " + mw + ": the ZIP64 extra field is too short");
                v = le(z + q, bytes);
                q += std::size_t(bytes);
            };
            take(e.size, 8, 0xffffffffu);
            take(e.compressed_size, 8, 0xffffffffu);
            take(e.local_offset, 8, 0xffffffffu);
            take(disk, 4, 0xffffu);
        }
        p += 4 + len;
    }
}

[[noreturn]] TFX_INLINE void zip_reader::not_zip(const std::string& why) const {
    unsigned char head[6] = {};
    const std::size_t k = std::size_t(std::min<std::uint64_t>(in_->size(), 6));
    in_->read_at(0, head, k);
    const std::string_view h(reinterpret_cast<const char*>(head), k);
    if (h == std::string_view("\x93NUMPY", 6)) fail("is a .npy file, not an .npz (ZIP) archive");
    if (k >= 4 && le(head, 4) == 0x04034b50) fail("truncated or damaged ZIP archive: " + why);
    fail("not an .npz (ZIP) archive: " + why);
}

TFX_INLINE void zip_writer::add_stored(const std::string& name, std::span<const std::string_view> parts) {
    std::uint64_t size = 0;
    std::uint32_t crc = 0;
    for (auto s : parts) {
        size += s.size();
        crc = crc32_update(crc, s.data(), s.size());
    }
    const std::uint64_t offset = file_.written();
    const std::string where = "tfx: " + file_.op() + ": " + in_quotes(file_.target()) + ", member " + in_quotes(name);
    if (name.size() > 65535) throw value_error(where + ": the name is longer than 65535 bytes");
    if (size >= 0xffffffffu || offset >= 0xffffffffu || count_ >= 65534)
        throw io_error(where + ": the archive would need ZIP64 (a member or the archive over 4 GiB, or 65535 "
                               "members), which tfx does not write");
    const bool utf8 = std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) > 127; });
    std::string h;
    put_le(h, 0x04034b50, 4);
    put_le(h, 20, 2);              // version needed: 2.0
    put_le(h, utf8 ? 0x800 : 0, 2);  // flags: UTF-8 name
    put_le(h, 0, 2);               // stored
    put_le(h, 0, 2);               // time 00:00
    put_le(h, 0x21, 2);            // date 1980-01-01: the archive's bytes depend on its contents only
    put_le(h, crc, 4);
    put_le(h, size, 4);
    put_le(h, size, 4);
    put_le(h, name.size(), 2);
    put_le(h, 0, 2);
    h += name;
    file_.write(h);
    for (auto s : parts) file_.write(s);

    put_le(central_, 0x02014b50, 4);
    put_le(central_, 3 << 8 | 20, 2);  // made by: Unix, 2.0
    central_.append(h, 4, 26);        // version needed .. extra length, as in the local header
    put_le(central_, 0, 2);           // comment length
    put_le(central_, 0, 2);           // disk
    put_le(central_, 0, 2);           // internal attributes
    put_le(central_, std::uint64_t(0100644) << 16, 4);  // a regular file, rw-r--r--
    put_le(central_, offset, 4);
    central_ += name;
    ++count_;
}

TFX_INLINE void zip_writer::commit() {
    const std::uint64_t offset = file_.written();
    if (offset >= 0xffffffffu || central_.size() >= 0xffffffffu)
        throw io_error("tfx: " + file_.op() + ": " + in_quotes(file_.target()) +
                       ": the archive would need ZIP64 (over 4 GiB), which tfx does not write");
    std::string end;
    put_le(end, 0x06054b50, 4);
    put_le(end, 0, 2);
    put_le(end, 0, 2);
    put_le(end, count_, 2);
    put_le(end, count_, 2);
    put_le(end, central_.size(), 4);
    put_le(end, offset, 4);
    put_le(end, 0, 2);
    file_.write(central_);
    file_.write(end);
    file_.commit();
}

}  // namespace tfx::io::detail
