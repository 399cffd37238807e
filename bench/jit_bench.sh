#!/usr/bin/env bash
# jit_bench.sh BUILD [JIT_BENCH_OPTION...]: issue #6's benchmark. BUILD is a
# configured and built vrsc build directory (it holds vrsc, libvrsc_core.a
# and CMakeCache.txt, which names libgccjit and Z3). Generates the x86-64
# driver from specs/x86_64.vrs with BUILD/vrsc into a temporary directory,
# builds jit_bench.c + the generated x86_64.c + runtime/vrs_hosted.c with
# `cc -O2` (the JIT's level; CFLAGS overrides) against libvrsc_core.a, and
# runs it once on specs/x86_64.vrs: JIT compile time, then resolve
# throughput of the C driver, the JIT and the interpreter. Options after
# BUILD go to jit_bench (-n, -i, -c, -r, -s, -p; see jit_bench.c).
# JIT_BENCH_EXE=PATH keeps the executable there (for perf). Reports
# numbers; fails only if the engines disagree or something does not build.
set -euo pipefail

[ "$#" -ge 1 ] || { echo "usage: jit_bench.sh BUILD [JIT_BENCH_OPTION...]" >&2; exit 2; }
build=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$here/..
cc=${CC:-cc}
cflags=${CFLAGS:--O2}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vrsc-jit-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
[ -x "$build/vrsc" ] && [ -f "$build/libvrsc_core.a" ] || {
    echo "jit_bench.sh: $build has no vrsc or libvrsc_core.a (build it first)" >&2
    exit 1
}
gccjit=$(cache GCCJIT_LIBRARY)
z3=$(cache Z3_LIBRARY)
case $gccjit in
*NOTFOUND* | "") echo "jit_bench.sh: $build was configured without libgccjit" >&2; exit 1 ;;
esac
san=()
[ "$(cache VRSC_SANITIZE)" = ON ] && san=(-fsanitize=address,undefined -fno-omit-frame-pointer)

"$build/vrsc" build --color=never "$root/specs/x86_64.vrs" -o "$tmp" 2>"$tmp/vrsc.err" || {
    cat "$tmp/vrsc.err" >&2
    exit 1
}

exe=${JIT_BENCH_EXE:-$tmp/jit_bench}
# shellcheck disable=SC2086  # $cflags is a list of options
"$cc" -std=c11 -D_GNU_SOURCE $cflags "${san[@]}" -Wall -Wextra -Werror \
    -I"$root/compiler" -I"$root/runtime" -I"$build" -I"$tmp" \
    "$here/jit_bench.c" "$tmp/x86_64.c" "$root/runtime/vrs_hosted.c" \
    "$build/libvrsc_core.a" "$gccjit" -Wl,-rpath,"$(dirname "$gccjit")" "$z3" \
    -o "$exe"

echo "$build/vrsc: $("$build/vrsc" --version 2>/dev/null | head -n 1 || true); source tree $(cd "$root" && git describe --always --dirty 2>/dev/null || echo '?')"
echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); $("$cc" --version | head -n 1); C driver: $cflags"
cd "$root"
"$exe" "$@" specs/x86_64.vrs
