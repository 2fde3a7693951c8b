#pragma once
// Operands of kernels that read them more than once, or need them contiguous.
#include "assign.hpp"

namespace tfx::detail {

// The operand of a multi-pass kernel: used as is when it is cheap elementwise arithmetic, otherwise
// computed once into a tensor that the passes read.
template <class X>
auto materialize_if_needed(const X& x) {
    if constexpr (is_pure_elementwise<X>)
        return x;
    else
        return tval<tensor_of<X>>(tensor_of<X>(x));
}

// The operand of a kernel that needs contiguous memory: leaves are used in place, anything else is
// computed into a tensor first.
template <class X>
auto materialize_if_leafless(const X& x) {
    if constexpr (is_leaf<X>::value)
        return x;
    else
        return tval<tensor_of<X>>(tensor_of<X>(x));
}
}  // namespace tfx::detail
