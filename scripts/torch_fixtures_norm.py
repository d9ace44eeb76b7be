"""Fixtures for dl-core/src/layers/norm.rs: BatchNorm1d/2d (train step + eval) and LRN.

Run:  python3 scripts/torch_fixtures.py bn lrn
"""
import torch
import torch.nn as nn

from torch_fixtures import case, save


def bn_case(name, bn, x_shape, seed):
    """One train-mode step (forward, backward, running-stat update), then eval on a new input.

    Saves the running statistics before (`running_mean0`, `running_var0`) and after the step.
    """
    torch.manual_seed(seed)
    with torch.no_grad():
        bn.weight.copy_(torch.randn_like(bn.weight) * 0.5 + 1.0)
        bn.bias.copy_(torch.randn_like(bn.bias) * 0.5)
        bn.running_mean.copy_(torch.randn_like(bn.running_mean) * 0.3)
        bn.running_var.copy_(torch.rand_like(bn.running_var) + 0.5)
    rm0, rv0 = bn.running_mean.clone(), bn.running_var.clone()
    x = (torch.randn(*x_shape) * 1.5 + 0.7).requires_grad_(True)
    bn.train()
    y = bn(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    bn.eval()
    x_eval = torch.randn(*x_shape) * 1.5 + 0.7
    with torch.no_grad():
        y_eval = bn(x_eval)
    save(name, x=x, weight=bn.weight, bias=bn.bias, running_mean0=rm0, running_var0=rv0,
         y=y, dy=dy, dx=x.grad, dweight=bn.weight.grad, dbias=bn.bias.grad,
         running_mean=bn.running_mean, running_var=bn.running_var, x_eval=x_eval, y_eval=y_eval)


@case
def bn():
    bn_case("bn2d", nn.BatchNorm2d(3), (4, 3, 5, 7), 11)
    bn_case("bn2d_b1", nn.BatchNorm2d(2), (1, 2, 3, 3), 12)
    bn_case("bn1d", nn.BatchNorm1d(6), (4, 6), 13)
    bn_case("bn1d_b2", nn.BatchNorm1d(3), (2, 3), 14)


def lrn_case(name, lrn, x_shape, seed, scale):
    torch.manual_seed(seed)
    x = (torch.randn(*x_shape) * scale).requires_grad_(True)
    y = lrn(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    save(name, x=x, y=y, dy=dy, dx=x.grad)


@case
def lrn():
    # PyTorch's defaults (alpha 1e-4, beta 0.75, k 1); large inputs so the normaliser matters.
    lrn_case("lrn5", nn.LocalResponseNorm(5), (2, 7, 3, 4), 21, 20.0)
    lrn_case("lrn3", nn.LocalResponseNorm(3, alpha=0.3, beta=0.6, k=2.0), (2, 5, 3, 3), 22, 1.0)
    # Even size: the window is asymmetric (size/2 channels before, (size-1)/2 after).
    lrn_case("lrn4", nn.LocalResponseNorm(4, alpha=0.5, beta=0.9, k=1.5), (2, 6, 2, 3), 23, 1.0)
    # Window wider than the channel count.
    lrn_case("lrn7_wide", nn.LocalResponseNorm(7, alpha=0.2, beta=0.75, k=1.0), (3, 3, 2, 2), 24, 1.0)


@case
def bn_eps():
    # GoogLeNet's BatchNorm2d(eps=0.001), and a large eps on 1d so a wrong eps cannot pass.
    bn_case("bn2d_eps1e3", nn.BatchNorm2d(3, eps=1e-3), (4, 3, 5, 7), 15)
    bn_case("bn1d_eps05", nn.BatchNorm1d(6, eps=0.5), (4, 6), 16)
