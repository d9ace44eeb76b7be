"""Writes tests/fixtures/tv_<model>_<size>.safetensors: torchvision's own model, in eval mode, with
every state_dict tensor filled by he_pattern(name, shape) below, run on a deterministic input, and
its output `y`. The Rust test (tests/torchvision_parity.rs) fills dl-models' network
through the same names and the same pattern, loads it with dl::io::from_bytes, runs the same
input and compares: the architecture, the parameter names and their order must all agree.

Only the outputs are committed (4 KB per model): weights and inputs are recomputed on both sides.
The input `x` of shape [n, 3, s, s] is 4 u_i with u_i as in pattern() for the name "input", so
values lie in [-2, 2).

Needs torchvision (pip install torchvision pillow; the CPU wheel of the installed torch).
Run:  python3 scripts/torchvision_fixtures.py [name ...]     (default: all)
"""
import os
import sys

import numpy as np
import torch
import torchvision
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deploy_fixtures import OUT, fnv1a  # noqa: E402

# name: (torchvision constructor, input side, batch)
MODELS = {
    "resnet18_32": (lambda: torchvision.models.resnet18(), 32, 2),
    "resnet50_32": (lambda: torchvision.models.resnet50(), 32, 1),
    "googlenet_32": (lambda: torchvision.models.googlenet(aux_logits=False, init_weights=False), 32, 1),
    "googlenet_224": (lambda: torchvision.models.googlenet(aux_logits=False, init_weights=False), 224, 1),
    "alexnet_63": (lambda: torchvision.models.alexnet(), 63, 1),
    "vgg11_32": (lambda: torchvision.models.vgg11(), 32, 1),
    "vgg16_32": (lambda: torchvision.models.vgg16(), 32, 1),
}


def uniform(name, n):
    """u_i in [-0.5, 0.5), i < n: k = (i * 2654435761 + fnv1a(name)) mod 2^32 scrambled by
    murmur3's 32-bit finaliser (so neighbouring values are unrelated: the plain sequence is so
    even that convolutions of smooth maps cancel out), then k / 2^32 - 0.5 in float64."""
    m = np.uint64(0xFFFFFFFF)
    k = (np.arange(n, dtype=np.uint64) * np.uint64(2654435761) + np.uint64(fnv1a(name))) & m
    k ^= k >> np.uint64(16)
    k = (k * np.uint64(0x85EBCA6B)) & m
    k ^= k >> np.uint64(13)
    k = (k * np.uint64(0xC2B2AE35)) & m
    k ^= k >> np.uint64(16)
    return k.astype(np.float64) / 2.0**32 - 0.5


def he_pattern(name, shape):
    """Deterministic weights that keep the signal alive through deep ReLU nets (so that every
    layer moves the output; deploy_fixtures.pattern's variance 1/fan_in fades it), rounded once
    to float32: weight of rank >= 2: u * 2 * sqrt(6 / fan_in) (variance 2/fan_in, He);
    1-D `*.weight` (BatchNorm gamma): 1 + 0.2 u; `*.bias` and `running_mean`: 0.01 u;
    `running_var`: 1 + 0.5 u."""
    n = int(np.prod(shape))
    u = uniform(name, n)
    if len(shape) >= 2:
        v = u * 2.0 * np.sqrt(6.0 / (n // shape[0]))
    elif name.endswith("running_var"):
        v = 1.0 + 0.5 * u
    elif name.endswith("running_mean") or name.endswith("bias"):
        v = 0.01 * u
    else:
        v = 1.0 + 0.2 * u
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def inputs(shape):
    return torch.from_numpy((4.0 * uniform("input", int(np.prod(shape)))).astype(np.float32).reshape(shape))


def write(name):
    make, side, batch = MODELS[name]
    net = make().eval()
    sd = {
        k: v if k.endswith("num_batches_tracked") else he_pattern(k, tuple(v.shape))
        for k, v in net.state_dict().items()
    }
    net.load_state_dict(sd, strict=True)
    x = inputs((batch, 3, side, side))
    with torch.no_grad():
        y = net(x)
        # The fixture must be able to fail: a 1 % change of the first layer's weights has to move
        # the output by ten times the Rust test's tolerance, 1e-4 * max(1, max |y|), or more.
        first = next(iter(sd))
        net.load_state_dict({**sd, first: sd[first] * 1.01}, strict=True)
        moved = (net(x) - y).abs().max().item()
    assert moved > 10 * 1e-4 * max(1.0, y.abs().max().item()), (name, moved)
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "tv_%s.safetensors" % name)
    save_file({"y": y.contiguous()}, path)
    print("%-14s %s -> %s, |y| max %.3g, %d parameters; 1%% more %s moves y by %.3g" % (
        name, tuple(x.shape), tuple(y.shape), y.abs().max().item(),
        sum(p.numel() for p in net.parameters()), first, moved))


if __name__ == "__main__":
    names = sys.argv[1:] or list(MODELS)
    for n in names:
        write(n)
