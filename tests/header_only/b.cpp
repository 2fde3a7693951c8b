// The header-only form in a program of two TUs (CTest header_only.two_tus). Both include every
// public header; the link fails if any function they define is not inline. Then each TU uses the
// other's files: a.cpp writes an .npz and an event file, b.cpp reads the .npz back and writes its
// own event file. Exit code 0 only if the values and messages agree.
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "all.hpp"

int main() {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("tfx-header-only-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    int failed = 0;
    try {
        const std::string shape_a = write_from_a(dir);
        const auto back = tfx::io::load_npz<float, tfx::dyn, 3>(dir / "a.npz", "t");
        if (tfx::shape_string(back.shape()) != shape_a || shape_a != "[2, 3]") {
            std::printf("shapes differ: %s and %s\n", shape_a.c_str(), tfx::shape_string(back.shape()).c_str());
            failed = 1;
        }
        for (std::size_t i = 0; i < 6; ++i)
            if (back.data()[i] != float(i) + 0.5f) {
                std::printf("value %zu differs: %g\n", i, double(back.data()[i]));
                failed = 1;
            }
        tfx::summary::file_writer w(dir / "logs_b");
        w.scalar("loss", 0.5, 1);
        w.close();
        std::size_t event_files = 0;
        for (const char* sub : {"logs_a", "logs_b"})
            for (const auto& e : fs::directory_iterator(dir / sub))
                event_files += e.path().filename().string().starts_with("events.out.tfevents.");
        if (event_files != 2) {
            std::printf("expected 2 event files, found %zu\n", event_files);
            failed = 1;
        }
        try {  // an error message built by the plain functions
            (void)tfx::io::load_npz<float, tfx::dyn, 3>(dir / "missing.npz", "t");
            std::printf("loading a missing file did not throw\n");
            failed = 1;
        } catch (const tfx::error& e) {
            if (std::string(e.what()).find("missing.npz") == std::string::npos) {
                std::printf("the error does not name the file: %s\n", e.what());
                failed = 1;
            }
        }
    } catch (const std::exception& e) {
        std::printf("error: %s\n", e.what());
        failed = 1;
    }
    fs::remove_all(dir);
    if (!failed) std::printf("header-only, two TUs: ok\n");
    return failed;
}
