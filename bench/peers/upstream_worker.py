"""The half of the upstream peer that runs inside the upstream interpreter (``upstream_peer.py`` starts it).

Upstream sc-neurocore (AGPL, on PyPI as ``sc-neurocore``) has our import name, so it runs in its own
interpreter with its folder first on ``PYTHONPATH`` and this script started with ``python -P`` (its
own folder not on ``sys.path``).  Modes, each printing one JSON line:

* ``net WEIGHTS.npz``: ``to_sc_weights(encoding="bipolar")`` of upstream's ``SpikingNet`` holding
  the weights ``w0, b0, w1, b1, ...``, ``VectorizedSCLayer.from_exported_weights`` per layer, and a
  float LIF loop (``v = beta v + I; s = v > theta; v -= theta s``) over ``T`` timesteps, one image of
  ``x`` at a time.  ``--exact`` replaces each layer's SC forward by its expectation
  (``weights @ h + bias`` of the same layer object), for the same-weights check.
* ``layer``: one 64 -> 128 ``VectorizedSCLayer`` forward at ``--length``, and the Rust
  ``DenseLayer`` of sc-neurocore-engine if it imports.

Never imported by the package or the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np


def _check_upstream(folder: str) -> str:
    """The upstream package's version; exits if ``sc_neurocore`` is not the one in ``folder``."""
    import sc_neurocore

    where = Path(sc_neurocore.__file__).resolve()
    if not where.is_relative_to(Path(folder).resolve()):
        sys.exit(f"upstream_worker: sc_neurocore imported from {where}, not from {folder}")
    return metadata.version("sc-neurocore")


def _layers(data, args):
    import torch
    from sc_neurocore.layers.vectorized_layer import VectorizedSCLayer
    from sc_neurocore.training import SpikingNet

    n_layers = sum(1 for k in data.files if k.startswith("w"))
    w0 = data["w0"]
    model = SpikingNet(n_input=w0.shape[1], n_hidden=w0.shape[0], n_output=data[f"w{n_layers - 1}"].shape[0],
                       n_layers=n_layers - 1, beta=args.beta)  # fmt: skip
    with torch.no_grad():
        for i, lin in enumerate(model.linears):
            lin.weight.copy_(torch.tensor(data[f"w{i}"]))
            lin.bias.copy_(torch.tensor(data[f"b{i}"]))
    exported = model.to_sc_weights(encoding="bipolar")
    layers = [
        VectorizedSCLayer.from_exported_weights(e, length=args.length, seed=args.seed, use_gpu=False) for e in exported
    ]
    return layers, [float(e["weight_scale"]) for e in exported]


def _expectation(layer):
    bias = 0.0 if layer.bias_values is None else layer.bias_values
    return lambda h: layer.weights @ h + bias


def net(args) -> dict:
    version = _check_upstream(args.folder)
    data = np.load(args.weights)
    layers, scales = _layers(data, args)
    forwards = [_expectation(layer) if args.exact else layer.forward for layer in layers]
    x = data["x"]
    all_counts = []
    t0 = time.perf_counter()
    for xi in x:
        v = [np.zeros(layer.n_neurons) for layer in layers]
        counts = np.zeros(layers[-1].n_neurons)
        for _ in range(args.T):
            h = xi
            for li, forward in enumerate(forwards):
                cur = forward(h) * scales[li]
                v[li] = args.beta * v[li] + cur
                s = (v[li] > args.theta).astype(np.float64)
                v[li] -= args.theta * s
                h = s
            counts += h
        all_counts.append(counts.tolist())
    seconds = time.perf_counter() - t0
    return {"version": version, "length": args.length, "T": args.T, "seconds": seconds, "counts": all_counts}


def layer(args) -> dict:
    from sc_neurocore.layers.vectorized_layer import VectorizedSCLayer

    out = {"version": _check_upstream(args.folder)}
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, (128, 64))
    x = rng.uniform(0, 1, 64)
    sc_layer = VectorizedSCLayer.from_exported_weights(
        {"weight": w, "encoding": "bipolar"}, length=args.length, seed=1, use_gpu=False
    )
    sc_layer.forward(x)
    t0 = time.perf_counter()
    for _ in range(args.n):
        sc_layer.forward(x)
    out["vectorized_forward_s"] = (time.perf_counter() - t0) / args.n
    try:
        import sc_neurocore_engine as eng

        dense = eng.DenseLayer(64, 128, args.length, 1)
        xs = x.tolist()
        dense.forward(xs)
        t0 = time.perf_counter()
        for _ in range(args.n):
            dense.forward(xs)
        out["rust_dense_forward_s"] = (time.perf_counter() - t0) / args.n
    except Exception as exc:  # noqa: BLE001 - the engine is optional
        out["rust_dense_error"] = repr(exc)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("net", "layer"))
    ap.add_argument("weights", nargs="?")
    ap.add_argument("--folder", required=True, help="the folder upstream was installed to (--target)")
    ap.add_argument("--length", type=int, default=64)
    ap.add_argument("--T", type=int, default=25)
    ap.add_argument("--n", type=int, default=20, help="layer mode: timed forwards")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--beta", type=float, default=0.9)
    ap.add_argument("--theta", type=float, default=1.0)
    ap.add_argument("--exact", action="store_true", help="net mode: each layer's expectation instead of SC")
    args = ap.parse_args()
    print(json.dumps(net(args) if args.mode == "net" else layer(args)))


if __name__ == "__main__":
    main()
