#pragma once
// Definitions of npz.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../npz.hpp"

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tfx::io {

namespace detail {

TFX_INLINE std::string bad_array_name(std::string_view name) {
    if (name.empty()) return "the name is empty";
    if (name.find('\0') != std::string_view::npos) return "the name contains a NUL byte";
    if (name.find('\\') != std::string_view::npos) return "the name contains '\\' (use '/' to nest)";
    if (name.front() == '/') return "the name starts with '/'";
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = name.find('/', start);
        const auto part = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (part.empty()) return "the name has an empty path component";
        if (part == "." || part == "..") return "the name has a '" + std::string(part) + "' path component";
        if (slash == std::string_view::npos) return {};
        start = slash + 1;
    }
}

}  // namespace detail

TFX_INLINE npz_reader::npz_reader(const std::filesystem::path& path)
    : zip_(std::make_shared<detail::file_input>(path, "npz file")) {}

TFX_INLINE npz_reader::npz_reader(std::string_view bytes, const std::string& name)
    : zip_(std::make_shared<detail::memory_input>(bytes, "npz data " + detail::in_quotes(name))) {}

TFX_INLINE npz_reader::npz_reader(std::string&& bytes, const std::string& name)
    : zip_(std::make_shared<detail::memory_input>(std::move(bytes), "npz data " + detail::in_quotes(name))) {}

TFX_INLINE std::vector<std::string> npz_reader::names() const {
    std::vector<std::string> r;
    for (const auto& e : zip_.entries()) r.push_back(array_name(e.name));
    return r;
}

TFX_INLINE npy_reader npz_reader::open(std::string_view name) const {
    const detail::zip_entry* e = entry(name);
    if (!e)
        throw io_error("tfx: " + where() + ": no member " + detail::in_quotes(std::string(name) + ".npy") +
                       " (the archive has " + std::to_string(zip_.entries().size()) + " members" + list_names() + ")");
    return npy_reader(zip_.open(*e));
}

TFX_INLINE const detail::zip_entry* npz_reader::entry(std::string_view name) const noexcept {
    if (const auto* e = zip_.find(std::string(name) + ".npy")) return e;
    return zip_.find(name);
}

TFX_INLINE std::string npz_reader::list_names() const {
    std::string r;
    std::size_t k = 0;
    for (const auto& e : zip_.entries()) {
        if (k == 8) return r + ", ...";
        r += (k++ ? ", " : ": ") + detail::in_quotes(e.name);
    }
    return r;
}

TFX_INLINE void npz_writer::add(std::string_view name, dtype type, std::span<const std::size_t> shape,
                                const void* data) {
    const std::string member = std::string(name) + ".npy";
    if (auto why = detail::bad_array_name(name); !why.empty())
        throw value_error("tfx: " + zip_.op() + ": " + detail::in_quotes(zip_.target()) + ": array name " +
                          detail::in_quotes(std::string(name)) + ": " + why);
    if (!names_.insert(member).second)
        throw value_error("tfx: " + zip_.op() + ": " + detail::in_quotes(zip_.target()) + ": two arrays are named " +
                          detail::in_quotes(std::string(name)));
    std::size_t count = 1;
    for (auto e : shape) count *= e;
    const std::string header = make_npy_header(type, shape);
    const std::string_view parts[] = {header, std::string_view(static_cast<const char*>(data), count * dtype_size(type))};
    zip_.add_stored(member, parts);
}

}  // namespace tfx::io
