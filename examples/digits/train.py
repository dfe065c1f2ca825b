"""Train the documented digits SpikingNet (64 -> 128 -> 10, T=25) and report accuracy.

    python examples/digits/train.py --epochs 10 --seed 0 [-o digits.pt]

Same split as the documentation (scikit-learn digits, pixels / 16, test_size=0.2, random_state=42).
"""

from __future__ import annotations

import argparse
import time

import torch
from sc_neurocore.datasets import load_digits_split
from sc_neurocore.training import SpikingNet, auto_device, evaluate, train_epoch
from sc_neurocore.training.checkpoint import save_checkpoint
from torch.utils.data import DataLoader, TensorDataset


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--T", type=int, default=25)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--device", default=None)
    parser.add_argument("-o", "--output", default=None, help="write a checkpoint here")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    x_tr, x_te, y_tr, y_te = (torch.as_tensor(a) for a in load_digits_split())
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=64, shuffle=True)
    test_loader = DataLoader(TensorDataset(x_te, y_te), batch_size=64)
    device = torch.device(args.device) if args.device else auto_device()
    model = SpikingNet(n_input=64, n_hidden=args.hidden, n_output=10, beta=0.9).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    val_acc = 0.0
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        _, acc = train_epoch(model, train_loader, optimizer, args.T, device=device)
        seconds = time.perf_counter() - start
        _, val_acc = evaluate(model, test_loader, args.T, device=device)
        print(f"Epoch {epoch:2d}  train {acc:.1%}  val {val_acc:.1%}  ({seconds:.3f} s)")
    if args.output:
        save_checkpoint(model.cpu(), args.output, dataset="digits", epochs=args.epochs, seed=args.seed, T=args.T,
                        val_accuracy=val_acc)
        print(f"saved {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
