#!/usr/bin/env bash
# build.sh VRSC ROOT: the `vrsc build` command line: the files it writes,
# --prefix, --header-only, --dump-ir, and every way it can fail (no -o, a
# directory that does not exist or cannot be written, a bad prefix, a spec
# with errors, a program whose proof fails) without leaving a file behind.
# Needs bash and coreutils (and a C compiler for the --prefix check).
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
lib_init build "$@"

expect() { expect_status "$@"; }
spec=$root/specs/x86_64.vrs

# no_files DIR WHAT: DIR holds nothing (not even temporaries)
no_files() {
    checks=$((checks + 1))
    if [ -n "$(ls -A "$1" 2>/dev/null)" ]; then
        fail "$2: left files behind: $(ls -A "$1" | tr '\n' ' ')"
    fi
}

echo "the two files, and --prefix"
mkdir "$tmp/a" "$tmp/b" "$tmp/c"
if expect 0 "build" build -o "$tmp/a" "$spec"; then
    [ -s "$tmp/a/x86_64.h" ] && [ -s "$tmp/a/x86_64.c" ] || fail "build: x86_64.h/.c missing"
    [ "$(ls -A "$tmp/a" | wc -l)" -eq 2 ] || fail "build: other files in the output directory"
    head -1 "$tmp/a/x86_64.h" | grep -q 'SPDX-License-Identifier: MIT' || fail "build: no MIT SPDX line"
    grep -q '/\* x86_64.vrs:[0-9]* \*/' "$tmp/a/x86_64.c" || fail "build: no back-links"
    [ -s "$tmp/out" ] && fail "build: wrote to stdout"
fi
if expect 0 "build --prefix" build --prefix=mmu -o "$tmp/b" "$spec"; then
    [ -s "$tmp/b/mmu.h" ] && [ -s "$tmp/b/mmu.c" ] || fail "build --prefix: mmu.h/.c missing"
    grep -q '^mmu_status mmu_x8664_cr3_drv_map(' "$tmp/b/mmu.h" || fail "build --prefix: names not prefixed"
    grep -q 'x86_64_' "$tmp/b/mmu.h" && fail "build --prefix: old prefix left in the header"
fi
if expect 0 "build --header-only" build --header-only -o "$tmp/c" "$spec"; then
    [ "$(ls -A "$tmp/c")" = "x86_64.h" ] || fail "build --header-only: not exactly one header"
    grep -q 'static inline x86_64_status x86_64_x8664_cr3_drv_map(' "$tmp/c/x86_64.h" \
        || fail "build --header-only: driver not static inline"
fi
if expect 0 "build --dump-ir" build --dump-ir "$spec"; then
    grep -q '^table Pml4 (pml4) in 48 out 52 params base$' "$tmp/out" || fail "--dump-ir: no Pml4 table"
fi

echo "failures leave nothing behind"
expect 2 "build without -o" build "$spec"
grep -q 'no output directory' "$tmp/err" || fail "build without -o: no message"
expect 2 "build into a missing directory" build -o "$tmp/nope/deeper" "$spec"
grep -q "cannot write '$tmp/nope/deeper/x86_64.h'" "$tmp/err" || fail "missing directory: no message naming the file"
mkdir "$tmp/ro"
chmod a-w "$tmp/ro"
if [ "$(id -u)" != 0 ]; then
    expect 2 "build into a read-only directory" build -o "$tmp/ro" "$spec"
    no_files "$tmp/ro" "read-only directory"
fi
chmod u+w "$tmp/ro"
expect 2 "bad --prefix" build --prefix=9lives -o "$tmp/ro" "$spec"
expect 2 "bad --prefix" build --prefix='a-b' -o "$tmp/ro" "$spec"
no_files "$tmp/ro" "bad --prefix"
printf 'segment S {\n  state {\n' >"$tmp/broken.vrs"
expect 1 "build of a spec with syntax errors" build -o "$tmp/ro" "$tmp/broken.vrs"
no_files "$tmp/ro" "spec with errors"
expect 1 "build with a failing proof" build --test-break=PtEntry.map -o "$tmp/ro" "$spec"
grep -q 'does not establish' "$tmp/err" || fail "failing proof: no proof error"
no_files "$tmp/ro" "failing proof"
expect 1 "build of a spec synthesis cannot meet" build -o "$tmp/ro" "$root/tests/synth/err/always_valid.vrs"
no_files "$tmp/ro" "synthesis error"

lib_finish
