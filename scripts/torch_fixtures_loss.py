"""Fixtures for dl-core/src/loss.rs: MSE, cross-entropy, per-pixel cross-entropy (mean reduction)."""
import torch
import torch.nn as nn

from torch_fixtures import case, save


def accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean()


@case
def loss():
    torch.manual_seed(41)
    y = torch.randn(3, 5, requires_grad=True)
    target = torch.randn(3, 5)
    l = nn.MSELoss()(y, target)
    l.backward()
    save("loss_mse", y=y, target=target, loss=l, dy=y.grad)

    for name, scale in [("loss_ce", 2.0), ("loss_ce_large", 1e4)]:
        logits = (torch.randn(4, 6) * scale).requires_grad_(True)
        labels = torch.tensor([0, 5, 2, 2])
        l = nn.CrossEntropyLoss()(logits, labels)
        l.backward()
        save(name, logits=logits, labels=labels, loss=l, dlogits=logits.grad,
             accuracy=accuracy(logits, labels))

    logits = torch.randn(2, 4, 3, 5, requires_grad=True)
    labels = torch.randint(0, 4, (2, 3, 5))
    labels[0, 1, 2] = 255
    labels[1, 0, 0] = 255
    labels[1, 2, 4] = 255
    l = nn.CrossEntropyLoss(ignore_index=255)(logits, labels)
    l.backward()
    save("loss_pixel_ce", logits=logits, labels=labels, loss=l, dlogits=logits.grad)
