"""The numbers of the report page, collected without drawing anything.

:func:`collect` runs one net down the chain on a labelled split and returns a
:class:`ReportData`; :mod:`sc_neurocore.report.render` turns it into the page.  Every figure
comes from the project's own models:

* the float rung from the torch ``SpikingNet`` (``model.run``; only when a checkpoint is given),
* the fixed-point rung from :class:`~sc_neurocore.sc.network.FixedPointNetwork`,
* the SC rung and the traces from :class:`~sc_neurocore.sc.network.SCNetwork`
  (``run_codes(codes, T, trace=True)``),
* the RTL rung from ``sc_neurocore.sim.run_rtl`` (the network core under cocotb),
* clocks per image from :func:`sc_neurocore.hw.network.image_cycles` (the exact clock model the
  engine is held to) and the theoretical worst case from :func:`~sc_neurocore.hw.network.cycles_per_image`,
* board figures from the JSON report a board build leaves in its folder.

Membranes are given in float units (``Q8.8 / 256`` for the integer models), firing rates in
spikes per neuron per timestep.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ..errors import MissingTool
from ..export import QuantizedNet
from ..progress import emit
from ..sc.contract import SCConfig, quantize_probability
from ..sc.network import FixedPointNetwork, SCNetwork, SCTrace

__all__ = [
    "LENGTHS",
    "SOURCES",
    "Rung",
    "SweepPoint",
    "ImageTrace",
    "LayerRates",
    "Clocks",
    "RTLCheck",
    "BoardEntry",
    "ReportData",
    "collect",
    "requantize",
    "float_run",
    "length_sweep",
    "firing_rates",
    "clock_counts",
    "read_board_folder",
    "find_board_folders",
    "mark_same_net",
    "fill_board_clocks",
    "source_label",
]

#: Bitstream lengths of the sweep (SC cycles per timestep).
LENGTHS = (4, 8, 16, 32, 64)
#: Random sources of the sweep (``SCConfig.rng``).
SOURCES = ("sobol", "lfsr")


# ----------------------------------------------------------------------------------------- records
@dataclass
class Rung:
    """One rung of the accuracy ladder: ``accuracy`` over ``images`` test images.

    ``agreement``: fraction of those images on which the rung predicts what ``reference`` predicts
    (the float model, or the fixed-point model when no float model was given).
    """

    name: str
    accuracy: float | None
    images: int
    agreement: float | None = None
    reference: str = ""
    subset: bool = False  # True: only the RTL's images (the first ``images`` of the split)


@dataclass
class SweepPoint:
    """SC accuracy and agreement with the reference at one (source, bitstream length)."""

    rng: str
    length: int
    accuracy: float
    agreement: float | None


@dataclass
class ImageTrace:
    """One image through every model: per source name (``"float"``, ``"SC"``, ``"RTL"``) and layer,
    spikes ``(T, n_l)`` (0/1) and membranes ``(T, n_l)`` after step and reset, in float units."""

    index: int
    label: int | None
    T: int
    thresholds: list[float]
    spikes: dict[str, list[np.ndarray]] = field(default_factory=dict)
    membranes: dict[str, list[np.ndarray]] = field(default_factory=dict)
    prediction: dict[str, int] = field(default_factory=dict)


@dataclass
class LayerRates:
    """Firing rates of one layer over the split: per neuron spikes per timestep, float and SC."""

    layer: int
    n: int
    sc: np.ndarray
    float: np.ndarray | None = None

    @property
    def sc_mean(self) -> float:
        return float(self.sc.mean())

    @property
    def float_mean(self) -> float | None:
        return None if self.float is None else float(self.float.mean())


@dataclass
class Clocks:
    """Exact clocks of each image of the split for ``SCNetworkCore(parallelism=...)``."""

    parallelism: tuple[int, int]
    cycles: np.ndarray
    worst_case: int
    preset: str = ""

    @property
    def mean(self) -> float:
        return float(self.cycles.mean())

    @property
    def worst_seen(self) -> int:
        return int(self.cycles.max())


@dataclass
class RTLCheck:
    """The RTL run: images, accuracy, and how its integers compare with the SC model's.

    ``compared``/``differ``: integers compared (class counts and, with a trace, every count,
    current, membrane and spike) and how many differ; ``cycles_model``: the exact clock model's
    clocks for the same images (``cycles_equal`` when the RTL's measured clocks equal them).
    ``error``: why there is no RTL run (no simulator asked for, or the run failed).
    """

    sim: str
    images: int = 0
    indices: list[int] = field(default_factory=list)
    accuracy: float | None = None
    agreement_sc: float | None = None
    compared: int = 0
    differ: int = 0
    cycles: list[int] = field(default_factory=list)
    cycles_model: list[int] = field(default_factory=list)
    wall_s: float = 0.0
    error: str | None = None
    error_detail: str = ""  # the whole message (a simulator log's end)

    @property
    def ran(self) -> bool:
        return self.error is None and self.images > 0

    @property
    def bit_exact(self) -> bool | None:
        return None if not self.ran else self.differ == 0

    @property
    def cycles_equal(self) -> bool | None:
        if not self.ran or not self.cycles or len(self.cycles) != len(self.cycles_model):
            return None
        return list(self.cycles) == list(self.cycles_model)


@dataclass
class BoardEntry:
    """One board build folder: its report (``BuildReport.to_json()`` fields) or why there is none."""

    folder: str
    report: dict | None = None
    source: str = ""
    note: str = ""
    same_net: bool | None = None  # the report's net id equals this net's (None: unknown)


@dataclass
class ReportData:
    """Everything the page shows (see :func:`collect`)."""

    title: str
    source: str
    dataset: str
    split: str
    T: int
    sizes: tuple
    config: SCConfig
    n_images: int
    ladder: list[Rung]
    sweep: list[SweepPoint]
    trace: ImageTrace
    rates: list[LayerRates]
    clocks: Clocks | None
    rtl: RTLCheck
    boards: list[BoardEntry]
    reference: str
    float_accuracy: float | None
    history: list[dict] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    created: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict:
        """Plain JSON-able values (arrays as lists)."""
        return _plain(asdict(self))


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


# ----------------------------------------------------------------------------------------- helpers
def source_label(config: SCConfig) -> str:
    """``"Sobol"`` or ``"LFSR (16-bit, 1 step)"`` for a config."""
    if config.rng == "sobol":
        return "Sobol"
    steps = "step" if config.lfsr_steps == 1 else "steps"
    return f"LFSR ({config.lfsr_width}-bit, {config.lfsr_steps} {steps})"


def requantize(qnet: QuantizedNet, config: SCConfig) -> QuantizedNet:
    """``qnet`` exported again for ``config`` (another bitstream length or source; same ``prob_bits``).

    Lossless: a layer's floats are rebuilt from its codes (``weight_q * s / Q``, ``bias_q / F``,
    ``beta_q / 256``, ``threshold_q / F``), which :meth:`QuantizedNet.from_float` maps back to the
    same codes; only the count -> current scaling, which depends on ``L``, changes.  This is how
    the sweep varies ``L`` for a saved export, which has no float weights.
    """
    old = qnet.config
    keep = ("prob_bits", "polarity", "membrane", "beta_format", "scale_bits")
    if any(getattr(old, k) != getattr(config, k) for k in keep):
        raise ValueError(f"requantize changes the bitstream length, source and seed only, not {keep}")
    q = float(old.prob_max)
    one = float(old.membrane.one)
    weights = [layer.weight_q.astype(np.float64) * (layer.weight_scale / q) for layer in qnet.layers]
    biases = [layer.bias_q.astype(np.float64) / one for layer in qnet.layers]
    betas = [layer.beta_q / float(1 << old.beta_format.frac_bits) for layer in qnet.layers]
    thresholds = [layer.threshold_q / one for layer in qnet.layers]
    new = QuantizedNet.from_float(weights, biases, betas, thresholds, config)
    new = QuantizedNet(tuple(replace(b, reset=a.reset, reset_q=a.reset_q, neuron=a.neuron,
                                     neuron_params=dict(a.neuron_params)) for a, b in zip(qnet.layers, new.layers)),
                       new.config)
    for a, b in zip(qnet.layers, new.layers):  # the promise above, checked
        if not (np.array_equal(a.weight_q, b.weight_q) and np.array_equal(a.bias_q, b.bias_q)
                and a.beta_q == b.beta_q and a.threshold_q == b.threshold_q):
            raise ValueError("the export's codes do not survive re-quantisation (not written by QuantizedNet.from_float?)")
    return new


def float_run(model, x: np.ndarray, T: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The torch model on constant inputs ``x`` ``(B, n_input)`` for ``T`` steps.

    Returns per layer spikes and post-reset membranes, each ``(T, B, n_l)`` float32 arrays
    (``SpikingNet.run``).
    """
    import torch

    with torch.no_grad():
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
        layers = model.run(xt.unsqueeze(0).expand(T, -1, -1))
    spikes = [s.cpu().numpy() for s, _ in layers]
    mems = [v.cpu().numpy() for _, v in layers]
    return spikes, mems


