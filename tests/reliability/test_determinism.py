"""Same seeds, same bits: fingerprints from fresh processes with other PYTHONHASHSEEDs and torch thread counts.

Each run is ``determinism_probe.py`` in a new interpreter (training on CPU, the SC model, a vector file,
the export, the Verilog).  Everything is compared bit for bit across processes and hash seeds; across
torch thread counts everything but the trained weights (CPU kernels sum in an order that depends on the
thread count: ``docs/reliability.md``).  ``bench/determinism.py`` writes the whole matrix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")
PROBE = Path(__file__).resolve().parent / "determinism_probe.py"


def fingerprints(hashseed: str, threads: int, tmp_path: Path) -> dict:
    out = tmp_path / f"fp_{hashseed}_{threads}.json"
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    r = subprocess.run([sys.executable, str(PROBE), str(threads), str(out)], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.mark.slow
def test_same_seeds_same_bits(tmp_path):
    a = fingerprints("0", 1, tmp_path)
    b = fingerprints("4242", 1, tmp_path)
    c = fingerprints("random", 2, tmp_path)
    keys = ("training", "sc_model", "vectors", "vectors_file", "export_file", "verilog")
    assert (a["threads"], b["threads"], c["threads"]) == (1, 1, 2)
    assert {k: a[k] for k in keys} == {k: b[k] for k in keys}  # another process, another hash seed
    assert {k: a[k] for k in keys if k != "training"} == {k: c[k] for k in keys if k != "training"}


def test_the_fingerprints_see_a_change(tmp_path, monkeypatch):
    """The probe's digest changes with one bit of what it hashes (the comparison above can fail)."""
    sys.path.insert(0, str(PROBE.parent))
    import determinism_probe as dp

    assert dp._h(b"\x00" * 8) != dp._h(b"\x00" * 7 + b"\x01")
    assert dp._h(b"ab", b"c") == dp._h(b"abc")  # parts are concatenated: keys are hashed in with their data
