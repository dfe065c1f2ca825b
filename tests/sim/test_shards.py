"""sim.shards: the chain check sharded over executors gives the serial run's table (rates and times aside)."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest
from sc_neurocore.sim.shards import merge_rows, shard_bounds
from sc_neurocore.sim.verify import ChainRow

#: Columns that are measurements of the run, not results.
TIMES = ("cycles_per_s", "wall_s", "build_s")


def results(rows) -> list[dict]:
    return [{k: v for k, v in (r if isinstance(r, dict) else asdict(r)).items() if k not in TIMES} for r in rows]


def test_shard_bounds_start_at_batches():
    assert shard_bounds(10, 3, 2) == [(0, 4), (4, 8), (8, 10)]
    assert shard_bounds(360, 2, 32) == [(0, 192), (192, 360)]
    assert shard_bounds(5, 8, 32) == [(0, 5)]
    assert shard_bounds(6, 6, 1) == [(i, i + 1) for i in range(6)]
    with pytest.raises(ValueError):
        shard_bounds(0, 2, 1)


def _row(images, cycles, mism, sc_acc, rtl_acc, first=None, cps=100.0):
    return ChainRow("verilator", images, cycles, mism, None, 0.5, sc_acc, rtl_acc, cps, 1.0, 2.0, first, 10 * images)


def test_merge_rows_sums_and_counts():
    rows = [_row(4, 400, 0, 0.75, 0.75), _row(2, 300, 1, 0.5, 0.0, first="image 5: membrane 3 != 4"),
            _row(2, 100, 0, 1.0, 1.0, first="image 7: later")]
    m = merge_rows(rows, wall_s=9.0)
    assert (m.images, m.cycles, m.mismatches, m.compared) == (8, 800, 1, 80)
    assert m.sc_acc == (3 + 1 + 2) / 8 and m.rtl_acc == (3 + 0 + 2) / 8 and m.fixed_acc == 0.5
    assert m.float_acc is None and m.first_mismatch == "image 5: membrane 3 != 4"
    assert m.cycles_per_s == pytest.approx(800 / 8.0) and m.wall_s == 9.0 and m.build_s == 2.0


@pytest.fixture(scope="module")
def tiny():
    """A 64-5-4 net at T=3 and 4 images: an Icarus run of a second or two."""
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.sim.nets import random_qnet

    qnet = random_qnet((64, 5, 4), SCConfig(length=4), seed=3)
    rng = np.random.default_rng(3)
    x = rng.random((4, 64))
    y = rng.integers(0, 4, 4)
    return qnet, x, y, rng.integers(0, 4, 4)


@pytest.fixture(scope="module")
def serial(tiny):
    pytest.importorskip("cocotb")
    from sc_neurocore.sim.runner import check_simulator
    from sc_neurocore.sim.verify import verify_chain

    try:
        check_simulator("icarus")
    except Exception as exc:  # noqa: BLE001
        pytest.skip(str(exc))
    qnet, x, y, fpred = tiny
    rep = verify_chain(qnet, x, y, T=3, sim="icarus", float_pred=fpred, parallelism=(2, 3), batch=2, waves="never")
    assert rep.ok and rep.rows[0].images == 4 and rep.rows[0].compared > 0
    return rep


def _sharded(tiny, executor):
    from sc_neurocore.sim.shards import verify_sharded

    qnet, x, y, fpred = tiny
    return verify_sharded(qnet, x, y, executor=executor, shards=2, T=3, sim="icarus", float_pred=fpred,
                          parallelism=(2, 3), batch=2)


@pytest.mark.sim
def test_local_pool_shards_equal_the_serial_run(tiny, serial):
    from sc_neurocore.executors import LocalExecutor

    with LocalExecutor(workers=2) as ex:
        rep = _sharded(tiny, ex)
    assert results(rep.rows) == results(serial.rows)
    assert rep.agreement == serial.agreement and rep.accuracy == serial.accuracy and rep.images == 4
    assert "2 shards" in rep.notes[0]


@pytest.mark.sim
def test_ray_shards_equal_the_serial_run(tiny, serial, ray_local):
    from sc_neurocore.executors import make_executor

    with make_executor("ray") as ex:
        rep = _sharded(tiny, ex)
    assert results(rep.rows) == results(serial.rows) and rep.agreement == serial.agreement


@pytest.mark.sim
def test_the_regression_runs_sharded(tiny, serial, tmp_path):
    """``python -m sc_neurocore.sim.regression --executor local``: the table of the serial run."""
    from sc_neurocore.sim.regression import main

    qnet = tiny[0]
    net = tmp_path / "tiny.npz"
    qnet.save(net)
    common = ["--export", str(net), "--sim", "icarus", "--T", "3", "--icarus-limit", "4", "--no-boards",
              "--random", "0", "--no-units"]
    assert main([*common, "--json", str(tmp_path / "serial.json")]) == 0
    assert main([*common, "--executor", "local", "--jobs", "2", "--json", str(tmp_path / "local.json")]) == 0
    serial_rows = json.loads((tmp_path / "serial.json").read_text())
    assert results(json.loads((tmp_path / "local.json").read_text())) == results(serial_rows)
    assert serial_rows[0]["images"] == 4 and serial_rows[0]["mismatches"] == 0


def test_the_regression_checks_its_executor_options(capsys):
    from sc_neurocore.sim.regression import main

    assert main(["--jobs", "2", "--sim", "icarus"]) == 2
    assert "need --executor local or ray" in capsys.readouterr().err
    assert main(["--executor", "local", "--shards", "0", "--sim", "icarus"]) == 2
    assert "--shards must be >= 1" in capsys.readouterr().err