def _acc(pred, y) -> float | None:
    if y is None or len(pred) == 0:
        return None
    return float(np.mean(np.asarray(pred) == np.asarray(y)))


def _agree(a, b) -> float | None:
    return None if a is None or b is None or len(a) == 0 else float(np.mean(np.asarray(a) == np.asarray(b)))


def length_sweep(make_qnet: Callable[[SCConfig], QuantizedNet], base: SCConfig, codes: np.ndarray, y, T: int, *,
                 reference_pred=None, lengths: Sequence[int] = LENGTHS, sources: Sequence[str] = SOURCES,
                 progress=None) -> list[SweepPoint]:
    """SC accuracy (and agreement with ``reference_pred``) for each source and bitstream length.

    ``make_qnet(config)`` exports the net for a config (``model.to_quantized`` or
    :func:`requantize`); each config is ``base`` with ``rng`` and ``length`` replaced.
    """
    points = []
    total = len(lengths) * len(sources)
    emit(progress, "bitstream length sweep", 0, total)
    for rng in sources:
        for L in lengths:
            qnet = make_qnet(base.replace(rng=rng, length=int(L)))
            pred = SCNetwork.from_quantized(qnet).run_codes(codes, T, trace=False).prediction
            points.append(SweepPoint(rng, int(L), _acc(pred, y), _agree(pred, reference_pred)))
            emit(progress, "bitstream length sweep", len(points), total, f"{rng} L={L}")
    return points


