#!/usr/bin/env bash
# build.sh VRSC ROOT [CC...]: the generated drivers are deterministic and
# compile cleanly, for every spec in specs/ and tests/synth/ (not
# tests/synth/err/, which must not build).
#
# For each spec:
#  1. `vrsc build` twice, into two directories: once from ROOT with a
#     repo-relative path, once from another directory with an absolute path;
#     both times also `--header-only`. The outputs must be byte-identical.
#  2. With each CC (default: cc, plus clang if found), at -O0 and -O2:
#     - NAME.c hosted:        -std=c11 -Wall -Wextra -Werror -pedantic
#     - NAME.c freestanding:  the same plus -ffreestanding -nostdlib and the
#       kernel-style warnings runtime/freestanding.sh uses
#       (-Wshadow -Wcast-qual -Wundef -Wstrict-prototypes -Wconversion
#       -Wsign-conversion)
#     - a unit that includes only NAME.h (self-contained header), and one
#       that includes the --header-only NAME.h, both ways.
# Everything goes to a temporary directory that is removed on exit.
set -u
vrsc=$1
root=$2
shift 2
ccs=("$@")
if [ ${#ccs[@]} -eq 0 ]; then
    ccs=(cc)
    command -v clang >/dev/null 2>&1 && ccs+=(clang)
fi

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

base=(-std=c11 -Wall -Wextra -Werror -pedantic -I"$root/runtime")
strict=(-ffreestanding -nostdlib -Wshadow -Wcast-qual -Wundef -Wstrict-prototypes
        -Wconversion -Wsign-conversion)

status=0 nspecs=0 ncompiles=0
fail() {
    echo "FAIL: $*" >&2
    status=1
}

compile() { # compile CC OPT SRC INCDIR [extra flags...]
    local cc=$1 opt=$2 src=$3 inc=$4
    shift 4
    ncompiles=$((ncompiles + 1))
    "$cc" "${base[@]}" "$opt" -I"$inc" "$@" -c "$src" -o "$tmp/out.o"
}

cd "$root" || exit 2
specs=(specs/*.vrs tests/synth/*.vrs)
for spec in "${specs[@]}"; do
    [ -f "$spec" ] || continue
    nspecs=$((nspecs + 1))
    name=$(basename "$spec" .vrs)
    tag=$(echo "${spec%.vrs}" | tr / _)
    a=$tmp/$tag/a b=$tmp/$tag/b
    mkdir -p "$a/lib" "$a/hdr" "$b/lib" "$b/hdr" "$tmp/$tag/cwd"

    # 1. determinism
    ok=1
    "$vrsc" build -o "$a/lib" "$spec" 2>"$tmp/$tag/err" || { fail "$spec: vrsc build"; cat "$tmp/$tag/err" >&2; ok=0; }
    "$vrsc" build --header-only -o "$a/hdr" "$spec" 2>>"$tmp/$tag/err" || { fail "$spec: vrsc build --header-only"; ok=0; }
    (cd "$tmp/$tag/cwd" && "$vrsc" build -o "$b/lib" "$root/$spec" 2>/dev/null) ||
        { fail "$spec: vrsc build (absolute path)"; ok=0; }
    (cd "$tmp/$tag/cwd" && "$vrsc" build --header-only -o "$b/hdr" "$root/$spec" 2>/dev/null) ||
        { fail "$spec: vrsc build --header-only (absolute path)"; ok=0; }
    [ "$ok" = 1 ] || continue
    for f in "$a/lib/$name.h" "$a/lib/$name.c" "$a/hdr/$name.h"; do
        [ -s "$f" ] || fail "$spec: ${f#"$a"/} missing or empty"
    done
    if ! diff -r "$a" "$b" >"$tmp/$tag/diff"; then
        fail "$spec: two builds differ"
        head -20 "$tmp/$tag/diff" >&2
    fi

    # 2. warnings
    printf '#include "%s.h"\n' "$name" >"$tmp/$tag/tu.c"
    for cc in "${ccs[@]}"; do
        for opt in -O0 -O2; do
            compile "$cc" "$opt" "$a/lib/$name.c" "$a/lib" ||
                fail "$spec: $cc $opt: $name.c (hosted)"
            compile "$cc" "$opt" "$a/lib/$name.c" "$a/lib" "${strict[@]}" ||
                fail "$spec: $cc $opt: $name.c (freestanding, strict warnings)"
            compile "$cc" "$opt" "$tmp/$tag/tu.c" "$a/lib" ||
                fail "$spec: $cc $opt: $name.h alone"
            compile "$cc" "$opt" "$tmp/$tag/tu.c" "$a/hdr" ||
                fail "$spec: $cc $opt: --header-only $name.h (hosted)"
            compile "$cc" "$opt" "$tmp/$tag/tu.c" "$a/hdr" "${strict[@]}" ||
                fail "$spec: $cc $opt: --header-only $name.h (freestanding, strict warnings)"
        done
    done
done

echo "driver.build: $nspecs specs built twice and compared; $ncompiles compiles with: ${ccs[*]}"
[ "$nspecs" -gt 0 ] || fail "no specs found under $root"
exit $status
