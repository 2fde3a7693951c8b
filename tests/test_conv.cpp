// Convolution and pooling (include/tfx/expr/conv.hpp): values against naive loops written from
// Keras's padding formulas (valid and same, strides 1 and 2, several channels and filters, odd
// sizes, dynamic and static batches), hand-computed cases at the borders, derivatives against
// finite differences in double precision (reverse, forward, second order), and no allocation
// after the first call of a tfx::function or value_and_grad over a small CNN.
//
// Counting allocations: the suite is one executable and test_autodiff_alloc.cpp already replaces
// operator new (its counter is private to that file), so this file counts one level lower, in
// malloc, which every operator new (that one or libstdc++'s), xsimd's aligned tensor storage and
// the workspace's aligned_alloc all reach. The definitions below forward to glibc's own allocator
// (the __libc_* entry points) and only count, per thread; they are weak, so a stronger replacement
// elsewhere wins the link (and the liveness checks below then fail, rather than pass vacuously).
#include "test_autodiff_check.hpp"

#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define TFX_TEST_COUNT_MALLOC 1
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);
}
namespace {
thread_local std::size_t mallocs_on_this_thread = 0;  // constant-initialized: safe inside malloc
}
extern "C" {
__attribute__((weak)) void* malloc(std::size_t n) noexcept {
    ++mallocs_on_this_thread;
    return __libc_malloc(n);
}
__attribute__((weak)) void* calloc(std::size_t n, std::size_t m) noexcept {
    ++mallocs_on_this_thread;
    return __libc_calloc(n, m);
}
__attribute__((weak)) void* realloc(void* p, std::size_t n) noexcept {
    ++mallocs_on_this_thread;
    return __libc_realloc(p, n);
}
__attribute__((weak)) void* aligned_alloc(std::size_t a, std::size_t n) noexcept {
    ++mallocs_on_this_thread;
    return __libc_memalign(a, n);
}
__attribute__((weak)) void* memalign(std::size_t a, std::size_t n) noexcept {
    ++mallocs_on_this_thread;
    return __libc_memalign(a, n);
}
__attribute__((weak)) int posix_memalign(void** p, std::size_t a, std::size_t n) noexcept {
    ++mallocs_on_this_thread;
    void* r = __libc_memalign(a, n);
    if (!r) return ENOMEM;
    *p = r;
    return 0;
}
__attribute__((weak)) void free(void* p) noexcept { __libc_free(p); }
}
#else
#define TFX_TEST_COUNT_MALLOC 0
#endif

namespace {

using adtest::rng;
using tfx::dyn;
using tfx::index_t;
using tfx::padding;
using tfx::tensor;

// ---- naive references, from Keras's formulas

struct geom {
    std::size_t out;
    std::ptrdiff_t pad;  // leading pad
};
geom axis_geometry(std::size_t in, std::size_t k, std::size_t s, bool same) {
    if (!same) return {(in - k) / s + 1, 0};
    const std::size_t out = (in + s - 1) / s;
    const std::ptrdiff_t total = std::max<std::ptrdiff_t>(std::ptrdiff_t((out - 1) * s + k) - std::ptrdiff_t(in), 0);
    return {out, total / 2};
}

// Reads x[n, ih, iw, c] of an NHWC buffer, or nothing outside the image.
struct image {
    const std::vector<double>& v;
    std::size_t H, W, C;
    bool inside(std::ptrdiff_t ih, std::ptrdiff_t iw) const {
        return ih >= 0 && iw >= 0 && ih < std::ptrdiff_t(H) && iw < std::ptrdiff_t(W);
    }
    double at(std::size_t n, std::ptrdiff_t ih, std::ptrdiff_t iw, std::size_t c) const {
        return v[((n * H + std::size_t(ih)) * W + std::size_t(iw)) * C + c];
    }
};

template <class Tn>
std::vector<double> as_doubles(const Tn& t) {
    return std::vector<double>(t.data(), t.data() + t.size());
}

// [N, OH, OW, KH*KW*C], (kh, kw, c) order, pad where outside.
std::vector<double> ref_patches(const std::vector<double>& x, std::size_t N, std::size_t H, std::size_t W, std::size_t C,
                                std::size_t KH, std::size_t KW, std::size_t SH, std::size_t SW, bool same, double pad) {
    const image im{x, H, W, C};
    const geom gh = axis_geometry(H, KH, SH, same), gw = axis_geometry(W, KW, SW, same);
    std::vector<double> r;
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t oh = 0; oh < gh.out; ++oh)
            for (std::size_t ow = 0; ow < gw.out; ++ow)
                for (std::size_t kh = 0; kh < KH; ++kh)
                    for (std::size_t kw = 0; kw < KW; ++kw)
                        for (std::size_t c = 0; c < C; ++c) {
                            const std::ptrdiff_t ih = std::ptrdiff_t(oh * SH + kh) - gh.pad, iw = std::ptrdiff_t(ow * SW + kw) - gw.pad;
                            r.push_back(im.inside(ih, iw) ? im.at(n, ih, iw, c) : pad);
                        }
    return r;
}

