"""Engine settings the reference boards are built and measured with.

The board flow (``sc_neurocore.boards``) and the co-simulation regression (``sc_neurocore.sim``)
both need them, and neither may import the other, so they live here, beside the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BOARD_ENGINES", "RECURRENT_LANES", "EngineSetting", "preset_for_net"]

#: Neuron lanes of a net with recurrent layers where no board says otherwise (one timestep per block).
RECURRENT_LANES = 4


@dataclass(frozen=True)
class EngineSetting:
    """``SCNetworkCore(parallelism=...)`` and the SC source a board's figures are measured with.

    ``parallelism`` is ``(lanes, tlanes)``: neurons x timesteps counted per clock; a net with recurrent layers
    counts one timestep per block (``hw/count_pipeline.py``) and is built with ``(recurrent_lanes, 1)``.
    """

    parallelism: tuple[int, int]
    rng: str
    recurrent_lanes: int = RECURRENT_LANES

    def for_net(self, qnet) -> tuple[int, int]:
        """The ``(lanes, tlanes)`` of ``qnet`` on this setting (:func:`preset_for_net`)."""
        return preset_for_net(self.parallelism, qnet, self.recurrent_lanes)


def preset_for_net(parallelism, qnet, recurrent_lanes: int = RECURRENT_LANES) -> tuple[int, int]:
    """A default ``(lanes, tlanes)`` for ``qnet``: ``parallelism`` itself, or ``(recurrent_lanes, 1)`` for a net with
    recurrent layers (whose blocks count one timestep each)."""
    if any(getattr(layer, "recurrent", False) for layer in qnet.layers):
        return (recurrent_lanes, 1)
    return tuple(parallelism)


#: Per reference board.  iCEBreaker: one neuron x 16 timesteps per clock (a Sobol source's windows
#: repeat every 16 timesteps at L = 16, k = 8, so each time lane is wired to one set of constants);
#: ULX3S: 8 neurons x 25 timesteps (all of T = 25 in one pass).
BOARD_ENGINES: dict[str, EngineSetting] = {
    # a recurrent net's lanes (docs/neurons.md, "RecurrentLIF nets"): 4 did not fit the UP5K (6,873 of 5,280 LC, 16 DSP
    # needed of 8), 2 place (the 64-32r-10 digits net: 4,218 LC, 27.72 MHz); on the ECP5 16 missed 50 MHz (47.81 and
    # 49.77 MHz in two builds of the 64-128r-10 net), 8 meet it (56.87 MHz)
    "icebreaker": EngineSetting((1, 16), "sobol", 2),
    "ulx3s": EngineSetting((8, 25), "sobol", 8),
}
