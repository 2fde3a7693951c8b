#pragma once
// Checkpoints: the variables of models, optimizers and loose tensors saved to one .npz (a member
// "<path>.npy" per variable, e.g. "dense_1/kernel.npy", which np.load opens) and restored from it.
// save is atomic; restore validates everything before it changes anything. See docs/io.md.
//
// A variable collection is any object with
//     template <class F> void for_each_variable(F&& f);        // f(std::string_view name, tensor<T, E...>& t)
//     template <class F> void for_each_variable(F&& f) const;  // f(std::string_view name, const tensor<T, E...>& t)
// that visits the same variables, in the same order, each time. checkpoint::bind(name, tensor)
// makes one of a loose tensor, checkpoint::scope(prefix, collection) prefixes its names.
#include <algorithm>
#include <concepts>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "../core/inline.hpp"
#include "npz.hpp"

namespace tfx::checkpoint {

namespace detail {
// Stand-ins for the visitor, to check that a type is a variable collection.
struct any_variable {
    template <class T, index_t... E>
    void operator()(std::string_view, tensor<T, E...>&) const {}
};
struct any_const_variable {
    template <class T, index_t... E>
    void operator()(std::string_view, const tensor<T, E...>&) const {}
};
}  // namespace detail

template <class T, index_t... E>
class const_binding;
namespace detail {
template <class C>
inline constexpr bool is_const_binding = false;
template <class T, index_t... E>
inline constexpr bool is_const_binding<const_binding<T, E...>> = true;
}  // namespace detail

// Something restore can write into: for_each_variable(f) hands f (name, tensor&). (The check sees
// that the call exists; a const object or a binding of a const tensor is refused here, a
// collection that hands out const tensors is refused where it does.)
template <class C>
concept variable_collection = !std::is_const_v<C> && !detail::is_const_binding<std::remove_cv_t<C>> &&
                              requires(C& c, detail::any_variable f) { c.for_each_variable(f); };
// Something save can read: for_each_variable(f) const hands f (name, const tensor&).
template <class C>
concept const_variable_collection = requires(const C& c, detail::any_const_variable f) { c.for_each_variable(f); };

// ---- loose tensors and prefixes

template <class T, index_t... E>
class binding {
   public:
    binding(std::string name, tensor<T, E...>& t) : name_(std::move(name)), t_(&t) {}
    template <class F>
    void for_each_variable(F&& f) {
        f(std::string_view(name_), *t_);
    }
    template <class F>
    void for_each_variable(F&& f) const {
        f(std::string_view(name_), std::as_const(*t_));
    }

   private:
    std::string name_;
    tensor<T, E...>* t_;
};

template <class T, index_t... E>
class const_binding {
   public:
    const_binding(std::string name, const tensor<T, E...>& t) : name_(std::move(name)), t_(&t) {}
    template <class F>
    void for_each_variable(F&& f) const {
        f(std::string_view(name_), *t_);
    }

   private:
    std::string name_;
    const tensor<T, E...>* t_;
};

// checkpoint::bind("dense_1/kernel", W): W as a collection of one variable. A const tensor can be
// saved, not restored; a temporary cannot be bound (it would be gone before it is used).
template <class T, index_t... E>
binding<T, E...> bind(std::string name, tensor<T, E...>& t) {
    return {std::move(name), t};
}
template <class T, index_t... E>
const_binding<T, E...> bind(std::string name, const tensor<T, E...>& t) {
    return {std::move(name), t};
}
template <class T, index_t... E>
void bind(std::string, const tensor<T, E...>&&) {
    static_assert(sizeof(T) == 0,
                  "tfx: checkpoint::bind: the tensor is a temporary, which would be gone before save or restore uses "
                  "it; bind a named tensor");
}

// checkpoint::scope("generator", g): g's variables named "generator/<name>". Holds g by reference
// when it is an lvalue, by value when it is a temporary (a binding).
template <class C>
class scoped {
   public:
    scoped(std::string prefix, C c) : prefix_(std::move(prefix)), c_(std::forward<C>(c)) {}
    template <class F>
    void for_each_variable(F&& f) {
        c_.for_each_variable([&](std::string_view name, auto& t) { f(std::string_view(prefix_ + "/" + std::string(name)), t); });
    }
    template <class F>
    void for_each_variable(F&& f) const {
        std::as_const(c_).for_each_variable(
            [&](std::string_view name, const auto& t) { f(std::string_view(prefix_ + "/" + std::string(name)), t); });
    }

