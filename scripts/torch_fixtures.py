"""Writes dl-core/fixtures/*.txt: inputs, weights, outputs and gradients computed by PyTorch.

Each file holds one layer case, one tensor per line: `name v0 v1 ...` (float32, row-major,
NCHW). The Rust tests load the same weights, run forward and backward with the same `dy`,
and compare. Run:  python3 scripts/torch_fixtures.py   (PyTorch CPU; deterministic seeds)

Cases are registered with @case; other files may add theirs by importing `case` and `save`.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dl-core", "fixtures")
CASES = sys.modules.setdefault("_dl_fixture_cases", type(sys)("_dl_fixture_cases")).__dict__.setdefault("CASES", {})


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def save(name, **tensors):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name + ".txt"), "w") as f:
        for key, t in tensors.items():
            vals = t.detach().to(torch.float32).reshape(-1).tolist()
            f.write(key + " " + " ".join("%.9g" % v for v in vals) + "\n")


def layer_case(name, module, x_shape, seed, extra_x=None):
    """Forward + backward of `module` on a random input; saves x, params, y, dy, dx, d<param>."""
    torch.manual_seed(seed)
    for p in module.parameters():
        with torch.no_grad():
            p.copy_(torch.randn_like(p) * 0.5)
    x = (torch.randn(*x_shape) if extra_x is None else extra_x).requires_grad_(True)
    y = module(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    tensors = {"x": x}
    for pname, p in module.named_parameters():
        tensors[pname] = p
    tensors.update(y=y, dy=dy, dx=x.grad)
    for pname, p in module.named_parameters():
        tensors["d" + pname] = p.grad
    save(name, **tensors)


@case
def linear():
    layer_case("linear", nn.Linear(5, 3), (4, 5), 1)


@case
def conv():
    layer_case("conv_s1p1", nn.Conv2d(3, 4, 3, padding=1), (2, 3, 5, 7), 2)
    layer_case("conv_s2p1", nn.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 7, 6), 3)
    layer_case("conv_d2", nn.Conv2d(2, 3, 3, padding=2, dilation=2), (2, 2, 9, 8), 4)
    layer_case("conv_1x1", nn.Conv2d(4, 2, 1), (3, 4, 3, 5), 5)


@case
def conv_nobias():
    # bias=False (ResNet, GoogLeNet, FCN's up-convolutions): no `bias` / `dbias` in the files.
    layer_case("conv_nobias_s1p1", nn.Conv2d(3, 4, 3, padding=1, bias=False), (2, 3, 5, 7), 21)
    layer_case("conv_nobias_s2p1", nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=False),
               (2, 3, 7, 6), 22)
    layer_case("convt_nobias_k4s2p1",
               nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1, bias=False), (2, 3, 5, 4), 23)
    layer_case("convt_nobias_1x1", nn.ConvTranspose2d(4, 5, 1, bias=False), (2, 4, 3, 3), 24)


@case
def activations():
    torch.manual_seed(6)
    x = torch.randn(50) * 3
    for name, f in [("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", F.relu),
                    ("leaky_relu", F.leaky_relu)]:
        save("act_" + name, x=x, y=f(x))


if __name__ == "__main__":
    # Extra case modules (one per layer family) live beside this file as torch_fixtures_*.py.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    for fname in sorted(os.listdir(here)):
        if fname.startswith("torch_fixtures_") and fname.endswith(".py"):
            __import__(fname[:-3])
    only = sys.argv[1:]
    for n, fn in CASES.items():
        if not only or n in only:
            fn()
            print("wrote", n)
