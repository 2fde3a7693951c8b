#pragma once
// ds.take(n): the first n elements (all of them when n < 0, as tf.data).
#include <utility>

#include "dataset.hpp"

namespace tfx::data {

template <class D>
class take_dataset : public dataset_base<take_dataset<D>> {
    D up_;
    std::int64_t n_;

   public:
    using element_type = element_t<D>;

    take_dataset(D up, std::int64_t n) : up_(std::move(up)), n_(n) {}

    class cursor {
        typename D::cursor up_;
        std::int64_t left_;

       public:
        cursor(typename D::cursor up, std::int64_t n) : up_(std::move(up)), left_(n) {}
        bool next(element_type& out) {
            if (left_ == 0) return false;
            if (!up_.next(out)) {
                left_ = 0;
                return false;
            }
            if (left_ > 0) --left_;
            return true;
        }
    };
    cursor make_cursor() const { return cursor(up_.make_cursor(), n_); }
    std::int64_t cardinality() const {
        const auto c = up_.cardinality();
        if (n_ < 0) return c;
        if (c == infinite_cardinality) return n_;
        if (c == unknown_cardinality) return c;
        return c < n_ ? c : n_;
    }
};

template <class D>
auto dataset_base<D>::take(std::int64_t count) const& {
    return take_dataset<D>(self(), count);
}
template <class D>
auto dataset_base<D>::take(std::int64_t count) && {
    return take_dataset<D>(std::move(*this).self(), count);
}

}  // namespace tfx::data
