#pragma once
// The data of a TensorBoard histogram (HistogramProto), bucketed as TensorFlow's C++ Histogram:
// the default edges grow by 10% from 1e-12 to 1e20 on each side of 0, and runs of empty buckets are
// collapsed into one.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <ranges>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../core/errors.hpp"
#include "../core/inline.hpp"

namespace tfx::summary {

// Anything histogram() can take: a tfx tensor (a range of its elements), a std::vector<float>, ...
// (Not a string: characters are not numbers here.)
template <class R>
concept number_range =
    std::ranges::input_range<R> && std::is_arithmetic_v<std::ranges::range_value_t<R>> &&
    !std::is_same_v<std::ranges::range_value_t<R>, char> && !std::is_same_v<std::ranges::range_value_t<R>, wchar_t> &&
    !std::is_same_v<std::ranges::range_value_t<R>, char8_t> && !std::is_same_v<std::ranges::range_value_t<R>, char16_t> &&
    !std::is_same_v<std::ranges::range_value_t<R>, char32_t>;

// Bucket i holds the values v with bucket_limit[i-1] <= v < bucket_limit[i] (the first bucket starts
// at -DBL_MAX). `bucket` holds counts; both lists have the same length.
struct histogram_data {
    double min = 0, max = 0, num = 0, sum = 0, sum_squares = 0;
    std::vector<double> bucket_limit, bucket;
};

// TensorFlow's default bucket edges (tensorflow/core/lib/histogram/histogram.cc), computed the same
// way so that the doubles are the same: -DBL_MAX, -1e20 ... -1e-12, 0, 1e-12 ... 1e20, DBL_MAX.
const std::vector<double>& default_bucket_limits();

// Buckets `values` with the default edges. A NaN or infinite value throws value_error naming `tag`
// and the value's position, before anything is written (TensorFlow's histogram op rejects them too).
// No values: min = max = 0 and one empty bucket ending at DBL_MAX.
template <number_range R>
histogram_data make_histogram(const R& values, std::string_view tag = "histogram") {
    const auto& limits = default_bucket_limits();
    std::vector<double> counts(limits.size(), 0.0);
    histogram_data h;
    h.min = DBL_MAX;
    h.max = -DBL_MAX;
    std::size_t pos = 0;
    for (const auto& x : values) {
        const double v = double(x);
        if (!std::isfinite(v))
            throw value_error("tfx: summary histogram '" + std::string(tag) + "': value " + std::to_string(v) +
                              " at position " + std::to_string(pos) + " is not finite");
        const auto b = std::size_t(std::upper_bound(limits.begin(), limits.end(), v) - limits.begin());
        counts[std::min(b, limits.size() - 1)] += 1.0;  // only v == DBL_MAX would fall past the end
        h.min = std::min(h.min, v);
        h.max = std::max(h.max, v);
        h.sum += v;
        h.sum_squares += v * v;
        h.num += 1.0;
        ++pos;
    }
    if (h.num == 0) h.min = h.max = 0.0;  // TensorFlow leaves ±DBL_MAX, which viewers draw badly
    // Collapse each run of empty buckets into its last one (Histogram::EncodeToProto).
    for (std::size_t i = 0; i < counts.size();) {
        double end = limits[i], count = counts[i++];
        if (count <= 0.0)
            while (i < counts.size() && counts[i] <= 0.0) end = limits[i++];
        h.bucket_limit.push_back(end);
        h.bucket.push_back(count);
    }
    return h;
}
histogram_data make_histogram(std::initializer_list<double> values, std::string_view tag = "histogram");

}  // namespace tfx::summary

#ifndef TFX_COMPILED_LIB
#include "impl/histogram.ipp"
#endif
