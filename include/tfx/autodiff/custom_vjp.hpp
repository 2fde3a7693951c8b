#pragma once
// custom_vjp(forward, backward): a user-defined differentiable op. forward(xs...) returns an
// expression; backward(g, xs...) returns a std::tuple with one adjoint expression per input (or
// tfx::zero_t{} for none). The op is a node of its own: its value is forward's expression, computed
// by a kernel; reverse mode uses backward instead of differentiating forward.
#include "jvp.hpp"

namespace tfx {

template <class Fwd, class Bwd, class... X>
struct custom_node : expr_base<typename decltype(std::declval<const Fwd&>()(std::declval<const X&>()...))::value_type,
                               typename decltype(std::declval<const Fwd&>()(std::declval<const X&>()...))::shape_type> {
    using body_t = decltype(std::declval<const Fwd&>()(std::declval<const X&>()...));
    using T = typename body_t::value_type;
    static constexpr std::size_t R = body_t::rank;
    static constexpr const char* name = "custom_vjp";
    Fwd fwd;
    Bwd bwd;
    std::tuple<X...> xs;
    custom_node(Fwd f, Bwd b, X... x) : fwd(std::move(f)), bwd(std::move(b)), xs(std::move(x)...) {}
    auto children() const {
        return std::apply([](const auto&... a) { return std::tie(a...); }, xs);
    }
    body_t body() const {
        return std::apply([&](const auto&... a) { return fwd(a...); }, xs);
    }
    dims_t<R> dims() const { return body().dims(); }
    void eval_into(T* out, const dims_t<R>& d, detail::eval_ctx& ctx) const {
        const auto b = body();
        detail::eval_block(b, out, d, ctx);
    }
};

// 'tfx::custom_vjp_arity<1, 2>' evaluates to false: backward returned 1 adjoint for 2 inputs.
template <std::size_t Got, std::size_t Want>
inline constexpr bool custom_vjp_arity = Got == Want;

template <class Fwd, class Bwd, class... X, class G>
auto vjp(const custom_node<Fwd, Bwd, X...>& e, const G& g) {
    auto adj = std::apply([&](const auto&... a) { return e.bwd(g, a...); }, e.xs);
    static_assert(custom_vjp_arity<std::tuple_size_v<decltype(adj)>, sizeof...(X)>,
                  "tfx: custom_vjp: backward must return a std::tuple with one adjoint per input (counts below)");
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::tuple{[&]() {
            auto a = std::get<I>(std::move(adj));
            if constexpr (is_zero<decltype(a)>)
                return zero_t{};
            else
                return unbroadcast(std::move(a), std::get<I>(e.xs));
        }()...};
    }(std::index_sequence_for<X...>{});
}

// As in JAX, an op with a custom reverse rule has no forward rule: jvp through it (and so
// jvp of grad) does not compile.
template <class Fwd>
inline constexpr bool custom_vjp_has_jvp = false;

template <class Fwd, class Bwd, class... X, class... Tg>
auto jvp(const custom_node<Fwd, Bwd, X...>&, const Tg&...) {
    static_assert(custom_vjp_has_jvp<Fwd>,
                  "tfx: jvp: an op made with custom_vjp has no forward-mode rule (as in JAX); differentiate it in reverse mode");
    return zero_t{};
}

template <class Fwd, class Bwd>
struct custom_vjp_fn {
    Fwd fwd;
    Bwd bwd;
    template <expression... X>
    auto operator()(X&&... x) const {
        return custom_node<Fwd, Bwd, node_t<X>...>(fwd, bwd, as_node(std::forward<X>(x))...);
    }
};

template <class Fwd, class Bwd>
auto custom_vjp(Fwd fwd, Bwd bwd) {
    return custom_vjp_fn<Fwd, Bwd>{std::move(fwd), std::move(bwd)};
}

}  // namespace tfx
