#pragma once
// Checks shared by tests/test_layers*.cpp: a built layer's training passes against central finite
// differences, and its inference expression against its training forward pass.
//
//   check_layer_gradients(l, x, seed[, through_inference])  forward_train(x), then for a random cotangent g:
//       - backward<true>(g) gives dx, backward<false>(g) gives nullptr, and both give the same
//         parameter gradients (gradients(), in the order of trainable());
//       - dx and every parameter gradient equal the central differences of <g, forward_train(x)>
//         (or of <g, l(x)>), moving each element of x and of each variable (in place) by +-h.
//   check_inference_matches_training(l, x)  l(x) == forward_train(x) (layers whose two passes agree).
//   check_spec_gradients<In>(spec, {batch sizes}, through_inference)  builds spec for double In,
//       gives every variable random values, and runs check_layer_gradients for each batch size.
#include <tfx/nn/layers.hpp>

#include "test_autodiff_check.hpp"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace laytest {

using adtest::close;
using adtest::dot;
using adtest::fill_signed;
using adtest::fill_uniform;
using adtest::mismatch_log;
using adtest::rng;

// Copies of the tensors a tuple of references points to.
template <class Tuple>
auto copy_tuple(const Tuple& t) {
    return std::apply([](const auto&... v) { return std::tuple{std::remove_cvref_t<decltype(v)>(v)...}; }, t);
}

// through_inference: the finite differences are taken of <g, l(x)> instead of <g, forward_train(x)>
// (for layers whose two passes must agree: every layer but dropout and batch_norm).
template <class L>
std::string check_layer_gradients(L& l, typename L::input_type& x, std::uint64_t seed, bool through_inference = false,
                                  double h = 1e-6, double tol = 1e-6) {
    rng r(seed);
    tfx::random::generator gen(seed + 1);
    tfx::nn::train_context ctx{&gen};
    using Y = typename L::output_type;
    mismatch_log log;

    Y g = l.forward_train(x, ctx);
    fill_uniform(g, r, -1, 1);
    const auto* dxp = l.template backward<true>(g);
    if (!dxp) return "backward<true> returned nullptr";
    const typename L::input_type dx = *dxp;
    if (dx.shape() != x.shape()) return "dx has a shape other than x's";
    const auto grads = copy_tuple(l.gradients());

    // backward<false>: the same parameter gradients, no dx.
    if (l.template backward<false>(g) != nullptr) log.compare("backward<false> returns nullptr", 1, 0);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        [[maybe_unused]] const auto again = l.gradients();
        (
            [&] {
                const auto& a = std::get<I>(again);
                const auto& b = std::get<I>(grads);
                for (std::size_t k = 0; k < b.size(); ++k)
                    log.compare("backward<false> d " + std::string(L::trainable_names[I]) + "[" + std::to_string(k) + "]",
                                double(a.data()[k]), double(b.data()[k]), 1e-13);
            }(),
            ...);
    }(std::make_index_sequence<std::tuple_size_v<decltype(grads)>>{});

    auto objective = [&] {
        if (through_inference) return dot(Y(l(x)), g);
        return dot(l.forward_train(x, ctx), g);
    };
    auto fd = [&](auto& v) {  // d<g, y>/dv by central differences, v an element of x or of a variable
        const auto v0 = v;
        v = v0 + h;
        const double up = objective();
        v = v0 - h;
        const double down = objective();
        v = v0;
        return (up - down) / (2 * h);
    };
    for (std::size_t k = 0; k < x.size(); ++k)
        log.compare("dx[" + std::to_string(k) + "]", double(dx.data()[k]), fd(x.data()[k]), tol);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        [[maybe_unused]] auto vars = l.trainable();
        (
            [&] {
                auto& v = std::get<I>(vars);
                const auto& dv = std::get<I>(grads);
                if (dv.shape() != v.shape()) {
                    log.compare("shape of d " + std::string(L::trainable_names[I]), 0, 1);
                    return;
                }
                for (std::size_t k = 0; k < v.size(); ++k)
                    log.compare("d " + std::string(L::trainable_names[I]) + "[" + std::to_string(k) + "]", double(dv.data()[k]),
                                fd(v.data()[k]), tol);
            }(),
            ...);
    }(std::make_index_sequence<std::tuple_size_v<decltype(grads)>>{});
    return log.str();
}

template <class L>
std::string check_inference_matches_training(L& l, const typename L::input_type& x, double tol = 1e-6) {
    tfx::random::generator gen(3);
    tfx::nn::train_context ctx{&gen};
    const typename L::output_type inf = l(x);
    const auto& tr = l.forward_train(x, ctx);
    if (inf.shape() != tr.shape()) return "l(x) and forward_train(x) differ in shape";
    mismatch_log log;
    for (std::size_t k = 0; k < tr.size(); ++k)
        log.compare("l(x)[" + std::to_string(k) + "]", double(inf.data()[k]), double(tr.data()[k]), tol);
    return log.str();
}

// Builds spec for double input In = [?, E...], initializes it, gives every variable random values (a zero
// bias or unit gamma would hide a missing term), and checks its gradients for each batch size.
template <class In, class Spec>
void check_spec_gradients(const Spec& spec, std::initializer_list<std::size_t> batches, bool through_inference = true) {
    auto l = spec.template build<double, In>();
    tfx::random::generator gen(31);
    l.initialize(gen);
    rng r(32);
    std::apply([&](auto&... v) { (fill_uniform(v, r, -0.8, 0.8), ...); }, l.trainable());
    for (std::size_t batch : batches) {
        typename decltype(l)::input_type x(tfx::uninitialized, [&] {
            tfx::dims_t<In::rank> d;
            for (std::size_t i = 0; i < In::rank; ++i) d[i] = i == 0 ? batch : std::size_t(In::extents[i]);
            return d;
        }());
        fill_uniform(x, r, -1.5, 1.5);
        INFO(decltype(l)::kind << " on a batch of " << batch);
        const std::string m = check_layer_gradients(l, x, 100 + batch, through_inference);
        INFO(m);
        CHECK(m.empty());
    }
}


}  // namespace laytest
