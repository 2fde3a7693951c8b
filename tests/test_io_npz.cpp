// .npz archives: round trips, NumPy both ways (np.savez and np.savez_compressed), hand-made ZIP
// archives (deflate, ZIP64), malformed archives of every kind, and atomic writes (tfx/io/npz.hpp).
#include <tfx/io/npz.hpp>

#include <catch2/catch.hpp>

#include "io/io_test_util.hpp"

using namespace tfx;
using namespace io_test;
using Catch::Matchers::Contains;

namespace {

// Two small members: "w.npy" float32 (2, 3) and "dense_1/bias.npy" int64 (4,).
std::string small_archive(const temp_dir& dir) {
    io::save_npz(dir / "small.npz", "w", make_pattern<float, 2, 3>(), "dense_1/bias", make_pattern<std::int64_t, 4>());
    return read_file(dir / "small.npz");
}

// Reads every member of the archive (npz_reader over a buffer) and checks it holds its pattern.
void read_small(const std::string& bytes) {
    io::npz_reader r(bytes, "mem.npz");
    auto w = r.read<float, 2, 3>("w");
    auto b = r.read<std::int64_t, 4>("dense_1/bias");
    if (!holds_pattern(w) || !holds_pattern(b)) throw std::logic_error("read back different values without an error");
}

std::string npz_error(const temp_dir& dir, const std::string& bytes, const std::function<void(io::npz_reader&)>& use = {}) {
    const auto p = dir / "bad.npz";
    write_file(p, bytes);
    const std::string msg = io_error_of([&] {
        io::npz_reader r(p);
        if (use) use(r);
    });
    CHECK_THAT(msg, Contains("bad.npz"));
    return msg;
}

}  // namespace

TEST_CASE("save_npz then npz_reader gives back every array, names with '/' included", "[io]") {
    temp_dir dir;
    const auto a = make_pattern<float, 2, 3>();
    const auto b = make_pattern<double, dyn>(5);
    const auto c = make_pattern<std::int32_t>();
    const auto d = make_pattern<std::int64_t, 2, 1, 3, 2>();
    const auto e = make_pattern<bool, dyn, 3>(4);
    const auto f = make_pattern<std::uint8_t, dyn, 3>(0);
    io::save_npz(dir / "all.npz", "dense_1/kernel", a, "b", b, "scalar", c, "x/y/z/rank4", d, "mask", e, "empty", f);
    io::npz_reader r(dir / "all.npz");
    CHECK(r.names() == std::vector<std::string>{"dense_1/kernel", "b", "scalar", "x/y/z/rank4", "mask", "empty"});
    CHECK(r.contains("dense_1/kernel"));
    CHECK(r.contains("dense_1/kernel.npy"));  // as np.load: the member's own name works too
    CHECK(!r.contains("dense_1"));
    CHECK(same(r.read<float, 2, 3>("dense_1/kernel"), a));
    CHECK(same(r.read<double, dyn>("b"), b));
    CHECK(same(r.read<std::int32_t>("scalar"), c));
    CHECK(same(r.read<std::int64_t, dyn, dyn, dyn, dyn>("x/y/z/rank4"), d));
    CHECK(same(r.read<bool, dyn, 3>("mask"), e));
    CHECK(same(r.read<std::uint8_t, dyn, 3>("empty"), f));
    CHECK(same(io::load_npz<float, dyn, 3>(dir / "all.npz", "dense_1/kernel"), a));
    CHECK(dir.names() == std::vector<std::string>{"all.npz"});
}

TEST_CASE("npz_writer stores each array as the bytes save_npy writes, with its CRC-32", "[io]") {
    temp_dir dir;
    const auto a = make_pattern<float, 2, 3>();
    io::npz_writer w(dir / "a.npz");
    w.add("a", a);
    w.commit();
    const std::string z = read_file(dir / "a.npz");
    const std::string npy = npy_of(a);
    const std::size_t local = local_header_of(z, "a.npy");
    CHECK(get_le(z, local + 8, 2) == 0);  // stored
    CHECK(get_le(z, local + 14, 4) == crc32(0, reinterpret_cast<const Bytef*>(npy.data()), uInt(npy.size())));
    CHECK(get_le(z, local + 18, 4) == npy.size());
    CHECK(z.substr(local + 30 + 5, npy.size()) == npy);
}

