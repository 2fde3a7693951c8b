#pragma once
// distribute::mpi_strategy: the collectives of distribute::strategy over MPI (Open MPI on Debian:
// libopenmpi-dev, openmpi-bin). Optional: include it (and link MPI) only in programs that train
// across processes; the rest of tfx builds without MPI. docs/distribute.md.
//
//   mpirun -np 2 ./train        # each process: tfx::distribute::mpi_strategy s; model.fit(..., {.strategy = &s})
//
// MPI is initialized by the first mpi_strategy if the program has not done so (and then finalized
// at exit); errors of MPI calls are returned, not fatal, and become
// distribute_error with the call's name and MPI's message.
// Only MPI's C API: the deprecated C++ bindings that <mpi.h> pulls in otherwise warn under -Wextra.
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "strategy.hpp"

namespace tfx::distribute {

class mpi_strategy final : public strategy {
   public:
    explicit mpi_strategy(MPI_Comm comm = MPI_COMM_WORLD) {
        int initialized = 0;
        MPI_Initialized(&initialized);
        if (!initialized) {
            int provided = 0;
            // Only the calling thread makes MPI calls (tfx's pool and prefetch threads never do).
            check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
            std::atexit([] {
                int done = 0;
                MPI_Finalized(&done);
                if (!done) MPI_Finalize();
            });
        }
        check(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup");
        MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
        check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
        check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
    }
    mpi_strategy(const mpi_strategy&) = delete;
    mpi_strategy& operator=(const mpi_strategy&) = delete;
    ~mpi_strategy() override {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (finalized) return;
        MPI_Comm_free(&comm_);
    }

    int rank() const noexcept override { return rank_; }
    int num_replicas() const noexcept override { return size_; }
    MPI_Comm communicator() const noexcept { return comm_; }

    void all_reduce_sum(double* data, std::size_t n) override {
        in_chunks(n, [&](std::size_t done, int count) {
            check(MPI_Allreduce(MPI_IN_PLACE, data + done, count, MPI_DOUBLE, MPI_SUM, comm_), "MPI_Allreduce");
        });
    }
    void broadcast(void* data, std::size_t bytes, int root) override {
        auto* p = static_cast<char*>(data);
        in_chunks(bytes, [&](std::size_t done, int count) { check(MPI_Bcast(p + done, count, MPI_BYTE, root, comm_), "MPI_Bcast"); });
    }
    void all_gather(const void* mine, void* all, std::size_t bytes) override {
        if (bytes > std::size_t(1) << 30) throw distribute_error("tfx: mpi_strategy: all_gather of more than 1 GiB per rank");
        check(MPI_Allgather(mine, int(bytes), MPI_BYTE, all, int(bytes), MPI_BYTE, comm_), "MPI_Allgather");
    }
    void barrier() override { check(MPI_Barrier(comm_), "MPI_Barrier"); }
    [[noreturn]] void abort(const std::string& message) noexcept override {
        std::fprintf(stderr, "%s\ntfx: rank %d of %d: ending the job (MPI_Abort)\n", message.c_str(), rank_, size_);
        std::fflush(stderr);
        MPI_Abort(comm_, 1);
        std::abort();  // MPI_Abort does not return; in case it does
    }

   private:
    // call(offset, count) over [0, n) in pieces that fit MPI's int counts.
    template <class F>
    static void in_chunks(std::size_t n, F&& call) {
        constexpr std::size_t most = std::size_t(1) << 30;
        for (std::size_t done = 0; done < n; done += most) call(done, int(std::min(n - done, most)));
    }
    void check(int rc, const char* call) const {
        if (rc == MPI_SUCCESS) return;
        char text[MPI_MAX_ERROR_STRING];
        int len = 0;
        MPI_Error_string(rc, text, &len);
        throw distribute_error("tfx: mpi_strategy: " + std::string(call) + " failed on rank " + std::to_string(rank_) + ": " +
                               std::string(text, std::size_t(len)));
    }

    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0, size_ = 1;
};

}  // namespace tfx::distribute
