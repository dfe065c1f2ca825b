"""``sc-neurocore export-nir``: a checkpoint or an export -> a ``.nir`` file for snnTorch, Norse, SpikingJelly, ...

:func:`sc_neurocore.nir.to_nir`: per layer an ``Affine`` and a ``LIF`` (``IF`` when beta = 1,
``Threshold`` when beta = 0) with per-neuron arrays, and metadata for what NIR cannot say (``dt``, the
reset, ``T``, the input encoding, the readout; ``docs/interop.md``).  An export is written with its
dequantised values.
"""

from __future__ import annotations

from pathlib import Path

from .argtypes import output_file, positive_float, positive_int

EXAMPLES = """\
examples:
  sc-neurocore export-nir --checkpoint digits.pt -o digits.nir
  sc-neurocore export-nir --export digits_export.npz --dt 0.001 -o digits.nir
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export-nir",
        help="write a checkpoint or an export as a NIR graph (.nir)",
        description="Write a dense net (a checkpoint, or an export's dequantised values) as a NIR graph that "
        "snnTorch, Norse, SpikingJelly and other NIR tools read; its metadata carries the reset convention, dt "
        "and T, which NIR itself cannot state.",
        epilog=EXAMPLES,
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", type=Path, metavar="CKPT", help="training checkpoint ('sc-neurocore train -o')")
    src.add_argument("--export", type=Path, metavar="NPZ", help="QuantizedNet export ('sc-neurocore export -o')")
    p.add_argument("-o", "--output", required=True, type=output_file, metavar="FILE.nir", help="NIR file to write")
    p.add_argument("--dt", type=positive_float, default=1e-4,
                   help="timestep in seconds written to the file (tau = dt / (1 - beta); default: 1e-4)")
    p.add_argument("--T", type=positive_int, default=None, help="timesteps per sample (default: the checkpoint's)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..nir import to_nir
    from .argtypes import INPUT_ENCODINGS
    from .nets import dense_only, load_net

    if args.output.suffix != ".nir":
        raise ValueError(f"the output is a NIR file; name it so ({args.output.with_suffix('.nir')})")
    import nir  # before loading the net: a missing extra is said first

    net = dense_only(load_net(args.checkpoint, args.export, T=args.T), args.checkpoint or args.export)
    enc = net.meta.get("input_encoding") if net.meta.get("input_encoding") in INPUT_ENCODINGS else "constant"
    if enc == "constant" and net.qnet.spike_input:  # an export of a spike-input net: the encoding is not known
        enc = "spike"
    graph = to_nir(net.model if net.model is not None else net.qnet, dt=args.dt, T=net.T, input_encoding=enc)
    from ..fileio import atomic_output

    with atomic_output(args.output) as tmp:
        nir.write(tmp, graph)
    print(f"wrote {args.output}: net {'-'.join(map(str, net.qnet.sizes))}, dt={args.dt:g} s, T={net.T} "
          f"(nir {nir.version})")
    return 0
