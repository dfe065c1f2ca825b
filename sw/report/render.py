"""The report page: :class:`~sc_neurocore.report.data.ReportData` drawn as one static HTML file.

:func:`render_html` returns the page as text, its figures inlined as PNG data URIs (matplotlib,
Agg, no pyplot state), so ``index.html`` is the whole report: no server, no files beside it.
:func:`write_report` writes it (and the numbers as ``report.json``) atomically into a folder.

Sections (``<section id=...>``): ``summary``, ``ladder``, ``sweep``, ``trace``, ``rates``,
``clocks``, ``boards`` and, when the checkpoint carries its training history, ``training``.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from pathlib import Path

import numpy as np

from ..fileio import atomic_write_text
from ..progress import emit
from .data import SOURCES, ReportData, source_label

__all__ = ["SECTIONS", "render_html", "write_report", "figures"]

#: Section ids of the page, in order (``training`` only when there is a history).
SECTIONS = ("summary", "ladder", "sweep", "trace", "rates", "clocks", "boards", "training")

#: One colour and marker per model, the same in every figure.
STYLE = {
    "float": {"color": "#1f77b4", "marker": "o", "label": "float (torch)"},
    "SC": {"color": "#ff7f0e", "marker": ".", "label": "SC (NumPy model)"},
    "RTL": {"color": "#2ca02c", "marker": "x", "label": "RTL"},
}
SOURCE_COLOR = {"sobol": "#9467bd", "lfsr": "#8c564b"}

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; background: #fafafa;
       margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 60px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #e4e4e4; }
p.sub, p.note, figcaption { color: #555; }
p.sub { margin-top: 0; }
table { border-collapse: collapse; margin: 10px 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num { text-align: right; }
tr.subset td { background: #f7fbff; }
figure { margin: 14px 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 14px 0; }
.card { flex: 1 1 180px; border: 1px solid #e0e0e0; border-radius: 8px; padding: 10px 14px; background: #fcfcfc; }
.card b { display: block; font-size: 22px; } .card > span { color: #666; font-size: 13px; }
.ok { color: #1a7f37; } .bad { color: #c62828; font-weight: 600; } .muted { color: #888; }
pre { white-space: pre-wrap; font-size: 12px; background: #f6f6f6; padding: 8px; max-height: 400px; overflow: auto; }
code { background: #f3f3f3; padding: 1px 4px; border-radius: 3px; font-size: 13px; }
footer { margin-top: 40px; color: #888; font-size: 13px; }
"""


# ----------------------------------------------------------------------------------------- figures
def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.2f} %"


