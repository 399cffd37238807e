#!/usr/bin/env bash
# graph.sh VRSC ROOT: the `vrsc graph` command line: DOT on stdout, -o FILE,
# --format=svg through graphviz (skipped if `dot` is not installed), the
# error when `dot` is missing, usage errors, and no output on failure.
# Needs bash and coreutils.
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
lib_init graph "$@"

# expect N DESC ARGS...: run vrsc (stdout $tmp/out, stderr $tmp/err), want status N.
expect() { expect_status "$@"; }

spec=$root/specs/x86_64.vrs
[ -f "$spec" ] || { echo "graph.sh: missing input $spec" >&2; exit 2; }

echo "dot to stdout"
if expect 0 "graph" graph "$spec"; then
    head -1 "$tmp/out" | grep -q '^digraph vrs {$' || fail "graph: stdout does not start with 'digraph vrs {'"
    grep -q '"Pml4" -> "Pml4Entry" \[label="va\[47:39\]"\];' "$tmp/out" \
        || fail "graph: no Pml4 -> Pml4Entry edge labelled va[47:39]"
    grep -q 'error' "$tmp/err" && fail "graph: reported an error"
    cp "$tmp/out" "$tmp/stdout.dot"
fi

echo "-o FILE"
if expect 0 "graph -o" graph -o "$tmp/x.dot" "$spec"; then
    [ -s "$tmp/out" ] && fail "graph -o: wrote to stdout"
    cmp -s "$tmp/x.dot" "$tmp/stdout.dot" || fail "graph -o: file differs from stdout output"
fi
expect 0 "graph --output=FILE --format=dot" graph --format=dot --output="$tmp/y.dot" "$spec" \
    && { cmp -s "$tmp/y.dot" "$tmp/stdout.dot" || fail "graph --output: file differs"; }

echo "svg"
if command -v dot >/dev/null 2>&1; then
    if expect 0 "graph --format=svg" graph --format=svg "$spec"; then
        grep -q '<svg' "$tmp/out" || fail "graph --format=svg: no <svg> element on stdout"
    fi
else
    echo "  (graphviz dot not installed: svg output not checked)"
fi
# without `dot` on PATH: an error, status 2, nothing written
checks=$((checks + 1))
PATH=/nonexistent "$vrsc" graph --format=svg -o "$tmp/z.svg" "$spec" >"$tmp/out" 2>"$tmp/err"
st=$?
[ "$st" -eq 2 ] || fail "svg without dot: exited $st, expected 2"
grep -q 'graphviz `dot` not found; use --format=dot' "$tmp/err" || fail "svg without dot: message missing"
[ -e "$tmp/z.svg" ] && fail "svg without dot: output file was created"

echo "errors"
printf 'flags { w, }\nconst A : int = ;\n' >"$tmp/bad.vrs"
expect 1 "syntax error" graph -o "$tmp/bad.dot" "$tmp/bad.vrs"
[ -e "$tmp/bad.dot" ] && fail "syntax error: output file was created"
[ -s "$tmp/out" ] && fail "syntax error: wrote to stdout"
expect 2 "missing file" graph "$tmp/no-such-file.vrs"
expect 2 "no file" graph
expect 2 "two files" graph "$spec" "$spec"
expect 2 "bad --format" graph --format=png "$spec"
expect 2 "-o with check" check -o "$tmp/c.dot" "$spec"
expect 2 "unwritable -o" graph -o "$tmp/no/such/dir/x.dot" "$spec"

lib_finish
