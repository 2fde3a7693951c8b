#pragma once
// Evaluators: the run-time side of an expression, built once per evaluation. An elementwise
// subtree becomes a tree of evaluators that the SIMD loop walks row by row; every other node
// (reduction, matmul, permute, ...) is computed by its kernel into a buffer first and then read like
// a tensor. The iteration rank R is that of the output being written.
#include <tuple>
#include <utility>

#include "../core/tensor.hpp"
#include "../expr/elementwise.hpp"
#include "../kernels/tail.hpp"
#include "workspace.hpp"

namespace tfx::detail {

// Evaluation context: when a matmul's result is written straight into the output by the GEMM
// (epilogue fusion), the evaluator of that matmul reads the output instead of a buffer.
// ws holds the intermediates that cannot live inline (their shape is dynamic). persistent (set
// by tfx::function): every intermediate, static or not, lives in the workspace, and a kernel node
// equal to one already computed in this evaluation (same type, same leaves and values) is reused.
struct eval_ctx {
    const void* fused_node = nullptr;
    const void* fused_out = nullptr;
    workspace* ws = nullptr;
    bool persistent = false;
};

// Memory for an intermediate of element type T and static shape S: inline when S is fully static
// (no heap), from the workspace otherwise. Used as a local (data() is not stable across moves of
// the inline storage; it is recomputed on each call).
template <class T, class S, bool Inline = S::is_static>
struct scratch {
    typename tensor_for<T, S>::type own;
    T* p;  // the workspace's memory when the context is persistent, else null (own is used)
    dims_t<S::rank> d;
    scratch(eval_ctx& ctx, const dims_t<S::rank>& dims_)
        : own(uninitialized), p(ctx.persistent ? ctx.ws->template get<T>(dims_size(dims_)) : nullptr), d(dims_) {}
    T* data() { return p ? p : own.data(); }
    const T* data() const { return p ? p : own.data(); }
};
template <class T, class S>
struct scratch<T, S, false> {
    T* p;
    dims_t<S::rank> d;
    scratch(eval_ctx& ctx, const dims_t<S::rank>& dims_) : p(ctx.ws->template get<T>(dims_size(dims_))), d(dims_) {}
    T* data() { return p; }
    const T* data() const { return p; }
};

template <class S>
inline constexpr bool bcast_inner = S::rank == 0 || S::extents[S::rank - 1] == 1;

// A contiguous row-major block of shape dims read under broadcasting into an R-dimensional output.
// BInner: the last extent is statically 1 (or the block is a scalar), so each row is one value.
template <class T, std::size_t LR, std::size_t R, bool BInner>
struct strided_eval {
    using value_type = T;
    const T* base = nullptr;
    dims_t<LR> dims{};
    std::array<std::ptrdiff_t, (R > 0 ? R : 1)> stride{};
    const T* p = nullptr;
    std::ptrdiff_t inner = 0;

    template <class U>
    static constexpr bool simd_as = std::is_same_v<U, T> && simd_type<U>;

