#!/usr/bin/env bash
# cli.sh VRSC ROOT: the command lines of `vrsc jit` and `vrsc translate`:
# options and their errors, exit statuses, the ways commands come in (-e,
# --batch, stdin), over-long lines and NUL bytes, and translate's address
# sources and output forms. Needs bash, coreutils, diffutils, perl.
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
lib_init cli "$@"
cd "$root" || exit 2
spec=specs/x86_64.vrs
jit=(jit "$spec" --engine=interp --mem 16M)

# usage_error DESC ARGS...: status 2, a message on stderr naming the problem
usage_error() {
    local desc=$1
    shift
    expect_status 2 "$desc" "$@" || return
    [ -s "$tmp/err" ] || fail "$desc: 'vrsc $*' printed no message on stderr"
}

# has FILE TEXT DESC: FILE contains TEXT
has() {
    grep -qF -- "$2" "$1" || { fail "$3: no '$2' in: $(head -c 300 "$1")"; }
}

echo "jit: options"
expect_status 0 "jit --help" jit --help
has "$tmp/out" "--batch" "jit --help"
usage_error "jit without a spec" jit
usage_error "jit with two specs" jit "$spec" "$spec"
usage_error "jit --engine=bogus" jit "$spec" --engine=bogus
usage_error "jit --mem=zz" jit "$spec" --mem=zz
usage_error "jit --mem=1" jit "$spec" --mem=1
usage_error "jit --color=bogus" jit "$spec" --color=bogus
usage_error "jit --frobnicate" jit "$spec" --frobnicate
usage_error "jit -e without text" jit "$spec" -e
usage_error "jit --batch missing file" jit "$spec" --batch "$tmp/nope.cmds"
has "$tmp/err" "nope.cmds" "jit --batch missing file"
expect_status 2 "jit on a missing spec" jit "$tmp/missing.vrs" -e stats
printf 'segment Broken {\n' >"$tmp/broken.vrs"
expect_status 1 "jit on a spec with errors" jit "$tmp/broken.vrs" -e stats
has "$tmp/err" "broken.vrs" "jit on a spec with errors"
expect_status 1 "jit --unit of no root" jit "$spec" --unit Nope -e stats
has "$tmp/err" "Nope" "jit --unit of no root"
expect_status 0 "jit --unit of the root" jit "$spec" --engine=interp --unit X8664Cr3 -e stats
has "$tmp/out" "root: X8664Cr3" "jit --unit of the root"

echo "jit: where commands come from"
expect_status 0 "-e twice" "${jit[@]}" -e 'map 0x1000 4K 0x2000' -e 'translate 0x1000; translate 0x1800'
has "$tmp/out" "0x1800 -> 0x2800" "-e twice"
expect_status 1 "-e with an error" "${jit[@]}" -e 'frob; translate 0'
has "$tmp/err" "-e:1: error: unknown command 'frob'" "-e with an error"
has "$tmp/out" "0x0: fault: not mapped" "-e goes on after an error"
printf 'map 0x1000 4K 0x2000\ntranslate 0x1000\n' >"$tmp/a.cmds"
printf 'translate 0x1000 write\nquit\ntranslate 0\n' >"$tmp/b.cmds"
expect_status 0 "--batch twice, quit" "${jit[@]}" --batch "$tmp/a.cmds" --batch "$tmp/b.cmds"
[ "$(grep -c '^0x1000' "$tmp/out")" -eq 2 ] || fail "--batch twice: $(cat "$tmp/out")"
grep -q '^0x0' "$tmp/out" && fail "--batch: a command after quit ran"
checks=$((checks + 1))
if ! "$vrsc" "${jit[@]}" <"$tmp/a.cmds" >"$tmp/out" 2>"$tmp/err"; then
    fail "commands on stdin: status $?"
fi
has "$tmp/out" "0x1000 -> 0x2000" "commands on stdin"
grep -q 'vrs>' "$tmp/out" && fail "stdin that is not a terminal got a prompt"
checks=$((checks + 1))
"$vrsc" "${jit[@]}" --batch - <"$tmp/a.cmds" >"$tmp/out" 2>"$tmp/err" || fail "--batch -: status $?"
has "$tmp/out" "0x1000 -> 0x2000" "--batch -"

