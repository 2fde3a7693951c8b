#pragma once
// Data-parallel training across processes (ranks), in the style of Horovod and TensorFlow's
// MultiWorkerMirroredStrategy: every rank holds the whole model, reads its own part of the data,
// and the gradients are averaged across ranks before each update, so that the ranks' variables stay
// identical. This header is the interface that fit and custom loops use; it needs no MPI.
// distribute/mpi.hpp implements it over MPI (mpi_strategy). docs/distribute.md.
//
//   tfx::distribute::mpi_strategy s;                     // MPI_Init if needed
//   model.fit(x, y, {.epochs = 5, .batch_size = 64, .strategy = &s});   // 64 = the global batch
//
//   // a custom loop
//   s.broadcast_variables(model);                        // rank 0's initial variables everywhere
//   auto [loss, grads] = vg(...);
//   s.all_reduce_mean(grads);                            // one fused allreduce for all gradients
//   opt.apply_gradients(grads, vars);
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <algorithm>
#include <vector>

#include "../core/errors.hpp"
#include "../core/inline.hpp"

namespace tfx {

// A collective operation failed, or the ranks disagree (a different model on one rank, a rank that
// failed in a step): thrown on every rank, so that none is left waiting.
class distribute_error : public error {
   public:
    using error::error;
};

namespace distribute {

namespace detail {
// A tuple of tensors (or of references to tensors) as one flat buffer of doubles, for the fused
// allreduce of strategy::all_reduce_mean and of fit's data-parallel step.
template <class Tuple>
std::size_t total_size(const Tuple& tensors) {
    return std::apply([](const auto&... t) { return (std::size_t(0) + ... + std::size_t(t.size())); }, tensors);
}
// Writes every element times scale, tensor after tensor, from out on; returns the end.
template <class Tuple>
double* pack(const Tuple& tensors, double* out, double scale) {
    std::apply([&](const auto&... t) {
        ((out = std::transform(t.begin(), t.end(), out, [scale](auto v) { return double(v) * scale; })), ...);
    }, tensors);
    return out;
}
// The reverse: every element of every tensor = in[...] * scale, in the tensor's element type.
template <class Tuple>
const double* unpack(const double* in, Tuple&& tensors, double scale) {
    std::apply([&](auto&... t) {
        ((std::transform(in, in + t.size(), t.begin(),
                         [scale](double v) { return typename std::remove_cvref_t<decltype(t)>::value_type(v * scale); }),
          in += t.size()),
         ...);
    }, tensors);
    return in;
}
// A variable as type-independent code sees it (broadcast_variables, the averaging of batch_norm's
// statistics, fit's weight snapshots and histograms): name, shape, element type and memory, and
// element access through double. A model only lists its variables as views; the work on them is
// plain functions, compiled once (not once per model).
struct variable_view {
    enum class kind { f32, f64, other };
    std::string name;
    std::vector<std::size_t> dims;
    std::size_t element_bytes = 0;
    void* data = nullptr;
    std::size_t size = 0;  // elements
    kind type = kind::other;
    double (*load)(const void* data, std::size_t i) = nullptr;    // element i, as a double
    void (*store)(void* data, std::size_t i, double v) = nullptr;  // element i = T(v)
};
template <class Tensor>
variable_view view_of(std::string_view name, Tensor& t) {
    using T = typename std::remove_cvref_t<Tensor>::value_type;
    const auto d = t.shape();
    return variable_view{std::string(name), std::vector<std::size_t>(d.begin(), d.end()), sizeof(T),
                         static_cast<void*>(t.data()), std::size_t(t.size()),
                         std::is_same_v<T, float>    ? variable_view::kind::f32
                         : std::is_same_v<T, double> ? variable_view::kind::f64
                                                     : variable_view::kind::other,
                         [](const void* p, std::size_t i) { return double(static_cast<const T*>(p)[i]); },
                         [](void* p, std::size_t i, double v) { static_cast<T*>(p)[i] = T(v); }};
}
}  // namespace detail

class strategy {
   public:
    virtual ~strategy() = default;

    virtual int rank() const noexcept = 0;
    virtual int num_replicas() const noexcept = 0;  // TensorFlow's num_replicas_in_sync
    bool is_chief() const noexcept { return rank() == 0; }

    // ---- the collectives an implementation provides (blocking; every rank must call them in the
    // same order with the same sizes)
    // data[i] = the sum over ranks of data[i], on every rank.
    virtual void all_reduce_sum(double* data, std::size_t n) = 0;
    // bytes from rank root into data on every rank.
    virtual void broadcast(void* data, std::size_t bytes, int root) = 0;
    // all[r * bytes .. (r + 1) * bytes) = rank r's mine, on every rank.
    virtual void all_gather(const void* mine, void* all, std::size_t bytes) = 0;
    virtual void barrier() = 0;
    // Ends every rank of the job, after printing message on this one (MPI_Abort): for a failure on
    // one rank that the others cannot learn of, which would otherwise leave them waiting.
    [[noreturn]] virtual void abort(const std::string& message) noexcept = 0;

    // ---- built on them
    // The mean over ranks of each tensor of a tuple (of tensors or references to tensors), in place,
    // with one allreduce of one fused buffer (kept: no allocation after the first call). The
    // gradients a model's value_and_grad returns are const references into its layers' buffers;
    // they are overwritten too (they are that step's results, not the model's state).
    template <class Tuple>
    void all_reduce_mean(Tuple&& tensors) {
        fused_.resize(detail::total_size(tensors));
        detail::pack(tensors, fused_.data(), 1.0);
        all_reduce_sum(fused_.data(), fused_.size());
        detail::unpack(fused_.data(), std::apply([](const auto&... t) { return std::tie(writable(t)...); }, tensors),
                       1.0 / double(num_replicas()));
    }
    double all_reduce_mean(double v) {
        all_reduce_sum(&v, 1);
        return v / double(num_replicas());
    }

    // Rank 0's values of every variable of a model (anything with for_each_variable(f(name, tensor&)))
    // on every rank, after checking that every rank has the same variables (names, shapes, element
    // types): if not, every rank throws distribute_error naming what differs, and nothing changes.
    template <class M>
    void broadcast_variables(M& model) {
        std::vector<detail::variable_view> vars;
        model.for_each_variable([&](std::string_view name, auto& t) { vars.push_back(detail::view_of(name, t)); });
        broadcast_views(vars);
    }
    // broadcast_variables' work: the check, then rank 0's bytes of each variable.
    void broadcast_views(const std::vector<detail::variable_view>& vars);
    // The mean over ranks of each float or double variable of vars, in place, with one allreduce
    // (others are left alone). Every rank must pass the same list (the same model).
    void average_views(const std::vector<detail::variable_view>& vars);

    // Throws distribute_error on every rank when `value` is not the same on every rank.
    void check_same(std::string_view op, std::string_view what, const std::string& value);

   private:
    template <class T>
    static T& writable(const T& t) {
        return const_cast<T&>(t);
    }
    // The first ';'-separated items of a and b that differ, quoted ("nothing" past the end).
    static std::pair<std::string, std::string> first_difference(const std::string& a, const std::string& b);
    std::vector<double> fused_;
};

}  // namespace distribute
}  // namespace tfx

#ifndef TFX_COMPILED_LIB
#include "impl/strategy.ipp"
#endif
