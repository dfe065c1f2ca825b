"""boards.sweep without running points: grids, keys, build-failure classes, resources, the CSV; the page's fronts."""

from __future__ import annotations

import csv
import io

import pytest
from sc_neurocore.boards.sweep import (
    COLUMNS,
    Point,
    classify_build_error,
    grid_points,
    parse_grid,
    point_key,
    resources_of,
    rows_csv,
)


def test_the_issue_grid_has_36_points_in_key_order():
    grid = parse_grid("length=8,16,32 rng=sobol,lfsr parallelism=1x8,1x16,2x16 board=icebreaker,ulx3s")
    assert grid == {"length": (8, 16, 32), "rng": ("sobol", "lfsr"), "parallelism": ((1, 8), (1, 16), (2, 16)),
                    "board": ("icebreaker", "ulx3s")}
    points = grid_points(grid)
    assert len(points) == 3 * 2 * 3 * 2 == len(set(points))
    assert points[0] == Point(8, "sobol", (1, 8), "icebreaker")
    assert points[1] == Point(8, "sobol", (1, 8), "ulx3s")  # board varies fastest
    assert points[-1] == Point(32, "lfsr", (2, 16), "ulx3s")


def test_missing_keys_take_the_contract_and_the_board_presets():
    from sc_neurocore.hw.presets import BOARD_ENGINES
    from sc_neurocore.sc.contract import SCConfig

    points = grid_points(parse_grid("board=icebreaker,ulx3s"))
    assert points == [Point(SCConfig().length, SCConfig().rng, BOARD_ENGINES[b].parallelism, b)
                      for b in ("icebreaker", "ulx3s")]
    assert [p.board for p in grid_points(parse_grid("length=8"))] == ["icebreaker"]


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "the grid is empty"),
    ("   ", "the grid is empty"),
    ("lenght=8", "unknown grid key 'lenght'; the keys are length, rng, parallelism, board"),
    ("length", "grid part 'length' is not KEY=V1,V2,..."),
    ("length=", "grid key 'length' has an empty value"),
    ("length=8,,16", "has an empty value"),
    ("length=8 length=16", "grid key 'length' is given twice"),
    ("length=8,16,8", "grid key 'length' lists 8 more than once"),
    ("length=eight", "length takes positive integers"),
    ("length=0", "length"),
    ("length=-4", "length takes positive integers"),
    ("rng=xorshift", "rng takes lfsr, sobol, not 'xorshift'"),
    ("parallelism=16", "parallelism takes LANESxTLANES"),
    ("parallelism=0x16", "both >= 1"),
    ("board=de10nano", "board takes icebreaker, ulx3s"),
])
def test_bad_grids_say_what_is_wrong(text, fragment):
    with pytest.raises(ValueError) as info:
        parse_grid(text)
    assert fragment in str(info.value)


def test_the_key_changes_with_every_input():
    p = Point(16, "sobol", (1, 16), "icebreaker")
    base = point_key("ckpt", "data", 25, p, "salt")
    assert len(base) == 16 and base == point_key("ckpt", "data", 25, Point(16, "sobol", (1, 16), "icebreaker"), "salt")
    others = [point_key("ckpt2", "data", 25, p, "salt"), point_key("ckpt", "data2", 25, p, "salt"),
              point_key("ckpt", "data", 24, p, "salt"), point_key("ckpt", "data", 25, p, "salt2"),
              point_key("ckpt", "data", 25, Point(32, "sobol", (1, 16), "icebreaker"), "salt"),
              point_key("ckpt", "data", 25, Point(16, "lfsr", (1, 16), "icebreaker"), "salt"),
              point_key("ckpt", "data", 25, Point(16, "sobol", (2, 16), "icebreaker"), "salt"),
              point_key("ckpt", "data", 25, Point(16, "sobol", (1, 16), "ulx3s"), "salt")]
    assert len({base, *others}) == 9


