// tfx::data: sources and stages without threads or files (from_tensor_slices, map, filter,
// shuffle, batch, repeat, take, skip, shard, cache, zip, enumerate), iteration and cardinality.
#include <tfx/data/data.hpp>
#include <tfx/tfx.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <numeric>
#include <ranges>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
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

// x(i, j) = 10 i + j, i < n, j < 3; y(i) = i.
tensor<float, dyn, 3> rows(std::size_t n) {
    tensor<float, dyn, 3> x(n);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < 3; ++j) x(i, j) = float(10 * i + j);
    return x;
}
tensor<std::int64_t, dyn> labels(std::size_t n) {
    tensor<std::int64_t, dyn> y(n);
    for (std::size_t i = 0; i < n; ++i) y(i) = std::int64_t(i);
    return y;
}

// The values of a dataset of rank-0 int64 tensors, in order.
template <class D>
std::vector<std::int64_t> values(const D& ds) {
    std::vector<std::int64_t> v;
    for (const auto& e : ds) v.push_back(e());
    return v;
}
// How many elements a pass yields.
template <class D>
std::size_t count(const D& ds) {
    std::size_t n = 0;
    for (auto it = ds.begin(); it != ds.end(); ++it) ++n;
    return n;
}
std::vector<std::int64_t> iota(std::int64_t from, std::int64_t to) {
    std::vector<std::int64_t> v(std::size_t(to - from));
    std::iota(v.begin(), v.end(), from);
    return v;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// from_tensor_slices and iteration

TEST_CASE("from_tensor_slices of one tensor yields its rows in order", "[data]") {
    auto ds = data::from_tensor_slices(rows(5));
    STATIC_REQUIRE(std::is_same_v<data::element_t<decltype(ds)>, tensor<float, 3>>);
    STATIC_REQUIRE(data::dataset<decltype(ds)>);
    STATIC_REQUIRE(std::ranges::input_range<decltype(ds)>);
    CHECK(ds.cardinality() == 5);
    std::size_t i = 0;
    for (const auto& x : ds) {
        CHECK(x(0) == float(10 * i));
        CHECK(x(2) == float(10 * i + 2));
        ++i;
    }
    CHECK(i == 5);
}

TEST_CASE("from_tensor_slices of several tensors yields tuples that bind to structured bindings", "[data]") {
    auto ds = data::from_tensor_slices(rows(4), labels(4));
    STATIC_REQUIRE(std::is_same_v<data::element_t<decltype(ds)>, std::tuple<tensor<float, 3>, tensor<std::int64_t>>>);
    std::int64_t i = 0;
    for (auto& [x, y] : ds) {
        CHECK(y() == i);
        CHECK(x(1) == float(10 * i + 1));
        ++i;
    }
    CHECK(i == 4);
    for (auto [x, y] : ds) CHECK(x(0) == float(10 * y()));  // by value: a copy of each element
}

TEST_CASE("from_tensor_slices slices higher ranks and static first extents", "[data]") {
    tensor<float, 2, 2, 3> t{{{1, 2, 3}, {4, 5, 6}}, {{7, 8, 9}, {10, 11, 12}}};
    auto ds = data::from_tensor_slices(t);
    STATIC_REQUIRE(std::is_same_v<data::element_t<decltype(ds)>, tensor<float, 2, 3>>);
    std::vector<float> seen;
    for (const auto& e : ds) seen.insert(seen.end(), e.begin(), e.end());
    CHECK(seen == std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});

    tensor<float, dyn, dyn> m(3, 2);  // dynamic row extents are taken from the tensor
    std::iota(m.begin(), m.end(), 0.f);
    auto dm = data::from_tensor_slices(m);
    STATIC_REQUIRE(std::is_same_v<data::element_t<decltype(dm)>, tensor<float, dyn>>);
    std::size_t r = 0;
    for (const auto& e : dm) {
        REQUIRE(e.shape()[0] == 2);
        CHECK(e(1) == float(2 * r + 1));
        ++r;
    }
    CHECK(r == 3);
}

