"""``sc-neurocore report``: one static page that shows a net all the way down the chain.

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
from pathlib import Path

from .argtypes import PARALLELISM_SYNTAX, format_parallelism, non_negative_int, output_dir, parallelism, positive_int
from .export_vectors import add_data_file_option
from .nets import add_net_options, net_from_args

#: RTL images per simulator unless ``--limit`` says otherwise.  Verilator: ~7 s for 50 digits images
#: once built (the first build of a net takes a minute or two and is cached); Icarus runs the engine at
#: ~650 clocks/s, about 15 s per digits image.
DEFAULT_LIMIT = {"verilator": 50, "icarus": 5, "none": 1}

EXAMPLES = """\
examples:
  sc-neurocore report --checkpoint digits.pt -o report/          # then open report/index.html
  sc-neurocore build --board icebreaker --checkpoint digits.pt     # build/boards/icebreaker/build_report.json
  sc-neurocore report --checkpoint digits.pt -o report/          # reads build/boards/*
  sc-neurocore report --export digits_export.npz --sim none -o report/   # no simulator, no torch
"""


def _existing_path(text: str) -> Path:
    p = Path(text).expanduser()
    if not p.exists():
        raise argparse.ArgumentTypeError(f"{p}: no such build folder or report file")
    return p


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="a static HTML page: accuracy ladder, length sweep, traces, rates, clocks, boards",
        description="Run a trained net down the chain (float, fixed point, SC, RTL) on a dataset's test split and "
        "write one self-contained HTML page with the figures (DIR/index.html) and the numbers (DIR/report.json).",
        epilog=EXAMPLES,
    )
    add_net_options(p)
    p.add_argument("-o", "--output", type=output_dir, required=True, metavar="DIR",
                   help="folder for index.html and report.json (created if missing)")
    p.add_argument("--sim", choices=("verilator", "icarus", "none"), default="verilator",
                   help="simulator for the RTL rung and trace (default: verilator; none: skip the RTL)")
    p.add_argument("--limit", type=positive_int, default=None, metavar="N",
                   help=f"test images run through the RTL (default: {DEFAULT_LIMIT['verilator']} on Verilator, "
                   f"{DEFAULT_LIMIT['icarus']} on Icarus)")
    p.add_argument("--image", type=non_negative_int, default=0, metavar="INDEX",
                   help="test image whose spikes and membranes are drawn (default: 0)")
    p.add_argument("--parallelism", type=parallelism, default=None, metavar="LANESxTLANES",
                   help=f"engine for the clocks and the RTL: {PARALLELISM_SYNTAX} (default: the iCEBreaker preset)")
    p.add_argument("--boards", type=_existing_path, nargs="+", default=None, metavar="PATH",
                   help="board build folders (holding the build_report.json of 'sc-neurocore build'), or such "
                   "report files (default: the folders in build/boards/)")
    p.add_argument("--dataset", default=None, help="dataset whose test split is used (default: the checkpoint's, "
                   "else digits)")
    add_data_file_option(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def _command(args) -> str:
    """The command line that made the page (for its footer)."""
    if sys.argv and Path(sys.argv[0]).name == "sc-neurocore" and len(sys.argv) > 1 and sys.argv[1] == "report":
        return "sc-neurocore " + shlex.join(sys.argv[1:])
    words = ["sc-neurocore", "report"]
    words += ["--checkpoint", str(args.checkpoint)] if args.checkpoint else ["--export", str(args.export)]
    for flag in (*getattr(args, "sc_fields", ()), "T", "sim", "limit", "image", "dataset"):
        value = getattr(args, flag, None)
        if value is not None and value != {"sim": "verilator", "image": 0}.get(flag):
            words += [f"--{flag.replace('_', '-')}", str(value)]
    if args.parallelism:
        words += ["--parallelism", format_parallelism(args.parallelism)]
    if args.boards:
        words += ["--boards"] + [str(b) for b in args.boards]
    return shlex.join(words + ["-o", str(args.output)])


def _check_extras(args) -> None:
    """Everything the run needs, before any work: raises MissingTool (exit 3) naming the install command."""
    from ..errors import MissingTool, missing_extra

    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise missing_extra("training", exc, "drawing the report needs matplotlib") from exc
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
        except SimulatorNotFound as exc:  # its message ends with the install command
            raise MissingTool(f"the RTL rung needs {args.sim} (or pass --sim none): {exc}", exc.install) from exc


def run(args) -> int:
    from ..datasets import DATASETS, load_dataset
    from ..errors import CheckFailed
    from ..report import collect, write_report
    from .bars import Bars

    _check_extras(args)
    net = net_from_args(args)
    if args.data is not None:
        from ..datasets import load_data_file

        if args.dataset is not None:
            raise ValueError("give --data FILE.npz or --dataset NAME, not both")
        dataset = str(args.data)
        x, y = load_data_file(args.data, net.qnet.n_input)
    else:
        dataset = args.dataset or net.meta.get("dataset", "digits")
        if dataset not in DATASETS:
            raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")
        x, y = load_dataset(dataset, "test")
    if x.shape[1] != net.qnet.n_input:
        raise ValueError(f"the net takes {net.qnet.n_input} inputs; {dataset} images have {x.shape[1]}")
    if args.image >= len(x):
        raise ValueError(f"--image {args.image}: the {dataset} test split has {len(x)} images (0 .. {len(x) - 1})")
    with Bars("report", enabled=not args.no_progress) as bars:
        data = collect(net.qnet, x, y, T=net.T, model=net.model, sim=args.sim, image=args.image,
                       limit=args.limit or DEFAULT_LIMIT[args.sim], parallelism=args.parallelism,
                       boards=args.boards, source=str(args.checkpoint or args.export), dataset=dataset,
                       meta=net.meta, progress=bars)
        page = write_report(data, args.output, progress=bars, command=_command(args))
    print(f"sc-neurocore report: wrote {page} (open it in a browser; the numbers are in "
          f"{Path(args.output) / 'report.json'})")
    width = max(len(r.name) for r in data.ladder)
    for rung in data.ladder:
        acc = "-" if rung.accuracy is None else f"{100 * rung.accuracy:.2f} %"
        print(f"  {rung.name:<{width}}  {acc:>8} on {rung.images} images")
    rtl = data.rtl
    if args.sim != "none" and not rtl.ran:
        raise CheckFailed(f"{rtl.error or 'the RTL did not run'} (the page says more)")
    if rtl.ran and not rtl.bit_exact:
        raise CheckFailed(f"the RTL differs from the SC model: {rtl.differ:,} of {rtl.compared:,} integers "
                          f"(see {page})")
    return 0
