"""Recurrent training speed: the fused recurrent LIF kernel against the step loop it replaces, the LIF net beside them.

Three nets of the digits task as ``sc-neurocore train --dataset digits`` builds them, from the same seed (so the same
feedforward weights; ``W_rec`` starts at zero): the LIF net 64-128-10, the recurrent net 64-128r-10 with its hidden
layer on the fused kernel (``RecurrentLIFCell``'s default, :mod:`sc_neurocore.training.recurrent_kernel`), and the
same recurrent net on the autograd step loop (``fused=False``: what every recurrent layer ran before the kernel).
Training: ``train_epoch`` (static image as a constant current over T = 25 steps, spike-count cross-entropy), Adam
lr 2e-3, batch 64, the digits training split (1437 images) shuffled by a generator seeded 0 per net, 1 torch thread;
the epochs of the three interleaved (order rotated each epoch).  s/epoch is the median over the epochs after the
first (a warm-up).  The two recurrent nets see the same batches and compute the same forward bit for bit; their
gradients differ by rounding only, so their weights drift apart by rounding: the report gives the largest weight
difference and both accuracies.  Writes ``docs/bench/recurrent_training.md`` and ``.json``::

    python bench/bench_recurrent_training.py                 # the figures in docs/bench/recurrent_training.md
    python bench/bench_recurrent_training.py --quick         # a smoke run (2 epochs)
    python bench/bench_recurrent_training.py --render-only   # re-render from the JSON
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "recurrent_training"
SCRIPT = "bench/bench_recurrent_training.py"
SCHEMA = 1
LR = 2e-3
BATCH = 64
SIZES = (64, 128, 10)
#: key -> (label, recurrent, fused)
NETS = {
    "lif": ("LIF 64-128-10", False, True),
    "fused": ("recurrent 64-128r-10, fused kernel", True, True),
    "loop": ("recurrent 64-128r-10, step loop (before)", True, False),
}


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog=SCRIPT)
    ap.add_argument("--quick", action="store_true", help="2 epochs")
    ap.add_argument("--epochs", type=int, default=None, help="epochs, the first a warm-up (default 6)")
    ap.add_argument("--T", type=int, default=25)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--out-dir", default=str(common.REPORT_DIR))
    common.add_render_only(ap)
    args = ap.parse_args(argv)
    args.epochs = args.epochs if args.epochs is not None else (2 if args.quick else 6)
    return args


def experiment(args) -> dict:
    import torch
    from sc_neurocore.datasets import load_dataset
    from sc_neurocore.training import SpikingNet, evaluate, native, train_epoch

    torch.set_num_threads(args.threads)
    x_tr, y_tr = (torch.as_tensor(a) for a in load_dataset("digits", "train"))
    x_te, y_te = (torch.as_tensor(a) for a in load_dataset("digits", "test"))
    x_tr, x_te, y_tr, y_te = x_tr.float(), x_te.float(), y_tr.long(), y_te.long()
    setups, rows = {}, {}
    for key, (label, recurrent, fused) in NETS.items():
        torch.manual_seed(0)
        model = SpikingNet(sizes=list(SIZES), recurrent=recurrent)
        for lif in model.lifs[:-1] if recurrent else ():
            lif.fused = fused
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_tr, y_tr), batch_size=BATCH,
                                             shuffle=True, generator=torch.Generator().manual_seed(0))  # fmt: skip
        setups[key] = (model, torch.optim.Adam(model.parameters(), lr=LR), loader)
        rows[key] = dict(key=key, label=label, epoch_s=[], cpu_s=[], accuracy=None)
    for epoch in range(args.epochs):
        keys = list(setups)
        k = epoch % len(keys)
        for key in keys[k:] + keys[:k]:
            model, opt, loader = setups[key]
            t0, c0 = time.perf_counter(), time.process_time()
            train_epoch(model, loader, opt, args.T, progress=False)
            rows[key]["epoch_s"].append(time.perf_counter() - t0)
            rows[key]["cpu_s"].append(time.process_time() - c0)
        print(f"epoch {epoch}: " + ", ".join(f"{k} {rows[k]['epoch_s'][-1]:.2f} s" for k in setups), flush=True)
    test = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_te, y_te), batch_size=256)
    for key, (model, _, _) in setups.items():
        rows[key]["accuracy"] = 100.0 * float(evaluate(model, test, args.T, progress=False)[1])
    drift = max(float((a - b).detach().abs().max()) for a, b in zip(setups["fused"][0].parameters(),
                                                             setups["loop"][0].parameters()))  # fmt: skip
    return dict(schema=SCHEMA, bench=NAME, when=common.utc_now(), revision=common.git_revision(),
                machine=common.machine_info(), torch=common.package_version("torch"),
                settings=dict(train=len(x_tr), test=len(x_te), epochs=args.epochs, T=args.T, threads=args.threads,
                              batch=BATCH, lr=LR),
                kernel=str(native.status), nets=list(rows.values()), weight_drift=drift)  # fmt: skip


def _fmt(x: float, digits: int = 2) -> str:
    return "-" if x is None or x != x else f"{x:,.{digits}f}"


def render(data: dict) -> str:
    s = data["settings"]
    med, table = {}, []
    for r in data["nets"]:
        ep = r["epoch_s"][1:] or r["epoch_s"]
        cpu = r["cpu_s"][1:] or r["cpu_s"]
        med[r["key"]] = common.median(ep)
        table.append([r["label"], f"{_fmt(med[r['key']])} ({_fmt(min(ep))})", _fmt(common.median(cpu)),
                      _fmt(r["accuracy"])])  # fmt: skip
    lif, fused, loop = med["lif"], med["fused"], med["loop"]
    return "\n".join(
        [
            "## Recurrent training speed: the fused recurrent kernel against the step loop (CPU)",
            "",
            f"Command: `{data['command']}`.",
            f"Run {data['when']} on {data['machine'].get('cpu', '?')}, torch {data['torch']}, {s['threads']} torch "
            f"thread(s), commit {data['revision']}; load average {data['machine'].get('load', '?')} at the start; "
            f"native loops: {data['kernel'].split(' ')[0]}.",
            "",
            "Nets: `SpikingNet(sizes=[64, 128, 10])` (LIF) and `SpikingNet(sizes=[64, 128, 10], recurrent=True)`, the "
            "latter with its hidden `RecurrentLIFCell` on the fused kernel (the default) and on the autograd step loop "
            "(`fused=False`, what it ran before); all from seed 0 (`W_rec` starts at zero). Training: `train_epoch`, "
            f"the digits training split ({s['train']} images) as a constant current over T = {s['T']}, Adam lr "
            f"{s['lr']:g}, batch {s['batch']}, {s['epochs']} epochs interleaved across the three (order rotated); "
            f"s/epoch is the median of epochs 2..{s['epochs']} (min in brackets), CPU s/epoch the process time. "
            f"Accuracy: the {s['test']} test images after training.",
            "",
            common.md_table(["net", "s/epoch", "CPU s/epoch", "test accuracy %"], table),
            "",
            f"Fused / step loop: {fused / loop:.2f}x the time per epoch ({loop / fused:.1f}x faster); the recurrent net "
            f"now takes {fused / lif:.2f}x the LIF net's time (the step loop {loop / lif:.2f}x).",
            "",
            "The two recurrent nets compute the same forward bit for bit and the same gradients up to rounding "
            "(`tests/training/test_recurrent_kernel.py`); after the epochs above their weights differ by at most "
            f"{data['weight_drift']:.3g}: a rounding difference flips a spike now and then, and the two trainings "
            "part from there (so do their accuracies, by as much as another seed would move them).",
        ]
    )


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    data = common.saved_or_new(SCRIPT, NAME, SCHEMA, args, argv, lambda: experiment(args))
    if data is None:
        return 2
    path = common.write_report(NAME, render(data), args.out_dir)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
