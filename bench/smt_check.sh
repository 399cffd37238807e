#!/usr/bin/env bash
# smt_check.sh VRSC [SPEC]: cost of the Z3 sanity checks (compiler/smtcheck.c).
# Times `VRSC check SPEC` with and without `--no-smt`, best of 5 each, and
# prints both and their difference. SPEC defaults to specs/x86_64.vrs. The
# spec must check cleanly (with errors sema stops before the SMT stage and
# the difference would mean nothing). Reports numbers; asserts nothing.
set -euo pipefail

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
    echo "usage: smt_check.sh VRSC [SPEC]" >&2
    exit 2
fi
vrsc=$1
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
spec=${2:-$here/../specs/x86_64.vrs}
runs=5

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vrsc-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# best_ns ARGS...: fastest of $runs runs of `VRSC check ARGS... SPEC`, in ns.
best_ns() {
    local best='' start end ns
    for ((r = 1; r <= runs; r++)); do
        start=$(date +%s%N)
        if ! "$vrsc" check --color=never --no-synth "$@" "$spec" >/dev/null 2>"$tmp/stderr"; then
            echo "smt_check: '$vrsc check $* $spec' failed:" >&2
            head -n 20 "$tmp/stderr" >&2
            exit 1
        fi
        end=$(date +%s%N)
        ns=$((end - start))
        if [ -z "$best" ] || [ "$ns" -lt "$best" ]; then
            best=$ns
        fi
    done
    echo "$best"
}

ms() { printf '%d.%03d ms' $(($1 / 1000000)) $(($1 / 1000 % 1000)); }

with=$(best_ns)
without=$(best_ns --no-smt)
diff=$((with - without))
[ "$diff" -ge 0 ] || diff=0
printf 'check %s, best of %d:\n' "$(basename -- "$spec")" "$runs"
printf '  with SMT:    %s\n' "$(ms "$with")"
printf '  --no-smt:    %s\n' "$(ms "$without")"
printf '  SMT checks:  %s\n' "$(ms "$diff")"
