#!/usr/bin/env bash
# codegen_defects.sh VRSC ROOT: generate the x86-64 and mmio_regs drivers,
# build tests/codegen/defects.c against them with -Werror (gcc, and clang if
# present) and run it: one check per defect of the reference's generated
# code (reference-compiler.md §1.9). Needs a C compiler.
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
lib_init codegen_defects "$@"

for spec in specs/x86_64.vrs tests/synth/mmio_regs.vrs; do
    run build -o "$tmp" "$root/$spec"
    [ "$st" -eq 0 ] || { fail "vrsc build $spec exited $st"; sed -n 1,20p "$tmp/err" >&2; }
done
# 6. self-contained headers with unique guards
for hdr in x86_64 mmio_regs; do
    checks=$((checks + 1))
    [ "$(grep -c "^#ifndef ${hdr^^}_H$" "$tmp/$hdr.h")" -eq 1 ] || fail "$hdr.h: include guard"
done
for cc in cc clang; do
    command -v "$cc" >/dev/null 2>&1 || continue
    checks=$((checks + 1))
    if ! "$cc" -std=c11 -O1 -Wall -Wextra -Werror -I"$tmp" -I"$root/runtime" \
            "$root/tests/codegen/defects.c" "$tmp/x86_64.c" "$tmp/mmio_regs.c" \
            "$root/runtime/vrs_hosted.c" -o "$tmp/defects-$cc" 2>"$tmp/cc.err"; then
        fail "$cc: defects.c does not build"
        sed -n 1,20p "$tmp/cc.err" >&2
        continue
    fi
    checks=$((checks + 1))
    if ! timeout 60 "$tmp/defects-$cc" >"$tmp/out.txt" 2>&1; then
        fail "$cc: defects failed"
        cat "$tmp/out.txt" >&2
    fi
done
lib_finish
