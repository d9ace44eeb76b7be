"""The digits round trip: weights trained by dl open in PyTorch and give dl's answers.

    cargo run --release --example digits -- --save target/digits.safetensors
    python3 scripts/digits_torch_check.py [target/digits.safetensors]

Builds examples/digits.rs's `Cnn` as a PyTorch nn.Sequential (same layers, same order, so the
state_dict names are "0.weight", "0.bias", "2.…", "5.…", "10.…"), loads the weights dl saved with
load_state_dict(strict=True), runs the images stored in digits.check.safetensors (the 360 test
digits) in eval mode and compares with dl's logits and predictions saved beside them.

Exit code 0 when every prediction is equal and every logit is within 1e-4 of dl's; 1 otherwise.
"""
import os
import sys

import torch
import torch.nn as nn
from safetensors.torch import load_file

TOL = 1e-4


def cnn():
    """examples/digits.rs's network, layer for layer."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),                     # 0, 1
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 2, 3, 4
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 5, 6, 7
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(256, 10),            # 8, 9, 10
    )


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    weights = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "target", "digits.safetensors")
    check = os.path.splitext(weights)[0] + ".check.safetensors"
    net = cnn()
    net.load_state_dict(load_file(weights), strict=True)
    net.eval()
    data = load_file(check)
    x, dl_logits = data["images"], data["logits"]
    dl_pred, labels = data["predictions"], data["labels"]
    with torch.no_grad():
        logits = net(x)
    pred = logits.argmax(dim=1)
    diff = (logits - dl_logits).abs().max().item()
    same = int((pred == dl_pred).sum())
    n = len(labels)
    print(f"{weights}: {len(net.state_dict())} tensors loaded with strict=True")
    print(f"{n} test digits: predictions equal {same}/{n}; max |logit difference| {diff:.3e} (tolerance {TOL:g})")
    print(f"accuracy: PyTorch {(pred == labels).float().mean().item() * 100:.2f} %, "
          f"dl {(dl_pred == labels).float().mean().item() * 100:.2f} %")
    ok = same == n and diff <= TOL
    print("round trip OK" if ok else "round trip FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
