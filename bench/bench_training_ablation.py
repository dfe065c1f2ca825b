"""Which of sc-neurocore's training choices moves its accuracy? One change at a time, same seeds (issue 17).

The benchmark's protocol (``training_experiment``: the ``ours`` row of ``bench_training.py``, by default on
the 28x28 set with the 784-128-128-10 net) is the ``base`` variant; every other variant changes one
thing the issue names as a candidate (:data:`VARIANTS`): the weight initialisation, the arctangent
surrogate's slope, the loss's reduction and scale, the spike test at a tie (``>=`` against ``>``, with
the step loop it needs as its own control), the constant-current shortcut, learnable beta and
threshold.  Seed ``k`` fixes the initial weights (``torch.manual_seed(k)`` before the net is built) and
the shuffling (a generator seeded with ``k``), so the variants are compared seed by seed (paired
differences).  Then the user's path: ``sc-neurocore train`` in a fresh process for the same seeds,
with torch's default threads and with one (``OMP_NUM_THREADS=1``, the benchmark's setting).

Saves ``docs/bench/training_ablation.json`` and renders ``docs/bench/training_ablation.md`` from it::

    python bench/bench_training_ablation.py                 # mnist5k, 5 seeds x 10 epochs, every variant, the CLI
    python bench/bench_training_ablation.py --variants base,tie-ge --seeds 2 --epochs 1 --no-cli
    python bench/bench_training_ablation.py --render-only   # re-render the report from the JSON
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "training_ablation"
SCRIPT = "bench/bench_training_ablation.py"
SCHEMA = 1


@dataclass(frozen=True)
class Variant:
    """One change to the base protocol (every field at its default is the base)."""

    label: str
    change: str  # what differs from the base, for the report
    init: str = "torch"  # torch's Linear default (kaiming_uniform a=sqrt(5)), "xavier" or "kaiming-normal"
    alpha: float = 2.0  # the arctangent surrogate's slope
    loss: str = "mean"  # cross-entropy on the counts: "mean" over the batch, "sum", or "rate" (counts / T, mean)
    spike: str = "kernel"  # the fused kernel (>), "loop-gt" (autograd step loop, >), "loop-ge" (step loop, >=)
    shortcut: bool = True  # the first layer's current computed once (False: over all T x B rows)
    learn: bool = False  # beta and threshold trainable (Adam updates them)


VARIANTS = {
    "base": Variant("base (the benchmark's `ours`)", "—"),
    "init-xavier": Variant("init: Xavier uniform", "weights `xavier_uniform_` (biases as torch's)", init="xavier"),
    "init-kaiming": Variant("init: Kaiming normal", "weights `kaiming_normal_(fan_in, relu)`", init="kaiming-normal"),
    "alpha-1": Variant("surrogate α = 1", "atan slope 1 (peak of the derivative 0.5)", alpha=1.0),
    "alpha-4": Variant("surrogate α = 4", "atan slope 4 (peak 2)", alpha=4.0),
    "loss-sum": Variant("loss: sum over the batch", "`cross_entropy(counts, y, reduction='sum')`", loss="sum"),
    "loss-rate": Variant("loss: on rates", "`cross_entropy(counts / T, y)` (logits 25× smaller)", loss="rate"),
    "loop-gt": Variant("step loop, `>`", "autograd step loop instead of the fused kernel (tie control)",
                       spike="loop-gt"),
    "tie-ge": Variant("step loop, `≥`", "fires at `v ≥ θ` (SpikingJelly's test) instead of `v > θ`", spike="loop-ge"),
    "no-shortcut": Variant("no constant-current shortcut", "the first layer over all T·B rows, its gradient "
                           "summed by autograd", shortcut=False),
    "learn-beta-theta": Variant("learnable β and θ", "`learn_beta=True, learn_threshold=True` (Adam updates them)",
                                learn=True),
}  # fmt: skip


def _spike_fn(ge: bool, ties: list):
    """A spike function for the step loop: ``x > 0`` (or ``x >= 0``) forward, the atan (alpha 2) derivative
    backward; ``ties[0]`` counts the exact ties ``x == 0`` it sees."""
    import torch
    from sc_neurocore.training import atan_surrogate

    class Spike(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ties[0] += int((x == 0).sum())
            return (x >= 0 if ge else x > 0).to(x.dtype)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * atan_surrogate.grad(x)

    return Spike.apply


def build(v: Variant, spec, ties: list):
    """The variant's net (torch's global RNG initialises it: seed it first)."""
    import torch
    from sc_neurocore.training import SpikingNet, atan_surrogate

    if v.spike == "kernel":
        surrogate = atan_surrogate if v.alpha == 2.0 else atan_surrogate.with_params(alpha=v.alpha)
    else:
        surrogate = _spike_fn(v.spike == "loop-ge", ties)
    model = SpikingNet(sizes=list(spec.sizes), beta=spec.beta, threshold=spec.theta, surrogate_fn=surrogate,
                       learn_beta=v.learn, learn_threshold=v.learn)  # fmt: skip
    for fc in model.fcs:
        if v.init == "xavier":
            torch.nn.init.xavier_uniform_(fc.weight)
        elif v.init == "kaiming-normal":
            torch.nn.init.kaiming_normal_(fc.weight, mode="fan_in", nonlinearity="relu")
    return model


def loss_fn(v: Variant, T: int):
    import torch.nn.functional as F

    if v.loss == "sum":
        return lambda counts, y: F.cross_entropy(counts, y, reduction="sum")
    if v.loss == "rate":
        return lambda counts, y: F.cross_entropy(counts / T, y)
    return F.cross_entropy


def _epoch_without_shortcut(model, loader, opt, T: int, loss) -> None:
    """The peers' loop with an input that requires grad: ``SpikingNet`` then runs the first layer over all T·B rows."""
    model.train()
    for xb, yb in loader:
        x_seq = xb.unsqueeze(0).repeat(T, 1, 1).requires_grad_(True)
        counts, _ = model(x_seq)
        opt.zero_grad(set_to_none=True)
        loss(counts, yb).backward()
        opt.step()


