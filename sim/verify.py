"""The whole chain on one set of images: float ~ fixed ~ SC == RTL, as a report.

:func:`verify_chain` is what ``sc-neurocore verify``, ``sc-neurocore demo``, the report page
and the regression call.  It takes a ``QuantizedNet`` (never a torch model: the caller, which
may have one, passes the float model's predictions as ``float_pred``), runs the fixed-point and
SC NumPy models, and the RTL network core on each simulator asked for, comparing every RTL
integer with the SC model's.  On a mismatch it re-runs the first mismatching image alone with
an FST dump (``waves="on-failure"``) and says where to look: simulator, image, timestep, layer,
neuron, quantity and the clock cycle in the dump.
"""

from __future__ import annotations

import textwrap
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..export import QuantizedNet
from ..sc.contract import SCConfig, quantize_probability
from ..sc.network import FixedPointNetwork, spike_words
from .vectors import make_vectors

__all__ = ["ChainRow", "ChainReport", "verify_chain", "format_table", "WAVES_MODES", "TABLE_WIDTH"]

#: ``waves=`` choices: dump the first mismatching image again, dump every run, or never.
WAVES_MODES = ("on-failure", "always", "never")
#: :meth:`ChainReport.table` lines are at most this many characters.
TABLE_WIDTH = 100


@dataclass
class ChainRow:
    """One simulator's run of the chain (accuracies are fractions, None where unknown)."""

    simulator: str
    images: int
    cycles: int
    mismatches: int
    float_acc: float | None
    fixed_acc: float
    sc_acc: float
    rtl_acc: float | None
    cycles_per_s: float
    wall_s: float
    build_s: float = 0.0
    first_mismatch: str | None = None
    compared: int = 0
    what: str = "trained net"

    def cells(self) -> list[str]:
        """The cells of the wide table (:func:`format_table`)."""
        return [self.what, self.simulator, str(self.images), f"{self.cycles:,}", f"{self.compared:,}",
                str(self.mismatches), _pct(self.float_acc), _pct(self.fixed_acc), _pct(self.sc_acc),
                _pct(self.rtl_acc), f"{self.cycles_per_s:,.0f}", f"{self.wall_s:.1f} s"]


def _pct(v) -> str:
    return "-" if v is None or v != v else f"{100 * v:.2f} %"


HEADER = ["net", "simulator", "images", "cycles", "integers compared", "mismatches", "float", "fixed", "SC",
          "RTL", "cycles/s", "wall time"]


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    cells = [header] + rows
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c[i].ljust(widths[i]) for i in range(len(header))) + " |" for c in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def format_table(rows: list[ChainRow]) -> str:
    """The wide Markdown table of rows, one per (net, simulator): for reports, not terminals."""
    return _markdown(HEADER, [r.cells() for r in rows])


