// Optimizers and learning-rate schedules (tfx/optimizers/optimizers.hpp): every optimizer and
// option against its Keras formula computed here in double, the schedules at chosen steps, slot
// names and values, checkpoints of the optimizer state, errors, and no allocation after the first
// apply_gradients.
#include <tfx/io/checkpoint.hpp>
#include <tfx/optimizers/optimizers.hpp>

#include <catch2/catch.hpp>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "io/io_test_util.hpp"

// operator new is counted (tests/counting_new.hpp), and so is malloc's bytes in use.
#include "counting_new.hpp"

namespace {
std::atomic<std::size_t>& counted_news = tfx_test::operator_news;
}  // namespace

using namespace tfx;
namespace sch = tfx::optimizers::schedules;
using Catch::Matchers::Contains;

namespace {

// ---- test data

// Deterministic values in [-1, 1).
double pseudo(std::uint64_t i) {
    i = i * 6364136223846793005ULL + 1442695040888963407ULL;
    i ^= i >> 33;
    i *= 0xff51afd7ed558ccdULL;
    i ^= i >> 33;
    return double(i >> 11) / double(1ULL << 53) * 2 - 1;
}
template <class T, index_t... E>
void fill(tensor<T, E...>& t, std::uint64_t seed) {
    for (std::size_t j = 0; j < t.size(); ++j) t.data()[j] = T(pseudo(seed * 1000 + j));
}
template <class T, index_t... E>
std::vector<double> values(const tensor<T, E...>& t) {
    return std::vector<double>(t.begin(), t.end());
}

// Four variables: float and double, static and dynamic extents, ranks 0 to 2. The sizes leave a
// scalar tail after the SIMD batches (35 floats, 21 doubles) or have no full batch at all.
struct vars4 {
    tensor<float, 5, 7> a;
    tensor<double, dyn, 3> b = tensor<double, dyn, 3>(7);
    tensor<double> c;
    tensor<float, dyn> d = tensor<float, dyn>(3);
    explicit vars4(std::uint64_t seed) {
        fill(a, seed);
        fill(b, seed + 1);
        fill(c, seed + 2);
        fill(d, seed + 3);
    }
    auto tie() { return std::tie(a, b, c, d); }
    auto ctie() const { return std::tie(a, b, c, d); }
    std::vector<std::vector<double>> all() const { return {values(a), values(b), values(c), values(d)}; }
};
const std::vector<std::string> names4 = {"dense/kernel", "dense/bias", "scale", "embedding/table"};
const bool is_float4[] = {true, false, false, true};

// The optimizer's variables in visiting order: (name, values).
using named_values = std::vector<std::pair<std::string, std::vector<double>>>;
template <class Opt>
named_values state_of(const Opt& opt) {
    named_values r;
    opt.for_each_variable([&](std::string_view name, const auto& t) {
        r.emplace_back(std::string(name), std::vector<double>(t.begin(), t.end()));
    });
    return r;
}

// |a - r| <= tol * (|r| + 0.1): computed in float (tol 2e-6) or in double (tol 1e-13).
bool close(const std::vector<double>& a, const std::vector<double>& r, bool is_float) {
    const double tol = is_float ? 2e-6 : 1e-13;
    if (a.size() != r.size()) return false;
    for (std::size_t j = 0; j < a.size(); ++j)
        if (!(std::abs(a[j] - r[j]) <= tol * (std::abs(r[j]) + 0.1))) return false;
    return true;
}

// ---- the reference: each formula written out in double, one element at a time

struct ref_var {
    std::vector<double> w;
    std::map<std::string, std::vector<double>> s;
};
using slot_list = std::vector<std::pair<std::string, double>>;  // slot name, initial value
// rule(w, slots, g, iteration) updates one element: its variable value and its slots by name.
using ref_rule = std::function<void(double& w, std::map<std::string, double*>& s, double g, std::int64_t it)>;

// Runs opt and the reference side by side for `steps` steps on vars4 and checks, after every step,
// the variables, the slots (names, order and values) and iterations. Returns the reference state.
template <class Opt>
std::vector<ref_var> check_against_reference(Opt opt, const slot_list& slots, const ref_rule& rule, int steps = 5) {
    vars4 v(1);
    std::vector<ref_var> ref(4);
    const auto init = v.all();
    for (std::size_t i = 0; i < 4; ++i) {
        ref[i].w = init[i];
        for (const auto& [name, x0] : slots) ref[i].s[name] = std::vector<double>(init[i].size(), x0);
    }
    opt.build(v.tie(), names4);
    for (int k = 0; k < steps; ++k) {
        const vars4 g(100 + std::uint64_t(k));
        opt.apply_gradients(g.ctie(), v.tie());
        const auto gs = g.all();
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t j = 0; j < ref[i].w.size(); ++j) {
                std::map<std::string, double*> s;
                for (auto& [name, x] : ref[i].s) s[name] = &x[j];
                rule(ref[i].w[j], s, gs[i][j], k);
            }

        INFO("step " << k);
        CHECK(opt.iterations() == k + 1);
        const auto now = v.all();
        for (std::size_t i = 0; i < 4; ++i) {
            INFO("variable " << names4[i]);
            CHECK(close(now[i], ref[i].w, is_float4[i]));
        }
        const named_values st = state_of(opt);
        REQUIRE(st.size() == 1 + 4 * slots.size());
        CHECK(st[0].first == "iterations");
        CHECK(st[0].second == std::vector<double>{double(k + 1)});
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t q = 0; q < slots.size(); ++q) {
                const auto& [name, x] = st[1 + i * slots.size() + q];
                INFO("slot " << name);
                CHECK(name == names4[i] + "/" + slots[q].first);
                CHECK(close(x, ref[i].s[slots[q].first], is_float4[i]));
            }
    }
    return ref;
}

