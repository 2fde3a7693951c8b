// Tensors: construction, access, interop with xtensor, printing, copies, CTAD and eval.
#include <tfx/tfx.hpp>

#include <catch2/catch.hpp>

#include <xtensor/xarray.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include <array>
#include <cstdint>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

namespace {

using tfx::dims_t;
using tfx::dyn;
using tfx::tensor;

template <class T>
bool is_aligned(const T* p, std::size_t a = 64) {
    return reinterpret_cast<std::uintptr_t>(p) % a == 0;
}

template <class Tn>
std::string printed(const Tn& t) {
    std::ostringstream os;
    os << t;
    return os.str();
}

// Catch's Contains matcher, spelled once.
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

}  // namespace

// ---------------------------------------------------------------------------------------------
// construction and access

TEMPLATE_TEST_CASE("a static tensor holds its nested initializer list in row-major order", "[tensor]", float,
                   double) {
    tensor<TestType, 2, 3> a{{1, 2, 3}, {4, 5, 6}};
    REQUIRE(a.shape() == dims_t<2>{2, 3});
    REQUIRE(a.size() == 6);
    STATIC_REQUIRE(decltype(a)::rank == 2);
    STATIC_REQUIRE(std::is_same_v<typename decltype(a)::value_type, TestType>);
    CHECK(a(0, 0) == 1);
    CHECK(a(0, 2) == 3);
    CHECK(a(1, 0) == 4);
    CHECK(a(1, 2) == 6);
    const TestType* p = a.data();
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j) CHECK(p[i * 3 + j] == TestType(1 + i * 3 + j));
}

TEST_CASE("element access through operator() writes the element", "[tensor]") {
    tensor<float, 2, 3> a{{1, 2, 3}, {4, 5, 6}};
    a(1, 1) = 50.f;
    CHECK(a(1, 1) == 50.f);
    CHECK(a.data()[4] == 50.f);
    const auto& ca = a;
    CHECK(ca(1, 1) == 50.f);
    CHECK(ca(0, 1) == 2.f);
}

TEST_CASE("a rank-3 static tensor is row-major", "[tensor]") {
    tensor<int, 2, 3, 4> t;
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = int(i);
    CHECK(t.shape() == dims_t<3>{2, 3, 4});
    CHECK(t(0, 0, 3) == 3);
    CHECK(t(0, 2, 0) == 8);
    CHECK(t(1, 0, 0) == 12);
    CHECK(t(1, 2, 3) == 23);
}

TEMPLATE_TEST_CASE("a default-constructed static tensor is all zeros", "[tensor]", float, double, std::int32_t,
                   std::int64_t, bool) {
    tensor<TestType, 3, 5> z;
    REQUIRE(z.size() == 15);
    for (auto v : z) CHECK(v == TestType{});
}

TEST_CASE("a dynamic tensor takes one size per dynamic extent, in order, and is zero-filled", "[tensor]") {
    tensor<float, dyn, 3> b(4);
    CHECK(b.shape() == dims_t<2>{4, 3});
    CHECK(b.size() == 12);
    for (float v : b) CHECK(v == 0.f);

    tensor<double, dyn, 3, dyn> c(2, 5);
    CHECK(c.shape() == dims_t<3>{2, 3, 5});
    CHECK(c.size() == 30);
    for (double v : c) CHECK(v == 0.0);

    tensor<float, dyn, dyn> e(0, 7);
    CHECK(e.shape() == dims_t<2>{0, 7});
    CHECK(e.size() == 0);
    CHECK(e.begin() == e.end());
}

