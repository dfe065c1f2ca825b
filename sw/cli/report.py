"""``sc-neurocore report``: one static page that shows a net all the way down the chain.

Example::

    sc-neurocore report --checkpoint digits.pt -o report/        # then open report/index.html

Writes ``DIR/index.html`` (figures inlined: no server, no other files needed) and
``DIR/report.json`` (the numbers): the accuracy ladder float -> fixed point -> SC -> RTL with
image counts, accuracy and agreement against the bitstream length for both sources, one
image's spikes and membranes in every model, firing rates per layer, the clocks-per-image
histogram, and the board builds found (``build/boards/*`` unless ``--boards`` says otherwise).
Exit status: 0 the page is written, 1 it is written but the RTL differed from the SC model or
failed to run, 2 bad input, 3 a missing extra or simulator (with the install command).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

PREFIX = "sc-neurocore report:"
#: RTL images per simulator unless ``--limit`` says otherwise.  Verilator: ~7 s for 50 digits images
#: once built (the first build of a net takes a minute or two and is cached); Icarus runs the engine at
#: ~650 clocks/s, about 15 s per digits image.
DEFAULT_LIMIT = {"verilator": 50, "icarus": 5, "none": 0}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="a static HTML page: accuracy ladder, length sweep, traces, rates, clocks, boards",
        description="Run a trained net down the chain (float, fixed point, SC, RTL) on the test split and write one "
        "self-contained HTML page with the figures (DIR/index.html) and the numbers (DIR/report.json).",
        epilog="example: sc-neurocore report --checkpoint digits.pt -o report/   (then open report/index.html)",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", type=Path, metavar="CKPT", help="checkpoint written by 'sc-neurocore train'")
    src.add_argument("--export", type=Path, metavar="NPZ", help="QuantizedNet export (no float model: the "
                     "fixed-point model is the reference)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="folder for index.html and report.json")
    p.add_argument("--sim", choices=("verilator", "icarus", "none"), default="verilator",
                   help="simulator for the RTL rung and trace (default: verilator; none: skip the RTL)")
    p.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                   help=f"test images run through the RTL (default: {DEFAULT_LIMIT['verilator']} on Verilator, "
                   f"{DEFAULT_LIMIT['icarus']} on Icarus)")
    p.add_argument("--image", type=_non_negative_int, default=0, metavar="INDEX",
                   help="test image whose spikes and membranes are drawn (default: 0)")
    p.add_argument("--parallelism", type=_parallelism, default=None, metavar="LANESxTLANES",
                   help="SCNetworkCore neurons x timesteps per clock for the clocks and the RTL, e.g. 1x16 "
                   "(default: the iCEBreaker preset)")
    p.add_argument("--boards", type=Path, nargs="+", default=None, metavar="DIR",
                   help="board build folders, or files written by 'sc-neurocore build --json', to include "
                   "(default: build/boards/*)")
    p.add_argument("--T", type=_positive_int, default=None, help="timesteps per image (default: the checkpoint's, else 25)")
    p.add_argument("--length", type=_positive_int, default=None,
                   help="SC bitstream length L (checkpoint only; default: the contract's)")
    p.add_argument("--rng", choices=("lfsr", "sobol"), default=None,
                   help="random source (checkpoint only; default: the contract's)")
    p.add_argument("--dataset", default="digits", help="dataset whose test split is used (default: digits)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


# ----------------------------------------------------------------------------------------- arguments
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, not {text}")
    return value


def _parallelism(text: str) -> tuple[int, int]:
    """``LANESxTLANES`` (e.g. ``1x16``) -> ``(1, 16)``; anything else is an error that shows the syntax."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"takes LANESxTLANES (neurons x timesteps per clock, e.g. 1x16), not {text!r}")
    return int(parts[0]), int(parts[1])


def _command(args) -> str:
    """The command line that made the page (for its footer)."""
    if sys.argv and Path(sys.argv[0]).name == "sc-neurocore" and len(sys.argv) > 1 and sys.argv[1] == "report":
        return "sc-neurocore " + shlex.join(sys.argv[1:])
    words = ["sc-neurocore", "report"]
    words += ["--checkpoint", str(args.checkpoint)] if args.checkpoint else ["--export", str(args.export)]
    words += ["-o", str(args.output)]
    for flag in ("sim", "limit", "image", "T", "length", "rng", "dataset"):
        value = getattr(args, flag)
        if value is not None and value != {"sim": "verilator", "image": 0,
                                           "dataset": "digits"}.get(flag):
            words += [f"--{flag}", str(value)]
    if args.parallelism:
        words += ["--parallelism", "x".join(map(str, args.parallelism))]
    if args.boards:
        words += ["--boards"] + [str(b) for b in args.boards]
    return shlex.join(words)


# ----------------------------------------------------------------------------------------- the net
@dataclass
class _Loaded:
    qnet: object
    T: int
    meta: dict
    model: object


