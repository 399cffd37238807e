#!/usr/bin/env bash
# robustness.sh VRSC ROOT: vrsc must never crash on bad input.
#
# Every input is run through `vrsc check`, `vrsc fmt` and
# `vrsc parse --dump-ast`. Exit status 0 or 1 is fine; >= 2 (usage/I-O error,
# or a sanitizer abort) or death by a signal is a failure. Inputs known to be
# invalid must give exactly status 1 and at least one `FILE:LINE:COL: error:`
# line on stderr. Needs bash, coreutils, diffutils and perl (perl-base).
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
lib_init robustness "$@"
command -v perl >/dev/null || { echo "robustness.sh: perl not found" >&2; exit 2; }

# quote a file name for use in an ERE
re_quote() {
    printf '%s' "$1" | sed 's/[][\.*^$(){}+?|/]/\\&/g'
}

# run_one EXPECT FILE CMD...: run `vrsc CMD... --color=never FILE`.
#   EXPECT = 0    status must be 0
#   EXPECT = 1    status must be 1, with a FILE:LINE:COL: error: line
#   EXPECT = any  status 0 or 1; if 1, an error line is required
# Leaves stderr in $tmp/err and the status in $st.
run_one() {
    local expect=$1 file=$2
    shift 2
    checks=$((checks + 1))
    "$vrsc" "$@" --color=never "$file" >"$tmp/out" 2>"$tmp/err"
    st=$?
    local what="vrsc $* $file"
    if [ "$st" -ge 128 ]; then
        fail "$what: killed by signal $((st - 128))"
        sed -n '1,20p' "$tmp/err" >&2
        return 1
    fi
    if [ "$st" -ge 2 ]; then
        fail "$what: exit status $st (crash, sanitizer report or I/O error)"
        sed -n '1,20p' "$tmp/err" >&2
        return 1
    fi
    case "$expect" in
    0)
        if [ "$st" -ne 0 ]; then
            fail "$what: expected status 0, got $st"
            sed -n '1,10p' "$tmp/err" >&2
            return 1
        fi
        ;;
    1)
        if [ "$st" -ne 1 ]; then
            fail "$what: expected status 1 (invalid input), got $st"
            return 1
        fi
        ;;
    esac
    if [ "$st" -eq 1 ]; then
        local qf
        qf=$(re_quote "$file")
        if ! grep -Eq "^$qf:[0-9]+:[0-9]+: error: " "$tmp/err"; then
            fail "$what: status 1 but no '$file:LINE:COL: error:' line on stderr"
            sed -n '1,10p' "$tmp/err" >&2
            return 1
        fi
    fi
    return 0
}

# run_all EXPECT FILE: check, fmt and parse --dump-ast.
run_all() {
    local r=0
    run_one "$1" "$2" check || r=1
    run_one "$1" "$2" fmt || r=1
    run_one "$1" "$2" parse --dump-ast || r=1
    return $r
}

# expect_msg FILE TEXT: the last run's stderr must contain TEXT.
expect_msg() {
    checks=$((checks + 1))
    if ! grep -qF -- "$2" "$tmp/err"; then
        fail "$1: stderr does not mention '$2'"
        sed -n '1,6p' "$tmp/err" | cut -c1-200 >&2
    fi
}

# run_all_msg EXPECT FILE TEXT: run_all, and every command's stderr must
# contain TEXT.
run_all_msg() {
    local expect=$1 file=$2 text=$3
    run_one "$expect" "$file" check && expect_msg "vrsc check $file" "$text"
    run_one "$expect" "$file" fmt && expect_msg "vrsc fmt $file" "$text"
    run_one "$expect" "$file" parse --dump-ast &&
        expect_msg "vrsc parse --dump-ast $file" "$text"
}

# ---------------------------------------------------------------------------
# (a) every prefix of two real specs, at ~150 evenly spaced byte offsets.
# `check` runs on every prefix; fmt and parse on every tenth (time budget).
echo "(a) truncated specs"
for src in "$root/specs/x86_64.vrs" "$root/tests/parse/ok/legacy_x86_pt.vrs"; do
    [ -f "$src" ] || { fail "missing input $src"; continue; }
    size=$(wc -c <"$src")
    n=150
    before=$failures
    for ((k = 1; k <= n; k++)); do
        off=$((size * k / n))
        f="$tmp/trunc.vrs"
        head -c "$off" "$src" >"$f"
        run_one any "$f" check || echo "  (prefix of $src, $off bytes)" >&2
        if ((k % 10 == 0)); then
            run_one any "$f" fmt || echo "  (prefix of $src, $off bytes)" >&2
            run_one any "$f" parse --dump-ast ||
                echo "  (prefix of $src, $off bytes)" >&2
        fi
        # The full file must be accepted.
        if ((k == n)) && [ "$st" -ne 0 ]; then
            fail "complete $src (via truncation loop) does not parse: status $st"
        fi
        # Stop after a few failures per file to keep the log readable.
        ((failures - before >= 5)) && break
    done
