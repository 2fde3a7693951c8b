#pragma once
// Forward mode on expression graphs: the tangent of every node as an expression of its children's
// tangents (jvp rules), computed over the DAG children-first, once per node. Elementwise ops reuse
// their vjp rules (their Jacobian is diagonal, so J t and J^T t are the same product); linear ops
// apply themselves to the tangents; matmul is bilinear.
#include "grad.hpp"

namespace tfx {

namespace detail {
// A tangent t of a node's child, read at the node's shape.
template <class E, class Tg>
auto at_node_shape(const E& e, Tg&& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else if constexpr (std::is_same_v<typename std::remove_cvref_t<Tg>::shape_type, typename E::shape_type>)
        return std::forward<Tg>(t);
    else
        return broadcast_to_dims<typename E::shape_type>(std::forward<Tg>(t), e.dims());
}
template <class A, class... R>
auto sum_tangents(A&& a, R&&... r) {
    if constexpr (sizeof...(R) == 0)
        return std::forward<A>(a);
    else
        return add_adjoint(std::forward<A>(a), sum_tangents(std::forward<R>(r)...));
}
template <class S, class T, class Tg, class X>
auto tangent_or_zeros(Tg&& t, const X& x) {
    if constexpr (is_zero<Tg>)
        return broadcast_to_dims<S>(scalar<T>(T(0)), x.dims());
    else
        return std::forward<Tg>(t);
}

template <std::size_t I, class Op, class Args, class Tg>
auto map_tangent_term(const Args& args, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else {
        auto parts = [&]<std::size_t... J>(std::index_sequence<J...>) {
            return rule_adjoints<Op>(needs<(J == I)...>{}, t, std::get<J>(args)...);
        }(std::make_index_sequence<std::tuple_size_v<Args>>{});
        return std::get<I>(std::move(parts));
    }
}
}  // namespace detail

// jvp(node, child tangents...) -> the node's tangent (zero_t when none flows).
template <class Op, class... A, class... Tg>
auto jvp(const map<Op, A...>& e, const Tg&... t) {
    if constexpr ((is_zero<Tg> && ...))
        return zero_t{};
    else
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return detail::at_node_shape(e, detail::sum_tangents(detail::map_tangent_term<I, Op>(e.args, t)...));
        }(std::index_sequence_for<A...>{});
}

template <class U, class A, class Tg>
auto jvp(const map<ops::cast<U>, A>&, const Tg& t) {
    if constexpr (is_zero<Tg> || !std::is_floating_point_v<U> || !std::is_floating_point_v<typename A::value_type>)
        return zero_t{};
    else
        return cast<U>(t);
}

template <class K, unsigned Mask, bool Keep, class X, class Tg>
auto jvp(const reduce_node<K, Mask, Keep, X>& e, const Tg& t) {
    using T = typename X::value_type;
    if constexpr (is_zero<Tg>) {
        return zero_t{};
    } else if constexpr (std::is_same_v<K, kernels::red_sum> || std::is_same_v<K, kernels::red_mean>) {
        return reduce_node<K, Mask, Keep, node_t<const Tg&>>(as_node(t));
    } else {
        // max/min: the mean tangent of the extreme values; prod: p * sum(t / x); logsumexp:
        // sum(t * softmax(x)). Each is a sum over the reduced axes of t times a weight.
        const X& x = e.x;
        const auto xd = x.dims();
        auto weighted = [&] {
            if constexpr (std::is_same_v<K, kernels::red_max> || std::is_same_v<K, kernels::red_min>) {
                auto m = broadcast_to_dims<typename X::shape_type>(reduce_node<K, Mask, true, X>(x), xd);
                auto hit = cast<T>(x == m);
                auto count = broadcast_to_dims<typename X::shape_type>(reduce_node<kernels::red_sum, Mask, true, decltype(hit)>(hit), xd);
                return t * hit / count;
            } else if constexpr (std::is_same_v<K, kernels::red_prod>) {
                return t * detail::prod_partials<Mask>(x);
            } else {
                auto l = broadcast_to_dims<typename X::shape_type>(reduce_node<K, Mask, true, X>(x), xd);
                return t * exp(x - l);
            }
        }();
        return reduce_node<kernels::red_sum, Mask, Keep, decltype(weighted)>(std::move(weighted));
    }
}

template <bool Max, int Axis, class X, class Tg>
auto jvp(const arg_node<Max, Axis, X>&, const Tg&) {
    return zero_t{};
}

