"""``sc-neurocore demo``: the main job, end to end, with a small default.

Trains a SpikingNet on the documented digits split, exports it to the contract's integers
(``SCConfig()`` unless ``--length``/``--rng`` say otherwise), evaluates float / fixed-point /
SC accuracy on the 360 test images, and checks the RTL against the NumPy SC model on the first
few test images in cocotb (Verilator by default), every integer at every timestep.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

from .argtypes import PARALLELISM_SYNTAX, non_negative_int, output_dir, parallelism, positive_int
from .nets import add_sc_options

EXAMPLES = """\
examples:
  sc-neurocore demo                                   # writes runs/demo/digits.pt and digits_export.npz
  sc-neurocore demo --epochs 10 --hidden 128 --limit 50 -o runs/big
  sc-neurocore demo --sim none                        # no simulator: the models only

The first RTL check compiles the simulator (1-2 min); builds are cached (see 'sc-neurocore clean').
"""


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="train on digits -> SC model -> RTL check (small default)",
        description="The whole chain in one command: train a SpikingNet on the digits split, quantise it to the "
        "contract's integers, compare float / fixed-point / SC accuracy, and check the RTL network core against the "
        "SC model on the first test images.",
        epilog=EXAMPLES,
    )
    p.add_argument("--epochs", type=positive_int, default=5, help="training epochs (default: 5)")
    p.add_argument("--hidden", type=positive_int, default=64, help="hidden neurons (default: 64)")
    p.add_argument("--T", type=positive_int, default=25, help="timesteps per image (default: 25)")
    add_sc_options(p, ("length", "rng"))
    p.add_argument("--seed", dest="train_seed", type=non_negative_int, default=0, help="training seed (default: 0)")
    p.add_argument("--limit", type=non_negative_int, default=10,
                   help="test images checked on the RTL (default: 10; 0 skips the RTL check)")
    p.add_argument("--sim", choices=("verilator", "icarus", "none"), default="verilator",
                   help="RTL simulator (default: verilator)")
    p.add_argument("--parallelism", type=parallelism, default=None, metavar="LANESxTLANES",
                   help=f"engine of the simulated core: {PARALLELISM_SYNTAX} (default: the simulator's, 1xT)")
    p.add_argument("-o", "--output", type=output_dir, default=Path("runs/demo"), metavar="DIR",
                   help="output folder, created if missing (default: runs/demo)")
    p.set_defaults(func=run)


def ladder_table(rows) -> str:
    """A Markdown table ``stage | images | accuracy | agreement with float | note`` (under 100 columns)."""
    head = ("stage", "images", "accuracy", "agreement with float", "note")
    cells = [head, *rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    lines = ["| " + " | ".join(r[i].ljust(widths[i]) for i in range(len(head))) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def run(args) -> int:
    import numpy as np

    from ..datasets import load_digits_split
    from ..errors import CheckFailed
    from ..paths import cache_dir
    from ..sc.network import FixedPointNetwork, SCNetwork
    from .export import save_export
    from .nets import config_from_args
    from .sc_eval import float_predictions
    from .train import save_trained, train_model

    config = config_from_args(args)  # checked before training
    if args.parallelism is not None and args.parallelism[1] > args.T:
        raise ValueError(f"--parallelism {args.parallelism[0]}x{args.parallelism[1]}: at most T={args.T} time lanes")
    args.output.mkdir(parents=True, exist_ok=True)
    _, x_te, _, y_te = load_digits_split()

    print(f"[1/3] train (the same as: sc-neurocore train --hidden {args.hidden} --epochs {args.epochs} "
          f"--seed {args.train_seed} --T {args.T})", flush=True)
    model, meta = train_model(dataset="digits", hidden=args.hidden, seed=args.train_seed, T=args.T, epochs=args.epochs,
                              device="cpu", log=lambda line: print("      " + line, flush=True))
    ckpt = args.output / "digits.pt"
    save_trained(model, meta, ckpt)
    print(f"      float test accuracy {meta['val_accuracy']:.2%} ({meta['train_seconds']:.1f} s)")
    print(f"      wrote {ckpt} (the checkpoint: every command takes it with --checkpoint)")

    qnet = model.to_quantized(config)
    export = save_export(qnet, args.output / "digits_export.npz")
    print(f"[2/3] SC model: L={config.length}, k={config.prob_bits}, rng={config.rng}, seed={config.seed}", flush=True)
    print(f"      wrote {export} (the quantised net: commands take it with --export, no torch needed)")
    float_pred = float_predictions(model, x_te, args.T)
    fxp_pred = FixedPointNetwork.from_quantized(qnet).run(x_te, args.T, trace=False).prediction
    t0 = time.perf_counter()
    sc_pred = SCNetwork.from_quantized(qnet).run(x_te, args.T, trace=False).prediction
    dt = time.perf_counter() - t0
    n = len(y_te)

    def pct(v):
        return f"{100 * v:.2f} %"

    rows = [("float", str(n), pct(np.mean(float_pred == y_te)), "-", "PyTorch SpikingNet")]
    for name, pred, note in (("fixed-point", fxp_pred, "exact integer dot products"),
                             ("SC", sc_pred, "bitstreams, bit-exact NumPy model")):
        rows.append((name, str(n), pct(np.mean(pred == y_te)), pct(np.mean(pred == float_pred)), note))
    print(f"      SC model speed {n / dt:,.0f} images/s")

    if args.sim == "none" or args.limit == 0:
        print("[3/3] RTL check skipped" + (" (--sim none)" if args.sim == "none" else " (--limit 0)"))
        print(ladder_table(rows))
        return 0
    from ..sim.verify import verify_chain
    from .bars import Bars
    from .verify import mismatch_message

    limit = min(args.limit, n)
    print(f"[3/3] RTL check on {args.sim}: the first {limit} test images, every integer at every timestep", flush=True)
    print(f"      the first run compiles the simulator (1-2 min); builds are cached in {cache_dir('sim')}", flush=True)
    with Bars("demo") as bars:
        report = verify_chain(qnet, x_te, y_te, T=args.T, sim=args.sim, limit=limit, float_pred=float_pred,
                              parallelism=args.parallelism, progress=bars, waves="on-failure")
    row = report.rows[0]
    rtl_right = round((row.rtl_acc or 0.0) * limit)
    sc_right = int(np.sum(sc_pred[:limit] == y_te[:limit]))
    rows.append((f"RTL ({row.simulator})", str(limit), pct(rtl_right / limit), "-",
                 f"{row.compared:,} integers vs SC: {row.mismatches} mismatches"))
    print(ladder_table(rows))
    print(f"RTL on the first {limit} test images: {rtl_right}/{limit}; SC model on the same {limit}: "
          f"{sc_right}/{limit}.")
    if limit < n:
        print(textwrap.fill(f"(The same net as the {n}-image rows, on fewer images: the RTL reproduces the SC "
                            f"model's integers; its accuracy differs from the {n}-image figure only because "
                            f"{limit} images are a small sample.)", 100))
    print(textwrap.fill(f"Files: {ckpt}, {export}; simulator builds: {cache_dir('sim')} ('sc-neurocore clean' "
                        "removes them).", 100, break_on_hyphens=False, break_long_words=False))
    if not report.ok:
        raise CheckFailed(mismatch_message(report))
    return 0
