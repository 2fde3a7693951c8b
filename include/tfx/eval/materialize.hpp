#pragma once
// Operands of kernels that read them more than once, or need them contiguous.
#include "assign.hpp"

namespace tfx {

// An operand computed into scratch memory; it is a leaf like a tensor.
// Under a tfx::function a kernel operand computed earlier in the same call is reused.
template <class T, class S>
struct materialized : expr_base<T, S> {
    const T* known = nullptr;
    detail::scratch<T, S> buf;
    template <class X>
    materialized(const X& x, detail::eval_ctx& ctx) : materialized(x, ctx, workspace::probe{}) {}
    template <class X>
    materialized(const X& x, detail::eval_ctx& ctx, workspace::probe&& p)
        : known(ctx.persistent && !is_pure_elementwise<X> ? ctx.ws->template recall<T>(x, p) : nullptr),
          buf(ctx, known ? dims_t<S::rank>{} : x.dims()) {
        if (known) {
            buf.d = x.dims();
            return;
        }
        detail::eval_block(x, buf.data(), buf.d, ctx);
        if (ctx.persistent && !is_pure_elementwise<X>) ctx.ws->remember(p, x, buf.data());
    }
    const T* data() const { return known ? known : buf.data(); }
    dims_t<S::rank> dims() const { return buf.d; }
    auto children() const { return std::tuple<>(); }
};
template <class T, class S>
struct is_leaf<materialized<T, S>> : std::true_type {};

namespace detail {

// The operand of a multi-pass kernel: used as is when it is cheap elementwise arithmetic, otherwise
// computed once into scratch memory that the passes read.
template <class X>
auto materialize_if_needed(const X& x, eval_ctx& ctx) {
    if constexpr (is_pure_elementwise<X>)
        return x;
    else
        return materialized<typename X::value_type, typename X::shape_type>(x, ctx);
}

// The operand of a kernel that needs contiguous memory: leaves are used in place, anything else is
// computed into scratch memory first.
template <class X>
auto materialize_if_leafless(const X& x, eval_ctx& ctx) {
    if constexpr (is_leaf<X>::value)
        return x;
    else
        return materialized<typename X::value_type, typename X::shape_type>(x, ctx);
}

// The operand of a one-pass kernel (a reduction): walked inline, unless it has kernels in it and
// this tfx::function call has already computed it into memory for another kernel (a gradient's
// where(mask, product, 0), read by the weight's product and by the bias's sum): then that memory
// is read, rather than the map walked again and the products under it read once more.
// k(operand) is called with one or the other.
template <class X, class K>
void with_operand(const X& x, eval_ctx& ctx, K&& k) {
    if constexpr (!is_pure_elementwise<X> && is_map<X>::value) {
        if (ctx.persistent && ctx.ws->known(x)) {
            const materialized<typename X::value_type, typename X::shape_type> m(x, ctx);
            k(m);
            return;
        }
    }
    k(x);
}

}  // namespace detail
}  // namespace tfx
