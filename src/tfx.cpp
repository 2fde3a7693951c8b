// The compiled part of tfx (CMake target tfx::compiled, docs/compiled.md). Programs that define
// TFX_COMPILED_LIB in every TU and link this library get these definitions from here instead of
// compiling them in each TU: the plain functions of impl/*.ipp, and the GEMM's five loops for
// float and double. Build it with the same -march as the program (the GEMM's register block and
// SIMD code depend on it; a mismatch fails to link, see kernels/gemm.hpp).
#ifndef TFX_COMPILED_LIB
#error "src/tfx.cpp is compiled with TFX_COMPILED_LIB defined (CMake: target tfx::compiled)"
#endif

#include <tfx/nn.hpp>

// ---- The plain functions (one line per impl/*.ipp file: CMakeLists.txt checks that none is missing).
#include <tfx/callbacks/impl/callbacks.ipp>
#include <tfx/callbacks/impl/logs.ipp>
#include <tfx/core/impl/errors.ipp>
#include <tfx/core/impl/shape.ipp>
#include <tfx/data/impl/csv.ipp>
#include <tfx/distribute/impl/strategy.ipp>
#include <tfx/io/impl/checkpoint.ipp>
#include <tfx/io/impl/file.ipp>
#include <tfx/io/impl/npy.ipp>
#include <tfx/io/impl/npz.ipp>
#include <tfx/io/impl/zip.ipp>
#include <tfx/nn/impl/fit.ipp>
#include <tfx/optimizers/impl/schedules.ipp>
#include <tfx/optimizers/impl/state.ipp>
#include <tfx/summary/impl/crc32c.ipp>
#include <tfx/summary/impl/event.ipp>
#include <tfx/summary/impl/file_writer.ipp>
#include <tfx/summary/impl/histogram.ipp>
#include <tfx/summary/impl/record_writer.ipp>
#include <tfx/summary/impl/wire.ipp>

// ---- The GEMM's blocked loops, for this target's register block.
namespace tfx::kernels::detail {
extern const int TFX_COMPILED_ARCH_TAG = 1;
#define TFX_GEMM_BLOCKED_INSTANTIATE(T)                                                                      \
    template void gemm_blocked<T, register_block<T>::mr, register_block<T>::nv>(                             \
        std::size_t, std::size_t, std::size_t, matrix_ref<T>, matrix_ref<T>, T*, std::size_t, epilogue_ref, \
        const block_sizes&);
TFX_GEMM_BLOCKED_INSTANTIATE(float)
TFX_GEMM_BLOCKED_INSTANTIATE(double)
#undef TFX_GEMM_BLOCKED_INSTANTIATE
// And gemm's dispatch around them (transposed narrow products, the split over threads).
template void gemm_erased<float>(std::size_t, std::size_t, std::size_t, matrix_ref<float>, matrix_ref<float>, float*,
                                 std::size_t, epilogue_ref);
template void gemm_erased<double>(std::size_t, std::size_t, std::size_t, matrix_ref<double>, matrix_ref<double>,
                                  double*, std::size_t, epilogue_ref);
}  // namespace tfx::kernels::detail