template <bool Log, int Axis, class X, class Tg>
auto jvp(const softmax_node<Log, Axis, X>& e, const Tg& t) {
    if constexpr (is_zero<Tg>) {
        return zero_t{};
    } else {
        constexpr auto mask = softmax_node<Log, Axis, X>::mask;
        const auto xd = e.x.dims();
        if constexpr (Log) {  // t - sum(softmax(x) * t)
            auto st = exp(e) * t;
            return t - broadcast_to_dims<typename X::shape_type>(reduce_node<kernels::red_sum, mask, true, decltype(st)>(st), xd);
        } else {  // y * (t - sum(y * t))
            auto yt = e * t;
            return e * (t - broadcast_to_dims<typename X::shape_type>(reduce_node<kernels::red_sum, mask, true, decltype(yt)>(yt), xd));
        }
    }
}

template <class A, class B, class TA, class TB>
auto jvp(const matmul_node<A, B>& e, const TA& ta, const TB& tb) {
    auto left = [&] {
        if constexpr (is_zero<TA>)
            return zero_t{};
        else
            return matmul(ta, e.b);
    }();
    auto right = [&] {
        if constexpr (is_zero<TB>)
            return zero_t{};
        else
            return matmul(e.a, tb);
    }();
    return add_adjoint(std::move(left), std::move(right));
}

template <class X, int... P, class Tg>
auto jvp(const permute_node<X, P...>&, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else
        return permute<P...>(t);
}

template <class S, class X, class Tg>
auto jvp(const reshape_node<S, X>& e, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else
        return reshape_to_shape<S>(t, e.dims());
}

template <class S, class X, class Tg>
auto jvp(const bcast_node<S, X>& e, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else
        return broadcast_to_dims<S>(t, e.target);
}

template <int Axis, class... X, class... Tg>
auto jvp(const concat_node<Axis, X...>& e, const Tg&... t) {
    if constexpr ((is_zero<Tg> && ...))
        return zero_t{};
    else
        return std::apply(
            [&](const auto&... x) {
                return concat<Axis>(detail::tangent_or_zeros<typename std::remove_cvref_t<decltype(x)>::shape_type,
                                                             typename std::remove_cvref_t<decltype(x)>::value_type>(t, x)...);
            },
            e.xs);
}

template <int Axis, int BD, class X, class I, class TX, class TI>
auto jvp(const gather_node<Axis, BD, X, I>& e, const TX& tx, const TI&) {
    if constexpr (is_zero<TX>)
        return zero_t{};
    else
        return gather<Axis, BD>(tx, e.idx);
}

template <int Axis, index_t Size, class X, index_t Begin, class Tg>
auto jvp(const slice_node<Axis, Size, X, Begin>& e, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else
        return slice_node<Axis, Size, node_t<const Tg&>, Begin>(as_node(t), e.begin, e.size);
}

template <class S, class G, class Tg>
auto jvp(const sum_to_node<S, G>& e, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else
        return sum_to_node<S, node_t<const Tg&>>(as_node(t), e.target);
}

template <int Axis, int BD, class X, class I, class G, class TI, class Tg>
auto jvp(const scatter_add_node<Axis, BD, X, I, G>& e, const TI&, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else
        return scatter_add_node<Axis, BD, X, I, node_t<const Tg&>>(e.xd, e.idx, as_node(t));
}

template <int Axis, class S, class G, class Tg>
auto jvp(const pad_node<Axis, S, G>& e, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else
        return pad_node<Axis, S, node_t<const Tg&>>(e.xd, e.begin, as_node(t));
}
// The tangent of a sum of pads: the pads of the parts' tangents, summed (merged again).
template <int Axis, class S, class... G, class... Tg>
auto jvp(const pad_sum_node<Axis, S, G...>& e, const Tg&... t) {
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
        auto pad_of = [&]<std::size_t J, class TJ>(std::integral_constant<std::size_t, J>, const TJ& tj) {
            if constexpr (is_zero<TJ>)
                return zero_t{};
            else
                return pad_node<Axis, S, node_t<const TJ&>>(e.xd, e.begins[J], as_node(tj));
        };
        return detail::sum_tangents(pad_of(std::integral_constant<std::size_t, K>{}, t)...);
    }(std::index_sequence_for<G...>{});
}

template <class X, class Tg>
auto jvp(const stop_gradient_node<X>&, const Tg&) {
    return zero_t{};
}
template <class X, class Tg>
auto jvp(const detail::forward_value_node<X>&, const Tg& t) {
    return t;
}
template <class N, class Tg>
auto jvp(const detail::lse_softmax_node<N>&, const Tg& t) {
    return t;
}

namespace detail {

// The tangent of every DAG node, children first. Tangents of the arguments come from tangents
// (a tuple indexed like the arguments; zero_t for an argument without one). A tangent consumed by
// several parents is computed once into workspace memory (not when Nested).
template <class Root, bool Nested>
struct forward_pass {
    using K = dag::keys<Root>;

