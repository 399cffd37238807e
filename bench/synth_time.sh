#!/usr/bin/env bash
# synth_time.sh VRSC [SPEC...]: synthesis + proof time per spec.
# For each spec (default: specs/*.vrs and tests/synth/*.vrs), best of 5:
#   front   `vrsc check --no-synth`          (parse, sema, Z3 sanity checks)
#   deduce  `vrsc synth --no-verify` - front (deduction and realization)
#   total   `vrsc synth` - front             (synthesis and every proof)
# and the number of programs. The reference compiler's times on this
# machine (reference-compiler.md, "Measured here") are printed beside the
# specs that have a counterpart, with the ratio. Reports numbers; asserts
# nothing.
set -euo pipefail

[ "$#" -ge 1 ] || { echo "usage: synth_time.sh VRSC [SPEC...]" >&2; exit 2; }
vrsc=$1
shift
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
if [ "$#" -eq 0 ]; then
    set -- "$here"/../specs/*.vrs "$here"/../tests/synth/*.vrs
fi
runs=5
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vrsc-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# best_ns SPEC ARGS...: fastest of $runs runs of `VRSC ARGS... SPEC`, in ns.
best_ns() {
    local spec=$1 best='' start end ns
    shift
    for ((r = 1; r <= runs; r++)); do
        start=$(date +%s%N)
        if ! "$vrsc" "$@" --color=never "$spec" >"$tmp/out" 2>"$tmp/err"; then
            echo "synth_time: '$vrsc $* $spec' failed:" >&2
            head -n 20 "$tmp/err" >&2
            exit 1
        fi
        end=$(date +%s%N)
        ns=$((end - start))
        if [ -z "$best" ] || [ "$ns" -lt "$best" ]; then best=$ns; fi
    done
    echo "$best"
}

ms() { printf '%d.%01d' $(($1 / 1000000)) $(($1 / 100000 % 10)); }

# reference median seconds (reference-compiler.md), by our spec name
ref_s() {
    case "$1" in
    x86_64) echo 61 ;;
    x86_32) echo 5.1 ;;
    simple_segment) echo 0.19 ;;
    mpu_region) echo 3.1 ;;
    tlb_entry) echo 173 ;;     # r4700_fixed_page_size, the closest kind
    *) echo "" ;;
    esac
}

printf '%-18s %5s %9s %9s %9s  %s\n' spec progs 'front ms' 'deduce ms' 'total ms' 'reference'
for spec in "$@"; do
    name=$(basename -- "$spec" .vrs)
    front=$(best_ns "$spec" check --no-synth)
    nov=$(best_ns "$spec" synth --no-verify --no-times)
    all=$(best_ns "$spec" synth --no-times)
    progs=$(grep -c '^    // proven$' "$tmp/out" || true)
    ded=$((nov - front)); [ "$ded" -ge 0 ] || ded=0
    tot=$((all - front)); [ "$tot" -ge 0 ] || tot=0
    ref=$(ref_s "$name")
    cmp=''
    if [ -n "$ref" ] && [ "$tot" -gt 0 ]; then
        cmp=$(awk -v r="$ref" -v t="$tot" 'BEGIN { printf "%s s (%.0fx)", r, r * 1e9 / t }')
    fi
    printf '%-18s %5s %9s %9s %9s  %s\n' "$name" "$progs" "$(ms "$front")" "$(ms "$ded")" \
        "$(ms "$tot")" "$cmp"
done
