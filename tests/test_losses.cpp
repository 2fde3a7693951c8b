// tfx::losses: values against the published formulas (computed here, in double, element by
// element) and against the examples of the tf.keras.losses documentation; the run-time checks
// (check() and the shape checks of the call) and the conditions behind the static_asserts. The
// gradients are in test_losses_grad.cpp (split for the compiler).
//
// Compile-fail cases: building this file with -DTFX_LOSSES_COMPILE_FAIL=<n> must stop at the
// static_assert quoted in the case.
#include <tfx/nn/losses.hpp>

#ifdef TFX_LOSSES_COMPILE_FAIL
#include <tfx/tfx.hpp>

void compile_fail_case() {
    tfx::tensor<float, tfx::dyn, 10> logits(4);
    tfx::tensor<std::int64_t, tfx::dyn> labels(4);
    tfx::tensor<float, tfx::dyn, 4> y4(4);
    tfx::tensor<float, tfx::dyn> p(4);
#if TFX_LOSSES_COMPILE_FAIL == 1
    // expect: tfx: categorical_crossentropy: y_pred needs a class axis
    (void)tfx::losses::categorical_crossentropy{}(p, p);
#elif TFX_LOSSES_COMPILE_FAIL == 2
    // expect: tfx: loss: y_true and y_pred have incompatible shapes
    (void)tfx::losses::mean_squared_error{}(y4, logits);
#elif TFX_LOSSES_COMPILE_FAIL == 3
    // expect: tfx: sparse_categorical_crossentropy: labels must have y_pred's shape without its class axis
    (void)tfx::losses::sparse_categorical_crossentropy{}(y4, logits);
#elif TFX_LOSSES_COMPILE_FAIL == 4
    // expect: tfx: categorical_crossentropy: y_true must be one-hot
    (void)tfx::losses::categorical_crossentropy{}(labels, logits);
#elif TFX_LOSSES_COMPILE_FAIL == 5
    // expect: tfx: loss: y_pred must have floating-point elements
    (void)tfx::losses::binary_crossentropy{}(labels, labels);
#endif
}

#else

#include <tfx/tfx.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace {

using tfx::dyn;
using tfx::shape;
using tfx::tensor;
namespace losses = tfx::losses;

constexpr double eps = 1e-7;

// Reference values, one element at a time in double.
template <class A, class B, class F>
double mean_of(const A& t, const B& p, F f) {
    double s = 0;
    for (std::size_t i = 0; i < p.size(); ++i) s += f(double(t.data()[i]), double(p.data()[i]));
    return s / double(p.size());
}
double clip(double v, double lo, double hi) { return std::min(std::max(v, lo), hi); }
double bce_probability(double t, double p) {
    const double c = clip(p, eps, 1 - eps);
    return -(t * std::log(c + eps) + (1 - t) * std::log(1 - c + eps));
}
double bce_logit(double t, double x) { return std::log1p(std::exp(x)) - x * t; }  // moderate x only

// Categorical: rows of C values.
template <class A, class B>
double cce_probability_ref(const A& t, const B& p, std::size_t C, double smoothing = 0) {
    const std::size_t n = p.size() / C;
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double s = 0;
        for (std::size_t c = 0; c < C; ++c) s += double(p.data()[i * C + c]);
        for (std::size_t c = 0; c < C; ++c) {
            const double tc = double(t.data()[i * C + c]) * (1 - smoothing) + smoothing / double(C);
            total -= tc * std::log(clip(double(p.data()[i * C + c]) / s, eps, 1 - eps));
        }
    }
    return total / double(n);
}
template <class A, class B>
double cce_logit_ref(const A& t, const B& x, std::size_t C, double smoothing = 0) {
    const std::size_t n = x.size() / C;
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double m = -std::numeric_limits<double>::infinity(), s = 0;
        for (std::size_t c = 0; c < C; ++c) m = std::max(m, double(x.data()[i * C + c]));
        for (std::size_t c = 0; c < C; ++c) s += std::exp(double(x.data()[i * C + c]) - m);
        const double lse = m + std::log(s);
        for (std::size_t c = 0; c < C; ++c) {
            const double tc = double(t.data()[i * C + c]) * (1 - smoothing) + smoothing / double(C);
            total -= tc * (double(x.data()[i * C + c]) - lse);
        }
    }
    return total / double(n);
}
// Sparse: Keras takes log(clip(p)) as logits when from_logits is false.
template <class L, class B>
double scce_ref(const L& labels, const B& x, std::size_t C, bool from_logits) {
    const std::size_t n = x.size() / C;
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
        auto z = [&](std::size_t c) {
            const double v = double(x.data()[i * C + c]);
            return from_logits ? v : std::log(clip(v, eps, 1 - eps));
        };
        double m = -std::numeric_limits<double>::infinity(), s = 0;
        for (std::size_t c = 0; c < C; ++c) m = std::max(m, z(c));
        for (std::size_t c = 0; c < C; ++c) s += std::exp(z(c) - m);
        total += m + std::log(s) - z(std::size_t(labels.data()[i]));
    }
    return total / double(n);
}

