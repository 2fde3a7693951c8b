#pragma once
// models::sequential: a chain of layers whose input extents are deduced at compile time.
#include <array>
#include <map>
#include <string>
#include <tuple>

#include "layers.hpp"

namespace tfx::models {

namespace detail {

// The built layer for a spec at position K, given the previous output; a spec that cannot take
// that input is reported with its position and both shapes.
template <class Spec, class T, class S>
concept buildable = requires { typename Spec::template built<T, S>; };

// 'tfx::models::detail::layer_fits<2, tfx::layers::conv2d_spec<...>, float, tfx::shape<-1, 128>>' is
// false: layer 2 cannot take [?, 128].
template <std::size_t K, class Spec, class T, class S>
inline constexpr bool layer_fits = [] {
    if constexpr (requires { Spec::template accepts<T, S>; })
        return Spec::template accepts<T, S>;
    else
        return true;
}();

template <std::size_t K, class T, class S, class... Specs>
struct chain {
    using type = std::tuple<>;
};
template <bool Fits, std::size_t K, class T, class S, class Spec, class... Rest>
struct chain_step {  // a layer that does not fit: the chain stops here, so its error stays the only one
    using type = std::tuple<>;
};
template <std::size_t K, class T, class S, class Spec, class... Rest>
struct chain_step<true, K, T, S, Spec, Rest...> {
    using L = typename Spec::template built<T, S>;
    using next = chain<K + 1, typename L::output_type::value_type, typename L::output_shape, Rest...>;
    using type = decltype(std::tuple_cat(std::declval<std::tuple<L>>(), std::declval<typename next::type>()));
};
template <std::size_t K, class T, class S, class Spec, class... Rest>
struct chain<K, T, S, Spec, Rest...> {
    static_assert(layer_fits<K, Spec, T, S>,
                  "tfx: sequential: a layer does not accept the output of the layer before it (its position counting the "
                  "input as 0, the layer and the shape it gets are below)");
    using type = typename chain_step<layer_fits<K, Spec, T, S>, K, T, S, Spec, Rest...>::type;
};

}  // namespace detail

}  // namespace tfx::models

namespace tfx::models::detail {
template <class T, class S>
std::tuple<> build_chain() {
    return {};
}
template <class T, class S, class Spec, class... Rest>
auto build_chain(const Spec& s, const Rest&... rest) {
    using L = typename Spec::template built<T, S>;
    return std::tuple_cat(std::tuple<L>(s.template build<T, S>()),
                          build_chain<typename L::output_type::value_type, typename L::output_shape>(rest...));
}
}  // namespace tfx::models::detail
