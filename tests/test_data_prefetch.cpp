// tfx::data prefetch: a bounded queue filled by a background thread. Order, exceptions carried to
// the consumer, early exit, destruction mid-iteration. Every test here must finish: a hang is the
// failure (the suite is also run under -fsanitize=thread).
#include <tfx/data/data.hpp>
#include <tfx/tfx.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using tfx::dyn;
using tfx::tensor;
namespace data = tfx::data;
using Catch::Matchers::Contains;

// The message of the exception of type E that f throws ("(no exception)" when it throws none).
template <class E, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return "(no exception)";
}
using namespace std::chrono_literals;

tensor<std::int64_t, dyn> labels(std::size_t n) {
    tensor<std::int64_t, dyn> y(n);
    std::iota(y.begin(), y.end(), std::int64_t(0));
    return y;
}

template <class D>
std::vector<std::int64_t> values(const D& ds) {
    std::vector<std::int64_t> v;
    for (const auto& e : ds) v.push_back(e());
    return v;
}

struct upstream_failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace

TEST_CASE("prefetch yields the same elements in the same order", "[data][prefetch]") {
    auto ds = data::from_tensor_slices(labels(200));
    const auto plain = values(ds);
    for (std::int64_t n : {1, 2, 7, 500}) CHECK(values(ds.prefetch(n)) == plain);
    CHECK(ds.prefetch(3).cardinality() == 200);
    // Shuffle and batch upstream: prefetching changes nothing in what arrives.
    auto make = [] { return data::from_tensor_slices(labels(50)).shuffle(16, 5).batch(4); };
    std::vector<std::int64_t> a, b;
    for (const auto& batch : make()) a.insert(a.end(), batch.begin(), batch.end());
    for (const auto& batch : make().prefetch(2)) b.insert(b.end(), batch.begin(), batch.end());
    CHECK(a == b);
    // Prefetch of a prefetch.
    CHECK(values(ds.prefetch(2).map([](const auto& y) { return y; }).prefetch(3)) == plain);
}

TEST_CASE("prefetch carries an exception thrown upstream to the consumer, after the elements before it",
          "[data][prefetch]") {
    auto ds = data::from_tensor_slices(labels(10))
                  .map([](const auto& y) {
                      if (y() == 6) throw upstream_failure("element 6 is bad");
                      return y;
                  })
                  .prefetch(3);
    std::vector<std::int64_t> got;
    auto it = ds.begin();
    try {
        for (; it != ds.end(); ++it) got.push_back((*it)());
        FAIL("the exception did not arrive");
    } catch (const upstream_failure& e) {
        CHECK(std::string(e.what()) == "element 6 is bad");
    }
    CHECK(got == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5});
    CHECK(it == ds.end());  // the pass is over; its thread is gone
    // The dataset itself is fine: the next pass fails at the same place.
    CHECK_THROWS_AS(values(ds), upstream_failure);
}

TEST_CASE("prefetch rethrows a failure on the first element from begin()", "[data][prefetch]") {
    auto ds =
        data::from_tensor_slices(labels(3))
            .map([](const auto& y) -> tensor<std::int64_t> { throw upstream_failure("at " + std::to_string(y())); })
            .prefetch(2);
    CHECK_THAT(message_of<upstream_failure>([&] { (void)ds.begin(); }), Contains("at 0"));
    // tfx errors keep their type too.
    auto bad = data::from_tensor_slices(labels(4))
                   .batch(2)
                   .map([](const auto& b) { return tfx::gather<0>(b, tensor<std::int64_t, 1>{7}); })
                   .prefetch(1);
    CHECK_THAT(message_of<tfx::value_error>([&] {
                   for (auto it = bad.begin(); it != bad.end(); ++it) {
                   }
               }),
               Contains("gather"));
}

TEST_CASE("breaking out of a loop over an endless prefetching dataset returns promptly", "[data][prefetch]") {
    auto ds = data::from_tensor_slices(labels(5)).repeat().prefetch(4);
    int n = 0;
    for (const auto& y : ds) {
        CHECK(y() == n % 5);
        if (++n == 12) break;
    }
    CHECK(n == 12);
    // take() ends the pass with the producer still running: the same shutdown.
    CHECK(values(ds.take(3)) == std::vector<std::int64_t>{0, 1, 2});
    // And many short passes in a row.
    for (int i = 0; i < 50; ++i) CHECK(values(ds.take(i % 4)).size() == std::size_t(i % 4));
}

