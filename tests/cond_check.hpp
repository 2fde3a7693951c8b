// Shared by test_control_cond.cpp, test_control_cond_grad.cpp and test_control_cond_vjp.cpp (one file
// split in three to keep each TU's compile time down): a kernel node that counts its evaluations,
// and helpers.
#pragma once
#include "test_autodiff_check.hpp"

#include <stdexcept>

namespace condtest {

using adtest::check_grad;
using adtest::rng;
using tfx::dyn;
using tfx::tensor;

template <class Tn>
Tn uniform(rng& r, double lo = -1, double hi = 1) {
    Tn t;
    adtest::fill_uniform(t, r, lo, hi);
    return t;
}

inline bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// A [3] expression over a tensor that counts how often its kernel runs (a node of the test's own:
// expr_base, children, dims and eval_into are all a kernel node needs).
struct counted : tfx::expr_base<double, tfx::shape<3>> {
    static constexpr const char* name = "counted";
    tfx::tref<tensor<double, 3>> x;
    int* count;
    counted(const tensor<double, 3>& t, int* c) : x(t), count(c) {}
    auto children() const { return std::tie(x); }
    tfx::dims_t<1> dims() const { return x.dims(); }
    void eval_into(double* out, const tfx::dims_t<1>& d, tfx::detail::eval_ctx& ctx) const {
        ++*count;
        tfx::detail::eval_block(x, out, d, ctx);
    }
};

// Indices out of range for a [3] tensor: gather<0>(a, bad_index) throws tfx::value_error when (and
// only when) it is evaluated, so a branch made of it must never be evaluated unless taken.
inline const tensor<std::int64_t, 3> bad_index{0, 1, 99};

}  // namespace condtest
