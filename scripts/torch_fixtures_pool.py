"""Pooling fixtures: nn.MaxPool2d (padding, dilation), nn.AvgPool2d (count_include_pad=True)
and nn.AdaptiveAvgPool2d(1). Inputs are random normal, so no window has a tied maximum.
Run: python3 scripts/torch_fixtures.py maxpool avgpool global_avgpool"""
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
