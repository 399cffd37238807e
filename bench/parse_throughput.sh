#!/usr/bin/env bash
# parse_throughput.sh VRSC: parser throughput in MB/s (MiB/s), best of 5.
# Generates a ~10 MB spec with gen_large_spec.sh and times `VRSC parse FILE`
# (parse only, no dump). Reports a number; asserts nothing.
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: parse_throughput.sh VRSC" >&2
    exit 2
fi
vrsc=$1
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
runs=5
target_bytes=$((10 * 1024 * 1024))

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vrsc-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Size one unit from a small sample, then generate enough units for ~10 MB.
"$here/gen_large_spec.sh" 0 "$tmp/zero.vrs"
"$here/gen_large_spec.sh" 100 "$tmp/sample.vrs"
per_unit=$((($(stat -c %s "$tmp/sample.vrs") - $(stat -c %s "$tmp/zero.vrs")) / 100))
units=$((target_bytes / per_unit + 1))
spec=$tmp/large.vrs
"$here/gen_large_spec.sh" "$units" "$spec"
bytes=$(stat -c %s "$spec")

best_ns=
for ((r = 1; r <= runs; r++)); do
    start=$(date +%s%N)
    if ! "$vrsc" parse "$spec" >/dev/null 2>"$tmp/stderr"; then
        echo "parse_throughput: '$vrsc parse' failed on the generated spec:" >&2
        head -n 20 "$tmp/stderr" >&2
        exit 1
    fi
    end=$(date +%s%N)
    ns=$((end - start))
    [ "$ns" -gt 0 ] || ns=1
    printf 'run %d: %d.%03d s\n' "$r" $((ns / 1000000000)) $((ns / 1000000 % 1000))
    if [ -z "$best_ns" ] || [ "$ns" -lt "$best_ns" ]; then
        best_ns=$ns
    fi
done

# MiB/s with two decimals, in integer arithmetic (no awk/bc needed).
# shellcheck disable=SC2017 # bytes*1e11 would overflow; the division loses <1e-6
centi=$((bytes * 100000 / 1048576 * 1000000 / best_ns))
printf 'parse: %d bytes, %d units, best of %d: %d.%03d s, %d.%02d MB/s\n' \
    "$bytes" "$units" "$runs" $((best_ns / 1000000000)) $((best_ns / 1000000 % 1000)) \
    $((centi / 100)) $((centi % 100))