done

# ---------------------------------------------------------------------------
# (b) random garbage: bounded diagnostics.
echo "(b) random garbage"
# bounded_stderr WHAT: stderr is bounded by --max-errors (default 100).
bounded_stderr() {
    local n
    checks=$((checks + 1))
    n=$(grep -c ': error: ' "$tmp/err")
    if ! grep -q 'too many errors' "$tmp/err" && [ "$n" -gt 100 ]; then
        fail "$1: $n errors and no 'too many errors' line (--max-errors ignored)"
    fi
    if [ "$n" -gt 101 ]; then
        fail "$1: $n error lines, more than --max-errors=100 (+1)"
    fi
    if [ "$(wc -c <"$tmp/err")" -gt 1000000 ]; then
        fail "$1: stderr is $(wc -c <"$tmp/err") bytes"
    fi
}
perl -e 'srand(20240501); my $s = ""; $s .= chr(int(rand(256))) for 1 .. 1048576; print $s' \
    >"$tmp/garbage.vrs"
perl -e 'srand(4711);
    my @t = ("{","}","(",")","[","]",";",",",".",":","=","<",">","-","+","*","/",
             " ","\n","segment","state","fn","0x1","foo");
    my $s = ""; $s .= $t[int(rand(@t))] while length($s) < 204800; print $s' \
    >"$tmp/tokens.vrs"
for f in "$tmp/garbage.vrs" "$tmp/tokens.vrs"; do
    for cmd in check fmt "parse --dump-ast"; do
        # shellcheck disable=SC2086 # split the command on purpose
        run_one 1 "$f" $cmd && bounded_stderr "vrsc $cmd $f"
    done
done
# With a lower limit the count must follow it.
run_one 1 "$tmp/tokens.vrs" check --max-errors=3
checks=$((checks + 1))
n=$(grep -c ': error: ' "$tmp/err")
if [ "$n" -gt 3 ] || ! grep -q 'too many errors' "$tmp/err"; then
    fail "--max-errors=3 on $tmp/tokens.vrs: $n errors / no 'too many errors' line"
fi

# ---------------------------------------------------------------------------
# (c) deep nesting.
echo "(c) deep nesting"
perl -e 'print "const A : int = ", "(" x 10000, "1", ")" x 10000, ";\n"' >"$tmp/parens.vrs"
perl -e 'print "const A : int = ", "{" x 10000, "1", "}" x 10000, ";\n"' >"$tmp/braces.vrs"
perl -e 'print "const A : int = ", "[" x 10000, "1", "]" x 10000, ";\n"' >"$tmp/brackets.vrs"
perl -e 'print "const A : int = 1", " + 1" x 99999, ";\n"' >"$tmp/chain.vrs"
perl -e 'print "const A : bool = ", "!" x 20000, "x;\n"' >"$tmp/nots.vrs"
for f in parens braces brackets chain nots; do
    run_all_msg 1 "$tmp/$f.vrs" "nested too deeply"
done

# ---------------------------------------------------------------------------
# (d) a ~10 MB valid spec.
echo "(d) 10 MB valid spec"
if bash "$root/bench/gen_large_spec.sh" 13000 "$tmp/large.vrs"; then
    sz=$(wc -c <"$tmp/large.vrs")
    checks=$((checks + 1))
    [ "$sz" -ge 9000000 ] || fail "generated spec is only $sz bytes"
    # the front end and checker at scale; synthesis has its own benchmark
    run_one 0 "$tmp/large.vrs" check --no-synth
else
    fail "bench/gen_large_spec.sh failed"
fi
rm -f "$tmp/large.vrs"

# ---------------------------------------------------------------------------
# (e) NUL bytes inside an otherwise valid spec.
echo "(e) NUL bytes"
perl -pe 'if ($. % 7 == 3) { s/;/;\0/ } if ($. == 10) { s/ /\0/ }' \
    "$root/specs/x86_64.vrs" >"$tmp/nul.vrs"
