#pragma once
// Definitions of strategy.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../strategy.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tfx::distribute {

TFX_INLINE void strategy::check_same(std::string_view op, std::string_view what, const std::string& value) {
    const int R = num_replicas();
    std::uint64_t len = value.size();
    std::vector<std::uint64_t> lens(std::size_t(R), 0);
    all_gather(&len, lens.data(), sizeof len);
    std::uint64_t longest = 0;
    for (auto l : lens) longest = std::max(longest, l);
    std::string mine = value;
    mine.resize(std::size_t(longest), '\0');
    std::string all(std::size_t(longest) * std::size_t(R), '\0');
    if (longest > 0) all_gather(mine.data(), all.data(), std::size_t(longest));
    int differs = -1;
    for (int r = 1; r < R && differs < 0; ++r)
        if (lens[std::size_t(r)] != lens[0] ||
            std::memcmp(all.data() + std::size_t(r) * longest, all.data(), std::size_t(longest)) != 0)
            differs = r;
    if (differs < 0) return;
    auto of = [&](int r) { return std::string(all.data() + std::size_t(r) * longest, std::size_t(lens[std::size_t(r)])); };
    const auto [a, b] = first_difference(of(0), of(differs));
    throw distribute_error("tfx: " + std::string(op) + ": the ranks differ in " + std::string(what) + ": rank 0 has " + a +
                           " where rank " + std::to_string(differs) + " has " + b + " (seen on rank " +
                           std::to_string(rank()) + "; nothing was changed)");
}

TFX_INLINE void strategy::broadcast_views(const std::vector<detail::variable_view>& vars) {
    std::string sig;
    for (const auto& v : vars) {
        sig += v.name;
        sig += " [";
        const char* sep = "";
        for (auto d : v.dims) {
            sig += sep;
            sig += std::to_string(d);
            sep = ",";
        }
        sig += "] of " + std::to_string(v.element_bytes) + "-byte elements;";
    }
    check_same("broadcast_variables", "the model's variables", sig);
    for (const auto& v : vars) broadcast(v.data, v.size * v.element_bytes, 0);
}

TFX_INLINE void strategy::average_views(const std::vector<detail::variable_view>& vars) {
    using kind = detail::variable_view::kind;
    std::vector<double> buf;
    for (const auto& v : vars) {
        if (v.type == kind::f32)
            buf.insert(buf.end(), static_cast<const float*>(v.data), static_cast<const float*>(v.data) + v.size);
        else if (v.type == kind::f64)
            buf.insert(buf.end(), static_cast<const double*>(v.data), static_cast<const double*>(v.data) + v.size);
    }
    if (buf.empty()) return;  // the same on every rank: the same model
    all_reduce_sum(buf.data(), buf.size());
    const double inv = 1.0 / double(num_replicas());
    std::size_t i = 0;
    for (const auto& v : vars) {
        if (v.type == kind::f32) {
            float* p = static_cast<float*>(v.data);
            for (std::size_t k = 0; k < v.size; ++k) p[k] = float(buf[i++] * inv);
        } else if (v.type == kind::f64) {
            double* p = static_cast<double*>(v.data);
            for (std::size_t k = 0; k < v.size; ++k) p[k] = buf[i++] * inv;
        }
    }
}

TFX_INLINE std::pair<std::string, std::string> strategy::first_difference(const std::string& a, const std::string& b) {
    std::size_t i = 0, j = 0;
    for (;;) {
        const std::size_t ea = a.find(';', i), eb = b.find(';', j);
        const std::string x = i < a.size() ? a.substr(i, ea == std::string::npos ? std::string::npos : ea - i) : "";
        const std::string y = j < b.size() ? b.substr(j, eb == std::string::npos ? std::string::npos : eb - j) : "";
        if (x != y || (x.empty() && y.empty()))
            return {x.empty() ? std::string("nothing") : "\"" + x + "\"", y.empty() ? std::string("nothing") : "\"" + y + "\""};
        i = ea == std::string::npos ? a.size() : ea + 1;
        j = eb == std::string::npos ? b.size() : eb + 1;
    }
}

}  // namespace tfx::distribute