TEST_CASE("the queue is bounded: the producer waits when it is full", "[data][prefetch]") {
    auto produced = std::make_shared<std::atomic<int>>(0);
    auto ds = data::from_tensor_slices(labels(1000))
                  .map([produced](const auto& y) {
                      produced->fetch_add(1);
                      return y;
                  })
                  .prefetch(3);
    // Waits (up to 10 s: the machine may be busy) until at least n elements were produced.
    auto reach = [&](int n) {
        for (int i = 0; i < 1000 && produced->load() < n; ++i) std::this_thread::sleep_for(10ms);
    };
    auto it = ds.begin();  // takes one element
    CHECK((*it)() == 0);
    reach(4);
    std::this_thread::sleep_for(100ms);
    // One in the consumer's hands, three queued; the producer is waiting for room.
    CHECK(produced->load() == 4);
    ++it;
    reach(5);
    std::this_thread::sleep_for(100ms);
    CHECK(produced->load() == 5);
}

TEST_CASE("destroying the iterator while the producer waits for room joins it", "[data][prefetch]") {
    auto ds = data::from_tensor_slices(labels(100)).prefetch(1);
    for (int i = 0; i < 20; ++i) {
        auto it = ds.begin();
        std::this_thread::sleep_for(1ms);  // let the producer fill the queue and block
        CHECK((*it)() == 0);
    }  // each iterator is destroyed here
}

TEST_CASE("destroying the iterator while the producer is inside a slow stage waits for that element only",
          "[data][prefetch]") {
    auto ds = data::from_tensor_slices(labels(1000))
                  .map([](const auto& y) {
                      std::this_thread::sleep_for(20ms);
                      return y;
                  })
                  .prefetch(8);
    const auto start = std::chrono::steady_clock::now();
    {
        auto it = ds.begin();
        CHECK((*it)() == 0);
    }
    // Far less than the 20 s the whole dataset would take.
    CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("destroying a prefetching dataset mid-iteration leaves the iteration working", "[data][prefetch]") {
    using D = decltype(data::from_tensor_slices(labels(1)).shuffle(8, 1).batch(3).prefetch(2));
    auto ds = std::make_unique<D>(data::from_tensor_slices(labels(30)).shuffle(8, 1).batch(3).prefetch(2));
    auto it = ds->begin();
    std::vector<std::int64_t> got(it->begin(), it->end());
    ++it;
    ds.reset();  // the pass owns everything it reads
    for (; it != std::default_sentinel; ++it) got.insert(got.end(), it->begin(), it->end());
    std::sort(got.begin(), got.end());
    CHECK(got == [] {
        std::vector<std::int64_t> v(30);
        std::iota(v.begin(), v.end(), 0);
        return v;
    }());

    // Destroying both the dataset and the iterator mid-pass, with an endless upstream.
    auto endless = std::make_unique<decltype(data::from_tensor_slices(labels(1)).repeat().prefetch(2))>(
        data::from_tensor_slices(labels(3)).repeat().prefetch(2));
    auto it2 = std::make_unique<decltype(endless->begin())>(endless->begin());
    ++*it2;
    const std::int64_t seen = (**it2)();
    CHECK((seen >= 0 && seen < 3));  // the pass is live; destroying it below must not hang (CTest times out)
    endless.reset();
    it2.reset();
}

TEST_CASE("an exception in the consumer's loop body stops the producer cleanly", "[data][prefetch]") {
    auto ds = data::from_tensor_slices(labels(10)).repeat().prefetch(2);
    CHECK_THROWS_AS(
        [&] {
            for (const auto& y : ds)
                if (y() == 7) throw upstream_failure("consumer gave up");
        }(),
        upstream_failure);
}

TEST_CASE("prefetch refuses a buffer smaller than one", "[data][prefetch]") {
    CHECK_THAT(message_of<tfx::value_error>([&] { (void)data::from_tensor_slices(labels(3)).prefetch(0); }),
               Contains("prefetch"));
}

TEST_CASE("two passes over one prefetching dataset may run at the same time", "[data][prefetch]") {
    auto ds = data::from_tensor_slices(labels(300)).map([](const auto& y) { return y * std::int64_t(2); }).prefetch(4);
    std::vector<std::int64_t> a, b;
    auto ia = ds.begin();
    auto ib = ds.begin();
    for (; ia != ds.end(); ++ia) {
        a.push_back((*ia)());
        if (ib != ds.end()) {
            b.push_back((*ib)());
            ++ib;
        }
    }
    CHECK(a == b);
    CHECK(a.size() == 300);
}
