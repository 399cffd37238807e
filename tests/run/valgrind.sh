#!/usr/bin/env bash
# valgrind.sh VRSC ROOT: run vrsc check and fmt under valgrind memcheck over
# the repository's specs and test inputs plus a few robustness inputs; any
# memcheck error or definite/indirect leak fails. Skipped (exit 0) when
# valgrind is missing or VRSC is a sanitizer build (the two do not mix).
# Needs bash, coreutils, perl (perl-base) and valgrind.
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
lib_init valgrind "$@"

if ! command -v valgrind >/dev/null 2>&1; then
    echo "skipped: valgrind is not installed"
    exit 0
fi
if grep -q __asan_init "$vrsc" 2>/dev/null ||
        { command -v ldd >/dev/null && ldd "$vrsc" 2>/dev/null | grep -Eq 'lib(asan|ubsan|tsan|msan)'; }; then
    echo "skipped: $vrsc is a sanitizer build"
    exit 0
fi
cd "$root" || exit 2

runs=0

# Per-run cap in seconds; timeout(1) is in coreutils.
cap=30
vg=(valgrind --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect -q)

# vg_run CMD FILE...: valgrind vrsc CMD --color=never FILE...; status 0 or 1
# is fine, 99 = memcheck error/leak, anything else = crash or usage error.
vg_run() {
    local cmd=$1
    shift
    runs=$((runs + 1))
    # shellcheck disable=SC2086 # CMD may be "parse --dump-ast" or "fmt -i"
    timeout "$cap" "${vg[@]}" "$vrsc" $cmd --color=never "$@" \
        >/dev/null 2>"$tmp/vg.err"
    local st=$?
    case "$st" in
    0 | 1) return 0 ;;
    99) fail "memcheck errors: vrsc $cmd $*" ;;
    124) fail "timed out after ${cap}s: vrsc $cmd $*" ;;
    *) fail "status $st: vrsc $cmd $*" ;;
    esac
    grep -E '^==[0-9]+==' "$tmp/vg.err" | head -40 >&2
    return 1
}

# Generated robustness inputs.
mkdir "$tmp/gen"
head -c 9000 specs/x86_64.vrs >"$tmp/gen/truncated.vrs"
perl -e 'print "const A : int = ", "(" x 1000, "1", ")" x 1000, ";\n"' >"$tmp/gen/deep_parens.vrs"
perl -e 'print "const A : int = ", "{" x 1000, "1", "}" x 1000, ";\n"' >"$tmp/gen/deep_braces.vrs"
perl -e 'print "const A : int = 1", " + 1" x 999, ";\n"' >"$tmp/gen/chain.vrs"
perl -e 'print "const A : bool = ", "!" x 20000, "x;\n"' >"$tmp/gen/nots.vrs"
perl -e 'srand(99); print chr(int(rand(256))) for 1 .. 20000' >"$tmp/gen/garbage.vrs"
perl -e 'print "const A : int = ", "9" x 200, ";\n"' >"$tmp/gen/bignum.vrs"
printf 'const A : int = 1;\n/* unclosed\n' >"$tmp/gen/comment.vrs"
printf 'import self;\n' >"$tmp/gen/self.vrs"
printf 'import nowhere;\n' >"$tmp/gen/missing.vrs"

start=$SECONDS
# 1. Batches: one valgrind run per directory and command covers every file
#    (vrsc takes several files), including all of tests/parse/err.
for dir in specs tests/parse/ok tests/fmt tests/parse/err; do
    batch=("$dir"/*.vrs)
    [ -f "${batch[0]}" ] || { fail "no .vrs files in $dir"; continue; }
    vg_run check "${batch[@]}"
    vg_run fmt "${batch[@]}"
done
# 2. One process per file (valgrind start-up is ~0.5 s, so this is the
#    expensive part): `check` of every file in specs/ and tests/parse/ok, and
#    `check` + `fmt` of each generated robustness input.
for f in specs/*.vrs tests/parse/ok/*.vrs; do
    vg_run check "$f"
done
for f in "$tmp"/gen/*.vrs; do
    vg_run check "$f"
    vg_run fmt "$f"
done
# 3. parse --dump-ast, including a diamond of imports, and fmt -i (the write
#    path) on a copy of a legacy file.
vg_run "parse --dump-ast" tests/parse/ok/import_diamond_top.vrs
vg_run "parse --dump-ast" specs/x86_64.vrs
vg_run "parse --dump-ast" "$tmp/gen/truncated.vrs"
cp tests/fmt/legacy_x86_pt.vrs "$tmp/inplace.vrs"
vg_run "fmt -i" "$tmp/inplace.vrs"

lib_finish "$runs valgrind runs in $((SECONDS - start))s"