TEST_CASE("a default-constructed dynamic tensor is empty and keeps its static extents", "[tensor]") {
    tensor<float, dyn, 3> e;
    CHECK(e.size() == 0);
    CHECK(e.shape() == dims_t<2>{0, 3});
    tensor<float, dyn> v;
    CHECK(v.size() == 0);
    CHECK(v.shape() == dims_t<1>{0});
    // NumPy: an array of shape (0, 3) plus one of shape (3,) has shape (0, 3).
    tensor<float, 3> row{1, 2, 3};
    tensor<float, dyn, 3> sum;
    CHECK_NOTHROW(sum = e + row);
    CHECK(sum.shape() == dims_t<2>{0, 3});
}

TEST_CASE("braces make a one-element list and parentheses a size, as with std::vector", "[tensor]") {
    tensor<float, dyn> sized(3);
    tensor<float, dyn> listed{3};
    CHECK(sized.shape() == dims_t<1>{3});
    CHECK(sized(2) == 0.f);
    REQUIRE(listed.shape() == dims_t<1>{1});
    CHECK(listed(0) == 3.f);
}

TEMPLATE_TEST_CASE("a dynamic tensor from a nested list takes the list's shape", "[tensor]", float, double) {
    tensor<TestType, dyn, 3> a{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10, 11, 12}};
    REQUIRE(a.shape() == dims_t<2>{4, 3});
    CHECK(a(3, 0) == 10);
    CHECK(a(2, 2) == 9);

    tensor<TestType, dyn, dyn> b{{1.5, 2.5}};
    REQUIRE(b.shape() == dims_t<2>{1, 2});
    CHECK(b(0, 1) == TestType(2.5));

    tensor<TestType, dyn> v{1, 2, 3, 4, 5};
    REQUIRE(v.shape() == dims_t<1>{5});
    CHECK(v(4) == 5);

    tensor<TestType, 2, dyn, 2> r3{{{1, 2}, {3, 4}, {5, 6}}, {{7, 8}, {9, 10}, {11, 12}}};
    REQUIRE(r3.shape() == dims_t<3>{2, 3, 2});
    CHECK(r3(1, 2, 1) == 12);
    CHECK(r3(0, 1, 0) == 3);
}

TEST_CASE("a ragged nested list throws shape_error", "[tensor]") {
    using list2 = std::initializer_list<std::initializer_list<float>>;
    CHECK_THROWS_AS((tensor<float, dyn, dyn>(list2{{1, 2, 3}, {4, 5}})), tfx::shape_error);
    CHECK_THROWS_AS((tensor<float, dyn, dyn>(list2{{1, 2}, {3, 4, 5}})), tfx::shape_error);
    CHECK_THROWS_WITH((tensor<float, dyn, dyn>(list2{{1, 2, 3}, {4, 5}})), Contains("ragged"));
    using list3 = std::initializer_list<list2>;
    CHECK_THROWS_AS((tensor<float, dyn, dyn, dyn>(list3{{{1, 2}, {3, 4}}, {{5, 6}, {7}}})), tfx::shape_error);
    // shape_error is a tfx::error
    CHECK_THROWS_AS((tensor<float, dyn, dyn>(list2{{1}, {2, 3}})), tfx::error);
}

TEST_CASE("a nested list that does not fit the static extents throws shape_error naming both shapes", "[tensor]") {
    using list2 = std::initializer_list<std::initializer_list<float>>;
    CHECK_THROWS_AS((tensor<float, 2, 3>(list2{{1, 2}, {3, 4}})), tfx::shape_error);
    CHECK_THROWS_AS((tensor<float, 2, 3>(list2{{1, 2, 3}})), tfx::shape_error);
    CHECK_THROWS_AS((tensor<float, dyn, 3>(list2{{1, 2, 3, 4}})), tfx::shape_error);
    CHECK_THROWS_AS((tensor<float, 3>(std::initializer_list<float>{1, 2})), tfx::shape_error);
    CHECK_THROWS_WITH((tensor<float, 2, 3>(list2{{1, 2}, {3, 4}})), Contains("[2, 2]") && Contains("[2, 3]"));
    CHECK_THROWS_WITH((tensor<float, dyn, 3>(list2{{1, 2, 3, 4}})), Contains("[1, 4]") && Contains("[?, 3]"));
}

