// Shared subexpressions are evaluated once: f(w, x) = sum(tanh(x w) * (x w)) computes the forward
// matmul once per call, in tfx::function and in value_and_grad (f.stats(): kernel results computed
// and reused). And the finite-difference checker itself rejects a wrong derivative.
#include "test_autodiff_check.hpp"

namespace {

using adtest::rng;
using tfx::dyn;
using tfx::tensor;

auto shared = [](auto w, auto x) { return sum(tanh(matmul(x, w)) * matmul(x, w)); };

}  // namespace

TEST_CASE("sum(tanh(x w) * (x w)): the forward matmul is computed once per call", "[autodiff]") {
    rng r(1401);
    tensor<double, 6, 5> w;
    tensor<double, dyn, 6> x(7);
    adtest::fill_uniform(w, r, -1, 1);
    adtest::fill_uniform(x, r, -1, 1);

    // tfx::function: the reduction's fused loop reads x w twice; the second read reuses the first.
    auto f = tfx::function(shared);
    const double value = f(w, x)();
    CHECK(f.stats().kernels_computed == 1);
    CHECK(f.stats().kernels_reused == 1);

    // value_and_grad: the only kernel result kept is x w. Its adjoint is reached along two edges
    // (from tanh and from the product), so their sum, (x w) * (1 - tanh^2(x w)) + tanh(x w), is
    // evaluated once into the workspace: x w is computed there and reused by the two other reads;
    // the value's reduction reads it twice more (reused). The backward product x^T (adjoint) and the
    // reduction are written straight into the outputs and are not kept.
    auto vg = tfx::value_and_grad<0>(shared);
    for (std::size_t call = 1; call <= 3; ++call) {
        INFO("call " << call);
        const auto& [v, dw] = vg(w, x);
        CHECK(v() == Approx(value).epsilon(1e-14));
        CHECK(vg.stats().kernels_computed == call);
        CHECK(vg.stats().kernels_reused == 4 * call);
        (void)dw;
    }

    // With the gradient of x requested too, still one forward matmul per call.
    auto vg01 = tfx::value_and_grad<0, 1>(shared);
    vg01(w, x);
    CHECK(vg01.stats().kernels_computed == 1);

    const std::string m = adtest::check_grad(shared, w, x);
    INFO(m);
    CHECK(m.empty());
}

TEST_CASE("value_and_grad of logsumexp and max: the value is computed once and read by the gradient", "[autodiff]") {
    rng r(1402);
    tensor<double, dyn, 5> x(4);
    adtest::fill_uniform(x, r, -2, 2);
    x(1, 0) = x(1, 3) = 2.5;  // a tie for the maximum of row 1

    // d logsumexp / dx = exp(x - logsumexp(x)): the gradient reads the value's own logsumexp (not a
    // keepdims logsumexp of its own, reshaped in place, not copied), computed once per call.
    auto lse = [](auto x) { return sum(logsumexp<1>(x)); };
    auto vg = tfx::value_and_grad(lse);
    for (std::size_t call = 1; call <= 2; ++call) {
        INFO("call " << call);
        const auto& [v, dx] = vg(x);
        double expect = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            double s = 0;
            for (std::size_t j = 0; j < 5; ++j) s += std::exp(x(i, j));
            expect += std::log(s);
            for (std::size_t j = 0; j < 5; ++j) CHECK(dx(i, j) == Approx(std::exp(x(i, j)) / s).epsilon(1e-13));
        }
        CHECK(v() == Approx(expect).epsilon(1e-13));
        CHECK(vg.stats().kernels_computed == call);  // logsumexp<1>, inside the value's sum
        CHECK(vg.stats().kernels_reused == call);    // and read again, reshaped, by the gradient
    }

    // An output that another output reads is computed once too, whichever comes first.
    auto value_first = tfx::function([](auto x) {
        auto l = logsumexp<1>(x);
        return std::tuple{l, l * 2.0};
    });
    auto value_last = tfx::function([](auto x) {
        auto l = logsumexp<1>(x);
        return std::tuple{l * 2.0, l};
    });
    for (std::size_t call = 1; call <= 2; ++call) {
        INFO("call " << call);
        const auto& [l1, twice1] = value_first(x);
        const auto& [twice2, l2] = value_last(x);
        for (std::size_t i = 0; i < 4; ++i) {
            CHECK(twice1(i) == 2 * l1(i));
            CHECK(twice2(i) == 2 * l2(i));
            CHECK(l1(i) == l2(i));
        }
        CHECK(value_first.stats().kernels_computed == call);
        CHECK(value_first.stats().kernels_reused == call);
        CHECK(value_last.stats().kernels_computed == call);
        CHECK(value_last.stats().kernels_reused == call);
    }

    // max: the gradient compares x with the value's own maxima (ties share the gradient). Per call
    // two kernels: max<1> and the count of ties; max<1> is read twice more, reshaped, by the
    // gradient (in the comparison and in the count), and reused both times.
    auto mx = [](auto x) { return sum(max<1>(x)); };
    auto vgm = tfx::value_and_grad(mx);
    for (std::size_t call = 1; call <= 2; ++call) {
        INFO("call " << call);
        const auto& [vm, dm] = vgm(x);
        double expect = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            double m = x(i, 0);
            for (std::size_t j = 1; j < 5; ++j) m = std::max(m, x(i, j));
            int ties = 0;
            for (std::size_t j = 0; j < 5; ++j) ties += x(i, j) == m;
            CHECK(ties == (i == 1 ? 2 : 1));
            expect += m;
            for (std::size_t j = 0; j < 5; ++j) CHECK(dm(i, j) == (x(i, j) == m ? 1.0 / ties : 0.0));
        }
        CHECK(vm() == expect);
        CHECK(vgm.stats().kernels_computed == 2 * call);
        CHECK(vgm.stats().kernels_reused == 2 * call);
    }

    const std::string m1 = adtest::check_grad(lse, x);
    INFO(m1);
    CHECK(m1.empty());
}