template <class E>
double value_of(const E& e) {
    tensor<typename E::value_type> v = e;
    return double(v());
}

template <class L>
std::string message_of(const L& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(nothing thrown)";
}

}  // namespace

// ---------------------------------------------------------------- values

TEST_CASE("mean_squared_error, mean_absolute_error and huber match their formulas", "[losses]") {
    const tensor<double, dyn, 2> t{{0, 1}, {1, 1}, {2, 0}};
    const tensor<double, dyn, 2> p{{0.5, 1}, {1.5, 0}, {2, 2}};  // errors 0.5 0 0.5 -1 0 2
    CHECK(value_of(losses::mean_squared_error{}(t, p)) == Approx(5.5 / 6).epsilon(1e-14));
    CHECK(value_of(losses::mean_absolute_error{}(t, p)) == Approx(4.0 / 6).epsilon(1e-14));
    // delta 1: 0.125 0 0.125 0.5 0 (2 - 0.5); delta 0.5: 0.125 0 0.125 (0.5 - 0.125) 0 (1 - 0.125)
    CHECK(value_of(losses::huber{}(t, p)) == Approx(2.25 / 6).epsilon(1e-14));
    CHECK(value_of(losses::huber{.delta = 0.5}(t, p)) == Approx(1.5 / 6).epsilon(1e-14));
    auto huber_ref = [](double d) {
        return [d](double a, double b) {
            const double e = std::abs(b - a);
            return e <= d ? 0.5 * e * e : d * e - 0.5 * d * d;
        };
    };
    CHECK(value_of(losses::huber{.delta = 1.7}(t, p)) == Approx(mean_of(t, p, huber_ref(1.7))).epsilon(1e-14));
    CHECK(losses::huber::name == std::string("huber_loss"));
    CHECK(losses::mean_squared_error::name == std::string("mean_squared_error"));
}

TEST_CASE("regression losses give the tf.keras documentation's values", "[losses]") {
    const tensor<double, dyn, 2> t{{0, 1}, {0, 0}};
    const tensor<double, dyn, 2> p{{1, 1}, {1, 0}}, q{{0.6, 0.4}, {0.4, 0.6}};
    CHECK(value_of(losses::mean_squared_error{}(t, p)) == Approx(0.5));
    CHECK(value_of(losses::mean_absolute_error{}(t, p)) == Approx(0.5));
    CHECK(value_of(losses::huber{}(t, q)) == Approx(0.155).margin(5e-4));
}

TEST_CASE("labels of shape [N] go with predictions [N, 1] and back, and integer labels are cast", "[losses]") {
    const tensor<std::int32_t, dyn> t{1, 0, 3};
    const tensor<float, dyn, 1> p{{0.5f}, {0.f}, {1.f}};
    const tensor<float, dyn> p1{0.5f, 0.f, 1.f};
    const tensor<float, dyn, 1> t1{{1.f}, {0.f}, {3.f}};
    // Not the [3, 3] broadcast: (0.25 + 0 + 4) / 3.
    CHECK(value_of(losses::mean_squared_error{}(t, p)) == Approx(4.25 / 3));
    CHECK(value_of(losses::mean_squared_error{}(t1, p1)) == Approx(4.25 / 3));
    CHECK(value_of(losses::mean_absolute_error{}(t, p)) == Approx(2.5 / 3));
}

