#!/usr/bin/env bash
# cli.sh VRSC ROOT: the vrsc command line (options, exit statuses, fmt -i,
# -Werror, colors, diagnostic layout). Needs bash, coreutils, diffutils.
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
lib_init cli "$@"

# usage_error DESC ARGS...: status 2, a message on stderr, nothing on stdout.
usage_error() {
    local desc=$1
    shift
    expect_status 2 "$desc" "$@" || return
    [ -s "$tmp/err" ] || fail "$desc: 'vrsc $*' printed no message on stderr"
    [ -s "$tmp/out" ] && fail "$desc: 'vrsc $*' wrote to stdout: $(head -c 200 "$tmp/out")"
}

valid=$root/tests/parse/ok/const.vrs
era3=$root/tests/parse/ok/trans_era3.vrs
legacy=$root/tests/fmt/legacy_x86_pt.vrs
for f in "$valid" "$era3" "$legacy"; do
    [ -f "$f" ] || { echo "cli.sh: missing input $f" >&2; exit 2; }
done
cp "$valid" "$tmp/valid.vrs"
printf '// a syntax error on line 3\nconst A : int = 1;\nconst B : int = ;\nconst C : int = 3;\n' \
    >"$tmp/bad.vrs"

# --- help and version ------------------------------------------------------
echo "help/version"
for h in --help -h; do
    if expect_status 0 "$h" "$h"; then
        for word in check parse fmt; do
            grep -qw -- "$word" "$tmp/out" || fail "$h: stdout does not mention '$word'"
        done
        [ -s "$tmp/err" ] && fail "$h: wrote to stderr"
    fi
done
for v in --version -V; do
    if expect_status 0 "$v" "$v"; then
        grep -q '^vrsc ' "$tmp/out" || fail "$v: stdout '$(head -1 "$tmp/out")' lacks the 'vrsc ' prefix"
    fi
done

# --- usage errors ----------------------------------------------------------
echo "usage errors"
usage_error "no arguments"
usage_error "unknown command" frobnicate "$tmp/valid.vrs"
usage_error "unknown option" check --no-such-option "$tmp/valid.vrs"
usage_error "unknown short option" check -Z "$tmp/valid.vrs"
usage_error "--color=bogus" check --color=bogus "$tmp/valid.vrs"
usage_error "--max-errors=x" check --max-errors=x "$tmp/valid.vrs"
usage_error "--max-errors=-1" check --max-errors=-1 "$tmp/valid.vrs"
usage_error "fmt --check -i" fmt --check -i "$tmp/valid.vrs"
usage_error "check without files" check
usage_error "check without files (with options)" check --color=never
usage_error "-I without a directory" check -I
# and a usage error must not touch the file
cp "$legacy" "$tmp/untouched.vrs"
usage_error "fmt --check -i (file untouched)" fmt -i --check "$tmp/untouched.vrs"
cmp -s "$legacy" "$tmp/untouched.vrs" || fail "fmt -i --check modified its input"

# --- basic statuses --------------------------------------------------------
echo "check / parse statuses"
expect_status 0 "check valid" check --color=never "$tmp/valid.vrs" &&
    { [ -s "$tmp/out" ] && fail "check of a valid file wrote to stdout"; }
expect_status 1 "check invalid" check --color=never "$tmp/bad.vrs"
expect_status 0 "parse valid" parse --color=never "$tmp/valid.vrs"
expect_status 1 "parse invalid" parse --color=never "$tmp/bad.vrs"

# --- diagnostics format ----------------------------------------------------
echo "diagnostic format"
run check --color=never "$tmp/bad.vrs"
f=$tmp/bad.vrs
# The error line, then "    3 | <source>", then "      |    ^".
if ! grep -q "^$f:3:17: error: " "$tmp/err"; then
    fail "no '$f:3:17: error: ' line; stderr:"
    cat "$tmp/err" >&2