def _load(args):
    """``LoadedNet(qnet, T, meta, model)`` (``model`` None for an export) via the command line's one loader."""
    from ..sc.contract import SCConfig

    if args.export is not None and (args.length is not None or args.rng is not None):
        raise ValueError("an export carries its own SC config; --length/--rng apply to checkpoints only")
    changes = {k: v for k, v in (("length", args.length), ("rng", args.rng)) if v is not None}
    config = SCConfig(**changes) if args.checkpoint is not None else None
    try:
        from .nets import load_net  # the cli branch's single loader (sw/cli/nets.py)
    except ImportError:
        load_net = None
    if load_net is not None:
        return load_net(args.checkpoint, args.export, config=config, T=args.T)
    # until sw/cli/nets.py is on main: the same steps
    path = Path(args.checkpoint or args.export)
    if not path.exists():
        raise FileNotFoundError(f"{'checkpoint' if args.checkpoint else 'export'} {path} does not exist")
    if args.export is not None:
        from ..export import QuantizedNet

        return _Loaded(QuantizedNet.load(path), args.T or 25, {"export": str(path)}, None)
    from ..training.checkpoint import load_checkpoint

    model, meta = load_checkpoint(path)
    if not hasattr(model, "to_quantized"):
        raise ValueError(f"{path} holds a {type(model).__name__}; only dense SpikingNet checkpoints go down the SC chain")
    return _Loaded(model.to_quantized(config), int(args.T or meta.get("T", 25)), dict(meta), model)


# ----------------------------------------------------------------------------------------- progress
class _Bars:
    """tqdm bars drawn from :class:`~sc_neurocore.progress.ProgressEvent` objects (one bar per stage)."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.bar = None
        self.stage = None

    def __call__(self, event) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if event.stage != self.stage:
            self.close()
            self.stage = event.stage
            self.bar = tqdm(total=event.total, desc=event.stage, file=sys.stderr, leave=True, dynamic_ncols=True,
                            bar_format=None if event.total else "{desc}: {elapsed} {postfix}")
        if event.total is not None and self.bar.total != event.total:
            self.bar.total = event.total
        self.bar.n = event.done
        if event.note:
            self.bar.set_postfix_str(event.note, refresh=False)
        self.bar.refresh()
        if event.finished:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.bar, self.stage = None, None


# ----------------------------------------------------------------------------------------- run
def _fail(message: str, code: int) -> int:
    print(f"{PREFIX} {message}", file=sys.stderr)
    return code


def _check_extras(args) -> None:
    """Everything the run needs, before any work: raises MissingTool (exit 3) naming the install command."""
    from ..errors import MissingTool, missing_extra

    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise missing_extra("training", exc, "drawing the report needs matplotlib") from exc
    if args.checkpoint is not None:
        try:
            import torch  # noqa: F401
        except ImportError as exc:
            raise missing_extra("training", exc, "a checkpoint needs torch (or pass a saved export with --export)") \
                from exc
    try:
        from ..hw import network  # noqa: F401
    except ImportError as exc:
        raise missing_extra("hw", exc, "the clocks per image need the gateware's clock model") from exc
    if args.sim != "none":
        try:
            from ..sim.runner import SimulatorNotFound, check_simulator
        except ImportError as exc:
            raise missing_extra("sim", exc, "the RTL rung needs cocotb (or pass --sim none)") from exc
        try:
            check_simulator(args.sim)
        except SimulatorNotFound as exc:
            raise MissingTool(f"{exc} (or pass --sim none)") from exc


def run(args) -> int:
    from ..errors import MissingTool
    from ..fileio import OutputPathError, check_output_path

    try:
        out = check_output_path(args.output, what="report folder", directory=True)
    except OutputPathError as exc:
        return _fail(str(exc), 2)
    for b in args.boards or []:
        if not b.exists():
            return _fail(f"--boards {b}: no such build folder or report file", 2)
    try:
        _check_extras(args)
    except MissingTool as exc:
        return _fail(str(exc), 3)
    from ..datasets import DATASETS, load_dataset

    if args.dataset not in DATASETS:
        return _fail(f"unknown dataset {args.dataset!r}; known: {', '.join(DATASETS)}", 2)
    try:
        net = _load(args)
        x, y = load_dataset(args.dataset, "test")
    except (FileNotFoundError, ValueError, TypeError) as exc:
        return _fail(str(exc), 2)
    except ImportError as exc:
        return _fail(str(exc), 3)
    if args.image >= len(x):
        return _fail(f"--image {args.image}: the {args.dataset} test split has {len(x)} images (0 .. {len(x) - 1})", 2)

    from ..report import collect, write_report

    bars = _Bars(enabled=not args.no_progress)
    source = str(args.checkpoint or args.export)
    try:
        data = collect(net.qnet, x, y, T=net.T, model=net.model, sim=args.sim, image=args.image,
                       limit=args.limit or max(1, DEFAULT_LIMIT[args.sim]),
                       parallelism=args.parallelism, boards=args.boards, source=source, dataset=args.dataset,
                       meta=net.meta, progress=bars)
        page = write_report(data, out, progress=bars, command=_command(args))
    except (ValueError, TypeError) as exc:
        return _fail(str(exc), 2)
    finally:
        bars.close()
    print(f"{PREFIX} wrote {page} (open it in a browser; the numbers are in {out / 'report.json'})")
    for rung in data.ladder:
        acc = "-" if rung.accuracy is None else f"{100 * rung.accuracy:.2f} %"
        print(f"  {rung.name:<28} {acc:>9} on {rung.images} images")
    rtl = data.rtl
    if args.sim != "none" and not rtl.ran:
        return _fail(rtl.error or "the RTL did not run", 1)
    if rtl.ran and not rtl.bit_exact:
        return _fail(f"the RTL differs from the SC model: {rtl.differ:,} of {rtl.compared:,} integers", 1)
    return 0
