#pragma once
// scan(step, carry, xs): (carry, y_t) = step(carry, x_t) for t over the leading (time) axis of xs,
// with a run-time length; the result is (final carry, ys), ys the outputs y_t stacked on a new
// leading axis — lax.scan's contract. carry, xs and y may each be one expression or a std::tuple of
// them.
//
// The step is traced like the body of a tfx::function: it gets symbols for the carry and for one
// time step of xs (arg<I> numbered far above any argument, apart for every step type, so loops nest)
// and returns expressions. Its other leaves are what it captures: captured function arguments
// (symbols) are inputs of the scan, and get gradients; captured tensors are constants.
//
// Evaluation: one kernel node runs the loop and writes a pack holding every carry c_0 .. c_T and
// every y_t. The step's expression is evaluated once per step, in the same workspace slots each
// time (nothing is allocated after the first call), with common subexpressions shared within the
// step. The results are slices of the pack.
//
// Reverse mode (backpropagation through time): the pack keeps every carry, so memory is linear in
// the sequence length. Its vjp is a second loop, backwards over time, that evaluates the step's
// compile-time gradient at each step from the saved carry: the carry's cotangent flows back, x_t's
// cotangent is written at t, and the captured arguments' cotangents are summed over the steps.
// Inside one tfx::function (grad, value_and_grad) the forward pack is computed once and read by the
// backward loop.
#include <string_view>

#include "../autodiff/keep.hpp"
#include "cond.hpp"

