"""Shared pieces of the co-simulation tests.

One tiny net (7 -> 6 -> 3, L = 8, Sobol, T = 5, parallelism 2x3) serves every network test, so its
simulator builds are made once per cache (the runner's hash-keyed build folders) and shared by the
tests and by pytest-xdist's workers (a lock file makes the second worker wait for the first build).
"""

import pytest

TINY_T = 5
TINY_PARALLELISM = (2, 3)


@pytest.fixture(scope="session")
def tiny_qnet():
    """7 -> 6 -> 3, L=8, Sobol, seed 5: small enough to build in seconds, big enough that both layers fire."""
    pytest.importorskip("amaranth")
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.sim.nets import random_qnet

    return random_qnet((7, 6, 3), SCConfig(length=8, rng="sobol", seed=5), seed=2)
