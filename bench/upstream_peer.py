"""Benchmark peer: upstream sc-neurocore's documented SC path, timed on our trained weights.

Run in its own interpreter with the upstream wheels first on ``sys.path`` (their import name,
``sc_neurocore``, is ours too), e.g.::

    pip install --no-deps --target /tmp/upstream sc-neurocore==3.16.0 sc-neurocore-engine==3.15.7
    PYTHONPATH=/tmp/upstream python bench/upstream_peer.py net WEIGHTS.npz --length 64 --n 40

``net``: ``to_sc_weights(encoding="bipolar")`` + ``VectorizedSCLayer.from_exported_weights`` per layer
and a float LIF loop (beta 0.9, threshold 1, subtract reset) over T timesteps, one sample at a time.
``layer``: one 64 -> 128 ``VectorizedSCLayer`` forward at L, and the Rust ``DenseLayer`` of
sc-neurocore-engine if it imports.  Prints one JSON line.  Never imported by the package or the tests.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def net_peer(args) -> dict:
    import torch
    from sc_neurocore.layers.vectorized_layer import VectorizedSCLayer
    from sc_neurocore.training import SpikingNet

    data = np.load(args.weights)
    model = SpikingNet(n_input=64, n_hidden=128, n_output=10, n_layers=1, beta=0.9)
    with torch.no_grad():
        for i, lin in enumerate(model.linears):
            lin.weight.copy_(torch.tensor(data[f"w{i}"]))
            lin.bias.copy_(torch.tensor(data[f"b{i}"]))
    exported = model.to_sc_weights(encoding="bipolar")
    layers = [
        VectorizedSCLayer.from_exported_weights(e, length=args.length, seed=args.seed, use_gpu=False) for e in exported
    ]
    scales = [float(e["weight_scale"]) for e in exported]
    x, y = data["x"][: args.n], data["y"][: args.n]
    preds = []
    t0 = time.perf_counter()
    for xi in x:
        v = [np.zeros(layer.n_neurons) for layer in layers]
        counts = np.zeros(layers[-1].n_neurons)
        for _ in range(args.T):
            h = xi
            for li, layer in enumerate(layers):
                cur = layer.forward(h) * scales[li]
                v[li] = 0.9 * v[li] + cur
                s = (v[li] > 1.0).astype(np.float64)
                v[li] -= s
                h = s
            counts += h
        preds.append(int(np.argmax(counts)))
    dt = time.perf_counter() - t0
    preds = np.array(preds)
    return {
        "peer": "upstream sc-neurocore 3.16 VectorizedSCLayer (bipolar) + LIF loop",
        "length": args.length,
        "T": args.T,
        "n": len(x),
        "seconds": dt,
        "samples_per_s": len(x) / dt,
        "accuracy": float((preds == y).mean()),
        "preds": preds.tolist(),
    }


def layer_peer(args) -> dict:
    from sc_neurocore.layers.vectorized_layer import VectorizedSCLayer

    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, (128, 64))
    x = rng.uniform(0, 1, 64)
    layer = VectorizedSCLayer.from_exported_weights(
        {"weight": w, "encoding": "bipolar"}, length=args.length, seed=1, use_gpu=False
    )
    layer.forward(x)
    reps = args.n
    t0 = time.perf_counter()
    for _ in range(reps):
        layer.forward(x)
    out = {"vectorized_forward_s": (time.perf_counter() - t0) / reps}
    try:
        import sc_neurocore_engine as eng

        dense = eng.DenseLayer(64, 128, args.length, 1)
        xs = x.tolist()
        dense.forward(xs)
        t0 = time.perf_counter()
        for _ in range(reps):
            dense.forward(xs)
        out["rust_dense_forward_s"] = (time.perf_counter() - t0) / reps
    except Exception as exc:  # the engine is optional
        out["rust_dense_error"] = repr(exc)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("net", "layer"))
    ap.add_argument("weights", nargs="?")
    ap.add_argument("--length", type=int, default=64)
    ap.add_argument("--T", type=int, default=25)
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    print(json.dumps(net_peer(args) if args.mode == "net" else layer_peer(args)))


if __name__ == "__main__":
    main()