template <class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const tfx::error& e) {
        return e.what();
    }
    FAIL("no tfx::error was thrown");
    return {};
}

}  // namespace

// ---- learning rates and schedules

TEST_CASE("learning_rate_t holds a number or a schedule", "[optimizers]") {
    const optimizers::learning_rate_t a = 1e-3f, b = 2, c = 0.5;
    CHECK(a(0) == double(1e-3f));
    CHECK(a(12345) == double(1e-3f));
    CHECK(b(7) == 2.0);
    CHECK(c(7) == 0.5);
    CHECK(!c.is_schedule());
    const optimizers::learning_rate_t d = [](std::int64_t step) { return 1.0 / double(step + 1); };
    CHECK(d.is_schedule());
    CHECK(d(0) == 1.0);
    CHECK(d(3) == 0.25);
    const optimizers::learning_rate_t e = sch::exponential_decay{0.1, 10, 0.5};
    const optimizers::learning_rate_t copy = e;
    CHECK(copy(10) == Approx(0.05).epsilon(1e-15));

    // The options read as in Keras.
    const auto o1 = optimizers::adam{.learning_rate = 1e-3f};
    const auto o2 = optimizers::sgd{.learning_rate = 0.1, .momentum = 0.9, .nesterov = true};
    const auto o3 = optimizers::adam{.learning_rate = sch::cosine_decay{1e-3, 1000}};
    CHECK(o1.learning_rate_at_current_step() == double(1e-3f));
    CHECK(o2.learning_rate_at_current_step() == 0.1);
    CHECK(o2.momentum == 0.9);
    CHECK(o2.nesterov);
    CHECK(o3.learning_rate_at_current_step() == Approx(1e-3).epsilon(1e-15));
    CHECK(o3.learning_rate(500) == Approx(0.5e-3).epsilon(1e-12));
    // Defaults are Keras'.
    const optimizers::sgd s{};
    const optimizers::adam ad{};
    const optimizers::adamw aw{};
    const optimizers::rmsprop r{};
    const optimizers::adagrad ag{};
    CHECK(s.learning_rate(0) == 0.01);
    CHECK((s.momentum == 0 && !s.nesterov));
    CHECK(ad.learning_rate(0) == 0.001);
    CHECK((ad.beta_1 == 0.9 && ad.beta_2 == 0.999 && ad.epsilon == 1e-7 && !ad.amsgrad));
    CHECK((aw.learning_rate(0) == 0.001 && aw.weight_decay == 0.004 && aw.beta_1 == 0.9 && aw.beta_2 == 0.999 &&
           aw.epsilon == 1e-7));
    CHECK((r.learning_rate(0) == 0.001 && r.rho == 0.9 && r.momentum == 0 && r.epsilon == 1e-7 && !r.centered));
    CHECK((ag.learning_rate(0) == 0.001 && ag.initial_accumulator_value == 0.1 && ag.epsilon == 1e-7));
    CHECK(std::string(optimizers::sgd::name) == "sgd");
    CHECK(std::string(optimizers::adam::name) == "adam");
    CHECK(std::string(optimizers::adamw::name) == "adamw");
    CHECK(std::string(optimizers::rmsprop::name) == "rmsprop");
    CHECK(std::string(optimizers::adagrad::name) == "adagrad");
}

TEST_CASE("exponential_decay is initial * rate^(step / decay_steps), floored with staircase", "[optimizers]") {
    const sch::exponential_decay e{0.1, 10, 0.5};
    CHECK(e(0) == 0.1);
    CHECK(e(5) == Approx(0.1 * std::sqrt(0.5)).epsilon(1e-14));
    CHECK(e(10) == Approx(0.05).epsilon(1e-14));
    CHECK(e(25) == Approx(0.1 / std::pow(2.0, 2.5)).epsilon(1e-14));
    const sch::exponential_decay s{.initial_learning_rate = 0.1, .decay_steps = 10, .decay_rate = 0.5, .staircase = true};
    CHECK(s(0) == 0.1);
    CHECK(s(9) == 0.1);
    CHECK(s(10) == 0.05);
    CHECK(s(19) == 0.05);
    CHECK(s(20) == 0.025);
    CHECK(s(25) == 0.025);
}

TEST_CASE("piecewise_constant_decay: values[i] from after boundaries[i-1] up to and including boundaries[i]", "[optimizers]") {
    const sch::piecewise_constant_decay p{{100, 110}, {1.0, 0.5, 0.1}};
    CHECK(p(-5) == 1.0);
    CHECK(p(0) == 1.0);
    CHECK(p(100) == 1.0);
    CHECK(p(101) == 0.5);
    CHECK(p(110) == 0.5);
    CHECK(p(111) == 0.1);
    CHECK(p(1000000000) == 0.1);
    const sch::piecewise_constant_decay one{{}, {0.3}};
    CHECK(one(0) == 0.3);
    CHECK(one(99) == 0.3);
}

