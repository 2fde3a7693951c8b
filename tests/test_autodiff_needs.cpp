// Reverse mode builds only the adjoints it uses: a rule of several operands takes needs<...> and
// leaves the others zero_t, pull_child<C> builds child C's adjoint alone (a product's other product
// is not built), and a constant operand's adjoint is never built. The adjoints that are built are
// the same as before, and expression nodes carry no padding from a base common to all of them.
#include <tfx/tfx.hpp>

#include <catch2/catch.hpp>

#include <type_traits>

namespace {

using tfx::dyn;
using tfx::tensor;

template <class E>
tensor<double, dyn, 3> eval(const E& e) {
    return tensor<double, dyn, 3>(e);
}

template <class A, class B>
void check_same(const A& a, const B& b) {
    REQUIRE(a.shape() == b.shape());
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a.data()[i] == b.data()[i]);
}

}  // namespace

TEST_CASE("a rule of several operands builds the adjoints asked for and no other", "[autodiff]") {
    using tfx::needs;
    using tfx::zero_t;
    using tfx::detail::rule_adjoints;
    tensor<double, 2, 3> g{{0.5, -1.0, 2.0}, {1.5, 0.25, -0.75}};
    tensor<double, 2, 3> x{{1.0, 2.0, 3.0}, {-1.0, 0.5, 4.0}};
    tensor<double, 2, 3> y{{2.0, -3.0, 0.5}, {1.0, 2.0, -2.0}};
    const auto gr = tfx::tref(g), xr = tfx::tref(x), yr = tfx::tref(y);

    // div: x only, y only, both; the slots not asked for are zero_t.
    auto only_x = rule_adjoints<tfx::ops::div>(needs<true, false>{}, gr, xr, yr);
    auto only_y = rule_adjoints<tfx::ops::div>(needs<false, true>{}, gr, xr, yr);
    auto both = rule_adjoints<tfx::ops::div>(needs<true, true>{}, gr, xr, yr);
    STATIC_REQUIRE(std::is_same_v<std::tuple_element_t<1, decltype(only_x)>, zero_t>);
    STATIC_REQUIRE(std::is_same_v<std::tuple_element_t<0, decltype(only_y)>, zero_t>);
    STATIC_REQUIRE(!std::is_same_v<std::tuple_element_t<0, decltype(both)>, zero_t>);
    STATIC_REQUIRE(!std::is_same_v<std::tuple_element_t<1, decltype(both)>, zero_t>);
    check_same(tensor<double, 2, 3>(std::get<0>(only_x)), tensor<double, 2, 3>(g / y));
    check_same(tensor<double, 2, 3>(std::get<1>(only_y)), tensor<double, 2, 3>(-(g * x) / square(y)));

    // where: the condition never gets one; clip: each bound alone.
    auto w = rule_adjoints<tfx::ops::where>(needs<true, false, true>{}, gr, tfx::tref(x) > 0.0, xr, yr);
    STATIC_REQUIRE(std::is_same_v<std::tuple_element_t<0, decltype(w)>, zero_t>);
    STATIC_REQUIRE(std::is_same_v<std::tuple_element_t<1, decltype(w)>, zero_t>);
    check_same(tensor<double, 2, 3>(std::get<2>(w)), tensor<double, 2, 3>(where(x > 0.0, 0.0, g)));
    auto c = rule_adjoints<tfx::ops::clip>(needs<false, false, true>{}, gr, xr, tfx::scalar<double>(0.0), tfx::scalar<double>(2.0));
    STATIC_REQUIRE(std::is_same_v<std::tuple_element_t<0, decltype(c)>, zero_t>);
    STATIC_REQUIRE(std::is_same_v<std::tuple_element_t<1, decltype(c)>, zero_t>);
    check_same(tensor<double, 2, 3>(std::get<2>(c)), tensor<double, 2, 3>(where(x > 2.0, g, 0.0)));

    // A rule of one operand ignores needs.
    auto e = rule_adjoints<tfx::ops::exp>(needs<true>{}, gr, xr);
    check_same(tensor<double, 2, 3>(std::get<0>(e)), tensor<double, 2, 3>(g * exp(x)));
}

