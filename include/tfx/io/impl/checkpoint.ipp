#pragma once
// Definitions of checkpoint.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../checkpoint.hpp"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace tfx::checkpoint::detail {

TFX_INLINE std::string shape_text(const std::vector<std::size_t>& d) { return shape_string(d); }
TFX_INLINE std::string shape_text(const std::vector<index_t>& extents) { return extents_string(extents); }

TFX_INLINE std::string mismatch(const slot& s, const io::npy_header& h) {
    const std::string var = " (variable " + io::detail::in_quotes(s.name) + " is a " + s.type_string +
                            (s.empty ? ", empty" : " of shape " + shape_text(s.dims)) + ")";
    if (h.type != s.type)
        return "dtype is '" + std::string(io::dtype_descr(h.type)) + "' (" + std::string(io::dtype_name(h.type)) +
               "), expected '" + std::string(io::dtype_descr(s.type)) + "' (" + std::string(io::dtype_name(s.type)) + ")" + var;
    bool ok = h.shape.size() == s.extents.size();
    for (std::size_t i = 0; ok && i < s.extents.size(); ++i)
        ok = s.extents[i] == dyn ? (s.empty || h.shape[i] == s.dims[i]) : h.shape[i] == std::size_t(s.extents[i]);
    if (!ok) return "shape is " + shape_text(h.shape) + ", expected " + (s.empty ? shape_text(s.extents) : shape_text(s.dims)) + var;
    return {};
}

TFX_INLINE void restore_slots(const std::filesystem::path& path, bool partial, const std::vector<slot>& slots) {
    const std::string op = "tfx: checkpoint::restore: " + io::detail::in_quotes(path) + ": ";
    std::unordered_set<std::string_view> names;
    for (const auto& s : slots) {
        if (auto why = io::detail::bad_array_name(s.name); !why.empty())
            throw value_error(op + "variable name " + io::detail::in_quotes(s.name) + ": " + why);
        if (!names.insert(s.name).second) throw value_error(op + "two variables are named " + io::detail::in_quotes(s.name));
    }

    const io::npz_reader archive(path);
    std::vector<std::string> problems;
    std::vector<const io::detail::zip_entry*> entries(slots.size());
    std::unordered_set<const io::detail::zip_entry*> used;
    for (std::size_t i = 0; i < slots.size(); ++i) {
        entries[i] = archive.zip().find(slots[i].name + ".npy");
        if (!entries[i])
            problems.push_back("member " + io::detail::in_quotes(slots[i].name + ".npy") + " is missing (expected a " +
                               std::string(io::dtype_name(slots[i].type)) + " array of shape " +
                               (slots[i].empty ? shape_text(slots[i].extents) : shape_text(slots[i].dims)) +
                               " for variable " + io::detail::in_quotes(slots[i].name) + ")");
        else
            used.insert(entries[i]);
    }
    if (!partial)
        for (const auto& e : archive.zip().entries())
            if (!used.count(&e))
                problems.push_back("member " + io::detail::in_quotes(e.name) +
                                   " matches no variable (pass checkpoint::expect_partial to allow that)");
    // Headers first: every dtype and shape is checked before any data is read.
    for (std::size_t i = 0; i < slots.size(); ++i)
        if (entries[i]) {
            io::npy_reader r(archive.zip().open(*entries[i]));
            if (auto why = mismatch(slots[i], r.header()); !why.empty())
                problems.push_back("member " + io::detail::in_quotes(entries[i]->name) + ": " + why);
        }
    if (!problems.empty()) {
        std::string msg = op + "the checkpoint does not match the variables; nothing was restored:";
        for (const auto& p : problems) msg += "\n  " + p;
        throw io_error(msg);
    }
    // Then every array is read into a new tensor (CRC checked), and only then moved in.
    std::vector<std::shared_ptr<void>> staged;
    staged.reserve(slots.size());
    for (std::size_t i = 0; i < slots.size(); ++i) {
        io::npy_reader r(archive.zip().open(*entries[i]));
        staged.push_back(slots[i].stage(r));
    }
    for (std::size_t i = 0; i < slots.size(); ++i) slots[i].commit(slots[i].target, staged[i].get());
}

}  // namespace tfx::checkpoint::detail
