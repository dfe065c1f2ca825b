"""``sc-neurocore sc-eval``: float, fixed-point and bit-exact SC accuracy of a checkpoint on a test split.

Prints the accuracy of the float model, of :class:`~sc_neurocore.sc.network.FixedPointNetwork`
and of :class:`~sc_neurocore.sc.network.SCNetwork`, each with its prediction agreement with
float, and the SC model's samples/s on the test split.  The SC options default to the
contract's ``SCConfig()``.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from .argtypes import positive_int
from .export_vectors import add_data_file_option, add_encoding_options, encoded_inputs
from .nets import DEFAULT_T, add_sc_options, config_from_args, load_net

EXAMPLES = """\
examples:
  sc-neurocore sc-eval --checkpoint digits.pt
  sc-neurocore sc-eval --checkpoint digits.pt --length 32 --rng lfsr --lfsr-steps 8 --json
"""


def register(subparsers) -> None:
    from ..datasets import DATASETS

    p = subparsers.add_parser(
        "sc-eval",
        help="float / fixed-point / bit-exact SC accuracy of a checkpoint",
        description="Evaluate a checkpoint as float, fixed-point and bit-exact stochastic-computing networks on "
        "a dataset's test split, with each one's agreement with the float predictions.",
        epilog=EXAMPLES,
    )
    p.add_argument("--checkpoint", required=True, type=Path, metavar="CKPT",
                   help="checkpoint written by 'sc-neurocore train'")
    add_sc_options(p, ("length", "rng", "seed", "polarity", "prob_bits", "lfsr_width", "lfsr_steps", "lfsr_kind"))
    p.add_argument("--T", type=positive_int, default=None,
                   help=f"timesteps per image (default: the checkpoint's, else {DEFAULT_T})")
    p.add_argument("--dataset", choices=DATASETS, default=None, help="dataset (default: the checkpoint's, else digits)")
    add_data_file_option(p)
    p.add_argument("--limit", type=positive_int, default=None, metavar="N", help="first N test images only")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_encoding_options(p)
    p.set_defaults(func=run)


def float_predictions(model, x, T: int):
    """The float model's predictions for constant-current inputs ``x`` ``(N, n)`` repeated over ``T`` timesteps, or
    for a spike raster ``x`` ``(T, N, n)`` (None without a model)."""
    if model is None:
        return None
    import numpy as np
    import torch

    model.eval()
    with torch.no_grad():
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
        counts, _ = model(xt if xt.ndim == 3 else xt[None].expand(T, -1, -1))
    return counts.argmax(1).cpu().numpy().astype(np.int64)


def evaluate_checkpoint(model, config, x, y, T: int, qnet=None) -> dict:
    """The figures of ``sc-eval`` for a loaded model (float predictions via torch)."""
    import numpy as np

    from ..sc.network import FixedPointNetwork, SCNetwork

    float_pred = float_predictions(model, x, T)
    qnet = model.to_quantized(config) if qnet is None else qnet
    fixed, net = FixedPointNetwork.from_quantized(qnet), SCNetwork.from_quantized(qnet)
    if qnet.spike_input:  # x: the (T, N, n) raster
        fx_pred = fixed.run_spikes(x, trace=False).prediction
        t0 = time.perf_counter()
        sc_pred = net.run_spikes(x, trace=False).prediction
    else:
        fx_pred = fixed.run(x, T, trace=False).prediction
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

    config = config_from_args(args)
    net = load_net(args.checkpoint, config=config, T=args.T, input_kind="spike" if args.input_encoding else None)
    if args.data is not None:
        from ..datasets import load_data_file

        if args.dataset is not None:
            raise ValueError("give --data FILE.npz or --dataset NAME, not both")
        dataset = str(args.data)
        x, y = load_data_file(args.data, net.qnet.n_input, rasters=net.qnet.spike_input)
    else:
        if args.dataset is None and net.meta.get("data_file"):
            raise ValueError(f"this net was trained on {net.meta['data_file']}: give --data FILE.npz (its held-out "
                             "samples, or others of the same width), or --dataset NAME")
        dataset = args.dataset or net.meta.get("dataset", "digits")
        x, y = load_dataset(dataset, "test")
    if x.shape[-1] != net.qnet.n_input:
        raise ValueError(f"{args.checkpoint} takes {net.qnet.n_input} inputs; {dataset} images have {x.shape[-1]}")
    if x.ndim == 3 and x.shape[0] != net.T:
        raise ValueError(f"{dataset} holds rasters of {x.shape[0]} timesteps; the net runs T={net.T} (give --T "
                         f"{x.shape[0]})")
    if args.limit is not None:
        x, y = (x[:, : args.limit] if x.ndim == 3 else x[: args.limit]), y[: args.limit]
    x = encoded_inputs(args, net, x)
    from .bars import Bars

    with Bars("sc-eval") as bars, bars.step(f"float, fixed-point and SC models on {len(y)} images"):
        res = evaluate_checkpoint(net.model, config, x, y, net.T, qnet=net.qnet)
    res["checkpoint"] = str(args.checkpoint)
    res["dataset"] = dataset
    if args.json:
        print(json.dumps(res))
        return 0
    c = res["config"]
    print(f"checkpoint {args.checkpoint}: {res['n_test']} {dataset} test images, T={res['T']}")
    print(f"SC config: L={c['length']} k={c['prob_bits']} rng={c['rng']} polarity={c['polarity']} seed={c['seed']}"
          + (f" lfsr_width={c['lfsr_width']} lfsr_steps={c['lfsr_steps']}" if c["rng"] == "lfsr" else ""))
    print(f"float        {res['float_accuracy']:.2%}")
    print(f"fixed-point  {res['fixed_accuracy']:.2%}  agreement with float {res['fixed_agreement']:.2%}")
    print(f"SC           {res['sc_accuracy']:.2%}  agreement with float {res['sc_agreement']:.2%}"
          f"  ({res['sc_samples_per_s']:.0f} samples/s)")
    return 0
