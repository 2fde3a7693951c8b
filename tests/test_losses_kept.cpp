// The sparse cross-entropy's gradient kernel, under a tfx::function, scales the terms exp(z - max)
// and the sums its loss kernel kept (nn/losses.hpp) instead of computing them again: the same
// values to the bit as the eager gradient, which keeps nothing. A file of its own for the compiler
// (test_losses_grad.cpp is near the per-file budget).
#include <tfx/nn/losses.hpp>
#include <tfx/tfx.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>

namespace {

using tfx::dyn;
using tfx::tensor;
namespace losses = tfx::losses;

}  // namespace

TEST_CASE("the sparse cross-entropy gradient scales the exps its loss kernel kept, to the same values",
          "[losses][autodiff]") {
    tensor<float, dyn, 10> z(6);
    for (std::size_t i = 0; i < z.size(); ++i) z.data()[i] = 3.f * std::sin(0.37f * float(i));
    tensor<std::int64_t, dyn> y{0, 9, 3, 3, 7, 1};
    const losses::sparse_categorical_crossentropy loss{.from_logits = true};

    // Eagerly nothing is kept: the gradient computes each row's max and exps again.
    const auto [l_eager, dz_eager] = tfx::gradient(loss(y, z), z);

    // Under a tfx::function the gradient reads the terms and sums the loss kernel kept (one kernel
    // result reused per call; none before), and its values are the same to the bit: the same
    // operations on the same terms.
    auto vg = tfx::value_and_grad([&](auto z, auto y) { return loss(y, z); });
    for (std::size_t call = 1; call <= 3; ++call) {
        INFO("call " << call);
        const auto& [l, dz] = vg(z, y);
        CHECK(l() == l_eager());
        for (std::size_t i = 0; i < dz.size(); ++i) CHECK(dz.data()[i] == dz_eager.data()[i]);
        CHECK(vg.stats().kernels_reused == call);
    }

    // A loss without a gradient stops keeping them after its first call; its value is the same.
    auto f = tfx::function([&](auto z, auto y) { return loss(y, z); });
    for (std::size_t call = 1; call <= 2; ++call) CHECK(f(z, y)() == l_eager());

    // A label out of range is reported before anything is kept: the next call is still right.
    tensor<std::int64_t, dyn> bad{0, 10, 3, 3, 7, 1};
    CHECK_THROWS_AS(vg(z, bad), tfx::value_error);
    const auto& [l2, dz2] = vg(z, y);
    CHECK(l2() == l_eager());
    CHECK(dz2.data()[13] == dz_eager.data()[13]);
}
