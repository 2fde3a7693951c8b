// Checkpoints: save and restore of variable collections (models, optimizers, bound tensors),
// names, dtypes and shapes checked, the strong guarantee on restore, atomic save
// (tfx/io/checkpoint.hpp).
#include <tfx/io/checkpoint.hpp>

#include <catch2/catch.hpp>

#include "io/io_test_util.hpp"

using namespace tfx;
using namespace io_test;
using Catch::Matchers::Contains;

namespace {

// Stand-ins for the layers, models and optimizers of the Keras issue: they only implement the
// variable collection interface.
template <index_t In, index_t Out>
struct toy_dense {
    explicit toy_dense(std::string n) : name(std::move(n)) {}
    std::string name;
    tensor<float, In, Out> kernel;
    tensor<float, Out> bias;

    template <class Self, class F>
    static void visit(Self& self, F& f) {
        f(self.name + "/kernel", self.kernel);
        f(self.name + "/bias", self.bias);
    }
    template <class F>
    void for_each_variable(F&& f) {
        visit(*this, f);
    }
    template <class F>
    void for_each_variable(F&& f) const {
        visit(*this, f);
    }
};

struct toy_model {
    toy_dense<3, 4> d1{"dense_1"};
    toy_dense<4, 2> d2{"dense_2"};
    template <class F>
    void for_each_variable(F&& f) {
        d1.for_each_variable(f);
        d2.for_each_variable(f);
    }
    template <class F>
    void for_each_variable(F&& f) const {
        d1.for_each_variable(f);
        d2.for_each_variable(f);
    }
};

// An optimizer whose slot is dynamic: empty until it is built (or restored).
struct toy_optimizer {
    tensor<std::int64_t> iterations;
    tensor<double, dyn> m;
    template <class Self, class F>
    static void visit(Self& self, F& f) {
        f("optimizer/iterations", self.iterations);
        f("optimizer/m", self.m);
    }
    template <class F>
    void for_each_variable(F&& f) {
        visit(*this, f);
    }
    template <class F>
    void for_each_variable(F&& f) const {
        visit(*this, f);
    }
};

template <class T, index_t... E>
void fill_from(tensor<T, E...>& t, std::size_t start) {
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = pattern<T>(start + i);
}

toy_model filled_model(std::size_t start) {
    toy_model m;
    fill_from(m.d1.kernel, start);
    fill_from(m.d1.bias, start + 100);
    fill_from(m.d2.kernel, start + 200);
    fill_from(m.d2.bias, start + 300);
    return m;
}

bool same_model(const toy_model& a, const toy_model& b) {
    return same(a.d1.kernel, b.d1.kernel) && same(a.d1.bias, b.d1.bias) && same(a.d2.kernel, b.d2.kernel) &&
           same(a.d2.bias, b.d2.bias);
}

std::string restore_error(const std::function<void()>& f) {
    const std::string msg = io_error_of(f);
    CHECK_THAT(msg, Contains("ckpt.npz") && Contains("nothing was restored"));
    return msg;
}

}  // namespace

TEST_CASE("a variable collection is anything with for_each_variable, bind and scope make them", "[io]") {
    tensor<float, 3> w;
    const tensor<float, 3> cw;
    STATIC_REQUIRE(checkpoint::variable_collection<toy_model>);
    STATIC_REQUIRE(checkpoint::const_variable_collection<toy_model>);
    STATIC_REQUIRE(!checkpoint::variable_collection<const toy_model>);
    STATIC_REQUIRE(checkpoint::variable_collection<decltype(checkpoint::bind("w", w))>);
    STATIC_REQUIRE(checkpoint::const_variable_collection<decltype(checkpoint::bind("w", w))>);
    STATIC_REQUIRE(!checkpoint::variable_collection<decltype(checkpoint::bind("w", cw))>);
    STATIC_REQUIRE(checkpoint::const_variable_collection<decltype(checkpoint::bind("w", cw))>);
    STATIC_REQUIRE(!checkpoint::variable_collection<tensor<float, 3>>);
    STATIC_REQUIRE(!checkpoint::const_variable_collection<int>);
    STATIC_REQUIRE(checkpoint::variable_collection<decltype(checkpoint::scope("opt", checkpoint::bind("w", w)))>);

    std::vector<std::string> names;
    toy_model m;
    checkpoint::scope("generator", m).for_each_variable([&](std::string_view n, auto&) { names.emplace_back(n); });
    checkpoint::scope("a", checkpoint::scope("b", checkpoint::bind("w", w))).for_each_variable([&](std::string_view n, auto&) {
        names.emplace_back(n);
    });
    CHECK(names == std::vector<std::string>{"generator/dense_1/kernel", "generator/dense_1/bias", "generator/dense_2/kernel",
                                            "generator/dense_2/bias", "a/b/w"});
}

