#pragma once
// ds.shard(num_shards, index): every num_shards-th element starting at element `index` (elements
// k with k % num_shards == index), as tf.data's shard: the shards of 0 .. num_shards - 1 together
// hold every element exactly once. For data-parallel training each rank reads its own shard
// (docs/distribute.md); shard before shuffling and batching, so that the shards stay disjoint.
#include <string>
#include <utility>

#include "dataset.hpp"

namespace tfx::data {

template <class D>
class shard_dataset : public dataset_base<shard_dataset<D>> {
    D up_;
    std::int64_t n_, index_;

   public:
    using element_type = element_t<D>;

    shard_dataset(D up, std::int64_t num_shards, std::int64_t index) : up_(std::move(up)), n_(num_shards), index_(index) {
        if (num_shards < 1)
            throw value_error("tfx: shard: num_shards must be at least 1, got " + std::to_string(num_shards));
        if (index < 0 || index >= num_shards)
            throw value_error("tfx: shard: index must be in [0, " + std::to_string(num_shards) + "), got " +
                              std::to_string(index));
    }

    class cursor {
        typename D::cursor up_;
        std::int64_t n_, skip_;  // elements to drop before the next one kept

       public:
        cursor(typename D::cursor up, std::int64_t n, std::int64_t index) : up_(std::move(up)), n_(n), skip_(index) {}
        bool next(element_type& out) {
            for (; skip_ > 0; --skip_)
                if (!up_.next(out)) return false;
            if (!up_.next(out)) return false;
            skip_ = n_ - 1;
            return true;
        }
    };
    cursor make_cursor() const { return cursor(up_.make_cursor(), n_, index_); }
    std::int64_t cardinality() const {
        const auto c = up_.cardinality();
        if (c < 0) return c;  // infinite or unknown
        return c / n_ + (index_ < c % n_ ? 1 : 0);
    }
};

template <class D>
auto dataset_base<D>::shard(std::int64_t num_shards, std::int64_t index) const& {
    return shard_dataset<D>(self(), num_shards, index);
}
template <class D>
auto dataset_base<D>::shard(std::int64_t num_shards, std::int64_t index) && {
    return shard_dataset<D>(std::move(*this).self(), num_shards, index);
}

}  // namespace tfx::data
