#pragma once
// Reverse mode on expression graphs. The adjoint of the output is pushed down the graph once, node
// by node: each node's vjp turns its adjoint into its children's adjoints (as expressions), so the
// gradient is itself an expression, evaluated by the same fused kernels. Subtrees that cannot reach
// a requested input are not visited.
//
// - Traced (grad, value_and_grad): inputs are the symbols arg<I> of tfx::function; the contributions
//   that reach arg<I> are summed into one expression at compile time, and the value and all
//   gradients are evaluated as one tfx::function (forward kernel results are shared with the
//   backward pass, nothing is allocated in steady state).
// - Eager (gradient(expr, vars...)): the expression is the tape; a leaf whose storage is the storage
//   of a requested tensor contributes to its gradient, so a tensor used in several places gets the
//   sum of its contributions.
#include "../eval/function.hpp"
#include "dag.hpp"
#include "vjp.hpp"

namespace tfx {

// stop_gradient(e) (stop_gradient.hpp): no gradient flows through it. forward_value(e) is e itself
// to a derivative (a gradient of a gradient differentiates the tanh in 1 - tanh²).
template <class X, class G>
auto vjp(const stop_gradient_node<X>&, const G&) {
    return std::tuple{zero_t{}};
}
template <class X, class G>
auto vjp(const detail::forward_value_node<X>&, const G& g) {
    return std::tuple{g};
}
template <class N, class G>
auto vjp(const detail::lse_softmax_node<N>&, const G& g) {
    return std::tuple{g};
}

namespace detail {

template <class E>
struct is_arg_node : std::false_type {};
template <std::size_t I, class T, class S>
struct is_arg_node<arg<I, T, S>> : std::true_type {};

// Does the subtree E contain a symbol whose index is in Is?
template <class E, std::size_t... Is>
constexpr bool reaches() {
    if constexpr (is_arg_node<E>::value)
        return ((E::index == Is) || ...);
    else if constexpr (is_leaf<E>::value || is_scalar_node<E>)
        return false;
    else
        return []<class... C>(std::type_identity<std::tuple<C...>>) {
            return (reaches<std::remove_cvref_t<C>, Is...>() || ...);
        }(std::type_identity<decltype(std::declval<const E&>().children())>{});
}

template <std::size_t K, class Acc, class V>
auto replace_at(Acc&& acc, V&& v) {
    return [&]<std::size_t... J>(std::index_sequence<J...>) {
        return std::tuple{[&]() -> decltype(auto) {
            if constexpr (J == K)
                return add_adjoint(std::get<J>(std::move(acc)), std::forward<V>(v));
            else
                return std::get<J>(std::move(acc));
        }()...};
    }(std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<Acc>>>{});
}

// acc: one accumulated adjoint per requested input (Is...), zero_t until something arrives.
template <class Is, class E, class G, class Acc>
auto backprop(const E& e, const G& g, Acc acc);

template <class Is, std::size_t C, class E, class Adj, class Acc>
auto backprop_children(const E& e, const Adj& adj, Acc acc) {
    if constexpr (C == std::tuple_size_v<Adj>)
        return acc;
    else
        return backprop_children<Is, C + 1>(e, adj, backprop<Is>(std::get<C>(e.children()), std::get<C>(adj), std::move(acc)));
}

template <std::size_t... Is>
struct index_list {};

template <std::size_t I, std::size_t... Is>
constexpr std::size_t position_of() {
    std::size_t pos = 0, k = 0;
    ((Is == I ? (pos = k, ++k) : ++k), ...);
    return pos;
}

template <class Is, class E, class G, class Acc>
auto backprop(const E& e, const G& g, Acc acc) {
    return [&]<std::size_t... I>(index_list<I...>) {
        if constexpr (is_zero<G> || !reaches<E, I...>())
            return acc;
        else if constexpr (is_arg_node<E>::value)
            return replace_at<position_of<E::index, I...>()>(std::move(acc), g);
        else
            return backprop_children<Is, 0>(e, pull(e, g), std::move(acc));
    }(Is{});
}

// The gradient for an input that nothing reached: zeros of its shape.
template <class A, class Adj>
auto finish_adjoint(const A& a, Adj&& adj) {
    using T = typename A::value_type;
    if constexpr (is_zero<Adj>)
        return broadcast_to_dims<typename A::shape_type>(scalar<T>(T(0)), a.dims());
    else if constexpr (std::is_same_v<typename std::remove_cvref_t<Adj>::shape_type, typename A::shape_type>)
        return std::forward<Adj>(adj);
    else
        return reshape_to_shape<typename A::shape_type>(std::forward<Adj>(adj), a.dims());
}

// 'tfx::scalar_output<tfx::shape<3> >' evaluates to false: grad needs f to return a rank-0 value.
template <class S>
inline constexpr bool scalar_output = S::rank == 0;
// 'tfx::inputs_exist<3, 0, 5>': grad<5> of a function of 3 arguments.
template <std::size_t N, std::size_t... Is>
inline constexpr bool inputs_exist = ((Is < N) && ...);

// The adjoints computed so far by a reverse pass: each link holds one and refers to the link before
// it, all alive on the stack of the pass's recursion, so an adjoint (an expression that may hold
// large subtrees) is built once in place and never copied as the pass goes on.
struct adjoint_chain_end {
    static constexpr std::size_t size = 0;
};
template <class Prev, class A>
struct adjoint_link {
    static constexpr std::size_t size = Prev::size + 1;
    const Prev& prev;
    A a;
};
// The adjoint of key I (in the order the pass computed them).
template <std::size_t I, class L>
const auto& adjoint_at(const L& l) {
    if constexpr (I + 1 == L::size)
        return l.a;
    else
        return adjoint_at<I>(l.prev);
}

// Reverse mode over the DAG of y: keys in reverse topological order, one adjoint each. A node
// reached along several edges gets the sum of their contributions, computed once into workspace
// memory (so the adjoints above it are not copied into every path below it); any other adjoint
// stays an expression and fuses with its consumers.
template <class Root, class Is, bool Nested>
struct reverse_pass;
template <class Root, std::size_t... Is, bool Nested>
struct reverse_pass<Root, index_list<Is...>, Nested> {
    using KR = boost::mp11::mp_reverse<dag::keys<Root>>;