echo "jit: bad lines"
perl -e 'print "translate ", "1" x 70000, "\ntranslate 0\n"' >"$tmp/long.cmds"
expect_status 1 "a line of 70000 bytes" "${jit[@]}" --batch "$tmp/long.cmds"
has "$tmp/err" "long.cmds:1: error: line too long" "a line of 70000 bytes"
has "$tmp/out" "0x0: fault" "the line after a long one"
printf 'translate 0\0x\ntranslate 0\n' >"$tmp/nul.cmds"
expect_status 1 "a NUL byte" "${jit[@]}" --batch "$tmp/nul.cmds"
has "$tmp/err" "nul.cmds:1: error: a NUL byte" "a NUL byte"
printf 'translate 0' >"$tmp/nonl.cmds"
expect_status 0 "no newline at the end" "${jit[@]}" --batch "$tmp/nonl.cmds"
has "$tmp/out" "0x0: fault" "no newline at the end"
head -c 20000 /dev/urandom >"$tmp/garbage.cmds" 2>/dev/null ||
    perl -e 'srand(3); print chr(int(rand(256))) for 1 .. 20000' >"$tmp/garbage.cmds"
run "${jit[@]}" --batch "$tmp/garbage.cmds"
[ "$st" -le 1 ] || fail "random bytes as commands: status $st"

echo "jit: save leaves no partial file"
expect_status 1 "save into a missing directory" "${jit[@]}" -e "save $tmp/no/such/dir/x.bin"
mkdir "$tmp/adir"
expect_status 1 "save over a directory" "${jit[@]}" -e "save $tmp/adir"
has "$tmp/err" "cannot write" "save over a directory"
[ -e "$tmp/adir.vrsc-tmp" ] && fail "save over a directory left its temporary file"
expect_status 0 "save" "${jit[@]}" -e "map 0x1000 4K 0x2000; save $tmp/x.bin"
[ -f "$tmp/x.bin" ] && [ ! -e "$tmp/x.bin.vrsc-tmp" ] || fail "save: no x.bin, or a temporary left"
[ "$(wc -c <"$tmp/x.bin")" -eq $((16 << 20)) ] || fail "save: x.bin is not 16 MiB"

echo "translate: options"
img=$tmp/x.bin
tr=(translate "$spec" --engine=interp --image "$img" --root 0x100000)
expect_status 0 "translate --help" translate --help
has "$tmp/out" "--va-file" "translate --help"
usage_error "translate without a spec" translate --image "$img" --root 0 --va 0
usage_error "translate without --image" translate "$spec" --root 0 --va 0
usage_error "translate without addresses" translate "$spec" --image "$img" --root 0
usage_error "translate --va and --range" "${tr[@]}" --va 0 --range 0 4K
usage_error "translate --range without HI" "${tr[@]}" --range 0
usage_error "translate --range HI <= LO" "${tr[@]}" --range 4K 4K
usage_error "translate --range LO bad" "${tr[@]}" --range zz 4K
usage_error "translate --range HI bad" "${tr[@]}" --range 0 zz
usage_error "translate --step without --range" "${tr[@]}" --va 0 --step 4K
usage_error "translate --step 0" "${tr[@]}" --range 0 4K --step 0
usage_error "translate --root bad" translate "$spec" --image "$img" --root zz --va 0
usage_error "translate --at bad" "${tr[@]}" --at zz --va 0
usage_error "translate --access bad" "${tr[@]}" --access sideways --va 0
usage_error "translate --width 0" "${tr[@]}" --width 0 --va 0
usage_error "translate --max-walks 0" "${tr[@]}" --summary --max-walks 0
usage_error "translate --engine bad" "${tr[@]}" --engine=fast --va 0
usage_error "translate two specs" "${tr[@]}" "$spec" --va 0
usage_error "translate without --root" translate "$spec" --image "$img" --va 0
has "$tmp/err" "--root" "translate without --root"
usage_error "translate a missing image" translate "$spec" --image "$tmp/nope.bin" --root 0 --va 0
has "$tmp/err" "nope.bin" "translate a missing image"
usage_error "translate an empty image" translate "$spec" --image /dev/null --root 0 --va 0
usage_error "translate --root outside the image" translate "$spec" --image "$img" --root 1G --va 0
usage_error "translate a missing --va-file" "${tr[@]}" --va-file "$tmp/nope.txt"