TEST_CASE("NumPy opens the .npz files tfx writes, names with '/' included", "[io][numpy]") {
    IO_TEST_NEEDS_NUMPY();
    temp_dir dir;
    io::npz_writer w(dir / "tfx.npz");
    std::vector<std::string> keys;
    auto add_all = [&]<class T>(T) {
        for_each_pattern_shape<T>([&](const auto& t) {
            keys.push_back(std::string(io::dtype_name(io::dtype_of<T>())) + "_" + shape_tag(t.shape()));
            w.add(keys.back(), t);
        });
    };
    add_all(float{});
    add_all(double{});
    add_all(std::int32_t{});
    add_all(std::int64_t{});
    add_all(bool{});
    add_all(std::uint8_t{});
    w.add("dense_1/kernel", make_pattern<float, 3, 2>());
    w.add("a/b/c/d", make_pattern<std::int64_t, 4>());
    w.commit();
    std::string out;
    REQUIRE(numpy("verify " + quoted((dir / "tfx.npz").string()), dir.path, &out) == 0);
    for (const auto& k : keys) CHECK_THAT(out, Contains("ok " + k + " "));
    CHECK_THAT(out, Contains("ok dense_1/kernel float32 s3x2"));
    CHECK_THAT(out, Contains("ok a/b/c/d int64 s4"));
}

TEST_CASE("npz_reader reads what np.savez and np.savez_compressed write", "[io][numpy]") {
    IO_TEST_NEEDS_NUMPY();
    temp_dir dir;
    REQUIRE(numpy("write " + quoted((dir / "np").string()), dir.path) == 0);
    for (const char* file : {"plain.npz", "compressed.npz"}) {
        INFO(file);
        io::npz_reader r(dir / "np" / file);
        CHECK(r.names().size() == 39);
        auto read_all = [&]<class T>(T) {
            for_each_pattern_shape<T>([&]<index_t... E>(const tensor<T, E...>& want) {
                const std::string key = std::string(io::dtype_name(io::dtype_of<T>())) + "_" + shape_tag(want.shape());
                INFO(key);
                CHECK(same(r.read<T, E...>(key), want));
            });
        };
        read_all(float{});
        read_all(double{});
        read_all(std::int32_t{});
        read_all(std::int64_t{});
        read_all(bool{});
        read_all(std::uint8_t{});
        CHECK(same(r.read<float, 3, 2>("dense_1/kernel"), make_pattern<float, 3, 2>()));
        CHECK(same(r.read<float, 2>("dense_1/bias"), make_pattern<float, 2>()));
        CHECK(same(r.read<std::int64_t, dyn>("a/b/c/d"), make_pattern<std::int64_t, 4>()));
    }
    // A larger deflated member, streamed row by row.
    io::npz_reader big(dir / "np" / "big_compressed.npz");
    io::npy_reader rows = big.open("big");
    CHECK(rows.rows() == 1000);
    CHECK(rows.row_elements() == 37);
    std::vector<double> buf(37 * 16);
    std::size_t i = 0;
    bool ok = true;
    while (std::size_t n = rows.read_rows(std::span<double>(buf)))
        for (std::size_t k = 0; k < n * 37; ++k) ok = ok && buf[k] == pattern<double>(i++);
    CHECK(ok);
    CHECK(i == 37000);
}

TEST_CASE("npz_reader reads deflated members and ZIP64 records", "[io]") {
    temp_dir dir;
    const auto big = make_pattern<double, dyn, 37>(500);
    const auto small = make_pattern<std::int32_t, 3>();
    const std::string z = make_zip({{"big.npy", npy_of(big), true}, {"small.npy", npy_of(small), false}});
    {
        io::npz_reader r(z, "deflated.npz");
        CHECK(same(r.read<double, dyn, 37>("big"), big));
        CHECK(same(r.read<std::int32_t, 3>("small"), small));
    }
    {
        zip_member m1{"big.npy", npy_of(big), true}, m2{"small.npy", npy_of(small)};
        m1.zip64 = m2.zip64 = true;
        const std::string z64 = with_zip64_end(make_zip({m1, m2}));
        io::npz_reader r(z64, "zip64.npz");
        CHECK(same(r.read<double, dyn, 37>("big"), big));
        CHECK(same(r.read<std::int32_t, 3>("small"), small));
    }
    {
        io::npz_reader r(with_zip64_end(z), "zip64-end.npz");
        CHECK(same(r.read<std::int32_t, 3>("small"), small));
    }
    // An archive comment after the end record.
    std::string commented = z;
    set_le(commented, end_record_of(commented) + 20, 7, 2);
    commented += "comment";
    CHECK(same(io::npz_reader(commented, "commented.npz").read<std::int32_t, 3>("small"), small));
}

