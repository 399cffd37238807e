#!/usr/bin/env bash
# golden.sh: run vrsc on one input and compare with its golden file.
#
#   golden.sh dump      VRSC F   vrsc parse --dump-ast --color=never F
#                                stdout+stderr + "exit: N"      vs F.ast
#   golden.sh err       VRSC F   vrsc check --no-sema --color=never F (front end only)
#                                stderr + "exit: N"             vs F.err
#   golden.sh fmt       VRSC F   vrsc fmt --color=never F
#                                stdout (must exit 0)           vs F.fmt
#   golden.sh sema      VRSC F [G]  vrsc check --dump-sema --no-synth --color=never F
#                                stdout+stderr + "exit: N"      vs G or F.sema
#   golden.sh graph     VRSC F [G]  vrsc graph --color=never F
#                                stdout (must exit 0)           vs G or F.dot
#   golden.sh synth     VRSC F [G]  vrsc synth --no-times --color=never F
#                                stdout+stderr + "exit: N"      vs G or F.synth
#   golden.sh build     VRSC F G    vrsc build -o TMP F; the generated
#                                NAME.h then NAME.c, each after a "== FILE"
#                                line, + "exit: N"              vs G
#   golden.sh lir       VRSC F G    vrsc build --dump-lir F (stdout, must
#                                exit 0)                        vs G
#   golden.sh roundtrip VRSC F   fmt F, re-parse it: the ASTs (no locations,
#                                "file " header lines dropped) must match,
#                                and fmt of the output must be a fixed point.
#
# F.ext means F with ".vrs" replaced by ".ext"; sema and graph take an
# optional golden path G instead (for inputs outside tests/, e.g. specs/).
# With VRSC_UPDATE_GOLDEN=1 the dump/err/fmt/sema/graph/synth modes write the
# golden file instead of comparing. Needs only
# bash, coreutils and diffutils. Exit 0 = pass.
set -u

usage() {
    echo "usage: golden.sh dump|err|fmt|roundtrip|sema|graph|synth|build VRSC FILE.vrs [GOLDEN]" >&2
    exit 2
}
[ "$#" -eq 3 ] || [ "$#" -eq 4 ] || usage
mode=$1
vrsc=$2
src=$3
golden=${4:-}
[ -f "$src" ] || { echo "golden.sh: no such file: $src" >&2; exit 2; }
[ -x "$vrsc" ] || { echo "golden.sh: vrsc not executable: $vrsc" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vrsc-golden.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# compare GOLDEN ACTUAL: diff, or write the golden in update mode.
compare() {
    local golden=$1 actual=$2
    if [ "${VRSC_UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$actual" "$golden" || exit 2
        echo "golden.sh: updated $golden"
        return 0
    fi
    if [ ! -f "$golden" ]; then
        echo "golden.sh: missing golden file $golden" >&2
        echo "golden.sh: (create it with VRSC_UPDATE_GOLDEN=1 ctest -R ...)" >&2
        echo "--- actual output ---" >&2
        cat "$actual" >&2
        return 1
    fi
    if ! diff -u --label "$golden (expected)" --label "$src (actual)" \
            "$golden" "$actual"; then
        echo "golden.sh: output differs from $golden" >&2
        return 1
    fi
    return 0
}

# run OUT ERR ARGS...: run vrsc, stdout to OUT, stderr to ERR, echo status.
run() {
    local out=$1 err=$2
    shift 2
    "$vrsc" "$@" >"$out" 2>"$err"
    echo "$?"
}

# fail_run WHAT STATUS ERR: report a vrsc invocation that should have worked.
fail_run() {
    echo "golden.sh: '$1' exited with status $2; stderr:" >&2
    cat "$3" >&2
    exit 1
}

base=${src%.vrs}

case "$mode" in
dump)
    "$vrsc" parse --dump-ast --color=never "$src" >"$tmp/actual" 2>&1
    echo "exit: $?" >>"$tmp/actual"
    compare "$base.ast" "$tmp/actual"
    exit "$?"
    ;;
err)
    "$vrsc" check --no-sema --color=never "$src" 2>"$tmp/actual" >/dev/null
    echo "exit: $?" >>"$tmp/actual"
    compare "$base.err" "$tmp/actual"
    exit "$?"
    ;;
fmt)
    st=$(run "$tmp/actual" "$tmp/stderr" fmt --color=never "$src")
    [ "$st" = 0 ] || fail_run "vrsc fmt $src" "$st" "$tmp/stderr"
    compare "$base.fmt" "$tmp/actual"
    exit "$?"
    ;;