echo "translate: addresses and output"
expect_status 0 "--va list" "${tr[@]}" --va 0x1000,0x1fff --va 4K --va 0x800000000000
[ "$(wc -l <"$tmp/out")" -eq 4 ] || fail "--va list: $(cat "$tmp/out")"
has "$tmp/out" "0x1fff -> 0x2fff (4K page, no flags)" "--va list"
has "$tmp/out" "0x800000000000: fault: address outside the input space" "--va list"
expect_status 1 "--va with a bad address" "${tr[@]}" --va 0x1000,zz,0x2000
has "$tmp/err" "bad address 'zz'" "--va with a bad address"
[ "$(wc -l <"$tmp/out")" -eq 2 ] || fail "--va with a bad address: the good ones: $(cat "$tmp/out")"
expect_status 0 "--range" "${tr[@]}" --range 0 16K
[ "$(wc -l <"$tmp/out")" -eq 4 ] || fail "--range 0 16K: $(cat "$tmp/out")"
expect_status 0 "--range --step" "${tr[@]}" --range 0xf00 0x1100 --step 0x100
[ "$(wc -l <"$tmp/out")" -eq 2 ] || fail "--range --step: $(cat "$tmp/out")"
expect_status 0 "--range up to the last address" "${tr[@]}" --range 0xffffffffffff0000 0xffffffffffffffff --step 0x8000
[ "$(wc -l <"$tmp/out")" -eq 2 ] || fail "--range at the top: $(cat "$tmp/out")"
printf '# addresses\n0x1000\n\n  0x1004   # a comment\nzz\n0x5000\n' >"$tmp/vas.txt"
expect_status 1 "--va-file" "${tr[@]}" --va-file "$tmp/vas.txt"
has "$tmp/err" "vas.txt:5: error: bad address 'zz'" "--va-file"
[ "$(wc -l <"$tmp/out")" -eq 3 ] || fail "--va-file: $(cat "$tmp/out")"
checks=$((checks + 1))
printf '0x1000\n' | "$vrsc" "${tr[@]}" --va-file - >"$tmp/out" 2>"$tmp/err" || fail "--va-file -: status $?"
has "$tmp/out" "0x1000 -> 0x2000" "--va-file -"
expect_status 0 "--json" "${tr[@]}" --json --va 0x1000 --access write
has "$tmp/out" '{"cmd":"translate","va":"0x1000","access":"write","result":"fault","fault":"permission"' "--json"
expect_status 0 "--width" "${tr[@]}" --width 8 --va 0x1ffc
[ "$(wc -l <"$tmp/out")" -eq 2 ] || fail "--width 8 across a page: $(cat "$tmp/out")"
expect_status 1 "--width past the end" "${tr[@]}" --width 8 --va 0xfffffffffffffffc
expect_status 0 "--summary" "${tr[@]}" --summary
has "$tmp/out" "0x1000-0x2000 -> 0x2000-0x3000 4K (1 x 4K page) no flags" "--summary"
expect_status 0 "--summary --range" "${tr[@]}" --summary --range 0 0x1000
has "$tmp/out" "0 ranges" "--summary --range"
expect_status 0 "--stats" "${tr[@]}" --stats --va 0x1000
has "$tmp/err" "addresses in" "--stats"
expect_status 0 "--image --at" translate "$spec" --engine=interp --image "$img" --at 0x1000 --root 0x101000 --va 0x1000
has "$tmp/out" "0x1000: fault" "--image --at (the tables are not moved)"

echo "jit and translate: a JIT that fails"
# VRSC_JIT_CFLAGS hands options to libgccjit's compiler: one it rejects
# makes the real libgccjit fail. vrsc says so, with libgccjit's error, and
# answers with the interpreter. (Without libgccjit vrsc says that instead.)
jit_fails() {
    local desc=$1
    shift
    checks=$((checks + 1))
    VRSC_JIT_CFLAGS="-fno-such-vrsc-option" "$vrsc" "$@" >"$tmp/out" 2>"$tmp/err" ||
        { fail "$desc: status $?: $(cat "$tmp/err")"; return; }
    grep -qE "^vrsc: (the JIT failed \(libgccjit: .+\)|this vrsc was built without libgccjit): using the interpreter$" \
        "$tmp/err" || fail "$desc: no fallback message in: $(cat "$tmp/err")"
}
jit_fails "jit, the JIT failing" jit "$spec" --engine=jit --mem 16M -e 'map 0x1000 4K 0x2000; translate 0x1000; walk 0x1000; stats'
has "$tmp/out" "0x1000 -> 0x2000 (4K page, no flags)" "jit, the JIT failing: translate"
has "$tmp/out" "level 4: PtEntry [1]" "jit, the JIT failing: walk"
has "$tmp/out" "engine: interp" "jit, the JIT failing: stats"
jit_fails "translate, the JIT failing" translate "$spec" --engine=jit --image "$img" --root 0x100000 --va 0x1000 --va 0x5000
has "$tmp/out" "0x1000 -> 0x2000 (4K page, no flags)" "translate, the JIT failing"
has "$tmp/out" "0x5000: fault: not mapped at level 4" "translate, the JIT failing: a fault"