// [N, OH, OW, F]: sum over kh, kw, c of x * w[kh, kw, c, f], zero padding.
std::vector<double> ref_conv(const std::vector<double>& x, const std::vector<double>& w, std::size_t N, std::size_t H,
                             std::size_t W, std::size_t C, std::size_t KH, std::size_t KW, std::size_t F, std::size_t SH,
                             std::size_t SW, bool same) {
    const image im{x, H, W, C};
    const geom gh = axis_geometry(H, KH, SH, same), gw = axis_geometry(W, KW, SW, same);
    std::vector<double> r;
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t oh = 0; oh < gh.out; ++oh)
            for (std::size_t ow = 0; ow < gw.out; ++ow)
                for (std::size_t f = 0; f < F; ++f) {
                    double s = 0;
                    for (std::size_t kh = 0; kh < KH; ++kh)
                        for (std::size_t kw = 0; kw < KW; ++kw) {
                            const std::ptrdiff_t ih = std::ptrdiff_t(oh * SH + kh) - gh.pad, iw = std::ptrdiff_t(ow * SW + kw) - gw.pad;
                            if (!im.inside(ih, iw)) continue;
                            for (std::size_t c = 0; c < C; ++c) s += im.at(n, ih, iw, c) * w[((kh * KW + kw) * C + c) * F + f];
                        }
                    r.push_back(s);
                }
    return r;
}

// [N, OH, OW, C]: max or mean over the window positions inside the image.
std::vector<double> ref_pool(const std::vector<double>& x, std::size_t N, std::size_t H, std::size_t W, std::size_t C,
                             std::size_t PH, std::size_t PW, std::size_t SH, std::size_t SW, bool same, bool max) {
    const image im{x, H, W, C};
    const geom gh = axis_geometry(H, PH, SH, same), gw = axis_geometry(W, PW, SW, same);
    std::vector<double> r;
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t oh = 0; oh < gh.out; ++oh)
            for (std::size_t ow = 0; ow < gw.out; ++ow)
                for (std::size_t c = 0; c < C; ++c) {
                    double best = -1e300, sum = 0;
                    std::size_t count = 0;
                    for (std::size_t kh = 0; kh < PH; ++kh)
                        for (std::size_t kw = 0; kw < PW; ++kw) {
                            const std::ptrdiff_t ih = std::ptrdiff_t(oh * SH + kh) - gh.pad, iw = std::ptrdiff_t(ow * SW + kw) - gw.pad;
                            if (!im.inside(ih, iw)) continue;
                            best = std::max(best, im.at(n, ih, iw, c));
                            sum += im.at(n, ih, iw, c);
                            ++count;
                        }
                    r.push_back(max ? best : sum / double(count));
                }
    return r;
}

template <class Tn>
std::string compare(const Tn& got, const std::vector<double>& want, double tol) {
    if (got.size() != want.size()) return "size " + std::to_string(got.size()) + ", want " + std::to_string(want.size());
    adtest::mismatch_log log;
    for (std::size_t k = 0; k < want.size(); ++k) log.compare("[" + std::to_string(k) + "]", double(got.data()[k]), want[k], tol);
    return log.str();
}

template <class T>
constexpr double tol_for = std::is_same_v<T, float> ? 2e-5 : 1e-12;

// An [N, H, W, C] tensor with N dynamic (given n) or static, filled with uniform values.
template <class T, index_t NS, index_t... E>
auto random_tensor(rng& r, std::size_t n, double lo = -1, double hi = 1) {
    auto t = [&] {
        if constexpr (NS == dyn)
            return tensor<T, dyn, E...>(n);
        else
            return tensor<T, NS, E...>();
    }();
    adtest::fill_uniform(t, r, lo, hi);
    return t;
}

template <class T, index_t NS, index_t H, index_t W, index_t C, index_t KH, index_t KW, index_t F, index_t SH, index_t SW,
          padding P>
