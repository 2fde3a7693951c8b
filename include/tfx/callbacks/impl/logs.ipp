#pragma once
// Definitions of logs.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../logs.hpp"

namespace tfx {

TFX_INLINE logs::logs(std::initializer_list<std::pair<std::string_view, double>> items) {
    for (const auto& [name, value] : items) (*this)[name] = value;
}

TFX_INLINE double& logs::operator[](std::string_view name) {
    if (double* v = find_(name)) return *v;
    return items_.emplace_back(std::string(name), 0.0).second;
}

TFX_INLINE double logs::at(std::string_view name) const {
    if (const double* v = find(name)) return *v;
    throw value_error("tfx: logs: no key '" + std::string(name) + "'; " +
                      (items_.empty() ? std::string("the logs are empty") : "the keys are: " + keys()));
}

TFX_INLINE const double* logs::find(std::string_view name) const noexcept {
    for (const auto& item : items_)
        if (item.first == name) return &item.second;
    return nullptr;
}

TFX_INLINE std::string logs::keys() const {
    std::string r;
    for (const auto& item : items_) {
        if (!r.empty()) r += ", ";
        r += item.first;
    }
    return r;
}

TFX_INLINE double* logs::find_(std::string_view name) noexcept {
    for (auto& item : items_)
        if (item.first == name) return &item.second;
    return nullptr;
}

}  // namespace tfx
