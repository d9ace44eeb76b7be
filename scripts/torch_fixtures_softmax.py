"""Fixtures for dl-core/src/layers/softmax.rs: softmax over features, and over channels per pixel."""
import torch.nn as nn

from torch_fixtures import case, layer_case


@case
def softmax():
    layer_case("softmax_vec", nn.Softmax(dim=1), (3, 7), 31)
    layer_case("softmax_pixel", nn.Softmax(dim=1), (2, 4, 3, 5), 32)
