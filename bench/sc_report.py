"""The SC model benchmark's report: Markdown and a plot from the data of ``sc_experiment.run`` alone.

Nothing here runs a model: every figure is read from the data (as saved in ``docs/bench/sc.json``)
or derived from it (means over seeds, the goal check, speed-ups).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

GOAL_POINTS = 0.005  # SC accuracy within 0.5 point of float ...
GOAL_AGREE = 0.99  # ... and at least 99 % agreement with the float net's predictions


def fmt_cell(c: dict) -> str:
    """``accuracy % (agreement %)``, means over the seeds."""
    return f"{100 * np.mean(c['acc']):.2f} ({100 * np.mean(c['agree']):.1f})"


def _header(d: dict) -> list[str]:
    s, m = d["settings"], d["machine"]
    return [
        "## SC model: accuracy vs bitstream length, tuning, fine-tuning, speed",
        "",
        f"Produced by `{d['command']}` on {m['cpu']} ({m['cores']} cores, shared), {d['when']}, commit "
        f"{d['revision']}" + (f"; load average {m['load']} (1, 5, 15 min) at the start." if m.get("load") else "."),
        f"Digits test split ({d['n_test']} images), T = {d['T']}, SpikingNet(64, 128, 10) trained {s['epochs']} "
        f"epochs for each seed in {s['seeds']} (torch seed = seed). SC seed = 1 (contract default), k = 8.",
        "Cells: accuracy % (agreement with the float net's predictions %), mean over the seeds.",
        "",
    ]


def _float_fixed(d: dict) -> list[str]:
    fx = d["fixed"]
    lines = ["### Float and fixed point", "", "| seed | float % | fixed-point % (agreement %) |", "|---|---|---|"]
    for seed, fa, xa, xg in zip(d["settings"]["seeds"], d["float"], fx["acc"], fx["agree"]):
        lines.append(f"| {seed} | {100 * fa:.2f} | {100 * xa:.2f} ({100 * xg:.1f}) |")
    lines += [f"| mean | {100 * np.mean(d['float']):.2f} | {fmt_cell(fx)} |", ""]
    return lines


def _tuning(d: dict) -> list[str]:
    t = d["tuning"]
    lengths = list(dict.fromkeys(r["L"] for r in t["rows"]))
    lines = [
        "### Tuning the LFSR (signed polarity)",
        "",
        "The k = 8 random number of a cycle is the low 8 bits of the LFSR state; `lfsr_steps` shifts per cycle.",
        "",
        "| lfsr_width | lfsr_steps | " + " | ".join(f"L={L}" for L in lengths) + " |",
        "|---|---|" + "---|" * len(lengths),
    ]
    for width, steps in dict.fromkeys((r["width"], r["steps"]) for r in t["rows"]):
        cells = [fmt_cell(r) for r in t["rows"] if (r["width"], r["steps"]) == (width, steps)]
        lines.append(f"| {width} | {steps} | " + " | ".join(cells) + " |")
    best = t["best"]
    return lines + [
        "", f"Sobol at L=16 for comparison: {fmt_cell(t['sobol_L16'])}.", "",
        f"Chosen for the tables below: `lfsr_width={best['width']}, lfsr_steps={best['steps']}` "
        "(highest mean agreement at L=16, then L=8).", "",
    ]  # fmt: skip


def _row(name: str, by_length: list[dict], agree: str = "agree") -> str:
    return f"| {name} | " + " | ".join(fmt_cell({"acc": c["acc"], "agree": c[agree]}) for c in by_length) + " |"


def _accuracy(d: dict) -> list[str]:
    s = d["settings"]
    lengths = [c["L"] for c in d["accuracy"][0]["by_length"]] if d["accuracy"] else s["lengths"]
    lines = [
        "### Accuracy vs bitstream length",
        "",
        f"Float: {100 * np.mean(d['float']):.2f} %. Fine-tuned rows: {s['finetune_epochs']} epochs of SC-aware "
        f"fine-tuning (`sc_finetune`, exact SC forward at L={s['finetune_length']} "
        "with straight-through gradients, lr 5e-4); agreement against the original float net, and in the last rows "
        "against the fine-tuned net run in float.",
        "",
        "| variant | " + " | ".join(f"L={L}" for L in lengths) + " |",
        "|---|" + "---|" * len(lengths),
    ]
    lines += [_row(v["name"], v["by_length"]) for v in d["accuracy"]]
    lines += [_row(f"{v['name']}, fine-tuned", v["by_length"]) for v in d["finetuned"]]
    lines += [_row(f"{v['name']}, fine-tuned, agreement with its own float", v["by_length"], "agree_own")
              for v in d["finetuned"]]  # fmt: skip
    lines.append("")
    for v in d["finetuned"]:
        lines.append(f"Float accuracy of the nets fine-tuned for {v['name']}: {100 * np.mean(v['float']):.2f} %.")
    return lines + [""]


def goal(d: dict, variant: dict) -> tuple[int | None, list[int]]:
    """The shortest L meeting the goal, and the longer lengths at which it fails again."""
    fmean = np.mean(d["float"])
    lengths = [c["L"] for c in variant["by_length"]]
    ok = [c["L"] for c in variant["by_length"]
          if np.mean(c["acc"]) >= fmean - GOAL_POINTS and np.mean(c["agree"]) >= GOAL_AGREE]  # fmt: skip
    shortest = min(ok) if ok else None
    return shortest, [L for L in lengths if ok and L >= shortest and L not in ok]


def _goal_check(d: dict) -> list[str]:
    lines = ["### Goal check: SC within 0.5 point of float and >= 99 % agreement (means over seeds)", ""]
    for v in d["accuracy"]:
        shortest, fails = goal(d, v)
        lines.append(f"- {v['name']}: shortest L meeting the goal: {shortest}"
                     + (f" (but not at L={fails})" if fails else ""))  # fmt: skip
    return lines + [""]


def _speed(d: dict) -> list[str]:
    speed = {(r["L"], r["rng"]): r for r in d["speed"]}
    up = d["upstream"]
    peer = {r["L"]: r for r in up["net"]}
    lines = ["### Speed", "", f"Whole digits net, T = {d['T']}, {d['n_test']} test images in one batch, signed "
             f"polarity, wall time of `SCNetwork.run(x, {d['T']}, trace=False)` (sources cached: warm, best of 3; "
             "cold: a fresh network, LFSR sequence cache cleared).", "",
             "| L | ours LFSR warm / cold samples/s | ours Sobol warm / cold samples/s | upstream peer samples/s "
             "(images) | speed-up (ours LFSR warm / peer) |", "|---|---|---|---|---|"]  # fmt: skip
    for L in dict.fromkeys(r["L"] for r in d["speed"]):
        p = peer.get(L, {})
        ps = p.get("samples_per_s")
        pcell = f"{ps:.1f} ({p['n']})" if ps else p.get("error", "not run")
        lfsr, sobol = speed[(L, "lfsr")], speed[(L, "sobol")]
        sp = f"{lfsr['warm'] / ps:.0f}x" if ps else "-"
        lines.append(f"| {L} | {lfsr['warm']:.0f} / {lfsr['cold']:.0f} | {sobol['warm']:.0f} / {sobol['cold']:.0f} "
                     f"| {pcell} | {sp} |")  # fmt: skip
    version = up["versions"].get("sc-neurocore")
    lines += ["", f"Peer: upstream sc-neurocore{' ' + version if version else ''} `to_sc_weights(encoding=\"bipolar\")` + "
              "`VectorizedSCLayer.from_exported_weights` per layer + a float LIF loop, one image at a time "
              "(`bench/peers/upstream_peer.py`)" + ("." if up["status"] is None else f"; {up['status']}.")]
    for r in up["net"]:
        if "accuracy" in r:
            lines.append(f"Peer accuracy on its first {r['n']} images at L={r['L']}: {100 * r['accuracy']:.1f} %.")
    return lines + [""]


def _layer(d: dict) -> list[str]:
    ours, up = d["layer"], d["upstream"]
    L = ours["length"]
    lines = [f"#### One layer, 64 -> 128, L = {L} (bipolar XNOR), time per input vector", "",
             "| implementation | ms per forward |", "|---|---|",
             f"| ours `counts_fast` (tables + exact matmul), one vector | {ours['fast']:.2f} |",
             f"| ours `counts_fast`, batch of 256, per vector | {ours['fast_batch']:.3f} |",
             f"| ours `counts_packed` (bit-level packed reference), one vector | {ours['packed']:.1f} |",
             f"| ours: generating the two {L}-cycle LFSR windows (once per image, cached) | {ours['sources']:.1f} |"]
    layer = up["layer"]
    if "vectorized" in layer:
        lines.append(f"| upstream `VectorizedSCLayer.forward` (bipolar) | {layer['vectorized']:.2f} |")
    if "rust" in layer:
        lines.append(f"| upstream engine (Rust) `DenseLayer.forward` | {layer['rust']:.2f} |")
    if "error" in layer:
        lines.append(f"| upstream | error: {layer['error']} |")
    if up["status"] is not None:
        lines.append("| upstream | not run (no `--upstream`) |")
    return lines + ["", "Counts of `counts_fast` and `counts_packed` are asserted identical in this run.", "",
                    f"Total bench time: {d['seconds']:.0f} s.", ""]  # fmt: skip


def render(d: dict, plot: str | None = None) -> str:
    """The report's Markdown; ``plot``: the image's path relative to the report, if one was drawn."""
    lines = _header(d) + _float_fixed(d) + _tuning(d) + _accuracy(d) + _goal_check(d)
    if plot:
        lines += [f"![accuracy vs length]({plot})", "", f"(plot from the same command: `{d['command']}`)", ""]
    else:
        lines += ["(matplotlib missing: no plot)", ""]
    return "\n".join(lines + _speed(d) + _layer(d))


def plot(d: dict, path: Path) -> bool:
    """Accuracy vs length of every variant (and the fine-tuned nets), full and zoomed; ``False`` without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fmean = 100 * np.mean(d["float"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax in axes:
        for v in d["accuracy"]:
            ax.plot([c["L"] for c in v["by_length"]], [100 * np.mean(c["acc"]) for c in v["by_length"]], marker="o",
                    label=v["name"])  # fmt: skip
        for v in d["finetuned"]:
            ax.plot([c["L"] for c in v["by_length"]], [100 * np.mean(c["acc"]) for c in v["by_length"]], marker="x",
                    linestyle="--", label=v["name"] + ", fine-tuned")  # fmt: skip
        ax.axhline(fmean, color="k", linestyle=":", label="float")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("bitstream length L per timestep")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("digits test accuracy % (mean of seeds)")
    axes[0].set_title(f"Bit-exact SC inference, T = {d['T']}")
    axes[1].set_ylim(fmean - 3, fmean + 1.5)
    axes[1].set_title("zoom: within 3 points of float")
    axes[1].legend(fontsize=7, loc="lower right")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True
