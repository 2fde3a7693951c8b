// After the first call with given shapes, value_and_grad and tfx::function make no heap allocation.
// operator new is counted (tests/counting_new.hpp, for the whole test executable). tfx's own memory
// (workspace slots: std::aligned_alloc; tensor storage: xsimd's aligned allocator) does not go
// through operator new, so the tests also check the workspace's allocation count and that the
// output tensors keep their storage.
#include "test_autodiff_check.hpp"

#include "counting_new.hpp"


namespace {

std::atomic<std::size_t>& news = tfx_test::operator_news;

using tfx::dyn;
using tfx::tensor;

// 64 -> 128 -> 10, softmax cross-entropy from the logits.
auto mlp_loss = [](auto W1, auto b1, auto W2, auto b2, auto x, auto y) {
    auto logits = matmul(relu(matmul(x, W1) + b1), W2) + b2;
    return mean(logsumexp<1>(logits) - gather<1, 1>(logits, y));
};

struct mlp {
    tfx::random::generator gen{2024};
    tensor<float, 64, 128> W1 = tfx::random::uniform<float, 64, 128>(gen, -0.2, 0.2);
    tensor<float, 128> b1 = tfx::random::uniform<float, 128>(gen, -0.1, 0.1);
    tensor<float, 128, 10> W2 = tfx::random::uniform<float, 128, 10>(gen, -0.2, 0.2);
    tensor<float, 10> b2 = tfx::random::uniform<float, 10>(gen, -0.1, 0.1);
};

template <class X, class Y>
void fill_batch(X& x, Y& y, tfx::random::generator& gen) {
    for (auto& v : x) v = float(gen.uniform01() * 2 - 1);
    for (auto& v : y) v = std::int64_t(gen.below(10));
}

// Calls 2..10 of call(): how many operator new calls they made.
template <class Call>
std::size_t news_in_calls_2_to_10(Call&& call) {
    call();
    const std::size_t before = news.load();
    for (int i = 2; i <= 10; ++i) call();
    return news.load() - before;
}

template <class X, class Y>
void check_mlp_steady_state(const X& x, const Y& y) {
    mlp m;
    auto vg = tfx::value_and_grad<0, 1, 2, 3>(mlp_loss);
    const std::size_t at_start = news.load();
    const auto& out = vg(m.W1, m.b1, m.W2, m.b2, x, y);
    CHECK(news.load() > at_start);  // the first call plans (and the counter is live)
    const std::size_t ws_allocations = vg.stats().allocations;
    const void* const data[] = {std::get<0>(out).data(), std::get<1>(out).data(), std::get<2>(out).data(),
                                std::get<3>(out).data(), std::get<4>(out).data()};
    const std::size_t n = news_in_calls_2_to_10([&] { vg(m.W1, m.b1, m.W2, m.b2, x, y); });
    CHECK(n == 0);
    CHECK(vg.stats().allocations == ws_allocations);
    const auto& again = vg(m.W1, m.b1, m.W2, m.b2, x, y);
    CHECK(std::get<0>(again).data() == data[0]);
    CHECK(std::get<1>(again).data() == data[1]);
    CHECK(std::get<2>(again).data() == data[2]);
    CHECK(std::get<3>(again).data() == data[3]);
    CHECK(std::get<4>(again).data() == data[4]);

    // The value is the function's, and tfx::function alone is as quiet.
    auto f = tfx::function(mlp_loss);
    const float value = f(m.W1, m.b1, m.W2, m.b2, x, y)();
    CHECK(std::get<0>(again)() == value);
    const std::size_t f_allocations = f.stats().allocations;
    CHECK(news_in_calls_2_to_10([&] { f(m.W1, m.b1, m.W2, m.b2, x, y); }) == 0);
    CHECK(f.stats().allocations == f_allocations);
}

}  // namespace

TEST_CASE("value_and_grad of an MLP loss allocates nothing after the first call (dynamic batch)", "[autodiff]") {
    tfx::random::generator gen{7};
    tensor<float, dyn, 64> x(32);
    tensor<std::int64_t, dyn> y(32);
    fill_batch(x, y, gen);
    check_mlp_steady_state(x, y);

    // The workspace count does see allocation: a larger batch makes its slots grow.
    mlp m;
    auto vg = tfx::value_and_grad<0, 1, 2, 3>(mlp_loss);
    vg(m.W1, m.b1, m.W2, m.b2, x, y);
    const std::size_t before = vg.stats().allocations;
    tensor<float, dyn, 64> x2(96);
    tensor<std::int64_t, dyn> y2(96);
    fill_batch(x2, y2, gen);
    vg(m.W1, m.b1, m.W2, m.b2, x2, y2);
    CHECK(vg.stats().allocations > before);
}

