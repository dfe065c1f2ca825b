"""Every output file is written atomically: a writer killed or failing midway leaves the old file (or none).

Three checks: an inventory of the raw writes in the package (each one either writes the temporary file of
``fileio.atomic_output`` or is listed below with why a torn file cannot be taken for a whole one); writers
that fail half-way through (the file system raising after half the bytes); and writer processes killed
with SIGKILL in the middle of a large write.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ("sw", "sim", "boards", "hw")
WRITE = re.compile(r"open\([^)]*['\"](w|wb|a|ab|x)['\"]|np\.savez?(_compressed)?\(|torch\.save\(|\.write_text\(|"
                   r"\.write_bytes\(|nir\.write\(|\.savefig\(|json\.dump\(")

#: Raw writes that do not go through atomic_output, per file: (fragment of the line, why that is safe).
ALLOWED = {
    "sw/fileio.py": [("tmp.write_bytes(data)", "the temporary file of atomic_output itself")],
    "sw/datasets.py": [("np.savez(path, x=x, y=y)", "text of an error message")] * 2,
    "sw/report/render.py": [("fig.savefig(buf", "into an in-memory buffer")],
    "sw/training/native.py": [("src.write_text(SOURCE)", "a temporary folder; the library is os.replace'd into place")],
    "sim/tb_network.py": [
        ('open(path, "a")', "the progress log the parent polls (a count per line, read as a hint)"),
        ('open("codes.hex", "w")', "the simulator's input, in the simulation's own run folder, read after it closes"),
        ('prog_path.write_text("")', "creates the empty progress log"),
    ],
    "sim/vectors.py": [("path.write_bytes(raw)", "a TemporaryDirectory, read back at once")],
    "sim/bench.py": [
        ('write_text(verilog_of', "build folder of a benchmark harness, rebuilt whenever it runs"),
        ('write_text(cpp)', "build folder of a benchmark harness, rebuilt whenever it runs"),
        ('open(d / "build.log", "w")', "a log"),
        ('(d / "codes.hex").write_text', "the harness's input, written before it runs"),
    ],
    "sim/runner.py": [
        ('open(path, "w")', "a lock file (empty; only its lock matters)"),
        ("core.write_text(", "a build folder: reused only when build.ok exists, removed and rebuilt otherwise"),
        ("wrap.write_text(", "a build folder: reused only when build.ok exists, removed and rebuilt otherwise"),
        ('(build_dir / "build.ok").write_text', "the stamp written after the build finished"),
        ('(tmp / "ok").write_text("")', "a temporary folder renamed into place when complete"),
    ],
    "boards/build.py": [
        ('open(log, "wb")', "the tool log"),
        ("(build_dir / STAMP).write_text", "the stamp written after the flow finished; a build without it is redone"),
    ],
    "boards/sweep.py": [('Path(tmp, "build_report.json")', "a worker's temporary folder, copied atomically after")],
    "boards/unit_synth.py": [
        ('open(log, "wb")', "the tool log"),
        ('(out / "unit.il").write_text', "synthesis input in a scratch folder, rewritten each run"),
        ('(out / "top.il").write_text', "synthesis input in a scratch folder, rewritten each run"),
    ],
}


def _raw_writes() -> dict[str, list[str]]:
    """``{file: [line, ...]}``: the write calls that are not into an ``atomic_output`` temporary."""
    out: dict[str, list[str]] = {}
    for top in PACKAGE:
        for path in sorted((ROOT / top).rglob("*.py")):
            lines = path.read_text().splitlines()
            for n, line in enumerate(lines):
                code = line.split("#")[0] if not line.strip().startswith(("f\"", "\"")) else line
                if not WRITE.search(code):
                    continue
                context = "\n".join(lines[max(0, n - 2): n + 1])
                if "atomic_output(" in context or "atomic_write" in line or re.search(r"\(tmp[,)]", line):
                    continue  # writes the temporary file of atomic_output
                out.setdefault(str(path.relative_to(ROOT)), []).append(line.strip())
    return out


def test_every_raw_write_is_accounted_for():
    found = _raw_writes()
    unexplained = []
    for file, lines in found.items():
        allowed = list(ALLOWED.get(file, []))
        for line in lines:
            match = next((a for a in allowed if a[0] in line), None)
            if match is None:
                unexplained.append(f"{file}: {line}")
            else:
                allowed.remove(match)
    assert unexplained == [], "write these with sc_neurocore.fileio (or list them in ALLOWED with why):\n" + \
        "\n".join(unexplained)


def test_the_inventory_sees_a_raw_write(tmp_path, monkeypatch):
    (tmp_path / "sw").mkdir()
    (tmp_path / "sw" / "x.py").write_text('import numpy as np\nnp.savez("out.npz", a=1)\nPath("r").write_text("x")\n')
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _raw_writes() == {"sw/x.py": ['np.savez("out.npz", a=1)', 'Path("r").write_text("x")']}


# ------------------------------------------------------------------------------------------- failing midway

def _half_then_fail(real, file_arg: int = 0):
    """A writer that writes half of what ``real`` would, then fails like a full disk (``file_arg``: which
    argument is the file: 0 for ``np.savez``, 1 for ``torch.save(obj, f)``)."""
    def writer(*args, **kwargs):
        import io

        args = list(args)
        target, args[file_arg] = args[file_arg], io.BytesIO()
        buf = args[file_arg]
        real(*args, **kwargs)
        data = buf.getvalue()
        if hasattr(target, "write"):
            target.write(data[: len(data) // 2])
        else:
            Path(target).write_bytes(data[: len(data) // 2])
        raise OSError(28, "No space left on device (injected)")
    return writer


def _qnet():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import campaign

    return campaign.small_qnet()


def _export(path):
    _qnet().save(path)


def _vectors(path):
    from sc_neurocore.sim.vectors import make_vectors, save_vectors

    q = _qnet()
    save_vectors(make_vectors(q, np.zeros((2, q.n_input), dtype=np.int64), 2), path)


def _checkpoint(path):
    pytest.importorskip("torch")
    from sc_neurocore.training import SpikingNet, save_checkpoint

    save_checkpoint(SpikingNet(n_input=16, n_hidden=6, n_output=4), path)


def _rtl_arrays(path):
    pytest.importorskip("cocotb")
    from sc_neurocore.sim.tb_network import _RTLArrays

    fake = SimpleNamespace(counts=np.zeros((2, 4), np.int64), prediction=np.zeros(2, np.int64),
                           cycles=np.zeros(2, np.int64), quantities=[], grids={}, sizes=[4])
    _RTLArrays.save(fake, str(path), 2)


def _report(path):
    from sc_neurocore.sim import tb

    os.environ["SC_SIM_REPORT"] = str(path)
    try:
        tb.write_report({"images": 3})
    finally:
        del os.environ["SC_SIM_REPORT"]


def _text(path):
    from sc_neurocore.fileio import atomic_write_text

    atomic_write_text(path, "a report\n" * 100)


#: (name, writer(path), file name, the function to break: (module, attribute))
WRITERS = [
    ("QuantizedNet.save", _export, "net.npz", ("numpy", "savez_compressed")),
    ("save_vectors", _vectors, "v.npz", ("numpy", "savez_compressed")),
    ("save_checkpoint", _checkpoint, "net.pt", ("torch", "save")),
    ("RTL arrays (verify --rtl-out)", _rtl_arrays, "rtl.npz", ("numpy", "savez")),
    ("simulation report", _report, "results.json", ("pathlib", "Path.write_bytes")),
    ("atomic_write_text (every CLI report)", _text, "r.json", ("pathlib", "Path.write_bytes")),
]


@pytest.mark.parametrize(("name", "write", "filename", "target"), WRITERS, ids=[w[0] for w in WRITERS])
def test_a_writer_failing_midway_leaves_the_old_file(name, write, filename, target, tmp_path, monkeypatch):
    import importlib

    dest = tmp_path / filename
    write(dest)  # a good old file
    old = dest.read_bytes()
    module_name, attr = target
    module = importlib.import_module(module_name)
    owner, leaf = (getattr(module, attr.split(".")[0]), attr.split(".")[1]) if "." in attr else (module, attr)
    real = getattr(owner, leaf)
    if leaf == "write_bytes":
        def broken(self, data):
            real(self, data[: len(data) // 2])
            raise OSError(28, "No space left on device (injected)")
    else:
        broken = _half_then_fail(real, 1 if module_name == "torch" else 0)
    monkeypatch.setattr(owner, leaf, broken)
    with pytest.raises(OSError, match="injected"):
        write(dest)
    monkeypatch.undo()
    assert dest.read_bytes() == old, f"{name}: the destination was changed by a failed write"
    assert sorted(p.name for p in tmp_path.iterdir()) == [filename], f"{name}: a temporary file was left behind"


def test_the_failure_injection_can_tear_a_plain_write(tmp_path, monkeypatch):
    """Without atomic_output the same injected failure does leave a torn file (the test above can fail)."""
    dest = tmp_path / "plain.npz"
    np.savez_compressed(dest, a=np.arange(1000))
    old = dest.read_bytes()
    monkeypatch.setattr(np, "savez_compressed", _half_then_fail(np.savez_compressed))
    with pytest.raises(OSError), open(dest, "wb") as fh:
        np.savez_compressed(fh, a=np.arange(1000))
    assert dest.read_bytes() != old and 0 < dest.stat().st_size < len(old)


# ------------------------------------------------------------------------------------------- killed midway

KILLED_WRITER = textwrap.dedent("""
    import sys, numpy as np
    kind, dest, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "export":
        from sc_neurocore.export import QuantizedNet
        g = np.random.default_rng(0)
        QuantizedNet.from_float([g.normal(size=(n, n))], [None], [0.9], [1.0]).save(dest)
    else:
        import torch
        from sc_neurocore.training import SpikingNet, save_checkpoint
        save_checkpoint(SpikingNet(n_input=n, n_hidden=n, n_output=4), dest)
