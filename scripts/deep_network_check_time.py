#!/usr/bin/env python3
"""Times `cargo check` of a `network!` with N layers (type-check time of the macro's expansion).

Usage: scripts/deep_network_check_time.py DL_PATH WORKDIR PATTERN N [N ...]

Writes a scratch crate in WORKDIR that depends on the `dl` facade at DL_PATH, checks it once
(dependencies), then for each N writes a network of N layers on an [8, 8, 8] input, the
pattern repeated, then `Flatten, Linear(512, 10)` (2 more; `lin` and `wide` take a [512]
vector and end with `ReLU, Linear(512, 10)`), and prints the wall time of
`cargo check` of that crate alone (best of 2 runs) and the CPU time (user + system) of the
rustc it runs, which a loaded machine inflates less. Incremental compilation is off
(`CARGO_INCREMENTAL=0`): with it on, the second run would only re-use the first's results. Patterns (layers counted one by one):
  conv: Conv2d(8, 8, 3, pad = 1), ReLU
  bn:   Conv2d(8, 8, 3, pad = 1, bias = false), BatchNorm2d(8), ReLU
  res:  residual { Conv2d(8, 8, 3, pad = 1), ReLU, Conv2d(8, 8, 3, pad = 1) }, ReLU  (4 layers)
  big:  Conv2d(64, 64, 3, pad = 1), BatchNorm2d(64), ReLU on [64, 56, 56] (ResNet's sizes)
  mix:  Conv2d(8, 8, 3, pad = 1), BatchNorm2d(8), ReLU, Dropout(0.1)
  lin:  Linear(512, 512), ReLU
  pool: Conv2d(8, 8, 3, pad = 1), MaxPool2d(3, stride = 1, padding = 1),
        AvgPool2d(3, stride = 1, padding = 1), LocalResponseNorm(3)
  cat:  concat { { Conv2d(8, 4, 1) }, { Conv2d(8, 4, 3, pad = 1) } }, ReLU  (3 layers)
  skip: tap tI, Conv2d(8, 8, 3, pad = 1), ReLU, skip(tI)  (2 layers)
  wide: Linear(512, 2000), ReLU, Linear(2000, 512), Tanh  (2000 > 1024: typenum's binary form)
"""
import os
import resource
import subprocess
import sys
import time


PATTERNS = {
    "conv": ["Conv2d(8, 8, 3, pad = 1),", "ReLU,"],
    "bn": ["Conv2d(8, 8, 3, pad = 1, bias = false),", "BatchNorm2d(8),", "ReLU,"],
    "res": ["residual { Conv2d(8, 8, 3, pad = 1), ReLU, Conv2d(8, 8, 3, pad = 1) },", "ReLU,"],
    "mix": ["Conv2d(8, 8, 3, pad = 1),", "BatchNorm2d(8),", "ReLU,", "Dropout(0.1),"],
    "lin": ["Linear(512, 512),", "ReLU,"],
    "big": ["Conv2d(64, 64, 3, pad = 1),", "BatchNorm2d(64),", "ReLU,"],
    "pool": [
        "Conv2d(8, 8, 3, pad = 1),",
        "MaxPool2d(3, stride = 1, padding = 1),",
        "AvgPool2d(3, stride = 1, padding = 1),",
        "LocalResponseNorm(3),",
    ],
    "cat": ["concat { { Conv2d(8, 4, 1) }, { Conv2d(8, 4, 3, pad = 1) } },", "ReLU,"],
    "skip": ["tap t{i},", "Conv2d(8, 8, 3, pad = 1),", "ReLU,", "skip(t{i}),"],
    "wide": ["Linear(512, 2000),", "ReLU,", "Linear(2000, 512),", "Tanh,"],
}
LAYERS = {"big": 3, "conv": 2, "bn": 3, "res": 4, "mix": 4, "lin": 2, "wide": 4, "pool": 4, "cat": 3, "skip": 2}


def net(pattern: str, n: int) -> str:
    body = []
    per = LAYERS[pattern]
    for i in range(max(1, (n - 2) // per)):
        body += ["        " + line.replace("{i}", str(i)) for line in PATTERNS[pattern]]
    vector = pattern in ("lin", "wide")
    body += (["        ReLU,"] if vector else ["        Flatten,"]) + ["        Linear(512, 10),"]
    shape = "[512]" if vector else "[8, 8, 8]"
    if pattern == "big":
        shape, body[-1] = "[64, 56, 56]", "        Linear(200704, 10),"
    layers = "\n".join(body)
    return f"""use dl::network;

network! {{
    /// {n} layers.
    pub struct Deep: {shape} {{
{layers}
    }}
}}

fn main() {{
    println!("{{}} {{}}", Deep::PARAMS, Deep::ARENA_LEN);
}}
"""


def main() -> None:
    dl, work, pattern = sys.argv[1], sys.argv[2], sys.argv[3]
    ns = [int(a) for a in sys.argv[4:]]
    os.makedirs(os.path.join(work, "src"), exist_ok=True)
    with open(os.path.join(work, "Cargo.toml"), "w") as f:
        f.write(
            f'[package]\nname = "deep"\nversion = "0.0.0"\nedition = "2021"\n\n'
            f'[dependencies]\ndl = {{ package = "typed-dl", path = "{os.path.abspath(dl)}" }}\n\n[workspace]\n'
        )
    main_rs = os.path.join(work, "src", "main.rs")
    with open(main_rs, "w") as f:
        f.write(net(pattern, 4))
    env = dict(os.environ, CARGO_INCREMENTAL="0")
    subprocess.run(["cargo", "check", "-q"], cwd=work, check=True, env=env)
    for n in ns:
        with open(main_rs, "w") as f:
            f.write(net(pattern, n))
        best, best_cpu = None, None
        for _ in range(2):
            os.utime(main_rs)
            t = time.monotonic()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            r = subprocess.run(
                ["cargo", "check", "-q"], cwd=work, capture_output=True, text=True, env=env
            )
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            dt = time.monotonic() - t
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            if r.returncode != 0:
                print(r.stderr[-3000:])
                sys.exit(f"cargo check failed at {n} layers")
            best = dt if best is None else min(best, dt)
            best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
        print(f"{n} layers: cargo check {best:.2f} s wall, {best_cpu:.2f} s CPU", flush=True)


if __name__ == "__main__":
    main()