TEST_CASE("run-time shape mismatches of reshape, assignment and conversion name both shapes", "[tensor]") {
    tensor<float, dyn, dyn> x(2, 3);
    CHECK_THROWS_WITH((tensor<float, dyn, 4>(tfx::reshape<dyn, 4>(x))),
                      Equals("tfx: reshape: cannot reshape [2, 3] (6 elements) to [?, 4]"));
    CHECK_THROWS_WITH((tensor<float, dyn, dyn>(tfx::reshape_to<dyn, dyn>(x, {3, 4}))),
                      Equals("tfx: reshape: cannot reshape [2, 3] to [3, 4]"));
    CHECK_THROWS_AS((tensor<float, dyn, 4>(tfx::reshape<dyn, 4>(x))), tfx::shape_error);

    tensor<float, dyn, 2> y(5);
    y(4, 1) = 7;
    CHECK_THROWS_WITH(y = x + 1.0f, Equals("tfx: assignment: expression of shape [2, 3] does not fit tensor shape [?, 2]"));
    CHECK(y.shape() == dims_t<2>{5, 2});  // unchanged
    CHECK(y(4, 1) == 7);

    const tensor<float, 2, dyn> z(3);
    CHECK_THROWS_WITH((tensor<float, 2, 2>(z)), Equals("tfx: tensor conversion: shape [2, 3] does not fit tensor shape [2, 2]"));
}

TEMPLATE_TEST_CASE("a rank-0 tensor holds one value read with ()", "[tensor]", float, double) {
    tensor<TestType> s = TestType(3);
    STATIC_REQUIRE(decltype(s)::rank == 0);
    CHECK(s() == 3);
    CHECK(s.size() == 1);
    CHECK(s.shape().size() == 0);
    CHECK(s.data()[0] == 3);
    s() = TestType(4.5);
    CHECK(s() == TestType(4.5));
    CHECK(s.at() == TestType(4.5));
    tensor<TestType> z;
    CHECK(z() == 0);
}

TEST_CASE("at() reads and writes in range and throws shape_error naming the index and the shape", "[tensor]") {
    tensor<float, 2, 3> a{{1, 2, 3}, {4, 5, 6}};
    CHECK(a.at(0, 0) == 1.f);
    CHECK(a.at(1, 2) == 6.f);
    a.at(1, 2) = 60.f;
    CHECK(a(1, 2) == 60.f);

    CHECK_THROWS_AS(a.at(2, 0), tfx::shape_error);
    CHECK_THROWS_AS(a.at(0, 3), tfx::shape_error);
    CHECK_THROWS_AS(a.at(-1, 0), tfx::shape_error);
    CHECK_THROWS_WITH(a.at(2, 0), Contains("[2, 0]") && Contains("[2, 3]"));

    const tensor<double, dyn> v{1, 2, 3};
    CHECK(v.at(2) == 3.0);
    CHECK_THROWS_AS(v.at(3), tfx::shape_error);

    tensor<float, dyn, 4> empty(0);
    CHECK_THROWS_AS(empty.at(0, 0), tfx::shape_error);
}

TEST_CASE("at() on a failed access leaves the tensor unchanged", "[tensor]") {
    tensor<int, 2, 2> a{{1, 2}, {3, 4}};
    try {
        a.at(0, 2) = 99;
        FAIL("at(0, 2) did not throw");
    } catch (const tfx::shape_error&) {
    }
    CHECK(a(0, 0) == 1);
    CHECK(a(0, 1) == 2);
    CHECK(a(1, 0) == 3);
    CHECK(a(1, 1) == 4);
}

TEST_CASE("fill sets every element", "[tensor]") {
    tensor<float, dyn, 5> t(3);
    t.fill(2.5f);
    for (float v : t) CHECK(v == 2.5f);
}