def ladder_figure(data: ReportData):
    """Accuracy of every rung, the whole split and the RTL's images side by side."""
    fig = _figure(10, 3.8)
    ax = fig.add_subplot()
    rungs = data.ladder
    colors = []
    for r in rungs:
        key = "float" if r.name.startswith("float") else "RTL" if r.name.startswith("RTL") else "SC"
        colors.append("#7f7f7f" if r.name.startswith("fixed") else STYLE[key]["color"])
    xs, labels, pos = [], [], 0.0
    for i, r in enumerate(rungs):
        if i and r.subset and not rungs[i - 1].subset:
            pos += 0.8  # a gap between the two groups
        xs.append(pos)
        labels.append(r.name.replace(" (", "\n("))
        pos += 1
    accs = [100 * (r.accuracy or 0) for r in rungs]
    bars = ax.bar(xs, accs, color=colors, width=0.7)
    for b, r in zip(bars, rungs):
        ax.annotate(f"{_pct(r.accuracy)}\n{r.images} img", (b.get_x() + b.get_width() / 2, b.get_height()),
                    xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", fontsize=8)
    lo = min(accs) if accs else 0
    bottom = max(0.0, 10 * np.floor((lo - 8) / 10))
    ax.set_ylim(bottom, 106)
    ax.set_yticks(np.arange(bottom, 100.1, 5 if 100 - bottom <= 40 else 10))
    ax.set_xticks(xs, labels, fontsize=8)
    ax.set_ylabel("test accuracy (%)")
    title = f"Accuracy ladder on the {data.dataset} {data.split} split ({data.n_images} images)"
    if any(r.subset for r in rungs):
        title += f"; right: the {data.rtl.images} images run through the RTL"
    ax.set_title(title, fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    return fig


def sweep_figure(data: ReportData):
    """Accuracy and agreement with the reference against the bitstream length, one line per source."""
    fig = _figure(10, 3.8)
    ax1, ax2 = fig.subplots(1, 2)
    for rng in SOURCES:
        pts = sorted((p for p in data.sweep if p.rng == rng), key=lambda p: p.length)
        if not pts:
            continue
        label = source_label(data.config.replace(rng=rng))
        L = [p.length for p in pts]
        ax1.plot(L, [100 * p.accuracy for p in pts], marker="o", color=SOURCE_COLOR.get(rng), label=label)
        if all(p.agreement is not None for p in pts):
            ax2.plot(L, [100 * p.agreement for p in pts], marker="o", color=SOURCE_COLOR.get(rng), label=label)
    if data.float_accuracy is not None:
        ax1.axhline(100 * data.float_accuracy, color=STYLE["float"]["color"], ls="--", lw=1, label="float (torch)")
    own = [p for p in data.sweep if p.rng == data.config.rng and p.length == data.config.length]
    if own:
        ax1.plot([own[0].length], [100 * own[0].accuracy], marker="*", ms=14, color="k", ls="none",
                 label="this net's setting")
        if own[0].agreement is not None:
            ax2.plot([own[0].length], [100 * own[0].agreement], marker="*", ms=14, color="k", ls="none")
    for ax, what in ((ax1, "test accuracy (%)"), (ax2, f"agreement with {data.reference} (%)")):
        ax.set_xscale("log", base=2)
        lengths = sorted({p.length for p in data.sweep})
        ax.set_xticks(lengths, [str(v) for v in lengths])
        ax.set_xlabel("bitstream length L (SC cycles per timestep)")
        ax.set_ylabel(what)
        ax.grid(alpha=0.3)
    ax1.set_title(f"SC accuracy vs L (NumPy model, {data.n_images} images, T={data.T})", fontsize=11)
    ax2.set_title(f"SC predictions equal to the {data.reference} model's", fontsize=11)
    ax1.legend(fontsize=8, loc="lower right")
    return fig


def raster_figure(data: ReportData):
    """Spikes of the traced image, every layer, the models overlaid."""
    from matplotlib.lines import Line2D

    tr = data.trace
    n_layers = len(tr.thresholds)
    heights = [max(1.4, min(6.0, s.shape[1] / 22)) for s in tr.spikes["SC"]]
    fig = _figure(10, sum(heights) + 1.4)
    axes = fig.subplots(n_layers, 1, height_ratios=heights, squeeze=False)[:, 0]
    marks = {"float": dict(s=42, marker="o", facecolors="none", linewidths=1.0),
             "SC": dict(s=9, marker="o", linewidths=0),
             "RTL": dict(s=40, marker="x", linewidths=1.3)}
    for li, ax in enumerate(axes):
        for name, per_layer in tr.spikes.items():
            t, j = np.nonzero(np.asarray(per_layer[li]))
            color = STYLE[name]["color"]
            kw = dict(marks[name], zorder={"float": 2, "RTL": 3, "SC": 4}[name])  # SC's dot visible inside RTL's x
            if kw.get("facecolors") == "none":
                kw["edgecolors"] = color
            else:
                kw["c"] = color
            ax.scatter(t, j, **kw)
        n = tr.spikes["SC"][li].shape[1]
        ax.set_xlim(-0.6, tr.T - 0.4)
        ax.set_ylim(-0.8, n - 0.2)
        kind = _layer_kind(li, n_layers)
        ax.set_ylabel(f"{kind} neuron")
        ax.set_title(f"layer {li} ({kind}, {n} neurons)", fontsize=10, loc="left")
        if n <= 16:
            ax.set_yticks(range(n))
        ax.grid(alpha=0.2)
    axes[-1].set_xlabel("timestep t")
    handles = []
    for name in tr.spikes:
        kw = marks[name]
        color = STYLE[name]["color"]
        handles.append(Line2D([], [], ls="none", marker=kw["marker"], color=color, ms=7 if name != "SC" else 4,
                              markerfacecolor="none" if name == "float" else color, label=STYLE[name]["label"]))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=9)
    fig.suptitle(_image_title(data, "Spike raster"), fontsize=11)
    return fig


def _layer_kind(li: int, n_layers: int) -> str:
    if li == n_layers - 1:
        return "output"
    return f"hidden {li + 1}" if n_layers > 2 else "hidden"


def _image_title(data: ReportData, what: str) -> str:
    tr = data.trace
    preds = ", ".join(f"{k} → {v}" for k, v in tr.prediction.items())
    label = "" if tr.label is None else f", label {tr.label}"
    return f"{what} of {data.split} image #{tr.index}{label} (predicted: {preds})"


def _trace_neurons(data: ReportData) -> list[tuple[int, int, str]]:
    """(layer, neuron, why) to plot: the output's predicted class, the label and the runner-up; two hidden neurons."""
    tr = data.trace
    last = len(tr.thresholds) - 1
    sc_out = tr.spikes["SC"][last].sum(axis=0)
    order = [int(i) for i in np.argsort(-sc_out, kind="stable")]
    chosen: list[tuple[int, int, str]] = []
    for j, why in ((order[0], "SC's prediction"), (tr.label, "the label"),
                   (order[1] if len(order) > 1 else None, "runner-up")):
        if j is not None and int(j) not in [c[1] for c in chosen]:
            chosen.append((last, int(j), why))
    chosen = chosen[:3]
    if last > 0:
        sc_h = tr.spikes["SC"][last - 1].sum(axis=0)
        busiest = int(np.argmax(sc_h))
        chosen.append((last - 1, busiest, "most SC spikes"))
        if "float" in tr.spikes:
            diff = np.abs(tr.spikes["float"][last - 1].sum(axis=0) - sc_h).astype(np.int64)
            diff[busiest] = -1
            j = int(np.argmax(diff))
            if diff[j] > 0:
                chosen.append((last - 1, j, "largest float/SC spike difference"))
    return chosen


def membrane_figure(data: ReportData):
    """Membrane potentials of a few neurons of the traced image, one panel each, the models overlaid."""
    tr = data.trace
    picks = _trace_neurons(data)
    cols = 2
    rows = (len(picks) + cols - 1) // cols
    fig = _figure(10, 2.6 * rows + 0.9)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    t = np.arange(tr.T)
    n_layers = len(tr.thresholds)
    styles = {"float": dict(ls="-", lw=1.8), "SC": dict(ls="--", lw=1.4, marker="o", ms=4),
              "RTL": dict(ls="none", marker="x", ms=7, mew=1.2)}
    for ax, (li, j, why) in zip(axes, picks):
        counts = []
        for name in ("float", "SC", "RTL"):
            if name in tr.membranes:
                v = np.asarray(tr.membranes[name][li])[:, j]
                counts.append(f"{name} {int(np.asarray(tr.spikes[name][li])[:, j].sum())}")
                ax.plot(t, v, color=STYLE[name]["color"], label=STYLE[name]["label"], **styles[name])
        ax.axhline(tr.thresholds[li], color="k", lw=0.8, ls=":", label="threshold")
        ax.set_title(f"layer {li} ({_layer_kind(li, n_layers)}) neuron {j}: {why}\nspikes: {', '.join(counts)}",
                     fontsize=9, loc="left")
        ax.set_ylabel("membrane (float units)")
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=9)
    for ax in axes[len(picks):]:
        ax.set_visible(False)
    for ax in axes[max(0, len(picks) - cols):len(picks)]:
        ax.set_xlabel("timestep t")
    fig.suptitle(_image_title(data, "Membrane after step and reset") + "; integer models: Q8.8 code / 256",
                 fontsize=11)
    return fig