TEST_CASE("binary_crossentropy from probabilities and from logits matches the formula", "[losses]") {
    const tensor<double, dyn, 2> t{{1, 0}, {0, 1}, {1, 1}, {0, 0}};
    const tensor<double, dyn, 2> p{{0.9, 0.2}, {0.6, 0.3}, {0.999, 1.0}, {0.0, 0.45}};  // 1.0 and 0.0 are clipped
    const tensor<double, dyn, 2> x{{2.5, -1.0}, {0.3, -0.7}, {4.0, 0.1}, {-3.0, 1.5}};
    CHECK(value_of(losses::binary_crossentropy{}(t, p)) == Approx(mean_of(t, p, bce_probability)).epsilon(1e-13));
    CHECK(value_of(losses::binary_crossentropy{.from_logits = true}(t, x)) ==
          Approx(mean_of(t, x, bce_logit)).epsilon(1e-13));
    SECTION("label smoothing moves the targets towards 0.5") {
        auto smooth = [](double s) { return [s](double a, double b) { return bce_probability(a * (1 - s) + 0.5 * s, b); }; };
        auto smooth_logit = [](double s) { return [s](double a, double b) { return bce_logit(a * (1 - s) + 0.5 * s, b); }; };
        CHECK(value_of(losses::binary_crossentropy{.label_smoothing = 0.2}(t, p)) ==
              Approx(mean_of(t, p, smooth(0.2))).epsilon(1e-13));
        CHECK(value_of(losses::binary_crossentropy{.from_logits = true, .label_smoothing = 0.1}(t, x)) ==
              Approx(mean_of(t, x, smooth_logit(0.1))).epsilon(1e-13));
    }
    SECTION("the tf.keras documentation's examples") {
        const tensor<double, dyn, 2> kt{{0, 1}, {0, 0}}, kp{{0.6, 0.4}, {0.4, 0.6}};
        CHECK(value_of(losses::binary_crossentropy{}(kt, kp)) == Approx(0.815).margin(5e-4));
        // The second example's 4 values as [2, 2]: the loss is their mean either way.
        const tensor<double, dyn, 2> lt{{0, 1}, {0, 0}}, lx{{-18.6, 0.51}, {2.94, -12.8}};
        CHECK(value_of(losses::binary_crossentropy{.from_logits = true}(lt, lx)) == Approx(0.865).margin(5e-4));
    }
    SECTION("large logits stay finite in float") {
        const tensor<float, dyn> yt{1, 0, 1, 0};
        const tensor<float, dyn, 1> big{{-200.f}, {200.f}, {200.f}, {-200.f}};  // [N] labels, [N, 1] logits
        CHECK(value_of(losses::binary_crossentropy{.from_logits = true}(yt, big)) == Approx(100.0));
    }
}

TEST_CASE("categorical_crossentropy from probabilities and from logits matches the formula", "[losses]") {
    const tensor<double, dyn, 3> t{{0, 1, 0}, {0, 0, 1}, {1, 0, 0}, {0.2, 0.3, 0.5}};
    // Rows that do not sum to 1 are normalized; zeros are clipped to eps.
    const tensor<double, dyn, 3> p{{0.05, 0.95, 0}, {0.1, 0.8, 0.1}, {0.2, 0.6, 1.2}, {0.3, 0.3, 0.4}};
    const tensor<double, dyn, 3> x{{1.0, 2.0, -1.0}, {0.5, 0.1, -0.3}, {3.0, -2.0, 0.0}, {0.0, 0.0, 0.0}};
    CHECK(value_of(losses::categorical_crossentropy{}(t, p)) == Approx(cce_probability_ref(t, p, 3)).epsilon(1e-12));
    CHECK(value_of(losses::categorical_crossentropy{.from_logits = true}(t, x)) ==
          Approx(cce_logit_ref(t, x, 3)).epsilon(1e-13));
    CHECK(value_of(losses::categorical_crossentropy{.label_smoothing = 0.1}(t, p)) ==
          Approx(cce_probability_ref(t, p, 3, 0.1)).epsilon(1e-12));
    CHECK(value_of(losses::categorical_crossentropy{.from_logits = true, .label_smoothing = 0.3}(t, x)) ==
          Approx(cce_logit_ref(t, x, 3, 0.3)).epsilon(1e-13));
    SECTION("the tf.keras documentation's example, and large logits in float") {
        const tensor<double, dyn, 3> kt{{0, 1, 0}, {0, 0, 1}}, kp{{0.05, 0.95, 0}, {0.1, 0.8, 0.1}};
        CHECK(value_of(losses::categorical_crossentropy{}(kt, kp)) == Approx(1.177).margin(5e-4));
        const tensor<float, dyn, 3> ft{{0, 1, 0}, {0, 0, 1}}, big{{1000.f, 0.f, -1000.f}, {0.f, 0.f, 0.f}};
        CHECK(value_of(losses::categorical_crossentropy{.from_logits = true}(ft, big)) ==
              Approx((1000.0 + std::log(3.0)) / 2).epsilon(1e-6));
    }
}