TEST_CASE("zeros, ones and full make tensors of the given shape and value", "[tensor]") {
    auto z = tfx::zeros<float, dyn, 4>(3);
    STATIC_REQUIRE(std::is_same_v<decltype(z), tensor<float, dyn, 4>>);
    CHECK(z.shape() == dims_t<2>{3, 4});
    for (float v : z) CHECK(v == 0.f);
    auto o = tfx::ones<double, 2, 3>();
    CHECK(o.shape() == dims_t<2>{2, 3});
    for (double v : o) CHECK(v == 1.0);
    auto f = tfx::full<std::int32_t, dyn>(7, 5);
    CHECK(f.shape() == dims_t<1>{5});
    for (auto v : f) CHECK(v == 7);
}

TEST_CASE("tensor storage is aligned for the widest SIMD batch", "[tensor]") {
    tensor<float, dyn, 3> d(5);
    CHECK(is_aligned(d.data()));
    tensor<double, dyn> dd(17);
    CHECK(is_aligned(dd.data()));
    // Static tensors: also when they are members or array elements.
    struct holder {
        char c;
        tensor<float, 3> t;
    };
    holder h;
    CHECK(is_aligned(h.t.data()));
    std::array<tensor<float, 3>, 4> arr;
    for (const auto& t : arr) CHECK(is_aligned(t.data()));
    tensor<double, 2, 3> s;
    CHECK(is_aligned(s.data()));
}

// ---------------------------------------------------------------------------------------------
// xtensor interop

TEST_CASE("a tensor is built from an xarray and hands back an xtensor container with .xt()", "[tensor]") {
    xt::xarray<float> xa = {{1, 2, 3}, {4, 5, 6}};
    tensor<float, dyn, dyn> d(xa);
    REQUIRE(d.shape() == dims_t<2>{2, 3});
    CHECK(d(1, 0) == 4.f);
    CHECK(d(0, 2) == 3.f);

    tensor<float, 2, 3> s(xa);
    CHECK(s(1, 2) == 6.f);

    tensor<float, dyn, 3> m(xa);
    CHECK(m.shape() == dims_t<2>{2, 3});

    const auto& back = d.xt();
    REQUIRE(back.dimension() == 2);
    CHECK(back.shape()[0] == 2);
    CHECK(back.shape()[1] == 3);
    CHECK(back(1, 1) == 5.f);
    CHECK(xt::sum(s.xt())() == 21.f);
    xt::xarray<float> copy = s.xt();
    const bool same = copy == xa;
    CHECK(same);
}

TEST_CASE("writes through .xt() are seen by the tensor", "[tensor]") {
    tensor<float, dyn, 3> t(2);
    t.xt()(1, 2) = 7.f;
    xt::view(t.xt(), 0, xt::all()) = 1.f;
    CHECK(t(1, 2) == 7.f);
    CHECK(t(0, 0) == 1.f);
    CHECK(t(0, 2) == 1.f);
    CHECK(t(1, 0) == 0.f);
}

TEST_CASE("a tensor is built from xtensor expressions: xtensor, xfunction, strided views", "[tensor]") {
    xt::xtensor<double, 2> xt2 = {{1, 2}, {3, 4}, {5, 6}};
    tensor<double, 3, 2> a(xt2);
    CHECK(a(2, 1) == 6.0);

    tensor<double, dyn, 2> f(xt2 * 2.0 + 1.0);
    REQUIRE(f.shape() == dims_t<2>{3, 2});
    CHECK(f(0, 0) == 3.0);
    CHECK(f(2, 1) == 13.0);

    // A transpose is a strided (non-contiguous) expression: the tensor is row-major afterwards.
    tensor<double, dyn, dyn> t(xt::transpose(xt2));
    REQUIRE(t.shape() == dims_t<2>{2, 3});
    CHECK(t(0, 0) == 1.0);
    CHECK(t(0, 1) == 3.0);
    CHECK(t(0, 2) == 5.0);
    CHECK(t(1, 2) == 6.0);
    CHECK(t.data()[3] == 2.0);

    tensor<double, dyn, 2> rows(xt::view(xt2, xt::range(1, 3), xt::all()));
    REQUIRE(rows.shape() == dims_t<2>{2, 2});
    CHECK(rows(0, 0) == 3.0);
    CHECK(rows(1, 1) == 6.0);
}

