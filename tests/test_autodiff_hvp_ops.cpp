// A Hessian-vector product through slice, concat, max, prod and softmax, against finite differences
// of the gradient (check_hvp in test_autodiff_check.hpp). Apart from test_autodiff_hvp.cpp because its
// derivative graphs alone take ~25 s to compile.
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_hvp;
using adtest::rng;
using tfx::tensor;

template <class Tn>
Tn uniform(rng& r, double lo = -1, double hi = 1) {
    Tn t;
    adtest::fill_uniform(t, r, lo, hi);
    return t;
}

}  // namespace

TEST_CASE("Hessian-vector products through slice, concat, max, prod and softmax match finite differences", "[autodiff]") {
    rng r(1103);
    tensor<double, 3, 4> w;
    adtest::fill_distinct(w, r);  // no ties for max
    const auto v = uniform<tensor<double, 3, 4>>(r);
    const auto c = uniform<tensor<double, 4>>(r);
    const std::string m = check_hvp(
        [](auto w, auto c) {
            auto parts = concat<0>(slice<0>(w, 1, 2), exp(w) * c);  // [5,4]
            return sum(softmax<1>(parts) * c) + max(w) * sum(w) + sum(prod<1>(w + 2.0));
        },
        w, v, c);
    INFO(m);
    CHECK(m.empty());
}
