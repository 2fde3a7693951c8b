#pragma once
// Loads the bundled digits data (examples/data/digits.csv.gz: 64 grey levels 0..16, then the
// label) into tensors, with errors that name the file and line.
#include <zlib.h>

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

}  // namespace digits