TEST_CASE("an xtensor expression of the wrong rank or extents throws shape_error", "[tensor]") {
    xt::xarray<float> xa = {{1, 2, 3}, {4, 5, 6}};
    CHECK_THROWS_AS((tensor<float, dyn>(xa)), tfx::shape_error);
    CHECK_THROWS_AS((tensor<float, dyn, dyn, dyn>(xa)), tfx::shape_error);
    CHECK_THROWS_AS((tensor<float, 3, 2>(xa)), tfx::shape_error);
    CHECK_THROWS_AS((tensor<float, dyn, 4>(xa)), tfx::shape_error);
    CHECK_THROWS_WITH((tensor<float, 3, 2>(xa)), Contains("[2, 3]") && Contains("[3, 2]"));
}

// ---------------------------------------------------------------------------------------------
// printing

TEST_CASE("operator<< prints a matrix as NumPy does", "[tensor]") {
    tensor<float, 2, 3> a{{1, 2, 3}, {4, 5, 6}};
    CHECK(printed(a) == "[[1, 2, 3],\n [4, 5, 6]]");
    CHECK(tfx::to_string(a) == printed(a));
}

TEST_CASE("operator<< prints vectors, scalars, fractions, negatives and integers", "[tensor]") {
    CHECK(printed(tensor<float, 3>{1, 2, 3}) == "[1, 2, 3]");
    CHECK(printed(tensor<double, dyn>{0.5, -1.25}) == "[0.5, -1.25]");
    CHECK(printed(tensor<float>(2.5f)) == "2.5");
    CHECK(printed(tensor<std::int32_t, 2, 2>{{-1, 2}, {3, -4}}) == "[[-1, 2],\n [3, -4]]");
    CHECK(printed(tensor<std::int64_t, 2>{10, 20}) == "[10, 20]");
    // Byte-sized integers print as numbers, not characters.
    CHECK(printed(tensor<std::uint8_t, 2>{65, 66}) == "[65, 66]");
    CHECK(printed(tensor<float, dyn>(0)) == "[]");
    CHECK(printed(tensor<float, dyn, dyn>{{7}}) == "[[7]]");
}

TEST_CASE("printing a rank-3 tensor separates its blocks by a blank line, as NumPy does", "[tensor]") {
    tensor<int, 2, 2, 2> t{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}};
    // numpy: np.array2string(np.arange(1, 9).reshape(2, 2, 2), separator=', ')
    CHECK(printed(t) == "[[[1, 2],\n  [3, 4]],\n\n [[5, 6],\n  [7, 8]]]");
}

TEST_CASE("printing a rank-3 tensor indents the inner rows under their bracket", "[tensor]") {
    tensor<int, 2, 2, 2> t{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}};
    const std::string s = printed(t);
    CHECK_THAT(s, Catch::Matchers::StartsWith("[[[1, 2],\n  [3, 4]],\n"));
    CHECK_THAT(s, Catch::Matchers::EndsWith(" [[5, 6],\n  [7, 8]]]"));
}

// ---------------------------------------------------------------------------------------------
// copies, moves, conversions

