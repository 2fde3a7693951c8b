#pragma once
// Loads the bundled digits data (examples/data/digits.csv.gz: 64 grey levels 0..16, then the
// label) into tensors, with errors that name the file and line.
#include <zlib.h>

#include <numeric>
#include <string>
#include <vector>

#include <tfx/tfx.hpp>

namespace digits {

struct dataset {
    tfx::tensor<float, tfx::dyn, 64> x;      // scaled to [0, 1]
    tfx::tensor<std::int64_t, tfx::dyn> y;   // 0..9
};

inline dataset load(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw tfx::io_error("digits: cannot open " + path);
    std::vector<float> xs;
    std::vector<std::int64_t> ys;
    char line[4096];
    std::size_t lineno = 0;
    while (gzgets(f, line, sizeof line)) {
        ++lineno;
        std::vector<double> vals;
        const char* p = line;
        while (*p && *p != '\n' && *p != '\r') {
            char* end = nullptr;
            const double v = std::strtod(p, &end);
            if (end == p) {
                gzclose(f);
                throw tfx::io_error(path + ":" + std::to_string(lineno) + ": expected a number at column " +
                                    std::to_string(vals.size() + 1));
            }
            vals.push_back(v);
            p = end;
            if (*p == ',') ++p;
        }
        if (vals.empty()) continue;
        if (vals.size() != 65 || vals[64] < 0 || vals[64] > 9 || vals[64] != std::int64_t(vals[64])) {
            gzclose(f);
            throw tfx::io_error(path + ":" + std::to_string(lineno) + ": expected 64 pixel values and a label 0..9, got " +
                                std::to_string(vals.size()) + " values");
        }
        for (int i = 0; i < 64; ++i) xs.push_back(float(vals[std::size_t(i)] / 16.0));
        ys.push_back(std::int64_t(vals[64]));
    }
    gzclose(f);
    dataset d{tfx::tensor<float, tfx::dyn, 64>(ys.size()), tfx::tensor<std::int64_t, tfx::dyn>(ys.size())};
    std::copy(xs.begin(), xs.end(), d.x.begin());
    std::copy(ys.begin(), ys.end(), d.y.begin());
    return d;
}

// The examples' fixed held-out split: a shuffle of the images drawn from `gen`, then the first 80%
// for training and the other 20% for the test. Every example (and every MPI rank) that starts from
// the same seed gets the same split; `gen` can go on to initialize weights.
struct split_data {
    tfx::tensor<float, tfx::dyn, 64> x_train, x_test;
    tfx::tensor<std::int64_t, tfx::dyn> y_train, y_test;
};

inline split_data split(const dataset& all, tfx::random::generator& gen) {
    const std::size_t n = all.y.size(), n_train = n * 4 / 5, n_test = n - n_train;
    tfx::tensor<std::int64_t, tfx::dyn> order(n);
    std::iota(order.begin(), order.end(), 0);
    for (std::size_t i = n; i > 1; --i) std::swap(order(i - 1), order(std::size_t(gen.below(i))));
    const tfx::tensor<std::int64_t, tfx::dyn> train_idx = tfx::slice<0>(order, 0, n_train);
    const tfx::tensor<std::int64_t, tfx::dyn> test_idx = tfx::slice<0>(order, n_train, n_test);
    return {tfx::gather<0>(all.x, train_idx), tfx::gather<0>(all.x, test_idx),
            tfx::gather<0>(all.y, train_idx), tfx::gather<0>(all.y, test_idx)};
}

inline split_data split(const dataset& all, std::uint64_t seed) {
    tfx::random::generator gen{seed};
    return split(all, gen);
}

}  // namespace digits
