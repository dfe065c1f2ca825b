"""ULX3S (Lattice ECP5 LFE5U-85F): 25 MHz oscillator -> PLL, FTDI UART, 8 LEDs.

The prediction shows in binary on LEDs 0..3.  Programming: ``openFPGALoader -b ulx3s``
(``$OPENFPGALOADER``).  amaranth-boards lists openFPGALoader among the tools a *build* needs;
:class:`ULX3S85F` asks for it only when programming, so a machine without it can still build.
The board's build settings (clock, engine) are its entry in :mod:`.registry`.
"""

from __future__ import annotations

from amaranth_boards.ulx3s import ULX3S_45F_Platform, ULX3S_85F_Platform

__all__ = ["ULX3S85F", "ULX3S45F"]


class _BuildWithoutProgrammer:
    @property
    def required_tools(self):
        return [tool for tool in super().required_tools if tool != "openFPGALoader"]


class ULX3S85F(_BuildWithoutProgrammer, ULX3S_85F_Platform):
    """ULX3S-85F; openFPGALoader is needed to program, not to build."""


class ULX3S45F(_BuildWithoutProgrammer, ULX3S_45F_Platform):
    """ULX3S-45F; openFPGALoader is needed to program, not to build."""

