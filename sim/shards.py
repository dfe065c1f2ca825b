"""The chain check on shards of the images, run by an executor (local processes or Ray), merged into one report.

:func:`verify_sharded` cuts the first ``limit`` images into contiguous shards, runs
:func:`~sc_neurocore.sim.verify.verify_chain` on each as one :class:`~sc_neurocore.executors.Task`
(:func:`verify_shard`; each worker builds the simulator once -- the build cache is shared and
locked -- and simulates its images) and merges the shards' rows into the rows a serial run gives
(:func:`merge_rows`): images, clocks, integers compared, mismatches and accuracies are sums and
counts over the shards, so they equal the serial run's; only the rates and times differ.

Shards start at multiples of the testbench's batch (images loaded into the core at once,
``tb_network``): a batch's clocks include its load, so shards that cut the serial run's batches
elsewhere would count other clocks.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from ..executors import Executor, Task
from .verify import ChainReport, ChainRow, verify_chain

__all__ = ["verify_sharded", "verify_shard", "merge_rows", "shard_bounds"]

#: Memory hint of one shard's simulation (a Verilator model of the engine and its vectors).
SHARD_MEMORY = 2 << 30


def shard_bounds(n: int, shards: int, batch: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]``: about ``n / shards`` images each, every start a multiple of ``batch``."""
    if n < 1 or shards < 1 or batch < 1:
        raise ValueError(f"need n, shards and batch >= 1, not {n}, {shards}, {batch}")
    size = batch * max(1, math.ceil(math.ceil(n / shards) / batch))
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def verify_shard(qnet, x, y, float_pred, offset: int, kwargs: dict) -> ChainReport:
    """One shard: ``verify_chain`` on its images (``offset``: the number of its first image), no waves."""
    return verify_chain(qnet, x, y, float_pred=float_pred, image_offset=offset, waves="never", **kwargs)


def _count(frac, n: int) -> int:
    return int(round(frac * n))


def merge_rows(rows: list[ChainRow], wall_s: float) -> ChainRow:
    """One simulator's shard rows (in image order) as one row: sums and counts; rates over the shards' time."""
    n = sum(r.images for r in rows)
    cycles = sum(r.cycles for r in rows)
    sim_s = sum(r.cycles / r.cycles_per_s for r in rows if r.cycles_per_s > 0)

    def acc(name):
        vals = [getattr(r, name) for r in rows]
        if n == 0 or any(v is None or v != v for v in vals):
            return None
        return sum(_count(v, r.images) for v, r in zip(vals, rows)) / n

    first = next((r.first_mismatch for r in rows if r.first_mismatch), None)
    return replace(rows[0], images=n, cycles=cycles, mismatches=sum(r.mismatches for r in rows),
                   float_acc=acc("float_acc"), fixed_acc=acc("fixed_acc"), sc_acc=acc("sc_acc"), rtl_acc=acc("rtl_acc"),
                   cycles_per_s=cycles / sim_s if sim_s > 0 else 0.0, wall_s=wall_s,
                   build_s=max(r.build_s for r in rows), first_mismatch=first, compared=sum(r.compared for r in rows))


def verify_sharded(qnet, x, y=None, *, executor: Executor, shards: int | None = None, limit: int | None = None,
                   float_pred=None, batch: int = 32, **kwargs) -> ChainReport:
    """:func:`verify_chain` over ``executor``, the images in ``shards`` shards (default: the executor's workers).

    ``kwargs`` go to ``verify_chain`` (``T``, ``sim``, ``parallelism``, ``trace``, ``what``); the
    report has one row per simulator, as a serial run's.  A shard whose worker was lost counts as a
    failed simulation of its images (``RuntimeError`` naming the shard).
    """
    from .tb_network import CODE_DEPTH

    t0 = time.perf_counter()
    x = np.asarray(x, dtype=np.float64)
    n = len(x) if limit is None else min(int(limit), len(x))
    eff_batch = max(1, min(int(batch), CODE_DEPTH // qnet.n_input))
    bounds = shard_bounds(n, shards or executor.workers, eff_batch)
    fp = None if float_pred is None else np.asarray(float_pred)
    tasks = [Task(verify_shard, (qnet, x[a:b], None if y is None else np.asarray(y)[a:b],
                                 None if fp is None else fp[a:b], a, dict(kwargs, batch=batch)),
                  memory=SHARD_MEMORY, label=f"images {a}-{b - 1}") for a, b in bounds]
    reports: list[ChainReport | None] = [None] * len(tasks)
    for outcome in executor.run(tasks):
        if not outcome.ok:
            raise RuntimeError(f"the shard of {tasks[outcome.index].label} failed: {outcome.error}")
        reports[outcome.index] = outcome.value
    wall = time.perf_counter() - t0
    sims = [r.simulator for r in reports[0].rows]
    rows = [merge_rows([rep.rows[k] for rep in reports], wall) for k in range(len(sims))]
    first = next((rep.first_mismatch for rep in reports if rep.first_mismatch), None)

    def agreement(key):
        vals = [rep.agreement.get(key) for rep in reports]
        return None if any(v is None for v in vals) else \
            sum(_count(v, rep.images) for v, rep in zip(vals, reports)) / n

    accuracy = {name: (None if rows and getattr(rows[0], col) is None else getattr(rows[0], col))
                for name, col in (("float", "float_acc"), ("fixed", "fixed_acc"), ("sc", "sc_acc"))}
    return ChainReport(rows, reports[0].T, reports[0].config, reports[0].sizes,
                       {k: agreement(k) for k in ("fixed_vs_float", "sc_vs_float")}, first_mismatch=first, images=n,
                       accuracy=accuracy, notes=[f"{len(bounds)} shards on {executor.describe()}"])
