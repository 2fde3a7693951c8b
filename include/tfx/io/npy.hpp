#pragma once
// NumPy .npy files: the header (format versions 1.0, 2.0, 3.0), a reader that streams the data
// row by row, and save_npy / load_npy for tensors. See docs/io.md.
#include <array>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../core/errors.hpp"
#include "../core/inline.hpp"
#include "../core/shape.hpp"
#include "../core/tensor.hpp"
#include "file.hpp"

namespace tfx::io {

static_assert(std::endian::native == std::endian::little, "tfx: tfx::io reads and writes little-endian data only");
static_assert(sizeof(bool) == 1, "tfx: tfx::io stores bool as one byte");

// The element types tfx reads and writes, as NumPy names them.
enum class dtype : unsigned char { float32, float64, int32, int64, bool_, uint8 };

constexpr std::string_view dtype_descr(dtype t) noexcept {  // the header's 'descr'
    constexpr std::string_view d[] = {"<f4", "<f8", "<i4", "<i8", "|b1", "|u1"};
    return d[int(t)];
}
constexpr std::string_view dtype_name(dtype t) noexcept {
    constexpr std::string_view d[] = {"float32", "float64", "int32", "int64", "bool", "uint8"};
    return d[int(t)];
}
constexpr std::size_t dtype_size(dtype t) noexcept {
    constexpr std::size_t d[] = {4, 8, 4, 8, 1, 1};
    return d[int(t)];
}

template <class T>
inline constexpr bool has_dtype =
    std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, bool> || std::is_same_v<T, std::uint8_t> ||
    (std::is_integral_v<T> && std::is_signed_v<T> && (sizeof(T) == 4 || sizeof(T) == 8));

template <class T>
constexpr dtype dtype_of() noexcept {
    static_assert(has_dtype<T>, "tfx: npy/npz: the element type must be float, double, int32_t, int64_t, bool or uint8_t");
    if constexpr (std::is_same_v<T, float>) return dtype::float32;
    else if constexpr (std::is_same_v<T, double>) return dtype::float64;
    else if constexpr (std::is_same_v<T, bool>) return dtype::bool_;
    else if constexpr (std::is_same_v<T, std::uint8_t>) return dtype::uint8;
    else if constexpr (sizeof(T) == 4) return dtype::int32;
    else return dtype::int64;
}

// What a .npy header says. data_offset is the size of the magic, version, length and header dict:
// the data follows it.
struct npy_header {
    dtype type = dtype::float32;
    std::vector<std::size_t> shape;
    unsigned version_major = 1, version_minor = 0;
    std::size_t data_offset = 0;

    std::size_t count() const noexcept;  // elements (validated not to overflow when parsed)
    std::size_t data_bytes() const noexcept { return count() * dtype_size(type); }
};

// Limits on what a header may claim (NumPy itself uses at most 64 dimensions).
inline constexpr std::size_t npy_max_rank = 64;
inline constexpr std::size_t npy_max_header_bytes = 65536;

namespace detail {

std::string dtype_mismatch(std::string_view op, const std::string& where, dtype found, dtype want);

std::string hex_bytes(std::string_view s);

// "(2, 3)", "(3,)", "()": the shape as the header writes it (Python's tuple repr).
std::string py_tuple(std::span<const std::size_t> shape);

// The header dict: a Python literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// with exactly these three keys in any order. A small recursive-descent parser of that subset;
// anything else is an io_error that quotes the position.
class header_parser {
   public:
    header_parser(std::string_view text, const std::string& where) : s_(text), where_(where) {}

    npy_header parse();

   private:
    std::string_view s_;
    const std::string& where_;
    std::size_t i_ = 0;

    char peek() const noexcept { return i_ < s_.size() ? s_[i_] : '\0'; }
    void skip_ws() noexcept;
    [[noreturn]] void fail(std::size_t at, const std::string& what) const;
    [[noreturn]] void too_large(const std::vector<std::size_t>& shape) const;
    void expect(char c, const char* what);
    std::string parse_string(const char* what);
    bool parse_bool();
    std::size_t parse_extent();
    std::vector<std::size_t> parse_shape();
    dtype parse_descr(const std::string& d) const;
};

struct npy_preamble {
    unsigned major, minor;
    std::size_t length;       // magic + version + header length field
    std::size_t header_size;  // the dict, padding and newline
};

// The first 10 (version 1) or 12 (versions 2, 3) bytes; `avail` is how many bytes the whole input
// has, so that a header longer than the input is refused before it is read.
npy_preamble parse_preamble(std::string_view p, std::uint64_t avail, const std::string& where);

npy_header parse_header_text(const npy_preamble& pre, std::string_view text, const std::string& where);

}  // namespace detail

// Parses the preamble and header at the start of `bytes` (which may hold more: the data). `where`
// names the input in messages, e.g. "npy file 'x.npy'". Throws io_error.
npy_header parse_npy_header(std::string_view bytes, const std::string& where = "npy data");

// The preamble and header that NumPy's np.save writes for this dtype and C-order shape, byte for
// byte (version 1.0, or 2.0 when the header needs more than 65535 bytes), padded so that the data
// starts at a multiple of 64 bytes.
std::string make_npy_header(dtype type, std::span<const std::size_t> shape);

// Reads a .npy array: the header when constructed, then the data in whole rows (the slices along
// the first axis; a rank-0 array is one row of one element), so that memory is bounded by the
// caller's buffer, not the file. The data's size is checked against the header before anything is
// read, and what only the end can tell (the CRC of an npz member) when the last row is read.
class npy_reader {
   public:
    explicit npy_reader(const std::filesystem::path& path);
    // Over a buffer that must outlive the reader, or a std::string moved in; `name` names it in
    // messages.
    npy_reader(std::string_view bytes, const std::string& name);
    npy_reader(std::string&& bytes, const std::string& name);
    // Over any source of exactly the .npy file's bytes (npz members use this).
    explicit npy_reader(std::unique_ptr<detail::source> src);

