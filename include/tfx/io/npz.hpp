#pragma once
// NumPy .npz archives: a ZIP file with one "<name>.npy" member per array. Reads what np.savez and
// np.savez_compressed write; writes what np.savez writes (stored members), atomically. Names may
// contain '/' ("dense_1/kernel"): np.load(f)["dense_1/kernel"] finds them. See docs/io.md.
// Links with zlib (-lz, CMake ZLIB::ZLIB).
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "../core/inline.hpp"
#include "npy.hpp"
#include "zip.hpp"

namespace tfx::io {

namespace detail {
// An array name must make a sensible path inside the archive: not empty, no leading '/', no empty,
// "." or ".." components, no '\\' or NUL. Returns what is wrong, or an empty string.
std::string bad_array_name(std::string_view name);
}  // namespace detail

// Reads an .npz archive. The central directory is read when constructed; each array is read (and
// its CRC-32 checked) when asked for. Array names are member names without ".npy", as NumPy's.
class npz_reader {
   public:
    explicit npz_reader(const std::filesystem::path& path);
    // Over a buffer that must outlive the reader, or a std::string moved in; `name` names it in
    // messages.
    npz_reader(std::string_view bytes, const std::string& name);
    npz_reader(std::string&& bytes, const std::string& name);

    const std::string& where() const noexcept { return zip_.where(); }

    // The array names, in archive order.
    std::vector<std::string> names() const;
    bool contains(std::string_view name) const noexcept { return entry(name) != nullptr; }

    // The array's reader (its header is parsed; the data streams row by row, the CRC is checked
    // with the last row). Throws io_error when there is no such member.
    npy_reader open(std::string_view name) const;

    // The whole array as a tensor<T, E...> (dtype and static extents checked).
    template <class T, index_t... E>
    tensor<T, E...> read(std::string_view name) const {
        static_assert(has_dtype<T>, "tfx: npz_reader::read: the element type must be float, double, int32_t, int64_t, bool or uint8_t");
        if constexpr (has_dtype<T>) {
            npy_reader r = open(name);
            return read_tensor<T, E...>(r, "npz_reader::read");
        } else {
            return {};
        }
    }

    // The ZIP member for an array name: "<name>.npy", or the name itself (as np.load).
    const detail::zip_entry* entry(std::string_view name) const noexcept;
    const detail::zip_reader& zip() const noexcept { return zip_; }

   private:
    detail::zip_reader zip_;

    static std::string array_name(const std::string& member) {
        return member.size() > 4 && member.ends_with(".npy") ? member.substr(0, member.size() - 4) : member;
    }
    std::string list_names() const;
};

// Writes an .npz archive: add() each array, then commit(), which replaces the file atomically.
// Without commit() (an exception on the way) the target is left as it was.
class npz_writer {
   public:
    explicit npz_writer(const std::filesystem::path& path, std::string op = "npz_writer") : zip_(path, std::move(op)) {}

    template <class T, index_t... E>
    void add(std::string_view name, const tensor<T, E...>& t) {
        static_assert(has_dtype<T>, "tfx: npz_writer::add: the element type must be float, double, int32_t, int64_t, bool or uint8_t");
        if constexpr (has_dtype<T>) {
            const auto d = t.shape();
            add(name, dtype_of<T>(), std::span<const std::size_t>(d.data(), d.size()), t.data());
        }
    }
    // C-order data of the given dtype and shape.
    void add(std::string_view name, dtype type, std::span<const std::size_t> shape, const void* data);
    void commit() { zip_.commit(); }

   private:
    detail::zip_writer zip_;
    std::unordered_set<std::string> names_;
};

// np.savez(path, name0=t0, name1=t1, ...): save_npz(path, "name0", t0, "name1", t1, ...).
template <class... A>
void save_npz(const std::filesystem::path& path, const A&... named) {
    static_assert(sizeof...(A) % 2 == 0, "tfx: save_npz: the arguments after the path are pairs: name, tensor");
    if constexpr (sizeof...(A) % 2 == 0) {
        npz_writer w(path, "save_npz");
        const auto args = std::forward_as_tuple(named...);
        auto add = [&](const auto& name, const auto& t) {
            static_assert(std::is_convertible_v<decltype(name), std::string_view>,
                          "tfx: save_npz: expected a name (a string) before each tensor");
            static_assert(is_tensor_v<decltype(t)>, "tfx: save_npz: expected a tensor after each name");
            if constexpr (std::is_convertible_v<decltype(name), std::string_view> && is_tensor_v<decltype(t)>)
                w.add(std::string_view(name), t);
        };
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (add(std::get<2 * I>(args), std::get<2 * I + 1>(args)), ...);
        }(std::make_index_sequence<sizeof...(A) / 2>{});
        w.commit();
    }
}

// One array of an .npz file as a tensor<T, E...>.
template <class T, index_t... E>
tensor<T, E...> load_npz(const std::filesystem::path& path, std::string_view name) {
    return npz_reader(path).read<T, E...>(name);
}

}  // namespace tfx::io

#ifndef TFX_COMPILED_LIB
#include "impl/npz.ipp"
#endif
