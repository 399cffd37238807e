#!/usr/bin/env bash
# driver_bench.sh VRSC [ROUNDS]: issue #5's benchmark. Generates the x86-64
# driver from specs/x86_64.vrs with VRSC into a temporary directory, builds
# driver_bench.c + pt_linux.c (the hand-written Linux-style baseline) + the
# generated x86_64.c + runtime/vrs_hosted.c with `cc -O2 -march=native`,
# runs it (one run: map/protect/unmap/resolve of 4 KiB pages and a mixed
# ~1 GiB map, both implementations, ratio generated/hand-written per row),
# then does the same with plain -O2. CC overrides the compiler. Reports
# numbers; asserts nothing about them (it fails only if the two
# implementations disagree about a mapping or something does not build).
set -euo pipefail

[ "$#" -ge 1 ] || { echo "usage: driver_bench.sh VRSC [ROUNDS]" >&2; exit 2; }
vrsc=$1
rounds=${2:-101}
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$here/..
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vrsc-driver-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$vrsc" build --color=never "$root/specs/x86_64.vrs" -o "$tmp" 2>"$tmp/vrsc.err" || {
    cat "$tmp/vrsc.err" >&2
    exit 1
}

build_and_run() {
    local flags=$1 exe=$tmp/driver_bench.$2
    # shellcheck disable=SC2086  # $flags is a list of options
    "$cc" -std=c11 $flags -Wall -Wextra -Werror -I"$root/runtime" -I"$tmp" -I"$here" \
        "$here/driver_bench.c" "$here/pt_linux.c" "$tmp/x86_64.c" "$root/runtime/vrs_hosted.c" \
        -o "$exe"
    "$exe" -r "$rounds" -l "($("$cc" --version | head -n 1); $flags)"
}

echo "$vrsc: $("$vrsc" --version 2>/dev/null | head -n 1 || true); source tree $(cd "$root" && git describe --always --dirty 2>/dev/null || echo '?')"
build_and_run "-O2 -march=native" native
echo
build_and_run "-O2" generic
