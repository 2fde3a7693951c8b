#!/usr/bin/env bash
# A CMAKE_CXX_COMPILER_LAUNCHER for scripts/compile_budget.sh build: runs the compiler command it is
# given under GNU time and appends "<cpu seconds> <peak GB> <source> <hh:mm:ss>" to $TFX_COMPILE_LOG
# (user + system CPU of the compiler and its children, so a -j2 build's other job hardly counts).
# The compiler's output and exit status pass through unchanged.
src=""
for a in "$@"; do case "$a" in *.cpp | *.cc | *.cxx) src="$a" ;; esac; done
t=$(mktemp)
/usr/bin/time -f "%U %S %M" -o "$t" "$@"  # on failure, time writes a line before the figures
rc=$?
if [ -n "${TFX_COMPILE_LOG:-}" ] && [ -n "$src" ] && read -r u s kb < <(tail -n 1 "$t"); then
    awk -v u="$u" -v s="$s" -v kb="$kb" -v f="$src" \
        'BEGIN { printf "%7.1f %5.2f %s %s\n", u + s, kb / 1048576, f, strftime("%T") }' >>"$TFX_COMPILE_LOG"
fi
rm -f "$t"
exit $rc