TEST_CASE("sparse_categorical_crossentropy matches the formula for int32, int64, [N, 1] and float labels", "[losses]") {
    const tensor<double, dyn, 3> x{{1.0, 2.0, -1.0}, {0.5, 0.1, 2.0}, {3.0, -2.0, 0.0}};
    const tensor<double, dyn, 3> p{{0.1, 0.6, 0.0}, {0.25, 0.25, 0.25}, {0.5, 0.1, 0.4}};  // rows summing to 0.7, 0.75, 1
    const tensor<std::int64_t, dyn> y64{1, 2, 0};
    const tensor<std::int32_t, dyn> y32{1, 2, 0};
    const tensor<std::int64_t, dyn, 1> ycol{{1}, {2}, {0}};
    const tensor<float, dyn> yf{1, 2, 0};
    for (bool logits : {true, false}) {
        INFO("from_logits = " << logits);
        const auto& in = logits ? x : p;
        const double want = scce_ref(y64, in, 3, logits);
        const losses::sparse_categorical_crossentropy loss{.from_logits = logits};
        CHECK(value_of(loss(y64, in)) == Approx(want).epsilon(1e-13));
        CHECK(value_of(loss(y32, in)) == Approx(want).epsilon(1e-13));
        CHECK(value_of(loss(ycol, in)) == Approx(want).epsilon(1e-13));
        const tensor<float, dyn, 3> inf = tfx::cast<float>(in);
        CHECK(value_of(loss(yf, inf)) == Approx(want).epsilon(1e-6));
    }
    // From logits it is the categorical cross-entropy of the one-hot labels.
    const tensor<double, dyn, 3> onehot{{0, 1, 0}, {0, 0, 1}, {1, 0, 0}};
    CHECK(value_of(losses::sparse_categorical_crossentropy{.from_logits = true}(y64, x)) ==
          Approx(cce_logit_ref(onehot, x, 3)).epsilon(1e-13));
    SECTION("the tf.keras documentation's example") {
        const tensor<std::int64_t, dyn> kt{1, 2};
        const tensor<double, dyn, 3> kp{{0.05, 0.95, 0}, {0.1, 0.8, 0.1}};
        CHECK(value_of(losses::sparse_categorical_crossentropy{}(kt, kp)) == Approx(1.177).margin(5e-4));
    }
    SECTION("a class axis after two batch axes: y_pred [2, 3, 4], labels [2, 3]") {
        tensor<double, 2, 3, 4> x3;
        for (std::size_t i = 0; i < x3.size(); ++i) x3.data()[i] = std::sin(double(i));
        const tensor<std::int64_t, 2, 3> l3{{0, 1, 2}, {3, 2, 1}};
        CHECK(value_of(losses::sparse_categorical_crossentropy{.from_logits = true}(l3, x3)) ==
              Approx(scce_ref(l3, x3, 4, true)).epsilon(1e-13));
    }
}

TEMPLATE_TEST_CASE("the sparse cross-entropy's kernels on rows of any length: SIMD body, remainder, long rows",
                   "[losses]", float, double) {
    using T = TestType;
    // 29 and 61 classes reach the two-batch loop, the one-batch loop and the scalar remainder with
    // AVX2 or AVX-512; 5000 the long-row sum (float sums blocks of 4096 in double).
    for (std::size_t classes : {1, 3, 29, 61, 5000}) {
        INFO("classes = " << classes);
        const std::size_t rows = 3;
        tensor<T, dyn, dyn> z(rows, classes);
        tensor<T, dyn> g(rows);
        tensor<std::int64_t, dyn> y(rows);
        for (std::size_t i = 0; i < z.size(); ++i) z.data()[i] = T(4 * std::sin(0.37 * double(i) + 1));
        for (std::size_t i = 0; i < rows; ++i) {
            g(i) = T(0.5 + 0.25 * double(i));
            y(i) = std::int64_t((7 * i + 2) % classes);
        }
        const tensor<T, dyn> loss = losses::detail::sparse_softmax_xent(tfx::as_node(z), tfx::as_node(y));
        const tensor<T, dyn, dyn> grad = losses::detail::sparse_softmax_xent_grad(z, y, g);
        const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
        for (std::size_t i = 0; i < rows; ++i) {
            double m = -std::numeric_limits<double>::infinity(), s = 0, worst = 0;
            for (std::size_t c = 0; c < classes; ++c) m = std::max(m, double(z(i, c)));
            for (std::size_t c = 0; c < classes; ++c) s += std::exp(double(z(i, c)) - m);
            const std::size_t l = std::size_t(y(i));
            CHECK(double(loss(i)) == Approx(std::log(s) + m - double(z(i, l))).epsilon(tol).margin(tol));
            for (std::size_t c = 0; c < classes; ++c) {
                const double want = double(g(i)) * (std::exp(double(z(i, c)) - m) / s - (c == l ? 1 : 0));
                worst = std::max(worst, std::abs(double(grad(i, c)) - want));
            }
            CHECK(worst <= tol);
        }
    }
}

