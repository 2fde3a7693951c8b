#pragma once
// data::from_tensor_slices(x) and (x, y, ...): the elements are the slices along the first axis
// (x: tensor<float, dyn, 64> gives tensor<float, 64> elements; several tensors give tuples). The
// tensors are copied in once (moved when passed as rvalues, evaluated when expressions) and shared,
// read-only, by every copy of the dataset and every iterator.
#include <algorithm>
#include <memory>
#include <string>
#include <tuple>

#include "dataset.hpp"

namespace tfx::data {

namespace detail {
template <class Tn>
struct row;
template <class T, index_t E0, index_t... E>
struct row<tensor<T, E0, E...>> {
    using type = tensor<T, E...>;
};
template <class Tn>
using row_t = typename row<Tn>::type;

template <class Tn>
void copy_row(row_t<Tn>& out, const Tn& src, std::size_t i) {
    if constexpr (!row_t<Tn>::is_static) {
        const auto s = src.shape();
        dims_t<Tn::rank - 1> d{};
        std::copy(s.begin() + 1, s.end(), d.begin());
        out.resize(d);
    }
    if constexpr (row_t<Tn>::is_static) {  // a size known to the compiler: the copy is inlined
        constexpr std::size_t n = row_t<Tn>::shape_type::static_size;
        std::copy_n(src.data() + i * n, n, out.data());
    } else {
        const std::size_t n = out.size();
        std::copy_n(src.data() + i * n, n, out.data());
    }
}

// 'tfx::data::detail::first_extents_agree<tfx::shape<150, 4>, tfx::shape<149> >' evaluates to false.
template <class... S>
inline constexpr bool first_extents_agree = [] {
    index_t e = dyn;
    for (index_t x : {S::extents[0]...}) {
        if (x == dyn) continue;
        if (e != dyn && e != x) return false;
        e = x;
    }
    return true;
}();
}  // namespace detail

template <class... Tn>
class tensor_slices_dataset : public dataset_base<tensor_slices_dataset<Tn...>> {
    using data_t = std::tuple<Tn...>;
    std::shared_ptr<const data_t> data_;
    std::size_t rows_ = 0;

   public:
    using element_type = std::conditional_t<sizeof...(Tn) == 1, detail::row_t<std::tuple_element_t<0, data_t>>,
                                            std::tuple<detail::row_t<Tn>...>>;

    explicit tensor_slices_dataset(Tn... t) : data_(std::make_shared<const data_t>(std::move(t)...)) {
        rows_ = std::get<0>(*data_).shape()[0];
        bool same = true;
        std::string shapes;
        detail::for_each_index<data_t>([&](auto i) {
            const auto s = std::get<i>(*data_).shape();
            same = same && s[0] == rows_;
            shapes += (i == 0 ? "" : " and ") + shape_string(s);
        });
        if (!same) throw shape_error("tfx: from_tensor_slices: the tensors' first extents differ: shapes " + shapes);
    }

    class cursor {
        std::shared_ptr<const data_t> data_;
        std::size_t i_ = 0, n_;

       public:
        cursor(std::shared_ptr<const data_t> d, std::size_t n) : data_(std::move(d)), n_(n) {}
        bool next(element_type& out) {
            if (i_ == n_) return false;
            if constexpr (sizeof...(Tn) == 1)
                detail::copy_row(out, std::get<0>(*data_), i_);
            else
                detail::for_each_index<data_t>(
                    [&](auto k) { detail::copy_row(std::get<k>(out), std::get<k>(*data_), i_); });
            ++i_;
            return true;
        }
    };
    cursor make_cursor() const { return cursor(data_, rows_); }
    std::int64_t cardinality() const noexcept { return std::int64_t(rows_); }
};

// Slices of one tensor or of several with the same first extent; expressions are evaluated first.
template <expression... X>
    requires(sizeof...(X) > 0)
auto from_tensor_slices(X&&... xs) {
    static_assert(
        ((std::remove_cvref_t<X>::rank >= 1) && ...),
        "tfx: from_tensor_slices: every tensor needs rank 1 or more (elements are its slices along the first axis)");
    static_assert(detail::first_extents_agree<typename std::remove_cvref_t<X>::shape_type...>,
                  "tfx: from_tensor_slices: the tensors' first extents differ (shapes below)");
    return tensor_slices_dataset<tensor_of<std::remove_cvref_t<X>>...>(
        tensor_of<std::remove_cvref_t<X>>(std::forward<X>(xs))...);
}

}  // namespace tfx::data
