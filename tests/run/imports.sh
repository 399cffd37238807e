#!/usr/bin/env bash
# imports.sh VRSC ROOT: import resolution -- a diamond loads its base once
# and in dependency order, cycles and missing imports are reported where they
# happen, and -I DIR extends the search path. Uses the import_* inputs in
# tests/parse/ok and tests/parse/err. Needs bash, coreutils, diffutils.
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
lib_init imports "$@"
cd "$root" || exit 2

# expect_status N ARGS...: here without a DESC, and with more of stderr.
expect_status() {
    local want=$1
    shift
    lib_expect_status "$want" "" 8 "$@"
}

ok=tests/parse/ok
err=tests/parse/err
for f in $ok/import_diamond_{top,left,right,base}.vrs \
         $err/import_cycle_{a,b}.vrs $err/import_missing.vrs \
         $err/import_duplicate.vrs $err/import_dup_target.vrs; do
    [ -f "$f" ] || { echo "imports.sh: missing input $f" >&2; exit 2; }
done

# --- diamond ---------------------------------------------------------------
echo "diamond"
if expect_status 0 parse --dump-ast --no-locations --color=never "$ok/import_diamond_top.vrs"; then
    grep '^file ' "$tmp/out" >"$tmp/files"
    n=$(grep -c '^file ".*import_diamond_base\.vrs"$' "$tmp/files")
    [ "$n" -eq 1 ] || fail "diamond: import_diamond_base.vrs loaded $n times, expected once"
    for side in left right top; do
        c=$(grep -c "^file \".*import_diamond_$side\.vrs\"\$" "$tmp/files")
        [ "$c" -eq 1 ] || fail "diamond: import_diamond_$side.vrs appears $c times"
    done
    [ "$(wc -l <"$tmp/files")" -eq 4 ] ||
        fail "diamond: expected 4 file headers, got: $(tr '\n' ' ' <"$tmp/files")"
    # line numbers of each file header: imported files come before importers
    pos() { grep -n "import_diamond_$1\.vrs" "$tmp/files" | head -1 | cut -d: -f1; }
    b=$(pos base) l=$(pos left) r=$(pos right) t=$(pos top)
    if [ -n "$b" ] && [ -n "$l" ] && [ -n "$r" ] && [ -n "$t" ]; then
        { [ "$b" -lt "$l" ] && [ "$b" -lt "$r" ]; } ||
            fail "diamond: base (#$b) does not come before left (#$l) and right (#$r)"
        { [ "$l" -lt "$t" ] && [ "$r" -lt "$t" ]; } ||
            fail "diamond: top (#$t) is not after left (#$l) and right (#$r)"
    else
        fail "diamond: missing file headers: $(tr '\n' ' ' <"$tmp/files")"
    fi
    # each const exactly once (the base's BASE too)
    for c in BASE LEFT RIGHT TOP; do
        k=$(grep -c "^const $c:" "$tmp/out")
        [ "$k" -eq 1 ] || fail "diamond: const $c appears $k times in the dump"
    done
fi
expect_status 0 check --color=never "$ok/import_diamond_top.vrs" &&
    { [ -s "$tmp/err" ] && fail "diamond: check printed diagnostics: $(head -3 "$tmp/err")"; }

# --- cycle -----------------------------------------------------------------
echo "cycle"
if expect_status 1 check --color=never "$err/import_cycle_a.vrs"; then
    grep -q 'circular import' "$tmp/err" || fail "cycle: no 'circular import' in stderr"
    grep -Eq 'import_cycle_a\.vrs -> .*import_cycle_b\.vrs -> .*import_cycle_a\.vrs' "$tmp/err" ||
        fail "cycle: no chain 'import_cycle_a.vrs -> ... import_cycle_b.vrs -> ... import_cycle_a.vrs'"
    grep -Eq "^$err/import_cycle_[ab]\.vrs:2:1: error: circular import" "$tmp/err" ||
        fail "cycle: error is not located at an import line (2:1)"
fi
# a file that imports itself
printf 'import self;\nconst SELF : int = 1;\n' >"$tmp/self.vrs"
if expect_status 1 check --color=never "$tmp/self.vrs"; then
    grep -q "^$tmp/self.vrs:1:1: error: circular import" "$tmp/err" ||
        fail "self import: no 'circular import' at 1:1: $(head -1 "$tmp/err")"