TEST_CASE("checkpoint::save then restore brings back every variable of models, optimizers and bound tensors", "[io]") {
    temp_dir dir;
    const auto p = dir / "ckpt.npz";
    const toy_model model = filled_model(0);
    toy_optimizer opt;
    opt.iterations = make_pattern<std::int64_t>();
    opt.m = make_pattern<double, dyn>(26);
    auto w = make_pattern<bool, 2, 2>();
    checkpoint::save(p, model, opt, checkpoint::bind("extra/w", w), checkpoint::scope("gan", checkpoint::bind("w", std::as_const(w))));
    CHECK(dir.names() == std::vector<std::string>{"ckpt.npz"});
    CHECK(io::npz_reader(p).names() == std::vector<std::string>{"dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias",
                                                                "optimizer/iterations", "optimizer/m", "extra/w", "gan/w"});

    toy_model model2;
    toy_optimizer opt2;  // m is empty: it takes the checkpoint's shape
    tensor<bool, 2, 2> w2, w3;
    const float* kernel_storage = model2.d1.kernel.data();
    checkpoint::restore(p, model2, opt2, checkpoint::bind("extra/w", w2), checkpoint::scope("gan", checkpoint::bind("w", w3)));
    CHECK(same_model(model2, model));
    CHECK(same(opt2.iterations, opt.iterations));
    CHECK(same(opt2.m, opt.m));
    CHECK(same(w2, w));
    CHECK(same(w3, w));
    CHECK(model2.d1.kernel.data() == kernel_storage);

    // Restoring again over the same shapes keeps each dynamic tensor's storage.
    const double* m_storage = opt2.m.data();
    opt2.m.fill(0);
    checkpoint::restore(p, model2, opt2, checkpoint::bind("extra/w", w2), checkpoint::bind("gan/w", w3));
    CHECK(opt2.m.data() == m_storage);
    CHECK(same(opt2.m, opt.m));
}

TEST_CASE("NumPy opens a checkpoint, each variable under its path", "[io][numpy]") {
    IO_TEST_NEEDS_NUMPY();
    temp_dir dir;
    toy_model model;
    model.d1.kernel = make_pattern<float, 3, 4>();
    model.d1.bias = make_pattern<float, 4>();
    model.d2.kernel = make_pattern<float, 4, 2>();
    model.d2.bias = make_pattern<float, 2>();
    toy_optimizer opt;
    opt.iterations = make_pattern<std::int64_t>();
    opt.m = make_pattern<double, dyn>(5);
    checkpoint::save(dir / "ckpt.npz", model, opt);
    std::string out;
    REQUIRE(numpy("verify " + quoted((dir / "ckpt.npz").string()), dir.path, &out) == 0);
    CHECK_THAT(out, Contains("ok dense_1/kernel float32 s3x4"));
    CHECK_THAT(out, Contains("ok dense_2/bias float32 s2"));
    CHECK_THAT(out, Contains("ok optimizer/iterations int64 s\n"));
    CHECK_THAT(out, Contains("ok optimizer/m float64 s5"));
}

