"""Rectangular and asymmetric window fixtures: nn.Conv2d / nn.MaxPool2d / nn.AvgPool2d with
per-axis kernel, stride, padding and dilation, explicit (top, bottom, left, right) padding, and
TF/Keras padding='same' reproduced in PyTorch by an explicit F.pad of the amounts TF computes
(output ceil(N/S) per axis, total max((ceil(N/S)-1)*S + D*(K-1) + 1 - N, 0), the odd pixel at
the bottom/right). TF's average pooling with 'same' divides by the taps inside the input.
Run: python3 scripts/torch_fixtures.py geom_conv geom_pool"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_fixtures import case, layer_case


def same_pad(n, k, s, d=1):
    """TF 'same' along one axis: (before, after)."""
    out = -(-n // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


class PadConv(nn.Module):
    """A convolution on an explicitly padded input: `pad` is (top, bottom, left, right) or
    "same" (TF). Parameters named weight / bias, as nn.Conv2d's."""

    def __init__(self, i, o, k, stride=1, dilation=1, pad="same"):
        super().__init__()
        conv = nn.Conv2d(i, o, k, stride=stride, dilation=dilation)
        self.weight, self.bias = conv.weight, conv.bias
        self.k, self.s, self.d, self.pad = pair(k), pair(stride), pair(dilation), pad

    def amounts(self, x):
        if self.pad == "same":
            t, b = same_pad(x.shape[2], self.k[0], self.s[0], self.d[0])
            l, r = same_pad(x.shape[3], self.k[1], self.s[1], self.d[1])
            return t, b, l, r
        return self.pad

    def forward(self, x):
        t, b, l, r = self.amounts(x)
        return F.conv2d(F.pad(x, (l, r, t, b)), self.weight, self.bias, self.s, 0, self.d)


class SamePool(nn.Module):
    """TF 'same' pooling: max pads with -inf, average divides by the taps inside the input."""

    def __init__(self, kind, k, stride):
        super().__init__()
        self.kind, self.k, self.s = kind, pair(k), pair(stride)

    def forward(self, x):
        t, b = same_pad(x.shape[2], self.k[0], self.s[0])
        l, r = same_pad(x.shape[3], self.k[1], self.s[1])
        if self.kind == "max":
            xp = F.pad(x, (l, r, t, b), value=float("-inf"))
            return F.max_pool2d(xp, self.k, self.s)
        ones = torch.ones_like(x[:1, :1])
        total = F.avg_pool2d(F.pad(x, (l, r, t, b)), self.k, self.s, divisor_override=1)
        count = F.avg_pool2d(F.pad(ones, (l, r, t, b)), self.k, self.s, divisor_override=1)
        return total / count


@case
def geom_conv():
    layer_case("geom_conv_k3x2_s2x1", nn.Conv2d(3, 4, (3, 2), stride=(2, 1)), (2, 3, 7, 6), 61)
    layer_case("geom_conv_p1x0_d1x2", nn.Conv2d(2, 3, 3, padding=(1, 0), dilation=(1, 2)),
               (2, 2, 6, 9), 62)
    layer_case("geom_conv_k2x4_s1x3_p2x1", nn.Conv2d(3, 2, (2, 4), stride=(1, 3), padding=(2, 1)),
               (2, 3, 5, 11), 63)
    # explicit (top, bottom, left, right) = (0, 1, 0, 1) and (2, 0, 1, 3)
    layer_case("geom_conv_tblr_0101", PadConv(2, 3, 2, stride=2, pad=(0, 1, 0, 1)), (2, 2, 5, 5), 64)
    layer_case("geom_conv_tblr_2013", PadConv(2, 3, (3, 2), pad=(2, 0, 1, 3)), (2, 2, 6, 5), 65)
    # TF 'same': KWS's first conv (10x4 stride 2 on 1x49x10 -> 25x5), 3x3 stride 2 on 96 and 32,
    # stride 1 with a dilated rectangular kernel
    layer_case("geom_conv_same_kws", PadConv(1, 4, (10, 4), stride=2), (2, 1, 49, 10), 66)
    layer_case("geom_conv_same_96", PadConv(1, 2, 3, stride=2), (1, 1, 96, 96), 67)
    layer_case("geom_conv_same_32", PadConv(3, 4, 3, stride=2), (2, 3, 32, 32), 68)
    layer_case("geom_conv_same_s1_d", PadConv(2, 3, (4, 3), dilation=(1, 2)), (2, 2, 7, 8), 69)


@case
def geom_pool():
    layer_case("geom_maxpool_k3x2_s2x1", nn.MaxPool2d((3, 2), stride=(2, 1)), (2, 3, 7, 6), 71)
    layer_case("geom_maxpool_p1x0_d1x2",
               nn.MaxPool2d(3, stride=(2, 1), padding=(1, 0), dilation=(1, 2)), (2, 2, 9, 8), 72)
    layer_case("geom_avgpool_25x5", nn.AvgPool2d((25, 5)), (2, 4, 25, 5), 73)
    layer_case("geom_avgpool_k3x2_p1x0", nn.AvgPool2d((3, 2), stride=2, padding=(1, 0)),
               (2, 2, 7, 8), 74)
    layer_case("geom_maxpool_same", SamePool("max", 3, 2), (2, 2, 7, 8), 75)
    layer_case("geom_avgpool_same", SamePool("avg", (3, 2), (2, 3)), (2, 2, 7, 8), 76)