    template <class Key, class Edge, class H>
    static auto contribution(const Root& root, const H& h) {
        return [&]<class P, std::size_t C>(dag::edge<P, C, Key>*) {
            constexpr std::size_t at = boost::mp11::mp_find<KR, P>::value;
            const auto& hp = adjoint_at<at>(h);
            if constexpr (is_zero<decltype(hp)>)
                return zero_t{};
            else
                return pull_child<C>(dag::node_at<dag::path_of<Root, P>>(root), hp);
        }(static_cast<Edge*>(nullptr));
    }
    template <class Key, class H, class... Edges>
    static auto sum_in(const Root& root, const H& h, boost::mp11::mp_list<Edges...>*) {
        if constexpr (sizeof...(Edges) == 0)
            return zero_t{};
        else
            return fold(contribution<Key, Edges>(root, h)...);
    }
    template <class A>
    static auto fold(A&& a) {
        return std::forward<A>(a);
    }
    template <class A, class B, class... R>
    static auto fold(A&& a, B&& b, R&&... r) {
        return fold(add_adjoint(std::forward<A>(a), std::forward<B>(b)), std::forward<R>(r)...);
    }

    template <std::size_t N, class H, class Seed>
    static auto adjoint(const Root& root, eval_ctx& ctx, const H& h, const Seed& seed) {
        using Key = boost::mp11::mp_at_c<KR, N>;
        using E = dag::node_of_key<Key>;
        using T = typename E::value_type;
        if constexpr (N == 0) {
            return seed;
        } else if constexpr (!reaches<E, Is...>()) {
            return zero_t{};
        } else {
            using In = dag::edges_into<Root, Key>;
            auto s = sum_in<Key>(root, h, static_cast<In*>(nullptr));
            if constexpr (!Nested && boost::mp11::mp_size<In>::value >= 2 && !is_arg_node<E>::value && !is_zero<decltype(s)>) {
                const auto d = s.dims();
                T* buf = ctx.ws->template get<T>(dims_size(d));
                eval_block(s, buf, d, ctx);
                return view<T, typename E::shape_type>(buf, d);
            } else {
                return s;
            }
        }
    }

