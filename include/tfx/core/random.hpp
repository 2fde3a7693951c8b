#pragma once
// Explicit random generators (no global seed): random::generator{42} is xoshiro256** seeded through
// splitmix64, so a seed gives the same numbers on every platform and compiler (the standard
// library's distributions do not). normal, uniform and truncated_normal fill new tensors.
#include <cmath>
#include <cstdint>
#include <numbers>

#include "tensor.hpp"

namespace tfx::random {

class generator {
   public:
    explicit generator(std::uint64_t seed = 0) { reseed(seed); }
    void reseed(std::uint64_t seed) {
        for (auto& w : s_) w = splitmix(seed);
        has_spare_ = false;
    }
    std::uint64_t next_u64() {
        const std::uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return r;
    }
    // Uniform in [0, 1) with 53 random bits.
    double uniform01() { return double(next_u64() >> 11) * 0x1.0p-53; }
    // Standard normal (Box-Muller; the second value is kept for the next call).
    double standard_normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u1;
        do u1 = uniform01();
        while (u1 <= 0.0);
        const double u2 = uniform01(), r = std::sqrt(-2.0 * std::log(u1)), a = 2.0 * std::numbers::pi * u2;
        spare_ = r * std::sin(a);
        has_spare_ = true;
        return r * std::cos(a);
    }
    // Uniform integer in [0, n), without modulo bias.
    std::uint64_t below(std::uint64_t n) {
        if (n == 0) return 0;
        const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % n);
        std::uint64_t v;
        do v = next_u64();
        while (v >= limit);
        return v % n;
    }

   private:
    std::uint64_t s_[4];
    double spare_ = 0;
    bool has_spare_ = false;
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static std::uint64_t splitmix(std::uint64_t& x) {
        std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
};

namespace detail {
template <class T, index_t... E, class F, std::integral... N>
tensor<T, E...> filled(F&& draw, N... n) {
    static_assert(std::is_floating_point_v<T>, "tfx: random tensors need a floating-point element type");
    tensor<T, E...> t(n...);
    for (auto& v : t) v = static_cast<T>(draw());
    return t;
}
}  // namespace detail

// normal<float, 64, 128>(gen, mean, stddev); dynamic extents follow: normal<float, dyn, 8>(gen, 0, 1, n).
template <class T, index_t... E, std::integral... N>
    requires(sizeof...(N) == shape<E...>::n_dyn)
tensor<T, E...> normal(generator& gen, double mean = 0.0, double stddev = 1.0, N... n) {
    return detail::filled<T, E...>([&] { return mean + stddev * gen.standard_normal(); }, n...);
}

// Uniform in [minval, maxval).
template <class T, index_t... E, std::integral... N>
    requires(sizeof...(N) == shape<E...>::n_dyn)
tensor<T, E...> uniform(generator& gen, double minval = 0.0, double maxval = 1.0, N... n) {
    if (!(minval < maxval))
        throw value_error("tfx: random::uniform: minval " + std::to_string(minval) + " must be below maxval " +
                          std::to_string(maxval));
    return detail::filled<T, E...>([&] { return minval + (maxval - minval) * gen.uniform01(); }, n...);
}

// Normal values more than two standard deviations from the mean are drawn again (as TensorFlow's
// truncated_normal).
template <class T, index_t... E, std::integral... N>
    requires(sizeof...(N) == shape<E...>::n_dyn)
tensor<T, E...> truncated_normal(generator& gen, double mean = 0.0, double stddev = 1.0, N... n) {
    return detail::filled<T, E...>(
        [&] {
            double z;
            do z = gen.standard_normal();
            while (std::abs(z) > 2.0);
            return mean + stddev * z;
        },
        n...);
}

}  // namespace tfx::random