void check_conv_values(rng& r, std::size_t n = 2) {
    constexpr bool same = P == padding::same;
    INFO("x [" << (NS == dyn ? "?" : std::to_string(NS)) << ", " << H << ", " << W << ", " << C << "], w [" << KH << ", "
               << KW << ", " << C << ", " << F << "], strides " << SH << "x" << SW << (same ? ", same" : ", valid"));
    const auto x = random_tensor<T, NS, H, W, C>(r, n);
    tensor<T, KH, KW, C, F> w;
    adtest::fill_uniform(w, r, -1, 1);
    const std::size_t N = x.shape()[0];
    const auto want = ref_conv(as_doubles(x), as_doubles(w), N, H, W, C, KH, KW, F, SH, SW, same);

    tensor y = tfx::conv2d<SH, SW, P>(x, w);  // eager
    const geom gh = axis_geometry(H, KH, SH, same), gw = axis_geometry(W, KW, SW, same);
    CHECK(y.shape() == tfx::dims_t<4>{N, gh.out, gw.out, std::size_t(F)});
    static_assert(std::is_same_v<typename decltype(y)::shape_type,
                                 tfx::shape<NS, tfx::detail::window_out(H, KH, SH, P), tfx::detail::window_out(W, KW, SW, P), F>>);
    const std::string m = compare(y, want, tol_for<T>);
    INFO("eager: " << m);
    CHECK(m.empty());

    auto f = tfx::function([](auto x, auto w) { return tfx::conv2d<SH, SW, P>(x, w); });  // traced
    const std::string mf = compare(f(x, w), want, tol_for<T>);
    INFO("tfx::function: " << mf);
    CHECK(mf.empty());
}

template <class T, index_t NS, index_t H, index_t W, index_t C, index_t PH, index_t PW, index_t SH, index_t SW, padding P>
void check_pool_values(rng& r, std::size_t n = 2) {
    constexpr bool same = P == padding::same;
    INFO("x [" << (NS == dyn ? "?" : std::to_string(NS)) << ", " << H << ", " << W << ", " << C << "], pool " << PH << "x" << PW
               << ", strides " << SH << "x" << SW << (same ? ", same" : ", valid"));
    const auto x = random_tensor<T, NS, H, W, C>(r, n);
    const std::size_t N = x.shape()[0];
    const tensor mx = tfx::max_pool2d<PH, PW, SH, SW, P>(x);
    const tensor av = tfx::avg_pool2d<PH, PW, SH, SW, P>(x);
    const geom gh = axis_geometry(H, PH, SH, same), gw = axis_geometry(W, PW, SW, same);
    CHECK(mx.shape() == tfx::dims_t<4>{N, gh.out, gw.out, std::size_t(C)});
    CHECK(av.shape() == mx.shape());
    const std::string m1 = compare(mx, ref_pool(as_doubles(x), N, H, W, C, PH, PW, SH, SW, same, true), 0);
    const std::string m2 = compare(av, ref_pool(as_doubles(x), N, H, W, C, PH, PW, SH, SW, same, false), tol_for<T>);
    INFO("max_pool2d: " << m1);
    CHECK(m1.empty());
    INFO("avg_pool2d: " << m2);
    CHECK(m2.empty());
}

template <class T, index_t H, index_t W, index_t C, index_t KH, index_t KW, index_t SH, index_t SW, padding P>
void check_patch_values(rng& r, std::size_t n, T pad) {
    const auto x = random_tensor<T, dyn, H, W, C>(r, n);
    const tensor p = tfx::extract_patches<KH, KW, SH, SW, P>(x, pad);
    const std::string m = compare(p, ref_patches(as_doubles(x), n, H, W, C, KH, KW, SH, SW, P == padding::same, double(pad)), 0);
    INFO("extract_patches<" << KH << ", " << KW << ", " << SH << ", " << SW << (P == padding::same ? ", same" : ", valid")
                            << ">: " << m);
    CHECK(m.empty());
}

template <class Tn>
std::vector<double> values(const Tn& t) {
    return as_doubles(t);
}

}  // namespace

// ---------------------------------------------------------------- values

TEST_CASE("extract_patches of a 3x3 image: hand-written patches, padding and Keras's bottom-heavy split", "[conv]") {
    const tensor<float, 1, 3, 3, 1> x{{{{1}, {2}, {3}}, {{4}, {5}, {6}}, {{7}, {8}, {9}}}};
    SECTION("2x2 valid, stride 1") {
        const tensor p = tfx::extract_patches<2, 2>(x);
        static_assert(std::is_same_v<decltype(p), const tensor<float, 1, 2, 2, 4>>);
        CHECK(values(p) == std::vector<double>{1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9});
    }
    SECTION("3x3 same, stride 1, pad value -1: the corner patches") {
        const tensor p = tfx::extract_patches<3, 3, 1, 1, padding::same>(x, -1.f);
        REQUIRE(p.shape() == tfx::dims_t<4>{1, 3, 3, 9});
        const std::vector<double> all = values(p);
        CHECK(std::vector<double>(all.begin(), all.begin() + 9) == std::vector<double>{-1, -1, -1, -1, 1, 2, -1, 4, 5});
        CHECK(std::vector<double>(all.begin() + 4 * 9, all.begin() + 5 * 9) == std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9});
        CHECK(std::vector<double>(all.end() - 9, all.end()) == std::vector<double>{5, 6, -1, 8, 9, -1, -1, -1, -1});
    }
    SECTION("2x2 same, stride 2 on 3x3: pad_total 1 goes below and right, none above") {
        const tensor p = tfx::extract_patches<2, 2, 2, 2, padding::same>(x, 0.f);
        CHECK(values(p) == std::vector<double>{1, 2, 4, 5, 3, 0, 6, 0, 7, 8, 0, 0, 9, 0, 0, 0});
    }
}

