"""Shared fixtures (tests/sc and tests/training): the digits split and one trained digits SpikingNet per session."""

from __future__ import annotations

import numpy as np
import pytest

#: The test files that take longest (a cold cache, 2 workers: 158 s down to 24 s each), longest first. They are
#: collected first, so that ``-n auto --dist loadfile`` starts them first instead of leaving one worker alone
#: with one of them at the end. Only the order of files changes, never the order inside one.
SLOW_FIRST = ("tests/sim/test_network.py", "tests/cli/test_tour.py", "tests/hw/test_equation.py",
              "tests/sim/test_equation.py", "tests/boards/test_cosim.py", "tests/sim/test_verify.py",
              "tests/hw/test_conv_engine.py", "tests/sim/test_quick_regression.py",
              "tests/training/test_lif_compiled.py", "tests/cli/test_verify_command.py",
              "tests/sim/test_conventions.py", "tests/boards/test_soak.py", "tests/sim/test_runner.py",
              "tests/sim/test_wheel.py", "tests/sim/test_ties.py", "tests/training/test_distributed.py")


def _slow_rank(item) -> int:
    path = item.nodeid.split("::")[0]
    return SLOW_FIRST.index(path) if path in SLOW_FIRST else len(SLOW_FIRST)


def pytest_collection_modifyitems(config, items):
    """The slowest files first (:data:`SLOW_FIRST`); ``pnr`` tests (board place-and-route, minutes each) run only
    when selected: ``pytest -m pnr``."""
    items.sort(key=_slow_rank)  # stable: every file keeps its own order
    if "pnr" in (config.getoption("markexpr", "") or ""):
        return
    skip = pytest.mark.skip(reason="board place-and-route of minutes: run with -m pnr")
    for item in items:
        if item.get_closest_marker("pnr") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def digits():
    from sc_neurocore.datasets import load_digits_split

    return load_digits_split()


@pytest.fixture(scope="session")
def trained_digits_net(digits):
    """``(model, float_predictions)``: SpikingNet(64, 128, 10) trained 8 epochs (seed 0, T=25)."""
    torch = pytest.importorskip("torch")
    from sc_neurocore.training import SpikingNet, train_epoch

    x_tr, x_te, y_tr, y_te = digits
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = SpikingNet(n_input=64, n_hidden=128, n_output=10, beta=0.9)
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        g = torch.Generator().manual_seed(0)
        ds = torch.utils.data.TensorDataset(torch.tensor(x_tr), torch.tensor(y_tr))
        loader = torch.utils.data.DataLoader(ds, batch_size=64, shuffle=True, generator=g)
        for _ in range(8):
            train_epoch(model, loader, opt, 25, progress=False)
        model.eval()
        with torch.no_grad():
            counts, _ = model(torch.tensor(x_te)[None].expand(25, -1, -1))
        pred = counts.argmax(1).numpy()
    finally:
        torch.set_num_threads(threads)
    return model, np.asarray(pred)


@pytest.fixture(scope="session")
def ray_local():
    """A local Ray instance with 2 CPUs for the session (started by ``RayExecutor``, as ``--executor ray`` does).

    Commands run with ``--executor ray`` meanwhile use it instead of starting their own.  Its
    workers get this process's ``sys.path`` (so that they import the test modules' task functions).
    Skipped without Ray (the optional ``cluster`` extra).
    """
    import os
    import sys

    pytest.importorskip("ray", reason="Ray is the optional 'cluster' extra: pip install 'sc-neurocore[cluster]'")
    from sc_neurocore.executors import RayExecutor

    ex = RayExecutor(workers=2, runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}})
    assert ex.started and ex.workers == 2
    yield ex
    ex.close()