    const npy_header& header() const noexcept { return header_; }
    const std::string& where() const noexcept { return src_->where(); }
    std::size_t rows() const noexcept { return rows_; }
    std::size_t row_elements() const noexcept { return row_elements_; }
    std::size_t rows_read() const noexcept { return rows_read_; }
    std::size_t rows_left() const noexcept { return rows_ - rows_read_; }

    // Reads up to max_rows whole rows into out (max_rows * row_elements() elements); returns how many
    // were read (0 at the end). T must be the file's element type.
    template <class T>
    std::size_t read_rows(T* out, std::size_t max_rows) {
        check_type<T>("npy_reader::read_rows");
        const std::size_t n = std::min(max_rows, rows_left());
        read_elements(out, n * row_elements_);
        rows_read_ += n;
        if (rows_read_ == rows_) finish();
        return n;
    }
    template <class T>
    std::size_t read_rows(std::span<T> out) {
        return read_rows(out.data(), row_elements_ ? out.size() / row_elements_ : rows_left());
    }
    // Reads the whole array (nothing read yet; out.size() == header().count()).
    template <class T>
    void read_all(std::span<T> out) {
        check_type<T>("npy_reader::read_all");
        if (rows_read_ != 0 || out.size() != header_.count())
            throw value_error("tfx: npy_reader::read_all: " + where() + ": needs a fresh reader and room for exactly " +
                              std::to_string(header_.count()) + " elements (got " + std::to_string(out.size()) + ")");
        read_rows(out.data(), rows_);
    }

    template <class T>
    void check_type(const char* op) const {
        constexpr dtype want = dtype_of<T>();
        if (header_.type != want) throw io_error(detail::dtype_mismatch(op, where(), header_.type, want));
    }

   private:
    std::unique_ptr<detail::source> src_;
    npy_header header_;
    std::size_t rows_ = 0, row_elements_ = 1, rows_read_ = 0;
    bool finished_ = false;

    void finish();
    void read_bytes(void* dst, std::size_t n) { src_->read(dst, n); }
    template <class T>
    void read_elements(T* out, std::size_t n) {
        if constexpr (std::is_same_v<T, bool>) {
            // Bytes other than 0 and 1 are not bool values: read them as bytes, any nonzero is true.
            unsigned char buf[4096];
            while (n > 0) {
                const std::size_t k = std::min(n, sizeof buf);
                read_bytes(buf, k);
                for (std::size_t i = 0; i < k; ++i) out[i] = buf[i] != 0;
                out += k;
                n -= k;
            }
        } else {
            read_bytes(out, n * sizeof(T));
        }
    }
};

namespace detail {
// "tensor<float, dyn, 3>" for messages: the C++ type.
constexpr std::string_view cpp_type_name(dtype t) noexcept {
    constexpr std::string_view d[] = {"float", "double", "std::int32_t", "std::int64_t", "bool", "std::uint8_t"};
    return d[int(t)];
}
std::string tensor_type_string(dtype t, std::span<const index_t> extents);
template <class S>
std::string tensor_type_string(dtype t) {
    return tensor_type_string(t, S::extents);
}

// Checks a header against a tensor of dtype want and static extents, and writes the run-time
// shape to d (extents.size() values).
void check_header(const npy_header& h, const std::string& op, const std::string& where, dtype want,
                  std::span<const index_t> extents, std::size_t* d);
// The same for tensor<T, E...>, returning the run-time shape.
template <class T, index_t... E>
dims_t<sizeof...(E)> dims_for(const npy_header& h, const std::string& op, const std::string& where) {
    dims_t<sizeof...(E)> d{};
    check_header(h, op, where, dtype_of<T>(), tfx::shape<E...>::extents, d.data());
    return d;
}
}  // namespace detail

// Reads the whole array of a reader (nothing read from it yet) into a new tensor; the dtype and
// the static extents must match. On any error nothing is returned.
template <class T, index_t... E>
tensor<T, E...> read_tensor(npy_reader& r, const std::string& op = "read_tensor") {
    const auto d = detail::dims_for<T, E...>(r.header(), op, r.where());
    tensor<T, E...> t(uninitialized, d);
    r.read_all(std::span<T>(t.data(), t.size()));
    return t;
}

// tensor<T, E...> from a .npy file. Throws io_error naming the file and what was expected.
template <class T, index_t... E>
tensor<T, E...> load_npy(const std::filesystem::path& path) {
    static_assert(has_dtype<T>, "tfx: load_npy: the element type must be float, double, int32_t, int64_t, bool or uint8_t");
    if constexpr (has_dtype<T>) {
        npy_reader r(path);
        return read_tensor<T, E...>(r, "load_npy");
    } else {
        return {};
    }
}

// Writes t as a .npy file that np.load reads (the bytes np.save would write). Atomic: a temporary
// file in the same directory, fsync'ed and renamed over path.
template <class T, index_t... E>
void save_npy(const std::filesystem::path& path, const tensor<T, E...>& t) {
    static_assert(has_dtype<T>, "tfx: save_npy: the element type must be float, double, int32_t, int64_t, bool or uint8_t");
    if constexpr (has_dtype<T>) {
        const auto d = t.shape();
        const std::string header = make_npy_header(dtype_of<T>(), std::span<const std::size_t>(d.data(), d.size()));
        detail::atomic_file f(path, "save_npy");
        f.write(header);
        f.write(t.data(), t.size() * sizeof(T));
        f.commit();
    }
}

}  // namespace tfx::io

#ifndef TFX_COMPILED_LIB
#include "impl/npy.ipp"
#endif