TEST_CASE("pull_child<C> is pull's C-th adjoint, built alone", "[autodiff]") {
    tensor<double, dyn, 4> a(5);
    tensor<double, 4, 3> b;
    tensor<double, dyn, 3> g(5);
    for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = 0.1 * double(i % 7) - 0.3;
    for (std::size_t i = 0; i < b.size(); ++i) b.data()[i] = 0.2 * double(i % 5) - 0.4;
    for (std::size_t i = 0; i < g.size(); ++i) g.data()[i] = 0.05 * double(i) - 0.2;

    // A product: each child's adjoint is one product, of the type pull's tuple holds.
    const auto p = matmul(a, b);
    const auto gr = tfx::tref(g);
    auto all = tfx::detail::pull(p, gr);
    auto da = tfx::detail::pull_child<0>(p, gr);
    auto db = tfx::detail::pull_child<1>(p, gr);
    STATIC_REQUIRE(std::is_same_v<decltype(da), std::tuple_element_t<0, decltype(all)>>);
    STATIC_REQUIRE(std::is_same_v<decltype(db), std::tuple_element_t<1, decltype(all)>>);
    check_same(tensor<double, dyn, 4>(da), tensor<double, dyn, 4>(std::get<0>(all)));
    check_same(tensor<double, 4, 3>(db), tensor<double, 4, 3>(std::get<1>(all)));

    // A cotangent that is one value everywhere (a full sum's): each child's adjoint is a reduction
    // of the other operand, built alone, equal to the product it replaces.
    const auto c = tfx::broadcast_to_dims<tfx::shape<dyn, 3>>(tfx::scalar<double>(0.7), p.dims());
    auto c_all = tfx::detail::pull(p, c);
    auto ca = tfx::detail::pull_child<0>(p, c);
    auto cb = tfx::detail::pull_child<1>(p, c);
    STATIC_REQUIRE(std::is_same_v<decltype(ca), std::tuple_element_t<0, decltype(c_all)>>);
    STATIC_REQUIRE(std::is_same_v<decltype(cb), std::tuple_element_t<1, decltype(c_all)>>);
    const tensor<double, dyn, 3> dense_c = c;
    const tensor<double, dyn, 4> ca_value = ca;
    const tensor<double, 4, 3> cb_value = cb;
    const tensor<double, dyn, 4> ca_product = matmul(dense_c, transpose(b));
    const tensor<double, 4, 3> cb_product = matmul(transpose(a), dense_c);
    for (std::size_t i = 0; i < ca_value.size(); ++i) CHECK(ca_value.data()[i] == Approx(ca_product.data()[i]).margin(1e-12));
    for (std::size_t i = 0; i < cb_value.size(); ++i) CHECK(cb_value.data()[i] == Approx(cb_product.data()[i]).margin(1e-12));

    // A map with a broadcast operand (unbroadcast sums it) and a constant (no adjoint at all).
    tensor<double, 3> bias{0.5, -1.5, 2.0};
    const auto m = pow(matmul(a, b) + bias, 2.0) / 3.0;
    auto m_all = tfx::detail::pull(m, gr);
    STATIC_REQUIRE(std::is_same_v<std::tuple_element_t<1, decltype(m_all)>, tfx::zero_t>);
    STATIC_REQUIRE(std::is_same_v<decltype(tfx::detail::pull_child<1>(m, gr)), tfx::zero_t>);
    check_same(eval(tfx::detail::pull_child<0>(m, gr)), eval(std::get<0>(m_all)));
    const auto& sum_node = std::get<0>(std::get<0>(m.args).args);  // matmul(a, b) + bias
    auto s_all = tfx::detail::pull(sum_node, gr);
    check_same(tensor<double, 3>(tfx::detail::pull_child<1>(sum_node, gr)), tensor<double, 3>(std::get<1>(s_all)));
}

TEST_CASE("value_and_grad is unchanged where a constant operand's adjoint is no longer built", "[autodiff]") {
    // The normal log-density of bench_autodiff: mu and sigma are numbers (constants).
    tensor<double, dyn> x(9);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = 0.3 * double(i) - 1.1;
    const double mu = -0.56, sigma = 1.37;
    auto vg = tfx::value_and_grad([](auto v, double m, double s) { return sum(-0.5 * square((v - m) / s) - std::log(s)); });
    const auto& [value, dx] = vg(x, mu, sigma);
    double expect = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double z = (x.data()[i] - mu) / sigma;
        expect += -0.5 * z * z - std::log(sigma);
        CHECK(dx.data()[i] == Approx(-z / sigma).epsilon(1e-14));
    }
    CHECK(value() == Approx(expect).epsilon(1e-14));
}

TEST_CASE("nesting a node adds no padding for a base common to all nodes", "[autodiff]") {
    // The node's base (expr_base<double, ...>) and its child's (expr_base<float, ...>) differ, so
    // the child is stored at the node's start: a cast is exactly as large as what it casts.
    using V = tfx::view<float, tfx::shape<dyn, 3>>;
    STATIC_REQUIRE(sizeof(tfx::map<tfx::ops::cast<double>, V>) == sizeof(V));
    STATIC_REQUIRE(tfx::expression<tfx::map<tfx::ops::cast<double>, V>>);
    STATIC_REQUIRE(tfx::expression<tensor<float, 2>&>);
    STATIC_REQUIRE(!tfx::expression<float>);
    STATIC_REQUIRE(!tfx::expression<std::tuple<int>>);
}
