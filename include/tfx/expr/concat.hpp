#pragma once
// concat<Axis>(a, b, ...): operands joined along one axis; the other extents must agree.
#include "../eval/materialize.hpp"

namespace tfx {

namespace detail {
template <std::size_t Ax, class S0, class... S>
constexpr auto concat_extents() {
    auto r = S0::extents;
    index_t total = S0::extents[Ax];
    ((total = (total == dyn || S::extents[Ax] == dyn) ? dyn : total + S::extents[Ax]), ...);
    r[Ax] = total;
    for (std::size_t k = 0; k < S0::rank; ++k)
        if (k != Ax && r[k] == dyn) ((r[k] = S::extents[k] != dyn ? S::extents[k] : r[k]), ...);
    return r;
}
}  // namespace detail

// 'tfx::concat_compatible<0, tfx::shape<2, 3>, tfx::shape<2, 4> >' evaluates to false.
template <int Axis, class S0, class... S>
inline constexpr bool concat_compatible = [] {
    if constexpr (!((S::rank == S0::rank) && ...) || !axis_in_range<S0::rank>(Axis))
        return false;
    else {
        constexpr std::size_t ax = normalize_axis<S0::rank>(Axis);
        for (std::size_t k = 0; k < S0::rank; ++k) {
            if (k == ax) continue;
            bool ok = ((S::extents[k] == S0::extents[k] || S::extents[k] == dyn || S0::extents[k] == dyn) && ...);
            if (!ok) return false;
        }
        return true;
    }
}();

template <int Axis, class... X>
struct concat_node
    : expr_base<typename std::tuple_element_t<0, std::tuple<X...>>::value_type,
                shape_of_array<detail::concat_extents<normalize_axis<std::tuple_element_t<0, std::tuple<X...>>::rank>(Axis),
                                                      typename X::shape_type...>()>> {
    using X0 = std::tuple_element_t<0, std::tuple<X...>>;
    using T = typename X0::value_type;
    static constexpr std::size_t R = X0::rank, ax = normalize_axis<R>(Axis);
    static constexpr const char* name = "concat";
    std::tuple<X...> xs;
    explicit concat_node(X... x) : xs(std::move(x)...) {}
    auto children() const {
        return std::apply([](const auto&... a) { return std::tie(a...); }, xs);
    }
    dims_t<R> dims() const {
        return std::apply([](const auto&... a) { return join(std::array<dims_t<R>, sizeof...(X)>{a.dims()...}); }, xs);
    }
    void eval_into(T* out, const dims_t<R>& d, detail::eval_ctx& ctx) const {
        std::size_t outer = 1, inner = 1;
        for (std::size_t k = 0; k < ax; ++k) outer *= d[k];
        for (std::size_t k = ax + 1; k < R; ++k) inner *= d[k];
        std::size_t col = 0;  // where this operand starts along the axis
        std::apply(
            [&](const auto&... a) {
                (
                    [&] {
                        const auto m = detail::materialize_if_leafless(a, ctx);
                        const std::size_t len = m.dims()[ax] * inner;
                        const T* src = m.data();
                        for (std::size_t o = 0; o < outer; ++o)
                            std::copy(src + o * len, src + (o + 1) * len, out + o * d[ax] * inner + col * inner);
                        col += m.dims()[ax];
                    }(),
                    ...);
            },
            xs);
    }

   private:
    static dims_t<R> join(const std::array<dims_t<R>, sizeof...(X)>& ds) {
        dims_t<R> r = ds[0];
        r[ax] = 0;
        for (const auto& d : ds) {
            for (std::size_t k = 0; k < R; ++k)
                if (k != ax && d[k] != ds[0][k])
                    throw shape_error("tfx: concat: shapes " + shape_string(ds[0]) + " and " + shape_string(d) +
                                      " differ outside axis " + std::to_string(ax));
            r[ax] += d[ax];
        }
        return r;
    }
};

template <int Axis = 0, expression... X>
    requires(sizeof...(X) >= 1)
auto concat(X&&... x) {
    static_assert(concat_compatible<Axis, typename node_t<X>::shape_type...>,
                  "tfx: concat: operands must have equal ranks and equal extents outside the axis (axis and shapes below)");
    static_assert(same_element_types<typename node_t<X>::value_type...>, "tfx: concat: operands have different element types (types below)");
    return concat_node<Axis, node_t<X>...>(as_node(std::forward<X>(x))...);
}

}  // namespace tfx