def weights_digest(model) -> str:
    """The first 12 hex digits of the SHA-256 of every parameter's bytes, in order (equal nets, equal digests)."""
    h = hashlib.sha256()
    for p in model.parameters():
        h.update(p.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:12]


def train_one(v: Variant, spec, data, seed: int, epochs: int, T: int) -> dict:
    """Train the variant from seed ``seed`` as the benchmark trains ``ours``; its validation accuracy (%)."""
    import torch
    from sc_neurocore.training import train_epoch
    from training_experiment import BATCH, LR

    x_tr, x_te, y_tr, y_te = data
    ties = [0]
    torch.manual_seed(seed)
    model = build(v, spec, ties)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x_tr, y_tr), batch_size=BATCH, shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )  # fmt: skip
    loss = loss_fn(v, T)
    t0 = time.perf_counter()
    for _ in range(epochs):
        if v.shortcut:
            train_epoch(model, loader, opt, T, device=torch.device("cpu"), loss_fn=loss, progress=False)
        else:
            _epoch_without_shortcut(model, loader, opt, T, loss)
    seconds = time.perf_counter() - t0
    train_ties = ties[0]
    model.eval()
    with torch.no_grad():
        counts, _ = model.forward_static(x_te, T)
    acc = 100.0 * (counts.argmax(1) == y_te).float().mean().item()
    betas = [float(lif.param("beta")) for lif in model.lifs]
    thetas = [float(lif.threshold) for lif in model.lifs]
    return dict(
        acc=acc,
        seconds=seconds,
        ties=train_ties if v.spike != "kernel" else None,
        digest=weights_digest(model),
        betas=betas,
        thetas=thetas,
    )


def cli_run(dataset: str, hidden, seed: int, epochs: int, threads: int | None) -> dict:
    """``sc-neurocore train`` in a fresh process (the user's path): its validation accuracy (%) and torch threads."""
    from sc_neurocore.training.checkpoint import load_checkpoint

    env = dict(os.environ)
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    else:
        env.pop("OMP_NUM_THREADS", None)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "net.pt"
        argv = ["train", "--dataset", dataset, "--hidden-sizes", ",".join(map(str, hidden)), "--epochs",
                str(epochs), "--seed", str(seed), "--device", "cpu", "--no-progress", "-o", str(out)]  # fmt: skip
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sc_neurocore.cli", *argv], check=True, env=env, capture_output=True)
        wall = time.perf_counter() - t0
        model, meta = load_checkpoint(out)
    return dict(
        acc=100.0 * meta["val_accuracy"],
        threads=meta["torch_threads"],
        wall=wall,
        digest=weights_digest(model),
        command="sc-neurocore " + " ".join(argv[:-2]) + " -o net.pt",
    )


