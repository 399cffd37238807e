# shellcheck shell=bash
# tests/lib.sh: the prologue and epilogue shared by the tests/run/*.sh
# scripts. Sourced, never run on its own (and kept out of tests/run/, where
# every *.sh is registered as a ctest test):
#
#     set -u
#     source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
#     lib_init NAME "$@"
#     ... checks ...
#     lib_finish
#
# lib_init sets vrsc, root, tmp (a scratch directory removed on exit), and
# the counters checks and failures; run and expect_status below count checks,
# fail counts failures.

# lib_init NAME VRSC ROOT: check the arguments of NAME.sh, make $tmp.
# shellcheck disable=SC2034 # vrsc, root, checks: for the sourcing script
lib_init() {
    lib_name=$1
    shift
    [ "$#" -eq 2 ] || { echo "usage: $lib_name.sh VRSC ROOT" >&2; exit 2; }
    vrsc=$1
    root=$2
    [ -x "$vrsc" ] || { echo "$lib_name.sh: vrsc not executable: $vrsc" >&2; exit 2; }

    tmp=$(mktemp -d "${TMPDIR:-/tmp}/vrsc-$lib_name.XXXXXX") || exit 2
    trap 'rm -rf "$tmp"' EXIT

    failures=0
    checks=0
    st=0
}

# fail MESSAGE...: report a failed check.
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run ARGS...: run vrsc; stdout in $tmp/out, stderr in $tmp/err, status $st.
# Death by a signal is a failure.
run() {
    checks=$((checks + 1))
    "$vrsc" "$@" >"$tmp/out" 2>"$tmp/err"
    st=$?
    if [ "$st" -ge 128 ]; then
        fail "vrsc $*: killed by signal $((st - 128))"
        sed -n '1,10p' "$tmp/err" >&2
    fi
}

# lib_expect_status N PREFIX LINES ARGS...: run ARGS, want status N; on a
# mismatch fail with PREFIX'vrsc ARGS' exited ... and show LINES lines of
# stderr. Returns 1 on a mismatch.
lib_expect_status() {
    local want=$1 prefix=$2 lines=$3
    shift 3
    run "$@"
    if [ "$st" -ne "$want" ]; then
        fail "$prefix'vrsc $*' exited $st, expected $want"
        sed -n "1,${lines}p" "$tmp/err" >&2
        return 1
    fi
    return 0
}

# expect_status N DESC ARGS...
expect_status() {
    local want=$1 desc=$2
    shift 2
    lib_expect_status "$want" "$desc: " 5 "$@"
}

# lib_finish [WHAT]: print "NAME.sh: WHAT, M failures" (WHAT defaults to
# "N checks"); the status is 0 when nothing failed. Call it last.
# shellcheck disable=SC2120 # WHAT is optional
lib_finish() {
    echo "$lib_name.sh: ${1:-$checks checks}, $failures failures"
    [ "$failures" -eq 0 ]
}
