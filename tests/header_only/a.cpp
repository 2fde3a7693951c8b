// See b.cpp.
#include "all.hpp"

std::string write_from_a(const std::filesystem::path& dir) {
    tfx::tensor<float, tfx::dyn, 3> t(2);
    for (std::size_t i = 0; i < 6; ++i) t.data()[i] = float(i) + 0.5f;
    tfx::io::save_npz(dir / "a.npz", "t", t);
    tfx::summary::file_writer w(dir / "logs_a");
    w.scalar("loss", 0.25, 1);
    w.close();
    return tfx::shape_string(t.shape());
}
