"""``sc-neurocore train``: train a SpikingNet on the documented digits split, save a checkpoint.

Example::

    sc-neurocore train --epochs 10 --seed 0 -o digits.pt

The checkpoint's metadata holds the dataset, epochs, seed, T, learning rate, batch size, the
final validation loss and accuracy and the per-epoch history.
"""

from __future__ import annotations

import sys
import time

from .argtypes import non_negative_int, positive_float, positive_int


def register(subparsers) -> None:
    from ..datasets import DATASETS

    p = subparsers.add_parser(
        "train",
        help="train a SpikingNet (surrogate gradients) and save a checkpoint",
        description="Train a SpikingNet on a dataset with surrogate gradients and save a checkpoint.",
    )
    p.add_argument("--dataset", choices=DATASETS, default="digits", help="dataset (default: digits)")
    p.add_argument("--epochs", type=positive_int, default=10, help="training epochs (default: 10)")
    p.add_argument("--hidden", type=positive_int, default=128, help="neurons per hidden layer (default: 128)")
    p.add_argument("--layers", type=positive_int, default=1, help="hidden layers (default: 1)")
    p.add_argument("--beta", type=float, default=0.9, help="membrane leak in [0, 1] (default: 0.9)")
    p.add_argument("--threshold", type=positive_float, default=1.0, help="firing threshold (default: 1.0)")
    p.add_argument("--surrogate", default="atan_surrogate", help="surrogate gradient name (default: atan_surrogate)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default: 0)")
    p.add_argument("--T", type=positive_int, default=25, help="timesteps per sample (default: 25)")
    p.add_argument("--lr", type=positive_float, default=2e-3, help="Adam learning rate (default: 2e-3)")
    p.add_argument("--batch-size", type=positive_int, default=64, help="batch size (default: 64)")
    p.add_argument("--device", default=None, help="torch device (default: cuda, mps or cpu, whichever exists)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--sc-finetune", type=non_negative_int, default=0, metavar="EPOCHS",
                   help="after training, EPOCHS of SC-aware fine-tuning against the contract's default source "
                        "at --length (default: 0, none)")
    p.add_argument("--length", type=positive_int, default=None, metavar="L",
                   help="bitstream length for --sc-finetune (default: the contract's)")
    p.add_argument(
        "-o", "--output", "--checkpoint", dest="output", required=True, metavar="CKPT", help="checkpoint file to write"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from ..datasets import load_dataset
    from ..training import SpikingNet, evaluate, get_surrogate, resolve_device, train_epoch
    from ..training.checkpoint import save_checkpoint

    try:
        surrogate = get_surrogate(args.surrogate)
    except ValueError as exc:
        print(f"sc-neurocore train: {exc}", file=sys.stderr)
        return 2
    if not 0.0 <= args.beta <= 1.0:
        print(f"sc-neurocore train: --beta must be in [0, 1], not {args.beta}", file=sys.stderr)
        return 2
    try:
        device = resolve_device(args.device)
    except ValueError as exc:
        print(f"sc-neurocore train: --device: {exc}", file=sys.stderr)
        return 2
    if args.length is not None and not args.sc_finetune:
        print("sc-neurocore train: --length applies only with --sc-finetune EPOCHS", file=sys.stderr)
        return 2
    if args.sc_finetune:
        from ..sc.contract import SCConfig

        try:
            sc_config = SCConfig() if args.length is None else SCConfig(length=args.length)
        except ValueError as exc:
            print(f"sc-neurocore train: --length: {exc}", file=sys.stderr)
            return 2
    torch.manual_seed(args.seed)
    x_tr, y_tr = (torch.as_tensor(a) for a in load_dataset(args.dataset, "train"))
    x_te, y_te = (torch.as_tensor(a) for a in load_dataset(args.dataset, "test"))
    generator = torch.Generator().manual_seed(args.seed)
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=args.batch_size, shuffle=True, generator=generator)
    test_loader = DataLoader(TensorDataset(x_te, y_te), batch_size=256)
    model = SpikingNet(
        n_input=x_tr.shape[1],
        n_hidden=args.hidden,
        n_output=int(y_tr.max()) + 1,
        n_layers=args.layers,
        beta=args.beta,
        threshold=args.threshold,
        surrogate_fn=surrogate,
    ).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    progress = False if args.no_progress else None
    history = []
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        loss, acc = train_epoch(model, train_loader, optimizer, args.T, device=device, progress=progress)
        val_loss, val_acc = evaluate(model, test_loader, args.T, device=device)
        history.append({"epoch": epoch, "loss": loss, "accuracy": acc, "val_loss": val_loss, "val_accuracy": val_acc})
        print(f"epoch {epoch:3d}  loss {loss:.4f}  train {acc:.2%}  val {val_acc:.2%}", flush=True)
    finetune = {}
    if args.sc_finetune:
        from ..training import sc_finetune

        model = model.cpu()
        losses = sc_finetune(model, sc_config, x_tr.numpy(), y_tr.numpy(), epochs=args.sc_finetune, T=args.T,
                             seed=args.seed, progress=lambda e: e.note and print(f"sc-finetune {e.note}", flush=True))
        val_loss, val_acc = evaluate(model, test_loader, args.T)
        finetune = {"sc_finetune": {"epochs": args.sc_finetune, "length": sc_config.length, "rng": sc_config.rng,
                                    "losses": losses, "val_accuracy_before": history[-1]["val_accuracy"]}}
        print(f"sc-finetune ({sc_config.rng}, L={sc_config.length}): val {val_acc:.2%}", flush=True)
    seconds = time.perf_counter() - start
    path = save_checkpoint(
        model.cpu(),
        args.output,
        dataset=args.dataset,
        epochs=args.epochs,
        seed=args.seed,
        T=args.T,
        lr=args.lr,
        batch_size=args.batch_size,
        val_loss=val_loss,
        val_accuracy=val_acc,
        train_accuracy=history[-1]["accuracy"],
        train_seconds=seconds,
        history=history,
        **finetune,
    )
    print(f"saved {path} (val accuracy {val_acc:.2%}, {seconds:.1f} s)")
    return 0
