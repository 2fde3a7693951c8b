#pragma once
// stop_gradient(e): the value of e, through which no gradient flows (its vjp and jvp are in
// grad.hpp and jvp.hpp); and forward_value(e), the node gradient rules use to read a value the
// forward pass has stored (relu's mask relu(x) > 0, tanh's 1 - tanh(x)², the stored activation).
#include <optional>

#include "../eval/materialize.hpp"

namespace tfx {

namespace detail {
// A node whose value is its operand's (stop_gradient, forward_value, keep): only its name, its
// derivatives and how it is read differ; each names itself.
template <class X>
struct value_node : expr_base<typename X::value_type, typename X::shape_type> {
    using T = typename X::value_type;
    static constexpr std::size_t R = X::rank;
    X x;
    explicit value_node(X x_) : x(std::move(x_)) {}
    auto children() const { return std::tie(x); }
    dims_t<R> dims() const { return x.dims(); }
    void eval_into(T* out, const dims_t<R>& d, eval_ctx& ctx) const { eval_block(x, out, d, ctx); }
};
}  // namespace detail

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
struct evaluator<forward_value_node<X>, R> {
    using value_type = typename X::value_type;
    using stored_eval = strided_eval<value_type, X::rank, R, bcast_inner<typename X::shape_type>>;
    using inline_eval = evaluator<X, R>;
    stored_eval stored;                 // used when known
    std::optional<inline_eval> inlined; // otherwise
    const value_type* known = nullptr;
    dims_t<X::rank> dims;

    evaluator(const forward_value_node<X>& e, eval_ctx& ctx)
        : known(ctx.persistent ? ctx.ws->template recall<value_type>(e.x) : nullptr) {
        if (known) {
            stored.base = known;
            stored.dims = e.x.dims();
            dims = stored.dims;
        } else {
            inlined.emplace(e.x, ctx);
            dims = inlined->dims;
        }
    }
    template <class U>
    static constexpr bool simd_as = stored_eval::template simd_as<U> && inline_eval::template simd_as<U>;

    void bind(const dims_t<R>& out) {
        if (known)
            stored.bind(out);
        else
            inlined->bind(out);
    }
    void seek(const dims_t<R>& idx) {
        if (known)
            stored.seek(idx);
        else
            inlined->seek(idx);
    }
    value_type get(std::size_t i) const { return known ? stored.get(i) : static_cast<value_type>(inlined->get(i)); }
    template <class B>
    B load(std::size_t i) const {
        return known ? stored.template load<B>(i) : B(inlined->template load<B>(i));
    }
    template <class B>
    B load_tail(std::size_t i, std::size_t r) const {
        return known ? stored.template load_tail<B>(i, r) : B(inlined->template load_tail<B>(i, r));
    }
    bool simd_valid() const { return known ? stored.simd_valid() : inlined->simd_valid(); }
    bool flat_ok(const dims_t<R>& out) const { return known ? stored.flat_ok(out) : inlined->flat_ok(out); }
};
}  // namespace detail

}  // namespace tfx
