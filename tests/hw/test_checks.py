"""hw.checks: constructor arguments are checked before an elaboratable exists (no 'created but never used')."""

from __future__ import annotations

import gc
import inspect
import warnings

import pytest
from amaranth.hdl import Fragment, UnusedElaboratable
from amaranth.lib import wiring
from sc_neurocore.hw import LFSR, SNG, LIFNeuron, LIFStep, SCDot, SCNetworkCore, SNGBank, SobolSource
from sc_neurocore.hw.checks import Validated, check_int
from sc_neurocore.hw.thermometer import ConstantComparator
from sc_neurocore.hw.uart import UARTRx, UARTTx
from sc_neurocore.sc.contract import SCConfig

from .reference import random_qnet


def unused_warnings(make) -> list:
    """``make()`` must raise TypeError/ValueError; the UnusedElaboratable warnings left once it is collected."""
    # Amaranth keeps the warning silent until the process has elaborated something: do so first
    Fragment.get(SNG(4), None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises((TypeError, ValueError)):
            make()
        gc.collect()
    return [w for w in caught if issubclass(w.category, UnusedElaboratable)]


def test_the_warning_check_can_fail():
    """A component that raises in ``__init__`` (the old way) does leave the warning this file looks for."""

    class CheckedLate(wiring.Component):
        def __init__(self, n):
            if n < 1:
                raise ValueError(f"n must be >= 1, not {n}")
            super().__init__({})  # pragma: no cover

        def elaborate(self, platform):  # pragma: no cover
            return None

    assert len(unused_warnings(lambda: CheckedLate(0))) == 1


def _qnet():
    return random_qnet([3, 2], SCConfig(length=4))


BAD = {
    "LFSR": lambda: LFSR(3),
    "SobolSource": lambda: SobolSource(8, 2),
    "SNG": lambda: SNG(0),
    "SNGBank": lambda: SNGBank(8, 0),
    "SCDot": lambda: SCDot(4, 16, -1, 1),
    "LIFNeuron": lambda: LIFNeuron(beta_q=256),
    "LIFStep": lambda: LIFStep([1], [0]),
    "ConstantComparator": lambda: ConstantComparator(4, [16]),
    "SCNetworkCore T": lambda: SCNetworkCore(_qnet(), 0),
    "SCNetworkCore net": lambda: SCNetworkCore("net", 3),
    "SCNetworkCore parallelism": lambda: SCNetworkCore(_qnet(), 3, parallelism=(1, 2, 3)),
    "SCNetworkCore neuron": lambda: SCNetworkCore(_qnet(), 3, neuron="lif"),
    "SCNetworkCore threshold": lambda: SCNetworkCore(_bad_threshold_qnet(), 3),
    "UARTRx": lambda: UARTRx(2),
    "UARTTx": lambda: UARTTx(2.5),
    "StandInCore": lambda: _boards().StandInCore(3, 1),
    "Link": lambda: _boards().Link(_info(), _qnet_sig().output_layout, divisor=4, timeout=4),
    "LinkEngine": lambda: _boards().LinkEngine(object(), _info(), divisor=4, timeout=100),
    "BoardTop": lambda: _boards().BoardTop(lambda: None, _info(), clock_hz=-1),
}


def _bad_threshold_qnet():
    import dataclasses

    from sc_neurocore.export import QuantizedNet

    q = _qnet()
    return QuantizedNet((dataclasses.replace(q.layers[0], threshold_q=0),), q.config)


def _boards():
    from types import SimpleNamespace

    from sc_neurocore.boards.link import Link, LinkEngine
    from sc_neurocore.boards.standin import StandInCore
    from sc_neurocore.boards.top import BoardTop

    return SimpleNamespace(Link=Link, LinkEngine=LinkEngine, StandInCore=StandInCore, BoardTop=BoardTop)


def _info():
    from sc_neurocore.boards import protocol as P

    return P.BoardInfo(P.VERSION, 3, 2, 8, 3, 1, 0)


def _qnet_sig():
    from sc_neurocore.hw.ports import NetworkSignature

    return NetworkSignature.for_net(_qnet(), 3)


@pytest.mark.parametrize("case", list(BAD))
def test_bad_argument_leaves_no_unused_elaboratable(case):
    assert unused_warnings(BAD[case]) == []


def _validated_classes():
    import sc_neurocore.boards.link  # noqa: F401  (its components are Validated too)
    import sc_neurocore.boards.standin  # noqa: F401
    import sc_neurocore.boards.top  # noqa: F401

    seen, todo = [], list(Validated.__subclasses__())
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return {cls.__qualname__: cls for cls in seen}


@pytest.mark.parametrize("name", sorted(_validated_classes()))
def test_validate_takes_the_constructor_parameters(name):
    cls = _validated_classes()[name]
    init = list(inspect.signature(cls.__init__).parameters.values())[1:]  # without self
    check = list(inspect.signature(cls.validate).parameters.values())
    assert [(p.name, p.kind, p.default) for p in check] == [(p.name, p.kind, p.default) for p in init]


def test_check_int():
    assert check_int("n", 3, 1, 4) == 3
    with pytest.raises(TypeError, match="n must be an integer, not True"):
        check_int("n", True, 0)
    with pytest.raises(ValueError, match=r"n must be in \[1, 4\], not 5"):
        check_int("n", 5, 1, 4)
    with pytest.raises(ValueError, match="n must be >= 1, not 0"):
        check_int("n", 0, 1)
