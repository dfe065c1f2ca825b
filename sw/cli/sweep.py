"""``sc-neurocore sweep``: a grid of bitstream lengths, sources, engine parallelisms and boards, with its Pareto fronts.

Every point of the grid (``sc_neurocore.boards.sweep``) gets the SC model's accuracy and agreement
with float over the test split, the engine's exact clocks per image (mean and worst), and unless
``--no-build`` a real build: resources, fmax and images/s at the board's clock.  Writes
``DIR/results.csv`` (one row per point), ``DIR/results.json`` (the same with the seconds each
point took), ``DIR/index.html`` (the Pareto fronts: accuracy against images/s and against LUTs,
and whether each board's preset is on them) and ``DIR/points/KEY/`` per point (its record, log,
and a build's tool log, bitstream and reports).  Points already in ``DIR/points`` are not computed
again.  The points run on a local process pool (``--jobs``, default: the cores) or on Ray
(``--executor ray``, ``--address``).  Exit 0 when the results are written, failed points
included (each is a row with its status), 2 for a bad grid or input, 3 when a tool or extra is
missing.
"""

from __future__ import annotations

import argparse
import hashlib
import shlex
import sys
from pathlib import Path

from .argtypes import non_negative_float, non_negative_int, output_dir, positive_int
from .export_vectors import add_data_file_option

EXAMPLES = """\
examples:
  sc-neurocore sweep --checkpoint digits.pt --grid "length=8,16,32 rng=sobol,lfsr parallelism=1x8,1x16 board=icebreaker" -o sweep/
  sc-neurocore sweep --checkpoint digits.pt --grid "length=8,16 rng=sobol,lfsr" --no-build -o sweep/   # seconds
  sc-neurocore sweep --checkpoint digits.pt --grid "board=icebreaker,ulx3s" --executor ray --address auto -o sweep/

grid: KEY=V1,V2,... separated by spaces; keys: length (SC cycles per timestep), rng (sobol, lfsr),
parallelism (LANESxTLANES), board.  A missing key: length and rng the contract's, parallelism each
board's preset, board icebreaker.  Ray is the 'cluster' extra: pip install 'sc-neurocore[cluster]';
docs/sweep.md: running on a cluster, and how long a grid takes.
"""


def grid_arg(text: str) -> dict:
    """argparse ``type=`` of ``--grid`` (``boards.sweep.parse_grid``)."""
    from ..boards.sweep import parse_grid

    try:
        return parse_grid(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers) -> None:
    from ..datasets import DATASETS
    from ..executors import DEFAULT_RETRIES, EXECUTORS

    p = subparsers.add_parser(
        "sweep",
        help="design-space sweep: accuracy, clocks, resources and fmax over a grid, with Pareto fronts",
        description="Evaluate and build every point of a grid of bitstream lengths, random sources, engine "
        "parallelisms and boards for a trained net, on this machine or a Ray cluster, and write the results "
        "(DIR/results.csv) with their Pareto fronts (DIR/index.html). Finished points are cached in DIR/points.",
        epilog=EXAMPLES,
    )
    p.add_argument("--checkpoint", required=True, type=Path, metavar="CKPT",
                   help="checkpoint written by 'sc-neurocore train'")
    p.add_argument("--grid", required=True, type=grid_arg, metavar='"KEY=V,V ..."',
                   help='the grid, e.g. "length=8,16,32 rng=sobol,lfsr parallelism=1x8,1x16 board=icebreaker,ulx3s"')
    p.add_argument("-o", "--output", required=True, type=output_dir, metavar="DIR",
                   help="folder for results.csv, index.html and the points (created if missing)")
    p.add_argument("--no-build", action="store_true", help="no FPGA builds: accuracy and clocks only (seconds a point)")
    p.add_argument("--executor", choices=EXECUTORS, default="local",
                   help="where points run: local (a process pool, the default) or ray")
    p.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                   help="points at a time on the local pool, CPUs of a local Ray instance (default: the cores)")
    p.add_argument("--address", default=None, metavar="ADDR",
                   help="Ray cluster: auto (this machine's) or ray://HOST:PORT (default: start a local Ray instance)")
    p.add_argument("--route-budget", type=non_negative_float, default=None, metavar="MINUTES",
                   help="stop a build whose router runs longer (status timeout; default: the board's, as 'build'; "
                   "0: no limit)")
    p.add_argument("--retries", type=non_negative_int, default=DEFAULT_RETRIES, metavar="N",
                   help=f"runs again of a point whose worker died (default: {DEFAULT_RETRIES})")
    p.add_argument("--T", type=positive_int, default=None, help="timesteps per image (default: the checkpoint's)")
    p.add_argument("--dataset", choices=DATASETS, default=None, help="dataset (default: the checkpoint's, else digits)")
    add_data_file_option(p)
    p.add_argument("--limit", type=positive_int, default=None, metavar="N", help="first N test images only")
    p.set_defaults(func=run, split="test")


