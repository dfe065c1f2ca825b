"""iCEBreaker (Lattice iCE40 UP5K-SG48): 12 MHz oscillator -> PLL 24 MHz, FTDI UART, LEDs.

The prediction shows in binary on LEDs 0..3: the red and green LEDs next to the button (0, 1)
and the first two LEDs of the break-off PMOD (2, 3).  Programming: ``iceprog`` (``$ICEPROG``).
The board's build settings (clock, engine, Yosys options) are its entry in :mod:`.registry`.
"""

from __future__ import annotations

from amaranth_boards.icebreaker import ICEBreakerPlatform

__all__ = ["ICEBreaker"]


class ICEBreaker(ICEBreakerPlatform):
    """The iCEBreaker with its break-off PMOD (LEDs, buttons) attached, as shipped."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_resources(self.break_off_pmod)

