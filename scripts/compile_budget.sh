#!/usr/bin/env bash
# Measures compile-time budgets (issue "Hardening"): wall time and peak compiler memory of
#   - the digits demo TU (examples/digits.cpp; budget <= 10 s, <= 1.5 GB), header-only and with the
#     compiled part (docs/compiled.md), and the compiled part's own TU (src/tfx.cpp),
#   - sequential models of 1, 2, 5 and 10 dense layers (compile time must grow at most linearly),
#   - every test TU (budget <= 60 s each),
# each compiled alone with the flags of the Release build (-O3 -march=native -std=c++20 -Iinclude).
# Run it on a quiet machine: `scripts/compile_budget.sh [digits|layers|tests]...` (default: all).
# Prints one line per TU: seconds, peak GB, file. Needs GNU time (/usr/bin/time, Debian: time).
#
# `scripts/compile_budget.sh build` measures instead in CI's condition: a clean Release build of
# everything (tests with their per-file flags, the MPI tests, examples) with $TFX_JOBS (default 2)
# parallel jobs in $TFX_BUDGET_DIR (default build-budget/), each compiler process timed by
# scripts/compile_launcher.sh (CPU seconds, which the other job hardly inflates; wall time would
# count it). Prints every TU, slowest first, and the verdict on the test TUs' 60 s budget.
set -euo pipefail
cd "$(dirname "$0")/.."
cxx="${CXX:-g++}"
flags=(-std=c++20 -O3 -DNDEBUG -march=native -Iinclude -Wno-uninitialized -Wno-maybe-uninitialized -c -o /dev/null)
[ -x /usr/bin/time ] || { echo "compile_budget.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
what=("$@")
[ ${#what[@]} -eq 0 ] && what=(digits layers tests)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() {  # measure <label> <source> [extra flags...]
    local label="$1" src="$2"
    shift 2
    /usr/bin/time -f "%e %M" -o "$tmp/t" "$cxx" "${flags[@]}" "$@" "$src" 2>"$tmp/err" ||
        { echo "compile_budget.sh: $src failed to compile:" >&2; head -5 "$tmp/err" >&2; exit 1; }
    read -r secs kb <"$tmp/t"
    printf '%7.1f s %6.2f GB  %s\n' "$secs" "$(awk -v k="$kb" 'BEGIN { print k / 1048576 }')" "$label"
}

for w in "${what[@]}"; do
    case "$w" in
    digits)
        echo "== the digits demo TU (budget 10 s, 1.5 GB): header-only, then as CMake builds it, with"
        echo "   tfx::compiled (TFX_COMPILED_LIB; docs/compiled.md), then src/tfx.cpp itself, compiled once"
        measure "examples/digits.cpp (header-only)" examples/digits.cpp -DTFX_DIGITS_CSV=\"x\"
        measure "examples/digits.cpp (tfx::compiled)" examples/digits.cpp -DTFX_DIGITS_CSV=\"x\" -DTFX_COMPILED_LIB
        measure "src/tfx.cpp (tfx::compiled, once)" src/tfx.cpp -DTFX_COMPILED_LIB
        ;;
    layers)
        echo "== a sequential model of N dense layers, compiled, fit and predict (growth must be at most linear)"
        for n in 1 2 5 10; do
            src="$tmp/layers_$n.cpp"
            {
                echo '#include <tfx/nn.hpp>'
                echo 'using namespace tfx;'
                echo 'int main() {'
                printf '    auto m = models::sequential(layers::input<16>'
                for ((k = 0; k < n; ++k)); do printf ', layers::dense<%d>(activations::relu)' $((16 + k)); done
                echo ', layers::dense<4>());'
                echo '    m.compile(optimizers::adam(0.01f), losses::sparse_categorical_crossentropy(true));'
                echo '    tensor<float, dyn, 16> x(8); tensor<std::int64_t, dyn> y(8);'
                echo '    m.fit(x, y, {.epochs = 1, .verbose = 0});'
                echo '    return int(m.predict(x)(0, 0));'
                echo '}'
            } >"$src"
            measure "$n dense layers" "$src"
        done
        ;;
    tests)
        echo "== test TUs (budget 60 s each; the recurrent and scan tests are built at -O1 by CMake)"
        for src in tests/test_*.cpp; do
            extra=()
            case "$src" in *recurrent*|*control_scan*) extra=(-O1) ;; esac
            measure "$src" "$src" "${extra[@]}"
        done
        ;;
    build)
        dir="${TFX_BUDGET_DIR:-build-budget}"
        log="$PWD/$dir/compile_times.txt"
        cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER="$PWD/scripts/compile_launcher.sh" >/dev/null
        rm -f "$log"
        TFX_COMPILE_LOG="$log" cmake --build "$dir" -j"${TFX_JOBS:-2}" --clean-first >"$dir/build.log" 2>&1 ||
            { echo "compile_budget.sh: the build failed (see $dir/build.log):" >&2; grep -m5 'error' "$dir/build.log" >&2; exit 1; }
        echo "== every TU of a -j${TFX_JOBS:-2} Release build: CPU s, peak GB, file, finished at (also in $log)"
        sort -rn "$log" | sed "s#$PWD/##"
        awk -v root="$PWD/tests/" 'index($3, root) == 1 { n++; if ($1 > 60) over++; if ($1 > max) { max = $1; f = $3 } }
            END { sub(root, "tests/", f); printf "== test TUs: %d, over 60 s: %d, slowest %.1f s (%s)\n", n, over, max, f }' "$log"
        ;;
    *) echo "usage: $0 [digits|layers|tests|build]..." >&2; exit 2 ;;
    esac
done
