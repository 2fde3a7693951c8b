#pragma once
// Definitions of npy.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../npy.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tfx::io {

TFX_INLINE std::size_t npy_header::count() const noexcept {
    std::size_t n = 1;
    for (auto e : shape) n *= e;
    return n;
}

namespace detail {

TFX_INLINE std::string dtype_mismatch(std::string_view op, const std::string& where, dtype found, dtype want) {
    return "tfx: " + std::string(op) + ": " + where + ": the array's dtype is '" + std::string(dtype_descr(found)) +
           "' (" + std::string(dtype_name(found)) + "), expected '" + std::string(dtype_descr(want)) + "' (" +
           std::string(dtype_name(want)) + ")";
}

TFX_INLINE std::string hex_bytes(std::string_view s) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string r;
    for (unsigned char c : s) {
        if (!r.empty()) r += ' ';
        r += digits[c >> 4];
        r += digits[c & 15];
    }
    return r;
}

TFX_INLINE std::string py_tuple(std::span<const std::size_t> shape) {
    std::string r = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) r += ", ";
        r += std::to_string(shape[i]);
    }
    if (shape.size() == 1) r += ",";
    return r + ")";
}

TFX_INLINE npy_header header_parser::parse() {
    npy_header h;
    bool have_descr = false, have_order = false, have_shape = false;
    std::string descr;
    bool fortran = false;
    skip_ws();
    expect('{', "the header dict to start with '{'");
    for (;;) {
        skip_ws();
        if (peek() == '}') break;
        const std::size_t key_at = i_;
        const std::string key = parse_string("a quoted key");
        skip_ws();
        expect(':', "':' after the key");
        skip_ws();
        if (key == "descr") {
            if (have_descr) fail(key_at, "the key 'descr' appears twice");
            have_descr = true;
            if (peek() == '[') fail(i_, "structured dtypes (a list as 'descr') are not supported");
            descr = parse_string("a quoted dtype string as 'descr'");
        } else if (key == "fortran_order") {
            if (have_order) fail(key_at, "the key 'fortran_order' appears twice");
            have_order = true;
            fortran = parse_bool();
        } else if (key == "shape") {
            if (have_shape) fail(key_at, "the key 'shape' appears twice");
            have_shape = true;
            h.shape = parse_shape();
        } else {
            fail(key_at, "unexpected key '" + key + "' (expected exactly 'descr', 'fortran_order' and 'shape')");
        }
        skip_ws();
        if (peek() == ',') {
            ++i_;
            continue;
        }
        if (peek() == '}') break;
        fail(i_, "expected ',' or '}' after the value of '" + key + "'");
    }
    ++i_;  // '}'
    skip_ws();
    if (i_ != s_.size()) fail(i_, "unexpected text after the header dict");
    if (!have_descr || !have_order || !have_shape)
        fail(i_, std::string("the header dict lacks the key '") +
                     (!have_descr ? "descr" : !have_order ? "fortran_order" : "shape") + "'");
    h.type = parse_descr(descr);
    if (fortran)
        throw io_error("tfx: " + where_ + ": fortran_order is True; tfx reads C-order (row-major) arrays only "
                       "(save np.ascontiguousarray(a) instead)");
    // As NumPy: the product of the nonzero extents, in bytes, must fit in a signed size, even
    // when another extent is 0 (the array is empty but its rows would not be).
    std::size_t bytes = dtype_size(h.type);
    for (auto e : h.shape)
        if (e != 0) {
            if (bytes > std::size_t(std::numeric_limits<std::ptrdiff_t>::max()) / e) too_large(h.shape);
            bytes *= e;
        }
    return h;
}

TFX_INLINE void header_parser::skip_ws() noexcept {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
}

[[noreturn]] TFX_INLINE void header_parser::fail(std::size_t at, const std::string& what) const {
    const std::size_t from = at > 20 ? at - 20 : 0;
    std::string near(s_.substr(from, 40));
    for (char& c : near)
        if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) c = '?';
    throw io_error("tfx: " + where_ + ": bad header: " + what + " (at character " + std::to_string(at) +
                   " of the header: \"" + near + "\")");
}

