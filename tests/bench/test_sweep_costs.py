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
    assert [r.split("|")[1].strip() for r in rows] == ["1", "4", "16", "1", "4", "16"]


def test_render_only_without_data_is_exit_2(tmp_path, capsys):
    assert sweep_costs.main(["--render-only", "--out-dir", str(tmp_path)]) == 2
    assert "run the benchmark without --render-only" in capsys.readouterr().err
