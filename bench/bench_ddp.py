"""Data-parallel training (DDP under torchrun, gloo on the CPU): 2 processes against 1 at the same global batch.

Writes ``docs/bench/ddp.md``.

Trains the same net three times, each a fresh ``torchrun --standalone --nproc_per_node N -m sc_neurocore.cli train
--ddp`` (seed 0, on the CPU): with 1 process, with 2 processes at the same global batch, and -- the control -- with
1 process at half the batch (what one rank alone would take).  It reports the largest weight difference of each
against the 1-process net (DDP averages the ranks' half-batch gradients where one process takes the whole batch's
mean: equal up to float rounding, which Adam's per-coordinate normalisation amplifies on near-zero gradients), the
test accuracies and the wall times (on this 2-core machine the 2 processes share the cores that one process's
torch threads use, so the time says what the overhead of the process group is, not what 2 machines would gain).
The experiment saves ``docs/bench/ddp.json``; the report (:func:`render`) reads only that.  Usage::

    python bench/bench_ddp.py [--dataset digits] [--epochs 3] [--quick] [--render-only]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "ddp"
SCRIPT = "bench/bench_ddp.py"
SCHEMA = 1
BATCH = 64


def train_argv(dataset: str, epochs: int, batch: int, out: Path) -> list[str]:
    return ["train", "--ddp", "--dataset", dataset, "--epochs", str(epochs), "--batch-size", str(batch), "--seed",
            "0", "--device", "cpu", "--no-progress", "-o", str(out)]


def run(nproc: int, dataset: str, epochs: int, batch: int, out: Path) -> dict:
    argv = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc), "-m", "sc_neurocore.cli",
            *train_argv(dataset, epochs, batch, out)]
    print(f"[{NAME}] torchrun --nproc_per_node {nproc} -m sc_neurocore.cli {' '.join(argv[7:])}", flush=True)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *argv], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    from sc_neurocore.training.checkpoint import load_checkpoint

    model, meta = load_checkpoint(out)
    return {"nproc": nproc, "batch": batch, "wall_seconds": wall, "train_seconds": meta["train_seconds"],
            "val_accuracy": meta["val_accuracy"], "ddp": meta["ddp"], "state": model.state_dict(),
            "command": f"torchrun --nproc_per_node {nproc} -m sc_neurocore.cli "
                       + " ".join(train_argv(dataset, epochs, batch, Path(out.name)))}


def experiment(dataset: str, epochs: int) -> dict:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [run(1, dataset, epochs, BATCH, Path(tmp) / "one.pt"), run(2, dataset, epochs, BATCH, Path(tmp) / "two.pt"),
                run(1, dataset, epochs, BATCH // 2, Path(tmp) / "half.pt")]
    ref = runs[0]["state"]
    for r in runs:
        st = r.pop("state")
        r["max_weight_difference"] = max(float((st[k].double() - ref[k].double()).abs().max()) for k in ref)
    return {"schema": SCHEMA, "dataset": dataset, "epochs": epochs, "runs": runs, "when": common.utc_now(),
            "revision": common.git_revision(), "machine": common.machine_info(),
            "load_average_after": common.load_average(), "minutes": (time.perf_counter() - started) / 60}


def render(data: dict, command: str) -> str:
    names = {0: "1 process", 1: "2 processes (DDP, gloo)", 2: "control: 1 process, half the batch"}
    rows = [[names[i], r["batch"], f"{r['max_weight_difference']:.2e}", f"{r['val_accuracy']:.2%}",
             f"{r['train_seconds']:.1f}", f"{r['wall_seconds']:.1f}"] for i, r in enumerate(data["runs"])]
    lines = ["## Data-parallel training (DDP under torchrun)", "",
             f"Produced by `{command}` ({data['when']}, revision {data['revision']}; {data['minutes']:.1f} min; "
             f"{data['machine'].get('cpu', '?')}, load average afterwards {data['load_average_after']}).", "",
             f"The default dense net on `{data['dataset']}`, {data['epochs']} epochs, seed 0, each run a fresh "
             "`torchrun --standalone` (commands below). Weight difference: the largest absolute difference of any "
             "parameter from the 1-process net. DDP averages the two ranks' half-batch gradients where one process "
             "takes the mean over the whole batch, the same number up to float rounding; Adam's per-coordinate "
             "normalisation amplifies that rounding on near-zero gradients, so the nets are not bit-identical but far "
             "closer than a different global batch (the control) leaves them; spikes are thresholds, so a small weight "
             "difference can flip a spike and the test accuracies differ by a little. A training set of odd size (digits "
             "has 1,437 images) cannot split evenly: the sampler repeats one image so that both ranks take 719, and the "
             "last global batches then differ by that image. On this 2-core machine the two "
             "processes share the cores one process's torch threads use: the time shows the process group's "
             "overhead, not what two machines would gain. `tests/training/test_distributed.py` holds the same "
             "equality at every commit (2 gloo processes, a small task, a stated tolerance).", "",
             common.md_table(["run", "global batch", "max weight difference", "test accuracy", "training s",
                              "wall s"], rows), ""]
    lines += [f"- {names[i]}: `{r['command']}`" for i, r in enumerate(data["runs"])]
    return "\n".join(lines + [""])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="digits", choices=("digits", "mnist5k"))
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one epoch, printed, nothing written")
    ap.add_argument("--out-dir", type=Path, default=None, help="report folder (default: docs/bench)")
    common.add_render_only(ap)
    args = ap.parse_args(argv)
    argv = list(sys.argv[1:] if argv is None else argv)
    if args.quick and not args.render_only:
        print(render(experiment(args.dataset, 1), common.command_line(SCRIPT, argv)))
        return 0
    data = common.saved_or_new(SCRIPT, NAME, SCHEMA, args, argv, lambda: experiment(args.dataset, args.epochs))
    if data is None:
        return 2
    path = common.write_report(NAME, render(data, data.get("command", common.command_line(SCRIPT, argv))), args.out_dir)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
