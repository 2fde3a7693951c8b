// The intra-op thread pool (core/parallel.hpp): set_num_threads, the pool's regions (tasks, errors,
// nesting, concurrent callers, background threads), and the kernels split over it (GEMM with and
// without a fused epilogue, conv, elementwise blocks flat and by rows, a loss and its gradient, the
// sparse cross-entropy's kernels):
// each gives bit for bit what one thread gives, and what a plain reference computes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <latch>
#include <stdexcept>
#include <thread>
#include <tfx/nn/losses.hpp>
#include <tfx/tfx.hpp>
#include <vector>

using tfx::dyn;
using tfx::tensor;

namespace {

// Restores the default thread count when a test ends, whatever happens in it.
struct threads_guard {
    ~threads_guard() { tfx::set_num_threads(0); }
};

template <class Tn>
void fill(Tn& t, std::uint64_t seed) {
    tfx::random::generator g{seed};
    for (auto& v : t) v = typename Tn::value_type(g.uniform01() * 2 - 1);
}

template <class A, class B>
bool same_bits(const A& a, const B& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(*a.data())) == 0;
}

// f() evaluated with 1 thread and with `threads`: the two results, in that order. The second must
// have run at least one region on the pool (else the comparison would prove nothing).
template <class F>
auto with_1_and(int threads, F&& f) {
    tfx::set_num_threads(1);
    const std::uint64_t before_one = tfx::detail::parallel_regions();
    auto one = f();
    CHECK(tfx::detail::parallel_regions() == before_one);
    tfx::set_num_threads(threads);
    const std::uint64_t before = tfx::detail::parallel_regions();
    auto many = f();
    CHECK(tfx::detail::parallel_regions() > before);
    return std::make_pair(std::move(one), std::move(many));
}

// C = A B in double, for A [m, k], B [k, n] given as float/double tensors.
template <class A, class B>
std::vector<double> ref_matmul(const A& a, const B& b, std::size_t m, std::size_t n, std::size_t k, bool bt = false) {
    std::vector<double> c(m * n, 0.0);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t p = 0; p < k; ++p) {
            const double x = double(a.data()[i * k + p]);
            for (std::size_t j = 0; j < n; ++j) c[i * n + j] += x * double(bt ? b.data()[j * k + p] : b.data()[p * n + j]);
        }
    return c;
}

template <class C>
double max_abs_diff(const C& c, const std::vector<double>& want) {
    double worst = 0;
    for (std::size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(double(c.data()[i]) - want[i]));
    return worst;
}

}  // namespace

TEST_CASE("set_num_threads and get_num_threads", "[parallel]") {
    threads_guard guard;
    const int def = tfx::get_num_threads();
    CHECK(def >= 1);
    tfx::set_num_threads(3);
    CHECK(tfx::get_num_threads() == 3);
    tfx::set_num_threads(1);
    CHECK(tfx::get_num_threads() == 1);
    CHECK(tfx::detail::parallel_width() == 1);
    tfx::set_num_threads(0);
    CHECK(tfx::get_num_threads() == def);
    CHECK_THROWS_AS(tfx::set_num_threads(-2), tfx::value_error);
    CHECK_THROWS_WITH(tfx::set_num_threads(-2), Catch::Contains("tfx: set_num_threads") && Catch::Contains("-2"));
    CHECK_THROWS_AS(tfx::set_num_threads(5000), tfx::value_error);
    CHECK(tfx::get_num_threads() == def);  // unchanged by the refused calls
}

TEST_CASE("a region runs every task once, on several threads, and rethrows a task's exception", "[parallel]") {
    threads_guard guard;
    tfx::set_num_threads(4);
    std::vector<std::atomic<int>> runs(97);
    std::vector<std::thread::id> who(97);
    tfx::detail::parallel_for(97, [&](std::size_t t) {
        runs[t].fetch_add(1);
        who[t] = std::this_thread::get_id();
    });
    for (auto& r : runs) CHECK(r.load() == 1);
    // Task t runs on participant t % 4: tasks 0, 4, 8 on the caller; 1 and 5 on one worker.
    CHECK(who[0] == std::this_thread::get_id());
    CHECK(who[4] == who[0]);
    CHECK(who[1] != who[0]);
    CHECK(who[5] == who[1]);
    CHECK(who[2] != who[1]);

    // An exception: rethrown on the caller once the region is over; the pool stays usable.
    std::atomic<int> done{0};
    CHECK_THROWS_WITH(tfx::detail::parallel_for(64,
                                                [&](std::size_t t) {
                                                    if (t == 13) throw tfx::value_error("task 13 failed");
                                                    done.fetch_add(1);
                                                }),
                      "task 13 failed");
    CHECK(done.load() <= 63);
    std::atomic<int> after{0};
    tfx::detail::parallel_for(8, [&](std::size_t) { after.fetch_add(1); });
    CHECK(after.load() == 8);

    // Nested: a region inside a task runs on that task's thread.
    std::atomic<int> inner_mismatch{0}, inner_runs{0};
    tfx::detail::parallel_for(4, [&](std::size_t) {
        if (tfx::detail::parallel_width() != 1) inner_mismatch.fetch_add(1);
        const auto self = std::this_thread::get_id();
        tfx::detail::parallel_for(5, [&](std::size_t) {
            inner_runs.fetch_add(1);
            if (std::this_thread::get_id() != self) inner_mismatch.fetch_add(1);
        });
    });
    CHECK(inner_runs.load() == 20);
    CHECK(inner_mismatch.load() == 0);
}

