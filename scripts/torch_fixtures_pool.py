"""Pooling fixtures: nn.MaxPool2d (padding, dilation), nn.AvgPool2d (count_include_pad=True)
and nn.AdaptiveAvgPool2d(1). Inputs are random normal, so no window has a tied maximum.
Run: python3 scripts/torch_fixtures.py maxpool avgpool global_avgpool pool_ceil"""
import torch.nn as nn

from torch_fixtures import case, layer_case


@case
def maxpool():
    layer_case("maxpool_k3s2p1", nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 9), 21)
    layer_case("maxpool_k2", nn.MaxPool2d(2), (3, 3, 5, 7), 22)
    layer_case("maxpool_k3s2p1d2", nn.MaxPool2d(3, stride=2, padding=1, dilation=2), (2, 2, 9, 10), 23)


@case
def avgpool():
    layer_case("avgpool_k3s2p1", nn.AvgPool2d(3, stride=2, padding=1), (2, 3, 7, 9), 24)
    layer_case("avgpool_k2", nn.AvgPool2d(2), (3, 3, 5, 7), 25)


@case
def global_avgpool():
    layer_case("global_avgpool", nn.AdaptiveAvgPool2d(1), (2, 4, 5, 7), 26)


@case
def pool_ceil():
    # ceil_mode=True: GoogLeNet's pool (112 → 56; 7 → 3 divides exactly), a 2×2 window running
    # off a 5×5 input, a last window starting in the left padding's reach, and AvgPool2d's
    # divisor for windows clipped at the padded input's end (count_include_pad=True).
    layer_case("maxpool_k3s2_ceil_112", nn.MaxPool2d(3, stride=2, ceil_mode=True), (1, 2, 112, 9), 31)
    layer_case("maxpool_k3s2_ceil_7", nn.MaxPool2d(3, stride=2, ceil_mode=True), (2, 3, 7, 8), 32)
    layer_case("maxpool_k2_ceil_5", nn.MaxPool2d(2, ceil_mode=True), (2, 3, 5, 5), 33)
    layer_case("maxpool_k3s2p1d2_ceil", nn.MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True), (2, 2, 9, 10), 34)
    layer_case("avgpool_k3s2_ceil", nn.AvgPool2d(3, stride=2, ceil_mode=True), (2, 3, 8, 7), 35)
    layer_case("avgpool_k2_ceil_5", nn.AvgPool2d(2, ceil_mode=True), (2, 3, 5, 5), 36)
    layer_case("avgpool_k3s3p1_ceil", nn.AvgPool2d(3, stride=3, padding=1, ceil_mode=True), (2, 2, 6, 7), 37)
