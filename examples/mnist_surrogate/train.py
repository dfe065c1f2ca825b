"""Train a 784 -> 128 -> 128 -> 10 SpikingNet (or a ConvSpikingNet) on MNIST.

    python examples/mnist_surrogate/train.py --epochs 10 --device cuda [--conv] [--data DIR]

MNIST comes from torchvision when it is importable (downloaded into --data on first use), or from a
local ``mnist.npz`` with arrays ``x_train, y_train, x_test, y_test`` (uint8 images, the layout Keras
distributes) passed as ``--npz PATH``.  Pixels are scaled to [0, 1] and repeated over T steps.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from sc_neurocore.training import ConvSpikingNet, SpikingNet, auto_device, evaluate, train_epoch
from torch.utils.data import DataLoader, TensorDataset

HOW_TO_GET_MNIST = """MNIST is not available.  Either
  * install torchvision for your torch version (pip install torchvision, matching torch's version), or
  * download mnist.npz (x_train, y_train, x_test, y_test; e.g. the file Keras uses,
    https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz) and pass --npz mnist.npz"""


def load_mnist(data_dir: str, npz: str | None):
    """``(x_train, y_train, x_test, y_test)`` as float32 (N, 784) in [0, 1] and int64 labels, or None."""
    if npz:
        with np.load(npz) as d:
            arrays = [d[k] for k in ("x_train", "y_train", "x_test", "y_test")]
    else:
        try:
            from torchvision import datasets
        except Exception:  # ImportError, or a torchvision built for another torch
            return None
        train = datasets.MNIST(data_dir, train=True, download=True)
        test = datasets.MNIST(data_dir, train=False, download=True)
        arrays = [train.data.numpy(), train.targets.numpy(), test.data.numpy(), test.targets.numpy()]
    x_tr, y_tr, x_te, y_te = arrays
    scale = lambda x: torch.as_tensor(x.reshape(len(x), -1), dtype=torch.float32) / 255.0  # noqa: E731
    return scale(x_tr), torch.as_tensor(y_tr, dtype=torch.long), scale(x_te), torch.as_tensor(y_te, dtype=torch.long)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    parser.add_argument("--T", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--conv", action="store_true", help="train a ConvSpikingNet instead")
    parser.add_argument("--data", default="./data", help="torchvision download folder")
    parser.add_argument("--npz", default=None, help="a local mnist.npz instead of torchvision")
    args = parser.parse_args(argv)

    data = load_mnist(args.data, args.npz)
    if data is None:
        print(HOW_TO_GET_MNIST, file=sys.stderr)
        return 2
    x_tr, y_tr, x_te, y_te = data
    torch.manual_seed(args.seed)
    device = torch.device(args.device) if args.device else auto_device()
    if args.conv:
        model = ConvSpikingNet(n_output=10).to(device)
    else:
        model = SpikingNet(n_input=784, n_hidden=128, n_output=10, n_layers=2, beta=0.9).to(device)
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(TensorDataset(x_te, y_te), batch_size=512)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        loss, acc = train_epoch(model, train_loader, optimizer, args.T, device=device)
        _, test_acc = evaluate(model, test_loader, args.T, device=device)
        print(f"Epoch {epoch:2d}  loss {loss:.4f}  train {acc:.2%}  test {test_acc:.2%}  ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
