"""Writes tests/fixtures/ for PyTorch parity of whole networks loaded from safetensors.

* lenet5.safetensors — a LeNet-5 (ReLU, max-pool, input 1x28x28: conv1 6@5x5 pad 2, pool,
  conv2 16@5x5, pool, fc1 120, fc2 84, fc3 10) with random weights, as PyTorch's state_dict.
  lenet5_io.safetensors — an input batch `x` [3, 1, 28, 28] and PyTorch's output `y` [3, 10].
* resnet18_io.safetensors — torchvision's ResNet-18 in eval mode at input 3x32x32, with every
  state_dict tensor filled by `pattern(name, shape)` below (the Rust test fills its network the
  same way, so the 46 MB of weights need not be committed): `x` [2, 3, 32, 32] and `y` [2, 1000].
  With `--resnet-weights` it also writes target/resnet18.safetensors (not committed) for the
  ignored Rust test that loads PyTorch's own file.

Run:  python3 scripts/deploy_fixtures.py [lenet5] [resnet18] [--resnet-weights]
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "fixtures")


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def lenet5():
    torch.manual_seed(5)
    net = LeNet5().eval()
    with torch.no_grad():
        for p in net.parameters():
            p.uniform_(-0.3, 0.3)
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        y = net(x)
    os.makedirs(OUT, exist_ok=True)
    save_file(net.state_dict(), os.path.join(OUT, "lenet5.safetensors"))
    save_file({"x": x, "y": y}, os.path.join(OUT, "lenet5_io.safetensors"))


def fnv1a(name):
    h = 0x811C9DC5
    for b in name.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def pattern(name, shape):
    """Deterministic values in float64, rounded once to float32 (reproduced in the Rust test):
    u_i = ((i * 2654435761 + fnv1a(name)) mod 2^32) / 2^32 - 0.5, then per kind:
    weight of a conv/linear (rank >= 2): u * 2 * sqrt(3 / fan_in) (variance 1/fan_in);
    1-D `*.weight` (BatchNorm gamma): 1 + 0.2 u; `*.bias`: 0.1 u; `running_mean`: 0.1 u;
    `running_var`: 1 + 0.5 (u + 0.5)."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.uint64)
    u = ((i * np.uint64(2654435761) + np.uint64(fnv1a(name))) % np.uint64(1 << 32)).astype(np.float64) / 2.0**32 - 0.5
    if len(shape) >= 2:
        fan_in = n // shape[0]
        v = u * 2.0 * math.sqrt(3.0 / fan_in)
    elif name.endswith("running_var"):
        v = 1.0 + 0.5 * (u + 0.5)
    elif name.endswith("running_mean") or name.endswith("bias"):
        v = 0.1 * u
    else:
        v = 1.0 + 0.2 * u
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def resnet18(write_weights):
    import torchvision

    net = torchvision.models.resnet18().eval()
    sd = {}
    for k, v in net.state_dict().items():
        sd[k] = v if k.endswith("num_batches_tracked") else pattern(k, tuple(v.shape))
    net.load_state_dict(sd)
    torch.manual_seed(18)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        y = net(x)
    os.makedirs(OUT, exist_ok=True)
    save_file({"x": x, "y": y}, os.path.join(OUT, "resnet18_io.safetensors"))
    if write_weights:
        os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
        save_file(sd, os.path.join(ROOT, "target", "resnet18.safetensors"))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if not args or "lenet5" in args:
        lenet5()
    if not args or "resnet18" in args:
        resnet18("--resnet-weights" in sys.argv)
