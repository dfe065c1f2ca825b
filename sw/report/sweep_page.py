"""The sweep's page: ``DIR/index.html`` of ``sc-neurocore sweep``, its Pareto fronts as inlined PNGs.

:func:`pareto_front` finds the points no other point beats on every axis; :func:`preset_verdicts`
says, for each board's preset (``hw.presets.BOARD_ENGINES`` at the contract's bitstream length),
whether it is on the front or which points dominate it; :func:`render_sweep_html` draws accuracy
against images/s and against LUTs (matplotlib, Agg) with the helpers and style of the report page
(:mod:`.render`) and lists every point with its status and log.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .render import CSS, _e, _figure, _img, _png, _table

__all__ = ["AXES", "pareto_front", "dominates", "preset_rows", "preset_verdicts", "render_sweep_html",
           "write_sweep_page", "VALID"]

#: Statuses whose figures hold (a point built and meeting timing, or evaluated without a build).
VALID = ("ok", "evaluated")
#: Axis -> (row column, larger is better).
AXES = {"accuracy": ("sc_accuracy", True), "images/s": ("images_per_s", True), "LUTs": ("luts", False)}

#: Additions to the report page's style: the points' table is wide.
SWEEP_CSS = """
#points .scroll { overflow-x: auto; }
#points table { font-size: 12px; } #points th, #points td { padding: 2px 6px; white-space: nowrap; }
"""

BOARD_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
RNG_MARKERS = {"sobol": "o", "lfsr": "^"}


def _value(row: dict, axis: str) -> float | None:
    column, better_up = AXES[axis]
    v = row.get(column)
    return None if v is None else (float(v) if better_up else -float(v))


def dominates(a: dict, b: dict, axes: Sequence[str]) -> bool:
    """``a`` is at least as good as ``b`` on every axis and better on one (rows lacking an axis: False)."""
    va, vb = [_value(a, x) for x in axes], [_value(b, x) for x in axes]
    if None in va or None in vb:
        return False
    return all(x >= y for x, y in zip(va, vb)) and any(x > y for x, y in zip(va, vb))


def pareto_front(rows: Sequence[dict], axes: Sequence[str]) -> list[int]:
    """Indices of the valid rows (:data:`VALID`, every axis known) that no other such row dominates."""
    cand = [i for i, r in enumerate(rows) if r.get("status") in VALID and all(_value(r, x) is not None for x in axes)]
    return [i for i in cand if not any(dominates(rows[j], rows[i], axes) for j in cand if j != i)]


def preset_rows(rows: Sequence[dict]) -> dict[str, int]:
    """Board -> index of the row that is the board's preset (its engine and source at ``SCConfig().length``)."""
    from ..hw.presets import BOARD_ENGINES
    from ..sc.contract import SCConfig

    length = SCConfig().length
    out = {}
    for i, r in enumerate(rows):
        setting = BOARD_ENGINES.get(r["board"])
        if setting and int(r["length"]) == length and r["rng"] == setting.rng and \
                r["parallelism"] == "x".join(map(str, setting.parallelism)):
            out[r["board"]] = i
    return out


def preset_verdicts(rows: Sequence[dict]) -> list[dict]:
    """For each preset in the grid: ``{"board", "index", "axes", "valid", "on_front", "dominated_by": [indices]}``.

    A preset is compared with the other points of its board (the alternatives on that board) on
    accuracy, images/s and, when the preset was built, LUTs.
    """
    out = []
    for board, i in preset_rows(rows).items():
        axes = ["accuracy", "images/s"] + (["LUTs"] if rows[i].get("luts") is not None else [])
        valid = rows[i].get("status") in VALID
        by = [j for j, r in enumerate(rows) if j != i and r["board"] == board and r.get("status") in VALID
              and dominates(r, rows[i], axes)]
        out.append({"board": board, "index": i, "axes": axes, "valid": valid, "on_front": valid and not by,
                    "dominated_by": by})
    return out


def _label(r: dict) -> str:
    return f"L={r['length']} {r['rng']} {r['parallelism']}"


