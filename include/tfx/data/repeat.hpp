#pragma once
// ds.repeat(count = -1): the dataset count times over (forever when count < 0), each time a new pass
// (so a shuffle upstream gives a new order each time). A pass that yields nothing ends it, rather
// than looping forever over an empty dataset.
#include <optional>
#include <utility>

#include "dataset.hpp"

namespace tfx::data {

template <class D>
class repeat_dataset : public dataset_base<repeat_dataset<D>> {
    D up_;
    std::int64_t count_;

   public:
    using element_type = element_t<D>;

    repeat_dataset(D up, std::int64_t count) : up_(std::move(up)), count_(count) {}

    class cursor {
        D ds_;  // its own copy: it starts the next passes
        std::optional<typename D::cursor> cur_;
        std::int64_t count_, passes_ = 0;
        bool got_ = false;

       public:
        cursor(D ds, std::int64_t count) : ds_(std::move(ds)), count_(count) {}
        bool next(element_type& out) {
            for (;;) {
                if (!cur_) {
                    if (count_ >= 0 && passes_ >= count_) return false;
                    cur_.emplace(ds_.make_cursor());
                    got_ = false;
                }
                if (cur_->next(out)) {
                    got_ = true;
                    return true;
                }
                cur_.reset();
                ++passes_;
                if (!got_) {
                    count_ = passes_;  // an empty pass: stop here
                    return false;
                }
            }
        }
    };
    cursor make_cursor() const { return cursor(up_, count_); }
    std::int64_t cardinality() const {
        const auto c = up_.cardinality();
        if (c == 0 || count_ == 0) return 0;
        if (count_ < 0) return c == unknown_cardinality ? unknown_cardinality : infinite_cardinality;
        if (c < 0) return c;
        return detail::saturating_mul(c, count_);
    }
};

template <class D>
auto dataset_base<D>::repeat(std::int64_t count) const& {
    return repeat_dataset<D>(self(), count);
}
template <class D>
auto dataset_base<D>::repeat(std::int64_t count) && {
    return repeat_dataset<D>(std::move(*this).self(), count);
}

}  // namespace tfx::data
