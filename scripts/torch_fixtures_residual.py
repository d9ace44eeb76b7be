"""Fixtures for dl-core/src/layers/residual.rs: y = F(x) + shortcut(x)."""
import torch.nn as nn

from torch_fixtures import case, layer_case


class Block(nn.Module):
    """conv3x3 - relu - conv3x3 plus a shortcut (identity, or a strided 1x1 projection)."""

    def __init__(self, cin, cout, stride, projection):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride=stride) if projection else nn.Identity()

    def forward(self, x):
        return self.conv2(self.relu(self.conv1(x))) + self.shortcut(x)


@case
def residual():
    layer_case("residual_basic", Block(3, 3, 1, False), (2, 3, 5, 6), 11)
    layer_case("residual_projection", Block(3, 4, 2, True), (2, 3, 7, 6), 12)