[[noreturn]] TFX_INLINE void header_parser::too_large(const std::vector<std::size_t>& shape) const {
    throw io_error("tfx: " + where_ + ": bad header: the shape " + py_tuple(shape) + " is too large");
}

TFX_INLINE void header_parser::expect(char c, const char* what) {
    if (peek() != c) fail(i_, std::string("expected ") + what);
    ++i_;
}

TFX_INLINE std::string header_parser::parse_string(const char* what) {
    const char q = peek();
    if (q != '\'' && q != '"') fail(i_, std::string("expected ") + what);
    const std::size_t start = ++i_;
    while (i_ < s_.size() && s_[i_] != q) {
        if (s_[i_] == '\\') fail(i_, "escapes in strings are not supported");
        ++i_;
    }
    if (i_ >= s_.size()) fail(start - 1, "unterminated string");
    return std::string(s_.substr(start, i_++ - start));
}

TFX_INLINE bool header_parser::parse_bool() {
    if (s_.substr(i_, 4) == "True") {
        i_ += 4;
        return true;
    }
    if (s_.substr(i_, 5) == "False") {
        i_ += 5;
        return false;
    }
    fail(i_, "expected True or False as 'fortran_order'");
}

TFX_INLINE std::size_t header_parser::parse_extent() {
    const std::size_t start = i_;
    std::size_t v = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
        const std::size_t d = std::size_t(s_[i_] - '0');
        if (v > (std::numeric_limits<std::size_t>::max() - d) / 10) fail(start, "an extent of the shape is too large");
        v = v * 10 + d;
        ++i_;
    }
    if (i_ == start) fail(start, "expected a non-negative integer in 'shape'");
    if (peek() == 'L' || peek() == 'l') ++i_;  // Python 2 longs, as old NumPy wrote them
    return v;
}

TFX_INLINE std::vector<std::size_t> header_parser::parse_shape() {
    std::vector<std::size_t> shape;
    expect('(', "a tuple as 'shape'");
    skip_ws();
    bool trailing_comma = false;
    while (peek() != ')') {
        if (shape.size() == npy_max_rank) fail(i_, "more than " + std::to_string(npy_max_rank) + " dimensions");
        shape.push_back(parse_extent());
        skip_ws();
        trailing_comma = false;
        if (peek() == ',') {
            ++i_;
            trailing_comma = true;
            skip_ws();
        } else if (peek() != ')') {
            fail(i_, "expected ',' or ')' in 'shape'");
        }
    }
    if (shape.size() == 1 && !trailing_comma) fail(i_, "'shape' is a parenthesised number, not a tuple (write (n,))");
    ++i_;
    return shape;
}

TFX_INLINE dtype header_parser::parse_descr(const std::string& d) const {
    for (int t = 0; t < 6; ++t)
        if (d == dtype_descr(dtype(t))) return dtype(t);
    // One-byte types have no byte order: '<b1', '=u1', ... mean the same thing.
    if (d.size() == 3 && (d[0] == '<' || d[0] == '>' || d[0] == '=' || d[0] == '|')) {
        if (d.substr(1) == "b1") return dtype::bool_;
        if (d.substr(1) == "u1") return dtype::uint8;
    }
    if (!d.empty() && d[0] == '>')
        throw io_error("tfx: " + where_ + ": dtype '" + d +
                       "' is big-endian; tfx reads little-endian arrays only (save a.astype('<" + d.substr(1) + "'))");
    throw io_error("tfx: " + where_ + ": dtype '" + d +
                   "' is not supported (tfx reads '<f4', '<f8', '<i4', '<i8', '|b1' and '|u1')");
}