def front_figure(rows: Sequence[dict], x_axis: str, title: str):
    """Accuracy against ``x_axis`` (a log axis where the points span more than 3x): every valid point, the front
    joined and labelled, the presets ringed."""
    xcol = AXES[x_axis][0]
    pts = [i for i, r in enumerate(rows) if r.get("status") in VALID and r.get(xcol) is not None
           and r.get("sc_accuracy") is not None]
    if not pts:
        return None
    boards = list(dict.fromkeys(rows[i]["board"] for i in pts))
    front = pareto_front(rows, ["accuracy", x_axis])
    presets = set(preset_rows(rows).values())
    fig = _figure(9.5, 5.2)
    ax = fig.add_subplot()
    for bi, board in enumerate(boards):
        for rng, marker in RNG_MARKERS.items():
            sel = [i for i in pts if rows[i]["board"] == board and rows[i]["rng"] == rng]
            if sel:
                ax.scatter([rows[i][xcol] for i in sel], [100 * rows[i]["sc_accuracy"] for i in sel], marker=marker,
                           s=46, color=BOARD_COLORS[bi % len(BOARD_COLORS)], alpha=0.8, label=f"{board}, {rng}")
    f = sorted(front, key=lambda i: rows[i][xcol])
    ax.plot([rows[i][xcol] for i in f], [100 * rows[i]["sc_accuracy"] for i in f], "-", color="#444", lw=1,
            zorder=0, label="Pareto front")
    for i in f:
        ax.annotate(_label(rows[i]), (rows[i][xcol], 100 * rows[i]["sc_accuracy"]), textcoords="offset points",
                    xytext=(4, 4), fontsize=7, color="#333")
    ring = [i for i in pts if i in presets]
    if ring:
        ax.scatter([rows[i][xcol] for i in ring], [100 * rows[i]["sc_accuracy"] for i in ring], s=190,
                   facecolors="none", edgecolors="black", lw=1.4, label="board preset")
    xs = [rows[i][xcol] for i in pts]
    from matplotlib.ticker import FuncFormatter, LogLocator

    if min(xs) > 0 and max(xs) / min(xs) > 3:  # a log axis only when the points span more than a factor of 3
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))  # 1, 2, 5 per decade, each labelled
    digits = max(0, 2 - int(np.floor(np.log10(max(max(xs) - min(xs), 1e-9)))))  # ticks that differ
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.{digits}f}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_xlabel(x_axis + (" (fewer is better)" if not AXES[x_axis][1] else ""))
    ax.set_ylabel("SC accuracy (%)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3, which="both")
    fig.legend(*ax.get_legend_handles_labels(), fontsize=8, loc="outside right upper")  # off the points
    return fig


def _fmt(v, spec: str = "") -> str:
    if v is None or v == "":
        return "–"
    return format(v, spec) if spec else str(v)


def _rows_table(rows: Sequence[dict], fronts: dict[str, set]) -> str:
    head = ["point", "board", "status", "SC accuracy", "images/s", "LUTs", "fmax MHz", "front", "engine", "agreement",
            "clocks/image mean", "worst", "FFs", "BRAM", "DSP", "clock MHz", "log"]
    body, classes = [], []
    for i, r in enumerate(rows):
        on = ", ".join(name for name, idx in fronts.items() if i in idx)
        acc = None if r.get("sc_accuracy") is None else 100 * r["sc_accuracy"]
        agr = None if r.get("agreement") is None else 100 * r["agreement"]
        status = _e(r["status"]) + (f"<br><small>{_e(r['detail'])}</small>" if r.get("detail") else "")
        log = f'<a href="{_e(r["log"])}">log</a>' if r.get("log") else "–"
        body.append([_e(_label(r)), _e(r["board"]), status, _fmt(acc, ".2f"), _fmt(r.get("images_per_s"), ",.0f"),
                     _fmt(r.get("luts"), ","), _fmt(r.get("fmax_mhz"), ".2f"), _e(on or "–"), _e(r.get("engine") or "–"),
                     _fmt(agr, ".2f"), _fmt(r.get("clocks_mean"), ",.0f"), _fmt(r.get("clocks_worst"), ","),
                     _fmt(r.get("ffs"), ","), _fmt(r.get("brams")), _fmt(r.get("dsps")), _fmt(r.get("clock_mhz"), ".2f"),
                     log])
        classes.append("subset" if on else "")
    return _table(head, body, classes)


def _presets_html(rows: Sequence[dict]) -> str:
    verdicts = preset_verdicts(rows)
    if not verdicts:
        return ("<p class='note'>No board preset (<code>hw.presets.BOARD_ENGINES</code> at the contract's bitstream "
                "length) is in this grid.</p>")
    items = []
    if not any(rows[v["index"]].get("luts") is not None for v in verdicts):
        items.append("<li class='note'>Without builds the axes are accuracy and images/s only: more lanes then "
                     "win at no visible cost. A sweep with builds adds LUTs.</li>")
    for v in verdicts:
        r = rows[v["index"]]
        what = f"<b>{_e(v['board'])}</b> preset ({_e(_label(r))}; axes: {', '.join(v['axes'])})"
        if not v["valid"]:
            items.append(f"<li>{what}: status <span class='bad'>{_e(r['status'])}</span></li>")
        elif v["on_front"]:
            items.append(f"<li>{what}: <span class='ok'>on the Pareto front</span> (no other point on this board "
                         "beats it on every axis)</li>")
        else:
            by = ", ".join(f"{_e(_label(rows[j]))} on {_e(rows[j]['board'])}" for j in v["dominated_by"])
            items.append(f"<li>{what}: <span class='bad'>dominated</span> by {len(v['dominated_by'])} point(s): "
                         f"{by}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def render_sweep_html(rows: Sequence[dict], *, title: str, summary: str, subtitle: str = "", command: str = "",
                      statuses: dict | None = None) -> str:
    """The whole page as one HTML string (figures inlined)."""
    from .. import __version__

    fig_ips = front_figure(rows, "images/s", "SC accuracy against images/s (at the board's clock)")
    fig_luts = front_figure(rows, "LUTs", "SC accuracy against LUTs (built points)")
    fronts = {"accuracy/images/s": set(pareto_front(rows, ["accuracy", "images/s"])),
              "accuracy/LUTs": set(pareto_front(rows, ["accuracy", "LUTs"]))}
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    cards = "".join(f"<div class='card'><b>{n}</b><span>{_e(s)}</span></div>" for s, n in counts.items())
    legend = "".join(f"<li><code>{_e(s)}</code>: {_e(t)}</li>" for s, t in (statuses or {}).items() if s in counts)
    body = (f"<h1>{_e(title)}</h1><p class='sub'>{_e(subtitle)}</p><p>{_e(summary)}</p>"
            f"<div class='cards'>{cards}</div>"
            "<section id='fronts'><h2>Pareto fronts</h2>"
            + (_img(_png(fig_ips), "accuracy against images/s", "Every point with valid figures; the line joins the "
                    "points no other point beats on both axes. Images/s = the board's clock / mean clocks per image "
                    "(the exact clock model over the test images).") if fig_ips else
               "<p class='note'>No point has valid figures.</p>")
            + (_img(_png(fig_luts), "accuracy against LUTs", "Built points that meet timing; LUTs = LUT4 cells "
                    "(Yosys' count where it gives one).") if fig_luts else
               "<p class='note'>No point was built and met timing (a <code>--no-build</code> sweep has no LUTs).</p>")
            + "</section><section id='presets'><h2>Today's presets</h2>" + _presets_html(rows) + "</section>"
            "<section id='points'><h2>All points</h2><div class='scroll'>" + _rows_table(rows, fronts) + "</div>"
            + (f"<ul>{legend}</ul>" if legend else "") + "</section>")
    foot = (f"<footer>Made by sc-neurocore {__version__}" + (f" with <code>{_e(command)}</code>" if command else "")
            + ". The numbers are in <code>results.csv</code> and <code>results.json</code> beside this page; each "
            "point's files in <code>points/KEY/</code>.</footer>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}{SWEEP_CSS}</style></head><body><main>{body}{foot}</main></body></html>\n")


def write_sweep_page(rows: Sequence[dict], folder, **kwargs) -> Path:
    """Write ``folder/index.html`` atomically; return its path."""
    from ..fileio import atomic_write_text

    return atomic_write_text(Path(folder) / "index.html", render_sweep_html(rows, **kwargs))