    void bind(const dims_t<R>& out) {
        static_assert(LR <= R, "tfx: internal: a leaf of higher rank than its output");
        std::ptrdiff_t s = 1;
        for (std::size_t k = LR; k-- > 0;) {
            std::size_t od = k + (R - LR);
            stride[od] = (dims[k] == 1 && out[od] != 1) ? 0 : s;
            s *= std::ptrdiff_t(dims[k]);
        }
        for (std::size_t od = 0; od < R - LR; ++od) stride[od] = 0;
        inner = R > 0 ? stride[R - 1] : 0;
        p = base;
    }
    void seek(const dims_t<R>& idx) {
        const T* q = base;
        for (std::size_t k = 0; k + 1 < R; ++k) q += std::ptrdiff_t(idx[k]) * stride[k];
        p = q;
    }
    T get(std::size_t i) const { return p[std::ptrdiff_t(i) * inner]; }
    template <class B>
    B load(std::size_t i) const {
        if constexpr (BInner)
            return B(*p);
        else
            return B::load_unaligned(p + i);
    }
    // The r < B::size values from i (a row's tail), the other lanes 1: nothing past the row is read.
    template <class B>
    B load_tail(std::size_t i, std::size_t r) const {
        if constexpr (BInner)
            return B(*p);
        else
            return kernels::detail::load_tail(p + i, r, T(1));
    }
    bool simd_valid() const { return BInner || inner == 1; }
    bool flat_ok(const dims_t<R>& out) const {
        if constexpr (LR == 0)
            return true;
        else if constexpr (LR != R || BInner)
            return false;
        else
        {
            for (std::size_t k = 0; k < LR; ++k)
                if (dims[k] != out[k]) return false;
            return true;
        }
    }
};

template <class E, std::size_t R, class = void>
struct evaluator;

// Leaves: tensors (by reference or value) and views of kernel buffers.
template <class L, std::size_t R>
struct evaluator<L, R, std::enable_if_t<is_leaf<L>::value>>
    : strided_eval<typename L::value_type, L::rank, R, bcast_inner<typename L::shape_type>> {
    evaluator(const L& leaf, eval_ctx&) {
        this->base = leaf.data();
        this->dims = leaf.dims();
    }
};

template <class T, std::size_t R>
struct evaluator<scalar<T>, R> {
    using value_type = T;
    T v;
    dims_t<0> dims{};
    evaluator(const scalar<T>& s, eval_ctx&) : v(s.value) {}
    template <class U>
    static constexpr bool simd_as = std::is_same_v<U, T> && simd_type<U>;
    void bind(const dims_t<R>&) {}
    void seek(const dims_t<R>&) {}
    T get(std::size_t) const { return v; }
    template <class B>
    B load(std::size_t) const { return B(v); }
    template <class B>
    B load_tail(std::size_t, std::size_t) const { return B(v); }
    bool simd_valid() const { return true; }
    bool flat_ok(const dims_t<R>&) const { return true; }
};

template <class T, std::size_t R>
struct evaluator<unit<T>, R> : evaluator<scalar<T>, R> {
    evaluator(const unit<T>&, eval_ctx& ctx) : evaluator<scalar<T>, R>(scalar<T>(T(1)), ctx) {}
};

template <class Op>
struct is_cast : std::false_type {};
template <class U>
struct is_cast<ops::cast<U>> : std::true_type {};

template <class E, std::size_t R>
struct make_evaluator {
    const E& e;
    eval_ctx& ctx;
    operator evaluator<E, R>() const { return evaluator<E, R>(e, ctx); }
};

// Op over child readers C (evaluators, or their loop forms below): what the SIMD loop calls.
template <class Op, std::size_t R, class... C>
struct map_reader {
    using value_type = typename Op::template result<typename C::value_type...>;
    std::tuple<C...> ch;

    map_reader() = default;
    template <class... M>
    map_reader(std::in_place_t, M&&... m) : ch(std::forward<M>(m)...) {}

    // Lane type U: the node yields batch<U> (or batch_bool<U> for a comparison of U values).
    template <class U>
    static constexpr bool simd_as = [] {
        if constexpr (!simd_type<U>)
            return false;
        else if constexpr (is_cast<Op>::value)
            return std::is_same_v<value_type, U> && ((std::is_same_v<typename C::value_type, U>) && ...) &&
                   (C::template simd_as<U> && ...);
        else
            return (std::is_same_v<value_type, U> || (Op::predicate && std::is_same_v<value_type, bool>)) &&
                   (C::template simd_as<U> && ...);
    }();

    void bind(const dims_t<R>& out) {
        std::apply([&](auto&... c) { (c.bind(out), ...); }, ch);
    }
    void seek(const dims_t<R>& idx) {
        std::apply([&](auto&... c) { (c.seek(idx), ...); }, ch);
    }
    value_type get(std::size_t i) const {
        return std::apply([&](const auto&... c) { return static_cast<value_type>(Op::apply(c.get(i)...)); }, ch);
    }
    template <class B>
    auto load(std::size_t i) const {
        return std::apply([&](const auto&... c) { return Op::apply(c.template load<B>(i)...); }, ch);
    }
    template <class B>
    auto load_tail(std::size_t i, std::size_t r) const {
        return std::apply([&](const auto&... c) { return Op::apply(c.template load_tail<B>(i, r)...); }, ch);
    }
    bool simd_valid() const {
        return std::apply([](const auto&... c) { return (c.simd_valid() && ...); }, ch);
    }
    bool flat_ok(const dims_t<R>& out) const {
        return std::apply([&](const auto&... c) { return (c.flat_ok(out) && ...); }, ch);
    }
};

template <class Op, class... A, std::size_t R>
struct evaluator<map<Op, A...>, R> : map_reader<Op, R, evaluator<A, R>...> {
    using node = map<Op, A...>;
    using reader = map_reader<Op, R, evaluator<A, R>...>;
    static_assert(((std::is_same_v<typename evaluator<A, R>::value_type, typename A::value_type>) && ...),
                  "tfx: internal: an evaluator's value type is not its node's");
    dims_t<node::rank> dims;

    evaluator(const node& e, eval_ctx& ctx) : evaluator(e, ctx, std::index_sequence_for<A...>{}) {}
    template <std::size_t... I>
    evaluator(const node& e, eval_ctx& ctx, std::index_sequence<I...>)
        : reader(std::in_place, make_evaluator<A, R>{std::get<I>(e.args), ctx}...), dims(fold(std::get<I>(this->ch).dims...)) {}

