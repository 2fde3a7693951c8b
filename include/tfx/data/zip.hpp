#pragma once
// data::zip(a, b, ...): elements are tuples of one element of each dataset (nested as given, as
// tf.data.Dataset.zip); it ends with the shortest.
#include <algorithm>
#include <tuple>
#include <utility>

#include "dataset.hpp"

namespace tfx::data {

template <class... D>
class zip_dataset : public dataset_base<zip_dataset<D...>> {
    std::tuple<D...> ds_;

   public:
    using element_type = std::tuple<element_t<D>...>;

    explicit zip_dataset(D... ds) : ds_(std::move(ds)...) {}

    class cursor {
        std::tuple<typename D::cursor...> cur_;

       public:
        explicit cursor(typename D::cursor... c) : cur_(std::move(c)...) {}
        bool next(element_type& out) {
            return [&]<std::size_t... I>(std::index_sequence<I...>) {
                return (std::get<I>(cur_).next(std::get<I>(out)) && ...);
            }(std::index_sequence_for<D...>{});
        }
    };
    cursor make_cursor() const {
        return std::apply([](const auto&... d) { return cursor(d.make_cursor()...); }, ds_);
    }
    std::int64_t cardinality() const {
        return std::apply(
            [](const auto&... d) {
                std::int64_t r = infinite_cardinality;
                for (std::int64_t c : {d.cardinality()...}) {
                    if (c == unknown_cardinality) return unknown_cardinality;
                    if (c != infinite_cardinality) r = r == infinite_cardinality ? c : std::min(r, c);
                }
                return r;
            },
            ds_);
    }
};

template <dataset... D>
    requires(sizeof...(D) > 0)
auto zip(D&&... ds) {
    return zip_dataset<std::remove_cvref_t<D>...>(std::forward<D>(ds)...);
}

}  // namespace tfx::data
