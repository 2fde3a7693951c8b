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
