"""Fixtures for the up-sampling family: ConvTranspose2d, Upsample (nearest, bilinear), Crop.

Run:  python3 scripts/torch_fixtures.py conv_transpose upsample crop
"""
import torch.nn as nn

from torch_fixtures import case, layer_case


@case
def conv_transpose():
    layer_case("convt_k4s2p1", nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1), (2, 3, 5, 4), 11)
    layer_case("convt_k3s2p1op1",
               nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1), (2, 2, 4, 5), 12)
    layer_case("convt_d2", nn.ConvTranspose2d(2, 3, 3, padding=1, dilation=2), (3, 2, 5, 4), 13)
    # Output padding below the dilation at stride 1: the last row and column get only the bias.
    layer_case("convt_d2op1", nn.ConvTranspose2d(2, 2, 3, dilation=2, output_padding=1), (2, 2, 3, 4), 14)


@case
def upsample():
    for seed, (mode, f) in enumerate([("nearest", 2), ("nearest", 3), ("bilinear", 2), ("bilinear", 3)]):
        extra = {} if mode == "nearest" else {"align_corners": False}
        layer_case("upsample_%s%d" % (mode, f), nn.Upsample(scale_factor=f, mode=mode, **extra),
                   (2, 3, 4, 5), 20 + seed)


class Crop(nn.Module):
    """x[:, :, top:top+oh, left:left+ow], what an FCN skip link does."""

    def __init__(self, oh, ow, top, left):
        super().__init__()
        self.window = (oh, ow, top, left)

    def forward(self, x):
        oh, ow, top, left = self.window
        return x[:, :, top:top + oh, left:left + ow]


@case
def crop():
    layer_case("crop", Crop(3, 4, 2, 1), (2, 3, 6, 7), 30)
