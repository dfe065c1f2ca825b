"""Which boards the design builds for: one :class:`BoardSpec` per board.

The two reference boards have their own files (:mod:`.icebreaker`, :mod:`.ulx3s`); any other
amaranth-boards platform with a ``uart`` resource is one line in :data:`EXTRA_BOARDS`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

__all__ = ["BoardSpec", "BOARDS", "get_board", "board_names", "EXTRA_BOARDS"]


@dataclass(frozen=True)
class BoardSpec:
    """A board the flow can build for.

    Attributes
    ----------
    name : str
        Registry key (``--board``).
    platform : str or callable
        ``"module:Class"`` of an amaranth-boards platform, or a zero-argument factory.
    clock_hz : float or None
        ``sync`` clock target (through the PLL); ``None`` = the board's own clock.
    parallelism : tuple
        ``SCNetworkCore`` ``(lanes, tlanes)`` (neurons x timesteps per clock) that fits this device.
    rng : str or None
        Random source of the SC config when the net comes from a checkpoint (``None``: the
        contract's default); the setting the board's figures are measured with.
    programmer : str
        Name of the programming tool (for messages), ``programmer_env`` the variable that
        Amaranth reads for it, ``install_hint`` how to get it.
    """

    name: str
    platform: object
    clock_hz: float | None = None
    parallelism: tuple = (1, 1)
    rng: str | None = None
    programmer: str = "the platform's programmer"
    programmer_env: str = ""
    install_hint: str = ""
    description: str = ""
    extra: dict = field(default_factory=dict)

    def make_platform(self):
        """A fresh platform instance."""
        if isinstance(self.platform, str):
            module, _, cls = self.platform.partition(":")
            try:
                factory = getattr(importlib.import_module(module), cls)
            except (ImportError, AttributeError) as exc:
                raise RuntimeError(
                    f"board {self.name!r} needs {self.platform} (pip install 'sc-neurocore[boards]'): {exc}"
                ) from exc
        else:
            factory = self.platform
        return factory()


def _reference_boards() -> list[BoardSpec]:
    from . import icebreaker, ulx3s

    return [icebreaker.BOARD, ulx3s.BOARD]


#: Further amaranth-boards platforms the design fits, one line each.
EXTRA_BOARDS = [
    BoardSpec("ulx3s-45f", "sc_neurocore.boards.ulx3s:ULX3S45F", clock_hz=50e6, parallelism=(4, 25), rng="sobol",
              programmer="openFPGALoader", programmer_env="OPENFPGALOADER", install_hint="apt-get install openfpgaloader",
              description="ULX3S with the LFE5U-45F"),
    BoardSpec("icebreaker-12mhz", "sc_neurocore.boards.icebreaker:ICEBreaker", clock_hz=None, parallelism=(1, 16),
              rng="sobol",
              programmer="iceprog", programmer_env="ICEPROG", install_hint="apt-get install fpga-icestorm",
              description="iCEBreaker at its 12 MHz oscillator, no PLL"),
]


def _all() -> dict[str, BoardSpec]:
    boards = {}
    for spec in _reference_boards() + EXTRA_BOARDS:
        if spec.name in boards:
            raise ValueError(f"board {spec.name!r} registered twice")
        boards[spec.name] = spec
    return boards


BOARDS: dict[str, BoardSpec] = _all()


def board_names() -> list[str]:
    return list(BOARDS)


def get_board(name: str) -> BoardSpec:
    """The spec called ``name``; an unknown name raises ``ValueError`` listing the known boards."""
    try:
        return BOARDS[name]
    except KeyError:
        raise ValueError(f"unknown board {name!r}; known boards: {', '.join(BOARDS)}") from None
