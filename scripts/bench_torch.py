"""PyTorch CPU timings of the cases in examples/bench_core.rs, on 1 and 2 threads.

Prints a table and writes `case threads milliseconds` lines (default target/bench_torch.txt) that
`cargo run --release --example bench_core` reads to print the ratios. Each number is the median
of many samples after warm-up, as in the Rust example.

    python3 scripts/bench_torch.py [--out PATH] [--secs 2]
"""
import argparse
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def median_ms(secs, f):
    t0 = time.perf_counter()
    warm = 0
    while warm < 3 or time.perf_counter() - t0 < 0.15 * secs:
        f()
        warm += 1
    once = (time.perf_counter() - t0) / warm
    inner = max(1, int(2e-3 / once + 0.999))
    samples = min(301, max(15, int(secs / (once * inner))))
    ts = []
    for _ in range(samples):
        s = time.perf_counter()
        for _ in range(inner):
            f()
        ts.append((time.perf_counter() - s) * 1e3 / inner)
    ts.sort()
    return ts[len(ts) // 2]


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def bench(secs):
    out = {}
    torch.manual_seed(0)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        net = lenet()
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
        x = torch.randn(64, 1, 28, 28)
        labels = torch.tensor([(i * 7 + 3) % 10 for i in range(64)])

        def step():
            opt.zero_grad()
            F.cross_entropy(net(x), labels).backward()
            opt.step()

        out["lenet_train_b64", threads] = median_ms(secs, step)
        net.eval()
        x1 = torch.randn(1, 1, 28, 28)
        with torch.inference_mode():
            out["lenet_infer_b1", threads] = median_ms(secs, lambda: net(x1))
            out["lenet_infer_b64", threads] = median_ms(secs, lambda: net(x))

        conv = nn.Conv2d(64, 64, 3, padding=1)
        cx = torch.randn(16, 64, 32, 32)
        cdy = torch.randn(16, 64, 32, 32)
        with torch.no_grad():
            out["conv64_fwd_b16", threads] = median_ms(secs, lambda: conv(cx))
        cxg = cx.clone().requires_grad_(True)

        def fwdbwd():
            conv.zero_grad()
            cxg.grad = None
            conv(cxg).backward(cdy)

        out["conv64_fwdbwd_b16", threads] = median_ms(secs, fwdbwd)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "bench_torch.txt"))
    ap.add_argument("--secs", type=float, default=2.0)
    a = ap.parse_args()
    res = bench(a.secs)
    print("PyTorch %s CPU" % torch.__version__)
    print("%-22s %3s %10s" % ("case", "thr", "torch ms"))
    for (case, t), ms in res.items():
        print("%-22s %3d %10.4f" % (case, t, ms))
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        for (case, t), ms in res.items():
            f.write("%s %d %.6f\n" % (case, t, ms))
    print("wrote", a.out)


if __name__ == "__main__":
    main()
