"""The page: every section, every figure a valid PNG, numbers as collected, written atomically."""

from __future__ import annotations

import base64
import io
import json
import os
import re

import numpy as np
from sc_neurocore.report.render import SECTIONS, render_html, write_report


def _pngs(page: str) -> list[np.ndarray]:
    import matplotlib.image as mpimg

    uris = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    return [mpimg.imread(io.BytesIO(base64.b64decode(u)), format="png") for u in uris]


def test_page_has_every_section_and_figure(report_data):
    page = render_html(report_data)
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in page, sid
    images = _pngs(page)
    assert len(re.findall(r"<img ", page)) == len(images) == 7  # no boards figure: no board report
    for im in images:
        assert im.shape[0] > 200 and im.shape[1] > 500 and im[..., :3].std() > 0.05
    assert "sc-neurocore build --board icebreaker" in page  # how to get a board report
    assert "first <b>10</b> of the 360 images" in page  # the RTL ran on fewer images, and the page says so
    sc = next(r for r in report_data.ladder if r.name.startswith("SC") and not r.subset)
    assert f"{100 * sc.accuracy:.2f} %" in page
    assert 'class="ok">0 differ' in page and 'class="bad"' not in page
    assert "The clocks the RTL took for each image equal the clock model's." in page
    assert not re.search(r'(src|href)="(?!data:)', page), "self-contained: no file or URL to fetch"


def test_page_states_rtl_clocks_that_differ_from_the_model(report_data):
    import copy

    data = copy.deepcopy(report_data)
    data.rtl.cycles = [c + 7 for c in data.rtl.cycles_model]
    page = render_html(data)
    assert f"Clocks per image in the RTL: mean {np.mean(data.rtl.cycles):,.0f}" in page
    assert "equal the clock model's" not in page


def test_page_reports_an_rtl_difference(report_data):
    import copy

    data = copy.deepcopy(report_data)
    data.rtl.differ = 3
    page = render_html(data)
    assert 'class="bad">3 integers differ' in page and 'class="bad">3 differ' in page


def test_page_without_rtl_or_float_says_why(report_data):
    import copy

    data = copy.deepcopy(report_data)
    data.rtl.error = "no simulator asked for (--sim none)"
    data.rtl.error_detail = "line 1\n<line 2>"
    data.trace.spikes.pop("RTL")
    data.trace.membranes.pop("RTL")
    page = render_html(data)
    assert "No RTL rung: no simulator asked for (--sim none)" in page
    assert "no RTL trace" in page and "<pre>line 1\n&lt;line 2&gt;</pre>" in page


def test_write_report_files(report_data, tmp_path):
    out = tmp_path / "new" / "dir"
    page = write_report(report_data, out, command="sc-neurocore report --checkpoint net.pt -o dir")
    assert page == out / "index.html" and page.read_text().startswith("<!DOCTYPE html>")
    assert "sc-neurocore report --checkpoint net.pt -o dir" in page.read_text()
    numbers = json.loads((out / "report.json").read_text())
    assert [r["accuracy"] for r in numbers["ladder"]] == [r.accuracy for r in report_data.ladder]
    assert numbers["clocks"]["cycles"] == report_data.clocks.cycles.tolist()
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "report.json"]  # no temporary files left
    mask = os.umask(0o022)
    os.umask(mask)
    assert page.stat().st_mode & 0o777 == 0o666 & ~mask  # like any new file, not the temporary file's 0600


def test_boards_section_with_reports(report_data):
    import copy

    data = copy.deepcopy(report_data)
    from sc_neurocore.report.data import BoardEntry

    data.boards = [BoardEntry("build/boards/icebreaker", {
        "board": "icebreaker", "device": "iCE40UP5K-SG48", "clock_hz": 24e6, "sync_fmax_hz": 30.2e6,
        "meets_timing": True, "parallelism": [1, 16], "cycles_mean": 9688.0, "cycles_max_seen": 12000, "images_per_s": 2477.3,
        "images_per_s_worst": 1259.2, "utilization": {"ICESTORM_LC": {"used": 4350, "available": 5280},
                                                      "ICESTORM_RAM": {"used": 27, "available": 30}},
        "net": {"sizes": [64, 128, 10], "length": 16, "rng": "sobol", "timesteps": 25}}, "r.json", same_net=False),
        BoardEntry("build/boards/ulx3s", None, "", "no build report in this folder")]
    page = render_html(data)
    assert "2,477" in page and "2,000" in page and "30.2 MHz" in page and "ICESTORM_LC 4,350/5,280" in page and "another net" in page
    assert "build/boards/ulx3s</code>: no build report in this folder" in page
    assert "images/s on icebreaker" not in page  # another net's board: not in the summary
    data.boards[0].same_net = True
    assert "images/s on icebreaker at 24.0 MHz" in render_html(data)
    assert len(_pngs(page)) == 8  # the resource figure too


def test_page_for_a_deeper_silent_net(tmp_path):
    """Three layers, an untrained net that never spikes: every section still draws."""
    import torch
    from sc_neurocore.report import collect
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.training import SpikingNet

    torch.manual_seed(1)
    model = SpikingNet(12, 6, 3, n_layers=2, threshold=50.0)  # nothing reaches the threshold
    x = np.random.default_rng(0).random((15, 12))
    y = np.arange(15) % 3
    data = collect(model.to_quantized(SCConfig(length=8)), x, y, T=4, model=model, sim="none", boards=[],
                   lengths=(4, 8), sources=("sobol",))
    assert sum(int(s.sum()) for s in data.trace.spikes["SC"]) == 0 and len(data.trace.spikes["SC"]) == 3
    assert all(r.accuracy == 5 / 15 for r in data.ladder)  # no spikes: class 0 (lowest index on ties) everywhere
    page = render_html(data)
    assert all(f'<section id="{sid}">' in page for sid in SECTIONS[:-1]) and '<section id="training">' not in page
    assert len(_pngs(page)) == 6  # no board and no training figure
