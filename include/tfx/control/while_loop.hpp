#pragma once
// while_loop(cond_fn, body_fn, state...): while cond_fn(state...) is true, state = body_fn(state...);
// the result is the final state (one expression for one state variable, else a std::tuple). The trip
// count is decided at run time. As with scan, both functions are traced once, on symbols of the
// state: cond_fn returns a rank-0 expression (nonzero is true), body_fn the new state (one
// expression, or a std::tuple with one per state variable, each of its variable's element type and
// shape). Captured function arguments are inputs of the loop and get gradients.
//
// Evaluation runs the body in two buffers per state variable, in the same workspace slots each
// iteration. Reverse mode: the loop is run again as a scan of the counted length, which keeps every
// state (memory linear in the trip count), and the scan's backward loop gives the cotangents of the
// initial state and of the captured arguments. A training step thus runs the loop's forward twice.
#include "scan.hpp"

namespace tfx {

namespace detail {

// The body as a scan step: the carry is the state, there are no inputs and no outputs.
template <class Body>
struct while_step {
    Body body;
    template <class C, class X>
    auto operator()(const C& carry, const X&) const {
        auto r = std::apply(body, carry);
        if constexpr (is_std_tuple<std::remove_cvref_t<decltype(r)>>::value)
            return std::tuple{std::move(r), std::tuple<>{}};
        else
            return std::tuple{std::tuple{std::move(r)}, std::tuple<>{}};
    }
};

}  // namespace detail

template <class Loop, class Pred>
struct while_node : expr_base<typename Loop::T, shape<dyn>> {
    using T = typename Loop::T;
    using traits = typename Loop::traits;
    static constexpr std::size_t NC = Loop::NC;
    static constexpr const char* name = "while_loop";
    static constexpr bool is_loop_pack = true;
    static_assert(Pred::rank == 0, "tfx: while_loop: cond_fn must return a scalar (rank 0) (its shape below)");
    Loop loop;
    mutable Pred pred;
    while_node(Loop l, Pred p) : loop(std::move(l)), pred(std::move(p)) {}

    auto children() const { return loop.children(); }
    bool body_reads(const void* p) const {
        return loop.body_reads(p) || detail::reads_constant<traits::base, NC>(pred, p);
    }
    auto params() const {
        std::uint64_t h = std::get<0>(loop.params());
        detail::hash_constants<traits::base, NC>(pred, h);
        return std::tuple(h);
    }
    // The pack: the final state's parts, then the trip count (a std::uint32_t's bits in one element).
    dims_t<1> dims() const {
        const auto lay = loop.dims_only();
        std::size_t n = 1;
        for (std::size_t k = 0; k < NC; ++k) n += lay.csize[k];
        return {n};
    }
    std::size_t offset(const typename Loop::layout& lay, std::size_t k) const {
        std::size_t off = 0;
        for (std::size_t i = 0; i < k; ++i) off += lay.csize[i];
        return off;
    }
    static std::size_t trip_count(const T* pack, std::size_t total) {
        std::uint32_t n = 0;
        std::memcpy(&n, pack + total - 1, sizeof n);
        return n;
    }

    void eval_into(T* out, const dims_t<1>& d, detail::eval_ctx& ctx) const {
        static_assert(sizeof(T) >= sizeof(std::uint32_t), "tfx: internal: while_loop's count needs 4-byte elements");
        const auto lay = loop.dims_only();
        std::array<std::array<T*, NC>, 2> buf{};
        for (int s = 0; s < 2; ++s)
            for (std::size_t k = 0; k < NC; ++k) buf[s][k] = ctx.ws->template get<T>(lay.csize[k]);
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            (detail::eval_block(std::get<K>(loop.init), buf[0][K], std::get<K>(lay.cdims), ctx), ...);
        }(std::make_index_sequence<NC>{});
        int cur = 0;
        std::uint32_t n = 0;
        for (;;) {
            const auto m = ctx.ws->mark();
            detail::eval_ctx in{nullptr, nullptr, ctx.ws, true};
            std::array<const void*, NC> ptrs{};
            for (std::size_t k = 0; k < NC; ++k) ptrs[k] = buf[cur][k];
            detail::point_symbols<traits::base, NC>(pred, ptrs);
            if (!detail::truth(pred, in)) {
                ctx.ws->release(m);
                break;
            }
            const auto& b = loop.at_ptrs(ptrs);
            [&]<std::size_t... K>(std::index_sequence<K...>) {
                (detail::eval_block(std::get<K>(b.first), buf[1 - cur][K], std::get<K>(lay.cdims), in), ...);
            }(std::make_index_sequence<NC>{});
            ctx.ws->release(m);
            cur = 1 - cur;
            if (++n == 0xffffffffu) throw value_error("tfx: while_loop: more than 2^32 - 1 iterations");
        }
        for (std::size_t k = 0; k < NC; ++k) std::copy_n(buf[cur][k], lay.csize[k], out + offset(lay, k));
        std::memcpy(out + d[0] - 1, &n, sizeof n);
    }
};