TEMPLATE_TEST_CASE("copies are deep and moves keep the values", "[tensor]", float, double) {
    tensor<TestType, 2, 2> a{{1, 2}, {3, 4}};
    tensor<TestType, 2, 2> b = a;
    b(0, 0) = 10;
    CHECK(a(0, 0) == 1);
    CHECK(b(0, 0) == 10);
    CHECK(b(1, 1) == 4);

    tensor<TestType, dyn, 2> d{{1, 2}, {3, 4}, {5, 6}};
    tensor<TestType, dyn, 2> e = d;
    e(2, 1) = 60;
    CHECK(d(2, 1) == 6);
    CHECK(e(2, 1) == 60);
    CHECK(e.data() != d.data());

    tensor<TestType, dyn, 2> m = std::move(e);
    REQUIRE(m.shape() == dims_t<2>{3, 2});
    CHECK(m(2, 1) == 60);
    CHECK(m(0, 0) == 1);

    tensor<TestType, dyn, 2> small(1);
    small = d;  // copy assignment resizes
    REQUIRE(small.shape() == dims_t<2>{3, 2});
    CHECK(small(2, 0) == 5);
    small(2, 0) = 0;
    CHECK(d(2, 0) == 5);

    tensor<TestType, dyn, 2> moved_into(7);
    moved_into = std::move(small);
    REQUIRE(moved_into.shape() == dims_t<2>{3, 2});
    CHECK(moved_into(1, 1) == 4);
}

TEST_CASE("a tensor converts to another with compatible extents and checks run-time ones", "[tensor]") {
    tensor<float, 2, 3> a{{1, 2, 3}, {4, 5, 6}};
    tensor<float, dyn, 3> d = a;
    REQUIRE(d.shape() == dims_t<2>{2, 3});
    CHECK(d(1, 2) == 6.f);

    tensor<float, dyn, dyn> dd = a;
    CHECK(dd.shape() == dims_t<2>{2, 3});

    tensor<float, 2, 3> back = d;
    CHECK(back(1, 0) == 4.f);

    tensor<float, dyn, 3> four(4);
    CHECK_THROWS_AS((tensor<float, 2, 3>(four)), tfx::shape_error);

    tensor<float, 2, 3> keep{{9, 9, 9}, {9, 9, 9}};
    CHECK_THROWS_AS(keep = four, tfx::shape_error);
    CHECK(keep(0, 0) == 9.f);
    CHECK(keep(1, 2) == 9.f);
}

// ---------------------------------------------------------------------------------------------
// evaluation: CTAD, eval, assignment

TEST_CASE("CTAD deduces the element type and static shape of an expression", "[tensor]") {
    tensor<float, 2, 3> a{{1, 2, 3}, {4, 5, 6}};
    tensor c = a * 2.f + 1.f;
    STATIC_REQUIRE(std::is_same_v<decltype(c), tensor<float, 2, 3>>);
    CHECK(c(0, 0) == 3.f);
    CHECK(c(1, 2) == 13.f);

    tensor<double, dyn, 3> b{{1, 2, 3}};
    tensor e = b * b;
    STATIC_REQUIRE(std::is_same_v<decltype(e), tensor<double, dyn, 3>>);
    CHECK(e.shape() == dims_t<2>{1, 3});
    CHECK(e(0, 2) == 9.0);

    tensor cmp = a > 2.f;
    STATIC_REQUIRE(std::is_same_v<decltype(cmp), tensor<bool, 2, 3>>);
    CHECK_FALSE(cmp(0, 1));
    CHECK(cmp(0, 2));

    tensor s = tfx::sum(a);
    STATIC_REQUIRE(std::is_same_v<decltype(s), tensor<float>>);
    CHECK(s() == 21.f);

    tensor rows = tfx::sum<1>(b);
    STATIC_REQUIRE(std::is_same_v<decltype(rows), tensor<double, dyn>>);
    CHECK(rows(0) == 6.0);

    tensor idx = tfx::argmax<1>(a);
    STATIC_REQUIRE(std::is_same_v<decltype(idx), tensor<std::int64_t, 2>>);
    CHECK(idx(0) == 2);

    tensor<float, 3> v{1, 2, 3};
    tensor bc = a + v;  // [2, 3] + [3]
    STATIC_REQUIRE(std::is_same_v<decltype(bc), tensor<float, 2, 3>>);
    CHECK(bc(1, 2) == 9.f);
}

