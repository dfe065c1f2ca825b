"""Run one function over many independent tasks: in this process, on a local process pool, or on Ray.

The design-space sweep (``sc_neurocore.boards.sweep``) and the co-simulation regression
(``sc_neurocore.sim.regression``) both hand out independent pieces of work -- a sweep point, a
shard of images -- and neither may import the other, so the one abstraction they share lives here,
at the base of the layers, and imports nothing of the package but :mod:`sc_neurocore.errors`.

A :class:`Task` is a module-level function, its arguments and what it needs (CPUs, memory in
bytes: hints a Ray cluster schedules by).  :meth:`Executor.run` yields one :class:`Outcome` per
task as tasks finish (``index`` says which), never raising for a task's own failure: the outcome
carries the error text.  Executors (:func:`make_executor`):

* ``serial`` (:class:`SerialExecutor`): one task after the other in this process (``jobs=1``);
* ``local`` (:class:`LocalExecutor`): a pool of ``jobs`` worker processes (default: the cores this
  process may use), started with ``spawn``; a worker that dies (killed, out of memory) takes its
  task with it, and the tasks it took down are run again in a fresh pool, up to ``max_retries`` times;
* ``ray`` (:class:`RayExecutor`): one Ray task per task with ``num_cpus`` and ``memory`` from the
  task, ``max_retries`` on worker loss (Ray's own retry of system failures).  ``address=None``
  starts a local Ray instance with ``jobs`` CPUs (or uses the one this process already has);
  ``"auto"`` joins the cluster of this node, ``"ray://host:port"`` connects through Ray Client.
  Ray is the optional ``cluster`` extra: without it :class:`~sc_neurocore.errors.MissingTool`
  (exit 3) says ``pip install 'sc-neurocore[cluster]'``.

The results do not depend on the executor: a task's value is whatever its function returns.
"""

from __future__ import annotations

import contextlib
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EXECUTORS", "Task", "Outcome", "Executor", "SerialExecutor", "LocalExecutor", "RayExecutor",
           "make_executor", "default_jobs", "DEFAULT_RETRIES"]

#: ``--executor`` choices (``local`` with ``jobs=1`` runs serially in this process).
EXECUTORS = ("local", "ray")
#: Retries of a task whose worker was lost.
DEFAULT_RETRIES = 2
#: What a worker-loss outcome's error starts with.
WORKER_LOST = "worker lost"


def default_jobs() -> int:
    """The cores this process may run on (``os.sched_getaffinity`` where there is one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Task:
    """``fn(*args)`` (``fn`` a module-level function, so that a worker can import it), with resource hints.

    ``cpus``: cores the task keeps busy; ``memory``: bytes it may need at its peak (``None``: no
    hint).  Ray schedules by both; the local pool runs ``jobs`` tasks at a time whatever they ask.
    ``label`` names the task in errors and in Ray's dashboard.
    """

    fn: Callable
    args: tuple = ()
    cpus: float = 1.0
    memory: int | None = None
    label: str = ""


@dataclass(frozen=True)
class Outcome:
    """What became of task ``index``: its ``value``, or ``error`` (the traceback's text) and ``attempts``."""

    index: int
    value: Any = None
    error: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def worker_lost(self) -> bool:
        return self.error is not None and self.error.startswith(WORKER_LOST)


def _call(fn: Callable, args: tuple):
    return fn(*args)


def _error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)).rstrip()


