"""``sc-neurocore infer``: run a dataset through a board over its serial port; accuracy and images/s.

    sc-neurocore infer --port /dev/ttyUSB0 --checkpoint CKPT [--dataset digits] [--limit N]

The client first asks the board what it runs and refuses a board built for another net; then it
sends each test image's k-bit input codes and compares the board's predictions with the labels
and with the NumPy SC model (``SCNetwork``), which must agree exactly.
"""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("infer", help="classify a dataset on a board over its serial port")
    p.add_argument("--port", required=True, help="serial port of the board (e.g. /dev/ttyUSB0)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", type=Path, metavar="CKPT", help="training checkpoint the board was built from")
    src.add_argument("--export", type=Path, metavar="NPZ", help="QuantizedNet export the board was built from")
    p.add_argument("--dataset", default="digits", help="dataset (default digits)")
    p.add_argument("--limit", type=int, default=None, help="first N test images only")
    p.add_argument("--T", type=int, default=None, help="timesteps per image (default: the checkpoint's, else 25)")
    p.add_argument("--length", type=int, default=None, help="SC bitstream length L (checkpoint only)")
    p.add_argument("--rng", choices=("lfsr", "sobol"), default=None, help="random source (checkpoint only)")
    p.add_argument("--baud", type=int, default=1_000_000, help="baud rate (default 1000000)")
    p.add_argument("--timeout", type=float, default=1.0, help="serial read timeout in seconds (default 1)")
    p.add_argument("--no-model", action="store_true", help="skip the NumPy SC model comparison")
    p.set_defaults(func=run)


def run(args) -> int:
    import numpy as np

    from ..boards.client import BoardClient, BoardError, BoardTimeout, open_serial, run_dataset
    from ..boards.nets import load_net
    from ..boards.protocol import ProtocolError
    from ..datasets import load_dataset
    from ..sc.contract import quantize_probability

    try:
        qnet, T, _ = load_net(args.checkpoint, args.export, T=args.T, length=args.length, rng=args.rng)
        x, y = load_dataset(args.dataset, "test")
    except (FileNotFoundError, ValueError, ImportError) as exc:
        print(f"sc-neurocore infer: {exc}", file=sys.stderr)
        return 2
    if args.limit is not None:
        x, y = x[: args.limit], y[: args.limit]
    codes = quantize_probability(x, qnet.config.prob_bits)
    try:
        port = open_serial(args.port, args.baud, args.timeout)
    except RuntimeError as exc:
        print(f"sc-neurocore infer: {exc}", file=sys.stderr)
        return 2
    with port:
        client = BoardClient(port)
        try:
            info = client.check_net(qnet, T)
            run = run_dataset(client, codes)
        except (BoardError, BoardTimeout, ProtocolError, ValueError) as exc:
            print(f"sc-neurocore infer: {exc}", file=sys.stderr)
            return 1
    acc = run.accuracy(y)
    print(f"{len(y)} images: accuracy {acc:.2%}, {run.images_per_s:,.0f} images/s over the link "
          f"({int(np.median(run.cycles)):,} core cycles per image, T={info.timesteps})")
    if not args.no_model:
        from ..sc.network import SCNetwork

        model = SCNetwork.from_quantized(qnet).predict_codes(codes, T)
        same = np.array_equal(model, run.counts)
        print(f"NumPy SC model: accuracy {np.mean(np.argmax(model, axis=1) == y):.2%}; board counts "
              f"{'equal the model on every image' if same else 'DIFFER from the model'}")
        if not same:
            return 1
    return 0
