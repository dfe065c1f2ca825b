"""bench/sweep_costs.py: the schedule arithmetic, and the report renders from its stored data alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sweep_costs

ROOT = Path(__file__).resolve().parents[2]


def test_longest_first_schedule():
    assert sweep_costs.lpt_makespan([10, 10, 10, 10], 2) == 20
    assert sweep_costs.lpt_makespan([22, 5, 5, 5, 5], 2) == 22  # the short ones fill the other worker
    assert sweep_costs.lpt_makespan([22] * 18 + [6] * 18, 8) == 3 * 22  # 3 rounds of the long points
    assert sweep_costs.lpt_makespan([22] * 18 + [6] * 18, 64) == 22  # the longest point is the floor
    assert sweep_costs.lpt_makespan([3.0], 0) == 3.0


def test_the_report_renders_from_the_stored_data(tmp_path):
    src = ROOT / "docs" / "bench" / "sweep.json"
    if not src.exists():
        pytest.skip("no stored sweep data")
    shutil.copy(src, tmp_path / "sweep.json")
    assert sweep_costs.main(["--render-only", "--out-dir", str(tmp_path)]) == 0
    text = (tmp_path / "sweep.md").read_text()
    data = json.loads(src.read_text())
    assert data["no_build"]["points"] == 36 and f"{data['no_build']['point_mean_s']:.2f}" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and line.split("|")[1].strip().isdigit()]
    measured = [k for k, v in data.get("measured", {}).items() if len(v) >= 12]  # each: its own N-machine table
    assert [r.split("|")[1].strip() for r in rows] == ["1", "4", "16", "1", "4", "16"] * (1 + len(measured))
    for folder in measured:
        assert f"## The measured sweep `{folder}` on N machines" in text


def test_a_grid_point_costs_its_own_engine_or_the_next_larger():
    d = {"builds": {"ulx3s": [{"parallelism": "1x16", "status": "ok", "build_s": 80.0},
                              {"parallelism": "1x16", "status": "no-fit", "build_s": 100.0},
                              {"parallelism": "4x25", "status": "ok", "build_s": 300.0},
                              {"parallelism": "8x25", "status": "tool-error", "build_s": 5.0}]}}
    assert sweep_costs.engine_build_s(d, "ulx3s", "1x16")[0] == 90.0  # the mean of that engine's builds
    assert sweep_costs.engine_build_s(d, "ulx3s", "1x8")[0] == 90.0  # a smaller engine: the next larger measured
    assert sweep_costs.engine_build_s(d, "ulx3s", "2x16")[0] == 300.0
    assert sweep_costs.engine_build_s(d, "ulx3s", "16x25")[0] == 300.0  # none larger: the largest measured
    assert sweep_costs.engine_build_s(d, "icebreaker", "1x16") is None


def test_render_only_without_data_is_exit_2(tmp_path, capsys):
    assert sweep_costs.main(["--render-only", "--out-dir", str(tmp_path)]) == 2
    assert "run the benchmark without --render-only" in capsys.readouterr().err
