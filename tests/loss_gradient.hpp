#pragma once
// Shared by tests/test_losses_grad.cpp, tests/test_numerics_stability.cpp and tests/test_numerics_xent.cpp:
//   gradient_of(loss, y, x) -> {loss(y, x), d loss(y, x) / dx}, by value_and_grad.
// The closure type depends on (L, Y, X) only, so every use with those types shares one
// instantiation (the options are run-time values).
// losstest::eps<T> and losstest::count_non_finite(t), for the stability checks of the numerics files.
#include <tfx/tfx.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>

namespace losstest {

template <class T>
constexpr double eps = std::numeric_limits<T>::epsilon();

template <class Tn>
std::size_t count_non_finite(const Tn& t) {
    std::size_t n = 0;
    for (auto v : t) n += !std::isfinite(v);
    return n;
}

}  // namespace losstest

template <class L, class Y, class X>
std::pair<double, X> gradient_of(const L& loss, const Y& y, const X& x) {
    auto vg = tfx::value_and_grad<1>([loss](auto yy, auto xx) { return loss(yy, xx); });
    const auto& [l, g] = vg(y, x);
    return {double(l()), X(g)};
}
