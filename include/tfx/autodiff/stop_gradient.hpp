#pragma once
// stop_gradient(e): the value of e, through which no gradient flows (its vjp and jvp are in
// grad.hpp and jvp.hpp). Gradient rules use it too, to read a value the forward pass has computed:
// relu's adjoint masks with relu(x) > 0, the layer's stored output, not with the pre-activation.
#include "../eval/materialize.hpp"

namespace tfx {

template <class X>
struct stop_gradient_node : expr_base<typename X::value_type, typename X::shape_type> {
    using T = typename X::value_type;
    static constexpr const char* name = "stop_gradient";
    X x;
    explicit stop_gradient_node(X x_) : x(std::move(x_)) {}
    auto children() const { return std::tie(x); }
    dims_t<X::rank> dims() const { return x.dims(); }
    void eval_into(T* out, const dims_t<X::rank>& d, detail::eval_ctx& ctx) const { detail::eval_block(x, out, d, ctx); }
};
template <expression X>
auto stop_gradient(X&& x) {
    return stop_gradient_node<node_t<X>>(as_node(std::forward<X>(x)));
}

namespace detail {
// Read as a leaf: e's value computed into memory, or, when this tfx::function call has computed e
// already (a layer's output, kept as the operand of the next layer's product), that memory. The
// lookup is by e's own type and leaves: stop_gradient(e) and e are one value.
template <class X, std::size_t R>
struct evaluator<stop_gradient_node<X>, R>
    : strided_eval<typename X::value_type, X::rank, R, bcast_inner<typename X::shape_type>> {
    using base_eval = strided_eval<typename X::value_type, X::rank, R, bcast_inner<typename X::shape_type>>;
    using V = typename X::value_type;
    const V* fused = nullptr;  // e's value already in memory (named as the other kernel nodes' evaluators)
    scratch<V, typename X::shape_type> buf;

    evaluator(const stop_gradient_node<X>& e, eval_ctx& ctx) : evaluator(e, ctx, workspace::probe{}) {}
    evaluator(const stop_gradient_node<X>& e, eval_ctx& ctx, workspace::probe&& p)
        : fused(ctx.persistent ? ctx.ws->template recall<V>(e.x, p) : nullptr),
          buf(ctx, fused ? dims_t<X::rank>{} : e.x.dims()) {
        this->dims = fused ? e.x.dims() : buf.d;
        if (!fused) {
            eval_block(e.x, buf.data(), buf.d, ctx);
            if (ctx.persistent) ctx.ws->remember(p, e.x, static_cast<const V*>(buf.data()));
        }
    }
    // The buffer may be inline storage that moved with this evaluator: its address now.
    void bind(const dims_t<R>& out) {
        this->base = fused ? fused : buf.data();
        base_eval::bind(out);
    }
};
}  // namespace detail

}  // namespace tfx