TEST_CASE("the finite-difference check rejects a wrong derivative", "[autodiff]") {
    // A custom op sin(x) whose backward claims cos(x) + 0.01: the checker must report it.
    auto bad_sin = tfx::custom_vjp([](auto x) { return sin(x); },
                                   [](auto g, auto x) { return std::tuple{g * (cos(x) + 0.01)}; });
    auto good_sin = tfx::custom_vjp([](auto x) { return sin(x); }, [](auto g, auto x) { return std::tuple{g * cos(x)}; });
    tensor<double, 5> x{-1.0, -0.3, 0.2, 0.9, 1.4};
    CHECK_FALSE(adtest::check_vjp([bad_sin](auto x) { return bad_sin(x); }, x).empty());
    CHECK(adtest::check_vjp([good_sin](auto x) { return good_sin(x); }, x).empty());
}

TEST_CASE("a product under an elementwise map is written by the GEMM's epilogue, and stored only when read again",
          "[autodiff]") {
    rng r(1403);
    tensor<double, 6, 8> w;
    tensor<double, 8> b;
    tensor<double, dyn, 6> x(5);
    adtest::fill_uniform(w, r, -1, 1);
    adtest::fill_uniform(b, r, -0.5, 0.5);
    adtest::fill_uniform(x, r, -1, 1);
    auto z = [&](std::size_t i, std::size_t j) {
        double s = b(j);
        for (std::size_t k = 0; k < 6; ++k) s += x(i, k) * w(k, j);
        return s;
    };

    // relu(x w + b): nothing else reads x w. The first call stores it (it cannot know yet); from
    // the second call on the product lives only in the output.
    auto layer = tfx::function([](auto w, auto b, auto x) { return relu(matmul(x, w) + b); });
    for (std::size_t call = 1; call <= 3; ++call) {
        INFO("call " << call);
        const auto& y = layer(w, b, x);
        for (std::size_t i = 0; i < 5; ++i)
            for (std::size_t j = 0; j < 8; ++j) CHECK(y(i, j) == Approx(std::max(z(i, j), 0.0)).epsilon(1e-14));
        CHECK(layer.stats().products_fused == call);
        CHECK(layer.stats().products_unkept == call - 1);
        CHECK(layer.stats().kernels_computed == call);
        CHECK(layer.stats().kernels_reused == 0);
    }
    CHECK(layer.stats().allocations == 1);  // the product's buffer, taken on every call (slots are not moved)

    // The same map beside a reduction of the same product: the product is stored on every call
    // and the reduction reads it (reused), it is not computed twice.
    auto both = tfx::function([](auto w, auto b, auto x) { return std::tuple{relu(matmul(x, w) + b), sum(matmul(x, w))}; });
    double total = 0;
    for (std::size_t i = 0; i < 5; ++i)
        for (std::size_t j = 0; j < 8; ++j) total += z(i, j) - b(j);
    for (std::size_t call = 1; call <= 3; ++call) {
        INFO("call " << call);
        const auto& [y, s] = both(w, b, x);
        CHECK(y(4, 7) == Approx(std::max(z(4, 7), 0.0)).epsilon(1e-14));
        CHECK(s() == Approx(total).epsilon(1e-13));
        CHECK(both.stats().products_fused == call);
        CHECK(both.stats().products_unkept == 0);
        CHECK(both.stats().kernels_computed == call);
        CHECK(both.stats().kernels_reused == call);
    }

    // An MLP's loss and gradients: the forward relu(x W1 + b1) and the logits h W2 + b2 are fused;
    // the backward where(relu mask, dlogits W2^T, 0) is fused too, its mask read from the stored
    // h = relu(x W1 + b1) (vjp.hpp). Two products are read by nothing else: x W1 (the mask reads h,
    // not the pre-activation) and dlogits W2^T (the bias's sum reads the where). They are stored
    // only on the first call, which cannot know that yet. Later calls give bit-identical
    // gradients; nothing is allocated.
    tensor<double, 8, 3> w2;
    tensor<double, 3> b2;
    tensor<std::int32_t, dyn> labels{0, 2, 1, 1, 0};
    adtest::fill_uniform(w2, r, -1, 1);
    adtest::fill_uniform(b2, r, -0.5, 0.5);
    auto mlp = [](auto W1, auto b1, auto W2, auto b2, auto x, auto y) {
        auto logits = matmul(relu(matmul(x, W1) + b1), W2) + b2;
        return mean(logsumexp<1>(logits) - gather<1, 1>(logits, y));
    };
    auto vg = tfx::value_and_grad<0, 1, 2, 3>(mlp);
    auto same = [](const auto& a, const auto& b) { return a.size() == b.size() && std::equal(a.data(), a.data() + a.size(), b.data()); };
    const auto first = vg(w, b, w2, b2, x, labels);  // a copy
    const std::size_t allocations = vg.stats().allocations;
    CHECK(vg.stats().products_fused == 3);
    CHECK(vg.stats().products_unkept == 0);
    for (std::size_t call = 2; call <= 3; ++call) {
        INFO("call " << call);
        const auto& again = vg(w, b, w2, b2, x, labels);
        CHECK(std::get<0>(again)() == std::get<0>(first)());
        CHECK(same(std::get<1>(again), std::get<1>(first)));
        CHECK(same(std::get<2>(again), std::get<2>(first)));
        CHECK(same(std::get<3>(again), std::get<3>(first)));
        CHECK(same(std::get<4>(again), std::get<4>(first)));
        CHECK(vg.stats().products_fused == 3 * call);
        CHECK(vg.stats().products_unkept == 2 * (call - 1));
        CHECK(vg.stats().allocations == allocations);
    }
    const std::string m = adtest::check_grad(mlp, w, b, w2, b2, x, labels);
    INFO(m);
    CHECK(m.empty());
}

