"""Maxout fixtures. PyTorch has no Maxout layer: the reference groups K consecutive features
(or channels) with x.view(B, N // K, K, ...) and takes .max(2); autograd gives dx.
Inputs are random normal, so no group has a tied maximum.
Run: python3 scripts/torch_fixtures.py maxout"""
import torch

from torch_fixtures import case, save


def maxout_case(name, x_shape, k, seed):
    torch.manual_seed(seed)
    x = torch.randn(*x_shape, requires_grad=True)
    b, n = x_shape[0], x_shape[1]
    y = x.view(b, n // k, k, *x_shape[2:]).max(2).values
    dy = torch.randn_like(y)
    y.backward(dy)
    save(name, x=x, y=y, dy=dy, dx=x.grad)


@case
def maxout():
    maxout_case("maxout_1d", (3, 12), 3, 31)
    maxout_case("maxout_3d", (2, 6, 3, 5), 3, 32)
