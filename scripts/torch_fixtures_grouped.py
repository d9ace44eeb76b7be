"""Grouped and depthwise convolution (nn.Conv2d with groups) and nn.ReLU6 fixtures.

Grouped: groups = 2 and 4 (I/G = 2). Depthwise (groups = in_channels): channel multiplier
1 and 2, stride 1 and 2, padding, dilation, a 5×5 kernel without padding, odd sizes, without
bias. ReLU6: random values, the boundary points 0 and 6 and values just around them, NaN and ±∞,
forward and the input gradient (PyTorch's hardtanh_backward: 0 where x ≤ 0 or x ≥ 6; the NaN
sits in the first 16 elements, where PyTorch's vectorised lanes also drop its gradient — its
scalar tail would pass it).
Run: python3 scripts/torch_fixtures.py grouped depthwise relu6"""
import torch
import torch.nn as nn

from torch_fixtures import case, layer_case, save


@case
def grouped():
    layer_case("grouped_g2", nn.Conv2d(4, 6, 3, padding=1, groups=2), (2, 4, 5, 7), 41)
    layer_case("grouped_g4_s2", nn.Conv2d(8, 4, 3, stride=2, padding=1, groups=4), (2, 8, 7, 6), 42)
    layer_case("grouped_g2_d2_nobias",
               nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=2, bias=False), (3, 4, 9, 8), 43)


@case
def depthwise():
    layer_case("dw_m1_p1", nn.Conv2d(3, 3, 3, padding=1, groups=3), (2, 3, 5, 7), 51)
    layer_case("dw_m2_s2p1", nn.Conv2d(3, 6, 3, stride=2, padding=1, groups=3), (2, 3, 7, 8), 52)
    layer_case("dw_m1_d2", nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=4), (2, 4, 9, 8), 53)
    layer_case("dw_m2_s2d2_nobias",
               nn.Conv2d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False),
               (2, 2, 9, 11), 54)
    layer_case("dw_k5", nn.Conv2d(2, 2, 5, groups=2), (1, 2, 7, 9), 55)
    layer_case("dw_m1_s2_p0", nn.Conv2d(5, 5, 3, stride=2, groups=5), (2, 5, 9, 10), 56)


@case
def relu6():
    torch.manual_seed(57)
    special = [0.0, 6.0, -0.0, 1e-7, -1e-7, 6.0 - 1e-6, 6.0 + 1e-6, 3.0,
               float("nan"), float("inf"), float("-inf"), -3.0, 9.0]
    x = torch.cat([torch.tensor(special), torch.randn(40) * 5]).requires_grad_(True)
    y = nn.ReLU6()(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    save("act_relu6", x=x, y=y, dy=dy, dx=x.grad)
