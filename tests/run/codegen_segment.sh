#!/usr/bin/env bash
# codegen_segment.sh VRSC ROOT: the range driver of a one-segment root
# (specs/simple_segment.vrs), built with -Werror by gcc and clang (if
# present) and run: tests/codegen/segment.c. Needs a C compiler.
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
lib_init codegen_segment "$@"

run build -o "$tmp" "$root/specs/simple_segment.vrs"
[ "$st" -eq 0 ] || { fail "vrsc build simple_segment.vrs exited $st"; sed -n 1,20p "$tmp/err" >&2; }
for cc in cc clang; do
    command -v "$cc" >/dev/null 2>&1 || continue
    checks=$((checks + 1))
    if ! "$cc" -std=c11 -O1 -Wall -Wextra -Werror -I"$tmp" -I"$root/runtime" \
            "$root/tests/codegen/segment.c" "$tmp/simple_segment.c" \
            "$root/runtime/vrs_hosted.c" -o "$tmp/segment-$cc" 2>"$tmp/cc.err"; then
        fail "$cc: segment.c does not build"
        sed -n 1,20p "$tmp/cc.err" >&2
        continue
    fi
    checks=$((checks + 1))
    if ! timeout 60 "$tmp/segment-$cc" >"$tmp/out.txt" 2>&1; then
        fail "$cc: segment checks failed"
        cat "$tmp/out.txt" >&2
    fi
done
lib_finish
