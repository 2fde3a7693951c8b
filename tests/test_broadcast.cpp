// NumPy broadcasting (static and dynamic extents), run-time shape errors that leave the
// destination unchanged, and in-place updates (aliasing).
#include "elementwise_checks.hpp"

#include <cstdint>
#include <type_traits>

using namespace tfx_test;
using Catch::Matchers::Contains;

// ---------------------------------------------------------------------------------------------
// broadcasting

TEMPLATE_TEST_CASE("broadcast of [?,3] with [3] adds per row", "[elementwise]", float, double) {
    tensor<TestType, dyn, 3> a{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10, 11, 12}};
    tensor<TestType, 3> v{100, 200, 300};
    tensor c = a + v;
    STATIC_REQUIRE(std::is_same_v<decltype(c), tensor<TestType, dyn, 3>>);
    REQUIRE(c.shape() == dims_t<2>{4, 3});
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 3; ++j) CHECK(c(i, j) == a(i, j) + v(j));
    tensor<TestType, dyn, 3> d = v - a;
    CHECK(d(3, 2) == 288);
}

TEMPLATE_TEST_CASE("broadcast of [2,3] with [2,1] applies per column of each row", "[elementwise]", float, double) {
    tensor<TestType, 2, 3> a{{1, 2, 3}, {4, 5, 6}};
    tensor<TestType, 2, 1> b{{10}, {20}};
    tensor c = a * b;
    STATIC_REQUIRE(std::is_same_v<decltype(c), tensor<TestType, 2, 3>>);
    CHECK(c(0, 0) == 10);
    CHECK(c(0, 2) == 30);
    CHECK(c(1, 0) == 80);
    CHECK(c(1, 2) == 120);
}

TEMPLATE_TEST_CASE("broadcast of [4,1] with [1,5] makes [4,5]", "[elementwise]", float, double) {
    tensor<TestType, 4, 1> col{{1}, {2}, {3}, {4}};
    tensor<TestType, 1, 5> row{{10, 20, 30, 40, 50}};
    tensor outer = col * row;
    STATIC_REQUIRE(std::is_same_v<decltype(outer), tensor<TestType, 4, 5>>);
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 5; ++j) CHECK(outer(i, j) == TestType((i + 1) * (j + 1) * 10));

    tensor<TestType, dyn, 1> dcol = col;
    tensor<TestType, 1, dyn> drow = row;
    tensor douter = dcol + drow;
    STATIC_REQUIRE(std::is_same_v<decltype(douter), tensor<TestType, dyn, dyn>>);
    REQUIRE(douter.shape() == dims_t<2>{4, 5});
    CHECK(douter(3, 4) == 54);
    CHECK(douter(0, 0) == 11);

    // every extent dynamic: the 1s are known only at run time
    tensor<TestType, dyn, dyn> fcol = col, frow = row;
    tensor<TestType, dyn, dyn> fouter = fcol * frow;
    REQUIRE(fouter.shape() == dims_t<2>{4, 5});
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 5; ++j) CHECK(fouter(i, j) == outer(i, j));
}

TEMPLATE_TEST_CASE("a rank-0 tensor broadcasts against a matrix", "[elementwise]", float, double) {
    tensor<TestType> s = TestType(2);
    tensor<TestType, dyn, 3> a{{1, 2, 3}, {4, 5, 6}};
    tensor c = a * s - s;
    STATIC_REQUIRE(std::is_same_v<decltype(c), tensor<TestType, dyn, 3>>);
    REQUIRE(c.shape() == dims_t<2>{2, 3});
    CHECK(c(0, 0) == 0);
    CHECK(c(1, 2) == 10);
    tensor<TestType, dyn, dyn> big(3, 40);
    big.fill(1);
    tensor<TestType, dyn, dyn> r = s + big;
    for (TestType v : r) CHECK(v == 3);
}

TEMPLATE_TEST_CASE("broadcast of [3] with [2,3] repeats the vector over rows", "[elementwise]", float, double) {
    tensor<TestType, 3> v{1, 2, 3};
    tensor<TestType, 2, 3> a{{10, 20, 30}, {40, 50, 60}};
    tensor c = v - a;
    STATIC_REQUIRE(std::is_same_v<decltype(c), tensor<TestType, 2, 3>>);
    CHECK(c(0, 0) == -9);
    CHECK(c(1, 2) == -57);
}