// The cotangents of a while_loop's initial state and captured arguments (one pack, laid out as a
// scan's without inputs) for the cotangent g of its pack.
template <class While, class G>
struct while_grad_node : expr_base<typename While::T, shape<dyn>> {
    using T = typename While::T;
    using Loop = decltype(std::declval<While>().loop);
    using inner = scan_grad_node<Loop, view<T, shape<dyn>>>;
    static constexpr const char* name = "while_grad";
    While w;
    G g;
    while_grad_node(While w_, G g_) : w(std::move(w_)), g(std::move(g_)) {}
    auto children() const { return std::tie(w, g); }
    typename inner::layout measure() const { return inner(w.loop, view<T, shape<dyn>>(nullptr, {0})).measure(); }
    dims_t<1> dims() const { return {measure().total}; }

    void eval_into(T* out, const dims_t<1>& d, detail::eval_ctx& ctx) const {
        const std::size_t wn = w.dims()[0];
        const T* fwd = detail::node_value(w, dims_t<1>{wn}, ctx);
        const T* gp = detail::operand_data(g, dims_t<1>{wn}, ctx);
        Loop loop = w.loop;
        loop.fixed_length = While::trip_count(fwd, wn);
        const auto lay = loop.measure();
        T* gl = ctx.ws->template get<T>(lay.total);
        std::fill_n(gl, lay.total, T(0));
        for (std::size_t k = 0; k < While::NC; ++k)
            std::copy_n(gp + w.offset(lay, k), lay.csize[k], gl + lay.coff[k] + lay.length * lay.csize[k]);
        inner(std::move(loop), view<T, shape<dyn>>(gl, {lay.total})).eval_into(out, d, ctx);
    }
};

template <class Loop, class Pred, class G>
auto vjp(const while_node<Loop, Pred>& e, const G& g) {
    using W = while_node<Loop, Pred>;
    using GN = node_t<const G&>;
    using B = while_grad_node<W, GN>;
    using Init = std::remove_cvref_t<decltype(e.loop.init)>;
    B b(e, as_node(g));
    const auto lay = b.measure();
    auto carry = [&]<std::size_t... K>(std::index_sequence<K...>) {
        return std::make_tuple(pack_slice<typename std::tuple_element_t<K, Init>::shape_type, B>(
            b, lay.coff[K], std::get<K>(lay.fwd.cdims))...);
    }(std::make_index_sequence<W::NC>{});
    auto captured = [&]<std::size_t... M>(std::index_sequence<M...>) {
        return std::make_tuple([&] {
            using KM = std::tuple_element_t<M, typename Loop::caps_t>;
            if constexpr (std::is_same_v<typename KM::value_type, typename W::T>)
                return pack_slice<typename KM::shape_type, B>(b, lay.koff[M], std::get<M>(e.loop.caps).dims());
            else
                return zero_t{};
        }()...);
    }(std::make_index_sequence<std::tuple_size_v<typename Loop::caps_t>>{});
    return std::tuple_cat(std::move(carry), std::move(captured));
}

namespace detail::dag {
template <class Loop, class Pred>
struct pure_kind<while_node<Loop, Pred>> {
    static constexpr bool value = pure_kind<Loop>::value && determined_t<Pred>::value;
};
template <class While, class G>
struct pure_kind<while_grad_node<While, G>> : std::true_type {};
}  // namespace detail::dag

// See the top of this file.
template <class Cond, class Body, class... S>
auto while_loop(Cond cond_fn, Body body_fn, S&&... state) {
    static_assert(sizeof...(S) > 0, "tfx: while_loop: needs at least one state variable");
    using Step = detail::while_step<Body>;
    auto init = std::make_tuple(as_node(std::forward<S>(state))...);
    using Loop = scan_node<Step, true, true, decltype(init), std::tuple<>>;
    using traits = typename Loop::traits;
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        static_assert((detail::scan_carry_kept<typename std::tuple_element_t<K, decltype(init)>::shape_type,
                                               typename std::tuple_element_t<K, typename traits::new_carry>::shape_type> &&
                       ...),
                      "tfx: while_loop: the body must return each state variable with its shape (both below)");
        static_assert((std::is_same_v<typename std::tuple_element_t<K, typename traits::new_carry>::value_type,
                                      typename Loop::T> &&
                       ...),
                      "tfx: while_loop: every state variable must have the first one's floating element type");
    }(std::index_sequence_for<S...>{});
    Loop loop(Step{std::move(body_fn)}, std::move(init), std::tuple<>{});
    // The predicate, traced once on the state's symbols.
    const auto lay = loop.dims_only();
    auto p = std::apply(cond_fn, loop.symbols_at(lay, {}).first);
    static_assert(expression<decltype(p)>,
                  "tfx: while_loop: cond_fn must return a rank-0 expression of the state (a constant would loop forever or never)");
    auto pred = detail::predicate_node(p);
    using W = while_node<Loop, decltype(pred)>;
    W w(std::move(loop), std::move(pred));
    auto out = [&]<std::size_t... K>(std::index_sequence<K...>) {
        return std::make_tuple(pack_slice<typename std::tuple_element_t<K, typename Loop::traits::carry_syms>::shape_type, W>(
            w, w.offset(lay, K), std::get<K>(lay.cdims))...);
    }(std::index_sequence_for<S...>{});
    return detail::untuple<(sizeof...(S) > 1)>(std::move(out));
}

}  // namespace tfx