    // Every key's adjoint, then done(chain of them all): done copies out what it needs.
    template <std::size_t N = 0, class Seed, class Done, class H = adjoint_chain_end>
    static auto run(const Root& root, eval_ctx& ctx, const Seed& seed, const Done& done, const H& h = {}) {
        if constexpr (N == boost::mp11::mp_size<KR>::value) {
            return done(h);
        } else {
            const adjoint_link<H, decltype(adjoint<N>(root, ctx, h, seed))> next{h, adjoint<N>(root, ctx, h, seed)};
            return run<N + 1>(root, ctx, seed, done, next);
        }
    }
};

// The cotangents of the symbols Is among syms, for the cotangent seed of y.
template <bool Nested, std::size_t... Is, class Y, class Seed, class... Syms>
auto cotangents_of(eval_ctx& ctx, const Y& y, const Seed& seed, const Syms&... syms) {
    using pass = reverse_pass<Y, index_list<Is...>, Nested>;
    using KR = typename pass::KR;
    const auto sym_tuple = std::tie(syms...);
    return pass::run(y, ctx, seed, [&](const auto& h) {
        [[maybe_unused]] auto one = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
            const auto& s = std::get<I>(sym_tuple);
            using S = std::remove_cvref_t<decltype(s)>;
            constexpr std::size_t at = boost::mp11::mp_find<KR, S>::value;
            if constexpr (at == boost::mp11::mp_size<KR>::value)
                return finish_adjoint(s, zero_t{});
            else
                return finish_adjoint(s, adjoint_at<at>(h));
        };
        return std::tuple{one(std::integral_constant<std::size_t, Is>{})...};
    });
}

// The cotangents of the symbols syms (arg<I> of any indices, distinct), for the cotangent seed of y.
// Loops use it for their bodies, whose symbols are numbered apart from the function's arguments.
template <class Y, class Seed, class... Syms>
auto cotangents_for(eval_ctx& ctx, const Y& y, const Seed& seed, const Syms&... syms) {
    using pass = reverse_pass<Y, index_list<Syms::index...>, false>;
    using KR = typename pass::KR;
    return pass::run(y, ctx, seed, [&](const auto& h) {
        [[maybe_unused]] auto one = [&]<class S>(const S& s) {
            constexpr std::size_t at = boost::mp11::mp_find<KR, S>::value;
            if constexpr (at == boost::mp11::mp_size<KR>::value)
                return finish_adjoint(s, zero_t{});
            else
                return finish_adjoint(s, adjoint_at<at>(h));
        };
        return std::tuple{one(syms)...};
    });
}

// The gradients of y (rank 0) with respect to the symbols Is among syms.
template <bool Nested, std::size_t... Is, class Y, class... Syms>
auto gradients_of(eval_ctx& ctx, const Y& y, const Syms&... syms) {
    static_assert(scalar_output<typename Y::shape_type>,
                  "tfx: grad: f must return a scalar (rank 0); for other outputs use vjp with a cotangent (shape below)");
    return cotangents_of<Nested, Is...>(ctx, y, unit<typename Y::value_type>{}, syms...);
}

}  // namespace detail

namespace detail {
// The traced body that grad and value_and_grad share: f's value y, checked (after a failed check
// nothing more is instantiated, so its message stays the only one), then pack(y, gradients).
template <std::size_t... Is, class F, class Pack>
auto traced_gradient(F f, Pack pack) {
    return [f = std::move(f), pack]<bool Nested>(traced_tag<Nested>, eval_ctx& ctx, const auto&... s) mutable {
        static_assert(inputs_exist<sizeof...(s), Is...>,
                      "tfx: grad: a requested argument index is not an argument of f (count and indices below)");
        auto y = invoke_traced<true>(f, ctx, s...);
        if constexpr (!inputs_exist<sizeof...(s), Is...>) {
            return y;
        } else if constexpr (!scalar_output<typename decltype(y)::shape_type>) {
            static_assert(scalar_output<typename decltype(y)::shape_type>,
                          "tfx: grad: f must return a scalar (rank 0); for other outputs use vjp with a cotangent (shape below)");
            return y;
        } else {
            return pack(y, gradients_of<Nested, Is...>(ctx, y, s...));
        }
    };
}
}  // namespace detail