""")


def _kill_midway(kind: str, dest: Path, n: int, kill: bool = True) -> str:
    """Start a writer of ``dest``; SIGKILL it once its temporary file holds bytes. ``"killed"`` or ``"finished"``."""
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, kind, str(dest), str(n)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if not kill:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
        return "finished"
    deadline = time.monotonic() + 300
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            temps = [p for p in dest.parent.glob(f".{dest.name}.*") if p.stat().st_size > 0]
            if temps:
                os.kill(proc.pid, signal.SIGKILL)
                proc.communicate()
                return "killed"
            time.sleep(0.0005)
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
        return "finished"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.parametrize(("kind", "filename", "n"), [("export", "net.npz", 2500), ("checkpoint", "net.pt", 2500)])
def test_a_writer_killed_midway_leaves_the_old_file(kind, filename, n, tmp_path):
    if kind == "checkpoint":
        pytest.importorskip("torch")
        from sc_neurocore.training.checkpoint import load_checkpoint as load
    else:
        from sc_neurocore.export import QuantizedNet

        load = QuantizedNet.load
    dest = tmp_path / filename
    assert _kill_midway(kind, dest, 8, kill=False) == "finished"  # a small, whole old file
    old = dest.read_bytes()
    outcomes = [_kill_midway(kind, dest, n) for _ in range(2)]
    assert "killed" in outcomes, "the writer finished before it could be killed: raise n"
    assert dest.read_bytes() == old  # the old file, untouched: nothing half-written at the destination
    load(dest)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != filename]
    assert all(p.startswith(f".{filename}.") for p in leftovers)  # a killed writer's temporary (hidden), if any