TEST_CASE("eval evaluates an expression into a tensor of its type", "[tensor]") {
    tensor<float, dyn, 2> a{{1, 2}, {3, 4}};
    auto r = tfx::eval(a * a - 1.f);
    STATIC_REQUIRE(std::is_same_v<decltype(r), tensor<float, dyn, 2>>);
    REQUIRE(r.shape() == dims_t<2>{2, 2});
    CHECK(r(0, 0) == 0.f);
    CHECK(r(1, 1) == 15.f);

    auto c = tfx::eval(a);  // a tensor evaluates to a copy
    STATIC_REQUIRE(std::is_same_v<decltype(c), tensor<float, dyn, 2>>);
    c(0, 0) = 100.f;
    CHECK(a(0, 0) == 1.f);

    auto m = tfx::eval(tfx::mean(a));
    STATIC_REQUIRE(std::is_same_v<decltype(m), tensor<float>>);
    CHECK(m() == 2.5f);
}

TEST_CASE("assigning an expression to a dynamic tensor resizes it", "[tensor]") {
    tensor<float, 2, 3> a{{1, 2, 3}, {4, 5, 6}};
    tensor<float, dyn, 3> e;
    e = a * 2.f;
    REQUIRE(e.shape() == dims_t<2>{2, 3});
    CHECK(e(1, 2) == 12.f);

    tensor<float, dyn, 3> big(10);
    big = a + 0.f;
    REQUIRE(big.shape() == dims_t<2>{2, 3});
    CHECK(big(0, 1) == 2.f);
}

TEST_CASE("assigning an expression whose run-time shape does not fit throws and leaves the tensor unchanged",
          "[tensor]") {
    tensor<float, dyn, 3> four{{1, 1, 1}, {2, 2, 2}, {3, 3, 3}, {4, 4, 4}};
    tensor<float, 2, 3> dst{{9, 8, 7}, {6, 5, 4}};
    CHECK_THROWS_AS(dst = four * 2.f, tfx::shape_error);
    CHECK_THROWS_WITH(dst = four * 2.f, Contains("[4, 3]") && Contains("[2, 3]"));
    CHECK(dst(0, 0) == 9.f);
    CHECK(dst(1, 2) == 4.f);
    CHECK_THROWS_AS((tensor<float, 2, 3>(four + 1.f)), tfx::shape_error);
}

// ---------------------------------------------------------------------------------------------
// integer and bool tensors

TEST_CASE("int32, int64 and bool tensors hold, index and compute their values", "[tensor]") {
    tensor<std::int32_t, 2, 3> i{{1, -2, 3}, {-4, 5, -6}};
    tensor<std::int32_t, 2, 3> j = i * 2 + 1;
    CHECK(j(0, 1) == -3);
    CHECK(j(1, 2) == -11);
    tensor<std::int32_t, 2, 3> a = tfx::abs(i);
    CHECK(a(1, 2) == 6);

    tensor<std::int64_t, dyn> big{std::int64_t(1) << 40, 3};
    tensor<std::int64_t, dyn> big2 = big + big;
    CHECK(big2(0) == (std::int64_t(1) << 41));
    CHECK(big2(1) == 6);

    tensor<bool, 3> m{true, false, true};
    CHECK(m(0));
    CHECK_FALSE(m(1));
    tensor<bool, 2, 3> pos = i > 0;
    CHECK(pos(0, 0));
    CHECK_FALSE(pos(0, 1));
    CHECK_FALSE(pos(1, 2));
    tensor<std::int32_t> count = tfx::sum(tfx::cast<std::int32_t>(pos));
    CHECK(count() == 3);
}