TEMPLATE_TEST_CASE("rank 3 broadcasts with rank 1 and rank 2 operands", "[elementwise]", float, double) {
    tensor<TestType, 2, 3, 4> x;
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = TestType(i);
    tensor<TestType, 4> v{1000, 2000, 3000, 4000};
    tensor<TestType, 3, 4> m;
    for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = TestType(100 * i);
    tensor<TestType, 3, 1> c{{1}, {2}, {3}};
    tensor<TestType, 2, 1, 4> y;
    for (std::size_t i = 0; i < y.size(); ++i) y.data()[i] = TestType(10 * i);

    tensor xv = x + v;
    tensor xm = x + m;
    tensor xc = x * c;
    tensor yc = y + c;  // [2,1,4] with [3,1] -> [2,3,4]
    STATIC_REQUIRE(std::is_same_v<decltype(xv), tensor<TestType, 2, 3, 4>>);
    STATIC_REQUIRE(std::is_same_v<decltype(xm), tensor<TestType, 2, 3, 4>>);
    STATIC_REQUIRE(std::is_same_v<decltype(xc), tensor<TestType, 2, 3, 4>>);
    STATIC_REQUIRE(std::is_same_v<decltype(yc), tensor<TestType, 2, 3, 4>>);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j)
            for (std::size_t k = 0; k < 4; ++k) {
                wrong += xv(i, j, k) != x(i, j, k) + v(k);
                wrong += xm(i, j, k) != x(i, j, k) + m(j, k);
                wrong += xc(i, j, k) != x(i, j, k) * c(j, 0);
                wrong += yc(i, j, k) != y(i, 0, k) + c(j, 0);
            }
    CHECK(wrong == 0);

    // the same with dynamic extents
    tensor<TestType, dyn, dyn, dyn> dx = x;
    tensor<TestType, dyn, dyn> dm = m;
    tensor<TestType, dyn, dyn, dyn> dxm = dx - dm;
    REQUIRE(dxm.shape() == dims_t<3>{2, 3, 4});
    wrong = 0;
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j)
            for (std::size_t k = 0; k < 4; ++k) wrong += dxm(i, j, k) != x(i, j, k) - m(j, k);
    CHECK(wrong == 0);
}

TEMPLATE_TEST_CASE("a dynamic extent that is 1 at run time broadcasts against a larger one", "[elementwise]", float,
                   double) {
    tensor<TestType, dyn, 3> one(1);
    one(0, 0) = 1;
    one(0, 1) = 2;
    one(0, 2) = 3;
    tensor<TestType, 4, 3> b;
    for (std::size_t i = 0; i < b.size(); ++i) b.data()[i] = TestType(10 * i);
    tensor c = one + b;
    STATIC_REQUIRE(std::is_same_v<decltype(c), tensor<TestType, 4, 3>>);
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 3; ++j) CHECK(c(i, j) == one(0, j) + b(i, j));

    // the last extent 1 at run time, against long rows (the non-vectorized path)
    for (std::size_t n : {3, 17, 40, 100}) {
        INFO("row length " << n);
        tensor<TestType, dyn, dyn> colv(4, 1), wide(4, n);
        for (std::size_t i = 0; i < 4; ++i) colv(i, 0) = TestType(1000 * (i + 1));
        for (std::size_t i = 0; i < wide.size(); ++i) wide.data()[i] = TestType(i);
        tensor<TestType, dyn, dyn> s = wide + colv, t = colv - wide;
        REQUIRE(s.shape() == dims_t<2>{4, n});
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t j = 0; j < n; ++j) {
                wrong += s(i, j) != wide(i, j) + colv(i, 0);
                wrong += t(i, j) != colv(i, 0) - wide(i, j);
            }
        CHECK(wrong == 0);
    }

    // a rank-1 dynamic tensor of one element against a longer one
    tensor<TestType, dyn> single{5};
    tensor<TestType, dyn> longer(33);
    for (std::size_t i = 0; i < 33; ++i) longer(i) = TestType(i);
    tensor<TestType, dyn> z = longer * single;
    REQUIRE(z.shape() == dims_t<1>{33});
    for (std::size_t i = 0; i < 33; ++i) CHECK(z(i) == TestType(5 * i));
}