TEST_CASE("cosine_decay goes from initial to initial * alpha over decay_steps, optionally after a warmup", "[optimizers]") {
    const sch::cosine_decay c{0.1, 100};
    CHECK(c(0) == Approx(0.1).epsilon(1e-15));
    CHECK(c(25) == Approx(0.1 * 0.5 * (1 + std::sqrt(0.5))).epsilon(1e-14));
    CHECK(c(50) == Approx(0.05).epsilon(1e-14));
    CHECK(c(100) == Approx(0.0).margin(1e-17));
    CHECK(c(150) == Approx(0.0).margin(1e-17));
    const sch::cosine_decay a{0.1, 100, 0.1};
    CHECK(a(50) == Approx(0.1 * (0.9 * 0.5 + 0.1)).epsilon(1e-14));
    CHECK(a(100) == Approx(0.01).epsilon(1e-14));
    CHECK(a(1000) == Approx(0.01).epsilon(1e-14));
    const sch::cosine_decay w{.initial_learning_rate = 0, .decay_steps = 100, .warmup_target = 0.1, .warmup_steps = 10};
    CHECK(w(0) == 0.0);
    CHECK(w(5) == Approx(0.05).epsilon(1e-14));
    CHECK(w(10) == Approx(0.1).epsilon(1e-14));
    CHECK(w(60) == Approx(0.05).epsilon(1e-14));
    CHECK(w(110) == Approx(0.0).margin(1e-17));
    CHECK(w(500) == Approx(0.0).margin(1e-17));
}

TEST_CASE("schedules check their parameters with value_error, already where they become a learning rate", "[optimizers]") {
    CHECK_THAT(message_of([] { sch::exponential_decay{0.1, 0, 0.5}(1); }),
               Contains("optimizers::schedules::exponential_decay: decay_steps must be > 0, got 0"));
    CHECK_THAT(message_of([] { sch::cosine_decay{0.1, -3}(1); }),
               Contains("optimizers::schedules::cosine_decay: decay_steps must be > 0, got -3"));
    CHECK_THAT(message_of([] { sch::piecewise_constant_decay{{10, 20}, {1.0, 0.5}}(1); }),
               Contains("piecewise_constant_decay: values must have one more entry than boundaries, got 2 boundaries and 2 values"));
    CHECK_THAT(message_of([] { sch::piecewise_constant_decay{{10, 10}, {1.0, 0.5, 0.1}}(1); }),
               Contains("boundaries must increase strictly, but boundaries[0] = 10 and boundaries[1] = 10"));
    CHECK_THROWS_AS((optimizers::sgd{.learning_rate = sch::piecewise_constant_decay{{10}, {1.0}}}), value_error);
    CHECK_THROWS_AS((optimizers::adam{.learning_rate = sch::exponential_decay{0.1, 0, 0.5}}), value_error);
}

// ---- each optimizer against its formula

TEST_CASE("sgd: w -= lr * g", "[optimizers]") {
    check_against_reference(optimizers::sgd{.learning_rate = 0.1}, {},
                            [](double& w, auto&, double g, std::int64_t) { w -= 0.1 * g; });
}

TEST_CASE("sgd with momentum: m = mu * m - lr * g, w += m", "[optimizers]") {
    check_against_reference(optimizers::sgd{.learning_rate = 0.1, .momentum = 0.9}, {{"momentum", 0}},
                            [](double& w, auto& s, double g, std::int64_t) {
                                double& m = *s["momentum"];
                                m = 0.9 * m - 0.1 * g;
                                w += m;
                            });
}

TEST_CASE("sgd with nesterov momentum: m = mu * m - lr * g, w += mu * m - lr * g", "[optimizers]") {
    check_against_reference(optimizers::sgd{.learning_rate = 0.1, .momentum = 0.7, .nesterov = true}, {{"momentum", 0}},
                            [](double& w, auto& s, double g, std::int64_t) {
                                double& m = *s["momentum"];
                                m = 0.7 * m - 0.1 * g;
                                w += 0.7 * m - 0.1 * g;
                            });
}

TEST_CASE("sgd with a schedule uses the schedule at the iteration count, 0 first", "[optimizers]") {
    const auto lr = [](std::int64_t it) { return 0.2 * std::pow(0.5, double(it / 2)); };  // staircase by hand
    check_against_reference(
        optimizers::sgd{.learning_rate = sch::exponential_decay{0.2, 2, 0.5, true}, .momentum = 0.5}, {{"momentum", 0}},
        [&](double& w, auto& s, double g, std::int64_t it) {
            double& m = *s["momentum"];
            m = 0.5 * m - lr(it) * g;
            w += m;
        });
}

namespace {
// Adam as Kingma & Ba's algorithm with Keras' epsilon placement: the bias corrections folded into
// the step size, epsilon added to sqrt(v) (not to sqrt(v_hat)).
ref_rule adam_rule(double lr, double b1, double b2, double eps, bool amsgrad, double wd) {
    return [=](double& w, auto& s, double g, std::int64_t it) {
        const double t = double(it + 1);
        w = w * (1 - lr * wd);
        double& m = *s["m"];
        double& v = *s["v"];
        m = b1 * m + (1 - b1) * g;
        v = b2 * v + (1 - b2) * g * g;
        double denom_v = v;
        if (amsgrad) {
            double& vh = *s["vhat"];
            vh = std::max(vh, v);
            denom_v = vh;
        }
        const double step = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
        w -= step * m / (std::sqrt(denom_v) + eps);
    };
}
bool vhat_exceeds_v_somewhere(const std::vector<ref_var>& ref) {
    for (const auto& r : ref)
        for (std::size_t j = 0; j < r.w.size(); ++j)
            if (r.s.at("vhat")[j] > r.s.at("v")[j] * 1.01) return true;
    return false;
}
}  // namespace