else
    mapfile -t lines <"$tmp/err"
    for ((i = 0; i < ${#lines[@]}; i++)); do
        [[ ${lines[i]} == "$f:3:17: error: "* ]] && break
    done
    src_line=${lines[i + 1]-}
    caret_line=${lines[i + 2]-}
    [[ $src_line =~ ^\ +3\ \|\ const\ B\ :\ int\ =\ \;$ ]] ||
        fail "source line after the error is '$src_line'"
    [[ $caret_line =~ ^\ +\|\ [\ ]*\^[~]*$ ]] ||
        fail "caret line after the error is '$caret_line'"
    # the caret sits under column 17 and the gutters line up
    bar_src=${src_line%%|*}
    bar_car=${caret_line%%|*}
    [ "${#bar_src}" -eq "${#bar_car}" ] ||
        fail "gutters of source and caret lines differ: '$src_line' / '$caret_line'"
    pre=${caret_line%%^*}
    [ "$((${#pre} - ${#bar_car} - 2 + 1))" -eq 17 ] ||
        fail "caret is not under column 17: '$caret_line'"
fi
grep -q $'\e\[' "$tmp/err" && fail "--color=never emitted ESC[ sequences"

# --- colors ----------------------------------------------------------------
echo "colors"
run check --color=always "$tmp/bad.vrs"
grep -q $'\e\[' "$tmp/err" || fail "--color=always emitted no ESC[ sequence on stderr"
[ "$st" -eq 1 ] || fail "--color=always changed the exit status to $st"
run check --color=never "$tmp/bad.vrs"
grep -q $'\e\[' "$tmp/err" && fail "--color=never emitted ESC[ sequences"
# auto: stderr is a file here, not a terminal
run check --color=auto "$tmp/bad.vrs"
grep -q $'\e\[' "$tmp/err" && fail "--color=auto emitted ESC[ sequences to a non-terminal"
run check "$tmp/bad.vrs"
grep -q $'\e\[' "$tmp/err" && fail "default color mode emitted ESC[ sequences to a non-terminal"

# --- options after file names ----------------------------------------------
echo "option order"
expect_status 1 "options after files" check "$tmp/bad.vrs" --color=never &&
    { grep -q $'\e\[' "$tmp/err" && fail "'check FILE --color=never' still colored"; }
run check "$tmp/bad.vrs" --color=always
grep -q $'\e\[' "$tmp/err" || fail "'check FILE --color=always' did not color"
expect_status 1 "-Werror after file" check "$era3" -Werror --no-sema --color=never

# --- -Werror ---------------------------------------------------------------
# (--no-sema: the deprecation warnings of the front end alone; trans_era3 has
# semantic errors of its own, e.g. a segment without state.)
echo "-Werror"
if expect_status 0 "check trans_era3" check --no-sema --color=never "$era3"; then
    grep -q ': warning: ' "$tmp/err" || fail "check $era3: no warning: lines"
    grep -q ': error: ' "$tmp/err" && fail "check $era3: unexpected error: lines"
fi
nwarn=$(grep -c ': warning: ' "$tmp/err")
if expect_status 1 "check -Werror trans_era3" check -Werror --no-sema --color=never "$era3"; then
    nerr=$(grep -c ': error: ' "$tmp/err")
    [ "$nerr" -ge 1 ] || fail "check -Werror: no error: lines"
    grep -q ': warning: ' "$tmp/err" && fail "check -Werror: warnings still printed as warnings"
    [ "$nerr" -eq "$nwarn" ] ||
        fail "check -Werror: $nerr errors for $nwarn warnings"
fi

# --- fmt -------------------------------------------------------------------
echo "fmt"
# a syntax error: nothing on stdout, status 1
if expect_status 1 "fmt of a bad file" fmt --color=never "$tmp/bad.vrs"; then
    [ -s "$tmp/out" ] && fail "fmt of a bad file printed to stdout: $(head -c 200 "$tmp/out")"
    grep -q ': error: ' "$tmp/err" || fail "fmt of a bad file: no error on stderr"
fi
# fmt -i on a bad file leaves it byte-identical
cp "$tmp/bad.vrs" "$tmp/bad-copy.vrs"
expect_status 1 "fmt -i of a bad file" fmt -i --color=never "$tmp/bad-copy.vrs"
cmp -s "$tmp/bad.vrs" "$tmp/bad-copy.vrs" || fail "fmt -i modified a file with a syntax error"
# fmt -i on a legacy file writes exactly what fmt prints
cp "$legacy" "$tmp/legacy.vrs"
if expect_status 0 "fmt legacy" fmt --color=never "$tmp/legacy.vrs"; then
    cp "$tmp/out" "$tmp/legacy.expected"
    [ -s "$tmp/legacy.expected" ] || fail "fmt of $legacy printed nothing"
    cmp -s "$tmp/legacy.expected" "$legacy" && fail "fmt of the legacy file changed nothing"
    expect_status 1 "fmt --check on the legacy original" fmt --check --color=never "$tmp/legacy.vrs"
    cmp -s "$legacy" "$tmp/legacy.vrs" || fail "fmt --check modified its input"
    if expect_status 0 "fmt -i legacy" fmt -i --color=never "$tmp/legacy.vrs"; then
        [ -s "$tmp/out" ] && fail "fmt -i wrote to stdout"
        if ! cmp -s "$tmp/legacy.expected" "$tmp/legacy.vrs"; then
            fail "fmt -i result differs from fmt output:"
            diff -u "$tmp/legacy.expected" "$tmp/legacy.vrs" | head -20 >&2
        fi
    fi
    expect_status 0 "fmt --check after fmt -i" fmt --check --color=never "$tmp/legacy.vrs"
fi
# fmt --check of the original repo file (not modified)
expect_status 1 "fmt --check on $legacy" fmt --check --color=never "$legacy"
# fmt --check of an already formatted file: status 0
expect_status 0 "fmt --check of formatted text" fmt --check --color=never "$tmp/legacy.vrs"

lib_finish
