#pragma once
// Every public header of tfx but the MPI one (distribute/mpi.hpp needs MPI), as a user includes
// them, header-only: no TFX_COMPILED_LIB.
#include <tfx/nn.hpp>
#include <tfx/tfx.hpp>
#include <tfx/data/csv.hpp>
#include <tfx/data/npy.hpp>
#include <tfx/distribute/strategy.hpp>
#include <tfx/io/checkpoint.hpp>
#include <tfx/io/npy.hpp>
#include <tfx/io/npz.hpp>
#include <tfx/summary/file_writer.hpp>

#ifdef TFX_COMPILED_LIB
#error "tests/header_only is the header-only build: it must not see TFX_COMPILED_LIB"
#endif

#include <filesystem>
#include <string>

// a.cpp writes, b.cpp reads back: the same plain functions (npz, zip, CRC, event files,
// messages) are used from both TUs.
std::string write_from_a(const std::filesystem::path& dir);
