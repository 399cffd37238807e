#!/usr/bin/env bash
# expect.sh VRSC F [ARG...]: run `vrsc check --color=never ARG... F` and
# compare the
# diagnostics it reports for F with the `// expect: error|warning L:C ...`
# lines at the top of F. Severity and line:col must match exactly, as a
# multiset; the message text after L:C is for readers and is not compared.
# A file without expect lines must check clean (no diagnostics, exit 0).
# The exit status must be 1 if an error is expected, else 0. Exit 0 = pass.
set -u
[ "$#" -ge 2 ] || { echo "usage: expect.sh VRSC FILE.vrs [ARG...]" >&2; exit 2; }
vrsc=$1
src=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vrsc-expect.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

sed -n 's#^[[:space:]]*// expect: \(error\|warning\) \([0-9]*:[0-9]*\).*#\1 \2#p' "$src" | sort >"$tmp/expected"
"$vrsc" check --color=never "$@" "$src" >/dev/null 2>"$tmp/stderr"
status=$?
# only diagnostics located in F itself; notes are context, not compared
prefix=$(printf '%s' "$src" | sed 's/[][\.*^$/]/\\&/g')
sed -n "s#^$prefix:\\([0-9]*:[0-9]*\\): \\(error\\|warning\\): .*#\\2 \\1#p" "$tmp/stderr" | sort >"$tmp/actual"

want_status=0
grep -q '^error ' "$tmp/expected" && want_status=1
fail=0
if ! diff -u --label "$src (expected)" --label "$src (actual)" "$tmp/expected" "$tmp/actual"; then
    fail=1
fi
if [ "$status" -ne "$want_status" ]; then
    echo "expect.sh: exit status $status, expected $want_status" >&2
    fail=1
fi
if [ "$fail" -ne 0 ]; then
    echo "--- vrsc check stderr ---" >&2
    cat "$tmp/stderr" >&2
fi
exit "$fail"
