#pragma once
// stop_gradient(e): the value of e, through which no gradient flows (its vjp and jvp are in
// grad.hpp and jvp.hpp); and forward_value(e), the node gradient rules use to read a value the
// forward pass has stored (relu's mask relu(x) > 0, tanh's 1 - tanh(x)², the stored activation).
#include "../eval/materialize.hpp"
#include "../eval/stored.hpp"

namespace tfx {

template <class X>
struct stop_gradient_node : detail::value_node<X> {
    static constexpr const char* name = "stop_gradient";
    using detail::value_node<X>::value_node;
};
template <expression X>
auto stop_gradient(X&& x) {
    return stop_gradient_node<node_t<X>>(as_node(std::forward<X>(x)));
}

namespace detail {
// Read as a leaf, like any kernel node (eval/evaluator.hpp): e's value computed into memory, or,
// when this tfx::function call has computed e already (a layer's output, kept as the operand of the
// next layer's product), that memory. The lookup is by e's own type and leaves: stop_gradient(e)
// and e are one value.
template <class X>
struct memo_key<stop_gradient_node<X>> {
    static const X& of(const stop_gradient_node<X>& e) { return e.x; }
};

// forward_value(e): e itself (value and derivatives), for a gradient rule written with its op's
// output (relu's mask, 1 - tanh², s (1 - s), exp). Read from memory where this tfx::function call
// has stored e (the activation tanh(x W + b), kept as the operand of the next layer's product),
// else computed inline like any elementwise operand: so it costs nothing more than e itself when
// e is not stored, and when it is, e is not computed again and the kernels under it (the product
// x W) are not read, so a fused product need not be kept for the backward pass.
template <class X>
struct forward_value_node : value_node<X> {
    static constexpr const char* name = "forward_value";
    using value_node<X>::value_node;
};
template <class X>
auto forward_value(const X& x) {
    return forward_value_node<X>(x);
}

template <class X, std::size_t R>
struct evaluator<forward_value_node<X>, R>
    : stored_or_inline<typename X::value_type, X::rank, R,
                       strided_eval<typename X::value_type, X::rank, R, bcast_inner<typename X::shape_type>>,
                       evaluator<X, R>> {
    evaluator(const forward_value_node<X>& e, eval_ctx& ctx) {
        this->known = ctx.persistent ? ctx.ws->template recall<typename X::value_type>(e.x) : nullptr;
        if (this->known) {
            this->stored.base = this->known;
            this->stored.dims = e.x.dims();
            this->dims = this->stored.dims;
        } else {
            this->inlined.emplace(e.x, ctx);
            this->dims = this->inlined->dims;
        }
    }
};
}  // namespace detail

}  // namespace tfx