checks=$((checks + 1))
if cmp -s "$root/specs/x86_64.vrs" "$tmp/nul.vrs"; then
    fail "NUL input generation did not change the spec"
fi
run_all_msg 1 "$tmp/nul.vrs" "NUL"
# A NUL byte inside a comment: vrsc may reject it (status 1, a NUL error) or
# accept it, but if it accepts it, `fmt` must not change the program (a
# comment cut short at the NUL would lose its `*/` and swallow the code after
# it).
printf '/* a\0b */\nconst A : int = 1;\n/* c */\nconst B : int = 2;\n// d\0e\nconst C : int = 3;\n' \
    >"$tmp/nulcomment.vrs"
if run_one any "$tmp/nulcomment.vrs" check; then
    if [ "$st" -eq 1 ]; then
        expect_msg "vrsc check $tmp/nulcomment.vrs" "NUL"
    else
        checks=$((checks + 1))
        mkdir "$tmp/nc"
        "$vrsc" fmt --color=never "$tmp/nulcomment.vrs" >"$tmp/nc/fmt.vrs" 2>/dev/null
        "$vrsc" parse --dump-ast --no-locations --color=never "$tmp/nulcomment.vrs" 2>&1 |
            grep -v '^file ' >"$tmp/nc/a"
        "$vrsc" parse --dump-ast --no-locations --color=never "$tmp/nc/fmt.vrs" 2>&1 |
            grep -v '^file ' >"$tmp/nc/b"
        if ! cmp -s "$tmp/nc/a" "$tmp/nc/b"; then
            fail "NUL in a comment is accepted, but fmt changes the program:"
            diff -u --label original --label "after fmt" "$tmp/nc/a" "$tmp/nc/b" | head -20 >&2
        fi
    fi
fi

# ---------------------------------------------------------------------------
# (f) a 200-digit number.
echo "(f) huge number"
perl -e 'print "const A : int = ", "9" x 200, ";\n"' >"$tmp/bignum.vrs"
run_all_msg 1 "$tmp/bignum.vrs" "too large"
perl -e 'print "const A : int = 0x", "f" x 200, ";\n"' >"$tmp/bighex.vrs"
run_all_msg 1 "$tmp/bighex.vrs" "too large"

# ---------------------------------------------------------------------------
# (g) an unclosed block comment after 1 MB of text.
echo "(g) unclosed block comment"
{
    perl -e 'print "const C$_ : int = $_; // filler line for the lexer\n" for 1 .. 22000'
    printf '/* never closed\n'
} >"$tmp/comment.vrs"
checks=$((checks + 1))
[ "$(wc -c <"$tmp/comment.vrs")" -ge 1000000 ] || fail "comment input is under 1 MB"
run_all_msg 1 "$tmp/comment.vrs" "unclosed block comment"
# ... and it must point at the right line
checks=$((checks + 1))
grep -q "comment.vrs:22001:1: error: unclosed block comment" "$tmp/err" ||
    fail "unclosed comment not reported at 22001:1: $(head -1 "$tmp/err")"

# ---------------------------------------------------------------------------
# (h) empty and whitespace/comment-only files.
echo "(h) empty files"
: >"$tmp/empty.vrs"
printf ' \n\t\n// just a comment\n/* block\n comment */\n   \r\n' >"$tmp/blank.vrs"
run_all 0 "$tmp/empty.vrs"
run_all 0 "$tmp/blank.vrs"

# ---------------------------------------------------------------------------
# (i) a directory and a nonexistent path: status 2, message, no stdout.
echo "(i) unreadable inputs"
mkdir "$tmp/dir.vrs"
for f in "$tmp/dir.vrs" "$tmp/does-not-exist.vrs"; do
    for cmd in check fmt "parse --dump-ast"; do
        checks=$((checks + 1))
        # shellcheck disable=SC2086
        "$vrsc" $cmd --color=never "$f" >"$tmp/out" 2>"$tmp/err"
        s=$?
        [ "$s" -eq 2 ] || fail "vrsc $cmd $f: expected status 2, got $s"
        [ -s "$tmp/err" ] || fail "vrsc $cmd $f: no message on stderr"
        grep -qF -- "$f" "$tmp/err" || fail "vrsc $cmd $f: message does not name the file"
        [ -s "$tmp/out" ] && fail "vrsc $cmd $f: wrote to stdout: $(head -c 200 "$tmp/out")"
    done
done

lib_finish