namespace tfx {

namespace detail {

constexpr std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (char c : s) {
        h ^= std::uint64_t(static_cast<unsigned char>(c));
        h *= 1099511628211ull;
    }
    return h;
}
template <class F>
constexpr std::uint64_t type_fingerprint() {
    return fnv1a(__PRETTY_FUNCTION__);
}
// The first symbol index of a loop body of type F: above 2^40, 256 symbols per body.
template <class F>
inline constexpr std::size_t loop_base = (std::size_t(1) << 40) + ((type_fingerprint<F>() & ((1ull << 30) - 1)) << 8);

template <class X>
auto as_node_tuple(X&& x) {
    using D = std::remove_cvref_t<X>;
    if constexpr (is_std_tuple<D>::value)
        return std::apply([](auto&&... e) { return std::make_tuple(as_node(std::forward<decltype(e)>(e))...); },
                          std::forward<X>(x));
    else
        return std::make_tuple(as_node(std::forward<X>(x)));
}
template <bool Tuple, class Tup>
decltype(auto) untuple(Tup&& t) {
    if constexpr (Tuple)
        return std::forward<Tup>(t);
    else
        return std::get<0>(std::forward<Tup>(t));
}

template <class S>
struct row_shape;
template <index_t E0, index_t... E>
struct row_shape<shape<E0, E...>> {
    using type = shape<E...>;
};
template <class S>
struct stacked_shape;
template <index_t... E>
struct stacked_shape<shape<E...>> {
    using type = shape<dyn, E...>;
};
template <std::size_t R>
dims_t<R - 1> row_dims(const dims_t<R>& d) {
    dims_t<R - 1> r{};
    for (std::size_t i = 1; i < R; ++i) r[i - 1] = d[i];
    return r;
}
template <std::size_t R>
dims_t<R + 1> stacked_dims(std::size_t n, const dims_t<R>& d) {
    dims_t<R + 1> r{};
    r[0] = n;
    for (std::size_t i = 0; i < R; ++i) r[i + 1] = d[i];
    return r;
}

// The captured arguments of a body: symbols whose index is outside [Lo, Hi).
template <std::size_t Lo, std::size_t Hi, class E>
struct captured_args_impl {
    using type = boost::mp11::mp_flatten<
        boost::mp11::mp_transform<captured_args_impl<Lo, Hi, boost::mp11::mp_void<>>::template of, dag::children_of<E>>>;
};
template <std::size_t Lo, std::size_t Hi>
struct captured_args_impl<Lo, Hi, void> {
    template <class C>
    using of = typename captured_args_impl<Lo, Hi, C>::type;
};
template <std::size_t Lo, std::size_t Hi, std::size_t I, class T, class S>
struct captured_args_impl<Lo, Hi, arg<I, T, S>> {
    using type = boost::mp11::mp_if_c<(I >= Lo && I < Hi), boost::mp11::mp_list<>, boost::mp11::mp_list<arg<I, T, S>>>;
};
template <std::size_t Lo, std::size_t Hi, class... E>
using captured_args = boost::mp11::mp_rename<
    boost::mp11::mp_unique<boost::mp11::mp_flatten<boost::mp11::mp_list<typename captured_args_impl<Lo, Hi, E>::type...>>>,
    std::tuple>;

template <std::size_t Lo, std::size_t Hi, class List>
struct captured_in;
template <std::size_t Lo, std::size_t Hi, class... E>
struct captured_in<Lo, Hi, boost::mp11::mp_list<E...>> {
    using type = captured_args<Lo, Hi, E...>;
};

template <class A>
auto sum_of(const A& a) {
    return a;
}
template <class A, class B, class... R>
auto sum_of(const A& a, const B& b, const R&... r) {
    return sum_of(a + b, r...);
}

// Fill caps (a tuple of distinct arg types) from the leaves of e.
template <class Caps, class E>
void find_captures(Caps& caps, const E& e) {
    if constexpr (is_arg_node<E>::value) {
        if constexpr (boost::mp11::mp_contains<boost::mp11::mp_rename<Caps, boost::mp11::mp_list>, E>::value)
            std::get<E>(caps) = e;
    } else if constexpr (!is_leaf<E>::value) {
        std::apply([&](const auto&... c) { (find_captures(caps, c), ...); }, e.children());
    }
}

// Point the symbols arg<Lo + k> among e's leaves at ptrs[k] (k < N).
template <std::size_t Lo, std::size_t N, class E>
void point_symbols(E& e, const std::array<const void*, N>& ptrs) {
    if constexpr (is_arg_node<E>::value) {
        if constexpr (E::index >= Lo && E::index < Lo + N)
            e.p = static_cast<const typename E::value_type*>(ptrs[E::index - Lo]);
    } else if constexpr (!is_leaf<E>::value) {
        std::apply([&](const auto&... c) { (point_symbols<Lo, N>(const_cast<std::remove_cvref_t<decltype(c)>&>(c), ptrs), ...); },
                   e.children());
    }
}

// Is p the memory of a leaf of e other than a symbol (arg<I>)?
template <std::size_t Lo, std::size_t N, class E>
bool reads_constant(const E& e, const void* p) {
    if constexpr (is_arg_node<E>::value) {
        return false;
    } else if constexpr (is_leaf<E>::value) {
        return static_cast<const void*>(e.data()) == p;
    } else if constexpr (requires { e.body_reads(p); }) {
        return e.body_reads(p) || std::apply([&](const auto&... c) { return (reads_constant<Lo, N>(c, p) || ...); }, e.children());
    } else {
        return std::apply([&](const auto&... c) { return (reads_constant<Lo, N>(c, p) || ...); }, e.children());
    }
}

// A fingerprint of the run-time constants of a body (its scalars): part of a loop node's identity.
// The body's own symbols (arg<Lo> .. arg<Lo + N - 1>) are left out: they point at a different step
// each time. Captured tensors and scalars are in.
template <std::size_t Lo, std::size_t N, class E>
void hash_constants(const E& e, std::uint64_t& h) {
    auto mix = [&](std::uint64_t u) { h = (h ^ u) * 1099511628211ull; };
    if constexpr (is_arg_node<E>::value) {
        if constexpr (!(E::index >= Lo && E::index < Lo + N)) mix(std::uint64_t(reinterpret_cast<std::uintptr_t>(e.data())));
    } else if constexpr (is_leaf<E>::value) {
        mix(std::uint64_t(reinterpret_cast<std::uintptr_t>(e.data())));
    } else if constexpr (requires { e.value; }) {
        std::uint64_t u = 0;
        const auto v = e.value;
        std::memcpy(&u, &v, sizeof(v) < 8 ? sizeof(v) : 8);
        mix(u);
    } else {
        std::apply([&](const auto&... c) { (hash_constants<Lo, N>(c, h), ...); }, e.children());
    }
}

// A kernel node's value: computed into workspace memory, or found there (common subexpressions).
template <class E>
const typename E::value_type* node_value(const E& e, const dims_t<E::rank>& d, eval_ctx& ctx) {
    using V = typename E::value_type;
    workspace::probe probe;
    if (ctx.persistent)
        if (const V* p = ctx.ws->template recall<V>(e, probe)) return p;
    V* buf = ctx.ws->template get<V>(dims_size(d));
    eval_block(e, buf, d, ctx);
    if (ctx.persistent) ctx.ws->remember(probe, e, buf);
    return buf;
}
// An operand's values as contiguous row-major memory: a leaf's own, or evaluated into the workspace.
template <class E>
const typename E::value_type* operand_data(const E& e, const dims_t<E::rank>& d, eval_ctx& ctx) {
    if constexpr (is_leaf<E>::value) {
        return e.data();
    } else {
        typename E::value_type* buf = ctx.ws->template get<typename E::value_type>(dims_size(d));
        eval_block(e, buf, d, ctx);
        return buf;
    }
}

// The kept nodes (keep(e)) of a body, each type once: a scan saves their values at every step, and
// its backward loop reads them instead of recomputing them.
template <class E>
struct is_kept : std::false_type {};
template <class X>
struct is_kept<keep_node<X>> : std::true_type {};
template <class Op, class X>
struct is_kept<kept_op<Op, X>> : std::true_type {};

template <class E>
struct kept_in_impl;
template <class E>
using kept_in = typename kept_in_impl<E>::type;
template <class E>
struct kept_in_impl {
    using below = boost::mp11::mp_flatten<boost::mp11::mp_transform<kept_in, dag::children_of<E>>>;
    using type = boost::mp11::mp_if<is_kept<E>, boost::mp11::mp_push_back<below, E>, below>;
};
template <class T>
struct of_value_type {
    template <class E>
    using fn = std::is_same<typename E::value_type, T>;
};
template <class T, class List>
using kept_list = boost::mp11::mp_rename<
    boost::mp11::mp_copy_if_q<boost::mp11::mp_unique<boost::mp11::mp_flatten<boost::mp11::mp_transform<kept_in, List>>>,
                              of_value_type<T>>,
    std::tuple>;

// The first node of type K in e (null if none).
template <class K, class E>
const K* find_node(const E& e) {
    if constexpr (std::is_same_v<E, K>) {
        return &e;
    } else if constexpr (is_leaf<E>::value) {
        return nullptr;
    } else {
        const K* r = nullptr;
        std::apply([&](const auto&... c) { ((r = r ? r : find_node<K>(c)), ...); }, e.children());
        return r;
    }
}
template <class K, class Body>
const K* find_in_body(const Body& b) {
    const K* r = nullptr;
    std::apply([&](const auto&... e) { ((r = r ? r : find_node<K>(e)), ...); }, b.first);
    std::apply([&](const auto&... e) { ((r = r ? r : find_node<K>(e)), ...); }, b.second);
    return r;
}

template <class T, class... X>
inline constexpr bool all_of_type = (std::is_same_v<typename X::value_type, T> && ...);

// 'tfx::detail::scan_carry_kept<tfx::shape<-1, 8>, tfx::shape<-1, 9>>' is false: the step returns
// a carry of the second shape for a carry of the first.
template <class Carry, class NewCarry>
inline constexpr bool scan_carry_kept = extents_agree<Carry, NewCarry>();

template <class... X>
inline constexpr bool scan_inputs_have_time_axis = ((X::rank >= 1) && ...);

// Symbols, body types and captures of a scan with these operand types.
template <class Step, bool TC, bool TX, class Init, class Xs>
struct scan_traits;
template <class Step, bool TC, bool TX, class... C, class... X>
struct scan_traits<Step, TC, TX, std::tuple<C...>, std::tuple<X...>> {
    static constexpr std::size_t NC = sizeof...(C), NX = sizeof...(X);
    static constexpr std::size_t base = loop_base<Step>;
    static_assert(NC + NX <= 256, "tfx: scan: at most 256 carry and input parts");
    using T = typename std::tuple_element_t<0, std::tuple<C...>>::value_type;

