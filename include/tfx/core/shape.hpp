#pragma once
// Static shapes (a list of extents known to the compiler, dyn where the extent is only known at run
// time) and the shape algebra on them: broadcasting, axis normalisation, sizes. Run-time shapes are
// std::array<std::size_t, rank>.
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "config.hpp"
#include "errors.hpp"
#include "inline.hpp"

namespace tfx {

template <index_t... E>
struct shape {
    static constexpr std::size_t rank = sizeof...(E);
    static constexpr std::array<index_t, rank> extents{E...};
    static constexpr bool is_static = ((E != dyn) && ...);
    static constexpr std::size_t n_dyn = (std::size_t(E == dyn) + ... + 0);
    static constexpr std::size_t static_size = is_static ? (std::size_t(1) * ... * std::size_t(E)) : 0;
};

template <std::size_t R>
using dims_t = std::array<std::size_t, R>;

namespace detail {
template <auto A, class = std::make_index_sequence<A.size()>>
struct to_shape_impl;
template <auto A, std::size_t... I>
struct to_shape_impl<A, std::index_sequence<I...>> {
    using type = shape<A[I]...>;
};
}  // namespace detail

// The shape type whose extents are the constexpr array A.
template <auto A>
using shape_of_array = typename detail::to_shape_impl<A>::type;

// ---- broadcasting (NumPy rules; a dynamic extent is compatible with anything, checked at run time)

constexpr bool extents_broadcast(index_t a, index_t b) {
    return a == b || a == 1 || b == 1 || a == dyn || b == dyn;
}
constexpr index_t broadcast_extent(index_t a, index_t b) {
    if (a == b) return a;
    if (a == 1) return b;
    if (b == 1) return a;
    if (a == dyn) return b;  // the static one wins: the run-time one must be 1 or equal
    return a;                // b == dyn
}

template <std::size_t RA, std::size_t RB>
constexpr bool arrays_broadcast(const std::array<index_t, RA>& a, const std::array<index_t, RB>& b) {
    constexpr std::size_t R = RA > RB ? RA : RB;
    for (std::size_t i = 0; i < R; ++i) {
        index_t ea = i < RA ? a[RA - 1 - i] : 1, eb = i < RB ? b[RB - 1 - i] : 1;
        if (!extents_broadcast(ea, eb)) return false;
    }
    return true;
}
template <std::size_t RA, std::size_t RB>
constexpr auto broadcast_arrays(const std::array<index_t, RA>& a, const std::array<index_t, RB>& b) {
    constexpr std::size_t R = RA > RB ? RA : RB;
    std::array<index_t, R> r{};
    for (std::size_t i = 0; i < R; ++i) {
        index_t ea = i < RA ? a[RA - 1 - i] : 1, eb = i < RB ? b[RB - 1 - i] : 1;
        r[R - 1 - i] = broadcast_extent(ea, eb);
    }
    return r;
}

// True when the static shapes A and B broadcast under op Op. Named so that a failing
// static_assert shows the op and both shapes: 'tfx::broadcastable<tfx::ops::add, tfx::shape<2, 3>,
// tfx::shape<4> >' evaluates to false.
template <class Op, class A, class B>
inline constexpr bool broadcastable = arrays_broadcast(A::extents, B::extents);

template <class A, class B>
using broadcast_shape = shape_of_array<broadcast_arrays(A::extents, B::extents)>;

template <class... S>
struct broadcast_all;
template <class S>
struct broadcast_all<S> {
    using type = S;
};
template <class S0, class S1, class... S>
struct broadcast_all<S0, S1, S...> {
    using type = typename broadcast_all<broadcast_shape<S0, S1>, S...>::type;
};
template <class... S>
using broadcast_shapes = typename broadcast_all<S...>::type;

// Run-time broadcast of two shapes; throws shape_error naming the op and both shapes.
template <std::size_t RA, std::size_t RB>
[[noreturn, gnu::cold, gnu::noinline]] void throw_broadcast(const char* op, const dims_t<RA>& a, const dims_t<RB>& b) {
    throw shape_error(std::string("tfx: ") + op + ": cannot broadcast shapes " + shape_string(a) + " and " +
                      shape_string(b));
}
template <std::size_t RA, std::size_t RB>
inline dims_t<(RA > RB ? RA : RB)> broadcast_dims(const char* op, const dims_t<RA>& a, const dims_t<RB>& b) {
    constexpr std::size_t R = RA > RB ? RA : RB;
    dims_t<R> r{};
    for (std::size_t i = 0; i < R; ++i) {
        std::size_t ea = i < RA ? a[RA - 1 - i] : 1, eb = i < RB ? b[RB - 1 - i] : 1;
        if (ea != eb && ea != 1 && eb != 1) throw_broadcast(op, a, b);
        r[R - 1 - i] = ea == 1 ? eb : ea;
    }
    return r;
}

// Does the run-time shape d fit the static extents of S?
template <class S>
bool dims_fit(const dims_t<S::rank>& d) {
    for (std::size_t i = 0; i < S::rank; ++i)
        if (S::extents[i] != dyn && std::size_t(S::extents[i]) != d[i]) return false;
    return true;
}

// "[?, 3]" for static extents (dyn as "?").
std::string extents_string(std::span<const index_t> e);
template <class S>
std::string shape_string_static() {
    return extents_string(S::extents);
}

// shape_error "<head>[2, 3]<middle>[?, 4]": a run-time shape against static extents.
[[noreturn, gnu::cold]] void throw_shape_mismatch(std::string_view head, std::span<const std::size_t> d,
                                                   std::string_view middle, std::span<const index_t> extents);
// shape_error "tfx: <what>: shape [..] does not fit tensor shape [..]".
[[noreturn, gnu::cold]] void throw_not_fit(const char* what, std::span<const std::size_t> d,
                                            std::span<const index_t> extents);

template <std::size_t R>
constexpr std::size_t dims_size(const dims_t<R>& d) {
    std::size_t n = 1;
    for (auto v : d) n *= v;
    return n;
}

// ---- axes: negative axes count from the end

template <std::size_t R>
constexpr bool axis_in_range(int axis) {
    return axis >= -int(R) && axis < int(R);
}
template <std::size_t R>
constexpr std::size_t normalize_axis(int axis) {
    return std::size_t(axis < 0 ? axis + int(R) : axis);
}

// 'tfx::axis_valid<tfx::shape<2, 3>, 2>' evaluates to false: the axis and the shape in one line.
template <class S, int Axis>
inline constexpr bool axis_valid = axis_in_range<S::rank>(Axis);

}  // namespace tfx

#ifndef TFX_COMPILED_LIB
#include "impl/shape.ipp"
#endif