TEST_CASE("regions from several threads at once all complete, a background thread narrows them", "[parallel]") {
    threads_guard guard;
    tfx::set_num_threads(3);
    constexpr int callers = 4;
    std::latch start(callers);
    std::vector<int> sums(callers, 0);
    std::vector<std::thread> ts;
    for (int c = 0; c < callers; ++c)
        ts.emplace_back([&, c] {
            start.arrive_and_wait();
            for (int round = 0; round < 50; ++round) {
                std::vector<int> part(16, 0);
                tfx::detail::parallel_for(16, [&](std::size_t t) { part[t] = int(t) + 1; });
                int s = 0;
                for (int v : part) s += v;
                if (s == 136) ++sums[std::size_t(c)];
            }
        });
    for (auto& t : ts) t.join();
    for (int s : sums) CHECK(s == 50);

    CHECK(tfx::detail::parallel_width() == 3);
    std::latch inside(2), leave(2);
    std::size_t on_background = 0;
    std::thread bg([&] {
        tfx::detail::background_thread_scope scope;
        on_background = tfx::detail::parallel_width();
        inside.arrive_and_wait();
        leave.arrive_and_wait();
    });
    inside.arrive_and_wait();
    CHECK(on_background == 1);  // kernels on a background thread run serially
    CHECK(tfx::detail::parallel_width() == 2);  // 3 threads, one of them taken by the background thread
    leave.arrive_and_wait();
    bg.join();
    CHECK(tfx::detail::parallel_width() == 3);
}

TEST_CASE("a GEMM split over threads gives the one-thread result bit for bit", "[parallel][gemm]") {
    threads_guard guard;
    // Shapes that split by rows, by columns and both, with ragged edges (not multiples of the
    // register tile), in float and double, plain and with a transposed right operand.
    auto check = [](auto m, auto n, auto k, int threads) {
        using T = std::conditional_t<decltype(m)::value % 2 == 0, float, double>;
        tensor<T, decltype(m)::value, decltype(k)::value> a;
        tensor<T, decltype(k)::value, decltype(n)::value> b;
        tensor<T, decltype(n)::value, decltype(k)::value> bt;
        fill(a, 11);
        fill(b, 12);
        fill(bt, 13);
        const auto [one, many] = with_1_and(threads, [&] { return tensor<T, decltype(m)::value, decltype(n)::value>(matmul(a, b)); });
        INFO("m " << m << " n " << n << " k " << k << " threads " << threads);
        CHECK(same_bits(one, many));
        CHECK(max_abs_diff(many, ref_matmul(a, b, m, n, k)) < 1e-3);
        const auto [one_t, many_t] = with_1_and(threads, [&] {
            return tensor<T, decltype(m)::value, decltype(n)::value>(matmul(a, transpose(bt)));
        });
        CHECK(same_bits(one_t, many_t));
        CHECK(max_abs_diff(many_t, ref_matmul(a, bt, m, n, k, true)) < 1e-3);
    };
    using std::integral_constant;
    using I = std::ptrdiff_t;
    check(integral_constant<I, 300>{}, integral_constant<I, 257>{}, integral_constant<I, 40>{}, 2);
    check(integral_constant<I, 37>{}, integral_constant<I, 1000>{}, integral_constant<I, 64>{}, 3);
    check(integral_constant<I, 1001>{}, integral_constant<I, 13>{}, integral_constant<I, 300>{}, 4);
    check(integral_constant<I, 130>{}, integral_constant<I, 130>{}, integral_constant<I, 130>{}, 5);
}