    template <class Is>
    struct syms_impl;
    template <std::size_t... K>
    struct syms_impl<std::index_sequence<K...>> {
        using carry = std::tuple<arg<base + K, typename C::value_type, typename C::shape_type>...>;
    };
    template <class Is>
    struct xsyms_impl;
    template <std::size_t... J>
    struct xsyms_impl<std::index_sequence<J...>> {
        using xs = std::tuple<arg<base + NC + J, typename X::value_type, typename row_shape<typename X::shape_type>::type>...>;
    };
    using carry_syms = typename syms_impl<std::make_index_sequence<NC>>::carry;
    using x_syms = typename xsyms_impl<std::make_index_sequence<NX>>::xs;

    template <class Cs, class Xv>
    static auto call(const Step& step, const Cs& cs, const Xv& xv) {
        decltype(auto) r = step(untuple<TC>(cs), untuple<TX>(xv));
        using R = std::remove_cvref_t<decltype(r)>;
        static_assert(is_std_tuple<R>::value && std::tuple_size_v<R> == 2,
                      "tfx: scan: the step must return (new carry, output) as a std::pair or a std::tuple of two");
        using NC_ = std::remove_cvref_t<std::tuple_element_t<0, R>>;
        static_assert(is_std_tuple<NC_>::value == TC,
                      "tfx: scan: the step's new carry must have the carry's structure (a tuple when the carry is a tuple)");
        return std::pair{as_node_tuple(std::get<0>(r)), as_node_tuple(std::get<1>(r))};
    }
    template <class R>
    static constexpr bool second_is_tuple() {
        if constexpr (is_std_tuple<R>::value && std::tuple_size_v<R> == 2)
            return is_std_tuple<std::remove_cvref_t<std::tuple_element_t<1, R>>>::value;
        else
            return false;
    }
    static constexpr bool TY = second_is_tuple<std::remove_cvref_t<decltype(std::declval<const Step&>()(
        untuple<TC>(std::declval<const carry_syms&>()), untuple<TX>(std::declval<const x_syms&>())))>>();
    using body = decltype(call(std::declval<const Step&>(), std::declval<const carry_syms&>(), std::declval<const x_syms&>()));
    using new_carry = typename body::first_type;
    using ys = typename body::second_type;
    static constexpr std::size_t NY = std::tuple_size_v<ys>;
    using kept = kept_list<T, boost::mp11::mp_append<boost::mp11::mp_rename<new_carry, boost::mp11::mp_list>,
                                                     boost::mp11::mp_rename<ys, boost::mp11::mp_list>>>;
    using caps = typename captured_in<base, base + NC + NX,
                                      boost::mp11::mp_append<boost::mp11::mp_rename<new_carry, boost::mp11::mp_list>,
                                                             boost::mp11::mp_rename<ys, boost::mp11::mp_list>>>::type;
};

}  // namespace detail

