#!/usr/bin/env bash
# freestanding.sh ROOT CC...: compile tests/runtime/freestanding.c (which
# includes runtime/vrs_env.h) with each compiler as a kernel would:
# freestanding, no libc, strict C11, warnings as errors, at -O0 and -O2, with
# the default seam and with VRS_ENV_HEADER pointing at an OS's own header.
# Object files go to a temporary directory and are discarded.
set -u
root=$1
shift
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

flags=(-std=c11 -ffreestanding -nostdlib -Wall -Wextra -Werror -pedantic
       -Wshadow -Wcast-qual -Wundef -Wstrict-prototypes -Wconversion -Wsign-conversion
       -I"$root/runtime" -I"$root/tests/runtime")
src=$root/tests/runtime/freestanding.c
status=0 runs=0
for cc in "$@"; do
    for opt in -O0 -O2; do
        for variant in default override; do
            extra=()
            [ "$variant" = override ] && extra=(-DVRS_ENV_HEADER='"os_env.h"')
            runs=$((runs + 1))
            if ! "$cc" "${flags[@]}" "$opt" "${extra[@]}" -c "$src" -o "$tmp/out.o"; then
                echo "FAIL: $cc $opt ($variant seam)" >&2
                status=1
            fi
        done
    done
done
echo "freestanding: $runs compiles with: $*"
exit $status
