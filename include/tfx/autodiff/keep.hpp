#pragma once
// keep(e): e's value, computed once into memory and read from there. An elementwise expression is
// normally fused into each of its consumers and recomputed by each; keep makes it a kernel node,
// which a tfx::function (or one step of a loop) computes once and shares (common subexpressions).
//
// Reverse mode is where it pays: the backward pass of tanh, sigmoid and exp is written with their
// own output (1 - y², y (1 - y), y), so keep(tanh(x)) hands its vjp the stored y instead of
// recomputing tanh(x) in every adjoint that needs it. The recurrent cells use it for their gates.
#include "jvp.hpp"

namespace tfx {

template <class X>
struct keep_node : detail::value_node<X> {
    static constexpr const char* name = "keep";
    using detail::value_node<X>::value_node;
};
template <class X, class G>
auto vjp(const keep_node<X>&, const G& g) {
    return std::tuple{g};
}
template <class X, class Tg>
auto jvp(const keep_node<X>&, const Tg& t) {
    return t;
}

// Op(x) stored, for an op whose derivative is a function of its output.
template <class Op, class X>
struct kept_op : expr_base<typename X::value_type, typename X::shape_type> {
    using T = typename X::value_type;
    static constexpr std::size_t R = X::rank;
    static constexpr const char* name = "keep";
    X x;
    explicit kept_op(X x_) : x(std::move(x_)) {}
    auto children() const { return std::tie(x); }
    dims_t<R> dims() const { return x.dims(); }
    void eval_into(T* out, const dims_t<R>& d, detail::eval_ctx& ctx) const {
        detail::eval_block(map<Op, X>(x), out, d, ctx);
    }
};

namespace detail {
// d Op(x) / dx as an expression of y = Op(x).
template <class Op, class Y>
auto derivative_from_output(const Y& y) {
    using T = typename Y::value_type;
    if constexpr (std::is_same_v<Op, ops::tanh>)
        return T(1) - square(y);
    else if constexpr (std::is_same_v<Op, ops::sigmoid>)
        return y * (T(1) - y);
    else
        return y;  // exp
}
template <class N>
struct unary_map {
    static constexpr bool value = false;
};
template <class Op, class A>
struct unary_map<map<Op, A>> {
    static constexpr bool value = true;
    using op = Op;
    using arg = A;
};
template <class Op>
inline constexpr bool output_derivative = std::is_same_v<Op, ops::tanh> || std::is_same_v<Op, ops::sigmoid> || std::is_same_v<Op, ops::exp>;
}  // namespace detail

template <class Op, class X, class G>
auto vjp(const kept_op<Op, X>& e, const G& g) {
    return std::tuple{g * detail::derivative_from_output<Op>(e)};
}
template <class Op, class X, class Tg>
auto jvp(const kept_op<Op, X>& e, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else
        return t * detail::derivative_from_output<Op>(e);
}

template <expression X>
auto keep(X&& x) {
    using N = node_t<X>;
    using U = detail::unary_map<N>;
    if constexpr (U::value) {
        if constexpr (detail::output_derivative<typename U::op>)
            return kept_op<typename U::op, typename U::arg>(std::get<0>(as_node(std::forward<X>(x)).args));
        else
            return keep_node<N>(as_node(std::forward<X>(x)));
    } else {
        return keep_node<N>(as_node(std::forward<X>(x)));
    }
}

namespace detail::dag {
template <class X>
struct pure_kind<keep_node<X>> : std::true_type {};
template <class Op, class X>
struct pure_kind<kept_op<Op, X>> : std::true_type {};
}  // namespace detail::dag

}  // namespace tfx