def firing_rates(sc_spikes: list[np.ndarray], float_spikes: list[np.ndarray] | None = None) -> list[LayerRates]:
    """Per layer and neuron: spikes per timestep averaged over timesteps and images (``(T, B, n)`` inputs)."""
    rates = []
    for li, s in enumerate(sc_spikes):
        fl = None if float_spikes is None else np.asarray(float_spikes[li], dtype=np.float64).mean(axis=(0, 1))
        rates.append(LayerRates(li, int(s.shape[2]), np.asarray(s, dtype=np.float64).mean(axis=(0, 1)), fl))
    return rates


def clock_counts(qnet: QuantizedNet, T: int, parallelism, codes: np.ndarray, *, preset: str = "") -> Clocks:
    """:func:`~sc_neurocore.hw.network.image_cycles` of every image and the theoretical worst case."""
    from ..hw.network import cycles_per_image, image_cycles, normalize_parallelism

    par = normalize_parallelism(qnet, T, tuple(parallelism))
    cycles = image_cycles(qnet, T, par, codes)
    return Clocks(par, np.asarray(cycles, dtype=np.int64), int(cycles_per_image(qnet, T, par)), preset)


# ----------------------------------------------------------------------------------------- boards
#: Fields that mark a JSON file as a board build report (``BuildReport.to_json()``).
_BUILD_FIELDS = ("board", "device", "utilization", "fmax_hz", "clock_hz")


#: JSON files larger than this are not build reports (a build folder also holds Yosys' netlist, ``top.json``).
_MAX_REPORT_BYTES = 1 << 20


def _build_reports_in(path: Path, files=None) -> list[tuple[Path, dict]]:
    found = []
    for f in sorted(path.glob("*.json")) if files is None else files:
        try:
            if f.stat().st_size > _MAX_REPORT_BYTES:
                continue
            data = json.loads(f.read_text())
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        items = data.get("boards") if isinstance(data, dict) and isinstance(data.get("boards"), list) else [data]
        for item in items:
            if isinstance(item, dict) and all(k in item for k in _BUILD_FIELDS):
                found.append((f, item))
    return found


