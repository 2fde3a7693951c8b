#include <tfx/kernels/gemm.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace {

using tfx::kernels::gemm;
using tfx::kernels::gemm_small;
using tfx::kernels::matrix_ref;

// A dense m x k operand stored row-major or column-major, seen through a matrix_ref.
template <class T>
struct operand {
    std::vector<T> data;
    matrix_ref<T> ref;
};

template <class T>
operand<T> random_matrix(std::size_t rows, std::size_t cols, bool transposed, std::mt19937& rng,
                         std::size_t pad = 0) {
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    operand<T> o;
    // Column-major storage is the transpose of a row-major one: swap the strides.
    const std::size_t ld = (transposed ? rows : cols) + pad;
    o.data.resize(ld * (transposed ? cols : rows));  // exact size: an over-read shows under ASan
    for (auto& x : o.data) x = T(dist(rng));
    if (transposed) {
        o.ref = {o.data.data(), 1, std::ptrdiff_t(ld)};
    } else {
        o.ref = {o.data.data(), std::ptrdiff_t(ld), 1};
    }
    return o;
}

template <class T>
T at(matrix_ref<T> r, std::size_t i, std::size_t j) {
    return r.p[std::ptrdiff_t(i) * r.rs + std::ptrdiff_t(j) * r.cs];
}

// The reference: a naive triple loop accumulated in double.
template <class T>
std::vector<double> naive(std::size_t m, std::size_t n, std::size_t k, matrix_ref<T> a,
                          matrix_ref<T> b) {
    std::vector<double> c(m * n, 0.0);
    for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            double s = 0;
            for (std::size_t p = 0; p < k; ++p) s += double(at(a, i, p)) * double(at(b, p, j));
            c[i * n + j] = s;
        }
    }
    return c;
}

// The rounding error of a dot product grows with its depth k; with inputs in [-1, 1] it stays
// within a few k * eps.
template <class T>
double tolerance(std::size_t k) {
    return 4.0 * double(std::numeric_limits<T>::epsilon()) * double(k + 1);
}

// Runs gemm with C of leading dimension ldc = n + pad, checks the product and that the padding
// columns were left alone.
template <class T>
void check_gemm(std::size_t m, std::size_t n, std::size_t k, bool ta, bool tb, std::size_t pad,
                std::mt19937& rng) {
    CAPTURE(m, n, k, ta, tb, pad);
    const auto a = random_matrix<T>(m, k, ta, rng, pad);
    const auto b = random_matrix<T>(k, n, tb, rng, pad);
    const std::size_t ldc = n + pad;
    const T sentinel = T(12345);
    std::vector<T> c(m * ldc + 1, sentinel);
    gemm<T>(m, n, k, a.ref, b.ref, c.data(), ldc);
    const auto ref = naive(m, n, k, a.ref, b.ref);
    const double tol = tolerance<T>(k);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            if (!(std::abs(double(c[i * ldc + j]) - ref[i * n + j]) <= tol)) ++bad;
        }
        for (std::size_t j = n; j < ldc; ++j) {
            if (c[i * ldc + j] != sentinel) ++bad;
        }
    }
    CHECK(bad == 0);
}

template <class T>
void random_sizes(bool ta, bool tb, unsigned seed) {
    std::mt19937 rng(seed);
    // Fixed edge cases first: empty depth, unit sizes, primes, sizes around the register and cache
    // blocks (MR = 6, NR = 64 floats / 32 doubles, KC ~ 512 on AVX-512).
    const std::size_t fixed[][3] = {{1, 1, 1},   {1, 1, 0},    {7, 5, 0},    {1, 300, 1},
                                    {300, 1, 1}, {6, 64, 1},   {7, 65, 2},   {5, 63, 3},
                                    {13, 17, 19}, {97, 101, 103}, {6, 32, 513}, {31, 67, 600}};
    for (const auto& s : fixed) check_gemm<T>(s[0], s[1], s[2], ta, tb, 0, rng);
    std::uniform_int_distribution<std::size_t> size(1, 300);
    for (int trial = 0; trial < 12; ++trial) {
        check_gemm<T>(size(rng), size(rng), size(rng), ta, tb, 0, rng);
    }
}

}  // namespace

TEST_CASE("gemm of row-major operands matches the naive product", "[gemm]") {
    random_sizes<float>(false, false, 1);
    random_sizes<double>(false, false, 2);
}