TEST_CASE("from_tensor_slices copies its tensors: later changes to them are not seen", "[data]") {
    auto x = labels(3);
    auto ds = data::from_tensor_slices(x);
    x(0) = 99;
    CHECK(values(ds) == iota(0, 3));
}

TEST_CASE("from_tensor_slices evaluates an expression", "[data]") {
    auto x = rows(3);
    auto ds = data::from_tensor_slices(x * 2.f + 1.f);
    STATIC_REQUIRE(std::is_same_v<data::element_t<decltype(ds)>, tensor<float, 3>>);
    std::size_t i = 0;
    for (const auto& e : ds) CHECK(e(1) == 2.f * float(10 * i++ + 1) + 1.f);
}

TEST_CASE("from_tensor_slices refuses tensors whose first extents differ", "[data]") {
    CHECK_THAT(message_of<tfx::shape_error>([&] { (void)data::from_tensor_slices(rows(4), labels(3)); }),
               Contains("from_tensor_slices") && Contains("[4, 3] and [3]"));
}

TEST_CASE("iterating a dataset twice gives two passes over the same elements", "[data]") {
    auto ds = data::from_tensor_slices(labels(6));
    CHECK(values(ds) == iota(0, 6));
    CHECK(values(ds) == iota(0, 6));
}

TEST_CASE("an empty dataset yields nothing and its begin equals its end", "[data]") {
    auto ds = data::from_tensor_slices(labels(0));
    CHECK(ds.begin() == ds.end());
    CHECK(count(ds.batch(3)) == 0);
    CHECK(count(ds.shuffle(4, 1)) == 0);
    CHECK(count(ds.repeat(3).prefetch(2)) == 0);
}

TEST_CASE("an iterator keeps working after its dataset is destroyed", "[data]") {
    auto twice = [](const auto& y) { return y * std::int64_t(2); };
    using D = decltype(data::from_tensor_slices(labels(5)).map(twice));
    auto ds = std::make_unique<D>(data::from_tensor_slices(labels(5)).map(twice));
    auto it = ds->begin();
    CHECK((*it)() == 0);
    ++it;
    ds.reset();
    std::vector<std::int64_t> rest;
    for (; it != std::default_sentinel; ++it) rest.push_back((*it)());
    CHECK(rest == std::vector<std::int64_t>{2, 4, 6, 8});
}

TEST_CASE("a chain on an lvalue copies it and leaves it usable", "[data]") {
    auto base = data::from_tensor_slices(labels(4));
    auto taken = base.take(2);
    auto skipped = base.skip(2);
    CHECK(values(taken) == iota(0, 2));
    CHECK(values(skipped) == iota(2, 4));
    CHECK(values(base) == iota(0, 4));
}

// ------------------------------------------------------------------------------------------------
// map and filter

TEST_CASE("map passes a tuple's components as separate arguments", "[data]") {
    auto ds = data::from_tensor_slices(rows(3), labels(3)).map([](const auto& x, const auto& y) {
        return std::tuple(x * 2.f, y + std::int64_t(100));
    });
    STATIC_REQUIRE(std::is_same_v<data::element_t<decltype(ds)>, std::tuple<tensor<float, 3>, tensor<std::int64_t>>>);
    std::int64_t i = 0;
    for (auto& [x, y] : ds) {
        CHECK(x(2) == 2.f * float(10 * i + 2));
        CHECK(y() == 100 + i);
        ++i;
    }
    CHECK(i == 3);
}

TEST_CASE("map passes the whole element when the function takes one argument", "[data]") {
    auto ds = data::from_tensor_slices(rows(2), labels(2))
                  .map([](const std::tuple<tensor<float, 3>, tensor<std::int64_t>>& e) {
                      return std::get<1>(e)();  // a number: becomes a rank-0 tensor
                  });
    STATIC_REQUIRE(std::is_same_v<data::element_t<decltype(ds)>, tensor<std::int64_t>>);
    CHECK(values(ds) == iota(0, 2));
}