def _command(argv=None) -> str:
    args = sys.argv[1:] if argv is None else argv
    return "sc-neurocore " + " ".join(shlex.quote(a) for a in args)


def _check_tools(points) -> None:
    """Every board of the grid has its tools here (else MissingTool, exit 3, before any work)."""
    from ..boards.build import check_tools, toolchain_env
    from ..boards.registry import get_board

    env = toolchain_env()
    for board in dict.fromkeys(p.board for p in points):
        check_tools(get_board(board).make_platform(), env)


def run(args) -> int:
    from ..boards.sweep import STATUSES, grid_points, record_json, rows_csv, run_sweep
    from ..executors import make_executor
    from ..fileio import atomic_write_text
    from ..report.sweep_page import pareto_front, preset_verdicts, write_sweep_page
    from ..sc.contract import SCConfig, quantize_probability
    from .bars import Bars
    from .export_vectors import load_inputs
    from .nets import load_net
    from .sc_eval import float_predictions

    points = grid_points(args.grid)
    net = load_net(args.checkpoint, config=SCConfig(), T=args.T)
    x, y, dataset = load_inputs(args, net)
    if not args.no_build:
        _check_tools(points)
    executor = make_executor(args.executor, jobs=args.jobs, address=args.address, max_retries=args.retries)
    with executor:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        codes = quantize_probability(x, net.qnet.config.prob_bits)
        float_pred = float_predictions(net.model, x, net.T)
        source_id = hashlib.sha256(Path(args.checkpoint).read_bytes()).hexdigest()

        def make_qnet(length: int, rng: str):
            return net.model.to_quantized(SCConfig(length=length, rng=rng))

        command = _command()
        with Bars("sweep", note_every=0) as bars:
            bars(f"{len(points)} points, {len(y)} {dataset} test images, T={net.T}"
                 + ("" if args.no_build else ", with builds") + f", on {executor.describe()}")
            result = run_sweep(points, make_qnet, codes, y, T=net.T, source_id=source_id, out_dir=out,
                               float_pred=float_pred, build=not args.no_build, executor=executor,
                               images_name=f"{dataset} test", command=command, progress=bars,
                               route_budget_s="board" if args.route_budget is None else (args.route_budget * 60 or None))
    meta = {"command": command, "checkpoint": str(args.checkpoint), "dataset": dataset, "images": int(len(y)),
            "T": net.T, "build": not args.no_build, "executor": result.executor}
    atomic_write_text(out / "results.csv", rows_csv(result.rows))
    atomic_write_text(out / "results.json", record_json(result, meta))
    title = f"Sweep of {Path(args.checkpoint).name}: {len(points)} points"
    page = write_sweep_page(result.rows, out, title=title, summary=result.summary(), command=command,
                            subtitle=f"{len(y)} {dataset} test images, T={net.T}; "
                            + ("no builds" if args.no_build else "every point built"), statuses=STATUSES)
    _print_summary(result, pareto_front, preset_verdicts)
    print(f"wrote {out / 'results.csv'}, {out / 'results.json'} and {page}")
    return 0


def _print_summary(result, pareto_front, preset_verdicts) -> None:
    rows = result.rows
    print(result.summary())
    front = pareto_front(rows, ["accuracy", "images/s"])
    print("Pareto front, SC accuracy against images/s:")
    for i in sorted(front, key=lambda i: -rows[i]["images_per_s"]):
        r = rows[i]
        print(f"  L={r['length']} {r['rng']} {r['parallelism']} {r['board']}: {100 * r['sc_accuracy']:.2f} %, "
              f"{r['images_per_s']:,.0f} images/s" + (f", {r['luts']:,} LUTs" if r.get("luts") is not None else ""))
    for v in preset_verdicts(rows):
        by = [f"L={rows[j]['length']} {rows[j]['rng']} {rows[j]['parallelism']}" for j in v["dominated_by"]]
        verdict = ("on the front" if v["on_front"] else f"status {rows[v['index']]['status']}" if not v["valid"]
                   else f"dominated by {len(by)} point(s) on the board: " + ", ".join(by[:5])
                   + (", ..." if len(by) > 5 else ""))
        print(f"{v['board']} preset ({', '.join(v['axes'])}): {verdict}")
    bad = result.failed
    for r in bad:
        print(f"  not ok: L={r['length']} {r['rng']} {r['parallelism']} {r['board']}: {r['status']}"
              + (f" ({r['detail']})" if r.get("detail") else "") + f"; log {r.get('log', '')}")