TEST_CASE("extract_patches matches a naive loop for strides 1 and 2, valid and same, C > 1", "[conv]") {
    rng r(4101);
    check_patch_values<float, 5, 7, 3, 3, 3, 1, 1, padding::valid>(r, 2, 0.f);
    check_patch_values<float, 5, 7, 3, 3, 3, 1, 1, padding::same>(r, 2, 0.5f);
    check_patch_values<double, 7, 6, 2, 3, 2, 2, 2, padding::valid>(r, 3, 0.0);
    check_patch_values<double, 7, 6, 2, 3, 2, 2, 2, padding::same>(r, 3, -2.0);
    check_patch_values<float, 4, 5, 2, 4, 4, 3, 2, padding::same>(r, 1, 9.f);  // pad 3 rows / 3 cols: 1 + 2
    check_patch_values<float, 3, 3, 2, 3, 3, 1, 1, padding::valid>(r, 2, 0.f);  // one window, the whole image
}

TEST_CASE("conv2d matches a naive loop: valid and same, strides 1 and 2, C > 1, F > 1, odd sizes", "[conv]") {
    rng r(4102);
    check_conv_values<float, dyn, 5, 7, 3, 3, 3, 4, 1, 1, padding::valid>(r);
    check_conv_values<float, dyn, 5, 7, 3, 3, 3, 4, 1, 1, padding::same>(r);
    check_conv_values<float, dyn, 7, 6, 2, 3, 2, 5, 2, 2, padding::valid>(r);
    check_conv_values<float, dyn, 7, 6, 2, 3, 2, 5, 2, 2, padding::same>(r);
    check_conv_values<float, dyn, 9, 9, 3, 5, 5, 2, 2, 1, padding::same>(r, 1);
    check_conv_values<double, dyn, 5, 5, 2, 5, 5, 3, 1, 1, padding::valid>(r);   // one output position
    check_conv_values<double, 3, 6, 5, 2, 2, 3, 3, 1, 2, padding::same>(r);      // static batch
    check_conv_values<float, dyn, 4, 4, 8, 1, 1, 3, 1, 1, padding::same>(r);     // 1x1
    check_conv_values<float, dyn, 8, 8, 1, 3, 3, 16, 1, 1, padding::same>(r, 32);  // the benchmark shapes
    check_conv_values<float, dyn, 8, 8, 16, 3, 3, 32, 1, 1, padding::same>(r, 4);
    check_conv_values<float, dyn, 6, 6, 2, 3, 3, 2, 1, 1, padding::valid>(r, 0);  // an empty batch
}

TEST_CASE("conv2d on tensors and expressions, as the eager API reads", "[conv]") {
    rng r(4103);
    tensor<float, dyn, 4, 4, 8> x(3);
    adtest::fill_uniform(x, r, -1, 1);
    tensor<float, 1, 1, 8, 8> w;
    adtest::fill_uniform(w, r, -1, 1);
    tensor<float, dyn, 4, 4, 8> y = tfx::conv2d<1, 1, padding::same>(x, w);
    CHECK(compare(y, ref_conv(as_doubles(x), as_doubles(w), 3, 4, 4, 8, 1, 1, 8, 1, 1, true), 2e-5).empty());

    // An operand that is itself an expression, and a consumer: relu(conv(2 x) + b).
    tensor<float, 8> b;
    adtest::fill_uniform(b, r, -1, 1);
    tensor<float, dyn, 4, 4, 8> z = relu(tfx::conv2d<1, 1, padding::same>(x * 2.f, w) + b);
    const auto plain = ref_conv(as_doubles(x), as_doubles(w), 3, 4, 4, 8, 1, 1, 8, 1, 1, true);
    std::vector<double> want(plain.size());
    for (std::size_t k = 0; k < want.size(); ++k) want[k] = std::max(0.0, 2 * plain[k] + double(b.data()[k % 8]));
    CHECK(compare(z, want, 2e-5).empty());

    // A gradient with the eager tape.
    auto [value, dw] = tfx::gradient(sum(tfx::conv2d(x, w)), w);
    double total = 0;
    for (double v : ref_conv(as_doubles(x), as_doubles(w), 3, 4, 4, 8, 1, 1, 8, 1, 1, false)) total += v;
    CHECK(double(value()) == Approx(total).epsilon(1e-5));
    // d sum / d w[0, 0, c, f] = sum of x[..., c] over every position.
    for (std::size_t c = 0; c < 8; ++c) {
        double s = 0;
        for (std::size_t k = c; k < x.size(); k += 8) s += double(x.data()[k]);
        for (std::size_t f = 0; f < 8; ++f) CHECK(double(dw(0, 0, c, f)) == Approx(s).epsilon(1e-5));
    }
}