TEST_CASE("value_and_grad of an MLP loss allocates nothing after the first call (static batch)", "[autodiff]") {
    tfx::random::generator gen{8};
    tensor<float, 32, 64> x;
    tensor<std::int64_t, 32> y;
    fill_batch(x, y, gen);
    check_mlp_steady_state(x, y);
}

TEST_CASE("value_and_grad of an MLP loss on the thread pool allocates nothing after the first call", "[autodiff][parallel]") {
    // Batch 1024: the 1024 x 128 x 64 products and the 131072-value elementwise clusters are split
    // over 3 threads (core/parallel.hpp); the workers' packing buffers reach their size in call 1.
    tfx::set_num_threads(3);
    tfx::random::generator gen{10};
    tensor<float, dyn, 64> x(1024);
    tensor<std::int64_t, dyn> y(1024);
    fill_batch(x, y, gen);
    const std::uint64_t regions = tfx::detail::parallel_regions();
    check_mlp_steady_state(x, y);
    CHECK(tfx::detail::parallel_regions() > regions);  // the pool did run
    tfx::set_num_threads(0);
}

namespace {

// A scan (include/tfx/control/scan.hpp) over a run-time number of steps: h' = tanh(h @ U + x_t),
// U captured from the arguments; the loss reads the final carry and every output.
auto scan_loss = [](auto U, auto h0, auto xs) {
    auto [hf, ys] = tfx::scan(
        [&](auto h, auto x) {
            auto n = tanh(matmul(h, U) + x);
            return std::tuple{n, n};
        },
        h0, xs);
    return sum(hf) + sum(ys * ys);
};

}  // namespace

TEST_CASE("value_and_grad of a scan-based loss allocates nothing after the first call", "[autodiff][control][scan]") {
    tfx::random::generator gen{9};
    tensor<double, 4, 4> U = tfx::random::uniform<double, 4, 4>(gen, -0.5, 0.5);
    tensor<double, 3, 4> h0 = tfx::random::uniform<double, 3, 4>(gen, -1, 1);
    tensor<double, dyn, 3, 4> xs(5);
    for (auto& v : xs) v = gen.uniform01() * 2 - 1;

    auto vg = tfx::value_and_grad<0, 1, 2>(scan_loss);
    const std::size_t at_start = news.load();
    const auto& out = vg(U, h0, xs);
    CHECK(news.load() > at_start);  // the first call plans (and the counter is live)
    const std::size_t ws_allocations = vg.stats().allocations;
    const void* const data[] = {std::get<0>(out).data(), std::get<1>(out).data(), std::get<2>(out).data(),
                                std::get<3>(out).data()};
    const double value = std::get<0>(out)();
    CHECK(news_in_calls_2_to_10([&] { vg(U, h0, xs); }) == 0);
    CHECK(vg.stats().allocations == ws_allocations);
    const auto& again = vg(U, h0, xs);
    CHECK(std::get<0>(again)() == value);
    CHECK(std::get<0>(again).data() == data[0]);
    CHECK(std::get<1>(again).data() == data[1]);
    CHECK(std::get<2>(again).data() == data[2]);
    CHECK(std::get<3>(again).data() == data[3]);

    // tfx::function alone is as quiet, and computes the same value.
    auto f = tfx::function(scan_loss);
    CHECK(f(U, h0, xs)() == value);
    const std::size_t f_allocations = f.stats().allocations;
    CHECK(news_in_calls_2_to_10([&] { f(U, h0, xs); }) == 0);
    CHECK(f.stats().allocations == f_allocations);

    // Another length is another shape: after its first call, none again.
    tensor<double, dyn, 3, 4> xs9(9);
    for (auto& v : xs9) v = gen.uniform01() * 2 - 1;
    vg(U, h0, xs9);
    const std::size_t ws9 = vg.stats().allocations;
    CHECK(news_in_calls_2_to_10([&] { vg(U, h0, xs9); }) == 0);
    CHECK(vg.stats().allocations == ws9);
}