TEST_CASE("a loss evaluates the same eagerly and inside tfx::function", "[losses]") {
    const tensor<double, dyn, 3> t{{0, 1, 0}, {1, 0, 0}};
    const tensor<double, dyn, 3> x{{0.3, -1.2, 2.0}, {1.5, 0.25, -0.5}};
    const losses::categorical_crossentropy loss{.from_logits = true, .label_smoothing = 0.05};
    auto f = tfx::function([loss](auto y, auto z) { return loss(y, z * 2.0); });
    const tensor<double, dyn, 3> x2 = x * 2.0;
    CHECK(f(t, x)() == Approx(value_of(loss(t, x2))).epsilon(1e-14));
    CHECK(f(t, x)() == Approx(cce_logit_ref(t, x2, 3, 0.05)).epsilon(1e-13));
}

TEST_CASE("check() names the loss, the bad label and its row", "[losses]") {
    const losses::sparse_categorical_crossentropy scce{.from_logits = true};
    const tensor<float, dyn, 10> logits(4);
    SECTION("a label >= C") {
        const tensor<std::int64_t, dyn> y{1, 9, 10, 3};
        CHECK_THROWS_AS(scce.check(y, logits), tfx::value_error);
        const std::string m = message_of([&] { scce.check(y, logits); });
        CHECK_THAT(m, Catch::Contains("sparse_categorical_crossentropy") && Catch::Contains("label 10") &&
                          Catch::Contains("row 2") && Catch::Contains("[0, 10)"));
        // The dims form says the same.
        CHECK(message_of([&] { scce.check(y, tfx::dims_t<2>{4, 10}); }) == m);
        // Evaluating the loss on it is refused too (by its kernel), as is its gradient, with the same words.
        CHECK_THROWS_AS(tensor<float>(scce(y, logits)), tfx::value_error);
        CHECK(message_of([&] { (void)tensor<float>(scce(y, logits)); }) == m);
        auto g = tfx::grad<1>([scce](auto yy, auto xx) { return scce(yy, xx); });
        CHECK(message_of([&] { (void)g(y, logits); }) == m);
    }
    SECTION("a negative label, int32 labels of shape [N, 1]") {
        const tensor<std::int32_t, dyn, 1> y{{-1}, {0}, {0}, {0}};
        CHECK_THAT(message_of([&] { scce.check(y, logits); }), Catch::Contains("label -1") && Catch::Contains("row 0"));
    }
    SECTION("a float label that is not an integer") {
        const tensor<float, dyn> y{0, 1.5f, 2, 3};
        CHECK_THROWS_AS(scce.check(y, logits), tfx::value_error);
        CHECK_THAT(message_of([&] { scce.check(y, logits); }), Catch::Contains("label 1.5") && Catch::Contains("not an integer"));
    }
    SECTION("valid labels pass") {
        const tensor<std::int64_t, dyn> y{0, 9, 5, 3};
        CHECK_NOTHROW(scce.check(y, logits));
        CHECK_NOTHROW(scce.check(y, tfx::dims_t<2>{4, 10}));
    }
    SECTION("batch extents that differ are a shape_error naming both shapes") {
        const tensor<std::int64_t, dyn> y{0, 1, 2};
        CHECK_THROWS_AS(scce.check(y, logits), tfx::shape_error);
        CHECK_THAT(message_of([&] { scce.check(y, logits); }),
                   Catch::Contains("sparse_categorical_crossentropy") && Catch::Contains("[3]") && Catch::Contains("[4, 10]"));
        const tensor<std::int64_t, dyn, 2> y2(4);
        CHECK_THROWS_AS(scce.check(y2, logits), tfx::shape_error);
        CHECK_THROWS_AS(tensor<float>(scce(y, logits)), tfx::shape_error);
    }
}

