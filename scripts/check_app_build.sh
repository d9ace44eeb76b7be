#!/usr/bin/env bash
# Builds tests/app (a user's crate with a path dependency on dl) from clean, in release, and
# checks from `cargo build -v` that dl-models is compiled only when a model feature is asked
# for. Prints the clean build times. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/../tests/app"
export CARGO_TERM_COLOR=never

# $1: label, rest: cargo flags. Prints wall and CPU time (the CPU time says more on a loaded
# machine); keeps the -v log in $log.
build() {
    log=$(mktemp)
    local TIMEFORMAT="$1: clean release build %R s wall, %U s user + %S s sys CPU"
    time cargo build --release -v "${@:2}" >"$log" 2>&1 || { grep -v "^ *Running" "$log" | tail -40; exit 1; }
}

cargo clean -q
build "app using network! only"
if grep -q -- '--crate-name dl_models' "$log"; then
    echo "FAIL: dl-models was compiled for an app that asked for no model"
    exit 1
fi
./target/release/dl-app-check

cargo clean -q
build "app using dl::models::LeNet5 (--features lenet)" --features lenet
if ! grep -q -- '--crate-name dl_models' "$log"; then
    echo "FAIL: dl-models was not compiled although the app asked for LeNet-5"
    exit 1
fi
if ! grep -- '--crate-name dl_models' "$log" | grep -q 'feature="lenet"' \
    || grep -- '--crate-name dl_models' "$log" | grep -q 'feature="resnet"'; then
    echo "FAIL: dl-models was not built with exactly the lenet family"
    exit 1
fi
./target/release/dl-app-check
rm -f "$log"