def read_board_folder(folder) -> list[BoardEntry]:
    """The board report(s) of a build folder (or of a JSON file holding one report or ``{"boards": [...]}``).

    A folder's report is any ``*.json`` in it with the :class:`~sc_neurocore.boards.build.BuildReport`
    fields (``board``, ``device``, ``utilization``, ``fmax_hz``, ``clock_hz``): ``sc-neurocore build``
    writes ``build_report.json``.  A folder holding only nextpnr's ``top.report.json`` gives
    resources, fmax and the clock, but not the net or its clocks per image.
    """
    path = Path(folder)
    if path.is_file():
        found = _build_reports_in(path.parent, [path])
        if not found:
            return [BoardEntry(str(path), None, "", "not a board build report (no board/device/utilization fields)")]
        return [BoardEntry(str(path), _complete(d), str(f)) for f, d in found]
    if not path.is_dir():
        return [BoardEntry(str(path), None, "", "no such folder")]
    found = _build_reports_in(path)
    if found:
        return [BoardEntry(str(path), _complete(d), str(f)) for f, d in found]
    pnr = path / "top.report.json"
    if pnr.exists():
        try:
            data = json.loads(pnr.read_text())
            util = {k: {"used": int(v["used"]), "available": int(v["available"])}
                    for k, v in data.get("utilization", {}).items()}
            fmax = {k: float(v["achieved"]) * 1e6 for k, v in data.get("fmax", {}).items()}
            targets = [float(v["constraint"]) * 1e6 for v in data.get("fmax", {}).values() if "constraint" in v]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return [BoardEntry(str(path), None, str(pnr), f"unreadable nextpnr report: {exc}")]
        rep = _complete({"board": path.name, "device": "", "utilization": util, "fmax_hz": fmax,
                         "clock_hz": max(targets) if targets else None})
        return [BoardEntry(str(path), rep, str(pnr), "nextpnr's report only: the net and its clocks per image unknown")]
    return [BoardEntry(str(path), None, "", "no build report in this folder")]


def _complete(rep: dict) -> dict:
    """Fill the derived figures (fmax of the sync clock, timing met, images/s) when the report lacks them."""
    rep = dict(rep)
    fmax = rep.get("fmax_hz") or {}
    if rep.get("sync_fmax_hz") is None and fmax:
        sync = [v for k, v in fmax.items() if "sync" in k]
        rep["sync_fmax_hz"] = sync[0] if sync else min(fmax.values())
    clock = rep.get("clock_hz")
    if rep.get("meets_timing") is None and clock and rep.get("sync_fmax_hz"):
        rep["meets_timing"] = rep["sync_fmax_hz"] >= clock
    typical = rep.get("cycles_mean") or rep.get("cycles_per_image")
    if rep.get("images_per_s") is None and clock and typical:
        rep["images_per_s"] = clock / typical
    if rep.get("images_per_s_worst") is None and clock and rep.get("cycles_per_image"):
        rep["images_per_s_worst"] = clock / rep["cycles_per_image"]
    return rep


def mark_same_net(entries: list[BoardEntry], qnet: QuantizedNet) -> None:
    """Set ``same_net`` where a report carries a net id (``boards.protocol.net_id``: the net's integers and config)."""
    try:
        from ..boards.protocol import net_id
    except ImportError:
        return
    mine = net_id(qnet)
    for e in entries:
        theirs = (e.report or {}).get("net", {}).get("net_id")
        if theirs is not None:
            e.same_net = int(theirs) == mine


def fill_board_clocks(entry: BoardEntry, qnet: QuantizedNet, T: int, codes: np.ndarray) -> None:
    """For a board built for this net whose report lacks measured clocks: the mean and worst over ``codes``.

    Uses :func:`~sc_neurocore.hw.network.image_cycles` at the board's parallelism, the figure
    ``build`` reports when given images; images/s is then the board's clock over the mean.
    """
    rep = entry.report
    if not rep or entry.same_net is not True or rep.get("cycles_mean") or not rep.get("parallelism"):
        return
    if int((rep.get("net") or {}).get("timesteps", T)) != int(T):
        return
    clocks = clock_counts(qnet, T, tuple(int(v) for v in rep["parallelism"]), codes)
    rep.update(cycles_mean=clocks.mean, cycles_max_seen=clocks.worst_seen, images_measured=len(clocks.cycles))
    if rep.get("clock_hz"):
        rep["images_per_s"] = rep["clock_hz"] / clocks.mean
    entry.note = (entry.note + "; " if entry.note else "") + (
        f"mean clocks over this report's {len(clocks.cycles)} images (the report had the worst case only)")