TEST_CASE("adam: bias-corrected step lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)", "[optimizers]") {
    check_against_reference(optimizers::adam{}, {{"m", 0}, {"v", 0}}, adam_rule(0.001, 0.9, 0.999, 1e-7, false, 0));
    // Options where epsilon and the betas weigh.
    check_against_reference(optimizers::adam{.learning_rate = 0.1, .beta_1 = 0.8, .beta_2 = 0.95, .epsilon = 0.05},
                            {{"m", 0}, {"v", 0}}, adam_rule(0.1, 0.8, 0.95, 0.05, false, 0));
}

TEST_CASE("adam with amsgrad divides by sqrt(max of v so far)", "[optimizers]") {
    const auto ref = check_against_reference(
        optimizers::adam{.learning_rate = 0.1, .beta_1 = 0.8, .beta_2 = 0.5, .epsilon = 1e-3, .amsgrad = true},
        {{"m", 0}, {"v", 0}, {"vhat", 0}}, adam_rule(0.1, 0.8, 0.5, 1e-3, true, 0), 6);
    CHECK(vhat_exceeds_v_somewhere(ref));  // the max mattered, so the test tells amsgrad from adam
}

TEST_CASE("adamw: w -= lr * weight_decay * w, then the adam step", "[optimizers]") {
    check_against_reference(optimizers::adamw{}, {{"m", 0}, {"v", 0}}, adam_rule(0.001, 0.9, 0.999, 1e-7, false, 0.004));
    check_against_reference(optimizers::adamw{.learning_rate = 0.1, .weight_decay = 0.3, .beta_1 = 0.8, .epsilon = 0.01},
                            {{"m", 0}, {"v", 0}}, adam_rule(0.1, 0.8, 0.999, 0.01, false, 0.3));
    const auto ref = check_against_reference(
        optimizers::adamw{.learning_rate = 0.05, .weight_decay = 0.1, .beta_2 = 0.5, .amsgrad = true},
        {{"m", 0}, {"v", 0}, {"vhat", 0}}, adam_rule(0.05, 0.9, 0.5, 1e-7, true, 0.1), 6);
    CHECK(vhat_exceeds_v_somewhere(ref));
}

namespace {
ref_rule rmsprop_rule(double lr, double rho, double mu, double eps, bool centered) {
    return [=](double& w, auto& s, double g, std::int64_t) {
        double& v = *s["velocity"];
        v = rho * v + (1 - rho) * g * g;
        double denom = v + eps;
        if (centered) {
            double& a = *s["average_gradient"];
            a = rho * a + (1 - rho) * g;
            denom = v - a * a + eps;
        }
        const double inc = lr * g / std::sqrt(denom);
        if (mu > 0) {
            double& mom = *s["momentum"];
            mom = mu * mom + inc;
            w -= mom;
        } else {
            w -= inc;
        }
    };
}
}  // namespace

TEST_CASE("rmsprop: v = rho v + (1 - rho) g^2, w -= lr g / sqrt(v + eps)", "[optimizers]") {
    check_against_reference(optimizers::rmsprop{}, {{"velocity", 0}}, rmsprop_rule(0.001, 0.9, 0, 1e-7, false));
    check_against_reference(optimizers::rmsprop{.learning_rate = 0.1, .rho = 0.7, .epsilon = 0.05}, {{"velocity", 0}},
                            rmsprop_rule(0.1, 0.7, 0, 0.05, false));
}

TEST_CASE("rmsprop centered divides by sqrt(v - a^2 + eps), a the average gradient", "[optimizers]") {
    check_against_reference(optimizers::rmsprop{.learning_rate = 0.01, .rho = 0.8, .epsilon = 0.01, .centered = true},
                            {{"velocity", 0}, {"average_gradient", 0}}, rmsprop_rule(0.01, 0.8, 0, 0.01, true));
}

TEST_CASE("rmsprop with momentum: mom = mu mom + increment, w -= mom", "[optimizers]") {
    check_against_reference(optimizers::rmsprop{.learning_rate = 0.01, .rho = 0.8, .momentum = 0.6, .epsilon = 0.01},
                            {{"velocity", 0}, {"momentum", 0}}, rmsprop_rule(0.01, 0.8, 0.6, 0.01, false));
    check_against_reference(
        optimizers::rmsprop{.learning_rate = 0.01, .rho = 0.8, .momentum = 0.6, .epsilon = 0.01, .centered = true},
        {{"velocity", 0}, {"momentum", 0}, {"average_gradient", 0}}, rmsprop_rule(0.01, 0.8, 0.6, 0.01, true));
}

TEST_CASE("adagrad: acc += g^2 from initial_accumulator_value, w -= lr g / sqrt(acc + eps)", "[optimizers]") {
    const auto rule = [](double lr, double eps) -> ref_rule {
        return [=](double& w, auto& s, double g, std::int64_t) {
            double& acc = *s["accumulator"];
            acc += g * g;
            w -= lr * g / std::sqrt(acc + eps);
        };
    };
    check_against_reference(optimizers::adagrad{}, {{"accumulator", 0.1}}, rule(0.001, 1e-7));
    check_against_reference(optimizers::adagrad{.learning_rate = 0.5, .initial_accumulator_value = 0.01, .epsilon = 0.02},
                            {{"accumulator", 0.01}}, rule(0.5, 0.02));
}

