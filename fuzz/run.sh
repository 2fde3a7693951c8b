#!/usr/bin/env bash
# Builds the libFuzzer targets of tfx::io and of tfx::data's CSV reader (clang,
# -fsanitize=fuzzer,address,undefined) and runs each for a bounded time, starting from the seeds in
# fuzz/corpus/<target>/.
#
#   fuzz/run.sh [seconds per target, default 60] [target...]
#   targets: npy_header npy_load npz_read checkpoint_restore csv_read (default: all)
#
# Environment: CXX_FUZZ (default clang++, then clang++-14), FUZZ_BUILD_DIR (default build-fuzz/),
# FUZZ_JOBS (parallel fuzzing processes per target, libFuzzer's -fork, default 1). New inputs go to
# $FUZZ_BUILD_DIR/corpus/<target>/, crashes to $FUZZ_BUILD_DIR/artifacts/. Exits non-zero if any
# target crashed, leaked, timed out or ran out of memory. Debian: apt-get install clang zlib1g-dev.
# Copy a crash input that you fixed into fuzz/corpus/<target>/: CTest replays those (fuzz.replay_*).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
seconds="${1:-60}"
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(npy_header npy_load npz_read checkpoint_restore csv_read)
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
jobs="${FUZZ_JOBS:-1}"

cxx="${CXX_FUZZ:-}"
if [ -z "$cxx" ]; then
    for c in clang++ clang++-14; do
        command -v "$c" >/dev/null 2>&1 && { cxx="$c"; break; }
    done
fi
[ -n "$cxx" ] || { echo "fuzz/run.sh: needs clang with libFuzzer (Debian: apt-get install clang)" >&2; exit 2; }

mkdir -p "$build/artifacts"
flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -fno-omit-frame-pointer -I"$root/include")
failed=()
for t in "${targets[@]}"; do
    src="$here/${t}_fuzz.cpp"
    [ -f "$src" ] || { echo "fuzz/run.sh: no target $t ($src)" >&2; exit 2; }
    exe="$build/$t"
    if [ ! -x "$exe" ] || [ -n "$(find "$src" "$root/include/tfx" -newer "$exe" -print -quit)" ]; then
        echo "== building $t with $cxx"
        defines=()
        # checkpoint_restore skips CRC-32 checks, so that mutated members reach validation and
        # staging (npz_read keeps them: it fuzzes the checks themselves).
        [ "$t" = checkpoint_restore ] && defines=(-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
        nice -n 10 "$cxx" "${flags[@]}" "${defines[@]}" "$src" -o "$exe" -lz
    fi
    dict=(-dict="$here/npy.dict")
    case "$t" in
        npz_read|checkpoint_restore) dict=(-dict="$here/zip.dict") ;;
        csv_read) dict=() ;;  # none: CSV is text, and -fsanitize=fuzzer traces the comparisons
    esac
    mkdir -p "$build/corpus/$t"
    echo "== fuzzing $t for ${seconds}s"
    set +e
    extra=()
    [ "$jobs" -gt 1 ] && extra=(-fork="$jobs")
    nice -n 10 "$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
        "${dict[@]}" "${extra[@]}" -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$t-" "$build/corpus/$t" "$here/corpus/$t" \
        >"$build/$t.log" 2>&1
    status=$?
    set -e
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)|cov: ' "$build/$t.log" | tail -n 3 || true
    if [ $status -ne 0 ]; then
        echo "!! $t failed (exit $status); log: $build/$t.log"
        grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$build/$t.log" | head -n 20 || true
        failed+=("$t")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz/run.sh: failures in: ${failed[*]}"
    exit 1
fi
echo "fuzz/run.sh: no crash in ${targets[*]} (${seconds}s each)"
