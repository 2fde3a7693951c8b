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
#include "../core/inline.hpp"

namespace tfx {

class logs {
   public:
    using value_type = std::pair<std::string, double>;
    using const_iterator = std::vector<value_type>::const_iterator;

    logs() = default;
    // logs{{"loss", 0.5}, {"accuracy", 0.75}}; a repeated name keeps its first place and last value.
    logs(std::initializer_list<std::pair<std::string_view, double>> items);

    // The value of `name`, inserted at the end as 0 if missing.
    double& operator[](std::string_view name);

    // The value of `name`; value_error naming the key and the keys present if it is missing.
    double at(std::string_view name) const;

    // A pointer to the value of `name`, or nullptr (Python's logs.get).
    const double* find(std::string_view name) const noexcept;
    bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }

    void clear() noexcept { items_.clear(); }
    std::size_t size() const noexcept { return items_.size(); }
    bool empty() const noexcept { return items_.empty(); }
    const_iterator begin() const noexcept { return items_.begin(); }
    const_iterator end() const noexcept { return items_.end(); }

    // "loss, accuracy": the names in order, for messages.
    std::string keys() const;

    // Same names, values and order.
    friend bool operator==(const logs&, const logs&) = default;

   private:
    std::vector<value_type> items_;

    double* find_(std::string_view name) noexcept;
};

}  // namespace tfx

#ifndef TFX_COMPILED_LIB
#include "impl/logs.ipp"
#endif