@dataclass
class ChainReport:
    """Rows of :func:`verify_chain`, one per simulator, the settings that made them, and where it failed.

    ``first_mismatch``: None, or ``{"sim", "image", "t", "layer", "neuron", "quantity", "expected",
    "got", "cycle", "message"}`` for the first simulator that failed (``t`` the timestep, ``cycle``
    the clock cycle in :attr:`waves` when there is one; a key is None where it does not apply).
    ``waves``: the FST file written (``waves="on-failure"``: the first mismatching image alone;
    ``"always"``: the last run), or None.
    """

    rows: list[ChainRow]
    T: int
    config: SCConfig
    sizes: tuple
    agreement: dict = field(default_factory=dict)
    first_mismatch: dict | None = None
    waves: str | None = None
    images: int = 0
    accuracy: dict = field(default_factory=dict)
    extra_states: tuple = ()  #: the neurons' traced states beyond the membrane (``("i_syn",)``: Synaptic)
    notes: list = field(default_factory=list)
    shape: str = ""  #: the net in words (``QuantizedNet.describe``), e.g. ``1x8x8-4c3-pool2-10``

    @property
    def ok(self) -> bool:
        return all(r.mismatches == 0 for r in self.rows)

    def table(self) -> str:
        """The report for a terminal: the accuracy ladder, one row per simulator, where it failed.

        No line is longer than :data:`TABLE_WIDTH` characters.
        """
        c = self.config
        lines = [f"net {self.shape or '-'.join(map(str, self.sizes))}, T={self.T}, L={c.length}, rng={c.rng}, "
                 f"k={c.prob_bits}, seed={c.seed}; {self.images} images"]
        acc = self.accuracy
        ladder = [f"{name} {_pct(acc.get(key))}" for name, key in (("float", "float"), ("fixed", "fixed"),
                                                                     ("SC", "sc")) if acc.get(key) is not None]
        rtl = [f"RTL ({r.simulator}) {_pct(r.rtl_acc)}" for r in self.rows if r.simulator != "none"]
        if ladder or rtl:
            lines.append("accuracy: " + " -> ".join(ladder + rtl))
        if self.agreement.get("sc_vs_float") is not None:
            lines.append(f"agreement with float: fixed {_pct(self.agreement['fixed_vs_float'])}, "
                         f"SC {_pct(self.agreement['sc_vs_float'])}")
        sim_rows = [r for r in self.rows if r.simulator != "none"]
        if sim_rows:
            header = ["simulator", "images", "cycles", "compared", "mismatches", "RTL acc.", "cycles/s", "wall"]
            body = [[r.simulator, str(r.images), f"{r.cycles:,}", f"{r.compared:,}", str(r.mismatches),
                     _pct(r.rtl_acc), f"{r.cycles_per_s:,.0f}", f"{r.wall_s:.1f} s"] for r in sim_rows]
            lines += _markdown(header, body).splitlines()
            extra = "".join(f"{name}, " for name in self.extra_states)
            lines.append("compared: integers compared with the NumPy SC model (counts, currents, membranes, "
                         f"spikes, {extra}results)")
        else:
            lines.append("RTL: not simulated (sim='none')")
        fm = self.first_mismatch
        if fm is not None:
            lines.append(f"FIRST MISMATCH on {fm['sim']}: {fm['message']}")
        if self.waves:
            lines.append(f"waves: {self.waves}")
        lines += self.notes
        out = []
        for line in lines:
            out += textwrap.wrap(line, TABLE_WIDTH, subsequent_indent="  ", break_on_hyphens=False) or [""]
        return "\n".join(out)

    def as_dict(self) -> dict:
        return {"rows": [asdict(r) for r in self.rows], "T": self.T, "sizes": list(self.sizes),
                "config": asdict(self.config), "ok": self.ok, "agreement": self.agreement,
                "images": self.images, "accuracy": self.accuracy, "first_mismatch": self.first_mismatch,
                "waves": self.waves, "notes": list(self.notes)}


