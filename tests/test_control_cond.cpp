// tfx::cond (include/tfx/control/cond.hpp): the branch picked by a bool or rank-0 predicate, eager
// and inside tfx::function; only that branch is evaluated; dynamic extents that disagree at run time
// throw tfx::shape_error. Gradients: test_control_cond_grad.cpp. Compile-time misuse:
// compile_fail/control_cond_branch_types.cpp.
#include "cond_check.hpp"

using namespace condtest;

TEST_CASE("cond picks the branch of a bool predicate (eager)", "[control][cond]") {
    const tensor<double, 3> a{1.0, -2.0, 3.0};
    const tensor<double, 3> t = tfx::cond(true, [&] { return a * 2.0; }, [&] { return a - 1.0; });
    const tensor<double, 3> f = tfx::cond(false, [&] { return a * 2.0; }, [&] { return a - 1.0; });
    for (int i = 0; i < 3; ++i) {
        CHECK(t(i) == a(i) * 2.0);
        CHECK(f(i) == a(i) - 1.0);
    }
    // A branch may return a tensor as it is (a leaf), and an int converts to bool (nonzero is true).
    const tensor<double, 3> b{7.0, 8.0, 9.0};
    const tensor<double, 3> leaf = tfx::cond(0, [&] { return a; }, [&] { return b; });
    CHECK(leaf(0) == 7.0);
    CHECK(leaf(2) == 9.0);
    const tensor<double, 3> leaf2 = tfx::cond(5, [&] { return a; }, [&] { return b; });
    CHECK(leaf2(1) == -2.0);
}

TEST_CASE("cond picks the branch of a rank-0 predicate (expression or tensor, nonzero is true)", "[control][cond]") {
    const tensor<double, 3> a{1.0, -2.0, 3.0};  // sum 2
    auto then_fn = [&] { return a * 10.0; };
    auto else_fn = [&] { return a + 100.0; };
    SECTION("a comparison of a reduction") {
        const tensor<double, 3> p = tfx::cond(sum(a) > 0.0, then_fn, else_fn);
        const tensor<double, 3> n = tfx::cond(sum(a) < 0.0, then_fn, else_fn);
        CHECK(p(1) == -20.0);
        CHECK(n(1) == 98.0);
    }
    SECTION("a floating-point rank-0 expression: zero is false, anything else is true") {
        const tensor<double, 3> z = tfx::cond(sum(a) - 2.0, then_fn, else_fn);  // exactly 0
        const tensor<double, 3> nz = tfx::cond(sum(a) - 2.5, then_fn, else_fn);  // -0.5
        CHECK(z(0) == 101.0);
        CHECK(nz(0) == 10.0);
    }
    SECTION("rank-0 tensors of bool, int and double") {
        const tensor<bool> yes(true), no(false);
        const tensor<int> three(3), zero(0);
        const tensor<double> half(0.5), dzero(0.0);
        CHECK(tensor<double, 3>(tfx::cond(yes, then_fn, else_fn))(2) == 30.0);
        CHECK(tensor<double, 3>(tfx::cond(no, then_fn, else_fn))(2) == 103.0);
        CHECK(tensor<double, 3>(tfx::cond(three, then_fn, else_fn))(2) == 30.0);
        CHECK(tensor<double, 3>(tfx::cond(zero, then_fn, else_fn))(2) == 103.0);
        CHECK(tensor<double, 3>(tfx::cond(half, then_fn, else_fn))(2) == 30.0);
        CHECK(tensor<double, 3>(tfx::cond(dzero, then_fn, else_fn))(2) == 103.0);
    }
    SECTION("the predicate is read when the result is evaluated, not when cond is called") {
        tensor<bool> flag(true);
        auto c = tfx::cond(flag, then_fn, else_fn);
        flag() = false;
        const tensor<double, 3> r = c;
        CHECK(r(0) == 101.0);
    }
}