def experiment(args, argv, log=print) -> dict:
    import torch
    import training_experiment
    from training_experiment import Settings, load_data, net_spec

    torch.set_num_threads(args.threads)
    data = load_data(args.dataset)
    s = Settings(dataset=args.dataset, hidden=list(training_experiment.NETS[args.dataset]), T=args.T)
    spec = net_spec(s, data)
    rows = {}
    t0 = time.perf_counter()
    for key in args.variants:
        v = VARIANTS[key]
        runs = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            runs.append(train_one(v, spec, data, seed, args.epochs, args.T))
            log(f"{key} seed {seed}: {runs[-1]['acc']:.2f} % ({runs[-1]['seconds']:.1f} s)")
        rows[key] = dict(variant=asdict(v), runs=runs)
    cli = {}
    if args.cli:
        for name, threads in (("default threads", None), ("1 thread", 1)):
            runs = []
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                runs.append(cli_run(args.dataset, spec.hidden, seed, args.epochs, threads))
                log(f"cli ({name}) seed {seed}: {runs[-1]['acc']:.2f} % ({runs[-1]['threads']} threads)")
            cli[name] = runs
    return dict(
        schema=SCHEMA,
        bench=NAME,
        when=common.utc_now(),
        revision=common.git_revision(),
        machine=common.machine_info(),
        torch=common.package_version("torch"),
        settings=dict(
            dataset=args.dataset,
            seeds=args.seeds,
            epochs=args.epochs,
            T=args.T,
            threads=args.threads,
            first_seed=args.first_seed,
            sizes=list(spec.sizes),
        ),
        rows=rows,
        cli=cli,
        seconds=time.perf_counter() - t0,
        command=common.command_line(SCRIPT, argv),
    )


# ---------------------------------------------------------------------------------------------- report


def _pm(xs) -> str:
    m, s = common.mean_std(xs)
    return f"{m:.2f} ± {s:.2f}"


def _paired(xs, base) -> str:
    """Mean ± std of the per-seed differences to the base (points) and the 95 % interval of their mean, as the
    training benchmark reports its peers (:func:`training_report._paired_difference`)."""
    import training_report

    return training_report._paired_difference(xs, base) if min(len(xs), len(base)) else "-"


def _same(digests, base) -> str:
    n = min(len(digests), len(base))
    same = sum(a == b for a, b in zip(digests[:n], base[:n]))
    return f"{same}/{n}"


def _peers_line(dataset: str, out_dir) -> list[str]:
    """The peers' means from the training benchmark's JSON of the same dataset, when it is there."""
    import bench_training

    try:
        data = common.read_json(bench_training.report_name(dataset), out_dir, schema=None)
        libs = [lib for lib in data["libs"] if lib["acc"]]
    except (common.RenderError, KeyError, TypeError):
        return []
    parts = [f"{lib['label']} {_pm(lib['acc'])} ({len(lib['acc'])} seeds)" for lib in libs]
    return [
        f"For comparison, `docs/bench/{bench_training.report_name(dataset)}.md` (`{data.get('command', '?')}`, "
        f"run {data.get('when', '?')}): " + "; ".join(parts) + ".",
        "",
    ]