   private:
    template <class D>
    static auto fold(const D& d) { return d; }
    template <class D0, class D1, class... D>
    static auto fold(const D0& d0, const D1& d1, const D&... d) {
        return fold(broadcast_dims(Op::name, d0, d1), d...);
    }
};

// The node a kernel node's result is remembered and looked up as (common subexpressions): the node
// itself, unless it is another node's value under another name (stop_gradient(e) is e's value, so
// it is looked up as e: autodiff/stop_gradient.hpp).
template <class E>
struct memo_key {
    static const E& of(const E& e) { return e; }
};

// Any other node is computed by its kernel (node.eval_into) into a buffer, then read as a tensor.
template <class E, std::size_t R, class>
struct evaluator : strided_eval<typename E::value_type, E::rank, R, bcast_inner<typename E::shape_type>> {
    using leaf = strided_eval<typename E::value_type, E::rank, R, bcast_inner<typename E::shape_type>>;
    using V = typename E::value_type;
    const V* fused = nullptr;
    scratch<V, typename E::shape_type> buf;

    evaluator(const E& e, eval_ctx& ctx) : evaluator(e, ctx, workspace::probe{}) {}
    evaluator(const E& e, eval_ctx& ctx, workspace::probe&& p)
        : fused(ctx.fused_node == static_cast<const void*>(&e)
                    ? static_cast<const V*>(ctx.fused_out)
                    : (ctx.persistent ? ctx.ws->template recall<V>(memo_key<E>::of(e), p) : nullptr)),
          buf(ctx, fused ? dims_t<E::rank>{} : e.dims()) {
        this->dims = fused ? e.dims() : buf.d;
        if (!fused) {
            e.eval_into(buf.data(), this->dims, ctx);
            if (ctx.persistent) ctx.ws->remember(p, memo_key<E>::of(e), static_cast<const V*>(buf.data()));
        }
    }
    // The buffer's address is taken here, after the evaluator tree has been moved into place.
    void bind(const dims_t<R>& out) {
        this->base = fused ? fused : buf.data();
        leaf::bind(out);
    }
};

// ---- Loop forms. The SIMD loops (run_elementwise, the reductions) are instantiated per evaluator
// type, and an evaluator's type holds its expression's: two kernels that differ only in static
// extents or in what their kernel operands are (the activations of two dense layers of different
// widths) compiled two copies of the same loop. The loop form of a built and bound evaluator is
// what the loop reads, without the node types: strided leaves (tensors, views, kernel results),
// scalars, and maps of them. Evaluators of the same loop form share one loop. An evaluator with no
// loop form (a custom one) is run as it is.

template <class T, std::size_t R>
struct loop_scalar {
    using value_type = T;
    T v{};
    template <class U>
    static constexpr bool simd_as = std::is_same_v<U, T> && simd_type<U>;
    void bind(const dims_t<R>&) {}
    void seek(const dims_t<R>&) {}
    T get(std::size_t) const { return v; }
    template <class B>
    B load(std::size_t) const { return B(v); }
    template <class B>
    B load_tail(std::size_t, std::size_t) const { return B(v); }
    bool simd_valid() const { return true; }
    bool flat_ok(const dims_t<R>&) const { return true; }
};

// A map's loop form: the map's reader over its children's loop forms.
template <class Op, std::size_t R, class... C>
using loop_map = map_reader<Op, R, C...>;

// Leaves, kernel results and reshapes of them (every evaluator derived from strided_eval): the
// strided reader itself, base and strides as bound.
template <class T, std::size_t LR, std::size_t R, bool BInner>
strided_eval<T, LR, R, BInner> to_loop(const strided_eval<T, LR, R, BInner>& e) {
    return e;
}
template <class T, std::size_t R>
loop_scalar<T, R> to_loop(const evaluator<scalar<T>, R>& e) {  // unit<T>'s evaluator too
    return {e.v};
}
// A map (and a broadcast, whose evaluator is its operand's).
template <class Op, class... A, std::size_t R>
auto to_loop(const evaluator<map<Op, A...>, R>& e)
    -> loop_map<Op, R, decltype(to_loop(std::declval<const evaluator<A, R>&>()))...> {
    return std::apply([](const auto&... c) { return loop_map<Op, R, decltype(to_loop(c))...>(std::in_place, to_loop(c)...); }, e.ch);
}

template <class Ev>
concept has_loop_form = requires(const Ev& e) { to_loop(e); };

// f(the loop form of ev, bound to the output dims d), or f(ev) when it has none.
template <std::size_t R, class Ev, class F>
void with_loop_form(Ev& ev, const dims_t<R>& d, F&& f) {
    if constexpr (has_loop_form<Ev>) {
        ev.bind(d);  // a kernel result's evaluator sets its buffer's address here
        auto lf = to_loop(std::as_const(ev));
        f(lf);
    } else {
        f(ev);
    }
}

}  // namespace tfx::detail
