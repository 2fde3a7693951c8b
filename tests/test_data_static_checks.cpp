// tfx::data compile-time checks. Built twice:
//  - in tfx_tests: the conditions behind the static_asserts, tested directly;
//  - with TFX_DATA_COMPILE_FAIL=<case> as the compile-fail tests compile_fail.data_<case>
//    (tests/CMakeLists.txt), each of which must stop at one static_assert starting "tfx: <op>:".
#include <tfx/data/data.hpp>
#include <tfx/tfx.hpp>

#include <cstdint>
#include <string>
#include <tuple>

#ifdef TFX_DATA_COMPILE_FAIL

void compile_fail_case() {
    tfx::tensor<float, tfx::dyn, 4> x(3);
    tfx::tensor<std::int64_t, tfx::dyn> y(3);
    auto ds = tfx::data::from_tensor_slices(x, y);
#if TFX_DATA_COMPILE_FAIL == 1
    // A function that cannot take the element.
    (void)ds.map([](const std::string& s) { return s; });
#elif TFX_DATA_COMPILE_FAIL == 2
    // A function that returns nothing.
    (void)ds.map([](const auto&, const auto&) {});
#elif TFX_DATA_COMPILE_FAIL == 3
    // A predicate that returns a tensor that is not a rank-0 bool.
    (void)ds.filter([](const auto& a, const auto&) { return a; });
#elif TFX_DATA_COMPILE_FAIL == 4
    // Batching elements that are not tensors.
    (void)ds.map([](const auto&, const auto& b) { return std::to_string(b()); }).batch(2);
#endif
}

#else

#include <catch2/catch.hpp>

namespace {
using tfx::dyn;
using tfx::tensor;
namespace data = tfx::data;
using E = std::tuple<tensor<float, 4>, tensor<std::int64_t> >;
}  // namespace

TEST_CASE("the conditions behind tfx::data's static_asserts", "[data]") {
    auto takes_string = [](const std::string& s) { return s; };
    auto takes_both = [](const auto& a, const auto&) { return a; };
    STATIC_REQUIRE_FALSE(data::detail::callable_with<decltype(takes_string), E>);
    STATIC_REQUIRE(data::detail::callable_with<decltype(takes_both), E>);
    STATIC_REQUIRE(std::is_void_v<data::detail::call_result_t<decltype([](const auto&, const auto&) {}), E> >);
    STATIC_REQUIRE_FALSE(data::detail::predicate_result<tensor<float, 4> >);
    STATIC_REQUIRE(data::detail::predicate_result<bool>);
    STATIC_REQUIRE(data::detail::predicate_result<tensor<bool> >);
    STATIC_REQUIRE_FALSE(data::detail::batched<std::string>::ok);
    STATIC_REQUIRE_FALSE((data::detail::batched<std::tuple<tensor<float, 4>, std::string> >::ok));
    STATIC_REQUIRE(data::detail::batched<E>::ok);
}

#endif
