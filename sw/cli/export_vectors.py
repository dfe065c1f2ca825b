"""``sc-neurocore export-vectors``: a net, input codes and the NumPy model's expected integers, in one file.

Example::

    sc-neurocore export-vectors --checkpoint digits.pt --dataset digits --split test --limit 50 -o vec.npz
    sc-neurocore export-vectors --export digits_export.npz --limit 50 -o vec.npz     # no torch needed

The file (schema in :mod:`sc_neurocore.sim.vectors`) is what the cocotb network testbench reads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_net_arguments(p: argparse.ArgumentParser) -> None:
    """Options shared with ``sc-neurocore verify``: the net and its SC configuration."""
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", type=Path, metavar="CKPT", help="trained checkpoint (needs torch)")
    src.add_argument("--export", type=Path, metavar="NPZ", help="a saved QuantizedNet (QuantizedNet.save)")
    p.add_argument("--dataset", default="digits", help="dataset (default: digits)")
    p.add_argument("--split", choices=("train", "test"), default="test", help="split (default: test)")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="first N images only")
    p.add_argument("--length", type=int, default=None, metavar="L", help="SC cycles per timestep (default 16)")
    p.add_argument("--rng", choices=("lfsr", "sobol"), default=None, help="random source (default lfsr)")
    p.add_argument("--seed", type=int, default=None, help="SC source seed (default 1)")
    p.add_argument("--T", type=int, default=25, help="timesteps per image (default 25)")


def config_from_args(args):
    """The SCConfig the options ask for (``None``: keep an export's own)."""
    from ..sc.contract import SCConfig

    changes = {k: v for k, v in (("length", args.length), ("rng", args.rng), ("seed", args.seed)) if v is not None}
    if args.export is not None and not changes:
        return None
    return SCConfig(**changes)


def load_net(checkpoint=None, export=None, config=None):
    """``(qnet, model_or_None, meta)`` from a torch checkpoint or a saved ``QuantizedNet`` (``--export``)."""
    from ..export import QuantizedNet
    from ..sc.contract import SCConfig

    if (checkpoint is None) == (export is None):
        raise ValueError("give exactly one of a checkpoint (--checkpoint) or a saved export (--export)")
    if export is not None:
        qnet = QuantizedNet.load(export)
        if config is not None and config != qnet.config:
            raise ValueError(f"{export} was exported for {qnet.config}; it cannot be re-quantised for {config} "
                             "(use --checkpoint)")
        return qnet, None, {"export": str(export)}
    try:
        from ..training.checkpoint import load_checkpoint
    except ImportError as exc:  # torch missing
        raise ImportError(f"loading a checkpoint needs torch ({exc}); pass a saved export with --export instead") from exc
    model, meta = load_checkpoint(checkpoint)
    return model.to_quantized(config or SCConfig()), model, dict(meta)


def float_predictions(model, x, T: int):
    """The float SpikingNet's predictions for constant-current inputs ``x`` repeated over T (None without a model)."""
    if model is None:
        return None
    import numpy as np
    import torch

    with torch.no_grad():
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
        counts, _ = model(xt.unsqueeze(0).expand(T, -1, -1))
    return counts.argmax(1).cpu().numpy().astype(np.int64)


def load_inputs(args):
    from ..datasets import load_dataset

    x, y = load_dataset(args.dataset, args.split)
    if args.limit is not None:
        if args.limit < 1:
            raise SystemExit("--limit must be >= 1")
        x, y = x[: args.limit], y[: args.limit]
    return x, y


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export-vectors",
        help="write co-simulation vectors: net, input codes, expected per-timestep integers",
        description="Write a vector file for the cocotb testbenches: the quantised net, input codes and the "
        "NumPy SC model's expected currents, membranes, spikes and counts at every timestep.",
    )
    add_net_arguments(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="vector file to write (.npz)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..sc.contract import quantize_probability
    from ..sim.vectors import make_vectors, save_vectors

    if args.T < 1:
        raise SystemExit("--T must be >= 1")
    try:
        qnet, _, meta = load_net(args.checkpoint, args.export, config_from_args(args))
    except (ValueError, ImportError, FileNotFoundError) as exc:
        print(f"sc-neurocore export-vectors: {exc}", file=sys.stderr)
        return 2
    x, y = load_inputs(args)
    codes = quantize_probability(x, qnet.config.prob_bits)
    vec = make_vectors(qnet, codes, args.T, labels=y, dataset=args.dataset, split=args.split,
                       source=str(args.checkpoint or args.export), net_meta={k: v for k, v in meta.items()
                                                                             if k != "history"})
    path = save_vectors(vec, args.output)
    acc = float((vec.expected.prediction == y).mean())
    print(f"wrote {path}: {vec.n_images} images, net {'-'.join(map(str, qnet.sizes))}, T={args.T}, "
          f"L={qnet.config.length}, rng={qnet.config.rng}; SC model accuracy {acc:.2%}")
    return 0