TEST_CASE("a traced conv2d is im2col and one GEMM", "[conv]") {
    tensor<float, dyn, 8, 8, 16> x(32);
    tensor<float, 3, 3, 16, 32> w;
    auto f = tfx::function([](auto x, auto w) { return tfx::conv2d<1, 1, padding::same>(x, w); });
    const std::string g = f.graph(x, w);
    auto count = [&](const std::string& what) {
        std::size_t n = 0;
        for (std::size_t at = g.find(what); at != std::string::npos; at = g.find(what, at + 1)) ++n;
        return n;
    };
    INFO(g);
    CHECK(count("extract_patches [?, 8, 8, 144]") == 1);
    CHECK(count("matmul [?, 32]") == 1);
    CHECK(count("reshape [144, 32]") == 1);
}

TEST_CASE("max and avg pooling match naive loops; same padding at the borders", "[conv]") {
    rng r(4104);
    check_pool_values<float, dyn, 6, 6, 3, 2, 2, 2, 2, padding::valid>(r);
    check_pool_values<float, dyn, 7, 7, 2, 3, 3, 2, 2, padding::same>(r);
    check_pool_values<float, dyn, 7, 5, 2, 3, 3, 2, 2, padding::valid>(r);
    check_pool_values<double, dyn, 5, 6, 3, 2, 2, 1, 1, padding::same>(r);
    check_pool_values<double, 2, 5, 5, 4, 3, 2, 1, 2, padding::same>(r);  // static batch, unequal window
    check_pool_values<float, dyn, 5, 5, 3, 2, 2, 2, 2, padding::valid>(r);  // the last row and column left out
}

TEST_CASE("pooling of a 3x3 image with same padding, by hand", "[conv]") {
    const tensor<float, 1, 3, 3, 1> x{{{{1}, {2}, {3}}, {{4}, {5}, {6}}, {{7}, {8}, {9}}}};
    // 2x2 windows, stride 2: pad 1 below and right; averages over 4, 2, 2 and 1 valid positions.
    CHECK(values(tensor(tfx::avg_pool2d<2, 2, 2, 2, padding::same>(x))) == std::vector<double>{3, 4.5, 7.5, 9});
    CHECK(values(tensor(tfx::max_pool2d<2, 2, 2, 2, padding::same>(x))) == std::vector<double>{5, 6, 8, 9});
    // All negative: a padded position (0 in extract_patches) never wins the max.
    CHECK(values(tensor(tfx::max_pool2d<2, 2, 2, 2, padding::same>(-x))) == std::vector<double>{-1, -3, -7, -9});
    // 3x3 windows, stride 1: corner windows see 4 valid positions, edge windows 6.
    CHECK(compare(tensor(tfx::avg_pool2d<3, 3, 1, 1, padding::same>(x)), {3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7}, 1e-6).empty());
}

TEST_CASE("global_average_pool2d is the mean over H and W", "[conv]") {
    rng r(4105);
    tensor<double, dyn, 5, 3, 4> x(3);
    adtest::fill_uniform(x, r, -1, 1);
    const tensor g = tfx::global_average_pool2d(x);
    static_assert(std::is_same_v<decltype(g), const tensor<double, dyn, 4>>);
    REQUIRE(g.shape() == tfx::dims_t<2>{3, 4});
    for (std::size_t n = 0; n < 3; ++n)
        for (std::size_t c = 0; c < 4; ++c) {
            double s = 0;
            for (std::size_t h = 0; h < 5; ++h)
                for (std::size_t w = 0; w < 3; ++w) s += x(n, h, w, c);
            CHECK(g(n, c) == Approx(s / 15).epsilon(1e-13));
        }
}

// ---------------------------------------------------------------- derivatives