TEST_CASE("stop_gradient(e) reads e where the call has stored it, and so does relu's mask", "[autodiff]") {
    rng r(1405);
    tensor<double, 6, 8> w;
    tensor<double, 8, 3> w2;
    tensor<double, dyn, 6> x(5);
    adtest::fill_uniform(w, r, -1, 1);
    adtest::fill_uniform(w2, r, -1, 1);
    adtest::fill_uniform(x, r, -1, 1);
    double total = 0;  // sum(relu(x w)) by hand
    for (std::size_t i = 0; i < 5; ++i)
        for (std::size_t j = 0; j < 8; ++j) {
            double s = 0;
            for (std::size_t k = 0; k < 6; ++k) s += x(i, k) * w(k, j);
            total += std::max(s, 0.0);
        }

    // relu(x w) is stored as the operand of the second product; the sum of its stop_gradient reads
    // it there (one reuse per call) instead of computing x w and the relu again.
    auto f = tfx::function([](auto w, auto w2, auto x) {
        return std::tuple{matmul(relu(matmul(x, w)), w2), sum(stop_gradient(relu(matmul(x, w))))};
    });
    for (std::size_t call = 1; call <= 2; ++call) {
        INFO("call " << call);
        const auto& [y, s] = f(w, w2, x);
        CHECK(s() == Approx(total).epsilon(1e-13));
        (void)y;
        CHECK(f.stats().kernels_reused == call);
    }
    // Alone, stop_gradient(e) is e's value.
    auto g = tfx::function([](auto w, auto x) { return sum(stop_gradient(relu(matmul(x, w)))); });
    CHECK(g(w, x)() == Approx(total).epsilon(1e-13));

    // The gradient through relu(x w): its mask reads the stored activation and is still x w > 0,
    // so where x w is exactly 0 (a zero row of x) the gradient of x is 0 (relu'(0) = 0, as TF).
    auto loss = [](auto w, auto w2, auto x) { return sum(square(matmul(relu(matmul(x, w)), w2))); };
    tensor<double, dyn, 6> x0(3);
    adtest::fill_uniform(x0, r, -1, 1);
    for (std::size_t k = 0; k < 6; ++k) x0(1, k) = 0.0;
    auto vg = tfx::value_and_grad<2>(loss);
    const auto& [v, dx] = vg(w, w2, x0);
    CHECK(v() > 0);
    for (std::size_t k = 0; k < 6; ++k) {
        CHECK(dx(1, k) == 0.0);
        CHECK(dx(0, k) != 0.0);
    }
    const std::string m = adtest::check_grad(loss, w, w2, x);
    INFO(m);
    CHECK(m.empty());

    // Where relu(x w) is not stored (it feeds only elementwise ops and a sum), the mask computes it
    // inline from the product, as the mask x w > 0 did: the same kernel results computed and
    // reused per call (computing relu(x w) into memory for the mask would add one computed).
    auto unstored = [](auto w, auto x) { return sum(square(relu(matmul(x, w)) - 0.25)); };
    auto vg2 = tfx::value_and_grad<0>(unstored);
    for (std::size_t call = 1; call <= 2; ++call) {
        INFO("call " << call);
        vg2(w, x);
        CHECK(vg2.stats().kernels_computed == 2 * call);
        CHECK(vg2.stats().kernels_reused == 2 * call);
    }
    const std::string m2 = adtest::check_grad(unstored, w, x);
    INFO(m2);
    CHECK(m2.empty());
}

