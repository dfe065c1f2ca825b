"""``sc-neurocore verify``: the whole chain, float ~ fixed ~ SC == RTL, as one table.

Example::

    sc-neurocore verify --checkpoint digits.pt --sim verilator --limit 100

Every RTL integer (counts, currents, membranes, spikes of every layer at every timestep, and
the class counts) is compared with the NumPy SC model; the exit status is 1 on any mismatch.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .export_vectors import add_net_arguments, config_from_args, float_predictions, load_inputs, load_net


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "verify",
        help="float ~ fixed ~ SC == RTL on a dataset, cocotb on Verilator or Icarus",
        description="Run the chain on a dataset split: float model, fixed-point and SC NumPy models, and the RTL "
        "network core under cocotb, comparing every RTL integer with the SC model.",
    )
    add_net_arguments(p)
    p.add_argument("--sim", choices=("verilator", "icarus", "both", "none"), default="verilator",
                   help="simulator (default: verilator)")
    p.add_argument("--no-trace", action="store_true", help="compare class counts only (faster)")
    p.add_argument("--json", type=Path, default=None, help="also write the report as JSON")
    p.set_defaults(func=run)


def _print_progress(event) -> None:
    """Stages as plain lines (the cli branch draws bars): each stage's start and end."""
    if event.done == 0 and event.note in ("0 s", "0 mismatches so far") or event.finished:
        total = "" if event.total is None else f" {event.done}/{event.total}"
        print(f"sc-neurocore verify: {event.stage}{total} {event.note}", flush=True)


def run(args) -> int:
    from ..sim.runner import SimulatorNotFound
    from ..sim.verify import verify_chain

    try:
        qnet, model, _ = load_net(args.checkpoint, args.export, config_from_args(args))
    except (ValueError, ImportError, FileNotFoundError) as exc:
        print(f"sc-neurocore verify: {exc}", file=sys.stderr)
        return 2
    x, y = load_inputs(args)
    try:
        report = verify_chain(qnet, x, y, T=args.T, sim=args.sim, trace=not args.no_trace,
                              float_pred=float_predictions(model, x, args.T), progress=_print_progress)
    except SimulatorNotFound as exc:
        print(f"sc-neurocore verify: {exc}", file=sys.stderr)
        return 2
    print(report.table())
    if args.json:
        args.json.write_text(json.dumps(report.as_dict(), indent=1))
    return 0 if report.ok else 1