TEST_CASE("map deduces the new element type: reductions, pairs and other values", "[data]") {
    auto sums = data::from_tensor_slices(rows(3)).map([](const auto& x) { return tfx::sum(x); });
    STATIC_REQUIRE(std::is_same_v<data::element_t<decltype(sums)>, tensor<float>>);
    std::vector<float> s;
    for (const auto& e : sums) s.push_back(e());
    CHECK(s == std::vector<float>{3, 33, 63});

    auto pairs =
        data::from_tensor_slices(labels(2)).map([](const auto& y) { return std::pair(y(), 0.5 * double(y())); });
    STATIC_REQUIRE(std::is_same_v<data::element_t<decltype(pairs)>, std::tuple<tensor<std::int64_t>, tensor<double>>>);
    for (auto& [a, b] : pairs) CHECK(b() == 0.5 * double(a()));

    auto strings = data::from_tensor_slices(labels(3)).map([](const auto& y) { return std::to_string(y()); });
    STATIC_REQUIRE(std::is_same_v<data::element_t<decltype(strings)>, std::string>);
    std::string joined;
    for (const auto& e : strings) joined += e;
    CHECK(joined == "012");

    auto widened = data::from_tensor_slices(rows(2)).map([](const auto& x) { return tfx::concat<0>(x, x); });
    STATIC_REQUIRE(std::is_same_v<data::element_t<decltype(widened)>, tensor<float, 6>>);
}

TEST_CASE("map's callability is checked at compile time", "[data]") {
    using E = std::tuple<tensor<float, 3>, tensor<std::int64_t>>;
    auto two = [](const tensor<float, 3>&, const tensor<std::int64_t>&) { return 1; };
    auto whole = [](const E&) { return 1; };
    auto wrong = [](const std::string&) { return 1; };
    STATIC_REQUIRE(data::detail::callable_with<decltype(two), E>);
    STATIC_REQUIRE(data::detail::callable_with<decltype(whole), E>);
    STATIC_REQUIRE_FALSE(data::detail::callable_with<decltype(wrong), E>);
    STATIC_REQUIRE_FALSE(data::detail::callable_with<decltype(two), tensor<float, 3>>);
}

TEST_CASE("filter keeps the elements whose predicate is true", "[data]") {
    auto ds = data::from_tensor_slices(labels(10));
    CHECK(values(ds.filter([](const auto& y) { return y() % 3 == 0; })) == std::vector<std::int64_t>{0, 3, 6, 9});
    // A rank-0 bool expression works as a predicate too.
    CHECK(values(ds.filter([](const auto& y) { return y > std::int64_t(6); })) == iota(7, 10));
    CHECK(values(ds.filter([](const auto&) { return false; })).empty());
    CHECK(ds.filter([](const auto&) { return true; }).cardinality() == data::unknown_cardinality);

    auto pairs =
        data::from_tensor_slices(rows(5), labels(5)).filter([](const auto&, const auto& y) { return y() >= 3; });
    std::vector<std::int64_t> kept;
    for (auto& [x, y] : pairs) {
        CHECK(x(0) == float(10 * y()));
        kept.push_back(y());
    }
    CHECK(kept == std::vector<std::int64_t>{3, 4});
}

// ------------------------------------------------------------------------------------------------
// shuffle

TEST_CASE("shuffle with the same seed gives the same order, every element appears exactly once", "[data]") {
    auto order = [](std::uint64_t seed, std::int64_t buffer) {
        return values(data::from_tensor_slices(labels(100)).shuffle(buffer, seed));
    };
    for (std::int64_t buffer : {1, 7, 50, 100, 1000}) {
        const auto a = order(42, buffer), b = order(42, buffer);
        CHECK(a == b);
        auto sorted = a;
        std::sort(sorted.begin(), sorted.end());
        CHECK(sorted == iota(0, 100));
        if (buffer == 1)
            CHECK(a == iota(0, 100));  // a buffer of one cannot reorder
        else
            CHECK(a != iota(0, 100));
    }
    CHECK(order(42, 100) != order(43, 100));
}

