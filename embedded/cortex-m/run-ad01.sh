#!/usr/bin/env bash
# Builds the ad01 binary (MLPerf Tiny's anomaly detector, src/bin/ad01.rs) for a Cortex-M4F with
# Debian's Rust (install.sh first), linked for QEMU's mps2-an386 (4 MiB code, 4 MiB data: the
# 1 MiB of weights do not fit the STM32F405), and runs it. Fails if the build fails, the program
# faults or hangs, or a window's error or the clip's anomaly score is not LiteRT's (the program
# checks). Prints sizes, the program's output and a summary line (flash, RAM, instructions).
# Compares the score and the FNV-1a hash of all outputs with the host's no-std build of the same
# program (embedded/target/release/ad01: cd embedded && cargo build --release --features ad01;
# or NO_HOST=1): bit for bit.
set -euo pipefail
cd "$(dirname "$0")"
fail() {
    echo "cortex-m ad01: $*" >&2
    exit 1
}
for tool in /usr/bin/rustc /usr/bin/cargo ld.lld-22 qemu-system-arm size; do
    command -v "$tool" >/dev/null || fail "$tool not found: run install.sh (as root) first"
done
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 CARGO_TERM_COLOR=never
export MEMORY_X=memory-mps2.x QEMU_MACHINE=mps2-an386
target=thumbv7em-none-eabihf
export CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_TARGET_DIR=target
/usr/bin/cargo build --release -j 2 --target "$target" --features ad01 --bin ad01 ||
    fail "build failed"
elf=$CARGO_TARGET_DIR/$target/release/ad01
size -A "$elf" | grep -E '^\.(vector_table|text|rodata|data|bss) '
size "$elf"
if ! out=$(./qemu-run.sh "$elf"); then
    echo "$out"
    fail "QEMU run failed (fault, hang, or outputs not LiteRT's)"
fi
echo "$out"
lines='^(anomaly score|outputs):'
host=../target/release/ad01
if [ "${NO_HOST:-0}" = 1 ]; then
    echo "cortex-m ad01: not compared with the host build (NO_HOST=1)"
elif [ -x "$host" ]; then
    # the host's no-std build runs the portable kernels, whose sums the Arm kernels reproduce:
    # equal lines mean the same score and bit-identical outputs in all 196 windows
    if ! diff <("$host" | grep -E "$lines") <(echo "$out" | grep -E "$lines"); then
        fail "output differs from the host build's (lines above: < host, > Cortex-M)"
    fi
    echo "cortex-m ad01: the same score and output hash as the host build (bit-identical outputs)"
else
    fail "no host build at embedded/target/release/ad01 to compare with (build it: cd embedded && cargo build --release --features ad01; or NO_HOST=1)"
fi
read -r text data bss _ < <(size "$elf" | tail -1)
stack=$(echo "$out" | sed -n 's/^stack used (deepest): \([0-9]*\) bytes$/\1/p')
insns=$(echo "$out" | sed -n 's/^instructions per inference .* mean \([0-9]*\)$/\1/p')
[ -n "$stack" ] && [ -n "$insns" ] || fail "no stack or instruction count in the output"
echo "cortex-m ad01 summary ($target, opt-level 3, $MEMORY_X): flash $text B, RAM $((data + bss + stack)) B" \
    "(.data $data + .bss $bss + stack $stack), $insns instructions per inference"