TEST_CASE("gemm with transposed A matches the naive product", "[gemm]") {
    random_sizes<float>(true, false, 3);
    random_sizes<double>(true, false, 4);
}

TEST_CASE("gemm with transposed B matches the naive product", "[gemm]") {
    random_sizes<float>(false, true, 5);
    random_sizes<double>(false, true, 6);
}

TEST_CASE("gemm with both operands transposed matches the naive product", "[gemm]") {
    random_sizes<float>(true, true, 7);
    random_sizes<double>(true, true, 8);
}

TEST_CASE("gemm matches the naive product on every edge-row count and ragged column width", "[gemm]") {
    std::mt19937 rng(15);
    for (bool ta : {false, true}) {
        for (bool tb : {false, true}) {
            for (std::size_t m = 1; m <= 13; ++m) {
                for (std::size_t n : {1, 10, 15, 16, 17, 33, 48, 64, 65, 100, 128, 130}) {
                    for (std::size_t k : {1, 7, 10, 23, 64}) check_gemm<float>(m, n, k, ta, tb, 0, rng);
                }
            }
            check_gemm<double>(11, 37, 9, ta, tb, 0, rng);
            check_gemm<double>(4, 8, 31, ta, tb, 0, rng);
        }
    }
}

TEST_CASE("gemm matches the naive product across several k, m and n blocks", "[gemm]") {
    std::mt19937 rng(16);
    for (bool ta : {false, true}) {
        for (bool tb : {false, true}) {
            check_gemm<float>(13, 70, 1100, ta, tb, 0, rng);  // operands small enough to read in place
            check_gemm<float>(800, 20, 600, ta, tb, 0, rng);  // A packed, two m blocks
            check_gemm<double>(7, 33, 2000, ta, tb, 0, rng);
        }
    }
    check_gemm<float>(3, 9000, 5, false, false, 0, rng);  // two n blocks
    check_gemm<float>(3, 9000, 5, true, true, 0, rng);
}

TEST_CASE("gemm accepts negative strides (reversed views)", "[gemm]") {
    std::mt19937 rng(17);
    const std::size_t m = 23, n = 41, k = 19;
    auto a = random_matrix<float>(m, k, false, rng);
    auto b = random_matrix<float>(k, n, true, rng);
    // A with its rows reversed, B with its columns reversed.
    const matrix_ref<float> ar{a.data.data() + (m - 1) * k, -std::ptrdiff_t(k), 1};
    const matrix_ref<float> br{b.data.data() + (n - 1) * k, 1, -std::ptrdiff_t(k)};
    std::vector<float> c(m * n);
    gemm<float>(m, n, k, ar, br, c.data(), n);
    const auto ref = naive(m, n, k, ar, br);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < m * n; ++i) bad += !(std::abs(double(c[i]) - ref[i]) <= tolerance<float>(k));
    CHECK(bad == 0);
}

TEST_CASE("gemm honours leading dimensions larger than the width", "[gemm]") {
    std::mt19937 rng(9);
    for (bool ta : {false, true}) {
        for (bool tb : {false, true}) {
            check_gemm<float>(37, 70, 45, ta, tb, 3, rng);
            check_gemm<float>(128, 128, 64, ta, tb, 16, rng);
            check_gemm<double>(29, 41, 130, ta, tb, 5, rng);
        }
    }
}

TEST_CASE("gemm with k = 0 writes zeros and still calls the epilogue", "[gemm]") {
    std::vector<float> c(5 * 9, 7.0f);
    std::vector<int> seen(5 * 9, 0);
    gemm<float>(5, 7, 0, {nullptr, 0, 1}, {nullptr, 7, 1}, c.data(), 9,
                [&](std::size_t i0, std::size_t j0, std::size_t rows, std::size_t cols) {
                    for (std::size_t i = i0; i < i0 + rows; ++i)
                        for (std::size_t j = j0; j < j0 + cols; ++j) ++seen[i * 9 + j];
                });
    for (std::size_t i = 0; i < 5; ++i) {
        for (std::size_t j = 0; j < 9; ++j) {
            CHECK(c[i * 9 + j] == (j < 7 ? 0.0f : 7.0f));
            CHECK(seen[i * 9 + j] == (j < 7 ? 1 : 0));
        }
    }
}