template <class Step, bool TC, bool TX, class Init, class Xs, bool Rev = false>
struct scan_node;
template <class Step, bool TC, bool TX, class... C, class... X, bool Rev>
struct scan_node<Step, TC, TX, std::tuple<C...>, std::tuple<X...>, Rev>
    : expr_base<typename std::tuple_element_t<0, std::tuple<C...>>::value_type, shape<dyn>> {
    using traits = detail::scan_traits<Step, TC, TX, std::tuple<C...>, std::tuple<X...>>;
    using T = typename traits::T;
    using caps_t = typename traits::caps;
    static constexpr std::size_t NC = traits::NC, NX = traits::NX, NY = traits::NY;
    using kept_t = typename traits::kept;
    static constexpr std::size_t NS = std::tuple_size_v<kept_t>;
    static constexpr const char* name = "scan";
    static constexpr bool is_loop_pack = true;  // its slices' cotangents are embedded in a pack

    static_assert(detail::all_of_type<T, C...>, "tfx: scan: every part of the carry must have one element type");
    static_assert(std::is_floating_point_v<T>, "tfx: scan: the carry must have a floating element type");
    static_assert(detail::scan_inputs_have_time_axis<X...>, "tfx: scan: xs must have a leading (time) axis");
    static_assert(NY > 0 || NX == 0, "tfx: scan: the step must return an output for each step (y_t)");

    std::tuple<C...> init;
    std::tuple<X...> xs;
    caps_t caps;
    // The step's expression, traced once (when scan is called, so the step may capture locals by
    // reference); each step of the loop points its symbols at that step's carry and inputs.
    mutable typename traits::body body;
    // The number of steps when there are no inputs to scan (while_loop's gradient sets it).
    std::size_t fixed_length = 0;
    // The pack as an earlier evaluation computed it (a layer's forward pass hands it to its backward
    // pass): the backward loop reads it instead of running the forward loop again.
    const T* saved = nullptr;

    struct layout;
    // The time index of step s (steps run backwards over time when Rev).
    static std::size_t row(const layout& lay, std::size_t s) { return Rev ? lay.length - 1 - s : s; }

    // Where each part lives in the pack, for the run-time extents.
    struct layout {
        std::size_t length = 0, total = 0;
        std::tuple<dims_t<C::rank>...> cdims;
        std::tuple<dims_t<X::rank>...> xdims;
        std::array<std::size_t, NC> csize{}, coff{};
        std::array<std::size_t, NX> xsize{};  // one time step of each input
        std::array<std::size_t, NY> ysize{}, yoff{};
        // Each kept node's value at every step, and a flag per step: was it computed (a kept node
        // in a cond branch not taken is not)?
        std::array<std::size_t, NS> ssize{}, soff{};
        std::size_t flags = 0;
    };

    scan_node(const Step& s, std::tuple<C...> c, std::tuple<X...> x)
        : init(std::move(c)), xs(std::move(x)), body(trace_once(s)) {
        std::apply([&](const auto&... e) { (detail::find_captures(caps, e), ...); }, body.first);
        std::apply([&](const auto&... e) { (detail::find_captures(caps, e), ...); }, body.second);
    }

    auto children() const {
        return std::apply(
            [](const auto&... a) { return std::tie(a...); },
            std::tuple_cat(std::apply([](const auto&... c) { return std::tie(c...); }, init),
                           std::apply([](const auto&... x) { return std::tie(x...); }, xs),
                           std::apply([](const auto&... k) { return std::tie(k...); }, caps)));
    }
    // The step's run-time constants (captured numbers) distinguish two scans of one type.
    auto params() const {
        std::uint64_t h = 0;
        std::apply([&](const auto&... e) { (detail::hash_constants<traits::base, NC + NX>(e, h), ...); }, body.first);
        std::apply([&](const auto&... e) { (detail::hash_constants<traits::base, NC + NX>(e, h), ...); }, body.second);
        return std::tuple(h, fixed_length, saved);
    }

    // The body's symbols (carry parts, then inputs) pointing at ptrs (null for a trace that only
    // builds the body's type and extents).
    auto symbols_at(const layout& lay, const std::array<const void*, NC + NX>& ptrs) const {
        typename traits::carry_syms cs = [&]<std::size_t... K>(std::index_sequence<K...>) {
            return typename traits::carry_syms{std::tuple_element_t<K, typename traits::carry_syms>(
                static_cast<const T*>(ptrs[K]), std::get<K>(lay.cdims))...};
        }(std::make_index_sequence<NC>{});
        typename traits::x_syms xv = [&]<std::size_t... J>(std::index_sequence<J...>) {
            return typename traits::x_syms{std::tuple_element_t<J, typename traits::x_syms>(
                static_cast<const typename X::value_type*>(ptrs[NC + J]), detail::row_dims(std::get<J>(lay.xdims)))...};
        }(std::index_sequence_for<X...>{});
        return std::pair{cs, xv};
    }
    // Where step t reads its carry (slot t of the pack at carry_base) and its inputs (row t of xdata).
    std::array<const void*, NC + NX> step_pointers(const layout& lay, const T* carry_base,
                                                   const std::array<const void*, NX>& xdata, std::size_t t) const {
        std::array<const void*, NC + NX> ptrs{};
        for (std::size_t k = 0; k < NC; ++k) ptrs[k] = carry_base + lay.coff[k] + t * lay.csize[k];
        [&]<std::size_t... J>(std::index_sequence<J...>) {
            ((ptrs[NC + J] = static_cast<const typename X::value_type*>(xdata[J]) + scan_node::row(lay, t) * lay.xsize[J]), ...);
        }(std::index_sequence_for<X...>{});
        return ptrs;
    }
    // The body's symbols at time t, as one tuple.
    auto symbols(const layout& lay, const T* carry_base, const std::array<const void*, NX>& xdata, std::size_t t) const {
        auto [cs, xv] = symbols_at(lay, step_pointers(lay, carry_base, xdata, t));
        return std::tuple_cat(cs, xv);
    }
    // Points the body's symbols at time t's carry and inputs; returns the body.
    const typename traits::body& at(const layout& lay, const T* carry_base, const std::array<const void*, NX>& xdata,
                                    std::size_t t) const {
        return at_ptrs(step_pointers(lay, carry_base, xdata, t));
    }

    // Does the body read the memory at p through a leaf other than a symbol (a captured tensor)? Such
    // a capture is a constant to reverse mode: eager gradients refuse it (see grad.hpp).
    bool body_reads(const void* p) const {
        bool found = false;
        auto look = [&](const auto& e) { found = found || detail::reads_constant<traits::base, NC + NX>(e, p); };
        std::apply([&](const auto&... e) { (look(e), ...); }, body.first);
        std::apply([&](const auto&... e) { (look(e), ...); }, body.second);
        return found;
    }

    // Points the body's symbols at ptrs (carry parts, then inputs).
    const typename traits::body& at_ptrs(const std::array<const void*, NC + NX>& ptrs) const {
        std::apply([&](auto&... e) { (detail::point_symbols<traits::base, NC + NX>(e, ptrs), ...); }, body.first);
        std::apply([&](auto&... e) { (detail::point_symbols<traits::base, NC + NX>(e, ptrs), ...); }, body.second);
        return body;
    }

   private:
    typename traits::body trace_once(const Step& s) const {
        const auto [cs, xv] = symbols_at(dims_only(), {});
        return traits::call(s, cs, xv);
    }

   public:
    // Extents of the carries and inputs (the outputs' need a trace: see measure).
    layout dims_only() const {
        layout lay;
        lay.cdims = std::apply([](const auto&... c) { return std::tuple{c.dims()...}; }, init);
        lay.xdims = std::apply([](const auto&... x) { return std::tuple{x.dims()...}; }, xs);
        if constexpr (NX > 0)
            lay.length = std::get<0>(lay.xdims)[0];
        else
            lay.length = fixed_length;
        [&]<std::size_t... J>(std::index_sequence<J...>) {
            ((std::get<J>(lay.xdims)[0] != lay.length
                  ? throw shape_error("tfx: scan: the inputs have lengths " + std::to_string(lay.length) + " and " +
                                      std::to_string(std::get<J>(lay.xdims)[0]) + " along the time axis (axis 0)")
                  : void()),
             ...);
            ((lay.xsize[J] = dims_size(detail::row_dims(std::get<J>(lay.xdims)))), ...);
        }(std::index_sequence_for<X...>{});
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            ((lay.csize[K] = dims_size(std::get<K>(lay.cdims))), ...);
        }(std::make_index_sequence<NC>{});
        return lay;
    }
    layout measure() const {
        layout lay = dims_only();
        const auto& b = body;
        std::size_t off = 0;
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            (
                [&] {
                    const auto nd = std::get<K>(b.first).dims();
                    if (nd != std::get<K>(lay.cdims))
                        throw shape_error("tfx: scan: the step returns carry part " + std::to_string(K) + " of shape " +
                                          shape_string(nd) + " for a carry of shape " +
                                          shape_string(std::get<K>(lay.cdims)) + "; the carry must keep its shape");
                    lay.coff[K] = off;
                    off += (lay.length + 1) * lay.csize[K];
                }(),
                ...);
        }(std::make_index_sequence<NC>{});
        [&]<std::size_t... J>(std::index_sequence<J...>) {
            ((lay.ysize[J] = dims_size(std::get<J>(b.second).dims()), lay.yoff[J] = off, off += lay.length * lay.ysize[J]),
             ...);
        }(std::make_index_sequence<NY>{});
        [&]<std::size_t... M>(std::index_sequence<M...>) {
            ((lay.ssize[M] = dims_size(detail::find_in_body<std::tuple_element_t<M, kept_t>>(b)->dims()), lay.soff[M] = off,
              off += lay.length * lay.ssize[M]),
             ...);
        }(std::make_index_sequence<NS>{});
        lay.flags = off;
        off += lay.length * NS;
        lay.total = off;
        return lay;
    }

    dims_t<1> dims() const { return {measure().total}; }

    void eval_into(T* out, const dims_t<1>&, detail::eval_ctx& ctx) const {
        const layout lay = measure();
        std::array<const void*, NX> xdata{};
        [&]<std::size_t... J>(std::index_sequence<J...>) {
            ((xdata[J] = detail::operand_data(std::get<J>(xs), std::get<J>(lay.xdims), ctx)), ...);
        }(std::index_sequence_for<X...>{});
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            (detail::eval_block(std::get<K>(init), out + lay.coff[K], std::get<K>(lay.cdims), ctx), ...);
        }(std::make_index_sequence<NC>{});
        for (std::size_t t = 0; t < lay.length; ++t) {
            const auto m = ctx.ws->mark();
            detail::eval_ctx in{nullptr, nullptr, ctx.ws, true};
            const auto& b = at(lay, out, xdata, t);
            [&]<std::size_t... K>(std::index_sequence<K...>) {
                (detail::eval_block(std::get<K>(b.first), out + lay.coff[K] + (t + 1) * lay.csize[K],
                                    std::get<K>(lay.cdims), in),
                 ...);
            }(std::make_index_sequence<NC>{});
            [&]<std::size_t... J>(std::index_sequence<J...>) {
                (detail::eval_block(std::get<J>(b.second), out + lay.yoff[J] + row(lay, t) * lay.ysize[J],
                                    std::get<J>(b.second).dims(), in),
                 ...);
            }(std::make_index_sequence<NY>{});
            save_kept(lay, b, out, t, in);
            ctx.ws->release(m);
        }
    }

    // Copy step t's kept values (computed by this step, found among its kernel results) into the pack.
    void save_kept(const layout& lay, const typename traits::body& b, T* out, std::size_t t, detail::eval_ctx& in) const {
        [&]<std::size_t... M>(std::index_sequence<M...>) {
            (
                [&] {
                    const auto* node = detail::find_in_body<std::tuple_element_t<M, kept_t>>(b);
                    const T* v = in.ws->template recall<T>(*node);
                    out[lay.flags + t * NS + M] = v ? T(1) : T(0);
                    if (v) std::copy_n(v, lay.ssize[M], out + lay.soff[M] + t * lay.ssize[M]);
                }(),
                ...);
        }(std::make_index_sequence<NS>{});
    }
    // Make step t's saved kept values the results of the body's kept nodes (read, not recomputed).
    void recall_kept(const layout& lay, const typename traits::body& b, const T* pack, std::size_t t, detail::eval_ctx& in) const {
        [&]<std::size_t... M>(std::index_sequence<M...>) {
            (
                [&] {
                    if (pack[lay.flags + t * NS + M] != T(0))
                        in.ws->remember(*detail::find_in_body<std::tuple_element_t<M, kept_t>>(b), pack + lay.soff[M] + t * lay.ssize[M]);
                }(),
                ...);
        }(std::make_index_sequence<NS>{});
    }
};