TEST_CASE("shuffle gives a new order on each pass, the same sequence of orders for a rebuilt dataset", "[data]") {
    auto make = [] { return data::from_tensor_slices(labels(50)).shuffle(50, 7); };
    auto ds = make();
    const auto e1 = values(ds), e2 = values(ds), e3 = values(ds);
    CHECK(e1 != e2);
    CHECK(e2 != e3);
    for (auto e : {e1, e2, e3}) {
        std::sort(e.begin(), e.end());
        CHECK(e == iota(0, 50));
    }
    auto again = make();
    CHECK(values(again) == e1);
    CHECK(values(again) == e2);
    CHECK(values(again) == e3);
}

TEST_CASE("shuffle without reshuffle_each_iteration repeats the first order", "[data]") {
    auto ds = data::from_tensor_slices(labels(30)).shuffle(30, 3, false);
    const auto first = values(ds);
    CHECK(values(ds) == first);
    CHECK(values(ds.repeat(2)) == [&] {
        auto v = first;
        v.insert(v.end(), first.begin(), first.end());
        return v;
    }());
}

TEST_CASE("shuffle then repeat reshuffles each repetition", "[data]") {
    auto ds = data::from_tensor_slices(labels(20)).shuffle(20, 11).repeat(3);
    const auto all = values(ds);
    REQUIRE(all.size() == 60);
    std::vector<std::vector<std::int64_t>> passes;
    for (int p = 0; p < 3; ++p) {
        std::vector<std::int64_t> v(all.begin() + 20 * p, all.begin() + 20 * (p + 1));
        passes.push_back(v);
        std::sort(v.begin(), v.end());
        CHECK(v == iota(0, 20));
    }
    CHECK(passes[0] != passes[1]);
    CHECK(passes[1] != passes[2]);
    CHECK(values(ds) != all);  // the next pass over the repeated dataset continues the sequence
}

TEST_CASE("shuffle with a small buffer moves elements forward by less than the buffer", "[data]") {
    // As tf.data: the k-th output is one of the first k + buffer inputs.
    const auto v = values(data::from_tensor_slices(labels(200)).shuffle(10, 5));
    for (std::size_t k = 0; k < v.size(); ++k) CHECK(v[k] < std::int64_t(k + 10));
}

TEST_CASE("shuffle's order is pinned for a seed: the same on every platform", "[data]") {
    // random::generator is xoshiro256** with its own integer draw: no std:: distributions.
    const auto v = values(data::from_tensor_slices(labels(10)).shuffle(10, 42));
    CHECK(v == std::vector<std::int64_t>{6, 0, 7, 4, 8, 1, 9, 5, 2, 3});
}

TEST_CASE("shuffle gives the same order read one by one or through batch", "[data]") {
    // batch reads the shuffle buffer in place (next_view); the order must not depend on that.
    for (std::int64_t buffer : {1, 5, 64}) {
        auto single = data::from_tensor_slices(labels(50)).shuffle(buffer, 17);
        auto batched = data::from_tensor_slices(labels(50)).shuffle(buffer, 17).batch(7);
        for (int pass = 0; pass < 3; ++pass) {
            std::vector<std::int64_t> flat;
            for (const auto& b : batched) flat.insert(flat.end(), b.begin(), b.end());
            CHECK(flat == values(single));
        }
    }
}

