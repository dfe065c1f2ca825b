"""``sc-neurocore export``: quantise a checkpoint with an SC config and save the ``QuantizedNet``.

The export (a versioned ``.npz``, :meth:`~sc_neurocore.export.QuantizedNet.save`) is what the
SC model, the gateware and the board flow read without torch: every later command takes
``--export NPZ`` in place of ``--checkpoint CKPT``.
"""

from __future__ import annotations

from pathlib import Path

from .argtypes import output_file
from .nets import add_sc_options, config_from_args, load_net

EXAMPLES = """\
examples:
  sc-neurocore export --checkpoint digits.pt -o digits_export.npz
  sc-neurocore export --checkpoint digits.pt --rng sobol --length 32 -o digits_sobol32.npz
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="quantise a checkpoint with an SC config and save it as a QuantizedNet (.npz)",
        description="Quantise a trained checkpoint to the contract's integers (signed k-bit weight codes, "
        "per-layer current scales, Q8.8 biases, leaks and thresholds) and save it as one .npz file.",
        epilog=EXAMPLES,
    )
    p.add_argument("--checkpoint", required=True, type=Path, metavar="CKPT", help="training checkpoint")
    add_sc_options(p, ("length", "rng", "seed", "prob_bits", "lfsr_width", "lfsr_steps", "lfsr_kind", "scale_bits"))
    p.add_argument("-o", "--output", required=True, type=output_file, metavar="NPZ", help="export file to write (.npz)")
    p.set_defaults(func=run)


def save_export(qnet, path) -> Path:
    """``qnet.save`` to ``path``, atomically."""
    from ..fileio import atomic_output

    with atomic_output(path) as tmp:
        qnet.save(tmp)
    return Path(path)


def run(args) -> int:
    if args.output.suffix != ".npz":
        raise ValueError(f"the export is a .npz file; name it so ({args.output.with_suffix('.npz')})")
    net = load_net(args.checkpoint, config=config_from_args(args))
    save_export(net.qnet, args.output)
    c = net.qnet.config
    print(f"wrote {args.output}: net {net.qnet.describe()}, L={c.length}, k={c.prob_bits}, "
          f"rng={c.rng}, seed={c.seed}")
    return 0