TEST_CASE("a dynamic shape mismatch throws shape_error naming the op and both shapes", "[elementwise]") {
    tensor<float, dyn, 3> x(5), y(4);
    CHECK_THROWS_AS(tfx::eval(x + y), tfx::shape_error);
    CHECK_THROWS_WITH(tfx::eval(x + y), Contains("add") && Contains("[5, 3]") && Contains("[4, 3]"));
    CHECK_THROWS_WITH(tfx::eval(x * y), Contains("mul") && Contains("[5, 3]") && Contains("[4, 3]"));
    CHECK_THROWS_WITH(tfx::eval(tfx::maximum(x, y)), Contains("maximum"));
    CHECK_THROWS_WITH(tfx::eval(tfx::where(x > 0.f, x, y)), Contains("where") && Contains("[4, 3]"));
    CHECK_THROWS_WITH(tfx::eval(x < y), Contains("less"));
    // deep inside an expression
    CHECK_THROWS_WITH(tfx::eval(tfx::exp(x - y) * 2.f + 1.f), Contains("sub") && Contains("[5, 3]"));
    // a static extent against a dynamic one
    tensor<float, 2, 3> s;
    CHECK_THROWS_WITH(tfx::eval(x + s), Contains("[5, 3]") && Contains("[2, 3]"));
    tensor<float, dyn> v(4);
    tensor<float, dyn, dyn> m(2, 3);
    CHECK_THROWS_WITH(tfx::eval(m / v), Contains("div") && Contains("[2, 3]") && Contains("[4]"));
    CHECK_THROWS_AS(tfx::eval(x + y), tfx::error);
}

TEST_CASE("a failed broadcast leaves the destination unchanged", "[elementwise]") {
    tensor<float, dyn, 3> x{{1, 2, 3}, {4, 5, 6}}, y{{1, 1, 1}, {1, 1, 1}, {1, 1, 1}};
    tensor<float, dyn, 3> dst{{7, 7, 7}, {8, 8, 8}};
    try {
        dst = x + y;
        FAIL("no shape_error");
    } catch (const tfx::shape_error&) {
    }
    REQUIRE(dst.shape() == dims_t<2>{2, 3});
    CHECK(dst(0, 0) == 7.f);
    CHECK(dst(1, 2) == 8.f);

    // the destination is an operand, and the mismatch is deep in the expression
    try {
        x = x * 2.f + tfx::exp(y);
        FAIL("no shape_error");
    } catch (const tfx::shape_error&) {
    }
    REQUIRE(x.shape() == dims_t<2>{2, 3});
    CHECK(x(0, 0) == 1.f);
    CHECK(x(1, 2) == 6.f);

    tensor<double, 2, 3> sdst{{1, 2, 3}, {4, 5, 6}};
    tensor<double, dyn, 3> three(3);
    CHECK_THROWS_AS(sdst = sdst + three, tfx::shape_error);
    CHECK(sdst(1, 2) == 6.0);
}

// ---------------------------------------------------------------------------------------------
// aliasing

TEMPLATE_TEST_CASE("a = a * 2 + a updates in place", "[elementwise]", float, double) {
    for (std::size_t n : lengths) {
        tensor<TestType, dyn> a(n);
        for (std::size_t i = 0; i < n; ++i) a(i) = TestType(i) - 5;
        const TestType* before = a.data();
        a = a * TestType(2) + a;
        CHECK(a.data() == before);  // no reallocation is needed: the shape is unchanged
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < n; ++i) wrong += a(i) != 3 * (TestType(i) - 5);
        CHECK(wrong == 0);
    }
    tensor<TestType, 3, 5> s;
    for (std::size_t i = 0; i < s.size(); ++i) s.data()[i] = TestType(i);
    s = s * 2.f + s;
    for (std::size_t i = 0; i < s.size(); ++i) CHECK(s.data()[i] == TestType(3 * i));
}

TEST_CASE("an update that reads the destination through a broadcast is correct", "[elementwise]") {
    // r (shape [1, 3]) grows to [4, 3]: the old values must be read before they are replaced
    tensor<float, dyn, dyn> r{{1, 2, 3}};
    tensor<float, dyn, dyn> m(4, 3);
    m.fill(10.f);
    r = r + m;
    REQUIRE(r.shape() == dims_t<2>{4, 3});
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(r(i, 0) == 11.f);
        CHECK(r(i, 1) == 12.f);
        CHECK(r(i, 2) == 13.f);
    }
    // a = exp(a) - a * a, in place on every length
    for (std::size_t n : lengths) {
        tensor<double, dyn> a(n), orig(n);
        for (std::size_t i = 0; i < n; ++i) orig(i) = a(i) = 0.01 * double(i);
        a = tfx::exp(a) - a * a;
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < n; ++i)
            wrong += !close(a(i), std::exp(orig(i)) - orig(i) * orig(i), 4, 1);
        CHECK(wrong == 0);
    }
}

TEST_CASE("a temporary tensor in an expression is kept alive by the expression", "[elementwise]") {
    tensor<float, 3> a{1, 2, 3};
    auto e = a + tensor<float, 3>{10, 20, 30};
    tensor<float, 3> r = e;
    CHECK(r(0) == 11.f);
    CHECK(r(2) == 33.f);
}
