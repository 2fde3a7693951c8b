#pragma once
// Shared by tests/test_losses_grad.cpp, tests/test_numerics_stability.cpp and tests/test_numerics_xent.cpp:
//   gradient_of(loss, y, x) -> {loss(y, x), d loss(y, x) / dx}, by value_and_grad.
// The closure type depends on (L, Y, X) only, so every use with those types shares one
// instantiation (the options are run-time values).
#include <tfx/tfx.hpp>

#include <utility>

template <class L, class Y, class X>
std::pair<double, X> gradient_of(const L& loss, const Y& y, const X& x) {
    auto vg = tfx::value_and_grad<1>([loss](auto yy, auto xx) { return loss(yy, xx); });
    const auto& [l, g] = vg(y, x);
    return {double(l()), X(g)};
}