// A part of a pack (a loop's results, or their cotangents): offset and extents in the pack.
template <class S, class Src>
struct pack_slice : expr_base<typename Src::value_type, S> {
    using T = typename Src::value_type;
    static constexpr std::size_t R = S::rank;
    static constexpr const char* name = "pack_slice";
    Src src;
    std::size_t offset;
    dims_t<R> d;
    pack_slice(Src s, std::size_t off, const dims_t<R>& dims_) : src(std::move(s)), offset(off), d(dims_) {}
    auto children() const { return std::tie(src); }
    auto params() const { return std::tuple(offset, d); }
    dims_t<R> dims() const { return d; }
    void eval_into(T* out, const dims_t<R>&, detail::eval_ctx& ctx) const {
        const auto sd = src.dims();
        if constexpr (R == 1) {
            // The whole pack (a layer's forward pass returns it, ahead of the slices it reads):
            // computed straight into out, where the slices evaluated after it find it.
            if (ctx.persistent && offset == 0 && d[0] == sd[0] && !ctx.ws->template recall<T>(src)) {
                detail::eval_block(src, out, sd, ctx);
                ctx.ws->remember(src, static_cast<const T*>(out));
                return;
            }
        }
        const T* p = detail::node_value(src, sd, ctx);
        std::copy_n(p + offset, dims_size(d), out);
    }
};

