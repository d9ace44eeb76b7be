"""Writes tests/fixtures/ for PyTorch parity of whole networks loaded from safetensors.

* lenet5.safetensors — a LeNet-5 (ReLU, max-pool, input 1x28x28: conv1 6@5x5 pad 2, pool,
  conv2 16@5x5, pool, fc1 120, fc2 84, fc3 10) with random weights, as PyTorch's state_dict.
  lenet5_io.safetensors — an input batch `x` [3, 1, 28, 28] and PyTorch's output `y` [3, 10].
* resnet18_io.safetensors — ResNet-18 (torchvision's layout and state_dict names, written out
  here so torchvision is not needed) in eval mode at input 3x32x32, with every
  state_dict tensor filled by `pattern(name, shape)` below (the Rust test fills its network the
  same way, so the 46 MB of weights need not be committed): `x` [2, 3, 32, 32] and `y` [2, 1000].
  With `--resnet-weights` it also writes target/resnet18.safetensors (not committed) for the
  ignored Rust test that loads PyTorch's own file.

Run:  python3 scripts/deploy_fixtures.py [lenet5] [resnet18] [--resnet-weights]
      python3 scripts/deploy_fixtures.py --check-dl   (after the ignored Rust test: PyTorch
      loads the ResNet-18 file dl saved, strict=True, and compares the output)
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


class BasicBlock(nn.Module):
    """torchvision's BasicBlock (names conv1, bn1, conv2, bn2, downsample.0/1)."""

    def __init__(self, inp, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inp != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inp, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    """torchvision's resnet18 (same module names, so the same state_dict keys)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inp = 64
        for s, planes in enumerate([64, 128, 256, 512]):
            blocks = [BasicBlock(inp, planes, 1 if s == 0 else 2), BasicBlock(planes, planes, 1)]
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*blocks))
            inp = planes
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def resnet18(write_weights):
    net = ResNet18().eval()
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


def check_dl():
    """Loads target/resnet18_from_dl.safetensors (saved by dl's ignored Rust test) strictly and
    compares the output with the fixture."""
    from safetensors.torch import load_file

    net = ResNet18().eval()
    net.load_state_dict(load_file(os.path.join(ROOT, "target", "resnet18_from_dl.safetensors")), strict=True)
    io = load_file(os.path.join(OUT, "resnet18_io.safetensors"))
    with torch.no_grad():
        err = (net(io["x"]) - io["y"]).abs().max().item()
    print("ResNet-18 saved by dl, loaded strictly by PyTorch: max |y - y_fixture| = %.3g" % err)
    assert err < 1e-4


if __name__ == "__main__":
    if "--check-dl" in sys.argv:
        check_dl()
        sys.exit(0)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if not args or "lenet5" in args:
        lenet5()
    if not args or "resnet18" in args:
        resnet18("--resnet-weights" in sys.argv)
