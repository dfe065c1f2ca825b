"""``sc-neurocore export-vectors``: a net, input codes and the NumPy model's expected integers, in one file.

The file (schema in :mod:`sc_neurocore.sim.vectors`) is what the cocotb network testbench reads.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .argtypes import INPUT_ENCODINGS, non_negative_int, output_file, positive_int
from .nets import add_net_options, net_from_args

EXAMPLES = """\
examples:
  sc-neurocore export-vectors --checkpoint digits.pt --split test --limit 50 -o vec.npz
  sc-neurocore export-vectors --export digits_export.npz --limit 50 -o vec.npz     # no torch needed
"""


def add_data_options(p: argparse.ArgumentParser) -> None:
    """``--dataset``, ``--split``, ``--limit`` (shared with ``verify``)."""
    from ..datasets import DATASETS

    p.add_argument("--dataset", choices=DATASETS, default=None, help="dataset (default: the checkpoint's, else digits)")
    p.add_argument("--split", choices=("train", "test"), default="test", help="split (default: test)")
    add_data_file_option(p)
    p.add_argument("--limit", type=positive_int, default=None, metavar="N", help="first N images only")
    add_encoding_options(p)


def add_encoding_options(p: argparse.ArgumentParser) -> None:
    """``--input-encoding rate|latency|delta`` and ``--encode-seed``: spike-encoded inputs (the first layer takes
    spikes; ``sc_neurocore.training.encode_images``)."""
    p.add_argument("--input-encoding", choices=INPUT_ENCODINGS, default=None,
                   help="feed the images as spike rasters (the first layer takes spikes): rate (Bernoulli), latency "
                   "(time to first spike), delta (onset at t=0) (default: the checkpoint's encoding, else a "
                   "constant current of probability codes)")
    p.add_argument("--encode-seed", type=non_negative_int, default=0, metavar="SEED",
                   help="seed of the rate code's random draws (default: 0)")


def encoded_inputs(args, net, x):
    """``x`` as the net takes it: the probabilities ``(N, n_input)`` for a net of probability inputs, the
    ``(T, N, n_input)`` raster (uint8) of ``--input-encoding`` (or the checkpoint's) for a spike-input net."""
    if not net.qnet.spike_input or x.ndim == 3:  # probabilities for a probability net; a raster from --data
        return x
    encoding = getattr(args, "input_encoding", None) or net.meta.get("input_encoding")
    if encoding not in INPUT_ENCODINGS:
        raise ValueError("this net's first layer takes spikes: give --input-encoding rate|latency|delta"
                         + (", or --data with (T, N, n_input) rasters" if encoding in ("raster", "spike") else ""))
    from ..training.encoders import encode_images

    raster = encode_images(x, net.T, encoding, seed=getattr(args, "encode_seed", 0))
    return raster.numpy().astype("uint8")


def add_data_file_option(p: argparse.ArgumentParser) -> None:
    """``--data FILE.npz``: your own data (arrays ``x`` (N, n_input) in [0, 1] and ``y``) instead of a dataset."""
    p.add_argument("--data", type=Path, default=None, metavar="FILE.npz",
                   help="your own data instead of --dataset: an .npz with x (N, n_input) in [0, 1] and y (N,) labels")


def load_inputs(args, net):
    """``(x, y, dataset)``: the images the options ask for, checked against the net's input width."""
    from ..datasets import load_data_file, load_dataset

    if getattr(args, "data", None) is not None:
        if getattr(args, "dataset", None) is not None:
            raise ValueError("give --data FILE.npz or --dataset NAME, not both")
        x, y = load_data_file(args.data, net.qnet.n_input, rasters=net.qnet.spike_input)
        dataset = str(args.data)
    else:
        if getattr(args, "dataset", None) is None and net.meta.get("data_file"):
            raise ValueError(f"this net was trained on {net.meta['data_file']}: give --data FILE.npz (its held-out "
                             "samples, or others of the same width), or --dataset NAME")
        dataset = args.dataset or net.meta.get("dataset", "digits")
        x, y = load_dataset(dataset, args.split)
    if x.shape[-1] != net.qnet.n_input:
        raise ValueError(f"the net takes {net.qnet.n_input} inputs; {dataset} images have {x.shape[-1]}")
    if x.ndim == 3 and x.shape[0] != net.T:
        raise ValueError(f"{dataset} holds rasters of {x.shape[0]} timesteps; the net runs T={net.T} (give --T "
                         f"{x.shape[0]})")
    if args.limit is not None:
        x, y = (x[:, : args.limit] if x.ndim == 3 else x[: args.limit]), y[: args.limit]
    return x, y, dataset


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export-vectors",
        help="write co-simulation vectors: net, input codes, expected per-timestep integers",
        description="Write a vector file for the cocotb testbenches: the quantised net, input codes and the "
        "NumPy SC model's expected currents, membranes, spikes and counts at every timestep.",
        epilog=EXAMPLES,
    )
    add_net_options(p)
    add_data_options(p)
    p.add_argument("-o", "--output", type=output_file, required=True, metavar="NPZ",
                   help="vector file to write (.npz; its folder must exist)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..sc.contract import quantize_probability
    from ..sc.network import spike_words
    from ..sim.vectors import make_vectors, save_vectors
    from .bars import Bars

    net = net_from_args(args, conv=True)
    x, y, dataset = load_inputs(args, net)
    x = encoded_inputs(args, net, x)
    codes = spike_words(x) if net.qnet.spike_input else quantize_probability(x, net.qnet.config.prob_bits)
    with Bars("export-vectors") as bars, bars.step(f"SC model trace of {len(x)} images"):
        vec = make_vectors(net.qnet, codes, net.T, labels=y, dataset=dataset, split=args.split,
                           source=str(args.checkpoint or args.export),
                           net_meta={k: v for k, v in net.meta.items() if k != "history"})
    path = save_vectors(vec, args.output)  # written atomically (temporary file + rename)
    acc = float((vec.expected.prediction == y).mean())
    c = net.qnet.config
    print(f"wrote {path}: {vec.n_images} images, net {net.qnet.describe()}, T={net.T}, "
          f"L={c.length}, rng={c.rng}; SC model accuracy {acc:.2%}")
    return 0