    template <std::size_t N, class H, class Tangents>
    static auto tangent(const Root& root, eval_ctx& ctx, const H& h, const Tangents& tangents) {
        using Key = boost::mp11::mp_at_c<K, N>;
        using E = dag::node_of_key<Key>;
        using Path = dag::path_of<Root, Key>;
        const E& e = dag::node_at<Path>(root);
        if constexpr (is_arg_node<E>::value) {
            if constexpr (E::index < std::tuple_size_v<Tangents>)
                return std::get<E::index>(tangents);
            else
                return zero_t{};
        } else if constexpr (is_leaf<E>::value || is_scalar_node<E> || std::is_same_v<E, unit<typename E::value_type>>) {
            return zero_t{};
        } else {
            auto child_tangent = [&]<std::size_t C>(std::integral_constant<std::size_t, C>) -> decltype(auto) {
                using CE = boost::mp11::mp_at_c<dag::children_of<E>, C>;
                using CK = dag::key_of<dag::pos<CE, boost::mp11::mp_push_back<Path, std::integral_constant<std::size_t, C>>>>;
                return std::get<boost::mp11::mp_find<K, CK>::value>(h);
            };
            auto t = [&]<std::size_t... C>(std::index_sequence<C...>) {
                return jvp(e, child_tangent(std::integral_constant<std::size_t, C>{})...);
            }(std::make_index_sequence<boost::mp11::mp_size<dag::children_of<E>>::value>{});
            using In = dag::edges_into<Root, Key>;
            if constexpr (!Nested && boost::mp11::mp_size<In>::value >= 2 && !is_zero<decltype(t)>) {
                using T = typename E::value_type;
                const auto d = t.dims();
                T* buf = ctx.ws->template get<T>(dims_size(d));
                eval_block(t, buf, d, ctx);
                return view<T, typename E::shape_type>(buf, d);
            } else {
                return t;
            }
        }
    }

    template <std::size_t N = 0, class Tangents, class H = std::tuple<>>
    static auto run(const Root& root, eval_ctx& ctx, const Tangents& tangents, H h = {}) {
        if constexpr (N == boost::mp11::mp_size<K>::value) {
            return std::get<N - 1>(std::move(h));  // the root is last
        } else {
            auto t = tangent<N>(root, ctx, h, tangents);
            return run<N + 1>(root, ctx, tangents, std::tuple_cat(std::move(h), std::tuple{std::move(t)}));
        }
    }
};

// A tangent given by the user: a tensor (a symbol here), or the number 0 for none.
template <class X>
auto as_tangent(const X& x) {
    if constexpr (number<X>)
        return zero_t{};
    else
        return x;
}

template <class Y, class Tg>
auto finish_tangent(const Y& y, Tg&& t) {
    using T = typename Y::value_type;
    if constexpr (is_zero<Tg>)
        return broadcast_to_dims<typename Y::shape_type>(scalar<T>(T(0)), y.dims());
    else
        return at_node_shape(y, std::forward<Tg>(t));
}

}  // namespace detail

// jvp(f, {primals...}, {tangents...}) -> (f(primals), J t) as tensors. A tangent may be the number 0
// (no tangent for that argument). f may be a transformation (jvp of grad gives Hessian-vector
// products).
template <class F, class... P, class... Tg>
auto jvp(F f, const std::tuple<P...>& primals, const std::tuple<Tg...>& tangents) {
    static_assert(sizeof...(P) == sizeof...(Tg), "tfx: jvp: give one tangent per primal (0 for none)");
    auto traced = [&f]<bool Nested>(traced_tag<Nested>, detail::eval_ctx& ctx, const auto&... s) {
        auto all = std::tie(s...);
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            auto y = detail::invoke_traced<true>(f, ctx, std::get<I>(all)...);
            auto ts = std::tuple{detail::as_tangent(std::get<sizeof...(P) + I>(all))...};
            auto t = detail::forward_pass<decltype(y), Nested>::run(y, ctx, ts);
            return std::tuple{y, detail::finish_tangent(y, std::move(t))};
        }(std::index_sequence_for<P...>{});
    };
    function<decltype(traced)> fn(traced);
    auto result = std::apply([&](const auto&... a) { return std::apply([&](const auto&... t) { return fn(a..., t...); }, tangents); },
                             primals);
    return std::tuple{tensor_of<std::remove_cvref_t<decltype(std::get<0>(result))>>(std::get<0>(result)),
                      tensor_of<std::remove_cvref_t<decltype(std::get<1>(result))>>(std::get<1>(result))};
}

}  // namespace tfx