// What value_and_grad returns: a tfx::function over tensors, which also takes a model (tfx::nn) as
// its one argument — value_and_grad([&](auto& m) { return loss(y, m(x)); })(model) — for custom
// training loops: then f runs the model in training mode and the result is (value, the gradients
// of the model's trainable variables, in the order of model.trainable_variables()).
template <class Traced, class F>
class gradient_function : public function<Traced> {
   public:
    gradient_function(Traced t, F f) : function<Traced>(std::move(t)), f_(std::move(f)) {}
    using function<Traced>::operator();
    template <class M>
        requires requires(M& m) { m.trainable_variables(); m.forward_train(std::declval<const typename M::input_type&>()); }
    auto operator()(M& m) & {
        return m.value_and_grad_of(f_);
    }
    template <class M>
        requires requires(M& m) { m.trainable_variables(); m.forward_train(std::declval<const typename M::input_type&>()); }
    auto operator()(M& m) && {
        return m.value_and_grad_of(f_);
    }

   private:
    F f_;
};

// value_and_grad<I...>(f)(args...) -> (value, gradient w.r.t. arg I...) as references to tensors
// owned by the returned callable (valid until its next call with the same argument types).
template <std::size_t... Is, class F>
auto value_and_grad(F f) {
    if constexpr (sizeof...(Is) == 0) {
        return value_and_grad<0>(std::move(f));
    } else {
        auto traced = detail::traced_gradient<Is...>(f, [](const auto& y, auto gs) {
            return std::tuple_cat(std::tuple{y}, std::move(gs));
        });
        return gradient_function<decltype(traced), F>(std::move(traced), std::move(f));
    }
}

// grad<I...>(f)(args...) -> the gradient (one index) or a tuple of gradients.
template <std::size_t... Is, class F>
auto grad(F f) {
    if constexpr (sizeof...(Is) == 0) {
        return grad<0>(std::move(f));
    } else {
        auto traced = detail::traced_gradient<Is...>(std::move(f), [](const auto&, auto gs) {
            if constexpr (sizeof...(Is) == 1)
                return std::get<0>(std::move(gs));
            else
                return gs;
        });
        return function<decltype(traced)>(std::move(traced));
    }
}

// vjp(f, args...) -> (f(args), pullback): pullback(cotangent) gives the cotangents of all the
// arguments (a tuple of tensors; integer and bool arguments get zeros). The arguments must outlive
// the pullback, which reads them.
template <class F, class... A>
    requires(is_tensor_v<A> && ...)
auto vjp(F f, const A&... args) {
    auto value = [&] {
        function<F> fn(f);
        const auto& y = fn(args...);
        return std::remove_cvref_t<decltype(y)>(y);
    }();
    using Y = decltype(value);
    auto pullback = [f, ptrs = std::tuple{&args...}](const Y& cotangent) mutable {  // mutable: f may be a tfx::function (grad of f)
        auto traced = [&f]<bool Nested>(traced_tag<Nested>, detail::eval_ctx& ctx, const auto&... s) {
            auto all = std::tie(s...);
            return [&]<std::size_t... I>(std::index_sequence<I...>) {
                auto y = detail::invoke_traced<true>(f, ctx, std::get<I>(all)...);
                return detail::cotangents_of<Nested, I...>(ctx, y, std::get<sizeof...(A)>(all), std::get<I>(all)...);
            }(std::index_sequence_for<A...>{});
        };
        function<decltype(traced)> fn(traced);
        auto r = std::apply([&](const auto*... a) { return fn(*a..., cotangent); }, ptrs);
        return std::apply([](const auto&... t) { return std::tuple{std::remove_cvref_t<decltype(t)>(t)...}; }, r);
    };
    return std::tuple{std::move(value), std::move(pullback)};
}

