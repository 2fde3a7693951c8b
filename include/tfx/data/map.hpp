#pragma once
// ds.map(f): f is called with each element (a tuple's components as separate arguments when f takes
// them, as tf.data does) and its result is the new element: expressions are evaluated into tensors
// (straight into the reused output storage), numbers become rank-0 tensors, tuples and pairs are
// converted component by component, other values are kept. The new element type is deduced from f
// at compile time; a function that cannot take the element fails with "tfx: map: ...".
#include <functional>
#include <utility>

#include "dataset.hpp"

namespace tfx::data {

template <class D, class F>
class map_dataset : public dataset_base<map_dataset<D, F>> {
    D up_;
    F f_;

   public:
    using input_type = element_t<D>;
    using element_type = detail::result_element_t<detail::call_result_t<F, input_type>>;

    map_dataset(D up, F f) : up_(std::move(up)), f_(std::move(f)) {}

    class cursor {
        typename D::cursor up_;
        F f_;  // a copy per pass: the iterator does not depend on the dataset's lifetime
        input_type in_{};

       public:
        cursor(typename D::cursor up, F f) : up_(std::move(up)), f_(std::move(f)) {}
        bool next(element_type& out) {
            if (!up_.next(in_)) return false;
            // One full expression: an expression returned by f is evaluated before any temporary
            // it refers to is destroyed.
            detail::assign_result(out, detail::call(f_, in_));
            return true;
        }
    };
    cursor make_cursor() const { return cursor(up_.make_cursor(), f_); }
    std::int64_t cardinality() const { return up_.cardinality(); }
};

namespace detail {
template <class D, class F>
auto make_map(D&& up, F&& f) {
    using E = element_t<D>;
    using Fn = std::remove_cvref_t<F>;
    static_assert(callable_with<Fn, E>,
                  "tfx: map: the function cannot be called with the dataset's element (a tuple's components are "
                  "passed as separate arguments, or the whole element as one); see the types below");
    if constexpr (callable_with<Fn, E>) {
        using R = call_result_t<Fn, E>;
        static_assert(!std::is_void_v<R>,
                      "tfx: map: the function returns void; it must return the new element (tensors, expressions, "
                      "numbers, or a tuple of them)");
        if constexpr (!std::is_void_v<R>) {
            using Out = result_element_t<R>;
            static_assert(std::is_default_constructible_v<Out> && std::is_move_assignable_v<Out>,
                          "tfx: map: the function's result type must be default-constructible and movable");
            if constexpr (std::is_default_constructible_v<Out> && std::is_move_assignable_v<Out>)
                return map_dataset<std::remove_cvref_t<D>, Fn>(std::forward<D>(up), std::forward<F>(f));
        }
    }
}
}  // namespace detail

template <class D>
template <class F>
auto dataset_base<D>::map(F f) const& {
    return detail::make_map(self(), std::move(f));
}
template <class D>
template <class F>
auto dataset_base<D>::map(F f) && {
    return detail::make_map(std::move(*this).self(), std::move(f));
}

}  // namespace tfx::data
