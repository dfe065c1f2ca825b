"""Engine settings the reference boards are built and measured with.

The board flow (``sc_neurocore.boards``) and the co-simulation regression (``sc_neurocore.sim``)
both need them, and neither may import the other, so they live here, beside the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BOARD_ENGINES", "EngineSetting"]


@dataclass(frozen=True)
class EngineSetting:
    """``SCNetworkCore(parallelism=...)`` and the SC source a board's figures are measured with.

    ``parallelism`` is ``(lanes, tlanes)``: neurons x timesteps counted per clock.
    """

    parallelism: tuple[int, int]
    rng: str


#: Per reference board.  iCEBreaker: one neuron x 16 timesteps per clock (a Sobol source's windows
#: repeat every 16 timesteps at L = 16, k = 8, so each time lane is wired to one set of constants);
#: ULX3S: 8 neurons x 25 timesteps (all of T = 25 in one pass).
BOARD_ENGINES: dict[str, EngineSetting] = {
    "icebreaker": EngineSetting((1, 16), "sobol"),
    "ulx3s": EngineSetting((8, 25), "sobol"),
}
