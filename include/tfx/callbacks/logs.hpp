#pragma once
// tfx::logs: metric values by name, in the order they were added (Keras's `logs` dict).
//
//   tfx::logs l;
//   l["loss"] = 0.25;                 // inserts the key if missing
//   l["accuracy"] = 0.9;
//   l.at("val_loss");                 // value_error naming the key and the keys present
//   for (const auto& [name, value] : l) ...   // loss, accuracy: insertion order
//
// A handful of entries, so a vector of pairs searched linearly: cheaper than a map, and it keeps
// the order Keras prints (loss, metrics, val_loss, val_metrics). Assigning to an existing key does
// not allocate, so a training loop can refill the same logs every batch.
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/errors.hpp"

namespace tfx {

class logs {
   public:
    using value_type = std::pair<std::string, double>;
    using const_iterator = std::vector<value_type>::const_iterator;

    logs() = default;
    // logs{{"loss", 0.5}, {"accuracy", 0.75}}; a repeated name keeps its first place and last value.
    logs(std::initializer_list<std::pair<std::string_view, double>> items) {
        for (const auto& [name, value] : items) (*this)[name] = value;
    }

    // The value of `name`, inserted at the end as 0 if missing.
    double& operator[](std::string_view name) {
        if (double* v = find_(name)) return *v;
        return items_.emplace_back(std::string(name), 0.0).second;
    }

    // The value of `name`; value_error naming the key and the keys present if it is missing.
    double at(std::string_view name) const {
        if (const double* v = find(name)) return *v;
        throw value_error("tfx: logs: no key '" + std::string(name) + "'; " +
                          (items_.empty() ? std::string("the logs are empty") : "the keys are: " + keys()));
    }

    // A pointer to the value of `name`, or nullptr (Python's logs.get).
    const double* find(std::string_view name) const noexcept {
        for (const auto& item : items_)
            if (item.first == name) return &item.second;
        return nullptr;
    }
    bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }

    void clear() noexcept { items_.clear(); }
    std::size_t size() const noexcept { return items_.size(); }
    bool empty() const noexcept { return items_.empty(); }
    const_iterator begin() const noexcept { return items_.begin(); }
    const_iterator end() const noexcept { return items_.end(); }

    // "loss, accuracy": the names in order, for messages.
    std::string keys() const {
        std::string r;
        for (const auto& item : items_) {
            if (!r.empty()) r += ", ";
            r += item.first;
        }
        return r;
    }

    // Same names, values and order.
    friend bool operator==(const logs&, const logs&) = default;

   private:
    std::vector<value_type> items_;

    double* find_(std::string_view name) noexcept {
        for (auto& item : items_)
            if (item.first == name) return &item.second;
        return nullptr;
    }
};

}  // namespace tfx