def rates_figure(data: ReportData):
    """Mean firing rate per layer (float vs SC) and every neuron's float rate against its SC rate."""
    fig = _figure(10, 3.8)
    ax1, ax2 = fig.subplots(1, 2)
    layers = [f"layer {r.layer}\n({r.n} neurons)" for r in data.rates]
    x = np.arange(len(data.rates))
    has_float = all(r.float is not None for r in data.rates)
    w = 0.38 if has_float else 0.6
    if has_float:
        ax1.bar(x - w / 2, [r.float_mean for r in data.rates], w, color=STYLE["float"]["color"], label="float (torch)")
    ax1.bar(x + (w / 2 if has_float else 0), [r.sc_mean for r in data.rates], w, color=STYLE["SC"]["color"],
            label="SC (NumPy model)")
    ax1.set_xticks(x, layers)
    ax1.set_ylabel("spikes per neuron per timestep")
    ax1.set_title(f"Mean firing rate per layer ({data.n_images} images, T={data.T})", fontsize=11)
    ax1.legend(fontsize=8)
    ax1.grid(axis="y", alpha=0.3)
    if has_float:
        marks = ["o", "s", "^", "D"]
        top = 0.0
        for r in data.rates:
            ax2.scatter(r.float, r.sc, s=14, marker=marks[r.layer % len(marks)], alpha=0.7, label=f"layer {r.layer}")
            top = max(top, float(r.float.max(initial=0)), float(r.sc.max(initial=0)))
        top = max(top * 1.05, 0.05)
        ax2.plot([0, top], [0, top], color="k", lw=0.8, ls="--", label="equal")
        ax2.set_xlim(0, top)
        ax2.set_ylim(0, top)
        ax2.set_xlabel("float rate (spikes per timestep)")
        ax2.set_ylabel("SC rate (spikes per timestep)")
        ax2.set_title("Each neuron: float vs SC", fontsize=11)
        ax2.legend(fontsize=8)
        ax2.grid(alpha=0.3)
    else:
        for r in data.rates:
            ax2.hist(r.sc, bins=20, alpha=0.6, label=f"layer {r.layer}")
        ax2.set_xlabel("SC rate (spikes per timestep)")
        ax2.set_ylabel("neurons")
        ax2.set_title("Distribution of SC rates (no float model)", fontsize=11)
        ax2.legend(fontsize=8)
    return fig