TEST_CASE("tanh's and sigmoid's adjoints read the stored activation, and still differentiate twice", "[autodiff]") {
    rng r(1407);
    tensor<double, 6, 8> w;
    tensor<double, 8> b;
    tensor<double, 8, 3> w2;
    tensor<double, dyn, 6> x(5);
    adtest::fill_uniform(w, r, -1, 1);
    adtest::fill_uniform(b, r, -0.5, 0.5);
    adtest::fill_uniform(w2, r, -1, 1);
    adtest::fill_uniform(x, r, -1, 1);
    // tanh(x w + b) and sigmoid(x w + b) are stored as the second product's operand: their
    // adjoints (1 - y², y (1 - y)) read them there, so nothing reads x w again and it is not
    // stored from the second call on (the backward product's own product neither).
    auto tanh_net = [](auto w, auto b, auto w2, auto x) { return sum(square(matmul(tanh(matmul(x, w) + b), w2))); };
    auto sigmoid_net = [](auto w, auto b, auto w2, auto x) { return sum(square(matmul(sigmoid(matmul(x, w) + b), w2))); };
    auto vg_t = tfx::value_and_grad<0, 1, 2>(tanh_net);
    auto vg_s = tfx::value_and_grad<0, 1, 2>(sigmoid_net);
    for (std::size_t call = 1; call <= 3; ++call) {
        INFO("call " << call);
        vg_t(w, b, w2, x);
        vg_s(w, b, w2, x);
        CHECK(vg_t.stats().products_fused == 2 * call);
        CHECK(vg_t.stats().products_unkept == 2 * (call - 1));
        CHECK(vg_s.stats().products_unkept == 2 * (call - 1));
    }
    for (const std::string& m : {adtest::check_grad(tanh_net, w, b, w2, x), adtest::check_grad(sigmoid_net, w, b, w2, x)}) {
        INFO(m);
        CHECK(m.empty());
    }
    // Second order through the stored activation: jvp(grad(f)) against finite differences.
    tensor<double, 6, 8> v;
    adtest::fill_uniform(v, r, -1, 1);
    const std::string h = adtest::check_hvp([](auto w, auto w2, auto x) { return sum(square(matmul(tanh(matmul(x, w)), w2))); }, w, v, w2, x);
    INFO(h);
    CHECK(h.empty());
}