TEST_CASE("a matmul with a fused bias and activation, and a conv, split over threads", "[parallel][gemm][conv]") {
    threads_guard guard;
    tensor<float, dyn, 96> x(2000);
    tensor<float, 96, 200> w;
    tensor<float, 200> bias;
    fill(x, 21);
    fill(w, 22);
    fill(bias, 23);
    const auto [one, many] = with_1_and(2, [&] { return tensor<float, dyn, 200>(relu(matmul(x, w) + bias)); });
    CHECK(same_bits(one, many));
    auto want = ref_matmul(x, w, 2000, 200, 96);
    for (std::size_t i = 0; i < want.size(); ++i) want[i] = std::max(0.0, want[i] + double(bias.data()[i % 200]));
    CHECK(max_abs_diff(many, want) < 1e-4);

    // conv2d: the patches times the kernel, one GEMM of 64*16*16 rows.
    tensor<float, dyn, 16, 16, 8> img(64);
    tensor<float, 3, 3, 8, 16> k;
    fill(img, 24);
    fill(k, 25);
    const auto [c1, cn] = with_1_and(3, [&] {
        return tensor<float, dyn, 16, 16, 16>(tfx::conv2d<1, 1, tfx::padding::same>(img, k));
    });
    CHECK(same_bits(c1, cn));
    // One output value by hand: image 5, position (7, 9), filter 3.
    double v = 0;
    for (std::size_t dy = 0; dy < 3; ++dy)
        for (std::size_t dx = 0; dx < 3; ++dx)
            for (std::size_t c = 0; c < 8; ++c)
                v += double(img(5, 6 + dy, 8 + dx, c)) * double(k(dy, dx, c, 3));
    CHECK(double(cn(5, 7, 9, 3)) == Approx(v).margin(1e-4));
}

TEST_CASE("large elementwise blocks split over threads, flat and by rows", "[parallel][elementwise]") {
    threads_guard guard;
    // Flat: the same shapes everywhere; the length is not a multiple of the SIMD width.
    tensor<float, dyn> x(200003), y(200003);
    fill(x, 31);
    fill(y, 32);
    const auto [f1, fn] = with_1_and(3, [&] { return tensor<float, dyn>(exp(x) * y + tanh(x)); });
    CHECK(same_bits(f1, fn));
    for (std::size_t i : {std::size_t(0), std::size_t(65535), std::size_t(131072), std::size_t(200002)})
        CHECK(fn(i) == Approx(std::exp(x(i)) * y(i) + std::tanh(x(i))).epsilon(1e-5));

    // By rows: a broadcast row vector and a broadcast column.
    tensor<double, dyn, 301> m(700);
    tensor<double, 301> r;
    tensor<double, dyn, 1> c(700);
    fill(m, 33);
    fill(r, 34);
    fill(c, 35);
    const auto [r1, rn] = with_1_and(2, [&] { return tensor<double, dyn, 301>(log(1.0 + m * m) * r - c); });
    CHECK(same_bits(r1, rn));
    for (std::size_t i : {std::size_t(0), std::size_t(349), std::size_t(350), std::size_t(699)})
        for (std::size_t j : {std::size_t(0), std::size_t(300)})
            CHECK(rn(i, j) == Approx(std::log(1.0 + m(i, j) * m(i, j)) * r(j) - c(i, 0)).epsilon(1e-12));
}

TEST_CASE("large reductions split by their outputs, bit for bit as on one thread", "[parallel][reduce]") {
    threads_guard guard;
    // Over the last axis: rows split ([3001, 97] -> [3001]); a fused producer (exp) in the loop.
    tensor<float, dyn, 97> a(3001);
    fill(a, 51);
    const auto [s1, sn] = with_1_and(2, [&] { return tensor<float, dyn>(sum<1>(exp(a))); });
    CHECK(same_bits(s1, sn));
    const auto [m1, mn] = with_1_and(3, [&] { return tensor<float, dyn>(max<1>(a)); });
    CHECK(same_bits(m1, mn));
    for (std::size_t i : {std::size_t(0), std::size_t(1500), std::size_t(3000)}) {
        double want = 0, top = -1e30;
        for (std::size_t j = 0; j < 97; ++j) {
            want += std::exp(double(a(i, j)));
            top = std::max(top, double(a(i, j)));
        }
        CHECK(double(sn(i)) == Approx(want).epsilon(1e-5));
        CHECK(double(mn(i)) == top);
    }
    // Over the leading axis, the last kept: columns split ([700, 301] -> [301], a bias gradient).
    tensor<double, dyn, 301> g(700);
    fill(g, 52);
    const auto [c1, cn] = with_1_and(2, [&] { return tensor<double, 301>(sum<0>(g * 2.0)); });
    CHECK(same_bits(c1, cn));
    for (std::size_t j : {std::size_t(0), std::size_t(150), std::size_t(300)}) {
        double want = 0;
        for (std::size_t i = 0; i < 700; ++i) want += 2 * g(i, j);
        CHECK(cn(j) == Approx(want).epsilon(1e-12));
    }
}