TEST_CASE("npz_reader refuses an archive truncated at every byte offset", "[io]") {
    temp_dir dir;
    const std::string full = small_archive(dir);
    REQUIRE_NOTHROW(read_small(full));
    for (std::size_t n = 0; n < full.size(); ++n) {
        INFO("first " << n << " of " << full.size() << " bytes");
        CHECK_THROWS_AS(read_small(full.substr(0, n)), io_error);
    }
    const auto big = make_pattern<double, dyn, 3>(50);
    const std::string deflated = make_zip({{"big.npy", npy_of(big), true}});
    for (std::size_t n = 0; n < deflated.size(); ++n) {
        INFO("first " << n << " of " << deflated.size() << " bytes of a deflated archive");
        CHECK_THROWS_AS((io::npz_reader(deflated.substr(0, n), "cut.npz").read<double, dyn, 3>("big")), io_error);
    }
    write_file(dir / "cut.npz", full.substr(0, full.size() / 2));
    CHECK_THAT(io_error_of([&] { io::npz_reader r(dir / "cut.npz"); }),
               Contains("cut.npz") && Contains("truncated or damaged ZIP archive"));
}

TEST_CASE("npz_reader either reads the right values or throws io_error, whichever byte is damaged", "[io]") {
    temp_dir dir;
    const std::string full = small_archive(dir);
    std::size_t errors = 0;
    for (std::size_t i = 0; i < full.size(); ++i) {
        std::string damaged = full;
        damaged[i] = char(damaged[i] ^ 0x5a);
        INFO("byte " << i << " damaged");
        try {
            read_small(damaged);
        } catch (const io_error&) {
            ++errors;
        }
    }
    CHECK(errors > full.size() / 2);  // most bytes matter; the dates and attributes do not
}

TEST_CASE("a damaged member fails its CRC-32 check, naming the member", "[io]") {
    temp_dir dir;
    std::string z = small_archive(dir);
    std::string data_flip = z;
    data_flip[local_header_of(z, "dense_1/bias.npy") + 30 + 16 + 128 + 3] ^= 1;  // in the int64 data
    CHECK_THAT(npz_error(dir, data_flip, [](io::npz_reader& r) { r.read<std::int64_t, 4>("dense_1/bias"); }),
               Contains("member 'dense_1/bias.npy'") && Contains("CRC-32 mismatch"));
    std::string crc_flip = z;
    crc_flip[central_entry_of(z, "w.npy") + 16] ^= 1;
    CHECK_THAT(npz_error(dir, crc_flip, [](io::npz_reader& r) { r.read<float, 2, 3>("w"); }),
               Contains("member 'w.npy'") && Contains("CRC-32 mismatch"));
    // The other member is still readable.
    CHECK(holds_pattern(io::npz_reader(crc_flip, "x").read<std::int64_t, 4>("dense_1/bias")));
}

TEST_CASE("npz_reader names the archive, the member and what it expected", "[io]") {
    temp_dir dir;
    const std::string z = small_archive(dir);
    write_file(dir / "bad.npz", z);
    CHECK_THAT(npz_error(dir, z, [](io::npz_reader& r) { r.read<float, 2, 3>("nope"); }),
               Contains("no member 'nope.npy'") && Contains("'w.npy', 'dense_1/bias.npy'"));
    CHECK_THAT(npz_error(dir, z, [](io::npz_reader& r) { r.read<double, 2, 3>("w"); }),
               Contains("member 'w.npy'") && Contains("expected '<f8' (float64)"));
    CHECK_THAT(npz_error(dir, z, [](io::npz_reader& r) { r.read<float, 3, 2>("w"); }),
               Contains("member 'w.npy'") && Contains("shape is [2, 3], expected [3, 2]"));
    CHECK_THAT(io_error_of([&] { io::npz_reader r(dir / "missing.npz"); }), Contains("missing.npz") && Contains("cannot open"));
}

TEST_CASE("npz_reader refuses what it does not support, clearly", "[io]") {
    temp_dir dir;
    const std::string z = small_archive(dir);
    const std::size_t lw = local_header_of(z, "w.npy"), cw = central_entry_of(z, "w.npy");

    std::string bzip2 = z;
    set_le(bzip2, lw + 8, 12, 2);
    set_le(bzip2, cw + 10, 12, 2);
    CHECK_THAT(npz_error(dir, bzip2), Contains("member 'w.npy'") && Contains("compression method 12 (bzip2)"));

    std::string encrypted = z;
    set_le(encrypted, cw + 8, 1, 2);
    CHECK_THAT(npz_error(dir, encrypted), Contains("member 'w.npy'") && Contains("encrypted"));

    std::string multi = z;
    set_le(multi, end_record_of(z) + 4, 1, 2);
    CHECK_THAT(npz_error(dir, multi), Contains("multi-disk"));

    const auto two = make_zip({{"a.npy", npy_of(make_pattern<float, 2>())}, {"b.npy", npy_of(make_pattern<float, 2>())}});
    std::string dup = two;
    dup[local_header_of(two, "b.npy") + 30] = 'a';
    dup[central_entry_of(two, "b.npy") + 46] = 'a';
    CHECK_THAT(npz_error(dir, dup), Contains("member 'a.npy'") && Contains("appears twice"));
}