TEST_CASE("conv2d: gradients with respect to x and w match finite differences", "[conv][autodiff]") {
    rng r(4201);
    SECTION("3x3 valid, stride 1, C = 3, F = 4, odd sizes") {
        const auto x = random_tensor<double, dyn, 5, 7, 3>(r, 2);
        const auto w = random_tensor<double, 3, 3, 3, 4>(r, 0);
        const auto rr = random_tensor<double, dyn, 3, 5, 4>(r, 2);
        adtest::check_derivatives([](auto x, auto w) { return tfx::conv2d(x, w); }, x, w);
        const std::string m = adtest::check_grad([](auto x, auto w, auto r) { return sum(tfx::conv2d(x, w) * r); }, x, w, rr);
        INFO(m);
        CHECK(m.empty());
    }
    SECTION("3x2 same, stride 2, C = 2, F = 3, static batch") {
        const auto x = random_tensor<double, 2, 7, 6, 2>(r, 0);
        const auto w = random_tensor<double, 3, 2, 2, 3>(r, 0);
        const auto rr = random_tensor<double, 2, 4, 3, 3>(r, 0);
        adtest::check_derivatives([](auto x, auto w) { return tfx::conv2d<2, 2, padding::same>(x, w); }, x, w);
        const std::string m = adtest::check_grad(
            [](auto x, auto w, auto r) { return sum(tfx::conv2d<2, 2, padding::same>(x, w) * r); }, x, w, rr);
        INFO(m);
        CHECK(m.empty());
    }
    SECTION("4x4 same, strides 3x2, through bias and tanh") {
        const auto x = random_tensor<double, dyn, 5, 6, 2>(r, 2);
        const auto w = random_tensor<double, 4, 4, 2, 3>(r, 0);
        const auto b = random_tensor<double, 3>(r, 0);
        adtest::check_derivatives([](auto x, auto w, auto b) { return tanh(tfx::conv2d<3, 2, padding::same>(x, w) + b); },
                                  x, w, b);
    }
    SECTION("tfx::grad gives what value_and_grad gives") {
        const auto x = random_tensor<double, dyn, 5, 5, 2>(r, 2);
        const auto w = random_tensor<double, 3, 3, 2, 2>(r, 0);
        auto loss = [](auto x, auto w) { return sum(square(tfx::conv2d<1, 1, padding::same>(x, w))); };
        auto g = tfx::grad<0, 1>(loss);
        const auto [dx, dw] = g(x, w);
        auto vg = tfx::value_and_grad<0, 1>(loss);
        const auto& [l, dx2, dw2] = vg(x, w);
        CHECK(l() > 0);
        CHECK(values(dx) == values(dx2));
        CHECK(values(dw) == values(dw2));
    }
}

TEST_CASE("extract_patches and pooling: derivatives match finite differences", "[conv][autodiff]") {
    rng r(4202);
    const auto x = random_tensor<double, dyn, 5, 7, 2>(r, 2);
    SECTION("extract_patches, same, stride 2, pad value 3 (no gradient)") {
        adtest::check_derivatives([](auto x) { return tfx::extract_patches<3, 2, 2, 2, padding::same>(x, 3.0); }, x);
    }
    SECTION("avg_pool2d, same, 3x3 stride 2 (border windows average fewer positions)") {
        adtest::check_derivatives([](auto x) { return tfx::avg_pool2d<3, 3, 2, 2, padding::same>(x); }, x);
    }
    SECTION("max_pool2d, valid 2x2 and same 3x3 stride 2, on distinct values") {
        auto xd = x;
        adtest::fill_distinct(xd, r);
        adtest::check_derivatives([](auto x) { return tfx::max_pool2d<2, 2>(x); }, xd);
        adtest::check_derivatives([](auto x) { return tfx::max_pool2d<3, 3, 2, 2, padding::same>(x); }, xd);
    }
    SECTION("global_average_pool2d") {
        adtest::check_derivatives([](auto x) { return tfx::global_average_pool2d(x); }, x);
    }
    SECTION("dot-product test <t, J^T c> == <J t, c>") {
        auto xd = x;
        adtest::fill_distinct(xd, r);
        adtest::check_dot_product([](auto x) { return tfx::extract_patches<2, 3, 1, 2, padding::same>(x, 0.0); }, xd);
        adtest::check_dot_product([](auto x) { return tfx::avg_pool2d<2, 3, 1, 2, padding::same>(x); }, xd);
        adtest::check_dot_product([](auto x) { return tfx::max_pool2d<2, 3, 1, 2, padding::same>(x); }, xd);
    }
}

