#pragma once
// ds.filter(pred): keeps the elements for which pred (called as map calls its function) returns
// true; pred returns bool, anything convertible to bool, or a rank-0 bool tensor or expression.
#include <utility>

#include "dataset.hpp"

namespace tfx::data {

namespace detail {
template <class R>
inline constexpr bool predicate_result = [] {
    using D = std::remove_cvref_t<R>;
    if constexpr (expression<D>)
        return std::is_same_v<typename D::value_type, bool> && D::rank == 0;
    else
        return std::is_constructible_v<bool, R>;
}();

template <class R>
bool truth(R&& r) {
    using D = std::remove_cvref_t<R>;
    if constexpr (is_tensor_v<D>)
        return r();
    else if constexpr (expression<D>)
        return eval(r)();
    else
        return static_cast<bool>(r);
}
}  // namespace detail

template <class D, class P>
class filter_dataset : public dataset_base<filter_dataset<D, P>> {
    D up_;
    P pred_;

   public:
    using element_type = element_t<D>;

    filter_dataset(D up, P pred) : up_(std::move(up)), pred_(std::move(pred)) {}

    class cursor {
        typename D::cursor up_;
        P pred_;

       public:
        cursor(typename D::cursor up, P p) : up_(std::move(up)), pred_(std::move(p)) {}
        bool next(element_type& out) {
            while (up_.next(out))
                if (detail::truth(detail::call(pred_, out))) return true;
            return false;
        }
    };
    cursor make_cursor() const { return cursor(up_.make_cursor(), pred_); }
    std::int64_t cardinality() const {
        const auto n = up_.cardinality();
        return n == 0 || n == infinite_cardinality ? n : unknown_cardinality;
    }
};

namespace detail {
template <class D, class P>
auto make_filter(D&& up, P&& pred) {
    using E = element_t<D>;
    using Fn = std::remove_cvref_t<P>;
    static_assert(callable_with<Fn, E>,
                  "tfx: filter: the predicate cannot be called with the dataset's element (a tuple's components are "
                  "passed as separate arguments, or the whole element as one); see the types below");
    if constexpr (callable_with<Fn, E>) {
        static_assert(predicate_result<call_result_t<Fn, E>>,
                      "tfx: filter: the predicate must return bool (or a rank-0 bool tensor or expression)");
        if constexpr (predicate_result<call_result_t<Fn, E>>)
            return filter_dataset<std::remove_cvref_t<D>, Fn>(std::forward<D>(up), std::forward<P>(pred));
    }
}
}  // namespace detail

template <class D>
template <class P>
auto dataset_base<D>::filter(P pred) const& {
    return detail::make_filter(self(), std::move(pred));
}
template <class D>
template <class P>
auto dataset_base<D>::filter(P pred) && {
    return detail::make_filter(std::move(*this).self(), std::move(pred));
}

}  // namespace tfx::data
