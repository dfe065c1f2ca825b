"""SC model measurements: accuracy vs bitstream length, contract tuning, fine-tuning, speed vs upstream.

Runs ``sc_experiment.run``, saves its data as ``docs/bench/sc.json`` and renders ``docs/bench/sc.md``
and ``docs/img/accuracy_vs_length.png`` from it (``sc_report``)::

    python bench/bench_sc.py                                  # everything we can measure here
    python bench/bench_sc.py --upstream /tmp/upstream         # + the published sc-neurocore as a peer
    python bench/bench_sc.py --render-only                    # re-render from the JSON, run nothing

The upstream peer (AGPL, a different package with the same import name) is installed apart and
run in its own interpreter (``bench/peers/upstream_peer.py``)::

    pip install --no-deps --target /tmp/upstream -r bench/requirements-upstream.txt
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "sc"
SCRIPT = "bench/bench_sc.py"


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], prog=SCRIPT)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lengths", type=int, nargs="+", default=[2, 4, 8, 16, 32, 64, 128, 256, 1024])
    ap.add_argument("--finetune-epochs", type=int, default=2)
    ap.add_argument("--finetune-length", type=int, default=16)
    ap.add_argument("--upstream", default=os.environ.get("SC_NEUROCORE_UPSTREAM"),
                    help="folder with upstream sc-neurocore (+ engine) installed with --target "
                         "(default: $SC_NEUROCORE_UPSTREAM; skipped when missing)")  # fmt: skip
    ap.add_argument("--quick", action="store_true", help="smoke run: one seed, 3 epochs, L in {8, 16}, no peers")
    ap.add_argument("--out", default=str(common.REPORT_DIR / "sc.md"), help="the report; its data goes beside it")
    ap.add_argument("--img", default=str(common.IMG_DIR / "accuracy_vs_length.png"), help="plot path ('' for none)")
    common.add_render_only(ap)
    args = ap.parse_args(argv)
    if args.quick:
        args.seeds, args.epochs, args.lengths, args.finetune_epochs, args.upstream = [0], 3, [8, 16], 1, None
    if args.upstream and not Path(args.upstream).is_dir():
        print(f"{SCRIPT}: no upstream folder {args.upstream!r}; peers skipped", file=sys.stderr)
        args.upstream = None
    return args


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    import sc_experiment
    import sc_report

    out = Path(args.out)
    if args.render_only:
        try:
            data = common.read_json(out.stem, out.parent, schema=sc_experiment.SCHEMA)
        except common.RenderError as exc:
            print(f"{SCRIPT}: {exc}", file=sys.stderr)
            return 2
    else:
        settings = sc_experiment.Settings(
            quick=args.quick, seeds=args.seeds, epochs=args.epochs, lengths=args.lengths,
            finetune_epochs=args.finetune_epochs, finetune_length=args.finetune_length, upstream=args.upstream,
        )  # fmt: skip
        data = sc_experiment.run(settings, log=lambda msg: print(f"[sc] {msg}", file=sys.stderr, flush=True))
        data["command"] = common.command_line(SCRIPT, argv)
        common.write_json(out.stem, data, out.parent)
    img = Path(args.img) if args.img else None
    plotted = img is not None and sc_report.plot(data, img)
    text = sc_report.render(data, plot=os.path.relpath(img, out.parent) if plotted else None)
    common.write_report(out.stem, text, out.parent)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