TEST_CASE("cond with tuple branches gives a tuple of results", "[control][cond]") {
    const tensor<double, 3> a{1.0, 2.0, 3.0};
    const tensor<double, 2, 3> m{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
    auto then_fn = [&] { return std::tuple{a * 2.0, sum(a), m + a}; };
    auto else_fn = [&] { return std::tuple{a - 1.0, sum(a) * 3.0, m * 0.5}; };
    {
        auto [x, s, y] = tfx::cond(sum(a) > 0.0, then_fn, else_fn);
        const tensor<double, 3> xt = x;
        const tensor<double> st = s;
        const tensor<double, 2, 3> yt = y;
        CHECK(xt(2) == 6.0);
        CHECK(st() == 6.0);
        CHECK(yt(1, 2) == 9.0);
    }
    {
        auto [x, s, y] = tfx::cond(false, then_fn, else_fn);
        const tensor<double, 3> xt = x;
        const tensor<double> st = s;
        const tensor<double, 2, 3> yt = y;
        CHECK(xt(2) == 2.0);
        CHECK(st() == 18.0);
        CHECK(yt(1, 2) == 3.0);
    }
    // std::pair branches too.
    auto [p, q] = tfx::cond(true, [&] { return std::pair{a * 1.0, m * 1.0}; }, [&] { return std::pair{a * 0.0, m * 0.0}; });
    CHECK(tensor<double, 3>(p)(1) == 2.0);
    CHECK(tensor<double, 2, 3>(q)(1, 0) == 4.0);
}

TEST_CASE("cond evaluates only the branch taken", "[control][cond]") {
    const tensor<double, 3> a{1.0, 2.0, 3.0};
    SECTION("the sentinel works: a taken branch with an out-of-range gather throws") {
        auto taken = [&] {
            const tensor<double, 3> r = tfx::cond(true, [&] { return tfx::gather<0>(a, bad_index); }, [&] { return a * 2.0; });
            return r(0);
        };
        CHECK_THROWS_AS(taken(), tfx::value_error);
    }
    SECTION("an untaken else branch that would throw is not evaluated") {
        tensor<double, 3> r;
        CHECK_NOTHROW(r = tfx::cond(sum(a) > 0.0, [&] { return a * 2.0; }, [&] { return tfx::gather<0>(a, bad_index); }));
        CHECK(r(2) == 6.0);
    }
    SECTION("an untaken then branch that would throw is not evaluated") {
        tensor<double, 3> r;
        CHECK_NOTHROW(r = tfx::cond(sum(a) < 0.0, [&] { return tfx::gather<0>(a, bad_index) + 1.0; }, [&] { return a - 1.0; }));
        CHECK(r(2) == 2.0);
    }
    SECTION("tuple branches: no element of the untaken branch is evaluated") {
        auto [x, y] = tfx::cond(
            false, [&] { return std::tuple{tfx::gather<0>(a, bad_index), sum(tfx::gather<0>(a, bad_index))}; },
            [&] { return std::tuple{a + 1.0, sum(a)}; });
        tensor<double, 3> xt;
        tensor<double> yt;
        CHECK_NOTHROW(xt = x);
        CHECK_NOTHROW(yt = y);
        CHECK(xt(0) == 2.0);
        CHECK(yt() == 6.0);
    }
    SECTION("a counting kernel: the branch taken runs once, the other never (eager)") {
        int n_then = 0, n_else = 0;
        const tensor<double, 3> r =
            tfx::cond(sum(a) > 0.0, [&] { return counted(a, &n_then) * 2.0; }, [&] { return counted(a, &n_else) + 1.0; });
        CHECK(n_then == 1);
        CHECK(n_else == 0);
        CHECK(r(1) == 4.0);
        const tensor<double, 3> s =
            tfx::cond(sum(a) < 0.0, [&] { return counted(a, &n_then) * 2.0; }, [&] { return counted(a, &n_else) + 1.0; });
        CHECK(n_then == 1);
        CHECK(n_else == 1);
        CHECK(s(1) == 3.0);
    }
    SECTION("inside tfx::function, with the predicate an argument") {
        int n_then = 0, n_else = 0;
        auto f = tfx::function([&](auto p, auto x) {
            return tfx::cond(p, [&] { return counted(a, &n_then) * x; }, [&] { return tfx::gather<0>(x, bad_index) + counted(a, &n_else); });
        });
        const tensor<bool> yes(true), no(false);
        const tensor<double, 3> x{1.0, -1.0, 0.5};
        tensor<double, 3> r;
        CHECK_NOTHROW(r = f(yes, x));
        CHECK(r(1) == -2.0);
        CHECK(n_then == 1);
        CHECK(n_else == 0);
        CHECK_NOTHROW(r = f(yes, x));
        CHECK(n_then == 2);
        CHECK(n_else == 0);
        CHECK_THROWS_AS(f(no, x), tfx::value_error);  // the else branch now runs (and its gather throws)
    }
}

TEST_CASE("cond inside tfx::function with dynamic shapes, extents that disagree at run time throw", "[control][cond]") {
    auto f = tfx::function(
        [](auto x, auto y) { return tfx::cond(sum(x) > 0.0, [&] { return x * 2.0; }, [&] { return y + 1.0; }); });
    tensor<double, dyn> x4(4), y4(4), x5(5), y5(5);
    for (std::size_t i = 0; i < 4; ++i) x4(i) = double(i) + 1, y4(i) = 10.0 * double(i);
    for (std::size_t i = 0; i < 5; ++i) x5(i) = -double(i) - 1, y5(i) = -10.0 * double(i);
    {
        const auto& r = f(x4, y4);
        REQUIRE(r.size() == 4);
        for (std::size_t i = 0; i < 4; ++i) CHECK(r(i) == 2.0 * x4(i));
    }
    {
        const auto& r = f(x5, y5);  // another length, and the other branch
        REQUIRE(r.size() == 5);
        for (std::size_t i = 0; i < 5; ++i) CHECK(r(i) == y5(i) + 1.0);
    }
    {
        const auto& r = f(x4, y4);  // back to the first shapes
        REQUIRE(r.size() == 4);
        CHECK(r(3) == 8.0);
    }
    // [4] and [5]: the branches disagree, whichever is taken.
    CHECK_THROWS_AS(f(x4, y5), tfx::shape_error);
    try {
        f(x5, y4);
        FAIL("no shape_error");
    } catch (const tfx::shape_error& e) {
        INFO(e.what());
        CHECK(starts_with(e.what(), "tfx: cond:"));
    }
    // Eager too.
    try {
        tensor<double, dyn> r = tfx::cond(true, [&] { return x4 * 1.0; }, [&] { return y5 * 1.0; });
        FAIL("no shape_error");
    } catch (const tfx::shape_error& e) {
        INFO(e.what());
        CHECK(starts_with(e.what(), "tfx: cond:"));
    }
    // The gradient inside value_and_grad, dynamic lengths, either branch.
    auto loss = [](auto x, auto y) {
        return sum(tfx::cond(sum(x) > 0.0, [&] { return x * x * y; }, [&] { return exp(x) + y * y; }));
    };
    const std::string m1 = check_grad(loss, x4, y4);
    INFO(m1);
    CHECK(m1.empty());
    const std::string m2 = check_grad(loss, x5, y5);
    INFO(m2);
    CHECK(m2.empty());
}

TEST_CASE("cond of a dynamic and a static branch: the result has the static extent", "[control][cond]") {
    tensor<double, dyn> d(3);
    d(0) = 1, d(1) = 2, d(2) = 3;
    const tensor<double, 3> s{10.0, 20.0, 30.0};
    auto c = tfx::cond(true, [&] { return d * 1.0; }, [&] { return s * 1.0; });
    STATIC_REQUIRE(std::is_same_v<decltype(c)::shape_type, tfx::shape<3>>);
    const tensor<double, 3> r = c;
    CHECK(r(2) == 3.0);
    const tensor<double, 3> r2 = tfx::cond(false, [&] { return d * 1.0; }, [&] { return s * 1.0; });
    CHECK(r2(2) == 30.0);
}

// A dynamic extent is checked when the node is evaluated, also when the other branch's is static
// (the merged shape is then static; a bug once let the dynamic branch's extent through unchecked).
TEST_CASE("cond of a dynamic [4] and a static [3] branch throws tfx: cond: at run time", "[control][cond]") {
    tensor<double, dyn> d(4);
    const tensor<double, 3> s{10.0, 20.0, 30.0};
    try {
        tensor<double, dyn> r = tfx::cond(true, [&] { return d * 1.0; }, [&] { return s * 1.0; });
        FAIL("no shape_error; the result has " << r.size() << " elements, its static shape says 3");
    } catch (const tfx::shape_error& e) {
        INFO(e.what());
        CHECK(starts_with(e.what(), "tfx: cond:"));
    }
    try {
        tensor<double, 3> r = tfx::cond(false, [&] { return d * 1.0; }, [&] { return s * 1.0; });
        FAIL("no shape_error");
    } catch (const tfx::shape_error& e) {
        INFO(e.what());
        CHECK(starts_with(e.what(), "tfx: cond:"));
    }
}
