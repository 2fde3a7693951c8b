#pragma once
// ds.skip(n): all but the first n elements (none when n < 0, as tf.data).
#include <utility>

#include "dataset.hpp"

namespace tfx::data {

template <class D>
class skip_dataset : public dataset_base<skip_dataset<D>> {
    D up_;
    std::int64_t n_;

   public:
    using element_type = element_t<D>;

    skip_dataset(D up, std::int64_t n) : up_(std::move(up)), n_(n) {}

    class cursor {
        typename D::cursor up_;
        std::int64_t n_;
        bool skipped_ = false;

       public:
        cursor(typename D::cursor up, std::int64_t n) : up_(std::move(up)), n_(n) {}
        bool next(element_type& out) {
            if (!skipped_) {
                skipped_ = true;
                if (n_ < 0) return false;
                for (std::int64_t i = 0; i < n_; ++i)
                    if (!up_.next(out)) return false;
            }
            return up_.next(out);
        }
    };
    cursor make_cursor() const { return cursor(up_.make_cursor(), n_); }
    std::int64_t cardinality() const {
        const auto c = up_.cardinality();
        if (n_ < 0) return 0;
        if (c < 0) return c;
        return c > n_ ? c - n_ : 0;
    }
};

template <class D>
auto dataset_base<D>::skip(std::int64_t count) const& {
    return skip_dataset<D>(self(), count);
}
template <class D>
auto dataset_base<D>::skip(std::int64_t count) && {
    return skip_dataset<D>(std::move(*this).self(), count);
}

}  // namespace tfx::data
