#pragma once
// ds.cache(): the first complete pass stores the elements in memory; later passes read them from
// there instead of running the upstream stages again. A pass that stops early stores nothing (as
// tf.data, which discards a partial cache). While one pass is filling the cache, other passes read
// upstream directly. Copies of the dataset share the cache; memory is the whole dataset's size.
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "dataset.hpp"

namespace tfx::data {

template <class D>
class cache_dataset : public dataset_base<cache_dataset<D>> {
   public:
    using element_type = element_t<D>;

   private:
    struct store {
        std::mutex m;
        bool complete = false, filling = false;
        std::vector<element_type> elements;  // immutable once complete
    };
    D up_;
    std::shared_ptr<store> store_ = std::make_shared<store>();

   public:
    explicit cache_dataset(D up) : up_(std::move(up)) {}

    class cursor {
        std::shared_ptr<store> store_;
        std::optional<typename D::cursor> up_;  // empty when reading the cache
        std::vector<element_type> filled_;      // this pass's elements, when it fills the cache
        bool filling_ = false;
        std::size_t i_ = 0;

       public:
        cursor(std::shared_ptr<store> s, const D& up) : store_(std::move(s)) {
            std::lock_guard lk(store_->m);
            if (store_->complete) return;
            up_.emplace(up.make_cursor());
            if (!store_->filling) filling_ = store_->filling = true;
        }
        cursor(cursor&& o) noexcept
            : store_(std::move(o.store_)),
              up_(std::move(o.up_)),
              filled_(std::move(o.filled_)),
              filling_(std::exchange(o.filling_, false)),
              i_(o.i_) {}
        cursor& operator=(cursor&&) = delete;
        ~cursor() {
            if (filling_) {  // stopped before the end: the partial pass is not kept
                std::lock_guard lk(store_->m);
                store_->filling = false;
            }
        }

        bool next(element_type& out) {
            if (!up_) {
                if (i_ == store_->elements.size()) return false;
                out = store_->elements[i_++];  // copy-assignment reuses out's storage
                return true;
            }
            if (up_->next(out)) {
                if (filling_) filled_.push_back(out);
                return true;
            }
            if (filling_) {
                std::lock_guard lk(store_->m);
                store_->elements = std::move(filled_);
                store_->complete = true;
                store_->filling = filling_ = false;
            }
            return false;
        }
    };
    cursor make_cursor() const { return cursor(store_, up_); }
    std::int64_t cardinality() const { return up_.cardinality(); }
};

template <class D>
auto dataset_base<D>::cache() const& {
    return cache_dataset<D>(self());
}
template <class D>
auto dataset_base<D>::cache() && {
    return cache_dataset<D>(std::move(*this).self());
}

}  // namespace tfx::data