TEST_CASE("max_pool2d sends the gradient to the first maximum of a window, as TensorFlow does", "[conv][autodiff]") {
    // Window 0 has a tie (7 at positions 0 and 3): the first one gets it all.
    const tensor<double, 1, 2, 4, 1> x{{{{7}, {1}, {2}, {3}}, {{0}, {7}, {4}, {-1}}}};
    auto g = tfx::grad([](auto x) { return sum(tfx::max_pool2d<2, 2>(x) * tensor<double, 1, 1, 2, 1>{{{{10}, {100}}}}); });
    const tensor<double, 1, 2, 4, 1> dx = g(x);
    CHECK(values(dx) == std::vector<double>{10, 0, 0, 0, 0, 0, 100, 0});

    // 37 channels (SIMD batches and a scalar tail): channel c has its maximum 1 at window position
    // c % 4, and at c % 4 + 1 too when c % 3 == 0 (a tie); elsewhere 0.
    tensor<float, 1, 2, 2, 37> y;
    for (std::size_t c = 0; c < 37; ++c) {
        const std::size_t k = c % 4;
        y(0, k / 2, k % 2, c) = 1;
        if (c % 3 == 0 && k < 3) y(0, (k + 1) / 2, (k + 1) % 2, c) = 1;
    }
    auto gy = tfx::grad([](auto y) { return sum(tfx::max_pool2d<2, 2>(y)); });
    const tensor<float, 1, 2, 2, 37> dy = gy(y);
    for (std::size_t c = 0; c < 37; ++c)
        for (std::size_t k = 0; k < 4; ++k) {
            INFO("channel " << c << ", window position " << k);
            CHECK(dy(0, k / 2, k % 2, c) == (k == c % 4 ? 1.f : 0.f));
        }
}

// Second order: forward over reverse (jvp of grad, the Hessian-vector product) and reverse over
// reverse (grad of grad); both differentiate the adjoint nodes (fold_patches, avg_pool2d_grad,
// max_pool2d_grad) and their partners.
TEST_CASE("second order through conv2d and pooling: Hessian-vector products", "[conv][autodiff]") {
    rng r(4203);
    const auto x = random_tensor<double, dyn, 5, 6, 2>(r, 2);
    const auto v = random_tensor<double, dyn, 5, 6, 2>(r, 2);
    const auto w = random_tensor<double, 3, 3, 2, 3>(r, 0);
    const auto wv = random_tensor<double, 3, 3, 2, 3>(r, 0);
    auto xd = x;
    adtest::fill_distinct(xd, r);
    auto conv_x = [](auto x, auto w) { return sum(square(tfx::conv2d<2, 1, padding::same>(x, w))) + sum(x * x * x); };
    auto conv_w = [](auto w, auto x) { return sum(sin(tfx::conv2d<2, 1, padding::same>(x, w))); };
    auto avg = [](auto x) { return sum(square(tfx::avg_pool2d<3, 3, 2, 2, padding::same>(x * x))); };
    auto mx = [](auto x) {
        auto m = tfx::max_pool2d<2, 3, 2, 2, padding::same>(x);
        return sum(m * m * m);
    };
    for (const std::string& m : {adtest::check_hvp(conv_x, x, v, w), adtest::check_hvp(conv_w, w, wv, x),
                                 adtest::check_hvp(avg, x, v), adtest::check_hvp(mx, xd, v)}) {
        INFO(m);
        CHECK(m.empty());
    }
}

TEST_CASE("second order through conv2d and pooling: grad of grad", "[conv][autodiff]") {
    rng r(4204);
    const auto x = random_tensor<double, dyn, 5, 6, 2>(r, 2);
    const auto w = random_tensor<double, 3, 3, 2, 3>(r, 0);
    const tensor<double> a = 0.7;
    auto xd = x;
    adtest::fill_distinct(xd, r);
    SECTION("f(a) = sum(conv2d(a x, w)^2) = a^2 S: f'' = 2 S, and likewise for the pools") {
        double s_conv = 0, s_avg = 0, s_max = 0;
        for (double y : ref_conv(as_doubles(x), as_doubles(w), 2, 5, 6, 2, 3, 3, 3, 2, 1, true)) s_conv += y * y;
        for (double y : ref_pool(as_doubles(x), 2, 5, 6, 2, 3, 3, 2, 2, true, false)) s_avg += y * y;
        for (double y : ref_pool(as_doubles(x), 2, 5, 6, 2, 2, 3, 2, 2, true, true)) s_max += y * y;
        auto conv2 = tfx::grad(tfx::grad([](auto a, auto x, auto w) { return sum(square(tfx::conv2d<2, 1, padding::same>(a * x, w))); }));
        auto avg2 = tfx::grad(tfx::grad([](auto a, auto x) { return sum(square(tfx::avg_pool2d<3, 3, 2, 2, padding::same>(a * x))); }));
        auto max2 = tfx::grad(tfx::grad([](auto a, auto x) { return sum(square(tfx::max_pool2d<2, 3, 2, 2, padding::same>(a * x))); }));
        CHECK(conv2(a, x, w)() == Approx(2 * s_conv).epsilon(1e-12));
        CHECK(avg2(a, x)() == Approx(2 * s_avg).epsilon(1e-12));
        CHECK(max2(a, x)() == Approx(2 * s_max).epsilon(1e-12));
    }
    SECTION("the gradient of d f / d a with respect to a, x and w against finite differences") {
        auto conv_a = tfx::grad([](auto a, auto x, auto w) { return sum(tanh(tfx::conv2d<2, 1, padding::same>(a * x, w))); });
        auto avg_a = tfx::grad([](auto a, auto x) { return sum(tanh(tfx::avg_pool2d<3, 3, 2, 2, padding::same>(a * x))); });
        auto max_a = tfx::grad([](auto a, auto x) { return sum(tanh(tfx::max_pool2d<2, 3, 2, 2, padding::same>(a * x))); });
        for (const std::string& m : {adtest::check_grad(conv_a, a, x, w), adtest::check_grad(avg_a, a, x),
                                     adtest::check_grad(max_a, a, xd)}) {
            INFO(m);
            CHECK(m.empty());
        }
    }
}