// g written at offset into zeros of the pack's size (the cotangent of a pack from one of its parts).
template <class G>
struct embed_node : expr_base<typename G::value_type, shape<dyn>> {
    using T = typename G::value_type;
    static constexpr const char* name = "embed";
    G g;
    std::size_t offset, total;
    embed_node(G g_, std::size_t off, std::size_t n) : g(std::move(g_)), offset(off), total(n) {}
    auto children() const { return std::tie(g); }
    auto params() const { return std::tuple(offset, total); }
    dims_t<1> dims() const { return {total}; }
    void eval_into(T* out, const dims_t<1>&, detail::eval_ctx& ctx) const {
        const auto gd = g.dims();
        const std::size_t n = dims_size(gd);
        std::fill_n(out, offset, T(0));
        detail::eval_block(g, out + offset, gd, ctx);
        std::fill_n(out + offset + n, total - offset - n, T(0));
    }
};

namespace detail {
template <class G>
inline constexpr bool is_embed = false;
template <class G>
inline constexpr bool is_embed<embed_node<G>> = true;
}  // namespace detail

// The cotangents of a scan's inputs (initial carry, xs, captured arguments) for the cotangent g of
// its pack, as one pack: backpropagation through time.
template <class Scan, class G>
struct scan_grad_node : expr_base<typename Scan::T, shape<dyn>> {
    using T = typename Scan::T;
    using traits = typename Scan::traits;
    static constexpr std::size_t NC = Scan::NC, NX = Scan::NX, NY = Scan::NY,
                                 NK = std::tuple_size_v<typename Scan::caps_t>;
    static constexpr const char* name = "scan_grad";
    Scan scan;
    G g;
    scan_grad_node(Scan s, G g_) : scan(std::move(s)), g(std::move(g_)) {}
    auto children() const { return std::tie(scan, g); }

    template <class V>
    static constexpr bool differentiable = std::is_same_v<typename V::value_type, T>;

    // The cotangent pack: initial carry parts, then inputs, then captured arguments.
    struct layout {
        typename Scan::layout fwd;
        std::array<std::size_t, NC> coff{};
        std::array<std::size_t, NX> xoff{};
        std::array<std::size_t, NK> koff{}, ksize{};
        std::size_t total = 0;
    };
    layout measure() const {
        layout lay;
        lay.fwd = scan.measure();
        std::size_t off = 0;
        for (std::size_t k = 0; k < NC; ++k) lay.coff[k] = off, off += lay.fwd.csize[k];
        for (std::size_t j = 0; j < NX; ++j) lay.xoff[j] = off, off += lay.fwd.length * lay.fwd.xsize[j];
        [&]<std::size_t... M>(std::index_sequence<M...>) {
            ((lay.koff[M] = off, lay.ksize[M] = dims_size(std::get<M>(scan.caps).dims()), off += lay.ksize[M]), ...);
        }(std::make_index_sequence<NK>{});
        lay.total = off;
        return lay;
    }
    dims_t<1> dims() const { return {measure().total}; }

    // The pack's cotangent g, of which the backward loop reads only the final carries' and the
    // outputs' parts. When g is one part embedded into zeros (a loss of one result of the scan),
    // only those parts are zeroed, not the whole pack with every kept value of every step.
    const T* cotangent_pack(const typename Scan::layout& f, detail::eval_ctx& ctx) const {
        if constexpr (detail::is_embed<G>) {
            T* buf = ctx.ws->template get<T>(f.total);
            for (std::size_t k = 0; k < NC; ++k) std::fill_n(buf + f.coff[k] + f.length * f.csize[k], f.csize[k], T(0));
            for (std::size_t j = 0; j < NY; ++j) std::fill_n(buf + f.yoff[j], f.length * f.ysize[j], T(0));
            const auto gd = g.g.dims();
            if (g.total != f.total || g.offset + dims_size(gd) > f.total)
                throw shape_error("tfx: scan (gradient): a cotangent of " + std::to_string(dims_size(gd)) + " values at " +
                                  std::to_string(g.offset) + " does not fit the pack of " + std::to_string(f.total));
            detail::eval_block(g.g, buf + g.offset, gd, ctx);
            return buf;
        } else {
            return detail::operand_data(g, dims_t<1>{f.total}, ctx);
        }
    }