TFX_INLINE npy_preamble parse_preamble(std::string_view p, std::uint64_t avail, const std::string& where) {
    static constexpr std::string_view magic("\x93NUMPY", 6);
    if (p.size() < 8 || p.substr(0, 6) != magic) {
        if (p.size() >= 6 && p.substr(0, 6) != magic)
            throw io_error("tfx: " + where + ": not a .npy file: it starts with bytes " + hex_bytes(p.substr(0, 6)) +
                           ", expected the magic \\x93NUMPY (93 4e 55 4d 50 59)");
        throw io_error("tfx: " + where + ": truncated: " + std::to_string(avail) +
                       " bytes, but a .npy file starts with a preamble of at least 10 bytes");
    }
    npy_preamble r{};
    r.major = static_cast<unsigned char>(p[6]);
    r.minor = static_cast<unsigned char>(p[7]);
    if (!((r.major == 1 || r.major == 2 || r.major == 3) && r.minor == 0))
        throw io_error("tfx: " + where + ": .npy format version " + std::to_string(r.major) + "." +
                       std::to_string(r.minor) + " is not supported (tfx reads 1.0, 2.0 and 3.0)");
    r.length = r.major == 1 ? 10 : 12;
    if (p.size() < r.length)
        throw io_error("tfx: " + where + ": truncated: " + std::to_string(avail) + " bytes, but a version " +
                       std::to_string(r.major) + ".0 .npy file starts with a preamble of " + std::to_string(r.length) +
                       " bytes");
    auto byte = [&](std::size_t i) { return std::size_t(static_cast<unsigned char>(p[i])); };
    r.header_size = r.major == 1 ? byte(8) | byte(9) << 8 : byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24;
    if (r.header_size > npy_max_header_bytes)
        throw io_error("tfx: " + where + ": the header length field says " + std::to_string(r.header_size) +
                       " bytes, more than the " + std::to_string(npy_max_header_bytes) + " tfx accepts");
    if (r.header_size > avail - r.length)
        throw io_error("tfx: " + where + ": truncated: the header length field says " + std::to_string(r.header_size) +
                       " bytes but only " + std::to_string(avail - r.length) + " follow the preamble");
    return r;
}

TFX_INLINE npy_header parse_header_text(const npy_preamble& pre, std::string_view text, const std::string& where) {
    if (pre.major < 3)  // latin-1 in versions 1 and 2: any byte is a character, and we accept ASCII only
        for (char c : text)
            if (static_cast<unsigned char>(c) > 127)
                throw io_error("tfx: " + where + ": bad header: a non-ASCII byte in the header dict");
    npy_header h = header_parser(text, where).parse();
    h.version_major = pre.major;
    h.version_minor = pre.minor;
    h.data_offset = pre.length + pre.header_size;
    return h;
}

}  // namespace detail

TFX_INLINE npy_header parse_npy_header(std::string_view bytes, const std::string& where) {
    const auto pre = detail::parse_preamble(bytes.substr(0, 12), bytes.size(), where);
    return detail::parse_header_text(pre, bytes.substr(pre.length, pre.header_size), where);
}

TFX_INLINE std::string make_npy_header(dtype type, std::span<const std::size_t> shape) {
    std::string dict = "{'descr': '" + std::string(dtype_descr(type)) + "', 'fortran_order': False, 'shape': " +
                       detail::py_tuple(shape) + ", }";
    // NumPy leaves room for the first extent to grow to 21 digits (appending in place).
    if (!shape.empty()) dict.append(21 - std::to_string(shape[0]).size(), ' ');
    for (unsigned major : {1u, 2u}) {
        const std::size_t pre = major == 1 ? 10 : 12;
        const std::size_t hlen = dict.size() + 1;
        const std::size_t header_size = hlen + 64 - (pre + hlen) % 64;  // as NumPy: 64 when already aligned
        if (major == 1 && header_size > 65535) continue;
        std::string r("\x93NUMPY", 6);
        r += char(major);
        r += char(0);
        for (std::size_t i = 0; i < pre - 8; ++i) r += char((header_size >> (8 * i)) & 0xff);
        r += dict;
        r.append(header_size - dict.size() - 1, ' ');
        r += '\n';
        return r;
    }
    throw value_error("tfx: make_npy_header: the header is too large");  // not reachable: rank is bounded
}