TEST_CASE("shuffle keeps whole elements of dynamic shape intact across passes", "[data]") {
    // Dynamic tensors are swapped in and out of the buffer, which later passes reuse.
    tensor<float, dyn, dyn> m(40, 5);
    for (std::size_t i = 0; i < 40; ++i)
        for (std::size_t j = 0; j < 5; ++j) m(i, j) = float(100 * i + j);
    auto ds = data::from_tensor_slices(m, labels(40)).shuffle(16, 8);
    for (int pass = 0; pass < 4; ++pass) {
        std::set<std::int64_t> seen;
        for (auto& [row, y] : ds) {
            REQUIRE(row.shape()[0] == 5);
            for (std::size_t j = 0; j < 5; ++j) CHECK(row(j) == float(100 * y() + std::int64_t(j)));
            seen.insert(y());
        }
        CHECK(seen.size() == 40);
    }
}

TEST_CASE("shuffle refuses a buffer smaller than one", "[data]") {
    CHECK_THAT(message_of<tfx::value_error>([&] { (void)data::from_tensor_slices(labels(3)).shuffle(0, 1); }),
               Contains("shuffle"));
}

// ------------------------------------------------------------------------------------------------
// batch

TEST_CASE("batch stacks elements along a new dynamic first axis, the last batch is shorter", "[data]") {
    auto ds = data::from_tensor_slices(rows(10), labels(10)).batch(4);
    STATIC_REQUIRE(
        std::is_same_v<data::element_t<decltype(ds)>, std::tuple<tensor<float, dyn, 3>, tensor<std::int64_t, dyn>>>);
    CHECK(ds.cardinality() == 3);
    std::vector<std::size_t> sizes;
    std::int64_t next = 0;
    for (auto& [x, y] : ds) {
        REQUIRE(x.shape()[0] == y.shape()[0]);
        sizes.push_back(y.shape()[0]);
        for (std::size_t k = 0; k < y.shape()[0]; ++k, ++next) {
            CHECK(y(k) == next);
            CHECK(x(k, 2) == float(10 * next + 2));
        }
    }
    CHECK(sizes == std::vector<std::size_t>{4, 4, 2});
}

TEST_CASE("batch with drop_remainder drops the short last batch", "[data]") {
    auto ds = data::from_tensor_slices(labels(10)).batch(4, true);
    CHECK(ds.cardinality() == 2);
    std::vector<std::size_t> sizes;
    for (const auto& b : ds) sizes.push_back(b.shape()[0]);
    CHECK(sizes == std::vector<std::size_t>{4, 4});
    CHECK(count(data::from_tensor_slices(labels(3)).batch(4, true)) == 0);
    // An exact multiple has no remainder either way.
    std::size_t n = 0;
    for (const auto& b : data::from_tensor_slices(labels(8)).batch(4)) n += b.shape()[0];
    CHECK(n == 8);
}

TEST_CASE("batch of batches adds another axis, int32 labels stack", "[data]") {
    tensor<std::int32_t, dyn> y(6);
    std::iota(y.begin(), y.end(), 0);
    auto ds = data::from_tensor_slices(y).batch(2).batch(3);
    STATIC_REQUIRE(std::is_same_v<data::element_t<decltype(ds)>, tensor<std::int32_t, dyn, dyn>>);
    std::size_t n = 0;
    for (const auto& b : ds) {
        REQUIRE(b.shape() == tfx::dims_t<2>{3, 2});
        CHECK(b(2, 1) == 5);
        ++n;
    }
    CHECK(n == 1);
}

TEST_CASE("batch refuses elements of different shapes within one batch", "[data]") {
    auto ds = data::from_tensor_slices(labels(4)).map(
        [](const auto& y) { return tfx::zeros<float, dyn>(std::size_t(y() < 2 ? 3 : 5)); });
    // [3], [3] | [5], [5]: each batch is uniform, the batches differ.
    std::vector<std::size_t> widths;
    for (const auto& b : ds.batch(2)) widths.push_back(b.shape()[1]);
    CHECK(widths == std::vector<std::size_t>{3, 5});
    // [3], [3], [5]: not uniform.
    auto bad = ds.batch(3);
    CHECK_THAT(message_of<tfx::shape_error>([&] { (void)count(bad); }),
               Contains("batch") && Contains("component 0") && Contains("[3]") && Contains("[5]"));
}

