"""Fixtures for dl-core/src/layers/concat.rs: torch.cat of two branches along channels."""
import torch
import torch.nn as nn

from torch_fixtures import case, layer_case


class TwoConvs(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 2, 3, padding=1)
        self.b = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], dim=1)


@case
def concat():
    layer_case("concat_two_convs", TwoConvs(), (2, 3, 5, 7), 21)
