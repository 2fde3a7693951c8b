#pragma once
// ds.batch(n, drop_remainder = false): n consecutive elements stacked along a new first axis of
// dynamic extent: tensor<float, 64> elements give tensor<float, dyn, 64> batches, rank-0 labels
// give tensor<int32_t, dyn>, tuples are batched component by component. The last batch is shorter
// unless drop_remainder. Elements of one batch must have the same shape (a dynamic extent may
// differ between batches), else shape_error. The batch is written into the storage the consumer
// hands back, so full batches allocate nothing once the first has been made.
#include <algorithm>
#include <string>

#include "dataset.hpp"

namespace tfx::data {

namespace detail {

// Writes element e as row k of the batch b of n rows (sized on the first row); comp numbers the
// tensor components for messages.
template <class B, class E>
void put_row(B& b, const E& e, std::size_t k, std::size_t n, std::size_t& comp) {
    if constexpr (is_tuple<E>::value) {
        for_each_index<E>([&](auto i) { put_row(std::get<i>(b), std::get<i>(e), k, n, comp); });
    } else {
        constexpr std::size_t R = E::rank;
        const auto es = e.shape();
        if (k == 0) {
            dims_t<R + 1> d{};
            d[0] = n;
            std::copy(es.begin(), es.end(), d.begin() + 1);
            b.resize(d);  // keeps the storage when the shape is unchanged
        } else if constexpr (!E::is_static) {
            const auto bs = b.shape();
            if (!std::equal(es.begin(), es.end(), bs.begin() + 1)) {
                dims_t<R> first{};
                std::copy(bs.begin() + 1, bs.end(), first.begin());
                throw shape_error("tfx: batch: cannot batch elements of different shapes in component " +
                                  std::to_string(comp) + ": the batch's first element has shape " +
                                  shape_string(first) + ", element " + std::to_string(k) + " has shape " +
                                  shape_string(es));
            }
        }
        if constexpr (E::is_static) {  // a size known to the compiler: the copy is inlined
            constexpr std::size_t m = E::shape_type::static_size;
            std::copy_n(e.data(), m, b.data() + k * m);
        } else {
            const std::size_t m = e.size();
            std::copy_n(e.data(), m, b.data() + k * m);
        }
        ++comp;
    }
}

// Gives the batch `rows` rows, keeping the first k: cuts the last, short batch of a pass down
// (one allocation per pass), or makes room when there is more data than the size hint said.
template <class B>
void resize_rows(B& b, std::size_t rows, std::size_t k) {
    if constexpr (is_tuple<B>::value) {
        for_each_index<B>([&](auto i) { resize_rows(std::get<i>(b), rows, k); });
    } else {
        auto d = b.shape();
        if (d[0] == rows) return;
        const std::size_t row = d[0] ? b.size() / d[0] : 0;
        d[0] = rows;
        B t(uninitialized, d);
        std::copy_n(b.data(), k * row, t.data());
        b = std::move(t);
    }
}

}  // namespace detail

template <class D>
class batch_dataset : public dataset_base<batch_dataset<D>> {
    D up_;
    std::size_t n_;
    bool drop_;

   public:
    using input_type = element_t<D>;
    using element_type = typename detail::batched<input_type>::type;

    batch_dataset(D up, std::int64_t batch_size, bool drop_remainder) : up_(std::move(up)), drop_(drop_remainder) {
        if (batch_size < 1)
            throw value_error("tfx: batch: batch_size must be at least 1, got " + std::to_string(batch_size));
        n_ = std::size_t(batch_size);
    }

    class cursor {
        typename D::cursor up_;
        input_type in_{};
        std::size_t n_, rows_;  // rows_: the rows a batch starts with (fewer than n_ for smaller data)
        bool drop_, done_ = false;

       public:
        cursor(typename D::cursor up, std::size_t n, std::size_t rows, bool drop)
            : up_(std::move(up)), n_(n), rows_(rows), drop_(drop) {}
        bool next(element_type& out) {
            if (done_) return false;
            std::size_t k = 0, rows = rows_;
            auto put = [&](const input_type& e) {
                if (k == rows) detail::resize_rows(out, rows = n_, k);  // more data than the hint said
                std::size_t comp = 0;
                detail::put_row(out, e, k++, rows, comp);
            };
            if constexpr (detail::has_next_view<typename D::cursor>) {
                // Read the upstream's element where it is (a shuffle buffer's slot): one copy less.
                while (k < n_) {
                    const input_type* e = up_.next_view();
                    if (!e) break;
                    put(*e);
                }
            } else {
                while (k < n_ && up_.next(in_)) put(in_);
            }
            if (k < n_) {
                done_ = true;
                if (k == 0 || drop_) return false;
                detail::resize_rows(out, k, k);
            }
            return true;
        }
    };
    cursor make_cursor() const {
        // batch(1 << 30) over 100 elements allocates 100 rows, not 2^30. The count is only a hint:
        // a batch grows to n rows if more elements come.
        const std::int64_t known = up_.cardinality();
        const std::size_t rows = known >= 0 ? std::min(n_, std::max<std::size_t>(std::size_t(known), 1)) : n_;
        return cursor(up_.make_cursor(), n_, rows, drop_);
    }
    std::int64_t cardinality() const {
        const auto c = up_.cardinality();
        if (c < 0) return c;
        const auto n = std::int64_t(n_);
        return drop_ ? c / n : (c + n - 1) / n;
    }
};

namespace detail {
template <class D>
auto make_batch(D&& up, std::int64_t n, bool drop) {
    using E = element_t<D>;
    static_assert(batched<E>::ok,
                  "tfx: batch: elements must be tensors or tuples of tensors (the element type is below); map "
                  "other values to tensors first");
    if constexpr (batched<E>::ok) return batch_dataset<std::remove_cvref_t<D>>(std::forward<D>(up), n, drop);
}
}  // namespace detail

template <class D>
auto dataset_base<D>::batch(std::int64_t batch_size, bool drop_remainder) const& {
    return detail::make_batch(self(), batch_size, drop_remainder);
}
template <class D>
auto dataset_base<D>::batch(std::int64_t batch_size, bool drop_remainder) && {
    return detail::make_batch(std::move(*this).self(), batch_size, drop_remainder);
}

}  // namespace tfx::data
