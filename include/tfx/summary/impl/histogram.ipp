#pragma once
// Definitions of histogram.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../histogram.hpp"

namespace tfx::summary {

TFX_INLINE const std::vector<double>& default_bucket_limits() {
    static const std::vector<double> limits = [] {
        std::vector<double> pos;
        for (double v = 1.0e-12; v < 1.0e20; v *= 1.1) pos.push_back(v);
        pos.push_back(DBL_MAX);
        std::vector<double> all;
        all.reserve(2 * pos.size() + 1);
        for (auto it = pos.rbegin(); it != pos.rend(); ++it) all.push_back(-*it);
        all.push_back(0.0);
        all.insert(all.end(), pos.begin(), pos.end());
        return all;
    }();
    return limits;
}

TFX_INLINE histogram_data make_histogram(std::initializer_list<double> values, std::string_view tag) {
    return make_histogram(std::vector<double>(values), tag);
}

}  // namespace tfx::summary
