"""``sc-neurocore verify``: the whole chain, float ~ fixed ~ SC == RTL, as one table.

Every RTL integer (counts, currents, membranes, spikes of every layer at every timestep, and
the class counts) is compared with the NumPy SC model; the exit status is 1 on any mismatch,
with the first one's location and, by default, an FST of that image's waves.
"""

from __future__ import annotations

import json

from .argtypes import PARALLELISM_SYNTAX, output_file, parallelism
from .export_vectors import add_data_options, encoded_inputs, load_inputs
from .nets import add_net_options, net_from_args

EXAMPLES = """\
examples:
  sc-neurocore verify --checkpoint digits.pt --limit 50
  sc-neurocore verify --export digits_export.npz --sim both --limit 10 --json report.json
  sc-neurocore verify --checkpoint digits.pt --sim none          # the models only, no simulator
  sc-neurocore verify --checkpoint digits.pt --input-encoding rate --limit 20   # rate-coded spike inputs
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "verify",
        help="float ~ fixed ~ SC == RTL on a dataset, cocotb on Verilator or Icarus",
        description="Run the chain on a dataset split: float model, fixed-point and SC NumPy models, and the RTL "
        "network core under cocotb, comparing every RTL integer with the SC model.",
        epilog=EXAMPLES,
    )
    add_net_options(p)
    add_data_options(p)
    p.add_argument("--sim", choices=("verilator", "icarus", "both", "none"), default="verilator",
                   help="simulator (default: verilator)")
    p.add_argument("--parallelism", type=parallelism, default=None, metavar="LANESxTLANES",
                   help=f"engine of the simulated core: {PARALLELISM_SYNTAX} (default: the simulator's, 1xT)")
    p.add_argument("--no-trace", action="store_true", help="compare class counts only (faster)")
    p.add_argument("--waves", action="store_true",
                   help="dump waves (FST) of every run (default: only of the first mismatching image)")
    p.add_argument("--json", type=output_file, default=None, metavar="FILE", help="also write the report as JSON")
    p.set_defaults(func=run)


def mismatch_message(report) -> str:
    """One line naming the first mismatch (and the waves file) of a failed ``ChainReport``."""
    bad = [r for r in report.rows if r.mismatches]
    n = sum(r.mismatches for r in bad)
    text = f"RTL differs from the SC model: {n:,} mismatch{'es' if n != 1 else ''} on {', '.join(r.simulator for r in bad)}"
    first = report.first_mismatch
    if first:
        text += f"; first on {first.get('sim')}: {first.get('message')}"
    if report.waves:
        text += f"; waves: {report.waves}"
    return text


def run(args) -> int:
    from ..errors import CheckFailed
    from ..fileio import atomic_write_text
    from ..sim.verify import verify_chain
    from .bars import Bars
    from .sc_eval import float_predictions

    net = net_from_args(args, conv=True)
    x, y, _ = load_inputs(args, net)
    x = encoded_inputs(args, net, x)
    float_pred = float_predictions(net.model, x, net.T)
    with Bars("verify") as bars:  # a missing simulator raises SimulatorNotFound, a MissingTool (exit 3)
        report = verify_chain(net.qnet, x, y, T=net.T, sim=args.sim, float_pred=float_pred,
                              parallelism=args.parallelism, trace=not args.no_trace, progress=bars,
                              waves="always" if args.waves else "on-failure")
    print(report.table())
    if args.json:
        atomic_write_text(args.json, json.dumps(report.as_dict(), indent=1, default=str))
        print(f"wrote {args.json}")
    if not report.ok:
        raise CheckFailed(mismatch_message(report))
    return 0