TEST_CASE("batch sizes its buffer from the data, and grows it if more elements come", "[data]") {
    // A batch size far beyond the data allocates for the data (else this would need 4 TB).
    auto all = data::from_tensor_slices(rows(5), labels(5)).batch(std::int64_t(1) << 40);
    std::size_t n = 0;
    for (auto& [x, y] : all) {
        CHECK(x.shape() == tfx::dims_t<2>{5, 3});
        CHECK(y(4) == 4);
        ++n;
    }
    CHECK(n == 1);
    // With an unknown size (filter) the buffer starts at the batch size. (A source that yields more
    // than its cardinality said is in test_data_npy.cpp.)
    auto filtered = data::from_tensor_slices(labels(10)).filter([](const auto&) { return true; }).batch(4);
    std::vector<std::size_t> sizes;
    for (const auto& b : filtered) sizes.push_back(b.shape()[0]);
    CHECK(sizes == std::vector<std::size_t>{4, 4, 2});
}

TEST_CASE("batch refuses a batch size below one", "[data]") {
    CHECK_THAT(message_of<tfx::value_error>([&] { (void)data::from_tensor_slices(labels(3)).batch(0); }),
               Contains("batch_size"));
}

TEST_CASE("batch reuses its output storage for every full batch", "[data]") {
    // Storage is reallocated by allocating the new block before freeing the old one, so a
    // reallocation always changes the data pointer: an unchanged pointer means no allocation.
    auto ds = data::from_tensor_slices(rows(103), labels(103)).shuffle(64, 1).batch(10);
    auto it = ds.begin();
    const float* px = std::get<0>(*it).data();
    const std::int64_t* py = std::get<1>(*it).data();
    int full = 0;
    for (; it != ds.end(); ++it) {
        if (std::get<1>(*it).shape()[0] != 10) break;
        CHECK(std::get<0>(*it).data() == px);
        CHECK(std::get<1>(*it).data() == py);
        ++full;
    }
    CHECK(full == 10);
}

// ------------------------------------------------------------------------------------------------
// repeat, take, skip

TEST_CASE("repeat goes over the dataset count times, or forever", "[data]") {
    auto ds = data::from_tensor_slices(labels(3));
    CHECK(values(ds.repeat(2)) == std::vector<std::int64_t>{0, 1, 2, 0, 1, 2});
    CHECK(values(ds.repeat(0)).empty());
    CHECK(values(ds.repeat().take(7)) == std::vector<std::int64_t>{0, 1, 2, 0, 1, 2, 0});
    CHECK(ds.repeat(2).cardinality() == 6);
    CHECK(ds.repeat().cardinality() == data::infinite_cardinality);
    CHECK(ds.repeat().take(7).cardinality() == 7);
    // An empty dataset repeated forever ends instead of spinning.
    CHECK(values(data::from_tensor_slices(labels(0)).repeat()).empty());
    CHECK(values(ds.filter([](const auto&) { return false; }).repeat()).empty());
}

TEST_CASE("take and skip select a prefix and the rest", "[data]") {
    auto ds = data::from_tensor_slices(labels(6));
    CHECK(values(ds.take(2)) == iota(0, 2));
    CHECK(values(ds.take(0)).empty());
    CHECK(values(ds.take(100)) == iota(0, 6));
    CHECK(values(ds.take(-1)) == iota(0, 6));
    CHECK(values(ds.skip(4)) == iota(4, 6));
    CHECK(values(ds.skip(0)) == iota(0, 6));
    CHECK(values(ds.skip(100)).empty());
    CHECK(values(ds.skip(-1)).empty());
    CHECK(values(ds.skip(1).take(3)) == iota(1, 4));
    CHECK(ds.take(2).cardinality() == 2);
    CHECK(ds.skip(4).cardinality() == 2);
    CHECK(ds.skip(10).cardinality() == 0);
}