TEST_CASE("the examples of the Keras documentation give Keras' numbers", "[optimizers]") {
    // loss = w^2 / 2, so g = w.
    auto minimize = [](auto& opt, tensor<float>& w) {
        const tensor<float> g = w;
        opt.apply_gradients(std::tie(g), std::tie(w));
    };
    SECTION("SGD(learning_rate=0.1, momentum=0.9) from 1.0: steps of 0.1 then 0.18") {
        optimizers::sgd opt{.learning_rate = 0.1, .momentum = 0.9};
        tensor<float> w = 1.0f;
        minimize(opt, w);
        CHECK(w() == Approx(0.9f));
        minimize(opt, w);
        CHECK(w() == Approx(0.72f));
    }
    SECTION("RMSprop(learning_rate=0.1) from 10.0: 9.683772") {
        optimizers::rmsprop opt{.learning_rate = 0.1};
        tensor<float> w = 10.0f;
        minimize(opt, w);
        CHECK(w() == Approx(9.683772f).epsilon(1e-6));
    }
    SECTION("Adam(learning_rate=0.1) from 10.0: 9.9") {
        optimizers::adam opt{.learning_rate = 0.1};
        tensor<float> w = 10.0f;
        minimize(opt, w);
        CHECK(w() == Approx(9.9f).epsilon(1e-6));
    }
}

// ---- iterations, build, slots

TEST_CASE("iterations counts apply_gradients calls, learning_rate_at_current_step is the next step's", "[optimizers]") {
    optimizers::sgd opt{.learning_rate = sch::piecewise_constant_decay{{1}, {0.5, 0.25}}};
    tensor<double, 2> w{1.0, 2.0};
    const tensor<double, 2> g{1.0, -1.0};
    CHECK(opt.iterations() == 0);
    CHECK(opt.learning_rate_at_current_step() == 0.5);
    opt.apply_gradients(std::tie(g), std::tie(w));  // step 0: 0.5
    CHECK(opt.iterations() == 1);
    CHECK(opt.learning_rate_at_current_step() == 0.5);
    opt.apply_gradients(std::tie(g), std::tie(w));  // step 1: 0.5
    CHECK(opt.learning_rate_at_current_step() == 0.25);
    opt.apply_gradients(std::tie(g), std::tie(w));  // step 2: 0.25
    CHECK(opt.iterations() == 3);
    CHECK(w(0) == 1.0 - 1.25);
    CHECK(w(1) == 2.0 + 1.25);
    // No variables: only the count moves.
    optimizers::adam none;
    none.apply_gradients(std::tuple<>{}, std::tuple<>{});
    none.apply_gradients(std::tuple<>{}, std::tuple<>{});
    CHECK(none.iterations() == 2);
    CHECK(state_of(none) == named_values{{"iterations", {2.0}}});
}

TEST_CASE("build makes slots of the variable's type and shape, named <variable>/<slot>", "[optimizers]") {
    tensor<float, 3, 4> k;
    tensor<double, dyn> b(5);
    tensor<float> s;
    optimizers::adagrad opt{.initial_accumulator_value = 0.25};
    CHECK(!opt.built());
    CHECK(state_of(opt) == named_values{{"iterations", {0.0}}});
    opt.build(std::tie(k, b, s), {"dense/kernel", "dense/bias", "scale"});
    CHECK(opt.built());

    std::vector<std::string> names, types;
    std::vector<std::vector<std::size_t>> shapes;
    opt.for_each_variable([&](std::string_view name, auto& t) {
        using T = typename std::remove_cvref_t<decltype(t)>::value_type;
        names.emplace_back(name);
        types.push_back(std::is_same_v<T, float> ? "float" : std::is_same_v<T, double> ? "double" : "int64");
        const auto d = t.shape();
        shapes.emplace_back(d.begin(), d.end());
    });
    CHECK(names == std::vector<std::string>{"iterations", "dense/kernel/accumulator", "dense/bias/accumulator", "scale/accumulator"});
    CHECK(types == std::vector<std::string>{"int64", "float", "double", "float"});
    CHECK(shapes == std::vector<std::vector<std::size_t>>{{}, {3, 4}, {5}, {}});
    const auto st = state_of(opt);
    CHECK(st[1].second == std::vector<double>(12, 0.25));
    CHECK(st[2].second == std::vector<double>(5, 0.25));
    CHECK(st[3].second == std::vector<double>{0.25});

    // Adam's slots start at zero; sgd without momentum has none.
    optimizers::adam adam;
    adam.build(std::tie(b), {"b"});
    CHECK(state_of(adam) == named_values{{"iterations", {0.0}}, {"b/m", std::vector<double>(5, 0.0)}, {"b/v", std::vector<double>(5, 0.0)}});
    optimizers::sgd plain;
    plain.build(std::tie(k, b), {"k", "b"});
    CHECK(state_of(plain) == named_values{{"iterations", {0.0}}});
}

// An optimizer of a user's own: no optimizer_state, only for_each_variable.
struct own_optimizer {
    tensor<float, 2> w{1, 2};
    template <class F>
    void for_each_variable(F&& f) const {
        f(std::string_view("w"), w);
    }
};

