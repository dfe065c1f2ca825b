"""``sc-neurocore import-nir``: a ``.nir`` file (snnTorch, Norse, SpikingJelly, ...) -> a checkpoint or an export.

The graph is read with :func:`sc_neurocore.nir.from_nir` (mapping and conventions: ``docs/interop.md``);
what the file does not say and the command assumed is printed as ``note:`` lines.  ``-o X.pt`` writes a
checkpoint (every command takes it with ``--checkpoint``; needs torch), ``-o X.npz`` a ``QuantizedNet``
export for the contract's default ``SCConfig`` (``--export``; no torch).
"""

from __future__ import annotations

import sys
from pathlib import Path

from .argtypes import output_file, positive_float, positive_int

EXAMPLES = """\
examples:
  sc-neurocore import-nir snntorch_net.nir --reset subtract-delayed -o net.pt
  sc-neurocore import-nir norse_net.nir --dt 0.001 --tau-times-dt --reset zero -o net.pt
  sc-neurocore import-nir net.nir --T 50 -o net_export.npz      # no torch needed
"""

RESETS = ("subtract", "zero", "subtract-delayed")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "import-nir",
        help="read a NIR graph (.nir) into a checkpoint or an export",
        description="Read a NIR graph written by snnTorch, Norse, SpikingJelly, ... (or 'sc-neurocore export-nir') "
        "into a checkpoint or a QuantizedNet export. Dense feed-forward nets of LIF, IF and Threshold neurons are "
        "mapped (docs/interop.md); anything else is refused with the node's name and the reason.",
        epilog=EXAMPLES,
    )
    p.add_argument("file", type=Path, metavar="FILE.nir", help="the NIR file")
    p.add_argument("-o", "--output", required=True, type=output_file, metavar="CKPT",
                   help="checkpoint to write (.pt), or a QuantizedNet export (.npz)")
    p.add_argument("--dt", type=positive_float, default=None,
                   help="timestep in seconds (default: the file's, else 1e-4 as snnTorch and SpikingJelly write)")
    p.add_argument("--reset", choices=RESETS, default=None,
                   help="how a spike resets the membrane (default: the file's sc-neurocore metadata, else 'zero', "
                        "NIR's definition; snnTorch's defaults: subtract-delayed)")
    p.add_argument("--T", type=positive_int, default=None, help="timesteps per sample (default: the file's, else 25)")
    p.add_argument("--discretization", choices=("euler", "exact"), default=None,
                   help="beta = 1 - dt/tau (euler, what the libraries compute) or exp(-dt/tau) (default: the "
                        "file's, else euler)")
    p.add_argument("--tau-times-dt", action="store_true",
                   help="the file's tau are tau * dt (Norse's exporter, Norse #411)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..nir import from_nir

    if args.output.suffix not in (".pt", ".npz"):
        raise ValueError(f"name the output .pt (a checkpoint) or .npz (a QuantizedNet export), not {args.output.name}")
    imp = from_nir(args.file, args.dt, reset=args.reset, T=args.T, discretization=args.discretization,
                   tau_times_dt=args.tau_times_dt)
    for note in imp.notes:
        print(f"sc-neurocore import-nir: note: {note}", file=sys.stderr)
    meta = {k: imp.meta[k] for k in ("dt", "reset", "discretization", "input_encoding", "readout")}
    if args.output.suffix == ".npz":
        from .export import save_export

        save_export(imp.to_quantized(), args.output)
    else:
        try:
            from ..training import save_checkpoint
        except ImportError as exc:
            from ..errors import missing_extra

            raise missing_extra("training", exc, what="writing a checkpoint needs torch (or write an export: "
                                "-o NET.npz)") from exc
        from ..fileio import atomic_output

        model = imp.to_spiking_net()
        with atomic_output(args.output) as tmp:
            save_checkpoint(model, tmp, T=imp.T, source="nir", nir_file=str(args.file), notes=list(imp.notes), **meta)
    betas = ", ".join(f"{la.beta:.4g}" for la in imp.layers)
    print(f"wrote {args.output}: net {'-'.join(map(str, imp.sizes))}, beta {betas}, reset {imp.meta['reset']}, "
          f"dt={imp.meta['dt']:g} s, T={imp.T}")
    return 0