    void eval_into(T* out, const dims_t<1>&, detail::eval_ctx& ctx) const {
        const layout lay = measure();
        const auto& f = lay.fwd;
        const std::size_t L = f.length;
        const T* fwd = scan.saved ? scan.saved : detail::node_value(scan, dims_t<1>{f.total}, ctx);
        const T* gp = cotangent_pack(f, ctx);
        std::array<const void*, NX> xdata{};
        [&]<std::size_t... J>(std::index_sequence<J...>) {
            ((xdata[J] = detail::operand_data(std::get<J>(scan.xs), std::get<J>(f.xdims), ctx)), ...);
        }(std::make_index_sequence<NX>{});
        // The carry's cotangent, two buffers (read one, write the other); the captured arguments'
        // cotangent of one step.
        std::array<std::array<T*, NC>, 2> dc{};
        for (int s = 0; s < 2; ++s)
            for (std::size_t k = 0; k < NC; ++k) dc[s][k] = ctx.ws->template get<T>(f.csize[k]);
        std::array<T*, NK> kstep{};
        for (std::size_t m = 0; m < NK; ++m) kstep[m] = ctx.ws->template get<T>(lay.ksize[m]);
        for (std::size_t k = 0; k < NC; ++k) std::copy_n(gp + f.coff[k] + L * f.csize[k], f.csize[k], dc[0][k]);
        // Zeroed: only what the loop does not write. The carries' cotangents are copied in at the
        // end and every step writes its row of each input with a gradient; the captured
        // arguments' cotangents are sums over the steps.
        [&]<std::size_t... J>(std::index_sequence<J...>) {
            (
                [&] {
                    if constexpr (!differentiable<std::remove_cvref_t<decltype(std::get<J>(scan.xs))>>)
                        std::fill_n(out + lay.xoff[J], L * f.xsize[J], T(0));
                }(),
                ...);
        }(std::make_index_sequence<NX>{});
        if constexpr (NK > 0) std::fill(out + lay.koff[0], out + lay.total, T(0));
        int cur = 0;
        for (std::size_t t = L; t-- > 0;) {
            const auto m = ctx.ws->mark();
            detail::eval_ctx in{nullptr, nullptr, ctx.ws, true};
            const auto& b = scan.at(f, fwd, xdata, t);
            scan.recall_kept(f, b, fwd, t, in);
            const auto cs = scan.symbols(f, fwd, xdata, t);
            // <new carry, dc> + <y_t, g_t>: its gradient is the step's vjp for both cotangents.
            auto carry_terms = [&]<std::size_t... K>(std::index_sequence<K...>) {
                return std::make_tuple(sum(std::get<K>(b.first) *
                                           view<T, typename std::tuple_element_t<K, typename traits::carry_syms>::shape_type>(
                                               dc[cur][K], std::get<K>(f.cdims)))...);
            }(std::make_index_sequence<NC>{});
            auto y_terms = [&]<std::size_t... J>(std::index_sequence<J...>) {
                return std::make_tuple(sum(std::get<J>(b.second) *
                                           view<T, typename std::tuple_element_t<J, typename traits::ys>::shape_type>(
                                               gp + f.yoff[J] + Scan::row(f, t) * f.ysize[J], std::get<J>(b.second).dims()))...);
            }(std::make_index_sequence<NY>{});
            auto root = std::apply([](const auto&... e) { return detail::sum_of(e...); },
                                   std::tuple_cat(std::move(carry_terms), std::move(y_terms)));
            auto adj = std::apply(
                [&](const auto&... s) {
                    return std::apply(
                        [&](const auto&... k) { return detail::cotangents_for(in, root, unit<T>{}, s..., k...); },
                        scan.caps);
                },
                cs);
            [&]<std::size_t... K>(std::index_sequence<K...>) {
                (detail::eval_block(std::get<K>(adj), dc[1 - cur][K], std::get<K>(f.cdims), in), ...);
            }(std::make_index_sequence<NC>{});
            [&]<std::size_t... J>(std::index_sequence<J...>) {
                (
                    [&] {
                        const auto& a = std::get<NC + J>(adj);
                        T* row = out + lay.xoff[J] + Scan::row(f, t) * f.xsize[J];
                        if constexpr (differentiable<std::remove_cvref_t<decltype(a)>>)
                            detail::eval_block(a, row, detail::row_dims(std::get<J>(f.xdims)), in);
                        else if constexpr (differentiable<std::remove_cvref_t<decltype(std::get<J>(scan.xs))>>)
                            std::fill_n(row, f.xsize[J], T(0));  // (not zeroed above)
                    }(),
                    ...);
            }(std::make_index_sequence<NX>{});
            [&]<std::size_t... M>(std::index_sequence<M...>) {
                (
                    [&] {
                        const auto& a = std::get<NC + NX + M>(adj);
                        if constexpr (differentiable<std::remove_cvref_t<decltype(a)>>) {
                            detail::eval_block(a, kstep[M], std::get<M>(scan.caps).dims(), in);
                            T* acc = out + lay.koff[M];
                            for (std::size_t i = 0; i < lay.ksize[M]; ++i) acc[i] += kstep[M][i];
                        }
                    }(),
                    ...);
            }(std::make_index_sequence<NK>{});
            ctx.ws->release(m);
            cur = 1 - cur;
        }
        for (std::size_t k = 0; k < NC; ++k) std::copy_n(dc[cur][k], f.csize[k], out + lay.coff[k]);
    }
};