def find_board_folders(root="build/boards") -> list[Path]:
    """Build folders under ``root`` (default ``build/boards/*``), sorted by name."""
    root = Path(root)
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


# ----------------------------------------------------------------------------------------- RTL
def _rtl_runner():
    """``sc_neurocore.sim.run_rtl``, or ``None`` where the sim part is not importable."""
    try:
        from ..sim import run_rtl
    except ImportError:
        return None
    return run_rtl


def _compare_rtl(rtl, expected: SCTrace, trace: bool) -> tuple[int, int]:
    """Integers compared and how many differ: class counts, and every trace array when there is one."""
    pairs = [(np.asarray(rtl.counts), expected.counts)]
    if trace:
        for name in ("sc_counts", "currents", "membranes", "spikes"):
            got = getattr(rtl, name, None) or []
            want = getattr(expected, name)
            if len(got) != len(want):
                return sum(a.size for a in want), sum(a.size for a in want)
            pairs += list(zip((np.asarray(g) for g in got), want))
    compared = differ = 0
    for got, want in pairs:
        compared += want.size
        differ += want.size if got.shape != want.shape else int(np.count_nonzero(got != want))
    return compared, differ


def run_rtl_check(qnet: QuantizedNet, codes: np.ndarray, y, T: int, indices: list[int], *, sim: str,
                  parallelism, sc_full: SCTrace, n_ladder: int, progress=None, runner=None) -> tuple[RTLCheck, object]:
    """Run the RTL on ``codes[indices]`` and compare it with the SC model's integers.

    ``n_ladder``: how many of the first indices count for the ladder's accuracy.  Returns the
    check and the ``RTLRun`` (``None`` when nothing ran; ``check.error`` says why, including a
    ``RuntimeError`` of ``run_rtl``: a failed build or simulation).
    """
    runner = _rtl_runner() if runner is None else runner
    check = RTLCheck(sim)
    if runner is None:
        check.error = ("this install has no sc_neurocore.sim.run_rtl (the network core under cocotb); "
                       "install the 'sim' extra")
        return check, None
    sub = codes[indices]
    t0 = time.perf_counter()
    try:
        rtl = runner(qnet, sub, T, sim=sim, parallelism=parallelism, trace=True, progress=progress)
    except MissingTool:  # no simulator: something to install, not a result
        raise
    except RuntimeError as exc:  # the simulation failed (build error, timeout): the page says so
        text = str(exc).strip() or type(exc).__name__
        check.error = f"the RTL run failed: {text.splitlines()[0]}"
        check.error_detail = text
        return check, None
    check.wall_s = time.perf_counter() - t0
    expected = SCTrace(counts=sc_full.counts[indices], prediction=sc_full.prediction[indices])
    for name in ("sc_counts", "currents", "membranes", "spikes"):
        setattr(expected, name, [a[:, indices] for a in getattr(sc_full, name)])
    check.compared, check.differ = _compare_rtl(rtl, expected, trace=True)
    pred = np.asarray(rtl.prediction, dtype=np.int64)
    check.images = n_ladder
    check.indices = list(map(int, indices[:n_ladder]))
    check.accuracy = _acc(pred[:n_ladder], None if y is None else np.asarray(y)[indices[:n_ladder]])
    check.agreement_sc = _agree(pred[:n_ladder], sc_full.prediction[indices[:n_ladder]])
    cyc = getattr(rtl, "cycles", None)
    if cyc is not None and len(cyc):
        check.cycles = [int(c) for c in np.asarray(cyc)[:n_ladder]]
    return check, rtl