sema)
    "$vrsc" check --dump-sema --no-synth --color=never "$src" >"$tmp/actual" 2>&1
    echo "exit: $?" >>"$tmp/actual"
    compare "${golden:-$base.sema}" "$tmp/actual"
    exit "$?"
    ;;
build)
    mkdir "$tmp/out" || exit 2
    "$vrsc" build --color=never -o "$tmp/out" "$src" >"$tmp/log" 2>&1
    st=$?
    n=$(basename -- "$src" .vrs)
    for f in "$tmp/out/$n.h" "$tmp/out/$n.c"; do
        echo "== $(basename -- "$f")"
        [ -f "$f" ] && cat "$f"
    done >"$tmp/actual"
    grep -v ' warning: \|^ *[0-9]* | \|^ *| ' "$tmp/log" >>"$tmp/actual"
    echo "exit: $st" >>"$tmp/actual"
    compare "$golden" "$tmp/actual"
    exit "$?"
    ;;
lir)
    st=$(run "$tmp/actual" "$tmp/stderr" build --dump-lir --color=never "$src")
    [ "$st" = 0 ] || fail_run "vrsc build --dump-lir $src" "$st" "$tmp/stderr"
    compare "$golden" "$tmp/actual"
    exit "$?"
    ;;
synth)
    "$vrsc" synth --no-times --color=never "$src" >"$tmp/actual" 2>&1
    echo "exit: $?" >>"$tmp/actual"
    compare "${golden:-$base.synth}" "$tmp/actual"
    exit "$?"
    ;;
graph)
    st=$(run "$tmp/actual" "$tmp/stderr" graph --color=never "$src")
    [ "$st" = 0 ] || fail_run "vrsc graph $src" "$st" "$tmp/stderr"
    compare "${golden:-$base.dot}" "$tmp/actual"
    exit "$?"
    ;;
roundtrip)
    name=$(basename -- "$src")
    dir=$(dirname -- "$src")
    mkdir "$tmp/work" "$tmp/out" || exit 2

    # A: the AST of the original.
    st=$(run "$tmp/out/a.raw" "$tmp/out/a.err" \
             parse --dump-ast --no-locations --color=never "$src")
    [ "$st" = 0 ] || fail_run "vrsc parse --dump-ast $src" "$st" "$tmp/out/a.err"

    # T: the formatted text, placed beside copies of its siblings so that
    # `import` of a neighbouring file still resolves.
    st=$(run "$tmp/out/t" "$tmp/out/t.err" fmt --color=never "$src")
    [ "$st" = 0 ] || fail_run "vrsc fmt $src" "$st" "$tmp/out/t.err"
    for sib in "$dir"/*.vrs; do
        [ -f "$sib" ] && cp -- "$sib" "$tmp/work/"
    done
    cp -- "$tmp/out/t" "$tmp/work/$name" || exit 2

    # B: the AST of the formatted text.
    st=$(run "$tmp/out/b.raw" "$tmp/out/b.err" \
             parse --dump-ast --no-locations --color=never "$tmp/work/$name")
    [ "$st" = 0 ] || fail_run "vrsc parse --dump-ast <formatted $src>" "$st" "$tmp/out/b.err"

    # Header lines name the file, which differs between A and B by design.
    grep -v '^file ' "$tmp/out/a.raw" >"$tmp/out/a"
    grep -v '^file ' "$tmp/out/b.raw" >"$tmp/out/b"
    if ! diff -u --label "$src (original AST)" --label "$src (AST after fmt)" \
            "$tmp/out/a" "$tmp/out/b"; then
        echo "golden.sh: vrsc fmt changed the AST of $src" >&2
        exit 1
    fi

    # T2: formatting the formatted text must change nothing.
    st=$(run "$tmp/out/t2" "$tmp/out/t2.err" fmt --color=never "$tmp/work/$name")
    [ "$st" = 0 ] || fail_run "vrsc fmt <formatted $src>" "$st" "$tmp/out/t2.err"
    if ! cmp -s "$tmp/out/t" "$tmp/out/t2"; then
        diff -u --label "$src (fmt once)" --label "$src (fmt twice)" \
            "$tmp/out/t" "$tmp/out/t2"
        echo "golden.sh: vrsc fmt is not idempotent on $src" >&2
        exit 1
    fi
    exit 0
    ;;
*)
    usage
    ;;
esac