TEST_CASE("slots_for visits the slots of the given variable types only, and names slots of another type", "[optimizers]") {
    // What a compiled model hands checkpoints: its visitors are compiled for these slot types only.
    vars4 v(1);  // float [5, 7], double [7, 3], double scalar, float [3]
    optimizers::adam opt{.learning_rate = 0.1};
    opt.build(v.tie(), names4);
    opt.apply_gradients(vars4(7).ctie(), v.tie());
    const auto all = state_of(opt);
    REQUIRE(all.size() == 9);

    using vars_t = decltype(v.tie());
    named_values seen;
    std::vector<std::size_t> ranks;
    optimizers::detail::slots_for<vars_t>(std::as_const(opt)).for_each_variable([&](std::string_view name, const auto& t) {
        seen.emplace_back(std::string(name), std::vector<double>(t.begin(), t.end()));
        ranks.push_back(std::remove_cvref_t<decltype(t)>::rank);
    });
    CHECK(seen == all);
    CHECK(ranks == std::vector<std::size_t>{0, 2, 2, 2, 2, 0, 0, 1, 1});

    // Writable, for restore.
    optimizers::detail::slots_for<vars_t>(opt).for_each_variable([](std::string_view, auto& t) {
        for (auto& x : t) x = 0.5;
    });
    for (std::size_t i = 1; i < all.size(); ++i) CHECK(state_of(opt)[i].second == std::vector<double>(all[i].second.size(), 0.5));

    // Without double [?, 3] among the types, "dense/bias" has slots of a type not given: a
    // value_error before f sees them.
    using fewer_t = std::tuple<tensor<float, 5, 7>&, tensor<double>&, tensor<float, dyn>&>;
    std::vector<std::string> names;
    const auto visit_fewer = [&] {
        optimizers::detail::slots_for<fewer_t>(std::as_const(opt)).for_each_variable(
            [&](std::string_view name, const auto&) { names.emplace_back(name); });
    };
    CHECK_THROWS_AS(visit_fewer(), value_error);
    names.clear();
    CHECK_THROWS_WITH(visit_fewer(), Contains("tfx: optimizers: the slots of \"dense/bias\" are for a double tensor of shape [7, 3], not the "
                                          "type of any variable given (was the optimizer built for other variables?)"));
    CHECK(names == std::vector<std::string>{"iterations", "dense/kernel/m", "dense/kernel/v"});

    // An optimizer of the user's own is visited as it is.
    const own_optimizer own;
    names.clear();
    optimizers::detail::slots_for<fewer_t>(own).for_each_variable([&](std::string_view name, const auto&) { names.emplace_back(name); });
    CHECK(names == std::vector<std::string>{"w"});
}

TEST_CASE("a second build with the same variables changes nothing", "[optimizers]") {
    vars4 v(1);
    optimizers::adam opt{.learning_rate = 0.1};
    opt.build(v.tie(), names4);
    const vars4 g(7);
    opt.apply_gradients(g.ctie(), v.tie());
    opt.apply_gradients(g.ctie(), v.tie());
    const auto before = state_of(opt);
    opt.build(v.tie(), {"other", "names", "are", "ignored"});
    CHECK(state_of(opt) == before);
    CHECK(opt.iterations() == 2);
}

TEST_CASE("apply_gradients builds on first use, naming the variables 0, 1, ...", "[optimizers]") {
    tensor<float, 2> a{1, 2};
    tensor<double, dyn, 2> b(3);
    const tensor<float, 2> ga{0.5f, -0.5f};
    const tensor<double, dyn, 2> gb(3);
    optimizers::sgd opt{.momentum = 0.5};
    opt.apply_gradients(std::tuple{ga, gb}, std::tie(a, b));  // a tuple of tensors works as well
    CHECK(opt.built());
    const auto st = state_of(opt);
    REQUIRE(st.size() == 3);
    CHECK(st[1].first == "0/momentum");
    CHECK(st[2].first == "1/momentum");
    CHECK(st[1].second == std::vector<double>{double(-0.01f * 0.5f), double(0.01f * 0.5f)});
}

TEST_CASE("copying an optimizer copies its options and its state", "[optimizers]") {
    vars4 v(1);
    optimizers::adam opt{.learning_rate = sch::cosine_decay{0.1, 10}, .amsgrad = true};
    opt.build(v.tie(), names4);
    const vars4 g(5);
    opt.apply_gradients(g.ctie(), v.tie());
    opt.apply_gradients(g.ctie(), v.tie());
    const auto at_copy = state_of(opt);

    optimizers::adam copy = opt;
    vars4 v2 = v;
    copy.apply_gradients(g.ctie(), v2.tie());
    CHECK(copy.iterations() == 3);
    CHECK(copy.amsgrad);
    CHECK(copy.learning_rate_at_current_step() == Approx(sch::cosine_decay{0.1, 10}(3)));
    CHECK(state_of(opt) == at_copy);  // the original's slots were not touched
    CHECK(state_of(copy) != at_copy);
    // Both continue the same way.
    opt.apply_gradients(g.ctie(), v.tie());
    CHECK(state_of(opt) == state_of(copy));
    CHECK(v.all() == v2.all());
}

// ---- checkpoints