TEST_CASE("the workers flush denormals when the caller does", "[parallel][numerics]") {
    threads_guard guard;
    if (!tfx::flush_denormals::supported) return;
    tensor<float, dyn> x(200000);
    for (auto& v : x) v = 1e-39f;  // subnormal
    tfx::set_num_threads(3);
    tensor<float, dyn> kept = x * 3.f;  // no flushing: 3e-39 everywhere
    CHECK(std::count(kept.begin(), kept.end(), 0.f) == 0);
    tensor<float, dyn> flushed;
    const std::uint64_t before = tfx::detail::parallel_regions();
    {
        tfx::flush_denormals ftz;
        flushed = x * 3.f;  // DAZ reads 1e-39 as 0 on every thread
    }
    CHECK(tfx::detail::parallel_regions() > before);
    CHECK(std::count(flushed.begin(), flushed.end(), 0.f) == 200000);
}

TEST_CASE("a loss and its gradient on a large batch: the same bits on 1 and on 2 threads", "[parallel][autodiff]") {
    threads_guard guard;
    auto loss = [](auto w1, auto b1, auto w2, auto x, auto y) {
        auto logits = matmul(relu(matmul(x, w1) + b1), w2);
        return mean(logsumexp<1>(logits) - gather<1, 1>(logits, y));
    };
    tensor<float, 64, 256> w1;
    tensor<float, 256> b1;
    tensor<float, 256, 10> w2;
    tensor<float, dyn, 64> x(1024);
    tensor<std::int64_t, dyn> y(1024);
    fill(w1, 41);
    fill(b1, 42);
    fill(w2, 43);
    fill(x, 44);
    tfx::random::generator g{45};
    for (auto& v : y) v = std::int64_t(g.below(10));
    auto vg = tfx::value_and_grad<0, 1, 2>(loss);
    const auto [one, many] = with_1_and(2, [&] {
        const auto& out = vg(w1, b1, w2, x, y);
        return std::make_tuple(tensor<float>(std::get<0>(out)), tensor<float, 64, 256>(std::get<1>(out)),
                               tensor<float, 256>(std::get<2>(out)), tensor<float, 256, 10>(std::get<3>(out)));
    });
    CHECK(same_bits(std::get<0>(one), std::get<0>(many)));
    CHECK(same_bits(std::get<1>(one), std::get<1>(many)));
    CHECK(same_bits(std::get<2>(one), std::get<2>(many)));
    CHECK(same_bits(std::get<3>(one), std::get<3>(many)));
    CHECK(std::isfinite(std::get<0>(many)()));
    CHECK(std::get<0>(many)() > 0.5f);  // about log 10 for random weights; not a zero from a skipped block
}

TEST_CASE("the sparse cross-entropy kernels split rows over threads, bit for bit", "[parallel][losses]") {
    threads_guard guard;
    // The kernels alone, on leaves: the only regions are theirs.
    tensor<float, dyn, 256> z(512);
    tensor<float, dyn> g(512);
    tensor<std::int64_t, dyn> y(512);
    fill(z, 51);
    fill(g, 52);
    for (auto& v : z) v *= 8;
    tfx::random::generator gen{53};
    for (auto& v : y) v = std::int64_t(gen.below(256));
    using tfx::losses::detail::sparse_softmax_xent;
    using tfx::losses::detail::sparse_softmax_xent_grad;
    const auto [one, many] = with_1_and(2, [&] {
        return std::make_pair(tensor<float, dyn>(sparse_softmax_xent(tfx::as_node(z), tfx::as_node(y))),
                              tensor<float, dyn, 256>(sparse_softmax_xent_grad(z, y, g)));
    });
    CHECK(same_bits(one.first, many.first));
    CHECK(same_bits(one.second, many.second));
    // Against a reference in double: each row's loss, and the gradient's row sums (0: softmax sums to 1).
    double worst = 0, worst_sum = 0;
    for (std::size_t i = 0; i < 512; ++i) {
        double m = -1e300, s = 0, gs = 0;
        for (std::size_t c = 0; c < 256; ++c) m = std::max(m, double(z(i, c)));
        for (std::size_t c = 0; c < 256; ++c) s += std::exp(double(z(i, c)) - m);
        worst = std::max(worst, std::abs(double(many.first(i)) - (std::log(s) + m - double(z(i, std::size_t(y(i)))))));
        for (std::size_t c = 0; c < 256; ++c) gs += double(many.second(i, c));
        worst_sum = std::max(worst_sum, std::abs(gs));
        const std::size_t l = std::size_t(y(i));
        const double want = double(g(i)) * (std::exp(double(z(i, l)) - m) / s - 1);
        worst = std::max(worst, std::abs(double(many.second(i, l)) - want));
    }
    CHECK(worst < 1e-4);
    CHECK(worst_sum < 1e-4);
}
