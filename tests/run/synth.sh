#!/usr/bin/env bash
# synth.sh VRSC ROOT: the `vrsc synth` command line and the properties of
# synthesis that goldens cannot show: every shipped spec and synthesis input
# synthesizes and proves; output is byte-identical across runs; a corrupted
# program (the --test-break hook) fails its proof with a counterexample and
# prints nothing on stdout; --unit, --no-verify and check --no-synth.
# Needs bash, coreutils and grep.
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
lib_init synth "$@"

expect() { expect_status "$@"; }

x86=$root/specs/x86_64.vrs
inputs=("$root"/specs/*.vrs "$root"/tests/synth/*.vrs)

echo "every program of every spec is proven, twice the same"
for f in "${inputs[@]}"; do
    name=${f#"$root"/}
    expect 0 "synth $name" synth --no-times "$f" || continue
    cp "$tmp/out" "$tmp/first"
    n=$(grep -c '^{$' "$tmp/first")
    p=$(grep -c '^    // proven$' "$tmp/first")
    [ "$n" -gt 0 ] || fail "synth $name: no programs"
    [ "$n" -eq "$p" ] || fail "synth $name: $p of $n programs proven"
    expect 0 "synth $name (second run)" synth --no-times "$f" || continue
    cmp -s "$tmp/first" "$tmp/out" || fail "synth $name: output differs between two runs"
    # with times, only the time lines may differ
    expect 0 "synth $name (with times)" synth "$f" || continue
    grep -v '// proven in ' "$tmp/out" >"$tmp/a"
    grep -v '^    // proven$' "$tmp/first" >"$tmp/b"
    cmp -s "$tmp/a" "$tmp/b" || fail "synth $name: programs differ with times on"
done

echo "a corrupted program fails its proof, with a counterexample"
for target in PtEntry.map PdEntryPage.protect PdptEntryTable.unmap; do
    if expect 1 "synth --test-break=$target" synth --test-break="$target" "$x86"; then
        unit=${target%.*}
        op=${target#*.}
        grep -q "error: synthesized \`$op\` of unit \`$unit\`" "$tmp/err" \
            || fail "--test-break=$target: no proof error naming $unit.$op"
        grep -q 'note: counterexample: va = ' "$tmp/err" \
            || fail "--test-break=$target: no counterexample"
        grep -q 'note: state before: entry = ' "$tmp/err" \
            || fail "--test-break=$target: no state in the counterexample"
        [ -s "$tmp/out" ] && fail "--test-break=$target: printed programs although a proof failed"
    fi
done
# the same hook through `vrsc check`
expect 1 "check --test-break" check --test-break=PtEntry.map "$x86"
grep -q 'does not establish' "$tmp/err" || fail "check --test-break: no proof error"

echo "--unit, --no-verify, --no-synth"
if expect 0 "synth --unit" synth --no-times --unit=PdEntryPage "$x86"; then
    [ "$(grep -c '^// unit ' "$tmp/out")" -eq 1 ] || fail "synth --unit: not exactly one unit"
    grep -q '^// unit PdEntryPage ' "$tmp/out" || fail "synth --unit: wrong unit"
fi
expect 1 "synth --unit unknown" synth --unit=NoSuchUnit "$x86"
grep -q "no unit named 'NoSuchUnit'" "$tmp/err" || fail "synth --unit unknown: no error naming it"
if expect 0 "synth --no-verify" synth --no-times --no-verify "$x86"; then
    grep -q '^    // not verified$' "$tmp/out" || fail "synth --no-verify: status is not 'not verified'"
    grep -q 'proven' "$tmp/out" && fail "synth --no-verify: claims a proof"
fi
# --no-synth skips synthesis: a broken program is not noticed
expect 0 "check --no-synth" check --no-synth --test-break=PtEntry.map "$x86"
# --no-verify skips the proof: a broken program is not noticed either
expect 0 "check --no-verify" check --no-verify --test-break=PtEntry.map "$x86"

echo "usage errors"
expect 2 "synth without file" synth
expect 2 "synth with two files" synth "$x86" "$x86"
expect 2 "synth missing file" synth "$tmp/nope.vrs"

lib_finish
