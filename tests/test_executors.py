"""sc_neurocore.executors: the same outcomes on every executor, failures as outcomes, retries on worker loss."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from sc_neurocore.errors import MissingTool
from sc_neurocore.executors import (
    LocalExecutor,
    RayExecutor,
    SerialExecutor,
    Task,
    default_jobs,
    make_executor,
)


def square_or_fail(x: int) -> int:
    if x < 0:
        raise ValueError(f"negative: {x}")
    return x * x


def die_once(marker: str) -> int:
    """Kill the worker process the first time (no marker yet), return the pid the second time."""
    path = Path(marker)
    if not path.exists():
        path.write_text("died once\n")
        os._exit(13)
    return os.getpid()


def always_die() -> None:
    os._exit(14)


def mark_after(path: str, seconds: float) -> str:
    import time

    time.sleep(seconds)
    Path(path).write_text("ran\n")
    return path


TASKS = [Task(square_or_fail, (x,), label=f"x={x}") for x in (3, -1, 5, 0)]


def _by_index(outcomes):
    return {o.index: o for o in outcomes}


def check_squares(outcomes) -> None:
    got = _by_index(outcomes)
    assert sorted(got) == [0, 1, 2, 3]
    assert [got[i].value for i in (0, 2, 3)] == [9, 25, 0]
    assert not got[1].ok and "ValueError: negative: -1" in got[1].error and got[1].value is None


def test_make_executor_picks_by_jobs_and_kind():
    assert isinstance(make_executor("local", jobs=1), SerialExecutor)
    ex = make_executor("local", jobs=3)
    assert isinstance(ex, LocalExecutor) and ex.workers == 3
    assert make_executor().workers == default_jobs() >= 1
    with pytest.raises(ValueError, match="executor must be one of local, ray, not 'dask'"):
        make_executor("dask")
    with pytest.raises(ValueError, match="jobs must be a positive integer, not 0"):
        make_executor("local", jobs=0)
    with pytest.raises(ValueError, match="--address is for --executor ray"):
        make_executor("local", address="auto")


def test_serial_runs_in_order_and_keeps_failures():
    outcomes = list(SerialExecutor().run(TASKS))
    assert [o.index for o in outcomes] == [0, 1, 2, 3]
    check_squares(outcomes)


def test_local_pool_gives_the_same_outcomes():
    with make_executor("local", jobs=2) as ex:
        check_squares(list(ex.run(TASKS)))


def test_local_pool_retries_a_lost_worker(tmp_path):
    marker = tmp_path / "died"
    with LocalExecutor(workers=2, max_retries=1) as ex:
        outcomes = _by_index(ex.run([Task(die_once, (str(marker),)), Task(square_or_fail, (4,))]))
    assert marker.exists()  # the first attempt ran and died
    assert outcomes[0].ok and outcomes[0].attempts == 2 and outcomes[0].value != os.getpid()
    assert outcomes[1].value == 16


def test_local_pool_gives_up_after_the_retries():
    with LocalExecutor(workers=2, max_retries=1) as ex:
        (outcome,) = ex.run([Task(always_die, label="doomed")])
    assert outcome.worker_lost and outcome.attempts == 2 and "doomed" in outcome.error


def test_local_pool_starts_nothing_more_when_the_caller_stops(tmp_path):
    import time

    marks = [tmp_path / f"{i}" for i in range(8)]
    with LocalExecutor(workers=1) as ex:
        outcomes = ex.run([Task(mark_after, (str(m), 0.3)) for m in marks])
        first = next(outcomes)
        outcomes.close()  # the caller stops reading (an error, Ctrl-C)
    time.sleep(1.0)
    # the one done and those already handed to the worker's queue; not all eight
    assert first.ok and 1 <= sum(m.exists() for m in marks) <= 5


def test_ray_missing_is_exit_3_with_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingTool, match=r"pip install 'sc-neurocore\[cluster\]'"):
        make_executor("ray", jobs=2)


def test_ray_address_is_checked():
    with pytest.raises(ValueError, match="--address takes 'auto'"):
        make_executor("ray", address="cluster-head")


def test_ray_gives_the_same_outcomes(ray_local):
    with make_executor("ray") as ex:
        assert isinstance(ex, RayExecutor) and not ex.started  # the running instance is used, not replaced
        check_squares(list(ex.run(TASKS)))
        assert ex.workers == 2


def test_ray_retries_a_lost_worker(ray_local, tmp_path):
    marker = tmp_path / "died"
    with make_executor("ray", max_retries=1) as ex:
        (outcome,) = ex.run([Task(die_once, (str(marker),), memory=1 << 60)])  # a hint above the node: clamped
    assert marker.exists() and outcome.ok and outcome.value != os.getpid()


def test_ray_gives_up_after_the_retries(ray_local):
    with make_executor("ray", max_retries=0) as ex:
        (outcome,) = ex.run([Task(always_die, label="doomed")])
    assert outcome.worker_lost and "doomed" in outcome.error