TEST_CASE("restore checks names, dtypes and shapes, lists every mismatch, and changes nothing", "[io]") {
    temp_dir dir;
    const auto p = dir / "ckpt.npz";
    checkpoint::save(p, filled_model(0));
    const toy_model original = filled_model(1000);
    toy_model model = original;

    SECTION("a variable without a member") {
        auto extra = make_pattern<float, 5>();
        const auto msg = restore_error([&] { checkpoint::restore(p, model, checkpoint::bind("extra", extra)); });
        CHECK_THAT(msg, Contains("member 'extra.npy' is missing (expected a float32 array of shape [5] for variable 'extra')"));
        CHECK(same(extra, make_pattern<float, 5>()));
    }
    SECTION("a member without a variable") {
        const auto msg = restore_error([&] { checkpoint::restore(p, model.d1); });
        CHECK_THAT(msg, Contains("member 'dense_2/kernel.npy' matches no variable") && Contains("'dense_2/bias.npy'"));
    }
    SECTION("a dtype that differs") {
        toy_model m2;
        tensor<double, 3, 4> k = make_pattern<double, 3, 4>();
        const auto msg = restore_error([&] {
            checkpoint::restore(p, checkpoint::bind("dense_1/kernel", k), checkpoint::bind("dense_1/bias", model.d1.bias), model.d2);
        });
        CHECK_THAT(msg, Contains("member 'dense_1/kernel.npy': dtype is '<f4' (float32), expected '<f8' (float64) (variable "
                                 "'dense_1/kernel' is a tensor<double, 3, 4> of shape [3, 4])"));
        CHECK(same(k, make_pattern<double, 3, 4>()));
    }
    SECTION("a static shape that differs") {
        tensor<float, 4, 3> k = make_pattern<float, 4, 3>();
        const auto msg = restore_error([&] {
            checkpoint::restore(p, checkpoint::bind("dense_1/kernel", k), checkpoint::bind("dense_1/bias", model.d1.bias), model.d2);
        });
        CHECK_THAT(msg, Contains("member 'dense_1/kernel.npy': shape is [3, 4], expected [4, 3]"));
        CHECK(same(k, make_pattern<float, 4, 3>()));
    }
    SECTION("a dynamic shape that differs from a non-empty tensor's") {
        tensor<float, dyn, 4> k = make_pattern<float, dyn, 4>(5);
        const auto msg = restore_error([&] {
            checkpoint::restore(p, checkpoint::bind("dense_1/kernel", k), checkpoint::bind("dense_1/bias", model.d1.bias), model.d2);
        });
        CHECK_THAT(msg, Contains("shape is [3, 4], expected [5, 4] (variable 'dense_1/kernel' is a tensor<float, dyn, 4> of shape [5, 4])"));
        CHECK(same(k, make_pattern<float, dyn, 4>(5)));
    }
    SECTION("a static extent that differs, for an empty tensor that takes the dynamic ones") {
        tensor<float, dyn, 5> k;
        const auto msg = restore_error([&] {
            checkpoint::restore(p, checkpoint::bind("dense_1/kernel", k), checkpoint::bind("dense_1/bias", model.d1.bias), model.d2);
        });
        CHECK_THAT(msg, Contains("shape is [3, 4], expected [?, 5] (variable 'dense_1/kernel' is a tensor<float, dyn, 5>, empty)"));
        CHECK(k.size() == 0);
    }
    SECTION("several problems, each on its own line") {
        tensor<std::int32_t, 2> b;
        auto extra = make_pattern<float, 1>();
        const auto msg = restore_error([&] {
            checkpoint::restore(p, model.d1, checkpoint::bind("dense_2/bias", b), checkpoint::bind("extra", extra));
        });
        CHECK_THAT(msg, Contains("\n  member 'extra.npy' is missing"));
        CHECK_THAT(msg, Contains("\n  member 'dense_2/kernel.npy' matches no variable"));
        CHECK_THAT(msg, Contains("\n  member 'dense_2/bias.npy': dtype is '<f4' (float32), expected '<i4' (int32)"));
    }
    CHECK(same_model(model, original));
}