TEST_CASE("npz_reader refuses malformed archives of every kind", "[io]") {
    temp_dir dir;
    const std::string z = small_archive(dir);
    const std::size_t lw = local_header_of(z, "w.npy"), cw = central_entry_of(z, "w.npy"), e = end_record_of(z);

    CHECK_THAT(npz_error(dir, "just some text, long enough to be looked at as an archive"),
               Contains("not an .npz (ZIP) archive") && Contains("no end of central directory record"));
    CHECK_THAT(npz_error(dir, "PK"), Contains("fewer than an empty ZIP archive"));
    CHECK_THAT(npz_error(dir, npy_of(make_pattern<float, 2, 3>())), Contains("is a .npy file, not an .npz"));
    CHECK_THAT(npz_error(dir, z.substr(0, e) + std::string(22, '\0')), Contains("truncated or damaged ZIP archive"));

    std::string renamed = z;  // the local header disagrees with the central directory
    renamed[lw + 30] = 'v';
    CHECK_THAT(npz_error(dir, renamed, [](io::npz_reader& r) { r.read<float, 2, 3>("w"); }),
               Contains("local header names the member 'v.npy', the central directory 'w.npy'"));

    std::string no_local = z;
    no_local[lw] = 'X';
    CHECK_THAT(npz_error(dir, no_local, [](io::npz_reader& r) { r.read<float, 2, 3>("w"); }),
               Contains("member 'w.npy'") && Contains("no local header signature"));

    std::string far_local = z;
    set_le(far_local, cw + 42, 1u << 30, 4);
    CHECK_THAT(npz_error(dir, far_local, [](io::npz_reader& r) { r.read<float, 2, 3>("w"); }),
               Contains("member 'w.npy'") && Contains("past the end of the file"));

    std::string long_data = z;  // stored sizes that run past the end
    set_le(long_data, cw + 20, 1u << 20, 4);
    set_le(long_data, cw + 24, 1u << 20, 4);
    CHECK_THAT(npz_error(dir, long_data, [](io::npz_reader& r) { r.read<float, 2, 3>("w"); }),
               Contains("member 'w.npy'") && Contains("runs past the end of the file"));

    std::string sizes_differ = z;  // a stored member whose two sizes differ
    set_le(sizes_differ, cw + 24, get_le(z, cw + 24, 4) + 1, 4);
    CHECK_THAT(npz_error(dir, sizes_differ, [](io::npz_reader& r) { r.read<float, 2, 3>("w"); }),
               Contains("compressed size (152) differs from its size (153)"));

    std::string too_many = z;
    set_le(too_many, e + 8, 50, 2);
    set_le(too_many, e + 10, 50, 2);
    CHECK_THAT(npz_error(dir, too_many), Contains("claims 50 members"));

    std::string cd_past = z;
    set_le(cd_past, e + 16, get_le(z, e + 16, 4) + 1000, 4);
    CHECK_THAT(npz_error(dir, cd_past), Contains("does not end before the end record"));

    std::string bad_entry = z;
    bad_entry[cw] = 'X';
    CHECK_THAT(npz_error(dir, bad_entry), Contains("no central directory signature"));

    std::string name_past = z;
    set_le(name_past, cw + 28, 60000, 2);
    CHECK_THAT(npz_error(dir, name_past), Contains("run past the end of the central directory"));

    std::string extra_past = z;  // an extra field whose length runs past its entry
    set_le(extra_past, cw + 30, 4, 2);
    set_le(extra_past, cw + 46 + 5 + 2, 0x7000, 2);  // the length of the "extra" that is now the next entry's signature
    CHECK_THROWS_AS(io::npz_reader(extra_past, "x"), io_error);

    zip_member short64{"w.npy", npy_of(make_pattern<float, 2, 3>())};
    short64.zip64 = true;
    std::string z64 = make_zip({short64});
    set_le(z64, central_entry_of(z64, "w.npy") + 46 + 5 + 2, 8, 2);  // ZIP64 field: 8 bytes, 24 needed
    CHECK_THAT(npz_error(dir, z64), Contains("ZIP64 extra field is too short"));

    std::string bad64 = with_zip64_end(z);
    bad64[bad64.rfind("PK\x06\x06")] = 'X';
    CHECK_THAT(npz_error(dir, bad64), Contains("no ZIP64 end of central directory record"));
}

