#!/usr/bin/env bash
# run.sh VRSC ENGINE tests/repl/NAME.cmds: a `vrsc jit` transcript against
# its golden file tests/repl/NAME.out (registered as ctest repl.NAME.ENGINE).
#
# The commands run as `vrsc jit SPEC --engine=ENGINE --echo ARGS --batch
# NAME.cmds`; SPEC and ARGS come from the file's header lines
#     # spec: FILE         (default specs/x86_64.vrs)
#     # args: OPTION...    (e.g. --json, --mem 16M)
# The golden file holds stdout and stderr together, then "exit: N". Both
# engines share it: the one line that may differ, stats' "engine: ..." (or
# JSON "engine":"..."), is written as ENGINE, and the notice of a vrsc
# without libgccjit is dropped.
#
# @TMP@ in the commands is a scratch directory (the output says @TMP@ too)
# with fixtures: empty.bin (0 bytes), dir/ (a directory), and hand.bin, a
# 64 KiB x86-64 image written here entry by entry (arch-facts.md §1):
#   0x1000 PML4: [0] -> 0x2000, [1] -> 0x1000 (itself: a loop),
#                [3] -> 0x7fff0000000 (outside memory)
#   0x2000 PDPT: [0] -> 0x3000, [1] 1G page at 0x40000000 with reserved
#                bit 13 set, [2] 1G page at 0xc0000000 NX
#   0x3000 PD:   [0] -> 0x4000, [1] 2M page at 0x200000 read-only,
#                [3] not present, with junk 0x12345000
#   0x4000 PT:   [0] 0x5000 writable, [1] 0x6000 read-only NX
# With VRSC_UPDATE_GOLDEN=1 the golden file is written instead. Needs bash,
# coreutils, diffutils and perl (perl-base).
set -u
[ "$#" -eq 3 ] || { echo "usage: run.sh VRSC ENGINE tests/repl/NAME.cmds" >&2; exit 2; }
vrsc=$1
engine=$2
cmds=$3
golden=${cmds%.cmds}.out
[ -x "$vrsc" ] || { echo "run.sh: vrsc not executable: $vrsc" >&2; exit 2; }
[ -f "$cmds" ] || { echo "run.sh: no such file: $cmds" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vrsc-repl.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

spec=$(sed -n 's/^# spec: //p' "$cmds" | head -1)
args=$(sed -n 's/^# args: //p' "$cmds" | head -1)
: "${spec:=specs/x86_64.vrs}"

: >"$tmp/empty.bin"
mkdir "$tmp/dir"
perl -e '
    my $m = "\0" x 65536;
    sub put { substr($m, $_[0], 8) = pack("Q<", $_[1]); }
    put(0x1000 + 0 * 8, 0x2000 | 7);
    put(0x1000 + 1 * 8, 0x1000 | 7);
    put(0x1000 + 3 * 8, 0x7fff0000000 | 3);
    put(0x2000 + 0 * 8, 0x3000 | 7);
    put(0x2000 + 1 * 8, 0x40000000 | (1 << 13) | 0x83);
    put(0x2000 + 2 * 8, 0xc0000000 | 0x83 | (1 << 63));
    put(0x3000 + 0 * 8, 0x4000 | 7);
    put(0x3000 + 1 * 8, 0x200000 | 0x81);
    put(0x3000 + 3 * 8, 0x12345000);
    put(0x4000 + 0 * 8, 0x5000 | 3);
    put(0x4000 + 1 * 8, 0x6000 | 1 | (1 << 63));
    print $m;' >"$tmp/hand.bin" || exit 2

# the commands, with @TMP@ filled in, under the same name
mkdir -p "$tmp/$(dirname "$cmds")"
sed "s|@TMP@|$tmp|g" "$cmds" >"$tmp/$cmds"
# shellcheck disable=SC2086 # ARGS are words
(cd "$tmp" && "$vrsc" jit "$OLDPWD/$spec" --engine="$engine" --echo $args --batch "$cmds") >"$tmp/actual" 2>&1
echo "exit: $?" >>"$tmp/actual"
sed -e "s|$tmp|@TMP@|g" -e "s|$PWD/||g" \
    -e 's/^engine: \(jit\|interp\)$/engine: ENGINE/' -e 's/"engine":"\(jit\|interp\)"/"engine":"ENGINE"/' \
    -e '/^vrsc: this vrsc was built without libgccjit/d' "$tmp/actual" >"$tmp/out"

if [ "${VRSC_UPDATE_GOLDEN:-0}" = 1 ]; then
    cp "$tmp/out" "$golden" && echo "run.sh: updated $golden"
    exit
fi
if [ ! -f "$golden" ]; then
    echo "run.sh: missing golden file $golden (VRSC_UPDATE_GOLDEN=1 writes it); output:" >&2
    cat "$tmp/out" >&2
    exit 1
fi
if ! diff -u --label "$golden (expected)" --label "$cmds with --engine=$engine (actual)" "$golden" "$tmp/out"; then
    exit 1
fi
echo "run.sh: $cmds with --engine=$engine: ok"