TEST_CASE("restore changes nothing when a member is damaged, even one read after the others", "[io]") {
    temp_dir dir;
    const auto p = dir / "ckpt.npz";
    checkpoint::save(p, filled_model(0));
    const std::string good = read_file(p);
    const toy_model original = filled_model(1000);
    toy_model model = original;

    std::string damaged = good;  // a byte of the last member's data: found by its CRC, after the others were read
    damaged[local_header_of(good, "dense_2/bias.npy") + 30 + 16 + 128 + 1] ^= 0x40;
    write_file(p, damaged);
    CHECK_THAT(io_error_of([&] { checkpoint::restore(p, model); }),
               Contains("ckpt.npz") && Contains("member 'dense_2/bias.npy'") && Contains("CRC-32 mismatch"));
    CHECK(same_model(model, original));

    write_file(p, good.substr(0, good.size() - 30));
    CHECK_THAT(io_error_of([&] { checkpoint::restore(p, model); }), Contains("ckpt.npz"));
    CHECK(same_model(model, original));

    write_file(p, good);
    checkpoint::restore(p, model);
    CHECK(same_model(model, filled_model(0)));
}

TEST_CASE("restore with expect_partial leaves out the members no variable asks for", "[io]") {
    temp_dir dir;
    const auto p = dir / "ckpt.npz";
    toy_optimizer opt;
    opt.m = make_pattern<double, dyn>(3);
    checkpoint::save(p, filled_model(0), opt);
    toy_model model;
    checkpoint::restore(p, checkpoint::expect_partial, model);
    CHECK(same_model(model, filled_model(0)));
    tensor<float, 2> missing;
    CHECK_THAT(io_error_of([&] { checkpoint::restore(p, checkpoint::expect_partial, model, checkpoint::bind("missing", missing)); }),
               Contains("member 'missing.npy' is missing"));
}

TEST_CASE("restore and save refuse duplicate or invalid variable names with value_error", "[io]") {
    temp_dir dir;
    const auto p = dir / "ckpt.npz";
    auto a = make_pattern<float, 2>();
    auto b = make_pattern<float, 2>();
    checkpoint::save(p, checkpoint::bind("a", a));
    const std::string before = read_file(p);
    CHECK_THAT(value_error_of([&] { checkpoint::save(p, checkpoint::bind("w", a), checkpoint::bind("w", b)); }),
               Contains("ckpt.npz") && Contains("two arrays are named 'w'"));
    CHECK_THAT(value_error_of([&] { checkpoint::save(p, checkpoint::bind("../w", a)); }), Contains("'..' path component"));
    CHECK(read_file(p) == before);
    CHECK(dir.names() == std::vector<std::string>{"ckpt.npz"});
    b.fill(42);
    CHECK_THAT(value_error_of([&] { checkpoint::restore(p, checkpoint::bind("a", a), checkpoint::bind("a", b)); }),
               Contains("two variables are named 'a'"));
    CHECK(b(0) == 42.f);
}

TEST_CASE("a failing checkpoint::save leaves the previous checkpoint in place", "[io]") {
    temp_dir dir;
    const auto p = dir / "ckpt.npz";
    checkpoint::save(p, filled_model(0));
    const std::string before = read_file(p);

    CHECK_THAT(io_error_of([&] { checkpoint::save(dir / "missing" / "ckpt.npz", filled_model(1)); }), Contains("ckpt.npz"));

    const auto r = in_child([&] { limit_file_size(before.size() + 100); },
                            [&] {
                                toy_optimizer big;
                                big.m = make_pattern<double, dyn>(10000);
                                try {
                                    checkpoint::save(p, filled_model(1), big);
                                } catch (const io_error&) {
                                    return 0;
                                }
                                return 1;
                            });
    CHECK(r.exited);
    CHECK(r.code == 0);
    CHECK(read_file(p) == before);
    CHECK(dir.names() == std::vector<std::string>{"ckpt.npz"});
    toy_model model;
    checkpoint::restore(p, model);
    CHECK(same_model(model, filled_model(0)));
}