# ----------------------------------------------------------------------------------------- collect
def _checked_inputs(qnet, x, y, image, limit):
    """``(x float64, y int64, image int)`` after checking what :func:`collect` was given."""
    if not isinstance(qnet, QuantizedNet):
        raise TypeError(f"qnet must be a QuantizedNet, not {type(qnet).__name__}")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != qnet.n_input or len(x) == 0:
        raise ValueError(f"x must be (images, {qnet.n_input}) probabilities, got shape {x.shape}")
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers, not dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.shape != (len(x),):
        raise ValueError(f"{y.size} labels for {len(x)} images")
    if not 0 <= int(image) < len(x):
        raise ValueError(f"image index {image} is outside the split's {len(x)} images")
    if int(limit) < 1:
        raise ValueError(f"limit must be >= 1, not {limit}")
    return x, y, int(image)


def _ladder(y, fl_pred, fx_pred, sc_pred, ref_name, ref_pred, config, rtl_check, rtl, sim, n_rtl) -> list:
    """The accuracy ladder's rungs: every model on the whole split, then on the images the RTL ran."""
    n = len(y)
    sc_name = f"SC ({source_label(config)}, L={config.length})"
    ladder = []
    if fl_pred is not None:
        ladder.append(Rung("float (torch)", _acc(fl_pred, y), n, 1.0, ref_name))
    ladder.append(Rung("fixed point", _acc(fx_pred, y), n, _agree(fx_pred, ref_pred), ref_name))
    ladder.append(Rung(sc_name, _acc(sc_pred, y), n, _agree(sc_pred, ref_pred), ref_name))
    if rtl_check.ran:
        sub = slice(0, n_rtl)
        yy = y[sub]
        if fl_pred is not None:
            ladder.append(Rung("float (torch)", _acc(fl_pred[sub], yy), n_rtl, 1.0, ref_name, True))
        ladder.append(Rung("fixed point", _acc(fx_pred[sub], yy), n_rtl, _agree(fx_pred[sub], ref_pred[sub]),
                           ref_name, True))
        ladder.append(Rung(sc_name, _acc(sc_pred[sub], yy), n_rtl, _agree(sc_pred[sub], ref_pred[sub]),
                           ref_name, True))
        rtl_pred = np.asarray(rtl.prediction, dtype=np.int64)[:n_rtl]
        ladder.append(Rung(f"RTL ({sim})", rtl_check.accuracy, n_rtl, _agree(rtl_pred, ref_pred[sub]), ref_name, True))
    return ladder


def _image_trace(qnet, image, label, T, float_run_, sc, rtl, indices) -> ImageTrace:
    """One image's spikes, membranes (in units of one) and prediction from each model that ran."""
    fl_spikes, fl_mems, fl_pred = float_run_
    one = qnet.config.membrane.one
    trace = ImageTrace(image, label, int(T), [layer.threshold_q / one for layer in qnet.layers])
    if fl_spikes is not None:
        trace.spikes["float"] = [s[:, image].astype(np.int64) for s in fl_spikes]
        trace.membranes["float"] = [v[:, image].astype(np.float64) for v in fl_mems]
        trace.prediction["float"] = int(fl_pred[image])
    trace.spikes["SC"] = [s[:, image] for s in sc.spikes]
    trace.membranes["SC"] = [v[:, image] / one for v in sc.membranes]
    trace.prediction["SC"] = int(sc.prediction[image])
    if rtl is not None and getattr(rtl, "spikes", None):
        j = indices.index(image)
        trace.spikes["RTL"] = [np.asarray(s)[:, j] for s in rtl.spikes]
        trace.membranes["RTL"] = [np.asarray(v)[:, j] / one for v in rtl.membranes]
        trace.prediction["RTL"] = int(np.asarray(rtl.prediction)[j])
    return trace