// ---- eager: gradient(expr, vars...) -> (value, d expr / d var...) as new tensors.
namespace detail {

// The name of a loop (scan, while_loop) in e whose body reads the memory at p directly (a captured
// tensor, not one of the loop's inputs), or null.
template <class E>
const char* loop_reading(const E& e, const void* p) {
    if constexpr (is_leaf<E>::value) {
        return nullptr;
    } else {
        if constexpr (requires { e.body_reads(p); })
            if (e.body_reads(p)) return E::name;
        const char* r = nullptr;
        std::apply([&](const auto&... c) { ((r = r ? r : loop_reading(c, p)), ...); }, e.children());
        return r;
    }
}

template <class E, class G, class Out, class Vars>
void eager_backprop(const E& e, const G& g, Out& out, std::array<bool, std::tuple_size_v<Out>>& seen, const Vars& vars) {
    if constexpr (is_zero<G>) {
        return;
    } else if constexpr (is_leaf<E>::value) {
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            (
                [&] {
                    auto& o = std::get<K>(out);
                    using O = std::remove_cvref_t<decltype(o)>;
                    if constexpr (std::is_same_v<typename O::value_type, typename E::value_type> &&
                                  std::is_same_v<typename O::shape_type, typename E::shape_type>) {
                        if (static_cast<const void*>(e.data()) == static_cast<const void*>(std::get<K>(vars).data())) {
                            auto contribution = reshape_to_shape<typename O::shape_type>(g, e.dims());
                            if (!seen[K])
                                o = contribution;
                            else
                                o = o + contribution;
                            seen[K] = true;
                        }
                    }
                }(),
                ...);
        }(std::make_index_sequence<std::tuple_size_v<Out>>{});
    } else if constexpr (is_scalar_node<E>) {
        return;
    } else {
        // Only subtrees that read a requested tensor are visited.
        bool any = false;
        std::apply([&](const auto&... v) { ((any = any || references(e, v.data())), ...); }, vars);
        if (!any) return;
        auto adj = pull(e, g);
        [&]<std::size_t... C>(std::index_sequence<C...>) {
            (eager_backprop(std::get<C>(e.children()), std::get<C>(adj), out, seen, vars), ...);
        }(std::make_index_sequence<std::tuple_size_v<decltype(adj)>>{});
    }
}

}  // namespace detail

template <expression E, class... V>
    requires(is_tensor_v<V> && ...)
auto gradient(const E& e, const V&... vars) {
    static_assert(detail::scalar_output<typename E::shape_type>,
                  "tfx: gradient: the expression must be a scalar (rank 0) (shape below)");
    using T = typename E::value_type;
    tensor<T> value = e;
    std::tuple<V...> grads{V(uninitialized, vars.shape())...};  // zeros where nothing reaches (below)
    if constexpr (sizeof...(V) > 0) {
        // A loop body that reads a requested tensor directly would give it no gradient: refuse
        // rather than return zeros.
        (
            [&] {
                if (const char* loop = detail::loop_reading(as_node(e), vars.data()))
                    throw value_error(std::string("tfx: gradient: a ") + loop +
                                      " step reads a tensor you differentiate with respect to directly (captured); the eager "
                                      "gradient cannot see through it: pass the tensor to the loop (as xs or carry), or "
                                      "differentiate with tfx::grad / value_and_grad, where captured arguments get gradients");
            }(),
            ...);
        std::array<bool, sizeof...(V)> seen{};
        detail::eager_backprop(as_node(e), unit<T>{}, grads, seen, std::tie(vars...));
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            ((seen[K] ? void() : std::get<K>(grads).fill(typename V::value_type(0))), ...);
        }(std::index_sequence_for<V...>{});
    }
    return std::tuple_cat(std::tuple{value}, std::move(grads));
}

}  // namespace tfx
