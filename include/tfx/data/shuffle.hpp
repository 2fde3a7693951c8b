#pragma once
// ds.shuffle(buffer_size, seed, reshuffle_each_iteration = true), as tf.data: a buffer holds the
// next buffer_size elements; each step yields one of them chosen at random and refills its place
// from upstream. buffer_size >= the dataset's size gives a uniform shuffle. The random numbers come
// from random::generator (the same on every platform), seeded from the seed and the epoch: every
// pass over the dataset gets its own order, and a dataset built again with the same seed goes
// through the same orders. Copies of a dataset share the epoch count (as one tf.data object does).
// The buffer is kept between passes (as long as the dataset lives) so that later passes reuse it.
#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../core/random.hpp"
#include "dataset.hpp"

namespace tfx::data {

template <class D>
class shuffle_dataset : public dataset_base<shuffle_dataset<D>> {
   public:
    using element_type = element_t<D>;

   private:
    // The buffer of the last finished pass, handed to the next one: its elements keep their
    // storage, so later passes allocate nothing (and touch no fresh pages).
    struct spare {
        std::mutex m;
        std::vector<element_type> buffer;
    };
    D up_;
    std::size_t buffer_;
    std::uint64_t seed_;
    bool reshuffle_;
    std::shared_ptr<std::atomic<std::uint64_t>> epochs_ = std::make_shared<std::atomic<std::uint64_t>>(0);
    std::shared_ptr<spare> spare_ = std::make_shared<spare>();

   public:
    shuffle_dataset(D up, std::int64_t buffer_size, std::uint64_t seed, bool reshuffle_each_iteration)
        : up_(std::move(up)), seed_(seed), reshuffle_(reshuffle_each_iteration) {
        if (buffer_size < 1)
            throw value_error("tfx: shuffle: buffer_size must be at least 1, got " + std::to_string(buffer_size));
        buffer_ = std::size_t(buffer_size);
    }

    class cursor {
        static constexpr std::size_t none = std::size_t(-1);
        typename D::cursor up_;
        std::shared_ptr<spare> spare_;
        std::vector<element_type> buf_;  // [0, live_) hold elements; the rest is storage to reuse
        std::size_t capacity_, reserve_, live_ = 0, pending_ = none;
        random::generator gen_;
        bool filled_ = false, exhausted_ = false;

        void fill() {
            filled_ = true;
            if (buf_.capacity() < reserve_) buf_.reserve(reserve_);
            while (live_ < capacity_) {
                if (live_ == buf_.size()) buf_.emplace_back();
                if (!up_.next(buf_[live_])) {
                    exhausted_ = true;
                    return;
                }
                ++live_;
            }
        }
        // The slot chosen last time is refilled from upstream (or, at the end, given the last
        // element) only now, so that next_view's pointer stays valid until this call.
        void settle() {
            if (pending_ == none) return;
            const std::size_t i = std::exchange(pending_, none);
            if (!exhausted_ && up_.next(buf_[i])) return;
            exhausted_ = true;
            if (i != --live_) detail::transfer(buf_[i], buf_[live_]);
        }

       public:
        cursor(typename D::cursor up, std::shared_ptr<spare> s, std::size_t capacity, std::size_t reserve,
               std::uint64_t seed)
            : up_(std::move(up)), spare_(std::move(s)), capacity_(capacity), reserve_(reserve), gen_(seed) {
            std::lock_guard lk(spare_->m);
            buf_ = std::move(spare_->buffer);
            spare_->buffer.clear();
        }
        cursor(cursor&&) noexcept = default;
        cursor& operator=(cursor&&) = delete;
        ~cursor() {
            if (!spare_) return;  // moved from
            std::lock_guard lk(spare_->m);
            if (spare_->buffer.capacity() < buf_.capacity()) spare_->buffer = std::move(buf_);
        }

        const element_type* next_view() {
            if (!filled_) fill();
            settle();
            if (live_ == 0) return nullptr;
            pending_ = std::size_t(gen_.below(live_));
            return &buf_[pending_];
        }
        bool next(element_type& out) {
            if (!next_view()) return false;
            detail::transfer(out, buf_[pending_]);  // the slot keeps out's old storage, refilled next
            return true;
        }
    };

    cursor make_cursor() const {
        const std::uint64_t epoch = reshuffle_ ? epochs_->fetch_add(1, std::memory_order_relaxed) : 0;
        // Room for the whole buffer up front when the upstream's size is known (no regrowth);
        // otherwise the vector grows as the buffer fills.
        const std::int64_t known = up_.cardinality();
        const std::size_t reserve =
            known >= 0 ? std::min<std::size_t>(buffer_, std::size_t(known)) : std::min<std::size_t>(buffer_, 4096);
        // The generator runs the seed through splitmix64, so neighbouring seeds give unrelated streams.
        return cursor(up_.make_cursor(), spare_, buffer_, reserve, seed_ ^ (0x9e3779b97f4a7c15ull * (epoch + 1)));
    }
    std::int64_t cardinality() const { return up_.cardinality(); }
};

template <class D>
auto dataset_base<D>::shuffle(std::int64_t buffer_size, std::uint64_t seed, bool reshuffle_each_iteration) const& {
    return shuffle_dataset<D>(self(), buffer_size, seed, reshuffle_each_iteration);
}
template <class D>
auto dataset_base<D>::shuffle(std::int64_t buffer_size, std::uint64_t seed, bool reshuffle_each_iteration) && {
    return shuffle_dataset<D>(std::move(*this).self(), buffer_size, seed, reshuffle_each_iteration);
}

}  // namespace tfx::data