   private:
    std::string prefix_;
    C c_;
};
template <class C>
scoped<C> scope(std::string prefix, C&& c) {
    return {std::move(prefix), std::forward<C>(c)};
}

// ---- save

// Writes every variable of the collections to path, one "<name>.npy" member each, atomically (a
// temporary file in the same directory, fsync'ed, renamed over path). Names must be unique and
// valid paths ("dense_1/kernel"): otherwise value_error, and path is untouched.
template <class... C>
void save(const std::filesystem::path& path, const C&... collections) {
    static_assert((const_variable_collection<C> && ...),
                  "tfx: checkpoint::save: each argument after the path must be a variable collection: an object with "
                  "for_each_variable(f) const calling f(name, tensor), or checkpoint::bind(name, tensor)");
    if constexpr ((const_variable_collection<C> && ...)) {
        io::npz_writer w(path, "checkpoint::save");
        auto add = [&](std::string_view name, const auto& t) {
            static_assert(is_tensor_v<decltype(t)>, "tfx: checkpoint::save: for_each_variable must hand f a tfx::tensor");
            w.add(name, t);
        };
        (collections.for_each_variable(add), ...);
        w.commit();
    }
}

// ---- restore

// restore(path, expect_partial, ...): members of the file that no variable asks for are allowed
// (restoring a model alone from a model-and-optimizer checkpoint). Without it they are an error.
struct expect_partial_t {};
inline constexpr expect_partial_t expect_partial{};

namespace detail {

// One variable to restore, its type erased.
struct slot {
    std::string name;
    io::dtype type;
    std::vector<index_t> extents;   // static extents, dyn for dynamic ones
    std::vector<std::size_t> dims;  // the tensor's current shape
    bool empty;                     // size() == 0: its dynamic extents take the file's
    std::string type_string;        // "tensor<float, dyn, 3>"
    void* target;
    std::shared_ptr<void> (*stage)(io::npy_reader&);       // the file's array as a new tensor
    void (*commit)(void* target, void* staged) noexcept;  // moves it in
};

template <class T, index_t... E>
std::shared_ptr<void> stage_tensor(io::npy_reader& r) {
    return std::make_shared<tensor<T, E...>>(io::read_tensor<T, E...>(r, "checkpoint::restore"));
}
template <class T, index_t... E>
void commit_tensor(void* target, void* staged) noexcept {
    auto& dst = *static_cast<tensor<T, E...>*>(target);
    auto& src = *static_cast<tensor<T, E...>*>(staged);
    if (dst.shape() == src.shape())
        std::copy(src.begin(), src.end(), dst.begin());  // keeps the tensor's storage (and data()) in place
    else
        dst = std::move(src);
}

template <class T, index_t... E>
slot make_slot(std::string_view name, tensor<T, E...>& t) {
    static_assert(io::has_dtype<T>,
                  "tfx: checkpoint::restore: a variable's element type must be float, double, int32_t, int64_t, bool or uint8_t");
    using S = tfx::shape<E...>;
    const auto d = t.shape();
    return slot{std::string(name),
                io::dtype_of<T>(),
                std::vector<index_t>(S::extents.begin(), S::extents.end()),
                std::vector<std::size_t>(d.begin(), d.end()),
                t.size() == 0,
                io::detail::tensor_type_string<S>(io::dtype_of<T>()),
                &t,
                &stage_tensor<T, E...>,
                &commit_tensor<T, E...>};
}

std::string shape_text(const std::vector<std::size_t>& d);
std::string shape_text(const std::vector<index_t>& extents);  // "[?, 3]"

// What is wrong with the member's header for this slot, or an empty string.
std::string mismatch(const slot& s, const io::npy_header& h);

// Restores the slots from path: all the work that does not depend on the variables' types, so it
// is compiled once, not once per model and call site.
void restore_slots(const std::filesystem::path& path, bool partial, const std::vector<slot>& slots);

template <class... C>
void restore(const std::filesystem::path& path, bool partial, C&... collections) {
    std::vector<slot> slots;
    auto collect = [&](std::string_view name, auto& t) {
        constexpr bool ok = is_tensor_v<decltype(t)> && !std::is_const_v<std::remove_reference_t<decltype(t)>>;
        static_assert(ok, "tfx: checkpoint::restore: a collection's for_each_variable handed f a const tensor (or not a "
                          "tfx::tensor); restore needs tensor& to write into");
        if constexpr (ok) slots.push_back(make_slot(name, t));
    };
    (collections.for_each_variable(collect), ...);
    restore_slots(path, partial, slots);
}

}  // namespace detail

// Restores every variable of the collections from path. Nothing changes unless everything matches:
// each variable has a member "<name>.npy" of its dtype and shape (static extents as declared;
// dynamic extents as the tensor's current shape, or any when the tensor is empty, which then takes
// the file's shape), no member is left over (unless expect_partial), every CRC is right. The
// arrays are read into new tensors first and moved in at the end, so an error (io_error naming the
// file, the member and what was expected) leaves every variable as it was.
template <class... C>
    requires(!std::is_same_v<std::remove_cvref_t<C>, expect_partial_t> && ...)
void restore(const std::filesystem::path& path, C&&... collections) {
    static_assert((variable_collection<std::remove_reference_t<C>> && ...),
                  "tfx: checkpoint::restore: each argument after the path must be a variable collection with "
                  "non-const tensors: an object with for_each_variable(f) calling f(name, tensor&), or "
                  "checkpoint::bind(name, tensor) of a non-const tensor");
    if constexpr ((variable_collection<std::remove_reference_t<C>> && ...)) detail::restore(path, false, collections...);
}
template <class... C>
void restore(const std::filesystem::path& path, expect_partial_t, C&&... collections) {
    static_assert((variable_collection<std::remove_reference_t<C>> && ...),
                  "tfx: checkpoint::restore: each argument after the path must be a variable collection with "
                  "non-const tensors: an object with for_each_variable(f) calling f(name, tensor&), or "
                  "checkpoint::bind(name, tensor) of a non-const tensor");
    if constexpr ((variable_collection<std::remove_reference_t<C>> && ...)) detail::restore(path, true, collections...);
}

}  // namespace tfx::checkpoint

#ifndef TFX_COMPILED_LIB
#include "impl/checkpoint.ipp"
#endif
