#!/usr/bin/env bash
# Measures compile-time budgets (issue "Hardening"): wall time and peak compiler memory of
#   - the digits demo TU (examples/digits.cpp; budget <= 10 s, <= 1.5 GB),
#   - sequential models of 1, 2, 5 and 10 dense layers (compile time must grow at most linearly),
#   - every test TU (budget <= 60 s each),
# each compiled alone with the flags of the Release build (-O3 -march=native -std=c++20 -Iinclude).
# Run it on a quiet machine: `scripts/compile_budget.sh [digits|layers|tests]...` (default: all).
# Prints one line per TU: seconds, peak GB, file. Needs GNU time (/usr/bin/time, Debian: time).
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
        echo "== the digits demo TU (budget 10 s, 1.5 GB)"
        measure examples/digits.cpp examples/digits.cpp -DTFX_DIGITS_CSV=\"x\"
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
    *) echo "usage: $0 [digits|layers|tests]..." >&2; exit 2 ;;
    esac
done
