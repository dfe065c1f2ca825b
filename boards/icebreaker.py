"""iCEBreaker (Lattice iCE40 UP5K-SG48): 12 MHz oscillator -> PLL 24 MHz, FTDI UART, LEDs.

The prediction shows in binary on LEDs 0..3: the red and green LEDs next to the button (0, 1)
and the first two LEDs of the break-off PMOD (2, 3).  Programming: ``iceprog`` (``$ICEPROG``).
"""

from __future__ import annotations

from amaranth_boards.icebreaker import ICEBreakerPlatform

from .registry import BoardSpec

__all__ = ["ICEBreaker", "BOARD"]


class ICEBreaker(ICEBreakerPlatform):
    """The iCEBreaker with its break-off PMOD (LEDs, buttons) attached, as shipped."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_resources(self.break_off_pmod)


BOARD = BoardSpec(
    name="icebreaker",
    platform=ICEBreaker,
    clock_hz=24e6,
    # one neuron x 16 timesteps per clock: a Sobol source's windows repeat every 16 timesteps
    # (L = 16, k = 8), so each time lane is wired to one set of constants over both passes
    parallelism=(1, 16),
    rng="sobol",
    # map the multipliers (current scaling, leak) onto the UP5K's SB_MAC16 DSPs instead of logic cells
    extra={"synth_opts": "-dsp"},
    programmer="iceprog",
    programmer_env="ICEPROG",
    install_hint="apt-get install fpga-icestorm (or build iceprog from the icestorm sources)",
    description="iCEBreaker, iCE40 UP5K (5,280 logic cells, 30 EBR, 4 SPRAM, 8 DSP)",
)
