#pragma once
// Shared by the tests/test_model*.cpp files and tests/mpi/test_mpi*.cpp: a small classification problem.
//   make_blobs(n, seed): n points in 4-D, three classes, one Gaussian blob per class (class c is
//   centred at 2 on axis c); an MLP learns it in a few epochs.
#include <tfx/tfx.hpp>

#include <cstdint>

struct blobs {
    tfx::tensor<float, tfx::dyn, 4> x;
    tfx::tensor<std::int64_t, tfx::dyn> y;
};

inline blobs make_blobs(std::size_t n, std::uint64_t seed) {
    tfx::random::generator g{seed};
    blobs b{tfx::tensor<float, tfx::dyn, 4>(n), tfx::tensor<std::int64_t, tfx::dyn>(n)};
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = std::int64_t(g.below(3));
        b.y(i) = c;
        for (std::size_t j = 0; j < 4; ++j) b.x(i, j) = float((j == std::size_t(c) ? 2.0 : 0.0) + 0.5 * g.standard_normal());
    }
    return b;
}
