#pragma once
// matmul(a, b): the matrix product over the last two axes, batched (with NumPy broadcasting of the
// leading axes) when either operand has rank > 2. Computed by the BLIS-style GEMM; a transposed
// operand is absorbed by the packing, and an elementwise consumer such as relu(matmul(x, W) + b)
// is applied by the GEMM as each block of the result is finished.
#include "../kernels/gemm.hpp"
#include "permute.hpp"

namespace tfx {

namespace detail {
template <class SA, class SB>
constexpr auto matmul_extents() {
    constexpr std::size_t RA = SA::rank, RB = SB::rank;
    std::array<index_t, RA - 2> ba{};
    std::array<index_t, RB - 2> bb{};
    for (std::size_t i = 0; i + 2 < RA; ++i) ba[i] = SA::extents[i];
    for (std::size_t i = 0; i + 2 < RB; ++i) bb[i] = SB::extents[i];
    const auto bo = broadcast_arrays(ba, bb);
    std::array<index_t, bo.size() + 2> r{};
    for (std::size_t i = 0; i < bo.size(); ++i) r[i] = bo[i];
    r[bo.size()] = SA::extents[RA - 2];
    r[bo.size() + 1] = SB::extents[RB - 1];
    return r;
}
}  // namespace detail

// 'tfx::matmul_compatible<tfx::shape<2, 3>, tfx::shape<4, 5> >' evaluates to false: a's last
// extent must equal b's second to last, and the leading (batch) extents must broadcast.
template <class SA, class SB>
inline constexpr bool matmul_compatible = [] {
    if constexpr (SA::rank < 2 || SB::rank < 2)
        return false;
    else {
        constexpr index_t ka = SA::extents[SA::rank - 1], kb = SB::extents[SB::rank - 2];
        if (ka != kb && ka != dyn && kb != dyn) return false;
        std::array<index_t, SA::rank - 2> ba{};
        std::array<index_t, SB::rank - 2> bb{};
        for (std::size_t i = 0; i + 2 < SA::rank; ++i) ba[i] = SA::extents[i];
        for (std::size_t i = 0; i + 2 < SB::rank; ++i) bb[i] = SB::extents[i];
        return arrays_broadcast(ba, bb);
    }
}();

template <class A, class B>
struct matmul_node : expr_base<typename A::value_type,
                               shape_of_array<detail::matmul_extents<typename A::shape_type, typename B::shape_type>()>> {
    using T = typename A::value_type;
    using base = expr_base<T, shape_of_array<detail::matmul_extents<typename A::shape_type, typename B::shape_type>()>>;
    static constexpr std::size_t R = base::rank, RA = A::rank, RB = B::rank;
    static constexpr const char* name = "matmul";
    A a;
    B b;
    matmul_node(A a_, B b_) : a(std::move(a_)), b(std::move(b_)) {}
    auto children() const { return std::tie(a, b); }

    dims_t<R> dims() const { return dims_of(a.dims(), b.dims()); }

    void eval_into(T* out, const dims_t<R>& d, detail::eval_ctx& ctx) const {
        eval_fused(out, d, ctx, kernels::detail::epilogue_ref{});
    }

    // out = a @ b, calling epi(i0, j0, rows, cols) on each finished block (rank-2 results only;
    // batched products call it once per batch with the whole matrix, offset by the batch's rows).
    // The epilogue arrives type-erased: this is compiled once per product, not once per epilogue.
    void eval_fused(T* out, const dims_t<R>& d, detail::eval_ctx& ctx, kernels::detail::epilogue_ref epi) const {
        auto va = operand(a, ctx);
        auto vb = operand(b, ctx);
        const auto ad = va.dims(), bd = vb.dims();
        const std::size_t M = ad[RA - 2], K = ad[RA - 1], N = bd[RB - 1];
        if constexpr (R == 2 && base::shape_type::is_static && A::shape_type::is_static && B::shape_type::is_static) {
            constexpr std::size_t SM = std::size_t(base::shape_type::extents[0]), SN = std::size_t(base::shape_type::extents[1]),
                                  SK = std::size_t(A::shape_type::extents[1]);
            if constexpr (SM <= 16 && SN <= 16 && SK <= 16 && SM > 0 && SN > 0) {
                if (!va.trans && !vb.trans) {
                    kernels::gemm_small<T, SM, SN, SK>(va.data(), vb.data(), out);
                    if (epi.fn) epi.fn(epi.obj, 0, 0, SM, SN);
                    return;
                }
            }
        }
        if constexpr (RB == 2) {
            if (!va.trans) {
                // Every batch of a shares b: one GEMM with the batches stacked as rows.
                const std::size_t rows = dims_size(d) / (N ? N : 1);
                kernels::detail::gemm_erased<T>(rows, N, K, va.ref(), vb.ref(), out, N, epi);
                return;
            }
        }
        // General batched product: batch strides (in matrices) with 0 where an operand broadcasts.
        constexpr std::size_t NB = R - 2;
        std::array<std::size_t, NB + 1> sa{}, sb{};
        {
            std::size_t s = 1;
            for (std::size_t k = RA - 2; k-- > 0;) {
                const std::size_t o = k + (NB - (RA - 2));
                sa[o] = ad[k] == 1 && d[o] != 1 ? 0 : s;
                s *= ad[k];
            }
            s = 1;
            for (std::size_t k = RB - 2; k-- > 0;) {
                const std::size_t o = k + (NB - (RB - 2));
                sb[o] = bd[k] == 1 && d[o] != 1 ? 0 : s;
                s *= bd[k];
            }
        }
        std::size_t batches = 1;
        for (std::size_t k = 0; k < NB; ++k) batches *= d[k];
        std::array<std::size_t, NB + 1> idx{};
        for (std::size_t bi = 0; bi < batches; ++bi) {
            std::size_t oa = 0, ob = 0;
            for (std::size_t k = 0; k < NB; ++k) {
                oa += idx[k] * sa[k];
                ob += idx[k] * sb[k];
            }
            auto ra = va.ref(), rb = vb.ref();
            ra.p += oa * M * K;
            rb.p += ob * K * N;
            const std::size_t row0 = bi * M;
            auto offset = [&](std::size_t i0, std::size_t j0, std::size_t r, std::size_t c) { epi.fn(epi.obj, row0 + i0, j0, r, c); };
            kernels::detail::gemm_erased<T>(M, N, K, ra, rb, out + bi * M * N, N,
                                            epi.fn ? kernels::detail::epilogue_ref::of(offset) : kernels::detail::epilogue_ref{});
            for (std::size_t k = NB; k-- > 0;) {
                if (++idx[k] < d[k]) break;
                idx[k] = 0;
            }
        }
    }

   private:
    template <std::size_t XA, std::size_t XB>
    static dims_t<R> dims_of(const dims_t<XA>& ad, const dims_t<XB>& bd) {
        if (ad[XA - 1] != bd[XB - 2])
            throw shape_error("tfx: matmul: inner extents differ: " + shape_string(ad) + " @ " + shape_string(bd));
        dims_t<XA - 2> ba{};
        dims_t<XB - 2> bb{};
        for (std::size_t i = 0; i + 2 < XA; ++i) ba[i] = ad[i];
        for (std::size_t i = 0; i + 2 < XB; ++i) bb[i] = bd[i];
        const auto bo = broadcast_dims("matmul", ba, bb);
        dims_t<R> r{};
        for (std::size_t i = 0; i < bo.size(); ++i) r[i] = bo[i];
        r[R - 2] = ad[XA - 2];
        r[R - 1] = bd[XB - 1];
        return r;
    }

    // A matrix operand: its storage (a leaf, or a buffer it was computed into) and whether it is
    // read transposed.
    template <class H, std::size_t XR>
    struct mat_operand {
        H h;
        bool trans;
        const T* data() const { return h.data(); }
        dims_t<XR> dims() const {  // logical dims (after the transpose)
            auto pd = h.dims();
            if (trans) std::swap(pd[XR - 2], pd[XR - 1]);
            return pd;
        }
        kernels::matrix_ref<T> ref() const {
            const auto pd = h.dims();
            if (trans) return {data(), 1, std::ptrdiff_t(pd[XR - 1])};
            return {data(), std::ptrdiff_t(pd[XR - 1]), 1};
        }
    };
    template <class X>
    static auto operand(const X& x, detail::eval_ctx& ctx) {
        if constexpr (is_permute<X>::value) {
            if constexpr (X::swaps_last_two) {
                auto h = detail::materialize_if_leafless(x.x, ctx);
                return mat_operand<decltype(h), X::rank>{std::move(h), true};
            } else {
                auto h = detail::materialize_if_leafless(x, ctx);
                return mat_operand<decltype(h), X::rank>{std::move(h), false};
            }
        } else {
            auto h = detail::materialize_if_leafless(x, ctx);
            return mat_operand<decltype(h), X::rank>{std::move(h), false};
        }
    }
};

template <class E>
struct is_matmul : std::false_type {};
template <class A, class B>
struct is_matmul<matmul_node<A, B>> : std::true_type {};

template <expression A, expression B>
auto matmul(A&& a, B&& b) {
    using NA = node_t<A>;
    using NB = node_t<B>;
    static_assert(NA::rank >= 2 && NB::rank >= 2, "tfx: matmul: both operands need rank >= 2 (shapes below)");
    static_assert(std::is_same_v<typename NA::value_type, typename NB::value_type>,
                  "tfx: matmul: operands have different element types; convert one with cast<T>");
    static_assert(simd_type<typename NA::value_type>, "tfx: matmul supports float and double");
    static_assert(matmul_compatible<typename NA::shape_type, typename NB::shape_type>,
                  "tfx: matmul: a's last extent must equal b's second to last and batch extents must broadcast (shapes below)");
    return matmul_node<NA, NB>(as_node(std::forward<A>(a)), as_node(std::forward<B>(b)));
}

namespace detail {

// How many matmul nodes an elementwise tree reads directly (through elementwise nodes only).
template <class E>
constexpr std::size_t direct_matmuls() {
    if constexpr (is_matmul<E>::value)
        return 1;
    else if constexpr (!is_map<E>::value)
        return 0;
    else
        return []<class... C>(std::type_identity<std::tuple<C...>>) {
            return (direct_matmuls<std::remove_cvref_t<C>>() + ... + 0);
        }(std::type_identity<decltype(std::declval<const E&>().children())>{});
}

template <class E>
const void* find_matmul(const E& e) {
    if constexpr (is_matmul<E>::value)
        return &e;
    else if constexpr (is_map<E>::value) {
        const void* r = nullptr;
        std::apply([&](const auto&... c) { ((r = r ? r : find_matmul(c)), ...); }, e.children());
        return r;
    } else
        return nullptr;
}
template <class E, class F>
void with_matmul(const E& e, F&& f) {
    if constexpr (is_matmul<E>::value)
        f(e);
    else if constexpr (is_map<E>::value)
        std::apply([&](const auto&... c) { (with_matmul(c, f), ...); }, e.children());
}

// How many nodes of type N the tree of E holds (E included).
template <class N, class E>
constexpr std::size_t nodes_of_type() {
    if constexpr (!requires(const E& e) { e.children(); })
        return std::size_t(std::is_same_v<N, E>);
    else
        return std::size_t(std::is_same_v<N, E>) + []<class... C>(std::type_identity<std::tuple<C...>>) {
            return (nodes_of_type<N, std::remove_cvref_t<C>>() + ... + std::size_t(0));
        }(std::type_identity<decltype(std::declval<const E&>().children())>{});
}

// The rest of a fused map, applied to each finished block of the product in out (and the block
// copied to keep, when the product is kept): its loop form's rows over the block's columns. A class
// of the element type and the loop form only, so maps of the same loop form share it.
template <class T, class Ev>
struct fused_epilogue {
    Ev& ev;
    T* out;
    T* keep;
    std::size_t N;
    bool use_simd;
    void operator()(std::size_t i0, std::size_t j0, std::size_t rows, std::size_t cols) const {
        auto walk = [&](auto& e, std::size_t from, std::size_t to) TFX_NOINLINE {
            for (std::size_t i = from; i < to; ++i) {
                if (keep) std::copy_n(out + i * N + j0, cols, keep + i * N + j0);
                e.seek(dims_t<2>{i, 0});
                kernels::row(out + i * N, j0 + cols, e, use_simd, j0);
            }
        };
        // After a GEMM split over threads the epilogue gets the whole of C at once: its rows are
        // split too, each range walked by a copy of the evaluator.
        if constexpr (std::is_copy_constructible_v<Ev> && sizeof(Ev) <= kernels::detail::parallel_evaluator_bytes) {
            const std::size_t tasks = std::min(rows, kernels::detail::elementwise_tasks(rows * cols));
            if (tasks > 1) {
                tfx::detail::parallel_for(tasks, [&](std::size_t t) {
                    Ev local = ev;
                    walk(local, i0 + rows * t / tasks, i0 + rows * (t + 1) / tasks);
                });
                return;
            }
        }
        walk(ev, i0, i0 + rows);
    }
};

// An elementwise map over one or more matmuls: one product of the output's shape is written by
// the GEMM into the output, and the map's other operands are applied to each finished tile there.
// The first such product that is not already known is taken (a map that reads a product twice is
// left unfused: its other read would not find the product). Under a tfx::function the product is
// also copied, tile by tile while it is in L1, into its own buffer and remembered, unless the
// plan's first call showed that nothing reads it again (workspace::product_unread). Either way
// the buffer is requested, so every call takes the same workspace slots.
template <class Op, class... A>
struct fusion<map<Op, A...>> : std::bool_constant<(direct_matmuls<map<Op, A...>>() >= 1)> {
    using X = map<Op, A...>;
    using T = typename X::value_type;
    static bool try_fused(const X& x, T* out, const dims_t<X::rank>& d, eval_ctx& outer) {
        if constexpr (X::rank != 2 || !simd_type<T>) {
            return false;
        } else {
            bool done = false;
            with_matmul(x, [&](const auto& mm) {
                using MM = std::remove_cvref_t<decltype(mm)>;
                if constexpr (MM::rank == 2 && std::is_same_v<typename MM::value_type, T> && nodes_of_type<MM, X>() == 1) {
                    if (done) return;
                    if (mm.dims() != d) return;  // the product is broadcast: not one block per block
                    // The GEMM stores into out before the epilogue reads the other operands.
                    if (references(x, out)) return;
                    T* keep = nullptr;  // where the product is stored for later reads, if it is
                    if (outer.persistent) {
                        if (outer.ws->known(mm)) return;  // computed already: the map reads it
                        keep = outer.ws->template get<T>(dims_size(d));
                        if (outer.ws->product_unread(workspace::type_key<MM>()))
                            keep = nullptr;
                        else
                            outer.ws->kept_product(workspace::type_key<MM>());
                    }
                    eval_ctx ctx{&mm, out, outer.ws, outer.persistent};
                    evaluator<X, 2> ev(x, ctx);  // other kernel operands are computed here, before the GEMM
                    with_loop_form(ev, d, [&](auto& lf) {
                        fused_epilogue<T, std::remove_cvref_t<decltype(lf)>> epi{lf, out, keep, d[1], lf.simd_valid()};
                        mm.eval_fused(out, d, ctx, kernels::detail::epilogue_ref::of(epi));
                    });
                    if (outer.persistent) {
                        outer.ws->fused();
                        if (keep)
                            outer.ws->remember(mm, static_cast<const T*>(keep));
                        else
                            outer.ws->computed_unkept();
                    }
                    done = true;
                }
            });
            return done;
        }
    }
};

}  // namespace detail

}  // namespace tfx
