"""``sc-neurocore sweep`` with real iCEBreaker builds (place and route: minutes; ``pytest -m pnr``).

The default run skips these (``tests/conftest.py``); ``pytest -m pnr tests/sweep`` runs them.
"""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

pytest.importorskip("torch")
pytest.importorskip("amaranth_boards")

pytestmark = pytest.mark.pnr

GRID2 = "length=8 rng=sobol,lfsr parallelism=1x4 board=icebreaker"


@pytest.fixture(scope="module")
def local_build(small_ckpt, tmp_path_factory):
    from sc_neurocore.cli import main

    out = tmp_path_factory.mktemp("pnr") / "local"
    t0 = time.perf_counter()
    assert main(["sweep", "--checkpoint", str(small_ckpt), "--grid", GRID2, "--limit", "24", "--jobs", "2",
                 "-o", str(out)]) == 0
    print(f"local pool, 2 builds: {time.perf_counter() - t0:.0f} s")
    return out


def test_two_builds_on_the_local_pool(local_build):
    rows = list(csv.DictReader(io.StringIO((local_build / "results.csv").read_text())))
    assert [r["rng"] for r in rows] == ["sobol", "lfsr"]
    for r in rows:
        assert r["status"] == "ok", r
        assert int(r["luts"]) > 100 and int(r["ffs"]) > 100 and float(r["fmax_mhz"]) >= 24.0
        folder = local_build / r["log"].rsplit("/", 1)[0]
        report = json.loads((folder / "build_report.json").read_text())
        assert report["yosys_cells"]["SB_LUT4"] == int(r["luts"])  # the figure is the tool's own
        assert float(r["images_per_s"]) == pytest.approx(report["images_per_s"], rel=1e-6)
        assert (folder / "top.bin").stat().st_size > 100_000 and (folder / "build.log").exists()
        assert "Max frequency for clock" in (folder / "top.tim").read_text()  # nextpnr's own log, kept
    assert "accuracy against LUTs" in (local_build / "index.html").read_text()


def test_ray_builds_give_identical_results(local_build, small_ckpt, tmp_path, ray_local):
    from sc_neurocore.cli import main

    out = tmp_path / "ray"
    t0 = time.perf_counter()
    assert main(["sweep", "--checkpoint", str(small_ckpt), "--grid", GRID2, "--limit", "24", "--executor", "ray",
                 "-o", str(out)]) == 0
    print(f"Ray, 2 builds: {time.perf_counter() - t0:.0f} s")
    assert (out / "results.csv").read_text() == (local_build / "results.csv").read_text()
