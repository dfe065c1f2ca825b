"""Training yardsticks: the documented digits task with sc-neurocore and its peers, side by side.

Runs ``training_experiment.run`` (sc-neurocore, snnTorch, SpikingJelly and Norse through their
adapters in ``bench/peers/``), saves its data as ``docs/bench/training.json`` and renders
``docs/bench/training.md`` and ``docs/img/training_speed.png`` from it (``training_report``).
``--dataset mnist5k`` runs the same protocol on the 28x28 set with the 784-128-128-10 net and writes
``docs/bench/training_mnist5k.{json,md}`` (and ``docs/img/training_mnist5k_speed.png``)::

    python bench/bench_training.py                # the yardstick: 5 seeds x 10 epochs on digits
    python bench/bench_training.py --dataset mnist5k --no-infer   # the 28x28 set, accuracy and s/epoch
    python bench/bench_training.py --quick        # a short smoke run
    python bench/bench_training.py --render-only  # re-render the report from the JSON, run nothing
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "training"
SCRIPT = "bench/bench_training.py"
#: The report (and JSON) of each dataset: ``docs/bench/<name>.md``.
REPORTS = {"digits": NAME, "mnist5k": f"{NAME}_mnist5k"}


def report_name(dataset: str) -> str:
    """``training`` for digits, ``training_mnist5k`` for the 28x28 set."""
    return REPORTS[dataset]


def widths(text: str) -> list[int]:
    """``"128,128"`` -> ``[128, 128]`` (positive integers); argparse's error otherwise."""
    try:
        out = [int(w) for w in text.split(",")]
    except ValueError:
        out = []
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError(f"takes comma-separated positive widths like 128,128, not {text!r}")
    return out


def parse_args(argv):
    import training_experiment

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog=SCRIPT)
    ap.add_argument("--quick", action="store_true", help="1 seed, 2 epochs, 5 inference repeats")
    ap.add_argument(
        "--dataset",
        choices=training_experiment.DATASETS,
        default="digits",
        help="digits (64-128-10, docs/bench/training.md) or mnist5k (the 28x28 set, 784-128-128-10, "
        "docs/bench/training_mnist5k.md) (default: digits)",
    )
    ap.add_argument("--seeds", type=int, default=None, help="seeds (default 5)")
    ap.add_argument("--epochs", type=int, default=None, help="epochs (default 10)")
    ap.add_argument("--infer-repeats", type=int, default=None, help="inference repeats (default 30)")
    ap.add_argument("--infer-batch", type=int, default=256)
    ap.add_argument("--infer-block", type=float, default=None, help="seconds of forwards per timed block (default 0.2)")
    ap.add_argument(
        "--hidden",
        type=widths,
        default=None,
        metavar="N1,N2,...",
        help="width of each hidden layer (default: 128 for digits, 128,128 for mnist5k)",
    )
    ap.add_argument("--T", type=int, default=25)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument(
        "--libs",
        default="ours,ours-seq,snntorch,spikingjelly,norse",
        help="comma-separated subset of ours,ours-seq,snntorch,spikingjelly,norse",
    )
    ap.add_argument(
        "--out-dir",
        default=str(common.REPORT_DIR),
        help="where the report and its JSON go (training.md/json, training_mnist5k.md/json)",
    )
    ap.add_argument(
        "--plot",
        default=None,
        help="plot path ('' for none; default docs/img/training_speed.png, or training_mnist5k_speed.png)",
    )
    ap.add_argument("--no-profile", dest="profile", action="store_false", help="skip the profiler table")
    ap.add_argument(
        "--no-infer",
        dest="infer",
        action="store_false",
        help="skip the inference timing (accuracy, s/epoch and the same-weights check only)",
    )
    common.add_render_only(ap)
    args = ap.parse_args(argv)
    args.name = report_name(args.dataset)
    if args.plot is None:
        args.plot = str(common.IMG_DIR / f"{args.name}_speed.png")
    if args.hidden is None:
        args.hidden = list(training_experiment.NETS[args.dataset])
    args.seeds = args.seeds if args.seeds is not None else (1 if args.quick else 5)
    args.epochs = args.epochs if args.epochs is not None else (2 if args.quick else 10)
    args.infer_repeats = args.infer_repeats if args.infer_repeats is not None else (5 if args.quick else 30)
    args.infer_block = args.infer_block if args.infer_block is not None else (0.05 if args.quick else 0.2)
    args.libs = [s.strip() for s in args.libs.split(",") if s.strip()]
    return args


def experiment(args, argv) -> dict:
    """Run the experiment with the settings of ``args``; its data with the command that made it."""
    import training_experiment

    unknown = sorted(set(args.libs) - set(training_experiment.ALL_LIBS))
    if unknown:
        raise SystemExit(f"{SCRIPT}: unknown --libs {unknown}; known: {', '.join(training_experiment.ALL_LIBS)}")
    names = {f.name for f in fields(training_experiment.Settings)}
    settings = training_experiment.Settings(**{k: v for k, v in vars(args).items() if k in names})
    data = training_experiment.run(settings, log=lambda msg: print(msg, flush=True))
    data["command"] = common.command_line(SCRIPT, argv)
    return data


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    import training_experiment
    import training_report

    t0 = time.perf_counter()
    if args.render_only:
        try:
            data = common.read_json(args.name, args.out_dir, schema=training_experiment.SCHEMA)
        except common.RenderError as exc:
            print(f"{SCRIPT}: {exc}", file=sys.stderr)
            return 2
    else:
        data = experiment(args, argv)
        common.write_json(args.name, data, args.out_dir)
    plotted = bool(args.plot) and training_report.plot(data, Path(args.plot))
    text = training_report.render(data, plot=Path(args.plot).name if plotted else None)
    path = common.write_report(args.name, text, Path(args.out_dir))
    print(text)
    print(f"wrote {path} in {time.perf_counter() - t0:.0f} s")
    ran = [lib for lib in data["libs"] if lib["epoch_s"] and not lib["error"]]
    return 0 if ran else 1


if __name__ == "__main__":
    sys.exit(main())
