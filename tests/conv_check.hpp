// Shared by test_conv.cpp, test_conv_alloc.cpp, test_conv_grad.cpp, test_conv_hvp.cpp and
// test_conv_grad_grad.cpp (one file split in five to keep each TU's compile time down): naive
// convolution and pooling loops from Keras's formulas, random tensors and comparisons.
#pragma once
#include "test_autodiff_check.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace convtest {

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
inline geom axis_geometry(std::size_t in, std::size_t k, std::size_t s, bool same) {
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
inline std::vector<double> ref_patches(const std::vector<double>& x, std::size_t N, std::size_t H, std::size_t W, std::size_t C,
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
inline std::vector<double> ref_conv(const std::vector<double>& x, const std::vector<double>& w, std::size_t N, std::size_t H,
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
inline std::vector<double> ref_pool(const std::vector<double>& x, std::size_t N, std::size_t H, std::size_t W, std::size_t C,
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
    for (std::size_t k = 0; k < want.size(); ++k) {
        std::string at = "[";  // appended, not "[" + std::to_string(k): GCC 12 warns (-Wrestrict) on that
        at += std::to_string(k);
        at += ']';
        log.compare(at, double(got.data()[k]), want[k], tol);
    }
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

}  // namespace convtest