TEST_CASE("check() of binary and categorical targets: values in [0, 1], shapes that agree", "[losses]") {
    const tensor<double, dyn, 2> p(3);
    SECTION("binary") {
        const losses::binary_crossentropy bce{};
        const tensor<double, dyn, 2> ok{{0, 1}, {0.5, 1}, {1, 0}}, bad{{0, 1}, {1, 1.5}, {1, 0}};
        CHECK_NOTHROW(bce.check(ok, p));
        CHECK_THROWS_AS(bce.check(bad, p), tfx::value_error);
        CHECK_THAT(message_of([&] { bce.check(bad, p); }),
                   Catch::Contains("binary_crossentropy") && Catch::Contains("target 1.5") && Catch::Contains("index [1, 1]"));
        const tensor<std::int32_t, dyn> col{0, 2, 1};  // [N] labels for [N, 1] predictions
        CHECK_THAT(message_of([&] { bce.check(col, tfx::dims_t<2>{3, 1}); }), Catch::Contains("target 2") && Catch::Contains("row 1"));
        const tensor<double, dyn, 3> wide(3);
        CHECK_THROWS_AS(bce.check(wide, p), tfx::shape_error);
        CHECK_THAT(message_of([&] { bce.check(wide, p); }), Catch::Contains("[3, 3]") && Catch::Contains("[3, 2]"));
    }
    SECTION("categorical") {
        const losses::categorical_crossentropy cce{};
        const tensor<double, dyn, 2> ok{{0, 1}, {1, 0}, {0.5, 0.5}}, bad{{0, 1}, {1, 0}, {-0.5, 1.5}};
        CHECK_NOTHROW(cce.check(ok, p));
        CHECK_THAT(message_of([&] { cce.check(bad, p); }), Catch::Contains("target -0.5") && Catch::Contains("index [2, 0]"));
        const tensor<double, dyn, 2> short_batch(2);
        CHECK_THROWS_AS(cce.check(short_batch, p), tfx::shape_error);
        CHECK_THROWS_AS(cce(short_batch, p), tfx::shape_error);
    }
    SECTION("regression losses check shapes only") {
        const tensor<double, dyn, 2> y{{-5, 7}, {1, 2}, {3, 4}};
        CHECK_NOTHROW(losses::mean_squared_error{}.check(y, p));
        const tensor<double, dyn> y1(3);
        CHECK_THROWS_AS(losses::huber{}.check(y1, p), tfx::shape_error);  // [3] goes with [3, 1], not [3, 2]
        const tensor<double, dyn, dyn> y33(3, 3);
        CHECK_THAT(message_of([&] { losses::mean_absolute_error{}(y33, p); }),
                   Catch::Contains("mean_absolute_error") && Catch::Contains("[3, 3]") && Catch::Contains("[3, 2]"));
    }
}

TEST_CASE("the conditions behind the losses' static_asserts", "[losses]") {
    using losses::mean_squared_error;
    using losses::sparse_categorical_crossentropy;
    STATIC_REQUIRE(losses::shapes_compatible<mean_squared_error, shape<dyn, 3>, shape<4, 3>>);
    STATIC_REQUIRE(losses::shapes_compatible<mean_squared_error, shape<dyn>, shape<dyn, 1>>);
    STATIC_REQUIRE(losses::shapes_compatible<mean_squared_error, shape<dyn, 1>, shape<dyn>>);
    STATIC_REQUIRE_FALSE(losses::shapes_compatible<mean_squared_error, shape<dyn, 3>, shape<dyn, 4>>);
    STATIC_REQUIRE_FALSE(losses::shapes_compatible<mean_squared_error, shape<dyn>, shape<dyn, 3>>);
    STATIC_REQUIRE_FALSE(losses::shapes_compatible<mean_squared_error, shape<dyn>, shape<dyn, 1, 1>>);
    STATIC_REQUIRE(losses::sparse_shapes_compatible<sparse_categorical_crossentropy, shape<dyn>, shape<dyn, 10>>);
    STATIC_REQUIRE(losses::sparse_shapes_compatible<sparse_categorical_crossentropy, shape<dyn, 1>, shape<dyn, 10>>);
    STATIC_REQUIRE_FALSE(losses::sparse_shapes_compatible<sparse_categorical_crossentropy, shape<dyn, 10>, shape<dyn, 10>>);
    STATIC_REQUIRE_FALSE(losses::sparse_shapes_compatible<sparse_categorical_crossentropy, shape<3>, shape<4, 10>>);
    STATIC_REQUIRE_FALSE(losses::has_class_axis<losses::categorical_crossentropy, shape<dyn>>);
    STATIC_REQUIRE_FALSE(losses::floating_prediction<losses::binary_crossentropy, std::int64_t>);
}

#endif
