#pragma once
// ds.enumerate(start = 0): elements become (index, element) tuples, the index a rank-0 int64
// tensor counting from start (as tf.data: the element stays nested, for (auto& [i, xy] : ...)).
#include <tuple>
#include <utility>

#include "dataset.hpp"

namespace tfx::data {

template <class D>
class enumerate_dataset : public dataset_base<enumerate_dataset<D>> {
    D up_;
    std::int64_t start_;

   public:
    using element_type = std::tuple<tensor<std::int64_t>, element_t<D>>;

    enumerate_dataset(D up, std::int64_t start) : up_(std::move(up)), start_(start) {}

    class cursor {
        typename D::cursor up_;
        std::int64_t i_;

       public:
        cursor(typename D::cursor up, std::int64_t start) : up_(std::move(up)), i_(start) {}
        bool next(element_type& out) {
            if (!up_.next(std::get<1>(out))) return false;
            std::get<0>(out)() = i_++;
            return true;
        }
    };
    cursor make_cursor() const { return cursor(up_.make_cursor(), start_); }
    std::int64_t cardinality() const { return up_.cardinality(); }
};

template <class D>
auto dataset_base<D>::enumerate(std::int64_t start) const& {
    return enumerate_dataset<D>(self(), start);
}
template <class D>
auto dataset_base<D>::enumerate(std::int64_t start) && {
    return enumerate_dataset<D>(std::move(*this).self(), start);
}

}  // namespace tfx::data
