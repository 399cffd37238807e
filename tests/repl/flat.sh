#!/usr/bin/env bash
# flat.sh VRSC ROOT: `vrsc jit` survives 100 000 commands with flat memory.
#
# The commands (maps, unmaps, protects, translations across pages, walks,
# dumps, stats and errors, in a fixed pseudo-random mix) go through a FIFO
# so the session can be measured while it waits: its peak resident size
# (VmHWM) after 10 000 commands and after 100 000 must not differ by more
# than 1 MiB, with the interpreter and with the JIT. Then, if valgrind is
# installed and vrsc is not a sanitizer build, 2 000 commands run under
# memcheck (interpreter): no errors, no definite or indirect leaks
# (docs/jit.md has the numbers of a 10 000-command run by hand).
# Needs bash, coreutils, perl (perl-base), Linux /proc.
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
lib_init flat "$@"
cd "$root" || exit 2

# the command mix: N commands from seed 7
gen() {
    perl -e 'srand($ARGV[1]); for $i (1 .. $ARGV[0]) {
        $va = 0x400000 + int(rand(4096)) * 0x1000; $k = $i % 10;
        if ($k == 0) { printf "map 0x%x 4K 0x%x writable\n", $va, int(rand(65536)) * 0x1000 }
        elsif ($k == 1) { printf "unmap 0x%x 4K\n", $va }
        elsif ($k == 2) { printf "translate 0x%x write\n", $va }
        elsif ($k == 3) { printf "walk 0x%x\n", $va }
        elsif ($k == 4) { printf "protect 0x%x 4K usermode\n", $va }
        elsif ($k == 5) { print "bogus $i; map 0x1000 zz 0\n" }
        elsif ($k == 6) { printf "translate 0x%x read 8K\n", $va }
        elsif ($k == 7) { printf "map 0x%x 2M 0x40000000\n", $va & ~0x1fffff }
        elsif ($k == 8) { printf "dump 0x%x 64K\n", $va }
        else { print "stats\n" } }' "$1" "$2"
}

hwm() {
    sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

# measure ENGINE: feed 10 000 then 90 000 more commands, the peak after each
measure() {
    local engine=$1 fifo=$tmp/fifo.$1 out=$tmp/out.$1
    mkfifo "$fifo" || exit 2
    "$vrsc" jit specs/x86_64.vrs --engine="$engine" --mem 64M --batch "$fifo" >"$out" 2>/dev/null &
    local pid=$!
    exec 3>"$fifo"
    local marks=0 first=0 last=0
    for n in 10000 90000; do
        gen "$n" "$((7 + marks))" >&3
        echo "help quit" >&3
        marks=$((marks + 1))
        # wait until the session has answered the marker
        local waited=0
        while [ "$(grep -c 'end the session' "$out")" -lt "$marks" ]; do
            sleep 0.1
            waited=$((waited + 1))
            if [ "$waited" -gt 1200 ] || ! kill -0 "$pid" 2>/dev/null; then
                fail "$engine: the session did not answer after $marks chunks"
                exec 3>&-
                kill "$pid" 2>/dev/null
                return
            fi
        done
        if [ "$marks" -eq 1 ]; then first=$(hwm "$pid"); else last=$(hwm "$pid"); fi
    done
    exec 3>&-
    wait "$pid"
    local st=$?
    checks=$((checks + 2))
    [ "$st" -eq 1 ] || fail "$engine: exit status $st (want 1: the mix has bad commands)"
    echo "$engine: peak $first kB after 10 000 commands, $last kB after 100 000"
    [ $((last - first)) -le 1024 ] || fail "$engine: memory grew by $((last - first)) kB"
}

measure interp
measure jit

if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind: skipped (not installed)"
elif grep -q __asan_init "$vrsc" 2>/dev/null ||
        { command -v ldd >/dev/null && ldd "$vrsc" 2>/dev/null | grep -Eq 'lib(asan|ubsan)'; }; then
    echo "valgrind: skipped ($vrsc is a sanitizer build)"
else
    gen 2000 11 >"$tmp/vg.cmds"
    checks=$((checks + 1))
    valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect -q \
        "$vrsc" jit specs/x86_64.vrs --engine=interp --mem 64M --batch "$tmp/vg.cmds" \
        >/dev/null 2>"$tmp/vg.err"
    st=$?
    if [ "$st" -ne 1 ]; then
        fail "valgrind: status $st"
        grep -E '^==[0-9]+==' "$tmp/vg.err" | head -30 >&2
    else
        echo "valgrind: 2000 commands clean"
    fi
fi

lib_finish
