"""``sc-neurocore sc-eval``: float, fixed-point and bit-exact SC accuracy of a checkpoint on digits.

Example::

    sc-neurocore sc-eval --checkpoint digits.pt --length 16 --rng sobol --json

Prints the accuracy of the float model, of :class:`~sc_neurocore.sc.network.FixedPointNetwork`
and of :class:`~sc_neurocore.sc.network.SCNetwork`, each with its prediction agreement with
float, and the SC model's samples/s on the test split.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time

from .argtypes import non_negative_int, positive_int


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sc-eval",
        help="float / fixed-point / bit-exact SC accuracy of a checkpoint",
        description="Evaluate a checkpoint as float, fixed-point and bit-exact stochastic-computing networks.",
    )
    p.add_argument("--checkpoint", required=True, help="checkpoint written by 'sc-neurocore train'")
    p.add_argument("--length", type=positive_int, default=16, help="bitstream length L per timestep (default: 16)")
    p.add_argument("--rng", choices=("lfsr", "sobol"), default="lfsr", help="random source (default: lfsr)")
    p.add_argument("--lfsr-steps", type=positive_int, default=None, help="LFSR shifts per SC cycle (default: contract)")
    p.add_argument("--lfsr-width", type=positive_int, default=None, help="LFSR width (default: contract)")
    p.add_argument("--polarity", choices=("signed", "bipolar", "minmax"), default="signed",
                   help="SC weight encoding (default: signed, the hardware's)")
    p.add_argument("--prob-bits", type=positive_int, default=None, help="k, bits per probability (default: contract)")
    p.add_argument("--seed", type=non_negative_int, default=1, help="SC base seed (default: 1)")
    p.add_argument("--T", type=positive_int, default=25, help="timesteps per image (default: 25)")
    p.add_argument("--dataset", default="digits", help="dataset (default: digits)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def evaluate_checkpoint(model, config, x, y, T: int) -> dict:
    """The figures of ``sc-eval`` for a loaded model (float predictions via torch)."""
    import numpy as np
    import torch

    from ..sc.network import FixedPointNetwork, SCNetwork

    model.eval()
    with torch.no_grad():
        xt = torch.as_tensor(x, dtype=torch.float32)
        counts, _ = model(xt[None].expand(T, -1, -1))
    float_pred = counts.argmax(1).cpu().numpy()
    qnet = model.to_quantized(config)
    fx_pred = FixedPointNetwork.from_quantized(qnet).run(x, T, trace=False).prediction
    net = SCNetwork.from_quantized(qnet)
    t0 = time.perf_counter()
    sc_pred = net.run(x, T, trace=False).prediction
    dt = time.perf_counter() - t0

    def acc(p):
        return float((p == y).mean())

    return {
        "n_test": int(len(y)),
        "T": T,
        "config": {k: getattr(config, k) for k in ("length", "prob_bits", "rng", "polarity", "seed", "lfsr_width",
                                                     "lfsr_kind", "lfsr_steps")},
        "float_accuracy": acc(float_pred),
        "fixed_accuracy": acc(fx_pred),
        "fixed_agreement": float((fx_pred == float_pred).mean()),
        "sc_accuracy": acc(sc_pred),
        "sc_agreement": float((sc_pred == float_pred).mean()),
        "sc_samples_per_s": float(len(y) / dt) if dt > 0 else float("inf"),
        "sc_predictions_sha": hashlib.sha256(np.asarray(sc_pred, dtype=np.int64).tobytes()).hexdigest()[:16],
    }


def run(args) -> int:
    from ..datasets import load_dataset
    from ..sc.contract import SCConfig
    from ..training.checkpoint import load_checkpoint

    try:
        model, meta = load_checkpoint(args.checkpoint)
    except (FileNotFoundError, ValueError) as exc:
        print(f"sc-eval: {exc}", file=sys.stderr)
        return 2
    changes = dict(length=args.length, rng=args.rng, seed=args.seed, polarity=args.polarity)
    for field, value in (("lfsr_steps", args.lfsr_steps), ("lfsr_width", args.lfsr_width),
                         ("prob_bits", args.prob_bits)):
        if value is not None:
            changes[field] = value
    try:
        config = SCConfig(**changes)
        x, y = load_dataset(args.dataset, "test")
    except (TypeError, ValueError) as exc:
        print(f"sc-eval: {exc}", file=sys.stderr)
        return 2
    res = evaluate_checkpoint(model, config, x, y, args.T)
    res["checkpoint"] = str(args.checkpoint)
    if args.json:
        print(json.dumps(res))
        return 0
    c = res["config"]
    print(f"checkpoint {args.checkpoint}: {res['n_test']} test images, T={res['T']}")
    print(f"SC config: L={c['length']} k={c['prob_bits']} rng={c['rng']} polarity={c['polarity']} seed={c['seed']}"
          + (f" lfsr_width={c['lfsr_width']} lfsr_steps={c['lfsr_steps']}" if c["rng"] == "lfsr" else ""))
    print(f"float        {res['float_accuracy']:.2%}")
    print(f"fixed-point  {res['fixed_accuracy']:.2%}  agreement with float {res['fixed_agreement']:.2%}")
    print(f"SC           {res['sc_accuracy']:.2%}  agreement with float {res['sc_agreement']:.2%}"
          f"  ({res['sc_samples_per_s']:.0f} samples/s)")
    return 0