TEST_CASE("the optimizer state goes through checkpoint::save and restore", "[optimizers][io]") {
    STATIC_REQUIRE(checkpoint::variable_collection<optimizers::adam>);
    STATIC_REQUIRE(checkpoint::const_variable_collection<optimizers::sgd>);
    STATIC_REQUIRE(checkpoint::variable_collection<optimizers::rmsprop>);
    STATIC_REQUIRE(checkpoint::variable_collection<optimizers::adagrad>);
    STATIC_REQUIRE(checkpoint::variable_collection<optimizers::adamw>);
    io_test::temp_dir dir;
    const auto path = dir / "ckpt.npz";
    tensor<float, 3, 4> W;
    tensor<double, dyn> b(5);
    fill(W, 1);
    fill(b, 2);
    optimizers::adam opt{.learning_rate = 0.05, .amsgrad = true};
    opt.build(std::tie(W, b), {"dense/kernel", "dense/bias"});
    tensor<float, 3, 4> gW;
    tensor<double, dyn> gb(5);
    for (int k = 0; k < 3; ++k) {
        fill(gW, 10 + std::uint64_t(k));
        fill(gb, 20 + std::uint64_t(k));
        opt.apply_gradients(std::tie(gW, gb), std::tie(W, b));
    }
    checkpoint::save(path, checkpoint::bind("dense/kernel", W), checkpoint::bind("dense/bias", b), checkpoint::scope("optimizer", opt));
    CHECK(io::npz_reader(path).names() ==
          std::vector<std::string>{"dense/kernel", "dense/bias", "optimizer/iterations", "optimizer/dense/kernel/m",
                                   "optimizer/dense/kernel/v", "optimizer/dense/kernel/vhat", "optimizer/dense/bias/m",
                                   "optimizer/dense/bias/v", "optimizer/dense/bias/vhat"});

    // A fresh model and optimizer, built, then restored: the same state, and the same next step.
    tensor<float, 3, 4> W2;
    tensor<double, dyn> b2(5);
    optimizers::adam opt2{.learning_rate = 0.05, .amsgrad = true};
    opt2.build(std::tie(W2, b2), {"dense/kernel", "dense/bias"});
    checkpoint::restore(path, checkpoint::bind("dense/kernel", W2), checkpoint::bind("dense/bias", b2), checkpoint::scope("optimizer", opt2));
    CHECK(opt2.iterations() == 3);
    CHECK(state_of(opt2) == state_of(opt));
    CHECK(values(W2) == values(W));
    opt.apply_gradients(std::tie(gW, gb), std::tie(W, b));
    opt2.apply_gradients(std::tie(gW, gb), std::tie(W2, b2));
    CHECK(state_of(opt2) == state_of(opt));
    CHECK(values(W2) == values(W));
    CHECK(values(b2) == values(b));

    // An optimizer without amsgrad has no vhat: restore refuses and changes nothing, unless partial.
    tensor<float, 3, 4> W3;
    tensor<double, dyn> b3(5);
    optimizers::adam plain{.learning_rate = 0.05};
    plain.build(std::tie(W3, b3), {"dense/kernel", "dense/bias"});
    const auto msg = message_of([&] { checkpoint::restore(path, checkpoint::scope("optimizer", plain)); });
    CHECK_THAT(msg, Contains("'optimizer/dense/kernel/vhat.npy' matches no variable"));
    CHECK(plain.iterations() == 0);
    CHECK(state_of(plain)[1].second == std::vector<double>(12, 0.0));
    checkpoint::restore(path, checkpoint::expect_partial, checkpoint::scope("optimizer", plain));
    CHECK(plain.iterations() == 3);

    // Slots of another shape are refused.
    tensor<double, dyn> b4(6);
    optimizers::adam other{.amsgrad = true};
    other.build(std::tie(W3, b4), {"dense/kernel", "dense/bias"});
    CHECK_THAT(message_of([&] { checkpoint::restore(path, checkpoint::expect_partial, checkpoint::scope("optimizer", other)); }),
               Contains("'optimizer/dense/bias/m.npy': shape is [5], expected [6]"));
    CHECK(other.iterations() == 0);
}

// ---- errors

TEST_CASE("a gradient of another shape is a shape_error naming the optimizer and the variable, nothing changes", "[optimizers]") {
    tensor<float, dyn> a(3), b(4);
    fill(a, 1);
    fill(b, 2);
    const tensor<float, dyn> ga(3), gb_bad(5), gb(4);
    optimizers::adam opt;
    // Before build: the variable by index.
    CHECK_THAT(message_of([&] { opt.apply_gradients(std::tie(ga, gb_bad), std::tie(a, b)); }),
               Contains("tfx: optimizers::adam::apply_gradients: the gradient of variable 1 is a float tensor of shape [5], "
                        "but the variable is a float tensor of shape [4]"));
    CHECK(!opt.built());
    CHECK(opt.iterations() == 0);

    opt.build(std::tie(a, b), {"dense/kernel", "dense/bias"});
    opt.apply_gradients(std::tie(ga, gb), std::tie(a, b));
    const auto before = state_of(opt);
    const auto a0 = values(a), b0 = values(b);
    CHECK_THROWS_AS(opt.apply_gradients(std::tie(ga, gb_bad), std::tie(a, b)), shape_error);
    CHECK_THAT(message_of([&] { opt.apply_gradients(std::tie(ga, gb_bad), std::tie(a, b)); }),
               Contains("variable 1 (\"dense/bias\")"));
    CHECK(state_of(opt) == before);  // variable 0 was not updated either
    CHECK(values(a) == a0);
    CHECK(values(b) == b0);
}