def collect(qnet: QuantizedNet, x, y, *, T: int, model=None, sim: str = "verilator", limit: int = 50,
            image: int = 0, parallelism=None, boards: Sequence | None = None, lengths: Sequence[int] = LENGTHS,
            sources: Sequence[str] = SOURCES, source: str = "", dataset: str = "digits", split: str = "test",
            meta: dict | None = None, progress=None, rtl_runner=None) -> ReportData:
    """Run the chain on ``x`` (probabilities ``(N, n_input)`` in [0, 1]) with integer labels ``y``; see :class:`ReportData`.

    ``model``: the float torch model (``None`` for an export: the fixed-point model is then the
    reference for agreement).  ``sim``: ``"verilator"``, ``"icarus"`` or ``"none"``; the RTL runs
    the first ``limit`` images (and image ``image`` when it is not among them).  ``parallelism``:
    ``(lanes, tlanes)`` of the clocks histogram and the RTL (default: the iCEBreaker preset).
    ``boards``: build folders or report files (``None``: ``build/boards/*``).
    """
    t_start = time.perf_counter()
    x, y, image = _checked_inputs(qnet, x, y, image, limit)
    n = len(x)
    codes = quantize_probability(x, qnet.config.prob_bits).astype(np.int64)  # ValueError for NaN / out of range
    config = qnet.config
    preset = ""
    if parallelism is None:
        from ..hw.presets import BOARD_ENGINES

        preset = "icebreaker"
        parallelism = BOARD_ENGINES[preset].parallelism
    parallelism = tuple(int(v) for v in parallelism)

    # float, fixed point, SC
    fl_spikes = fl_mems = fl_pred = None
    if model is not None:
        emit(progress, "float model", 0, 1)
        fl_spikes, fl_mems = float_run(model, x, T)
        fl_pred = fl_spikes[-1].sum(axis=0).argmax(axis=1).astype(np.int64)
        emit(progress, "float model", 1, 1)
    emit(progress, "fixed point and SC models", 0, 2)
    fx_pred = FixedPointNetwork.from_quantized(qnet).run_codes(codes, T, trace=False).prediction
    emit(progress, "fixed point and SC models", 1, 2)
    sc = SCNetwork.from_quantized(qnet).run_codes(codes, T, trace=True)
    emit(progress, "fixed point and SC models", 2, 2)
    ref_name, ref_pred = ("float", fl_pred) if fl_pred is not None else ("fixed point", fx_pred)

    # the RTL
    n_rtl = min(int(limit), n)
    indices = list(range(n_rtl)) + ([image] if image >= n_rtl else [])
    if sim in (None, "none"):
        rtl_check, rtl = RTLCheck("none", error="no simulator asked for (--sim none)"), None
    else:
        rtl_check, rtl = run_rtl_check(qnet, codes, y, T, indices, sim=sim, parallelism=parallelism, sc_full=sc,
                                       n_ladder=n_rtl, progress=progress, runner=rtl_runner)

    # the ladder
    ladder = _ladder(y, fl_pred, fx_pred, sc.prediction, ref_name, ref_pred, config, rtl_check, rtl, sim, n_rtl)

    # the sweep
    make = model.to_quantized if model is not None else (lambda cfg: requantize(qnet, cfg))
    sweep = length_sweep(make, config, codes, y, T, reference_pred=ref_pred, lengths=lengths, sources=sources,
                         progress=progress)

    # one image through every model
    trace = _image_trace(qnet, image, int(y[image]), T, (fl_spikes, fl_mems, fl_pred), sc, rtl, indices)

    rates = firing_rates(sc.spikes, fl_spikes)

    emit(progress, "clocks per image", 0, 1)
    clocks = clock_counts(qnet, T, parallelism, codes, preset=preset)
    emit(progress, "clocks per image", 1, 1)
    if rtl_check.ran and rtl_check.cycles:
        from ..hw.network import image_cycles

        rtl_check.cycles_model = [int(c) for c in image_cycles(qnet, T, clocks.parallelism, codes[:n_rtl], trace=True)]

    folders = find_board_folders() if boards is None else [Path(b) for b in boards]
    board_entries = [e for f in folders for e in read_board_folder(f)]
    mark_same_net(board_entries, qnet)
    for e in board_entries:
        fill_board_clocks(e, qnet, T, codes)

    meta = dict(meta or {})
    history = meta.pop("history", []) if isinstance(meta.get("history"), list) else []
    return ReportData(
        title=f"sc-neurocore report: {Path(source).name or 'net'}",
        source=source,
        dataset=dataset,
        split=split,
        T=int(T),
        sizes=tuple(qnet.sizes),
        config=config,
        n_images=n,
        ladder=ladder,
        sweep=sweep,
        trace=trace,
        rates=rates,
        clocks=clocks,
        rtl=rtl_check,
        boards=board_entries,
        reference=ref_name,
        float_accuracy=_acc(fl_pred, y) if fl_pred is not None else None,
        history=history,
        meta=meta,
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        seconds=time.perf_counter() - t_start,
    )