TEST_CASE("gemm epilogue covers every element of C exactly once", "[gemm]") {
    std::mt19937 rng(10);
    const std::size_t sizes[][3] = {{1, 1, 1}, {6, 64, 8}, {7, 65, 513}, {200, 150, 1100}, {33, 10, 64}};
    for (const auto& s : sizes) {
        const std::size_t m = s[0], n = s[1], k = s[2], ldc = n + 2;
        CAPTURE(m, n, k);
        const auto a = random_matrix<float>(m, k, false, rng);
        const auto b = random_matrix<float>(k, n, false, rng);
        std::vector<float> c(m * ldc, 0.0f);
        std::vector<int> seen(m * ldc, 0);
        bool out_of_range = false;
        gemm<float>(m, n, k, a.ref, b.ref, c.data(), ldc,
                    [&](std::size_t i0, std::size_t j0, std::size_t rows, std::size_t cols) {
                        if (i0 + rows > m || j0 + cols > n) out_of_range = true;
                        for (std::size_t i = i0; i < std::min(i0 + rows, m); ++i)
                            for (std::size_t j = j0; j < std::min(j0 + cols, n); ++j) ++seen[i * ldc + j];
                    });
        CHECK_FALSE(out_of_range);
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < ldc; ++j) wrong += seen[i * ldc + j] != (j < n ? 1 : 0);
        CHECK(wrong == 0);
    }
}

// A product with few columns and a column-major A (a weight gradient x^T dy for a 10-class head)
// is computed as C^T = B^T A^T and transposed (kernels::detail::transpose_narrow). Its values must
// be those of the direct path bit for bit: the first and the last rows, computed alone (too few
// rows for the transposed path), are compared with memcmp.
template <class T>
void check_narrow(std::size_t m, std::size_t n, std::size_t k, bool tb, std::mt19937& rng) {
    CAPTURE(m, n, k, tb);
    const auto a = random_matrix<T>(m, k, true, rng, 1);
    const auto b = random_matrix<T>(k, n, tb, rng);
    const std::size_t ldc = n + 3;
    const T sentinel = T(12345);
    std::vector<T> c(m * ldc, sentinel);
    std::vector<int> seen(m * n, 0);
    gemm<T>(m, n, k, a.ref, b.ref, c.data(), ldc, [&](std::size_t i0, std::size_t j0, std::size_t rows, std::size_t cols) {
        for (std::size_t i = i0; i < i0 + rows; ++i)
            for (std::size_t j = j0; j < j0 + cols; ++j) ++seen[i * n + j];
    });
    const auto ref = naive(m, n, k, a.ref, b.ref);
    std::size_t bad = 0, pad_touched = 0, epi_wrong = 0;
    for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            bad += !(std::abs(double(c[i * ldc + j]) - ref[i * n + j]) <= tolerance<T>(k));
            epi_wrong += seen[i * n + j] != 1;
        }
        for (std::size_t j = n; j < ldc; ++j) pad_touched += c[i * ldc + j] != sentinel;
    }
    CHECK(bad == 0);
    CHECK(pad_touched == 0);
    CHECK(epi_wrong == 0);
    for (const std::size_t i0 : {std::size_t(0), m - 5}) {
        std::vector<T> part(5 * n);
        const matrix_ref<T> rows{a.ref.p + std::ptrdiff_t(i0) * a.ref.rs, a.ref.rs, a.ref.cs};
        gemm<T>(5, n, k, rows, b.ref, part.data(), n);
        std::size_t differ = 0;
        for (std::size_t i = 0; i < 5; ++i) differ += std::memcmp(&part[i * n], &c[(i0 + i) * ldc], n * sizeof(T)) != 0;
        CHECK(differ == 0);
    }
}

TEST_CASE("narrow products with a column-major A (computed transposed) match the direct path bit for bit", "[gemm]") {
    // The selection: n = 3 with a column-major A is transposed on SSE, AVX2 and AVX-512 alike; a
    // row-major A, a k too short to pay for the transpose or too few rows are not. Which of the
    // products below are transposed depends on the SIMD width; all must give the direct path's bits.
    using rb = tfx::kernels::detail::register_block<float>;
    constexpr std::size_t W = tfx::simd<float>::size;
    CHECK(tfx::kernels::detail::transpose_narrow(128, 3, 64, 1, rb::nr, W));
    CHECK_FALSE(tfx::kernels::detail::transpose_narrow(128, 3, 64, 64, rb::nr, W));
    CHECK_FALSE(tfx::kernels::detail::transpose_narrow(128, 3, 2, 1, rb::nr, W));
    CHECK_FALSE(tfx::kernels::detail::transpose_narrow(5, 3, 64, 1, rb::nr, W));
    std::mt19937 rng(17);
    for (bool tb : {false, true}) {
        for (const std::size_t n : {1, 3, 7, 10, 16, 17, 31}) {
            check_narrow<float>(128, n, 64, tb, rng);
            check_narrow<float>(300, n, 1100, tb, rng);  // several k blocks
        }
        check_narrow<float>(1000, 10, 256, tb, rng);  // large enough to be split over threads
        check_narrow<double>(129, 5, 33, tb, rng);
        check_narrow<double>(200, 10, 40, tb, rng);
        check_narrow<float>(128, 10, 8, tb, rng);  // k too short: the direct path
    }
}