TEST_CASE("variables other than those built for are a shape_error, nothing changes", "[optimizers]") {
    tensor<float, dyn> a(3);
    tensor<double, dyn> b(4);
    optimizers::rmsprop opt{.centered = true};
    opt.build(std::tie(a, b), {"a", "b"});
    const tensor<float, dyn> ga(3);
    const tensor<double, dyn> gb(4);
    opt.apply_gradients(std::tie(ga, gb), std::tie(a, b));
    const auto before = state_of(opt);

    CHECK_THAT(message_of([&] { opt.apply_gradients(std::tie(ga), std::tie(a)); }),
               Contains("tfx: optimizers::rmsprop::apply_gradients: the optimizer was built for 2 variables, got 1"));
    tensor<double, dyn> b5(5);
    const tensor<double, dyn> gb5(5);
    CHECK_THAT(message_of([&] { opt.apply_gradients(std::tie(ga, gb5), std::tie(a, b5)); }),
               Contains("variable 1 (\"b\") is a double tensor of shape [5], but the optimizer was built for a double "
                        "tensor of shape [4]"));
    tensor<float, dyn> bf(4);
    const tensor<float, dyn> gbf(4);
    CHECK_THAT(message_of([&] { opt.apply_gradients(std::tie(ga, gbf), std::tie(a, bf)); }),
               Contains("variable 1 (\"b\") is a float tensor of shape [4], but the optimizer was built for a double tensor"));
    tensor<float, 1, 3> a2;
    const tensor<float, 1, 3> ga2;
    CHECK_THAT(message_of([&] { opt.apply_gradients(std::tie(ga2, gb), std::tie(a2, b)); }),
               Contains("variable 0 (\"a\") is a float tensor of shape [1, 3], but the optimizer was built for a float "
                        "tensor of shape [3]"));
    CHECK_THROWS_AS(opt.apply_gradients(std::tie(ga, gb5), std::tie(a, b5)), shape_error);
    CHECK_THROWS_AS(opt.build(std::tie(a, b5), {"a", "b"}), shape_error);
    CHECK(state_of(opt) == before);
}

TEST_CASE("bad names and bad options are value_errors, nothing changes", "[optimizers]") {
    tensor<float, 2> a, b;
    const tensor<float, 2> g;
    optimizers::sgd opt{.momentum = 0.5};
    CHECK_THAT(message_of([&] { opt.build(std::tie(a, b), {"a"}); }),
               Contains("tfx: optimizers::sgd::build: 2 variables but 1 names"));
    CHECK_THAT(message_of([&] { opt.build(std::tie(a, b), {"w", "w"}); }),
               Contains("tfx: optimizers::sgd::build: two variables are named \"w\""));
    CHECK(!opt.built());

    optimizers::sgd bad{.momentum = 1.5};
    CHECK_THAT(message_of([&] { bad.apply_gradients(std::tie(g), std::tie(a)); }),
               Contains("tfx: optimizers::sgd: momentum must be in [0, 1], got 1.5"));
    CHECK((!bad.built() && bad.iterations() == 0));
    optimizers::rmsprop bad_r{.momentum = -0.1};
    CHECK_THROWS_AS(bad_r.apply_gradients(std::tie(g), std::tie(a)), value_error);
    optimizers::adagrad bad_a{.initial_accumulator_value = -1};
    CHECK_THROWS_AS(bad_a.build(std::tie(a), {"a"}), value_error);

    // Options that change the slots cannot change after build.
    optimizers::sgd plain{};
    plain.apply_gradients(std::tie(g), std::tie(a));
    plain.momentum = 0.9;
    CHECK_THAT(message_of([&] { plain.apply_gradients(std::tie(g), std::tie(a)); }),
               Contains("the options ask for 1 slots per variable, but the optimizer was built with 0"));
    CHECK(plain.iterations() == 1);

    // A schedule that throws stops the step before anything changes.
    optimizers::sgd sched{.learning_rate = [](std::int64_t step) -> double {
        if (step > 0) throw value_error("tfx: test schedule: step " + std::to_string(step));
        return 0.1;
    }};
    a.fill(1);
    sched.apply_gradients(std::tie(g), std::tie(a));
    CHECK_THROWS_AS(sched.apply_gradients(std::tie(g), std::tie(a)), value_error);
    CHECK(sched.iterations() == 1);
    CHECK(values(a) == std::vector<double>{1.0, 1.0});
}

// ---- no allocation in the steady state

namespace {
template <class Opt>
void check_quiet(Opt opt) {
    vars4 v(1);
    const vars4 g(2);
    opt.apply_gradients(g.ctie(), v.tie());  // builds
    std::vector<const void*> storage;
    opt.for_each_variable([&](std::string_view, const auto& t) { storage.push_back(t.data()); });

    const std::size_t news_before = counted_news.load();
    const std::size_t bytes_before = mallinfo2().uordblks;
    for (int k = 0; k < 9; ++k) opt.apply_gradients(g.ctie(), v.tie());
    const std::size_t bytes_after = mallinfo2().uordblks;
    const std::size_t news_after = counted_news.load();

    CHECK(opt.iterations() == 10);
    CHECK(news_after == news_before);
    CHECK(bytes_after == bytes_before);
    std::vector<const void*> again;
    opt.for_each_variable([&](std::string_view, const auto& t) { again.push_back(t.data()); });
    CHECK(again == storage);
}
}  // namespace

TEST_CASE("apply_gradients allocates nothing after the first call", "[optimizers]") {
    // The counter is live (a test that cannot fail is no test).
    const std::size_t probe = counted_news.load();
    void* volatile p = ::operator new(24);
    ::operator delete(p);
    REQUIRE(counted_news.load() > probe);

    check_quiet(optimizers::sgd{.learning_rate = sch::piecewise_constant_decay{{3, 6}, {0.1, 0.05, 0.01}}, .momentum = 0.9, .nesterov = true});
    check_quiet(optimizers::adam{.learning_rate = sch::cosine_decay{0.01, 100}, .amsgrad = true});
    check_quiet(optimizers::adamw{.learning_rate = sch::exponential_decay{0.01, 5, 0.9}});
    check_quiet(optimizers::rmsprop{.momentum = 0.5, .centered = true});
    check_quiet(optimizers::adagrad{.learning_rate = [](std::int64_t s) { return 0.1 / double(s + 1); }});
}
