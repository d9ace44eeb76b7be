#!/usr/bin/env bash
# Builds MLPerf Tiny's four models for a Cortex-M4F with Debian's Rust (install.sh first), linked
# for QEMU's mps2-an386 (4 MiB code, 4 MiB data: VWW01's 843 KB of weights and IC01's and VWW01's
# arenas of over 300 KB fit no STM32F405), and runs each. Fails if a build fails, a program faults
# or hangs, or its own checks fail:
# - ad01 (src/bin/ad01.rs): every window's error and the anomaly score against LiteRT's; and its
#   score and FNV-1a hash of all outputs must equal the host's no-std build of the same program
#   (embedded/target/release/ad01: cd embedded && cargo build --release --features ad01; or
#   NO_HOST=1 to skip that comparison);
# - kws01, vww01, ic01 (src/mlperf.rs): every output bit-identical to build.rs's host run of the
#   same model and inputs, and within 1e-4 of LiteRT's.
# Prints each program's output and a summary line per model (flash, RAM, instructions).
#   MODELS="kws01 ic01" ./run-mlperf.sh       only these
#   IN_PLACE=1 ./run-mlperf.sh                 the classifiers through `infer_in_place` (feature
#                                              in-place: one arena of IN_PLACE_BYTES; build.rs
#                                              then runs the same entry on the host); kws01,
#                                              vww01, ic01 unless MODELS says otherwise
set -euo pipefail
cd "$(dirname "$0")"
fail() {
    echo "cortex-m mlperf: $*" >&2
    exit 1
}
for tool in /usr/bin/rustc /usr/bin/cargo ld.lld-22 qemu-system-arm size; do
    command -v "$tool" >/dev/null || fail "$tool not found: run install.sh (as root) first"
done
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 CARGO_TERM_COLOR=never
export MEMORY_X=memory-mps2.x QEMU_MACHINE=mps2-an386
target=thumbv7em-none-eabihf
features=ad01,mlperf entry=infer
if [ "${IN_PLACE:-0}" = 1 ]; then
    features=mlperf,in-place entry=infer_in_place
    models=${MODELS:-kws01 vww01 ic01}
    case " $models " in *" ad01 "*) fail "IN_PLACE=1: ad01 has no in-place build" ;; esac
fi
models=${models:-${MODELS:-ad01 kws01 vww01 ic01}}
bins=()
for m in $models; do bins+=(--bin "$m"); done
export CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_TARGET_DIR=target
/usr/bin/cargo build --release -j 2 --target "$target" --features "$features" "${bins[@]}" ||
    fail "build failed"
summary=()
for m in $models; do
    elf=$CARGO_TARGET_DIR/$target/release/$m
    echo "== $m"
    size -A "$elf" | grep -E '^\.(vector_table|text|rodata|data|bss) '
    if ! out=$(./qemu-run.sh "$elf"); then
        echo "$out"
        fail "$m: QEMU run failed (fault, hang, or outputs not the host's or LiteRT's)"
    fi
    echo "$out"
    if [ "$m" = ad01 ]; then
        lines='^(anomaly score|outputs):'
        host=../target/release/ad01
        if [ "${NO_HOST:-0}" = 1 ]; then
            echo "cortex-m ad01: not compared with the host build (NO_HOST=1)"
        elif [ -x "$host" ]; then
            # the host's no-std build runs the portable kernels, whose sums the Arm kernels
            # reproduce: equal lines mean the same score and bit-identical outputs in all windows
            if ! diff <("$host" | grep -E "$lines") <(echo "$out" | grep -E "$lines"); then
                fail "ad01: output differs from the host build's (lines above: < host, > Cortex-M)"
            fi
            echo "cortex-m ad01: the same score and output hash as the host build (bit-identical outputs)"
        else
            fail "no host build at embedded/target/release/ad01 to compare with (build it: cd embedded && cargo build --release --features ad01; or NO_HOST=1)"
        fi
    fi
    read -r text data bss _ < <(size "$elf" | tail -1)
    stack=$(echo "$out" | sed -n 's/^stack used (deepest): \([0-9]*\) bytes$/\1/p')
    insns=$(echo "$out" | sed -n 's/^instructions per inference .* mean \([0-9]*\)$/\1/p')
    per_mac=$(echo "$out" | sed -n 's/^instructions per MAC .*: \([0-9.]*\)$/\1/p')
    [ -n "$stack" ] && [ -n "$insns" ] || fail "$m: no stack or instruction count in the output"
    summary+=("cortex-m $m summary ($target, opt-level 3, $MEMORY_X, $entry): flash $text B, RAM $((data + bss + stack)) B (.data $data + .bss $bss + stack $stack), $insns instructions per inference, $per_mac per MAC")
done
printf '%s\n' "${summary[@]}"