TEST_CASE("shard splits a dataset into disjoint parts that cover it once", "[data]") {
    auto ds = data::from_tensor_slices(labels(10));
    CHECK(values(ds.shard(3, 0)) == std::vector<std::int64_t>{0, 3, 6, 9});
    CHECK(values(ds.shard(3, 1)) == std::vector<std::int64_t>{1, 4, 7});
    CHECK(values(ds.shard(3, 2)) == std::vector<std::int64_t>{2, 5, 8});
    CHECK(values(ds.shard(1, 0)) == iota(0, 10));
    CHECK(values(ds.shard(12, 11)).empty());
    CHECK(ds.shard(3, 0).cardinality() == 4);
    CHECK(ds.shard(3, 2).cardinality() == 3);
    CHECK(ds.shard(12, 11).cardinality() == 0);
    CHECK(ds.repeat().shard(2, 1).cardinality() == data::infinite_cardinality);
    CHECK(ds.filter([](const auto& y) { return y() > 2; }).shard(2, 0).cardinality() == data::unknown_cardinality);
    // Every element of every epoch in exactly one of n shards, for several n.
    for (std::int64_t n = 1; n <= 4; ++n) {
        std::vector<std::int64_t> all;
        for (std::int64_t i = 0; i < n; ++i)
            for (auto v : values(ds.shard(n, i))) all.push_back(v);
        std::sort(all.begin(), all.end());
        CHECK(all == iota(0, 10));
    }
    // Then batched, as a rank of a data-parallel job reads it; a second pass gives the same shard.
    auto batched = ds.shard(2, 1).batch(2);
    std::vector<std::int64_t> seen;
    for (int pass = 0; pass < 2; ++pass)
        for (const auto& b : batched)
            for (auto v : b) seen.push_back(v);
    CHECK(seen == std::vector<std::int64_t>{1, 3, 5, 7, 9, 1, 3, 5, 7, 9});
    CHECK_THROWS_WITH(ds.shard(0, 0), Contains("tfx: shard: num_shards must be at least 1, got 0"));
    CHECK_THROWS_WITH(ds.shard(2, 2), Contains("tfx: shard: index must be in [0, 2), got 2"));
    CHECK_THROWS_WITH(ds.shard(2, -1), Contains("tfx: shard: index must be in [0, 2), got -1"));
}

// ------------------------------------------------------------------------------------------------
// cache

TEST_CASE("cache runs the upstream stages once, then reads from memory", "[data]") {
    auto calls = std::make_shared<int>(0);
    auto ds = data::from_tensor_slices(labels(5))
                  .map([calls](const auto& y) {
                      ++*calls;
                      return y * std::int64_t(3);
                  })
                  .cache();
    CHECK(values(ds) == std::vector<std::int64_t>{0, 3, 6, 9, 12});
    CHECK(*calls == 5);
    CHECK(values(ds) == std::vector<std::int64_t>{0, 3, 6, 9, 12});
    CHECK(values(ds) == std::vector<std::int64_t>{0, 3, 6, 9, 12});
    CHECK(*calls == 5);
    auto copy = ds;  // copies share the cache
    CHECK(values(copy.take(2)) == std::vector<std::int64_t>{0, 3});
    CHECK(*calls == 5);
}

TEST_CASE("cache keeps nothing from a pass that stops early", "[data]") {
    auto calls = std::make_shared<int>(0);
    auto ds = data::from_tensor_slices(labels(5))
                  .map([calls](const auto& y) {
                      ++*calls;
                      return y;
                  })
                  .cache();
    CHECK(values(ds.take(2)) == iota(0, 2));
    CHECK(*calls == 2);
    CHECK(values(ds) == iota(0, 5));  // fills the cache
    CHECK(*calls == 7);
    CHECK(values(ds) == iota(0, 5));
    CHECK(*calls == 7);
}