// ---------------------------------------------------------------- memory

#if TFX_TEST_COUNT_MALLOC
namespace {
// Calls 2..10 of call(): how many allocations this thread made in them (nothing else runs here).
template <class Call>
std::size_t mallocs_in_calls_2_to_10(Call&& call) {
    call();
    const std::size_t before = mallocs_on_this_thread;
    for (int i = 2; i <= 10; ++i) call();
    return mallocs_on_this_thread - before;
}

// conv 3x3x1x16 (same) + relu, max pool 2x2, conv 3x3x16x32 (same) + relu, avg pool 2x2, global
// average pool, dense 32 -> 10, softmax cross-entropy.
auto cnn_loss = [](auto w1, auto b1, auto w2, auto b2, auto wd, auto x, auto y) {
    auto h1 = tfx::max_pool2d<2, 2>(relu(tfx::conv2d<1, 1, padding::same>(x, w1) + b1));
    auto h2 = tfx::avg_pool2d<2, 2>(relu(tfx::conv2d<1, 1, padding::same>(h1, w2) + b2));
    auto logits = matmul(tfx::global_average_pool2d(h2), wd);
    return mean(logsumexp<1>(logits) - gather<1, 1>(logits, y));
};
}  // namespace

TEST_CASE("conv2d and pooling under tfx::function and value_and_grad allocate nothing after the first call", "[conv]") {
    rng r(4301);
    tensor<float, dyn, 8, 8, 1> x(32);
    adtest::fill_uniform(x, r, -1, 1);
    tensor<std::int64_t, dyn> y(32);
    for (auto& v : y) v = std::int64_t(r.below(10));
    auto w1 = random_tensor<float, 3, 3, 1, 16>(r, 0, -0.5, 0.5);
    auto b1 = random_tensor<float, 16>(r, 0, -0.1, 0.1);
    auto w2 = random_tensor<float, 3, 3, 16, 32>(r, 0, -0.2, 0.2);
    auto b2 = random_tensor<float, 32>(r, 0, -0.1, 0.1);
    auto wd = random_tensor<float, 32, 10>(r, 0, -0.3, 0.3);

    SECTION("tfx::function of one conv layer") {
        auto f = tfx::function([](auto x, auto w, auto b) { return relu(tfx::conv2d<1, 1, padding::same>(x, w) + b); });
        const std::size_t at_start = mallocs_on_this_thread;
        const auto& out = f(x, w1, b1);
        CHECK(mallocs_on_this_thread > at_start);  // the first call plans (and the counter is live)
        const void* data = out.data();
        const std::size_t ws = f.stats().allocations;
        CHECK(mallocs_in_calls_2_to_10([&] { f(x, w1, b1); }) == 0);
        CHECK(f.stats().allocations == ws);
        CHECK(f(x, w1, b1).data() == data);
    }
    SECTION("value_and_grad of a small CNN") {
        auto vg = tfx::value_and_grad<0, 1, 2, 3, 4>(cnn_loss);
        const std::size_t at_start = mallocs_on_this_thread;
        const auto& out = vg(w1, b1, w2, b2, wd, x, y);
        CHECK(mallocs_on_this_thread > at_start);
        const float l0 = std::get<0>(out)();
        CHECK(std::isfinite(l0));
        const void* dw1 = std::get<1>(out).data();
        const void* dw2 = std::get<3>(out).data();
        const std::size_t ws = vg.stats().allocations;
        CHECK(mallocs_in_calls_2_to_10([&] { vg(w1, b1, w2, b2, wd, x, y); }) == 0);
        CHECK(vg.stats().allocations == ws);
        const auto& again = vg(w1, b1, w2, b2, wd, x, y);
        CHECK(std::get<0>(again)() == l0);
        CHECK(std::get<1>(again).data() == dw1);
        CHECK(std::get<3>(again).data() == dw2);
    }
}
#endif