def clocks_figure(data: ReportData):
    """Histogram of the exact clocks per image over the split, mean and worst marked."""
    c = data.clocks
    fig = _figure(10, 3.6)
    ax = fig.add_subplot()
    ax.hist(c.cycles, bins=min(40, max(5, len(np.unique(c.cycles)))), color="#6baed6", edgecolor="white")
    ax.axvline(c.mean, color="#08519c", lw=2, label=f"mean {c.mean:,.0f} clocks")
    ax.axvline(c.worst_seen, color="#c62828", lw=2, ls="--", label=f"worst seen {c.worst_seen:,} clocks")
    ax.set_xlabel("clocks per image (SCNetworkCore, images back to back)")
    ax.set_ylabel("images")
    lanes, tlanes = c.parallelism
    ax.set_title(f"Clocks per image over the {data.split} split ({len(c.cycles)} images), parallelism "
                 f"{lanes}x{tlanes}; theoretical worst case {c.worst_case:,}", fontsize=11)
    ax.legend(fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    return fig


def boards_figure(data: ReportData):
    """Resource use (% of the device) of every board report, the resources in use only."""
    reps = [e.report for e in data.boards if e.report and e.report.get("utilization")]
    if not reps:
        return None
    fig = _figure(10, 0.5 + 1.3 * len(reps) + 0.25 * sum(len(_used(r)) for r in reps))
    axes = fig.subplots(len(reps), 1, squeeze=False)[:, 0]
    for ax, rep in zip(axes, reps):
        used = _used(rep)
        names = list(used)
        pct = [100 * u / a for u, a in used.values()]
        ax.barh(names, pct, color="#31a354")
        for i, (u, a) in enumerate(used.values()):
            ax.text(min(pct[i], 100) + 1, i, f"{u:,} / {a:,}", va="center", fontsize=8)
        ax.set_xlim(0, 118)
        ax.invert_yaxis()
        ax.set_xlabel("used (% of the device)")
        ax.set_title(f"{rep.get('board', '?')} ({rep.get('device') or 'device ?'})", fontsize=10, loc="left")
        ax.grid(axis="x", alpha=0.3)
    return fig


def _used(rep: dict) -> dict[str, tuple[int, int]]:
    util = rep.get("utilization") or {}
    return {k: (int(v["used"]), int(v["available"])) for k, v in util.items()
            if int(v.get("used", 0)) and int(v.get("available", 0))}


def history_figure(data: ReportData):
    """Training loss and accuracy per epoch (the checkpoint's history)."""
    h = data.history
    if not h or not all("epoch" in e for e in h):
        return None
    fig = _figure(10, 3.0)
    ax1, ax2 = fig.subplots(1, 2)
    ep = [e["epoch"] for e in h]
    for key, label in (("loss", "training"), ("val_loss", "validation")):
        if all(key in e for e in h):
            ax1.plot(ep, [e[key] for e in h], marker="o", label=label)
    for key, label in (("accuracy", "training"), ("val_accuracy", "validation")):
        if all(key in e for e in h):
            ax2.plot(ep, [100 * e[key] for e in h], marker="o", label=label)
    ax1.set(xlabel="epoch", ylabel="loss (cross-entropy on spike counts)", title="Training loss")
    ax2.set(xlabel="epoch", ylabel="accuracy (%)", title="Training accuracy")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return fig


FIGURES = (("ladder", ladder_figure), ("sweep", sweep_figure), ("raster", raster_figure),
           ("membranes", membrane_figure), ("rates", rates_figure), ("clocks", clocks_figure),
           ("boards", boards_figure), ("training", history_figure))


def figures(data: ReportData, progress=None) -> dict[str, str]:
    """``{name: PNG data URI}`` of every figure the data allows."""
    out = {}
    emit(progress, "figures", 0, len(FIGURES))
    for i, (name, make) in enumerate(FIGURES):
        if name == "clocks" and data.clocks is None:
            continue
        fig = make(data)
        if fig is not None:
            out[name] = _png(fig)
        emit(progress, "figures", i + 1, len(FIGURES), name)
    return out


# ----------------------------------------------------------------------------------------- HTML
def _e(text) -> str:
    return html.escape(str(text))


def _img(uri: str | None, alt: str, caption: str = "") -> str:
    if not uri:
        return ""
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure><img src="{uri}" alt="{_e(alt)}">{cap}</figure>'


_NUMERIC = re.compile(r"^[-+]?[\d.,]+( %| MHz)?$|^–$")


def _table(head: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    h = "".join(f"<th>{c}</th>" for c in head)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(f'<td class="num">{c}</td>' if _NUMERIC.match(c) else f"<td>{c}</td>"
                                           for c in row) + "</tr>")
    return f"<table><thead><tr>{h}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _config_text(data: ReportData) -> str:
    c = data.config
    return (f"L={c.length}, k={c.prob_bits}, source {source_label(c)}, seed {c.seed}, {c.polarity} weights, "
            f"T={data.T}")


def _summary(data: ReportData) -> str:
    rungs = {(r.name.split(" ")[0], r.subset): r for r in data.ladder}
    cards = []
    fl = rungs.get(("float", False))
    sc = rungs.get(("SC", False))
    if fl:
        cards.append((_pct(fl.accuracy), f"float accuracy ({fl.images} images)"))
    if sc:
        cards.append((_pct(sc.accuracy), f"SC accuracy ({sc.images} images), agreement {_pct(sc.agreement)}"))
    rtl = data.rtl
    if rtl.ran:
        exact = ('<span class="ok">bit-exact</span>' if rtl.bit_exact
                 else f'<span class="bad">{rtl.differ:,} integers differ</span>')
        cards.append((exact, f"RTL ({_e(rtl.sim)}) vs SC model, {rtl.images} images, {rtl.compared:,} integers"))
    else:
        cards.append(('<span class="muted">not run</span>', f"RTL: {_e(rtl.error or '')}"))
    if data.clocks is not None:
        lanes, tlanes = data.clocks.parallelism
        cards.append((f"{data.clocks.mean:,.0f}", f"mean clocks per image at {lanes}x{tlanes}"))
    mine = [e.report for e in data.boards  # boards built for another net are in their section, not here
            if e.same_net and e.report and e.report.get("images_per_s") and e.report.get("clock_hz")]
    for rep in mine:
        cards.append((f"{rep['images_per_s']:,.0f}", f"images/s on {_e(rep.get('board'))} at "
                      f"{rep['clock_hz'] / 1e6:.1f} MHz (test-set mean)"))
    html_cards = "".join(f'<div class="card"><b>{v}</b><span>{d}</span></div>' for v, d in cards)
    sizes = "-".join(map(str, data.sizes))
    return (f'<section id="summary"><h1>{_e(data.title)}</h1>'
            f'<p class="sub">Net {sizes} from <code>{_e(data.source)}</code>; {_e(_config_text(data))}; '
            f'{_e(data.dataset)} {_e(data.split)} split, {data.n_images} images.</p>'
            f'<div class="cards">{html_cards}</div></section>')


def _ladder(data: ReportData, figs: dict) -> str:
    rows, classes = [], []
    for r in data.ladder:
        rows.append([_e(r.name), "RTL images" if r.subset else "whole split", str(r.images), _pct(r.accuracy),
                     _pct(r.agreement)])
        classes.append("subset" if r.subset else "")
    ref = data.reference
    text = (f"<p>Each rung is the same net one step closer to the hardware. Agreement: the share of images on which "
            f"the rung predicts what the {_e(ref)} model predicts.</p>")
    rtl = data.rtl
    if rtl.ran:
        text += (f"<p>The RTL is slow to simulate, so it ran on the first <b>{rtl.images}</b> of the "
                 f"{data.n_images} images (<code>--limit</code>); the shaded rows give every model on those same "
                 f"images. RTL vs SC model: {rtl.compared:,} integers compared (class counts, and every count, "
                 f"current, membrane and spike of every layer and timestep), "
                 + ('<span class="ok">0 differ</span>' if rtl.bit_exact else
                    f'<span class="bad">{rtl.differ:,} differ</span>')
                 + f"; {rtl.wall_s:.1f} s in {_e(rtl.sim)}.")
        if rtl.cycles_equal:
            text += " The clocks the RTL took for each image equal the clock model's."
        elif rtl.cycles and rtl.cycles_model:
            text += (f" Clocks per image in the RTL: mean {np.mean(rtl.cycles):,.0f} (images back to back, the first "
                     f"of a batch counted from its start); clock model: mean {np.mean(rtl.cycles_model):,.0f}.")
        text += "</p>"
    else:
        text += f'<p class="note">No RTL rung: {_e(rtl.error)}.</p>'
        if rtl.error_detail:
            text += f"<details><summary>the simulator's message</summary><pre>{_e(rtl.error_detail)}</pre></details>"
    return (f'<section id="ladder"><h2>Accuracy ladder: float → fixed point → SC → RTL</h2>{text}'
            + _table(["model", "images", "count", "accuracy", f"agreement with {_e(ref)}"], rows, classes)
            + _img(figs.get("ladder"), "accuracy ladder") + "</section>")


def _sweep(data: ReportData, figs: dict) -> str:
    lengths = sorted({p.length for p in data.sweep})
    head = ["source"] + [f"L={v}" for v in lengths]
    rows = []
    for rng in SOURCES:
        pts = {p.length: p for p in data.sweep if p.rng == rng}
        if not pts:
            continue
        label = _e(source_label(data.config.replace(rng=rng)))
        rows.append([label + " accuracy"] + [_pct(pts[v].accuracy) if v in pts else "–" for v in lengths])
        rows.append([label + " agreement"] + [_pct(pts[v].agreement) if v in pts else "–" for v in lengths])
    return (f'<section id="sweep"><h2>Accuracy and agreement vs bitstream length</h2>'
            f"<p>The bit-exact NumPy SC model on all {data.n_images} images, the net exported again for each source "
            f"and length L (SC cycles per timestep; everything else as above). Agreement is with the "
            f"{_e(data.reference)} model.</p>"
            + _img(figs.get("sweep"), "accuracy vs bitstream length") + _table(head, rows) + "</section>")


def _trace(data: ReportData, figs: dict) -> str:
    tr = data.trace
    have = ", ".join(STYLE[k]["label"] for k in tr.spikes)
    missing = "" if "RTL" in tr.spikes else f' <span class="muted">(no RTL trace: {_e(data.rtl.error or "")})</span>'
    counts = []
    for name, per_layer in tr.spikes.items():
        counts.append([_e(STYLE[name]["label"])] + [f"{int(np.asarray(s).sum()):,}" for s in per_layer]
                      + [str(tr.prediction.get(name, "–"))])
    head = ["model"] + [f"layer {i} spikes" for i in range(len(tr.thresholds))] + ["prediction"]
    return (f'<section id="trace"><h2>One image through every model</h2>'
            f"<p>{_e(data.split.capitalize())} image #{tr.index}"
            + ("" if tr.label is None else f" (label {tr.label})")
            + f": {_e(have)}.{missing} The SC model and the RTL compute the same integers, so their marks coincide; "
            "the float model's differ where the stochastic counts moved a membrane across the threshold.</p>"
            + _table(head, counts)
            + _img(figs.get("raster"), "spike raster") + _img(figs.get("membranes"), "membrane traces") + "</section>")


def _rates(data: ReportData, figs: dict) -> str:
    rows = [[f"layer {r.layer}", str(r.n), "–" if r.float_mean is None else f"{r.float_mean:.4f}", f"{r.sc_mean:.4f}"]
            for r in data.rates]
    return (f'<section id="rates"><h2>Firing rates per layer</h2>'
            f"<p>Spikes per neuron per timestep, averaged over the {data.n_images} images and T={data.T} steps.</p>"
            + _table(["layer", "neurons", "float", "SC"], rows) + _img(figs.get("rates"), "firing rates")
            + "</section>")


def _clocks(data: ReportData, figs: dict) -> str:
    c = data.clocks
    if c is None:
        return '<section id="clocks"><h2>Clocks per image</h2><p class="note">Not computed.</p></section>'
    lanes, tlanes = c.parallelism
    preset = f" (the {c.preset} preset)" if c.preset else ""
    return (f'<section id="clocks"><h2>Clocks per image</h2>'
            f"<p>The network core <code>SCNetworkCore</code> at parallelism {lanes}x{tlanes}{preset}: {lanes} "
            f"neuron(s) × {tlanes} timestep(s) counted per clock. It skips zero pixels and hidden neurons that never "
            f"spiked, so the clocks depend on the image; these are the exact clocks of each image from the clock "
            f"model the engine is held to (<code>sc_neurocore.hw.image_cycles</code>).</p>"
            + _table(["images", "mean", "median", "worst seen", "theoretical worst"],
                     [[str(len(c.cycles)), f"{c.mean:,.0f}", f"{np.median(c.cycles):,.0f}", f"{c.worst_seen:,}",
                       f"{c.worst_case:,}"]])
            + _img(figs.get("clocks"), "clocks per image histogram") + "</section>")


def _mhz(v) -> str:
    return "–" if not v else f"{v / 1e6:.1f} MHz"


def _board_net(e) -> str:
    net = (e.report or {}).get("net") or {}
    desc = "-".join(map(str, net.get("sizes", []))) or "?"
    if net.get("length"):
        desc += f", L={net['length']}"
    if net.get("rng"):
        desc += f", {net['rng']}"
    if net.get("timesteps"):
        desc += f", T={net['timesteps']}"
    if e.same_net is True:
        return f'<span class="ok">this net</span><br><span class="muted">{_e(desc)}</span>'
    if e.same_net is False:
        return f'another net<br><span class="muted">{_e(desc)}</span>'
    return _e(desc)


def _boards(data: ReportData, figs: dict) -> str:
    reports = [e for e in data.boards if e.report]
    howto = ("<p>Make one with <code>sc-neurocore build --board icebreaker --checkpoint CKPT</code>: it writes "
             "<code>build/boards/icebreaker/build_report.json</code>, which this command reads from "
             "<code>build/boards/*</code> (or pass <code>--boards PATH ...</code>).</p>")
    parts = ['<section id="boards"><h2>Board builds</h2>']
    if not reports:
        parts.append('<p class="note">No board build report found'
                     + (" (" + "; ".join(f"<code>{_e(e.folder)}</code>: {_e(e.note)}" for e in data.boards) + ")"
                        if data.boards else " in <code>build/boards/*</code>") + ".</p>" + howto)
        return "".join(parts) + "</section>"
    rows = []
    for e in reports:
        r = e.report
        par = r.get("parallelism") or []
        timing = r.get("meets_timing")
        t = "" if timing is None else ('<br><span class="ok">met</span>' if timing else '<br><span class="bad">missed</span>')
        used = _used(r)
        key = [k for k in used if any(s in k for s in ("_LC", "LUT", "COMB", "RAM", "DSP", "MULT", "DP16KD"))]
        res = "<br>".join(f"{_e(k)} {u:,}/{a:,}" for k, (u, a) in used.items() if k in key) or "–"
        ips, worst = r.get("images_per_s"), r.get("images_per_s_worst")
        rows.append([f"<b>{_e(r.get('board', '?'))}</b><br>{_e(r.get('device') or '')}", _board_net(e),
                     "x".join(map(str, par)) or "–", _mhz(r.get("clock_hz")), _mhz(r.get("sync_fmax_hz")) + t, res,
                     "–" if not r.get("cycles_mean") else f"{r['cycles_mean']:,.0f}",
                     "–" if not ips else f"{ips:,.0f}",
                     "–" if not (r.get("cycles_max_seen") and r.get("clock_hz"))
                     else f"{r['clock_hz'] / r['cycles_max_seen']:,.0f}",
                     "–" if not worst else f"{worst:,.0f}"])
    parts.append("<p>From the report each build writes (<code>build_report.json</code>): resources and fmax are the "
                 "tools' own figures (nextpnr); clocks per image come from the clock model over the test set, and "
                 "images/s is the clock divided by their mean, by the slowest image's, or by the theoretical worst "
                 "case.</p>")
    parts.append(_table(["board", "net", "parallelism", "clock", "fmax", "resources", "mean clocks",
                         "images/s (mean)", "images/s (worst image)", "images/s (theoretical worst)"], rows))
    notes = list(dict.fromkeys(f"<code>{_e(e.source)}</code>" + (f": {_e(e.note)}" if e.note else "")
                               for e in reports))
    notes += [f"<code>{_e(e.folder)}</code>: {_e(e.note)}" for e in data.boards if not e.report]
    parts.append('<p class="note">Reports read: ' + "; ".join(notes) + ".</p>")
    parts.append(_img(figs.get("boards"), "board resource use"))
    return "".join(parts) + "</section>"


def _training(data: ReportData, figs: dict) -> str:
    if "training" not in figs:
        return ""
    m = data.meta
    facts = ", ".join(f"{k} {_e(m[k])}" for k in ("dataset", "epochs", "seed", "lr", "batch_size") if k in m)
    return (f'<section id="training"><h2>Training</h2><p>{facts}.</p>'
            + _img(figs.get("training"), "training history") + "</section>")


def render_html(data: ReportData, *, progress=None, command: str = "") -> str:
    """The whole page as one HTML string (figures inlined)."""
    from .. import __version__

    figs = figures(data, progress=progress)
    body = "".join([
        _summary(data), _ladder(data, figs), _sweep(data, figs), _trace(data, figs), _rates(data, figs),
        _clocks(data, figs), _boards(data, figs), _training(data, figs),
    ])
    foot = (f"<footer>Made by sc-neurocore {__version__} on {_e(data.created)} in {data.seconds:.0f} s"
            + (f" with <code>{_e(command)}</code>" if command else "") + ". The numbers are in "
            "<code>report.json</code> beside this page.</footer>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(data.title)}</title><style>{CSS}</style></head>"
            f"<body><main>{body}{foot}</main></body></html>\n")


def write_report(data: ReportData, folder, *, progress=None, command: str = "") -> Path:
    """Write ``folder/index.html`` and ``folder/report.json`` (each atomically); return the page's path."""
    folder = Path(folder)
    page = render_html(data, progress=progress, command=command)
    folder.mkdir(parents=True, exist_ok=True)
    numbers = data.as_dict()
    numbers["command"] = command
    atomic_write_text(folder / "report.json", json.dumps(numbers, indent=1))
    return atomic_write_text(folder / "index.html", page)
