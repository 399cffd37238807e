#!/usr/bin/env bash
# nojit.sh VRSC ROOT: VRSC is vrsc built with the JIT's stub (the
# vrsc_nojit target: compiler/jit.c without libgccjit, as on a machine
# that lacks it). `vrsc jit` and `vrsc translate` must say once that they
# use the interpreter, and answer as the JIT would.
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
lib_init nojit "$@"
cd "$root" || exit 2
spec=specs/x86_64.vrs
msg="vrsc: this vrsc was built without libgccjit: using the interpreter"

# said_once DESC: stderr is that one line
said_once() {
    [ "$(cat "$tmp/err")" = "$msg" ] || fail "$1: stderr is not the one line '$msg': $(cat "$tmp/err")"
}

has() {
    grep -qF -- "$2" "$1" || fail "$3: no '$2' in: $(head -c 300 "$1")"
}

echo "jit, --engine=jit by default"
expect_status 0 "jit" jit "$spec" --mem 16M -e "map 0x1000 4K 0x2000 writable; translate 0x1800 write; walk 0x1000; stats; save $tmp/x.bin"
said_once "jit"
has "$tmp/out" "0x1800 -> 0x2800 (4K page, writable)" "jit: translate"
has "$tmp/out" "level 4: PtEntry [1]" "jit: walk"
has "$tmp/out" "engine: interp" "jit: stats"
expect_status 0 "jit --engine=jit" jit "$spec" --engine=jit --mem 16M -e "translate 0"
said_once "jit --engine=jit"

echo "translate"
expect_status 0 "translate" translate "$spec" --image "$tmp/x.bin" --root 0x100000 --va 0x1000 --va 0x5000
said_once "translate"
has "$tmp/out" "0x1000 -> 0x2000 (4K page, writable)" "translate"
has "$tmp/out" "0x5000: fault: not mapped at level 4" "translate: a fault"

lib_finish
