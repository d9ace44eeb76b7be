"""Fixtures for NaN and ±inf through every activation and pool, and for BatchNorm2d at 64×64
with offset, low-variance channels (float64 PyTorch as the reference, float32 PyTorch beside it
to show its own error).

Run:  python3 scripts/torch_fixtures.py act_nonfinite pool_nonfinite bn_large
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_fixtures import case, layer_case, save

NAN, INF = float("nan"), float("inf")


@case
def act_nonfinite():
    # every special value, both zeros, and ordinary values on each side of 0
    x = torch.tensor([NAN, INF, -INF, 0.0, -0.0, -1.5, 2.0, 1e-30, -1e-30, 50.0, -50.0, NAN])
    torch.manual_seed(31)
    dy = torch.randn(x.shape)
    dy[-1] = NAN  # a NaN gradient arriving at a NaN input
    for name, f in [("relu", F.relu), ("leaky_relu", F.leaky_relu), ("sigmoid", torch.sigmoid),
                    ("tanh", torch.tanh)]:
        xi = x.clone().requires_grad_(True)
        y = f(xi)
        y.backward(dy)
        save("act_nonfinite_" + name, x=x, y=y, dy=dy, dx=xi.grad)


def poison(shape, seed, spots):
    """Random normal input with NaN / ±inf written at the given (n, c, h, w) spots."""
    torch.manual_seed(seed)
    x = torch.randn(*shape)
    for (n, c, h, w), v in spots:
        x[n, c, h, w] = v
    return x


@case
def pool_nonfinite():
    # a lone NaN, +inf, -inf; two NaNs sharing windows (the gradient goes to the last NaN, as
    # PyTorch's `val > max || isnan(val)` keeps replacing it); a window of -inf only.
    spots = [((0, 0, 1, 1), NAN), ((0, 0, 4, 5), INF), ((0, 1, 2, 2), -INF),
             ((1, 1, 5, 7), NAN), ((1, 1, 5, 8), NAN), ((1, 0, 6, 0), INF), ((1, 0, 6, 1), NAN)]
    ninf = [((0, 1, h, w), -INF) for h in range(0, 3) for w in range(5, 8)]
    x = poison((2, 2, 7, 9), 41, spots + ninf)
    layer_case("maxpool_nonfinite_k3s2p1", nn.MaxPool2d(3, stride=2, padding=1), None, 41, x.clone())
    layer_case("maxpool_nonfinite_k2", nn.MaxPool2d(2), None, 42, x.detach().clone())
    layer_case("avgpool_nonfinite_k3s2p1", nn.AvgPool2d(3, stride=2, padding=1), None, 43, x.detach().clone())
    layer_case("global_avgpool_nonfinite", nn.AdaptiveAvgPool2d(1), None, 44, x.detach().clone())


def hashed(n, k):
    """`n` values 2u − 1, u = bits 8..32 of `(i + 1)·2654435761 + k·40503 (mod 2³²)` over 2²⁴,
    exact in float32: the Rust test makes the same ones (no big input in the fixture)."""
    i = np.arange(n, dtype=np.uint64)
    h = ((i + 1) * np.uint64(2654435761) + np.uint64(k * 40503)) % np.uint64(2**32)
    u = (h >> np.uint64(8)).astype(np.float32) * np.float32(2.0**-24)
    return u * np.float32(2.0) - np.float32(1.0)


@case
def bn_large():
    """BatchNorm2d(3) train step on [2, 3, 64, 64]: channel means 3, -20, 0.5 and standard
    deviations 1e-3, 0.5, 1 (the first is the low-variance, offset case where f32 sums fail)."""
    n, c, h, w = 2, 3, 64, 64
    means = np.array([3.0, -20.0, 0.5], dtype=np.float32)
    stds = np.array([1e-3, 0.5, 1.0], dtype=np.float32)
    t = hashed(n * c * h * w, 0).reshape(n, c, h, w)
    x32 = stds[None, :, None, None] * t + means[None, :, None, None]  # float32 ops, as in Rust
    dy32 = hashed(n * c * h * w, 1).reshape(n, c, h, w)
    gamma = torch.tensor([0.7, 1.3, 1.0])
    beta = torch.tensor([0.1, -0.2, 0.3])
    out = {}
    for dt, tag in [(torch.float64, "64"), (torch.float32, "32")]:
        bn = nn.BatchNorm2d(c).to(dt)
        with torch.no_grad():
            bn.weight.copy_(gamma)
            bn.bias.copy_(beta)
        x = torch.from_numpy(x32).to(dt).requires_grad_(True)
        y = bn(x)
        y.backward(torch.from_numpy(dy32).to(dt))
        idx = torch.arange(0, n * c * h * w, 331)
        out.update({"y" + tag: y.reshape(-1)[idx], "dx" + tag: x.grad.reshape(-1)[idx],
                    "dweight" + tag: bn.weight.grad, "dbias" + tag: bn.bias.grad,
                    "running_mean" + tag: bn.running_mean, "running_var" + tag: bn.running_var})
    out["idx"] = idx.to(torch.float32)
    out["x_sum"] = torch.tensor([float(x32.astype(np.float64).sum())])
    out["dy_sum"] = torch.tensor([float(dy32.astype(np.float64).sum())])
    save("bn2d_64x64_offset", **out)
