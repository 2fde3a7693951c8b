#pragma once
// zeros, ones, full: new tensors of a given shape (dynamic extents follow the value arguments).
#include "tensor.hpp"

namespace tfx {

template <class T, index_t... E, std::integral... N>
    requires(sizeof...(N) == shape<E...>::n_dyn)
tensor<T, E...> full(T value, N... n) {
    tensor<T, E...> t(n...);
    t.fill(value);
    return t;
}
template <class T, index_t... E, std::integral... N>
    requires(sizeof...(N) == shape<E...>::n_dyn)
tensor<T, E...> zeros(N... n) {
    return tensor<T, E...>(n...);
}
template <class T, index_t... E, std::integral... N>
    requires(sizeof...(N) == shape<E...>::n_dyn)
tensor<T, E...> ones(N... n) {
    return full<T, E...>(T(1), n...);
}

}  // namespace tfx