TFX_INLINE npy_reader::npy_reader(const std::filesystem::path& path)
    : npy_reader([&] {
          auto in = std::make_shared<detail::file_input>(path, "npy file");
          std::string where = in->where();
          const auto size = in->size();
          return std::make_unique<detail::region_source>(std::move(in), 0, size, std::move(where));
      }()) {}

TFX_INLINE npy_reader::npy_reader(std::string_view bytes, const std::string& name)
    : npy_reader(std::make_unique<detail::region_source>(
          std::make_shared<detail::memory_input>(bytes, "npy data " + detail::in_quotes(name)), 0, bytes.size(),
          "npy data " + detail::in_quotes(name))) {}

TFX_INLINE npy_reader::npy_reader(std::string&& bytes, const std::string& name)
    : npy_reader([&] {
          const std::size_t n = bytes.size();
          return std::make_unique<detail::region_source>(
              std::make_shared<detail::memory_input>(std::move(bytes), "npy data " + detail::in_quotes(name)), 0, n,
              "npy data " + detail::in_quotes(name));
      }()) {}

TFX_INLINE npy_reader::npy_reader(std::unique_ptr<detail::source> src) : src_(std::move(src)) {
    const std::string& where = src_->where();
    char pre[12] = {};
    const std::size_t first = std::size_t(std::min<std::uint64_t>(src_->size(), 12));
    src_->read(pre, first);
    const auto p = detail::parse_preamble(std::string_view(pre, first), src_->size(), where);
    // A valid header dict has dozens of characters; the 12 bytes read hold at most 2 of them.
    if (p.header_size < first - p.length)
        throw io_error("tfx: " + where + ": bad header: the header length field says " +
                       std::to_string(p.header_size) + " bytes, too short for a header dict");
    std::string text(pre + p.length, first - p.length);
    text.resize(p.header_size);
    src_->read(text.data() + (first - p.length), p.header_size - (first - p.length));
    header_ = detail::parse_header_text(p, text, where);
    const std::uint64_t have = src_->size() - header_.data_offset;
    if (have != header_.data_bytes())
        throw io_error("tfx: " + where + ": the header's shape " + detail::py_tuple(header_.shape) + " and dtype '" +
                       std::string(dtype_descr(header_.type)) + "' need " + std::to_string(header_.data_bytes()) +
                       " bytes of data, but " + std::to_string(have) + " bytes follow the header" +
                       (have < header_.data_bytes() ? " (truncated?)" : ""));
    rows_ = header_.shape.empty() ? 1 : header_.shape[0];
    row_elements_ = 1;
    for (std::size_t i = 1; i < header_.shape.size(); ++i) row_elements_ *= header_.shape[i];
    if (header_.data_bytes() == 0) finish();
}

TFX_INLINE void npy_reader::finish() {
    if (!finished_) {
        finished_ = true;
        src_->finish();
    }
}

namespace detail {

TFX_INLINE std::string tensor_type_string(dtype t, std::span<const index_t> extents) {
    std::string r = "tensor<" + std::string(cpp_type_name(t));
    for (auto e : extents) r += e == dyn ? std::string(", dyn") : ", " + std::to_string(e);
    return r + ">";
}

TFX_INLINE void check_header(const npy_header& h, const std::string& op, const std::string& where, dtype want,
                             std::span<const index_t> extents, std::size_t* d) {
    if (h.type != want)
        throw io_error(dtype_mismatch(op, where, h.type, want) + " for a " + tensor_type_string(want, extents));
    bool fits = h.shape.size() == extents.size();
    for (std::size_t i = 0; fits && i < extents.size(); ++i) {
        d[i] = h.shape[i];
        fits = extents[i] == dyn || std::size_t(extents[i]) == h.shape[i];
    }
    if (!fits)
        throw io_error("tfx: " + op + ": " + where + ": the array's shape is " + shape_string(h.shape) + ", expected " +
                       extents_string(extents) + " (" + tensor_type_string(want, extents) + ")");
}

}  // namespace detail

}  // namespace tfx::io