echo "jit: a JIT that fails later"
# Start-up compiles resolve alone; the mutators compile on the first map.
# An option that fails only functions with a frame over 100 bytes (the
# mutators', not resolve's) makes that later compile fail: vrsc says so
# once, interprets from then on, and every command still works.
if ! "$vrsc" jit "$spec" --engine=jit --mem 1M -e quit 2>&1 | grep -q "built without libgccjit"; then
    checks=$((checks + 1))
    VRSC_JIT_CFLAGS="-Werror=frame-larger-than=100" "$vrsc" jit "$spec" --engine=jit --mem 16M \
        -e 'translate 0x1000; map 0x1000 4K 0x2000; map 0x2000 4K 0x3000; translate 0x2000; walk 0x1000; stats' \
        >"$tmp/out" 2>"$tmp/err" || fail "a JIT that fails later: status $?: $(cat "$tmp/err")"
    [ "$(grep -c '^vrsc: the JIT failed on .*_map (libgccjit: .*): using the interpreter$' "$tmp/err")" -eq 1 ] ||
        fail "a JIT that fails later: not one fallback message in: $(cat "$tmp/err")"
    [ "$(grep -c '^OK: mapped' "$tmp/out")" -eq 2 ] || fail "a JIT that fails later: the maps: $(cat "$tmp/out")"
    has "$tmp/out" "0x2000 -> 0x3000 (4K page, no flags)" "a JIT that fails later: translate"
    has "$tmp/out" "level 4: PtEntry [1]" "a JIT that fails later: walk"
    has "$tmp/out" "engine: interp" "a JIT that fails later: stats"
fi

echo "jit: unmap over an empty table of an image"
# The driver never leaves an empty table, but an image can hold one: the
# PT of 0x1000 with its only entry zeroed. An unmap covering it whole (or
# more) is ENOENT and changes nothing, in both engines.
checks=$((checks + 1))
"$vrsc" jit "$spec" --engine=interp --mem 16M -e "map 0x1000 4K 0x2000; save $tmp/empty.bin" >/dev/null 2>&1 ||
    fail "empty table: cannot write the image"
perl -e 'open F, "+<", $ARGV[0] or die; binmode F; seek F, 0x104008, 0; print F pack("Q<", 0); close F' "$tmp/empty.bin"
for engine in interp jit; do
    expect_status 0 "empty table ($engine)" jit "$spec" --engine=$engine \
        -e "load $tmp/empty.bin; root 0x100000; unmap 0 2M; unmap 0 1G; unmap 0x1000 4K; save $tmp/after.bin"
    [ "$(grep -c '^ENOENT: nothing mapped there$' "$tmp/out")" -eq 3 ] || fail "empty table ($engine): $(cat "$tmp/out")"
    cmp -s <(head -c 16M "$tmp/after.bin") "$tmp/empty.bin" || fail "empty table ($engine): the memory changed"
done

echo "jit: Ctrl-C at the prompt"
# Through a terminal (util-linux's script): Ctrl-C drops the line being
# typed and the session goes on; the pauses let each part arrive on its own.
# script runs the command through $SHELL; `exec` keeps a shell that does not
# exec its last command (dash) out of the terminal's foreground group, where
# it would take the SIGINT itself and exit 130.
if command -v script >/dev/null 2>&1; then
    checks=$((checks + 1))
    (printf 'map 0x1000 4K 0x2000\n'; sleep 1; printf 'transl\003'; sleep 1; printf 'translate 0x1000\n'
     sleep 0.5; printf 'quit\n'; sleep 0.5) |
        SHELL=/bin/sh script -qec "exec $(printf '%q ' "$vrsc" jit "$spec" --engine=interp --mem 16M)" /dev/null >"$tmp/out" 2>&1 ||
        fail "Ctrl-C: status $?: $(cat "$tmp/out")"
    tr -d '\r' <"$tmp/out" >"$tmp/tty"
    has "$tmp/tty" "vrs> ^C" "Ctrl-C: the prompt after it"
    has "$tmp/tty" "0x1000 -> 0x2000 (4K page, no flags)" "Ctrl-C: the command after it"
else
    echo "  (no util-linux script: skipped)"
fi

lib_finish