def render(data: dict, peers_lines: list[str] | None = None) -> str:
    s, m = data["settings"], data["machine"]
    rows = data["rows"]
    base = rows.get("base", {}).get("runs", [])
    base_acc, base_dig = [r["acc"] for r in base], [r["digest"] for r in base]
    lines = [
        f"## Accuracy ablation: sc-neurocore's training choices, one at a time ({s['dataset']}, "
        f"{'-'.join(map(str, s['sizes']))})", "",
        f"Command: `{data['command']}` (from the repository root). Run {data['when']} on {m['cpu']} "
        f"({m['cores']} cores), torch {data['torch']}, {s['threads']} torch thread(s), commit {data['revision']}; "
        f"{data['seconds'] / 60:.0f} min.", "",
        f"Protocol: the training benchmark's (`bench/training_experiment.py`): T = {s['T']}, β = 0.9, θ = 1, subtract "
        f"reset, atan surrogate α = 2, Adam lr 2e-3, batch 64, {s['epochs']} epochs, seeds {s.get('first_seed', 0)}–{s.get('first_seed', 0) + s['seeds'] - 1} (seed "
        "k: `torch.manual_seed(k)` before the net is built, the same k seeds the shuffling), validation accuracy "
        "after the last epoch. Each variant changes one thing; the differences are paired (seed by seed, "
        "same initial weights and batches as the base; the `≥` row against its step-loop control `loop-gt` "
        "instead, as it says). `same weights as base`: runs whose trained parameters are bit for bit the base's "
        "(the control's for `≥`); `ties`: exact ties `v = θ` met by the "
        "spike test during training (step-loop variants count them).", "",
    ]  # fmt: skip
    table = []
    for key, row in rows.items():
        v, runs = row["variant"], row["runs"]
        acc, dig = [r["acc"] for r in runs], [r["digest"] for r in runs]
        ref_key = "loop-gt" if key == "tie-ge" and "loop-gt" in rows else "base"
        ref = rows.get(ref_key, {}).get("runs", [])
        ties = [r["ties"] for r in runs if r.get("ties") is not None]
        table.append([v["label"], v["change"], _pm(acc), " / ".join(f"{a:.1f}" for a in acc),
                      "-" if key == "base" else _paired(acc, [r["acc"] for r in ref]),
                      "-" if key == "base" else _same(dig, [r["digest"] for r in ref]) + (f" (vs {ref_key})"
                                                                                        if ref_key != "base" else ""),
                      str(sum(ties)) if ties else "-",
                      f"{common.median([r['seconds'] for r in runs]) / s['epochs']:.2f}"])  # fmt: skip
    lines += [
        common.md_table(
            [
                "variant",
                "what changes",
                "accuracy % (mean ± std)",
                "per seed",
                "Δ vs base (paired, points)",
                "same weights as base",
                "ties",
                "s/epoch",
            ],
            table,
        ),
        "",
    ]
    learned = rows.get("learn-beta-theta")
    if learned:
        r0 = learned["runs"][0]
        lines += [
            f"Learnable β and θ, seed 0 after training: β = {', '.join(f'{b:.3f}' for b in r0['betas'])}; "
            f"θ = {', '.join(f'{t:.3f}' for t in r0['thetas'])} (per layer).",
            "",
        ]
    if data.get("cli"):
        crow = []
        for name, runs in data["cli"].items():
            acc = [r["acc"] for r in runs]
            crow.append(
                [
                    f"`sc-neurocore train`, {name} ({runs[0]['threads']})",
                    _pm(acc),
                    " / ".join(f"{a:.1f}" for a in acc),
                    _paired(acc, base_acc),
                    _same([r["digest"] for r in runs], base_dig),
                ]
            )
        lines += [
            "The user's path: `"
            + next(iter(data["cli"].values()))[0]["command"].replace("--seed 0", "--seed k")
            + "` in a fresh process for each seed k (the command's defaults otherwise: torch's Linear init, "
            "cross-entropy on the counts, the seeded shuffling, pixels / 255, β and θ fixed):",
            "",
            common.md_table(
                [
                    "run (torch threads)",
                    "accuracy % (mean ± std)",
                    "per seed",
                    "Δ vs base (paired, points)",
                    "same weights as base",
                ],
                crow,
            ),
            "",
        ]
    lines += peers_lines or []
    return "\n".join(lines)


def parse_args(argv):
    import training_experiment

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog=SCRIPT)
    ap.add_argument("--dataset", choices=training_experiment.DATASETS, default="mnist5k")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1 (default 0)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--T", type=int, default=25)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1, as the training benchmark)")
    ap.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated subset of {', '.join(VARIANTS)}")
    ap.add_argument("--no-cli", dest="cli", action="store_false", help="skip the `sc-neurocore train` runs")
    ap.add_argument("--quick", action="store_true", help="2 seeds, 1 epoch, base and tie-ge, no CLI")
    ap.add_argument("--out-dir", default=str(common.REPORT_DIR))
    common.add_render_only(ap)
    args = ap.parse_args(argv)
    if args.quick:
        args.seeds, args.epochs, args.variants, args.cli = 2, 1, "base,loop-gt,tie-ge", False
    args.variants = [k.strip() for k in args.variants.split(",") if k.strip()]
    unknown = sorted(set(args.variants) - set(VARIANTS))
    if unknown:
        ap.error(f"unknown --variants {unknown}; known: {', '.join(VARIANTS)}")
    return args


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.render_only:
        try:
            data = common.read_json(NAME, args.out_dir, schema=SCHEMA)
        except common.RenderError as exc:
            print(f"{SCRIPT}: {exc}", file=sys.stderr)
            return 2
    else:
        data = experiment(args, argv, log=lambda msg: print(msg, flush=True))
        if args.quick:
            print(render(data))
            return 0
        common.write_json(NAME, data, args.out_dir)
    text = render(data, _peers_line(data["settings"]["dataset"], args.out_dir))
    path = common.write_report(NAME, text, Path(args.out_dir))
    print(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