@dataclass
class Executor:
    """Base of the executors: ``run(tasks)`` yields :class:`Outcome` s as tasks finish; ``close()`` frees workers."""

    name: str = "serial"
    workers: int = 1
    max_retries: int = DEFAULT_RETRIES

    def run(self, tasks: Sequence[Task]) -> Iterator[Outcome]:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        """``"local pool of 2 processes"``, for progress lines."""
        return self.name

    def close(self) -> None:
        """Free the workers (the pool's processes; a Ray instance this executor started)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class SerialExecutor(Executor):
    """Each task in this process, in order (what ``--jobs 1`` runs)."""

    def describe(self) -> str:
        return "this process (serial)"

    def run(self, tasks: Sequence[Task]) -> Iterator[Outcome]:
        for i, task in enumerate(tasks):
            try:
                value = _call(task.fn, task.args)
            except Exception as exc:  # noqa: BLE001 - a task's failure is its outcome
                yield Outcome(i, error=_error_text(exc))
            else:
                yield Outcome(i, value)


@dataclass
class LocalExecutor(Executor):
    """A pool of ``workers`` processes (``spawn``: no state inherited from this process but ``sys.path``)."""

    name: str = "local"

    def describe(self) -> str:
        return f"a local pool of {self.workers} process{'es' if self.workers != 1 else ''}"

    def run(self, tasks: Sequence[Task]) -> Iterator[Outcome]:
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        todo = list(range(len(tasks)))
        attempts = dict.fromkeys(todo, 0)
        context = multiprocessing.get_context("spawn")
        while todo:
            lost: list[int] = []
            pool = ProcessPoolExecutor(max_workers=max(1, min(self.workers, len(todo))), mp_context=context)
            try:
                futures = {}
                for i in todo:
                    attempts[i] += 1
                    futures[pool.submit(_call, tasks[i].fn, tasks[i].args)] = i
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        i = futures[fut]
                        try:
                            value = fut.result()
                        except BrokenProcessPool:
                            lost.append(i)
                        except Exception as exc:  # noqa: BLE001 - a task's failure is its outcome
                            yield Outcome(i, error=_error_text(exc), attempts=attempts[i])
                        else:
                            yield Outcome(i, value, attempts=attempts[i])
            except BaseException:  # interrupted, or the caller stopped reading: start nothing more
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
            todo = []
            for i in sorted(lost):
                if attempts[i] > self.max_retries:
                    yield Outcome(i, error=f"{WORKER_LOST}: the process running {tasks[i].label or f'task {i}'} "
                                  f"died {attempts[i]} times (killed, or out of memory?)", attempts=attempts[i])
                else:
                    todo.append(i)


def _import_ray():
    try:
        import ray
    except ImportError as exc:
        import sys

        from .errors import MissingTool, missing_extra

        if sys.version_info >= (3, 13):
            raise MissingTool("--executor ray needs Ray, and the pinned Ray (2.40) has wheels for Python 3.9 to 3.12 "
                              f"only, not {sys.version_info.major}.{sys.version_info.minor}: run the command with "
                              "Python 3.12 or older", "pip install 'sc-neurocore[cluster]'") from exc
        raise missing_extra("cluster", exc, what="--executor ray needs Ray") from exc
    return ray


@dataclass
class RayExecutor(Executor):
    """One Ray task per task; a local instance unless ``address`` names a cluster.

    ``runtime_env``: Ray's job-level runtime environment for a Ray this executor starts or
    connects to (e.g. ``{"env_vars": {...}}``; ``{"pip": ["sc-neurocore[boards]"]}`` on a cluster
    whose nodes lack the package).
    """

    name: str = "ray"
    address: str | None = None
    runtime_env: dict | None = None
    started: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        import logging

        ray = _import_ray()
        if ray.is_initialized():
            self.workers = int(ray.cluster_resources().get("CPU", self.workers))
            return
        kwargs: dict = {"logging_level": logging.WARNING, "log_to_driver": False}
        if self.runtime_env:
            kwargs["runtime_env"] = self.runtime_env
        if self.address is None:
            kwargs.update(num_cpus=self.workers, include_dashboard=False)
        try:
            with _ray_leaks():
                ray.init(address=self.address, **kwargs)
        except ConnectionError as exc:
            raise ValueError(f"cannot reach a Ray cluster at {self.address!r}: {exc} (is 'ray start' running "
                             "there? --address auto joins the cluster of this machine)") from None
        self.started = True
        self.workers = int(ray.cluster_resources().get("CPU", self.workers))

    def describe(self) -> str:
        where = "a local Ray instance" if self.address is None else f"the Ray cluster at {self.address}"
        return f"{where} ({self.workers} CPUs)"

    def _largest_node(self) -> tuple[float, float]:
        """``(cpus, memory bytes)`` of the largest live node: a hint above them could never be scheduled."""
        ray = _import_ray()
        nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
        return (max((r.get("CPU", 0.0) for r in nodes), default=1.0),
                max((r.get("memory", 0.0) for r in nodes), default=0.0))

    def run(self, tasks: Sequence[Task]) -> Iterator[Outcome]:
        ray = _import_ray()
        if not tasks:
            return
        cpu_max, mem_max = self._largest_node()
        remote = ray.remote(_call)
        refs = {}
        for i, task in enumerate(tasks):
            options = {"num_cpus": min(task.cpus, cpu_max), "max_retries": self.max_retries,
                       "retry_exceptions": False, "name": task.label or f"task {i}"}
            if task.memory and mem_max:
                options["memory"] = int(min(task.memory, mem_max))
            refs[remote.options(**options).remote(task.fn, task.args)] = i
        pending = list(refs)
        try:
            yield from self._collect(ray, refs, pending, tasks)
        except BaseException:  # interrupted, or the caller stopped reading: cancel what has not finished
            for ref in pending:
                ray.cancel(ref, force=True)
            raise

    def _collect(self, ray, refs: dict, pending: list, tasks: Sequence[Task]) -> Iterator[Outcome]:
        from ray.exceptions import RayTaskError

        while pending:
            done, rest = ray.wait(pending, num_returns=1)
            pending[:] = rest
            for ref in done:
                i = refs[ref]
                try:
                    value = ray.get(ref)
                except RayTaskError as exc:  # the function raised: no retry, it would raise again
                    cause = exc.as_instanceof_cause()
                    yield Outcome(i, error=str(cause) or _error_text(cause))
                except ray.exceptions.RayError as exc:  # the worker or its node died, after max_retries
                    yield Outcome(i, error=f"{WORKER_LOST}: {tasks[i].label or f'task {i}'} failed "
                                  f"{self.max_retries + 1} times on Ray: {type(exc).__name__}: "
                                  f"{str(exc).splitlines()[0] if str(exc) else ''}", attempts=self.max_retries + 1)
                else:
                    yield Outcome(i, value)

    def close(self) -> None:
        if self.started:
            with _ray_leaks():
                _import_ray().shutdown()
            self.started = False


@contextlib.contextmanager
def _ray_leaks():
    """Mute the ``ResourceWarning`` s of what ``ray.init`` / ``ray.shutdown`` leave open, and collect it.

    Ray opens each process's log files, hands them to ``Popen`` and drops them unclosed, and drops
    ``Popen`` objects of processes still running; under ``-W error`` (the test suite) each would be an
    "exception ignored" reported against whatever runs next.  Known and harmless: muted here only.
    """
    import gc
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            yield
        finally:
            gc.collect()


def make_executor(kind: str = "local", *, jobs: int | None = None, address: str | None = None,
                  max_retries: int = DEFAULT_RETRIES, runtime_env: dict | None = None) -> Executor:
    """The executor ``--executor kind --jobs jobs --address address`` asks for.

    ``local`` with one job is :class:`SerialExecutor`; ``jobs`` defaults to :func:`default_jobs`
    (for ``ray`` without an address: the local instance's CPUs).  ``address`` is for ``ray`` only.
    """
    if kind not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, not {kind!r}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be a positive integer, not {jobs!r}")
    if not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be an integer >= 0, not {max_retries!r}")
    workers = default_jobs() if jobs is None else jobs
    if kind == "ray":
        if address is not None and not (address == "auto" or address.startswith("ray://") or ":" in address):
            raise ValueError(f"--address takes 'auto', ray://HOST:PORT or HOST:PORT, not {address!r}")
        return RayExecutor(workers=workers, max_retries=max_retries, address=address, runtime_env=runtime_env)
    if address is not None:
        raise ValueError("--address is for --executor ray")
    if workers == 1:
        return SerialExecutor(max_retries=max_retries)
    return LocalExecutor(workers=workers, max_retries=max_retries)
