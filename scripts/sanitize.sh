#!/usr/bin/env bash
# Runs the test suite under sanitizers (issue "Hardening"):
#   scripts/sanitize.sh asan   every test, built with -fsanitize=address,undefined (build-asan/)
#   scripts/sanitize.sh tsan   the threaded tests (data pipeline: prefetch, shuffle; concurrent
#                              predict; the thread pool), built with -fsanitize=thread (build-tsan/)
#   scripts/sanitize.sh        both
# Extra arguments go to ctest (e.g. -R prefetch). Any finding fails the test that made it: UBSan
# does not recover, ASan reports leaks, TSan exits non-zero on a race. The compile-fail and install
# tests are left out: they check the compiler's output, not tfx's behaviour at run time; so are the
# tests labelled mpi (Open MPI's own allocations would be reported as leaks), and so they are not
# built either (CMAKE_DISABLE_FIND_PACKAGE_MPI).
# TFX_ASAN_TESTS limits the asan build to some test files (globs under tests/, ';'-separated, e.g.
# TFX_ASAN_TESTS='test_losses*.cpp;test_parallel.cpp'): the whole asan run takes about two hours on
# a 2-core machine (2026-11-29: 115 minutes with TFX_JOBS=2, 9 of them the tests), so it can be run
# in parts. tsan takes a few minutes. asan builds with -g1 (line tables: stack traces with
# lines) and the heaviest derivative-graph TUs with -g0 (tests/CMakeLists.txt): with full debug information
# test_autodiff_hvp_ops.cpp alone (before its checks were split) needed over 22 GB of compiler memory.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh python3 python3-numpy python3-protobuf protobuf-compiler

which="${1:-all}"
[ $# -gt 0 ] && shift
case "$which" in asan|tsan|all) ;; *) echo "usage: $0 [asan|tsan|all] [ctest args...]" >&2; exit 2 ;; esac
exclude='^(compile_fail|install)\.'
jobs="${TFX_JOBS:-2}"

if [ "$which" = asan ] || [ "$which" = all ]; then
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O1" \
          -DTFX_SANITIZE=address,undefined -DTFX_BUILD_EXAMPLES=OFF -DTFX_BUILD_BENCH=OFF \
          -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON \
          "-DTFX_TEST_PATTERNS=${TFX_ASAN_TESTS:-test_*.cpp}"
    cmake --build build-asan -j"$jobs"
    (cd build-asan &&
     ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure --no-tests=error -E "$exclude" -LE '^mpi$' "$@")
fi
if [ "$which" = tsan ] || [ "$which" = all ]; then
    cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
          -DTFX_SANITIZE=thread -DTFX_BUILD_EXAMPLES=OFF -DTFX_BUILD_BENCH=OFF \
          -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON \
          "-DTFX_TEST_PATTERNS=test_data_*.cpp;test_threads*.cpp;test_parallel*.cpp"
    cmake --build build-tsan -j"$jobs" --target tfx_tests
    (cd build-tsan &&
     TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
     ctest --output-on-failure --no-tests=error -E "$exclude|^(readme|fuzz|header_only)\." -LE '^mpi$' "$@")
fi
