#!/usr/bin/env bash
# check_time.sh VRSC [LINES]: time of `vrsc check --no-smt` (front end and
# semantic analysis, no Z3) on a generated spec of about LINES lines
# (default 20000), best of 5; then the same with the Z3 checks. Reports
# numbers; asserts nothing.
set -euo pipefail
if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
    echo "usage: check_time.sh VRSC [LINES]" >&2
    exit 2
fi
vrsc=$1
lines=${2:-20000}
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vrsc-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$here/gen_large_spec.sh" 100 "$tmp/sample.vrs"
per_unit=$(($(wc -l <"$tmp/sample.vrs") / 100))
spec=$tmp/large.vrs
"$here/gen_large_spec.sh" $((lines / per_unit + 1)) "$spec"

best() {
    local best='' start end ns
    for ((r = 1; r <= 5; r++)); do
        start=$(date +%s%N)
        "$vrsc" check --color=never --no-synth "$@" "$spec" >/dev/null 2>"$tmp/err" || {
            echo "check_time: vrsc check failed:" >&2; head -n 20 "$tmp/err" >&2; exit 1; }
        end=$(date +%s%N)
        ns=$((end - start))
        if [ -z "$best" ] || [ "$ns" -lt "$best" ]; then best=$ns; fi
    done
    echo "$best"
}
n=$(wc -l <"$spec")
nosmt=$(best --no-smt)
smt=$(best)
printf 'check --no-smt: %d lines, best of 5: %d.%03d s\n' "$n" $((nosmt / 1000000000)) $((nosmt / 1000000 % 1000))
printf 'check (with Z3): %d lines, best of 5: %d.%03d s\n' "$n" $((smt / 1000000000)) $((smt / 1000000 % 1000))