TEST_CASE("gemm epilogue sees final values: bias plus relu gives relu(A*B + bias)", "[gemm]") {
    std::mt19937 rng(11);
    const std::size_t sizes[][3] = {{32, 128, 64}, {17, 71, 600}, {256, 96, 1030}, {5, 3, 2}};
    for (const auto& s : sizes) {
        const std::size_t m = s[0], n = s[1], k = s[2];
        CAPTURE(m, n, k);
        const auto a = random_matrix<float>(m, k, false, rng);
        const auto b = random_matrix<float>(k, n, true, rng);
        const auto bias = random_matrix<float>(1, n, false, rng);
        std::vector<float> c(m * n);
        gemm<float>(m, n, k, a.ref, b.ref, c.data(), n,
                    [&](std::size_t i0, std::size_t j0, std::size_t rows, std::size_t cols) {
                        for (std::size_t i = i0; i < i0 + rows; ++i)
                            for (std::size_t j = j0; j < j0 + cols; ++j) {
                                float& x = c[i * n + j];
                                x = std::max(x + bias.data[j], 0.0f);
                            }
                    });
        const auto ref = naive(m, n, k, a.ref, b.ref);
        std::size_t bad = 0;
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j) {
                const double want = std::max(ref[i * n + j] + double(bias.data[j]), 0.0);
                if (!(std::abs(double(c[i * n + j]) - want) <= tolerance<float>(k))) ++bad;
            }
        CHECK(bad == 0);
    }
}

TEST_CASE("gemm gives the same result on a second call (reused packing buffers)", "[gemm]") {
    std::mt19937 rng(12);
    const auto a = random_matrix<float>(300, 700, false, rng);
    const auto b = random_matrix<float>(700, 130, false, rng);
    std::vector<float> c1(300 * 130), c2(300 * 130), small(4 * 4);
    gemm<float>(300, 130, 700, a.ref, b.ref, c1.data(), 130);
    gemm<float>(4, 4, 4, a.ref, b.ref, small.data(), 4);  // a smaller call in between
    gemm<float>(300, 130, 700, a.ref, b.ref, c2.data(), 130);
    CHECK(c1 == c2);
}

namespace {

template <class T, std::size_t M, std::size_t N, std::size_t K>
void check_small(std::mt19937& rng) {
    CAPTURE(M, N, K);
    const auto a = random_matrix<T>(M, K, false, rng);
    const auto b = random_matrix<T>(K, N, false, rng);
    std::vector<T> c(M * N + 1, T(99));
    gemm_small<T, M, N, K>(a.data.data(), b.data.data(), c.data());
    const auto ref = naive(M, N, K, a.ref, b.ref);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < M * N; ++i) bad += !(std::abs(double(c[i]) - ref[i]) <= tolerance<T>(K));
    CHECK(bad == 0);
    CHECK(c[M * N] == T(99));  // nothing written past C
}

template <class T>
void small_shapes(unsigned seed) {
    std::mt19937 rng(seed);
    check_small<T, 1, 1, 1>(rng);
    check_small<T, 4, 4, 4>(rng);
    check_small<T, 8, 8, 8>(rng);
    check_small<T, 16, 16, 16>(rng);
    check_small<T, 3, 5, 7>(rng);
    check_small<T, 16, 1, 16>(rng);
    check_small<T, 1, 16, 3>(rng);
    check_small<T, 2, 13, 11>(rng);
    check_small<T, 12, 12, 12>(rng);
    check_small<T, 5, 24, 1>(rng);
    check_small<T, 9, 31, 6>(rng);
    check_small<T, 16, 7, 2>(rng);
}

}  // namespace

TEST_CASE("gemm_small matches the naive product for small static shapes", "[gemm]") {
    small_shapes<float>(13);
    small_shapes<double>(14);
}