fi
# a three-file cycle through a subdirectory reached with -I (c3y.vrs in inc/
# finds c3z.vrs only through the second -I)
mkdir "$tmp/c3" "$tmp/c3/inc"
printf 'import c3y;\n' >"$tmp/c3/c3x.vrs"
printf 'import c3z;\n' >"$tmp/c3/inc/c3y.vrs"
printf 'import c3x;\n' >"$tmp/c3/c3z.vrs"
if expect_status 1 check --color=never -I "$tmp/c3/inc" -I "$tmp/c3" "$tmp/c3/c3x.vrs"; then
    grep -Eq 'circular import: .*c3x\.vrs -> .*c3y\.vrs -> .*c3z\.vrs -> .*c3x\.vrs' "$tmp/err" ||
        fail "3-cycle: chain not reported: $(head -1 "$tmp/err")"
fi

# --- missing ---------------------------------------------------------------
echo "missing"
if expect_status 1 check --color=never "$err/import_missing.vrs"; then
    line=$(grep -n '^import ' "$err/import_missing.vrs" | head -1 | cut -d: -f1)
    grep -Eq "^$err/import_missing\.vrs:$line:[0-9]+: error: " "$tmp/err" ||
        fail "missing: no error at line $line (the import): $(head -1 "$tmp/err")"
    grep -q 'import_no_such_file' "$tmp/err" || fail "missing: error does not name the import"
fi
# a missing import inside an imported file is reported in that file
mkdir "$tmp/m"
printf 'import mid;\nconst TOP : int = 1;\n' >"$tmp/m/top.vrs"
printf '// mid\n\nimport nowhere;\n' >"$tmp/m/mid.vrs"
if expect_status 1 check --color=never "$tmp/m/top.vrs"; then
    grep -q "^$tmp/m/mid.vrs:3:[0-9]*: error: " "$tmp/err" ||
        fail "nested missing import not reported at mid.vrs:3: $(head -1 "$tmp/err")"
fi

# --- duplicate -------------------------------------------------------------
echo "duplicate"
expect_status 0 check --color=never "$err/import_dup_target.vrs"
if expect_status 1 check --color=never "$err/import_duplicate.vrs"; then
    grep -Eq "^$err/import_duplicate\.vrs:3:[0-9]+: error: .*import_dup_target" "$tmp/err" ||
        fail "duplicate: no error at the second import (line 3): $(head -1 "$tmp/err")"
fi

# --- -I search path --------------------------------------------------------
echo "-I"
mkdir "$tmp/p" "$tmp/p/inc"
printf 'import lib;\nconst MAIN : size = LIB_SIZE;\n' >"$tmp/p/main.vrs"
printf 'const LIB_SIZE : size = 0x1000;\n' >"$tmp/p/inc/lib.vrs"
if expect_status 1 check --color=never "$tmp/p/main.vrs"; then
    grep -q "^$tmp/p/main.vrs:1:[0-9]*: error: " "$tmp/err" ||
        fail "-I: missing lib not reported at main.vrs:1: $(head -1 "$tmp/err")"
fi
expect_status 0 check --color=never -I "$tmp/p/inc" "$tmp/p/main.vrs"
expect_status 0 check --color=never "$tmp/p/main.vrs" -I "$tmp/p/inc"
expect_status 0 check --color=never -I "$tmp/p" -I "$tmp/p/inc" "$tmp/p/main.vrs"
if expect_status 0 parse --dump-ast --no-locations --color=never -I "$tmp/p/inc" "$tmp/p/main.vrs"; then
    grep -q "^file \"$tmp/p/inc/lib.vrs\"" "$tmp/out" ||
        fail "-I: lib.vrs not in the dump: $(grep '^file' "$tmp/out" | tr '\n' ' ')"
fi
# -I of a nonexistent directory does not help (and does not crash)
run check --color=never -I "$tmp/p/nope" "$tmp/p/main.vrs"
[ "$st" -eq 1 ] || [ "$st" -eq 2 ] || fail "-I NONEXISTENT: status $st"

lib_finish