@pytest.mark.parametrize(("message", "log", "status"), [
    ("icebreaker: the build failed", "ERROR: Unable to place cell 'x', no BELs remaining to implement cell type "
     "'ICESTORM_LC'", "no-fit"),
    ("icebreaker: the build failed", "ERROR: Max frequency...\nERROR: Design uses 6000 ICESTORM_LC, too many", "no-fit"),
    ("routing did not finish within its time budget of 600 s", "", "timeout"),
    ("icebreaker: the design does not fit the iCE40UP5K: it needs more ICESTORM_LC than the 5,280 there are", "",
     "no-fit"),
    ("icebreaker: the build failed", "ERROR: syntax error in top.il", "tool-error"),
])
def test_build_failures_are_classified(message, log, status):
    from sc_neurocore.boards.build import BuildError

    assert classify_build_error(BuildError(message), log) == status


def test_a_stopped_router_is_a_timeout():
    from sc_neurocore.boards.build import RoutingTimeout

    assert classify_build_error(RoutingTimeout("routing did not finish"), "ERROR: Unable to place") == "timeout"


def test_resources_prefer_yosys_cells_then_nextpnr():
    class Rep:
        yosys_cells = {"SB_LUT4": 3629, "SB_DFF": 1000, "SB_DFFE": 574, "SB_CARRY": 12}
        utilization = {"ICESTORM_LC": {"used": 4350, "available": 5280}, "ICESTORM_RAM": {"used": 27, "available": 30},
                       "ICESTORM_DSP": {"used": 2, "available": 8}}

    assert resources_of(Rep) == {"luts": 3629, "ffs": 1574, "brams": 27, "dsps": 2}

    class Ecp5:
        yosys_cells = {}
        utilization = {"TRELLIS_COMB": {"used": 30317, "available": 83640}, "TRELLIS_FF": {"used": 11235,
                       "available": 83640}, "DP16KD": {"used": 10, "available": 208},
                       "MULT18X18D": {"used": 16, "available": 156}}

    assert resources_of(Ecp5) == {"luts": 30317, "ffs": 11235, "brams": 10, "dsps": 16}


def test_csv_has_the_columns_and_empty_cells_for_unknowns():
    row = {"length": 16, "rng": "sobol", "parallelism": "1x16", "board": "icebreaker", "engine": "1x16",
           "sc_accuracy": 0.9722222222, "agreement": None, "clocks_mean": 9687.75, "clocks_worst": 11695,
           "status": "evaluated", "log": "points/k/point.log", "key": "k"}
    text = rows_csv([row])
    header, line = list(csv.reader(io.StringIO(text)))
    assert tuple(header) == COLUMNS
    cells = dict(zip(header, line))
    assert {"length", "rng", "parallelism", "board", "sc_accuracy", "agreement", "clocks_mean", "clocks_worst", "luts",
            "ffs", "brams", "fmax_mhz", "images_per_s", "status", "log"} <= set(header)
    assert cells["sc_accuracy"] == "0.972222" and cells["agreement"] == "" and cells["luts"] == ""
    assert cells["clocks_mean"] == "9687.8" and cells["clocks_worst"] == "11695" and cells["status"] == "evaluated"


def _row(board, acc, ips, luts=None, status="ok", length=16, rng="sobol", par="1x16"):
    return {"board": board, "sc_accuracy": acc, "images_per_s": ips, "luts": luts, "status": status, "length": length,
            "rng": rng, "parallelism": par}


def test_pareto_front_and_presets():
    from sc_neurocore.report.sweep_page import pareto_front, preset_verdicts

    rows = [_row("icebreaker", 0.97, 2000, 3600),                   # 0: the preset
            _row("icebreaker", 0.97, 4000, 5000, par="2x16"),       # 1: faster, more LUTs
            _row("icebreaker", 0.98, 4000, 3500, length=32),        # 2: dominates 0 on all three axes
            _row("icebreaker", 0.99, 9000, 100, "timing", par="4x16"),  # 3: invalid: never on a front
            _row("icebreaker", 0.90, 1000, 900, length=8)]          # 4: small
    assert pareto_front(rows, ["accuracy", "images/s"]) == [2]
    assert sorted(pareto_front(rows, ["accuracy", "LUTs"])) == [2, 4]
    (v,) = preset_verdicts(rows)
    assert v["board"] == "icebreaker" and v["index"] == 0 and v["dominated_by"] == [2] and not v["on_front"]
    rows[2]["luts"] = 3700  # more LUTs than the preset: no longer dominates it on all three axes
    (v,) = preset_verdicts(rows)
    assert v["on_front"] and v["dominated_by"] == []
