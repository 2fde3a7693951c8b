#pragma once
// Weight initializers (Keras's defaults and formulas). An initializer fills a tensor in place from
// an explicit generator, given the fans of the layer: fan_in and fan_out as Keras computes them
// (dense: in and out features; conv: kernel area times input and output channels).
#include <cmath>

#include "../tfx.hpp"

namespace tfx::initializers {

struct zeros {
    template <class T, index_t... E>
    void operator()(tensor<T, E...>& t, random::generator&, double, double) const {
        t.fill(T(0));
    }
};
struct ones {
    template <class T, index_t... E>
    void operator()(tensor<T, E...>& t, random::generator&, double, double) const {
        t.fill(T(1));
    }
};
struct constant {
    double value = 0;
    template <class T, index_t... E>
    void operator()(tensor<T, E...>& t, random::generator&, double, double) const {
        t.fill(T(value));
    }
};
// U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)). The default of dense and conv2d kernels.
struct glorot_uniform {
    template <class T, index_t... E>
    void operator()(tensor<T, E...>& t, random::generator& gen, double fan_in, double fan_out) const {
        const double limit = std::sqrt(6.0 / (fan_in + fan_out));
        for (auto& v : t) v = T(-limit + 2 * limit * gen.uniform01());
    }
};
// Truncated normal (cut at two standard deviations) with stddev sqrt(2 / fan_in) / .87962566, as Keras.
struct he_normal {
    template <class T, index_t... E>
    void operator()(tensor<T, E...>& t, random::generator& gen, double fan_in, double) const {
        const double stddev = std::sqrt(2.0 / fan_in) / 0.87962566103423978;
        for (auto& v : t) {
            double z;
            do z = gen.standard_normal();
            while (std::abs(z) > 2.0);
            v = T(stddev * z);
        }
    }
};
// U(-0.05, 0.05): Keras's default for embeddings.
struct random_uniform {
    double minval = -0.05, maxval = 0.05;
    template <class T, index_t... E>
    void operator()(tensor<T, E...>& t, random::generator& gen, double, double) const {
        for (auto& v : t) v = T(minval + (maxval - minval) * gen.uniform01());
    }
};

}  // namespace tfx::initializers

namespace tfx::initializers {
// A random orthogonal matrix (rows orthonormal when rows <= columns, columns otherwise), from a
// normal matrix by Gram-Schmidt, as Keras's Orthogonal (gain 1). The default of recurrent kernels.
struct orthogonal {
    template <class T, index_t R, index_t C>
    void operator()(tensor<T, R, C>& t, random::generator& gen, double, double) const {
        const std::size_t rows = t.shape()[0], cols = t.shape()[1];
        const bool by_rows = rows <= cols;
        const std::size_t n = by_rows ? rows : cols, len = by_rows ? cols : rows;
        std::vector<double> q(n * len);
        for (auto& v : q) v = gen.standard_normal();
        for (std::size_t i = 0; i < n; ++i) {
            double* qi = q.data() + i * len;
            for (std::size_t j = 0; j < i; ++j) {
                const double* qj = q.data() + j * len;
                double d = 0;
                for (std::size_t k = 0; k < len; ++k) d += qi[k] * qj[k];
                for (std::size_t k = 0; k < len; ++k) qi[k] -= d * qj[k];
            }
            double norm = 0;
            for (std::size_t k = 0; k < len; ++k) norm += qi[k] * qi[k];
            norm = std::sqrt(norm);
            for (std::size_t k = 0; k < len; ++k) qi[k] /= norm;
        }
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t c = 0; c < cols; ++c) t.data()[r * cols + c] = T(by_rows ? q[r * len + c] : q[c * len + r]);
    }
};
}  // namespace tfx::initializers