def verify_chain(qnet: QuantizedNet, x, y=None, *, T: int = 25, sim="verilator", limit: int | None = None,
                 float_pred=None, parallelism=None, trace: bool = True, progress=None, waves: str = "on-failure",
                 waves_dir=None, batch: int = 32, what: str = "trained net", image_offset: int = 0) -> ChainReport:
    """Run fixed / SC / RTL on the first ``limit`` images of ``x`` (probabilities in [0, 1]; for a spike-input net,
    ``qnet.spike_input``, a ``(T, images, n_input)`` raster of 0/1).

    ``qnet``: the ``QuantizedNet`` to check; ``y``: labels (for accuracies), or None;
    ``float_pred``: the float model's predictions for ``x`` computed by the caller (for the
    ladder's float step and the agreement), or None.
    ``sim``: ``"verilator"``, ``"icarus"``, ``"both"``, a list of them, or ``"none"`` (models only).
    ``parallelism``: ``(lanes, tlanes)`` of the core (default ``(1, 25)``; ``(4, 1)`` for a net with recurrent
    layers).  ``trace=False``
    compares class counts and predictions only.  ``progress``: a callable receiving
    :class:`~sc_neurocore.progress.ProgressEvent` (builds, then images simulated with the
    mismatches so far).  ``waves``: ``"on-failure"`` (re-run the first mismatching image with
    an FST dump), ``"always"`` (dump every run), ``"never"``; FST files go to ``waves_dir``
    (default ``cache_dir("sim", "waves")``).  ``image_offset``: the number of ``x[0]`` in a larger set
    (a shard of it, :mod:`.shards`), added to the image numbers of the report.
    """
    from .rtl import check_T
    from .tb_network import default_parallelism

    if not isinstance(qnet, QuantizedNet):
        raise TypeError(f"verify_chain takes a QuantizedNet (model.to_quantized(config)), not {type(qnet).__name__}")
    T = check_T(T)
    if waves not in WAVES_MODES:
        raise ValueError(f"waves must be one of {WAVES_MODES}, not {waves!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1):
        raise ValueError(f"limit must be a positive integer or None, not {limit!r}")
    sims = _sims(sim)
    if qnet.spike_input:  # a raster (T, images, n_input) of 0/1 -> spike words (images, n_input)
        x = np.asarray(x)
        if x.ndim != 3 or x.shape[0] != T or x.shape[2] != qnet.n_input:
            raise ValueError(f"this net takes spike rasters of shape ({T}, images, {qnet.n_input}), not {x.shape}")
        n = x.shape[1] if limit is None else min(int(limit), x.shape[1])
        codes = spike_words(x[:, :n])
    else:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != qnet.n_input:
            raise ValueError(f"x must have shape (images, {qnet.n_input}), not {x.shape}")
        n = len(x) if limit is None else min(int(limit), len(x))
        codes = quantize_probability(x[:n], qnet.config.prob_bits)
    if y is not None:
        y = np.asarray(y, dtype=np.int64).reshape(-1)
        if len(y) < n:
            raise ValueError(f"{len(y)} labels for {n} images")
        y = y[:n]
    fl_pred = None
    if float_pred is not None:
        fl_pred = np.asarray(float_pred, dtype=np.int64).reshape(-1)
        if len(fl_pred) < n:
            raise ValueError(f"{len(fl_pred)} float predictions for {n} images")
        fl_pred = fl_pred[:n]
    vec = make_vectors(qnet, codes, T, labels=y, what=what)
    acc = (lambda p: None if y is None or n == 0 or p is None else float(np.mean(p == y)))  # noqa: E731
    sc_pred = vec.expected.prediction
    fx_pred = FixedPointNetwork.from_quantized(qnet).run_codes(codes, T, trace=False).prediction
    agreement = {"fixed_vs_float": None if fl_pred is None else float(np.mean(fx_pred == fl_pred)),
                 "sc_vs_float": None if fl_pred is None else float(np.mean(sc_pred == fl_pred))}
    report = ChainReport([], T, qnet.config, tuple(qnet.sizes), agreement, images=n,
                         accuracy={"float": acc(fl_pred), "fixed": acc(fx_pred), "sc": acc(sc_pred)},
                         extra_states=qnet.extra_states, shape=qnet.describe())
    par = default_parallelism(qnet) if parallelism is None else tuple(parallelism)
    wdir = Path(waves_dir) if waves_dir is not None else None
    for s in sims:
        row, rep = _run_one(vec, s, par, trace, batch, progress, waves, wdir, y, report, what, image_offset)
        report.rows.append(row)
        if row.mismatches and report.first_mismatch is None:
            report.first_mismatch = _location(s, rep, n)
            if waves == "on-failure":
                _rerun_with_waves(vec, s, par, trace, progress, wdir, report, image_offset)
    if not sims:
        report.rows.append(ChainRow("none", n, 0, 0, report.accuracy["float"], report.accuracy["fixed"],
                                    report.accuracy["sc"], None, 0.0, 0.0, what=what))
    return report


def _run_one(vec, s, par, trace, batch, progress, waves, wdir, y, report, what, offset=0):
    from .tb_network import run_network

    n = vec.n_images
    t0 = time.perf_counter()
    dump = _waves_path(wdir, f"{s}_images{offset}-{offset + n - 1}.fst") if waves == "always" else None
    rep = run_network(vec, sim=s, parallelism=par, trace=trace, batch=batch, check=False, progress=progress,
                      waves=dump, image_offset=offset)
    if rep.get("waves"):
        report.waves = rep["waves"]
    wall = time.perf_counter() - t0
    sb = rep.get("scoreboard", {})
    rtl_pred = np.asarray(rep.get("rtl_prediction", []), dtype=np.int64)
    mism = int(sb.get("mismatches", 0)) + (0 if rep.get("passed") and len(rtl_pred) == n else 1)
    first = sb.get("first") or (None if rep.get("passed") else (rep.get("log_tail") or "simulation failed")[-1500:])
    row = ChainRow(
        simulator=s, images=int(len(rtl_pred)), cycles=int(rep.get("cycles", 0)), mismatches=mism,
        float_acc=report.accuracy["float"], fixed_acc=report.accuracy["fixed"], sc_acc=report.accuracy["sc"],
        rtl_acc=(float(np.mean(rtl_pred == y)) if y is not None and len(rtl_pred) == n and n else None),
        cycles_per_s=float(rep.get("cycles_per_s", 0.0)), wall_s=wall, build_s=float(rep.get("build_s", 0.0)),
        first_mismatch=first, compared=int(sb.get("compared", 0)), what=what,
    )
    return row, rep


def _waves_path(wdir: Path | None, name: str) -> Path:
    from ..paths import cache_dir

    return (wdir if wdir is not None else cache_dir("sim", "waves")) / name


def _location(sim: str, rep: dict, n: int) -> dict:
    """The first mismatch of a testbench report as the ``first_mismatch`` dict of :class:`ChainReport`."""
    sb = rep.get("scoreboard", {})
    where = dict(sb.get("first_where") or {})
    loc = {"sim": sim, "image": where.get("image"), "t": where.get("timestep"), "layer": where.get("layer"),
           "neuron": where.get("neuron", where.get("class")), "quantity": where.get("quantity"),
           "expected": where.get("expected"), "got": where.get("got"), "cycle": where.get("cycle"),
           "message": sb.get("first")}
    if loc["message"] is None:  # no scoreboard mismatch: the simulation itself broke down
        batch = rep.get("failed_batch")
        loc["image"] = batch[0] if batch else None
        loc["quantity"] = "simulation"
        tail = (rep.get("log_tail") or "").strip().splitlines()
        loc["message"] = (f"the simulation failed after {rep.get('images', 0)} of {n} images"
                          + (f": {tail[-1]}" if tail else ""))
    return loc


def _rerun_with_waves(vec, s, par, trace, progress, wdir, report, offset=0) -> None:
    """Run the first mismatching image alone with an FST dump; put the file and its cycle in the report."""
    from .simulators import display_name
    from .tb_network import run_network

    fm = report.first_mismatch
    k = fm.get("image")  # numbered in the whole set: the shard's own index is k - offset
    if k is None or not 0 <= k - offset < vec.n_images:
        report.notes.append("waves: no image to re-run (the failure names none)")
        return
    path = _waves_path(wdir, f"{s}_image{k}.fst")
    rep = run_network(vec.subset(k - offset, k - offset + 1), sim=s, parallelism=par, trace=trace, batch=1,
                      check=False, progress=progress, waves=path, image_offset=k)
    report.waves = rep.get("waves")
    if report.waves and report.waves.endswith(".vcd"):
        from .simulators import LZ4_INSTALL

        report.notes.append(f"waves as VCD: Verilator's FST writer needs the lz4 headers ({LZ4_INSTALL})")
    again = (rep.get("scoreboard") or {}).get("first_where") or {}
    same = all(again.get(a) == b for a, b in (("quantity", fm["quantity"]), ("image", k),
                                                ("layer", fm["layer"]), ("timestep", fm["t"])))
    if again.get("cycle") is not None and same:
        fm["cycle"] = again["cycle"]
        from .verilog import CLOCK_PERIOD_NS, HALF_PERIOD_NS

        report.notes.append(f"in {Path(report.waves).name}: image {k} alone on {display_name(s)}; the mismatching "
                            f"value leaves the core at clock {again['cycle']} (t = "
                            f"{HALF_PERIOD_NS + CLOCK_PERIOD_NS * again['cycle']} ns)")
    elif rep.get("passed"):
        fm["cycle"] = None
        report.notes.append(f"image {k} alone on {display_name(s)} matches the model: the mismatch depends on "
                            "the images before it (state carried over?)")
    else:
        fm["cycle"] = again.get("cycle")


def _sims(sim) -> list[str]:
    from .simulators import SIMULATORS

    if sim in (None, "none"):
        return []
    if sim == "both":
        return list(SIMULATORS)
    sims = [sim] if isinstance(sim, str) else list(sim)
    for s in sims:
        if s not in SIMULATORS:
            raise ValueError(f"simulator must be one of {SIMULATORS}, 'both' or 'none', not {s!r}")
    return sims
