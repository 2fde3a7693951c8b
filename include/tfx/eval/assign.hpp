#pragma once
// Evaluation into a tensor: the one place where an expression turns into values.
#include "../kernels/loop.hpp"
#include "evaluator.hpp"

namespace tfx {

namespace detail {

// Epilogue fusion hook: an elementwise root over one matmul is written by the GEMM's store
// (expr/matmul.hpp specialises this). try_fused returns false when it cannot apply at run time.
template <class X>
struct fusion : std::false_type {};

// Evaluate x into out (shape d, already validated); out must not alias what x reads through a
// kernel node.
template <class X>
void eval_block(const X& x, typename X::value_type* out, const dims_t<X::rank>& d, eval_ctx& ctx) {
    if constexpr (is_elementwise_node<X>::value) {
        if constexpr (fusion<X>::value)
            if (fusion<X>::try_fused(x, out, d, ctx)) return;
        eval_ctx inner{nullptr, nullptr, ctx.ws, ctx.persistent};
        evaluator<X, X::rank> ev(x, inner);
        with_loop_form(ev, d, [&](auto& lf) { kernels::run_elementwise(out, d, lf); });
    } else {
        x.eval_into(out, d, ctx);
    }
}

template <class X>
dims_t<X::rank> expr_dims(const X& x) {
    return x.dims();
}

}  // namespace detail

template <class T, index_t... E, class X>
void assign(tensor<T, E...>& dst, const X& x) {
    using Dst = tensor<T, E...>;
    if constexpr (is_tensor_v<X>) {
        dst = x;
    } else {
        // Shapes are worked out (and checked) before anything is written.
        const dims_t<Dst::rank> d = detail::expr_dims(x);
        if (!dims_fit<typename Dst::shape_type>(d))
            throw_shape_mismatch("tfx: assignment: expression of shape ", d, " does not fit tensor shape ",
                                 Dst::shape_type::extents);
        // A kernel may read its operands after it has started writing, and a resize frees the old
        // storage: either way, evaluate into fresh storage when the destination is read.
        const bool in_place = !references(x, dst.data()) || (is_elementwise_node<X>::value && dst.shape() == d);
        workspace ws;  // intermediates of dynamic shape; freed when the assignment is done
        detail::eval_ctx ctx{nullptr, nullptr, &ws};
        if (in_place && dst.shape() == d) {
            detail::eval_block(x, dst.data(), d, ctx);
        } else {
            Dst tmp(uninitialized, d);
            detail::eval_block(x, tmp.data(), d, ctx);
            dst = std::move(tmp);
        }
    }
}

}  // namespace tfx