template <class Step, bool TC, bool TX, class Init, class Xs, bool Rev, class G>
auto vjp(const scan_node<Step, TC, TX, Init, Xs, Rev>& e, const G& g) {
    using Scan = scan_node<Step, TC, TX, Init, Xs, Rev>;
    using GN = node_t<const G&>;
    using B = scan_grad_node<Scan, GN>;
    B b(e, as_node(g));
    const auto lay = b.measure();
    auto carry = [&]<std::size_t... K>(std::index_sequence<K...>) {
        return std::make_tuple(pack_slice<typename std::tuple_element_t<K, Init>::shape_type, B>(
            b, lay.coff[K], std::get<K>(lay.fwd.cdims))...);
    }(std::make_index_sequence<Scan::NC>{});
    auto inputs = [&]<std::size_t... J>(std::index_sequence<J...>) {
        return std::make_tuple([&] {
            using XJ = std::tuple_element_t<J, Xs>;
            if constexpr (B::template differentiable<XJ>)
                return pack_slice<typename XJ::shape_type, B>(b, lay.xoff[J], std::get<J>(lay.fwd.xdims));
            else
                return zero_t{};
        }()...);
    }(std::make_index_sequence<Scan::NX>{});
    auto captured = [&]<std::size_t... M>(std::index_sequence<M...>) {
        return std::make_tuple([&] {
            using KM = std::tuple_element_t<M, typename Scan::caps_t>;
            if constexpr (B::template differentiable<KM>)
                return pack_slice<typename KM::shape_type, B>(b, lay.koff[M], std::get<M>(e.caps).dims());
            else
                return zero_t{};
        }()...);
    }(std::make_index_sequence<B::NK>{});
    return std::tuple_cat(std::move(carry), std::move(inputs), std::move(captured));
}

template <class S, class Src, class G>
auto vjp(const pack_slice<S, Src>& e, const G& g) {
    if constexpr (requires { Src::is_loop_pack; }) {
        using GN = node_t<const G&>;
        return std::tuple{embed_node<GN>(as_node(g), e.offset, e.src.dims()[0])};
    } else {
        static_assert(sizeof(S) == 0, "tfx: grad: second derivatives through scan and while_loop are not supported");
        return std::tuple{zero_t{}};
    }
}
template <class G, class H>
auto vjp(const embed_node<G>&, const H&) {
    static_assert(sizeof(G) == 0, "tfx: grad: second derivatives through scan and while_loop are not supported");
    return std::tuple{zero_t{}};
}
template <class S, class Src, class Tg>
auto jvp(const pack_slice<S, Src>&, const Tg&) {
    static_assert(sizeof(S) == 0,
                  "tfx: jvp: forward mode through scan and while_loop is not supported; use reverse mode (grad, vjp)");
    return zero_t{};
}

namespace detail::dag {
template <class Step, bool TC, bool TX, class Init, class Xs, bool Rev>
struct pure_kind<scan_node<Step, TC, TX, Init, Xs, Rev>> {
    using traits = typename scan_node<Step, TC, TX, Init, Xs, Rev>::traits;
    static constexpr bool value =
        mp_all_of<mp_append<mp_rename<typename traits::new_carry, mp_list>, mp_rename<typename traits::ys, mp_list>>,
                  determined_t>::value;
};
// pack_slice and embed_node are not pure: their offsets are run-time values, so two parts of one
// pack with the same shape (a scan's final h and c) are one type; keyed by type, reverse mode took
// them for one node and gave one part the sum of both parts' adjoints and the other none.
template <class Scan, class G>
struct pure_kind<scan_grad_node<Scan, G>> : std::true_type {};
}  // namespace detail::dag

namespace detail {
// scan, whose backward pass reads the forward pack from saved when it is not null (see
// scan_node::saved; it must be the pack of this scan's forward pass, for the same operands).
template <bool Reverse, class Step, class Carry, class Xs>
auto scan_with(Step step, Carry&& carry, Xs&& xs, const void* saved) {
    constexpr bool tc = is_std_tuple<std::remove_cvref_t<Carry>>::value;
    constexpr bool tx = is_std_tuple<std::remove_cvref_t<Xs>>::value;
    auto c = as_node_tuple(std::forward<Carry>(carry));
    auto x = as_node_tuple(std::forward<Xs>(xs));
    using Node = scan_node<Step, tc, tx, decltype(c), decltype(x), Reverse>;
    using traits = typename Node::traits;
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        static_assert((scan_carry_kept<typename std::tuple_element_t<K, decltype(c)>::shape_type,
                                               typename std::tuple_element_t<K, typename traits::new_carry>::shape_type> &&
                       ...),
                      "tfx: scan: the step must return a carry of the carry's shape (both below)");
        static_assert((std::is_same_v<typename std::tuple_element_t<K, typename traits::new_carry>::value_type,
                                      typename Node::T> &&
                       ...),
                      "tfx: scan: the step must return a carry of the carry's element type");
    }(std::make_index_sequence<Node::NC>{});
    Node node(step, std::move(c), std::move(x));
    node.saved = static_cast<const typename Node::T*>(saved);
    const auto lay = node.measure();
    auto final_carry = [&]<std::size_t... K>(std::index_sequence<K...>) {
        return std::make_tuple(pack_slice<typename std::tuple_element_t<K, decltype(c)>::shape_type, Node>(
            node, lay.coff[K] + lay.length * lay.csize[K], std::get<K>(lay.cdims))...);
    }(std::make_index_sequence<Node::NC>{});
    auto ys = [&]<std::size_t... J>(std::index_sequence<J...>) {
        const auto& b = node.body;
        return std::make_tuple(
            pack_slice<typename stacked_shape<typename std::tuple_element_t<J, typename traits::ys>::shape_type>::type,
                       Node>(node, lay.yoff[J], stacked_dims(lay.length, std::get<J>(b.second).dims()))...);
    }(std::make_index_sequence<Node::NY>{});
    return std::make_tuple(untuple<tc>(std::move(final_carry)), untuple<traits::TY>(std::move(ys)));
}
}  // namespace detail

// (final carry, ys) = scan(step, carry, xs): see the top of this file. scan<true> runs the steps
// backwards over time (lax.scan's reverse = True): the first step reads the last x, and y_t is still
// stored at t.
template <bool Reverse = false, class Step, class Carry, class Xs>
auto scan(Step step, Carry&& carry, Xs&& xs) {
    return detail::scan_with<Reverse>(std::move(step), std::forward<Carry>(carry), std::forward<Xs>(xs), nullptr);
}


}  // namespace tfx