TEST_CASE("npz_reader refuses deflated members whose stream is damaged or lies about its size", "[io]") {
    temp_dir dir;
    const auto t = make_pattern<double, dyn, 3>(50);
    const std::string npy = npy_of(t);
    const std::string deflated = raw_deflate(npy);
    auto read = [](io::npz_reader& r) { r.read<double, dyn, 3>("t"); };

    zip_member garbage{"t.npy", npy, true};
    garbage.body = std::string(deflated.size(), '\xff');
    CHECK_THAT(npz_error(dir, make_zip({garbage}), read), Contains("member 't.npy'") && Contains("bad deflate data"));

    zip_member cut{"t.npy", npy, true};
    cut.body = deflated.substr(0, deflated.size() - 20);
    CHECK_THAT(npz_error(dir, make_zip({cut}), read),
               Contains("member 't.npy'") && Contains("ends before the deflate stream does"));

    zip_member longer{"t.npy", npy, true};  // inflates to more than the central directory says
    longer.body = raw_deflate(npy + "tail");
    CHECK_THAT(npz_error(dir, make_zip({longer}), read), Contains("member 't.npy'") && Contains("inflates to more than"));

    zip_member bomb{"t.npy", npy, true};  // claims far more than deflate can make of its bytes
    bomb.size = 0xf0000000u;
    CHECK_THAT(npz_error(dir, make_zip({bomb}), read), Contains("more than deflate can produce"));

    zip_member wrong_size{"t.npy", npy, true};
    wrong_size.size = npy.size() + 8;
    CHECK_THAT(npz_error(dir, make_zip({wrong_size}), read), Contains("member 't.npy'"));

    zip_member wrong_crc{"t.npy", npy, true};
    wrong_crc.crc = 12345;
    CHECK_THAT(npz_error(dir, make_zip({wrong_crc}), read), Contains("member 't.npy'") && Contains("CRC-32 mismatch"));
}

TEST_CASE("npz_writer refuses bad and duplicate names and leaves the target untouched", "[io]") {
    temp_dir dir;
    const auto p = dir / "a.npz";
    io::save_npz(p, "old", make_pattern<float, 2>());
    const std::string before = read_file(p);
    const auto t = make_pattern<float, 3>();
    for (const std::string& bad : std::vector<std::string>{"", "/abs", "a//b", "a/../b", "./a", "a/.", "a\\b", std::string("a\0b", 3)}) {
        INFO(bad);
        CHECK_THAT(value_error_of([&] {
                       io::npz_writer w(p);
                       w.add(bad, t);
                       w.commit();
                   }),
                   Contains("a.npz") && Contains("array name"));
    }
    CHECK_THAT(value_error_of([&] { io::save_npz(p, "x", t, "y", t, "x", t); }), Contains("two arrays are named 'x'"));
    CHECK(read_file(p) == before);
    CHECK(dir.names() == std::vector<std::string>{"a.npz"});
}

TEST_CASE("an npz_writer dropped without commit leaves the old file, a missing directory is an io_error", "[io]") {
    temp_dir dir;
    const auto p = dir / "a.npz";
    io::save_npz(p, "old", make_pattern<float, 2>());
    const std::string before = read_file(p);
    {
        io::npz_writer w(p);
        w.add("new", make_pattern<double, 100>());
    }
    CHECK(read_file(p) == before);
    CHECK(dir.names() == std::vector<std::string>{"a.npz"});
    CHECK_THAT(io_error_of([&] { io::save_npz(dir / "missing" / "b.npz", "x", make_pattern<float, 2>()); }),
               Contains("b.npz") && Contains("No such file or directory"));
}

TEST_CASE("save_npz that fails midway (a full disk) leaves the old archive intact", "[io]") {
    temp_dir dir;
    const auto p = dir / "a.npz";
    io::save_npz(p, "old", make_pattern<float, 2>());
    const std::string before = read_file(p);
    const auto r = in_child([] { limit_file_size(8192); },
                            [&] {
                                try {
                                    io::save_npz(p, "a", make_pattern<double, dyn>(1000), "b", make_pattern<double, dyn>(1000));
                                } catch (const io_error&) {
                                    return 0;
                                }
                                return 1;
                            });
    CHECK(r.exited);
    CHECK(r.code == 0);
    CHECK(read_file(p) == before);
    CHECK(dir.names() == std::vector<std::string>{"a.npz"});
}