TEST_CASE("cache after shuffle freezes the first order, shuffle after cache reshuffles", "[data]") {
    auto frozen = data::from_tensor_slices(labels(20)).shuffle(20, 9).cache();
    const auto first = values(frozen);
    CHECK(values(frozen) == first);
    auto fresh = data::from_tensor_slices(labels(20)).cache().shuffle(20, 9);
    CHECK(values(fresh) != values(fresh));
}

// ------------------------------------------------------------------------------------------------
// zip and enumerate

TEST_CASE("zip pairs elements and ends with the shortest dataset", "[data]") {
    auto a = data::from_tensor_slices(rows(5), labels(5));
    auto b = data::from_tensor_slices(labels(3)).map([](const auto& y) { return y * std::int64_t(-1); });
    auto ds = data::zip(a, b);
    STATIC_REQUIRE(
        std::is_same_v<data::element_t<decltype(ds)>,
                       std::tuple<std::tuple<tensor<float, 3>, tensor<std::int64_t>>, tensor<std::int64_t>>>);
    CHECK(ds.cardinality() == 3);
    std::int64_t n = 0;
    for (auto& [xy, z] : ds) {
        auto& [x, y] = xy;
        CHECK(y() == n);
        CHECK(z() == -n);
        CHECK(x(0) == float(10 * n));
        ++n;
    }
    CHECK(n == 3);
    CHECK(data::zip(a, b.repeat()).cardinality() == 5);
    CHECK(data::zip(a.repeat(), b.repeat()).cardinality() == data::infinite_cardinality);
    // Three at once, and zip of batches.
    auto three = data::zip(data::from_tensor_slices(labels(4)), b, data::from_tensor_slices(rows(4))).batch(2);
    std::size_t batches = 0;
    for (auto& [p, q, r] : three) {
        CHECK(p.shape()[0] == q.shape()[0]);
        CHECK(r.shape()[1] == 3);
        ++batches;
    }
    CHECK(batches == 2);
}

TEST_CASE("enumerate numbers the elements from start", "[data]") {
    auto ds = data::from_tensor_slices(rows(4), labels(4)).enumerate(10);
    std::int64_t n = 0;
    for (auto& [i, xy] : ds) {
        auto& [x, y] = xy;
        CHECK(i() == 10 + n);
        CHECK(y() == n);
        CHECK(x(1) == float(10 * n + 1));
        ++n;
    }
    CHECK(n == 4);
    auto batched = data::from_tensor_slices(labels(5)).enumerate().batch(5);
    for (auto& [i, y] : batched) {
        STATIC_REQUIRE(std::is_same_v<std::remove_cvref_t<decltype(i)>, tensor<std::int64_t, dyn>>);
        for (std::size_t k = 0; k < 5; ++k) CHECK(i(k) == y(k));
    }
}

TEST_CASE("a whole pipeline: slices, map, shuffle, batch, repeat, take", "[data]") {
    auto ds = data::from_tensor_slices(rows(23), labels(23))
                  .map([](const auto& x, const auto& y) { return std::tuple(x / 10.f, y); })
                  .shuffle(8, 2024)
                  .batch(5)
                  .repeat(2)
                  .take(9);
    CHECK(ds.cardinality() == 9);
    std::multiset<std::int64_t> seen;
    std::size_t batches = 0;
    for (auto& [x, y] : ds) {
        for (std::size_t k = 0; k < y.shape()[0]; ++k) {
            CHECK(x(k, 0) == Approx(float(y(k))));
            seen.insert(y(k));
        }
        ++batches;
    }
    CHECK(batches == 9);
    CHECK(seen.size() == 5 * 4 + 3 + 5 * 4);  // 4 full batches and the short one, then 4 more
    for (std::int64_t v = 0; v < 23; ++v) CHECK(seen.count(v) >= 1);
}
