#pragma once
// The dataset interface: every dataset derives from dataset_base<D> (CRTP), which gives it the
// chaining methods (.map, .batch, ...) and begin()/end(). A dataset D defines
//
//   using element_type = ...;          // what one iteration step yields
//   cursor make_cursor() const;        // a new pass over the data (an epoch)
//   std::int64_t cardinality() const;  // element count, infinite_cardinality or unknown_cardinality
//
// and its cursor has `bool next(element_type& out)`: it writes the next element into out (reusing
// out's storage) and returns false at the end. out may hold anything on entry (an earlier element,
// storage of another shape, a default-constructed value), so next() sets its shape every time.
// A cursor that holds its elements (shuffle) may also offer `const element_type* next_view()`:
// the next element where it is, valid until the cursor's next call, or nullptr at the end; a
// consumer that only reads the element (batch) uses it to save a copy. A cursor owns everything it reads (shared data,
// copies of functions), so an iterator outlives the dataset it came from. Each stage's methods are
// defined in its own header (map.hpp, batch.hpp, ...); include <tfx/data/data.hpp>.
#include <concepts>
#include <cstdint>
#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>

#include "element.hpp"

namespace tfx::data {

template <class D>
class dataset_base;

// Datasets: anything built by data::from_* and chained from there.
template <class D>
concept dataset = std::derived_from<std::remove_cvref_t<D>, dataset_base<std::remove_cvref_t<D>>>;

template <class D>
using element_t = typename std::remove_cvref_t<D>::element_type;

template <class D, class F>
class map_dataset;
template <class D, class P>
class filter_dataset;
template <class D>
class shuffle_dataset;
template <class D>
class batch_dataset;
template <class D>
class repeat_dataset;
template <class D>
class take_dataset;
template <class D>
class skip_dataset;
template <class D>
class cache_dataset;
template <class D>
class prefetch_dataset;
template <class D>
class enumerate_dataset;

// An input iterator over one pass. It owns its cursor and the current element (on the heap, so
// that moving the iterator is cheap and a prefetching cursor's thread sees a stable address). At
// the end, or when the cursor throws, the cursor is released (files closed, threads joined) and
// the iterator compares equal to end().
template <class Cursor, class E>
class iterator {
    struct state {
        Cursor cursor;
        E element{};
    };
    std::unique_ptr<state> s_;

    void advance() {
        try {
            if (!s_->cursor.next(s_->element)) s_.reset();
        } catch (...) {
            s_.reset();
            throw;
        }
    }

   public:
    using value_type = E;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::input_iterator_tag;

    iterator() = default;
    explicit iterator(Cursor c) : s_(new state{std::move(c)}) { advance(); }
    iterator(iterator&&) noexcept = default;
    iterator& operator=(iterator&&) noexcept = default;

    // The element stays valid until the iterator moves on; bind it with auto& to avoid a copy.
    E& operator*() const { return s_->element; }
    E* operator->() const { return &s_->element; }
    iterator& operator++() {
        advance();
        return *this;
    }
    void operator++(int) { advance(); }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return !it.s_; }
};

template <class D>
class dataset_base {
   public:
    // A new pass (epoch) each time: for (auto& [x, y] : ds) ...
    auto begin() const {
        auto c = self().make_cursor();
        return iterator<decltype(c), typename D::element_type>(std::move(c));
    }
    std::default_sentinel_t end() const noexcept { return {}; }

    // Each method returns a new dataset that holds this one (copied, or moved from an rvalue).
    template <class F>
    auto map(F f) const&;
    template <class F>
    auto map(F f) &&;
    template <class P>
    auto filter(P pred) const&;
    template <class P>
    auto filter(P pred) &&;
    auto shuffle(std::int64_t buffer_size, std::uint64_t seed, bool reshuffle_each_iteration = true) const&;
    auto shuffle(std::int64_t buffer_size, std::uint64_t seed, bool reshuffle_each_iteration = true) &&;
    auto batch(std::int64_t batch_size, bool drop_remainder = false) const&;
    auto batch(std::int64_t batch_size, bool drop_remainder = false) &&;
    auto repeat(std::int64_t count = -1) const&;
    auto repeat(std::int64_t count = -1) &&;
    auto take(std::int64_t count) const&;
    auto take(std::int64_t count) &&;
    auto skip(std::int64_t count) const&;
    auto skip(std::int64_t count) &&;
    auto shard(std::int64_t num_shards, std::int64_t index) const&;
    auto shard(std::int64_t num_shards, std::int64_t index) &&;
    auto cache() const&;
    auto cache() &&;
    auto prefetch(std::int64_t buffer_size) const&;
    auto prefetch(std::int64_t buffer_size) &&;
    auto enumerate(std::int64_t start = 0) const&;
    auto enumerate(std::int64_t start = 0) &&;

   protected:
    const D& self() const& noexcept { return static_cast<const D&>(*this); }
    D&& self() && noexcept { return static_cast<D&&>(*this); }
};

namespace detail {
template <class C>
concept has_next_view = requires(C& c) { c.next_view(); };

// n < 0 means "all" for take/skip/repeat, as in tf.data.
inline std::int64_t saturating_mul(std::int64_t a, std::int64_t b) {
    if (a == 0 || b == 0) return 0;
    if (a > INT64_MAX / b) return INT64_MAX;
    return a * b;
}
}  // namespace detail

}  // namespace tfx::data
