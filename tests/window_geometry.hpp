// The window geometry of tests/test_layers_conv.cpp and tests/test_layers_pool.cpp: Keras's padding
// rules worked out by the tests themselves, not taken from the library.
#pragma once
#include <algorithm>
#include <cstddef>

namespace wintest {

// The windows of a KHxKW kernel with strides SH, SW over an HxW image, worked out from Keras's
// rules here rather than taken from the library.
struct geometry {
    std::size_t H, W, C, KH, KW, SH, SW, OH, OW, PT, PL;
    geometry(std::size_t h, std::size_t w, std::size_t c, std::size_t kh, std::size_t kw, std::size_t sh, std::size_t sw,
             bool same)
        : H(h), W(w), C(c), KH(kh), KW(kw), SH(sh), SW(sw) {
        OH = same ? (H + SH - 1) / SH : (H - KH) / SH + 1;
        OW = same ? (W + SW - 1) / SW : (W - KW) / SW + 1;
        const long th = same ? long((OH - 1) * SH + KH) - long(H) : 0, tw = same ? long((OW - 1) * SW + KW) - long(W) : 0;
        PT = std::size_t(std::max(th, 0L) / 2);
        PL = std::size_t(std::max(tw, 0L) / 2);
    }
    // f(kh, kw, ih, iw) for each kernel position of window (oh, ow) that falls inside the image.
    template <class F>
    void each(std::size_t oh, std::size_t ow, F&& f) const {
        for (std::size_t kh = 0; kh < KH; ++kh)
            for (std::size_t kw = 0; kw < KW; ++kw) {
                const long ih = long(oh * SH + kh) - long(PT), iw = long(ow * SW + kw) - long(PL);
                if (ih >= 0 && ih < long(H) && iw >= 0 && iw < long(W)) f(kh, kw, std::size_t(ih), std::size_t(iw));
            }
    }
};

template <class Tn>
double at4(const Tn& x, std::size_t n, std::size_t i, std::size_t j, std::size_t c, const geometry& g) {
    return double(x.data()[((n * g.H + i) * g.W + j) * g.C + c]);
}

}  // namespace wintest
