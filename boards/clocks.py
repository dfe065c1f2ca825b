"""PLL settings and instances for the board tops (iCE40 SB_PLL40, ECP5 EHXPLLL).

The parameter searches follow the devices' documented ranges; each returns the achieved output
frequency, which the top uses as its clock constraint (so nextpnr's fmax report is checked against
the clock the board really runs at).
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import ClockDomain, Instance, Module, Signal
from amaranth.lib import io
from amaranth.lib.cdc import ResetSynchronizer

__all__ = ["ICE40PLL", "ECP5PLL", "ice40_pll", "ecp5_pll", "add_pll_domain", "STANDARD_CLOCKS_MHZ",
           "achieved_clock", "fastest_standard_clock"]

#: The clocks ``sc-neurocore build --clock auto`` and the timing-failure advice choose from, in MHz:
#: round figures that the iCE40 and ECP5 PLLs make (exactly or within a fraction of a percent) from
#: the boards' 12 MHz and 25 MHz oscillators.
STANDARD_CLOCKS_MHZ = (12, 16, 18, 20, 24, 25, 27, 30, 32, 33, 36, 40, 42, 45, 48, 50, 54, 60, 64, 66, 72, 75,
                       80, 90, 96, 100, 108, 120)


@dataclass(frozen=True)
class ICE40PLL:
    """``SB_PLL40_*`` settings with ``FEEDBACK_PATH="SIMPLE"``."""

    f_in: float
    f_out: float
    divr: int
    divf: int
    divq: int
    filter_range: int


@dataclass(frozen=True)
class ECP5PLL:
    """``EHXPLLL`` settings, feedback from CLKOP."""

    f_in: float
    f_out: float
    clki_div: int
    clkfb_div: int
    clkop_div: int


def _check_freqs(f_in, f_out):
    for name, f in (("input", f_in), ("output", f_out)):
        if not isinstance(f, (int, float)) or not f > 0:
            raise ValueError(f"PLL {name} frequency must be a positive number of Hz, not {f!r}")


def ice40_pll(f_in: float, f_out: float) -> ICE40PLL:
    """The closest iCE40 PLL setting (PFD 10..133 MHz, VCO 533..1066 MHz, output 16..275 MHz)."""
    _check_freqs(f_in, f_out)
    if not 16e6 <= f_out <= 275e6:
        raise ValueError(f"iCE40 PLL output must be in 16..275 MHz, not {f_out / 1e6:g} MHz")
    best = None
    for divr in range(16):
        pfd = f_in / (divr + 1)
        if not 10e6 <= pfd <= 133e6:
            continue
        for divf in range(128):
            vco = pfd * (divf + 1)
            if not 533e6 <= vco <= 1066e6:
                continue
            for divq in range(1, 7):
                out = vco / (1 << divq)
                err = abs(out - f_out)
                if best is None or err < best[0]:
                    best = (err, divr, divf, divq, out, pfd)
    if best is None:
        raise ValueError(f"no iCE40 PLL setting makes {f_out / 1e6:g} MHz from {f_in / 1e6:g} MHz")
    _, divr, divf, divq, out, pfd = best
    fr = next(i + 1 for i, hi in enumerate((17e6, 26e6, 44e6, 66e6, 101e6, float("inf"))) if pfd < hi)
    return ICE40PLL(f_in, out, divr, divf, divq, fr)


def ecp5_pll(f_in: float, f_out: float) -> ECP5PLL:
    """The closest ECP5 EHXPLLL setting (PFD >= 3.125 MHz, VCO 400..800 MHz, output 3.125..400 MHz)."""
    _check_freqs(f_in, f_out)
    if not 3.125e6 <= f_out <= 400e6:
        raise ValueError(f"ECP5 PLL output must be in 3.125..400 MHz, not {f_out / 1e6:g} MHz")
    best = None
    for clki in range(1, 129):
        pfd = f_in / clki
        if pfd < 3.125e6:
            break
        for fb in range(1, 129):
            out = pfd * fb
            if out > 400e6:
                break
            op = max(1, round(600e6 / out))  # aim the VCO at the middle of its range
            for clkop in (op - 1, op, op + 1):
                if 1 <= clkop <= 128 and 400e6 <= out * clkop <= 800e6:
                    err = abs(out - f_out)
                    if best is None or err < best[0]:
                        best = (err, clki, fb, clkop, out)
                    break
    if best is None:
        raise ValueError(f"no ECP5 PLL setting makes {f_out / 1e6:g} MHz from {f_in / 1e6:g} MHz")
    _, clki, fb, clkop, out = best
    return ECP5PLL(f_in, out, clki, fb, clkop)


def achieved_clock(platform, f_hz: float | None) -> float:
    """The ``sync`` frequency in Hz a top asking for ``f_hz`` runs at on ``platform``: the board's own
    clock when ``f_hz`` is ``None`` or equal to it, else the PLL's output (``ValueError`` if the PLL
    cannot make it)."""
    f_in = float(platform.default_clk_frequency)
    if f_hz is None or abs(f_hz - f_in) <= 1.0:
        return f_in
    if platform.device.startswith("iCE40"):
        return ice40_pll(f_in, f_hz).f_out
    if getattr(platform, "family", None) == "ecp5":
        return ecp5_pll(f_in, f_hz).f_out
    raise ValueError(f"no PLL support for {type(platform).__name__}")


def fastest_standard_clock(platform, fmax_hz: float) -> float | None:
    """The highest :data:`STANDARD_CLOCKS_MHZ` entry whose achieved frequency on ``platform`` is at most
    ``fmax_hz`` (the target, in Hz; the PLL's achieved value is :func:`achieved_clock`); ``None`` when
    none is."""
    best = None
    for mhz in STANDARD_CLOCKS_MHZ:
        try:
            f = achieved_clock(platform, mhz * 1e6)
        except ValueError:
            continue
        if f <= fmax_hz:
            best = mhz * 1e6
    return best


def add_pll_domain(m: Module, platform, f_out: float) -> float:
    """Create domain ``sync`` at ``f_out`` from the platform's default clock through a PLL.

    Returns the achieved frequency and adds it as the clock constraint.  The domain is held in
    reset until the PLL locks.
    """
    f_in = platform.default_clk_frequency
    cd = ClockDomain("sync")
    m.domains += cd
    lock = Signal()
    family = getattr(platform, "family", None)
    device = getattr(platform, "device", "")
    if device.startswith("iCE40"):
        cfg = ice40_pll(f_in, f_out)
        pad = platform.request(platform.default_clk, dir="-")
        m.submodules.pll = Instance(
            "SB_PLL40_PAD",
            p_FEEDBACK_PATH="SIMPLE",
            p_DIVR=cfg.divr,
            p_DIVF=cfg.divf,
            p_DIVQ=cfg.divq,
            p_FILTER_RANGE=cfg.filter_range,
            i_PACKAGEPIN=pad.io,
            i_RESETB=1,
            i_BYPASS=0,
            o_PLLOUTGLOBAL=cd.clk,
            o_LOCK=lock,
        )
    elif family == "ecp5":
        cfg = ecp5_pll(f_in, f_out)
        pad = platform.request(platform.default_clk, dir="-")
        m.submodules.clk_in = clk_buf = io.Buffer("i", pad)
        clk_in = clk_buf.i
        m.submodules.pll = Instance(
            "EHXPLLL",
            a_FREQUENCY_PIN_CLKI=f"{f_in / 1e6:g}",
            a_FREQUENCY_PIN_CLKOP=f"{cfg.f_out / 1e6:g}",
            a_ICP_CURRENT="12",
            a_LPF_RESISTOR="8",
            a_MFG_ENABLE_FILTEROPAMP="1",
            a_MFG_GMCREF_SEL="2",
            p_PLLRST_ENA="DISABLED",
            p_INTFB_WAKE="DISABLED",
            p_STDBY_ENABLE="DISABLED",
            p_DPHASE_SOURCE="DISABLED",
            p_OUTDIVIDER_MUXA="DIVA",
            p_OUTDIVIDER_MUXB="DIVB",
            p_OUTDIVIDER_MUXC="DIVC",
            p_OUTDIVIDER_MUXD="DIVD",
            p_CLKI_DIV=cfg.clki_div,
            p_CLKOP_ENABLE="ENABLED",
            p_CLKOP_DIV=cfg.clkop_div,
            p_CLKOP_CPHASE=(cfg.clkop_div - 1) // 2,
            p_CLKOP_FPHASE=0,
            p_FEEDBK_PATH="CLKOP",
            p_CLKFB_DIV=cfg.clkfb_div,
            i_CLKI=clk_in,
            i_CLKFB=cd.clk,
            i_RST=0,
            i_STDBY=0,
            i_PHASESEL0=0,
            i_PHASESEL1=0,
            i_PHASEDIR=1,
            i_PHASESTEP=1,
            i_PHASELOADREG=1,
            i_PLLWAKESYNC=0,
            i_ENCLKOP=0,
            o_CLKOP=cd.clk,
            o_LOCK=lock,
        )
    else:
        raise ValueError(f"no PLL support for {type(platform).__name__} (device {device!r}); "
                         f"build it at the board clock ({f_in / 1e6:g} MHz) instead")
    m.submodules.pll_reset = ResetSynchronizer(~lock, domain="sync")
    platform.add_clock_constraint(cd.clk, cfg.f_out)
    return cfg.f_out
