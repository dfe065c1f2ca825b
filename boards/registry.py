"""Which boards the design builds for: one :class:`BoardSpec` per board, in a static table.

Listing the boards (``sc-neurocore build --help``) imports nothing: each spec names its
amaranth-boards platform as ``"module:Class"``, imported only by :meth:`BoardSpec.make_platform`
(which says what to install when amaranth-boards is missing).  The engine setting a board is
built and measured with -- ``SCNetworkCore`` parallelism and SC source -- comes from
:data:`sc_neurocore.hw.presets.BOARD_ENGINES`, shared with the co-simulation regression.
The two reference boards have their platform classes in :mod:`.icebreaker` and :mod:`.ulx3s`;
any other amaranth-boards platform with a ``uart`` resource is one line in :data:`EXTRA_BOARDS`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, replace

__all__ = ["BoardSpec", "BOARDS", "get_board", "board_names", "without_dsp", "EXTRA_BOARDS", "REFERENCE_BOARDS",
           "REPORT_FILE"]


@dataclass(frozen=True)
class BoardSpec:
    """A board the flow can build for.

    Attributes
    ----------
    name : str
        Registry key (``--board``).
    platform : str or callable
        ``"module:Class"`` of an amaranth-boards platform (imported on use), or a zero-argument factory.
    clock_hz : float or None
        ``sync`` clock target (through the PLL); ``None`` = the board's own clock.
    engine : str or tuple
        A key of :data:`~sc_neurocore.hw.presets.BOARD_ENGINES`, or ``((lanes, tlanes), rng)`` for a
        board of its own; :attr:`parallelism` and :attr:`rng` read it.
    programmer : str
        Name of the programming tool (for messages), ``programmer_env`` the variable that
        Amaranth reads for it, ``install_hint`` how to get it.
    description : str
        One line for ``--help``: device and its resources.
    extra : dict
        Extra arguments of ``platform.prepare`` (e.g. Yosys ``synth_opts``).
    nextpnr_opts : str
        Extra nextpnr options (the ECP5 boards route with ``--router router2``: on the engine's ~30k-LUT
        designs router1 did not converge in 26 min where router2 finishes in about 2).
    route_budget_s : float or None
        Seconds the router may run before the build is stopped as congested (``None``: no limit);
        ``sc-neurocore build --route-budget`` overrides it.
    leak : str
        How a LIF lane multiplies its membrane by the leak (:data:`~sc_neurocore.hw.lif.LEAKS`): ``"lut"``
        (shift-adds of the layers' constants: the ECP5's membrane loop stays in its slices; 55-62 MHz on every
        net of the robustness matrix against 49-58 with the DSP) or ``"multiplier"`` (the iCE40's ``SB_MAC16``
        beside the lane: its carry chains are slow, 25-27 MHz in LUTs against 27-34 with the DSP).
    """

    name: str
    platform: object
    clock_hz: float | None = None
    engine: object = ""
    programmer: str = "the platform's programmer"
    programmer_env: str = ""
    install_hint: str = ""
    description: str = ""
    extra: dict = field(default_factory=dict)
    nextpnr_opts: str = ""
    route_budget_s: float | None = 1200.0
    leak: str = "lut"

    def _setting(self) -> tuple[tuple[int, int], str]:
        if isinstance(self.engine, str):
            from ..hw.presets import BOARD_ENGINES

            setting = BOARD_ENGINES[self.engine or self.name]
            return tuple(setting.parallelism), setting.rng
        par, rng = self.engine
        return tuple(par), rng

    def parallelism_for(self, qnet) -> tuple[int, int]:
        """:attr:`parallelism`, or for a net with recurrent layers (one timestep per block) the board's
        ``(recurrent_lanes, 1)`` (:func:`~sc_neurocore.hw.presets.preset_for_net`)."""
        from ..hw.presets import BOARD_ENGINES, RECURRENT_LANES, preset_for_net

        lanes = (BOARD_ENGINES[self.engine or self.name].recurrent_lanes if isinstance(self.engine, str)
                 else RECURRENT_LANES)
        return preset_for_net(self.parallelism, qnet, lanes)

    @property
    def parallelism(self) -> tuple[int, int]:
        """``SCNetworkCore`` ``(lanes, tlanes)`` (neurons x timesteps per clock) this board is built with."""
        return self._setting()[0]

    @property
    def rng(self) -> str:
        """The SC source of a net built for this board from a checkpoint (its figures are measured with it)."""
        return self._setting()[1]

    def make_platform(self):
        """A fresh platform instance; a missing amaranth-boards raises :class:`~sc_neurocore.errors.MissingTool`."""
        if not isinstance(self.platform, str):
            return self.platform()
        module, _, cls = self.platform.partition(":")
        try:
            factory = getattr(importlib.import_module(module), cls)
        except ImportError as exc:
            from ..errors import missing_extra

            top = (exc.name or "").split(".")[0]
            extra = "hw" if top == "amaranth" else "boards"
            raise missing_extra(extra, exc, what=f"building for the {self.name} needs {exc.name or 'a package'}") \
                from exc
        return factory()


#: The boards ``nox -s build`` builds and ``docs/bench/boards.md`` reports.
REFERENCE_BOARDS = ("icebreaker", "ulx3s")
#: A build's report (``BuildReport.to_json()``) in its folder: ``sc-neurocore build`` writes it, ``sc-neurocore
#: report`` and ``build_all --other-builds`` read it.
REPORT_FILE = "build_report.json"

_REFERENCE = [
    BoardSpec(
        "icebreaker", "sc_neurocore.boards.icebreaker:ICEBreaker", clock_hz=24e6, engine="icebreaker",
        # map the multipliers (current scaling, leak) onto the UP5K's SB_MAC16 DSPs instead of logic cells
        extra={"synth_opts": "-dsp"}, leak="multiplier",
        programmer="iceprog", programmer_env="ICEPROG",
        install_hint="apt-get install fpga-icestorm (or build iceprog from the icestorm sources)",
        description="iCEBreaker, iCE40 UP5K (5,280 logic cells, 30 EBR, 4 SPRAM, 8 DSP), 24 MHz",
    ),
    BoardSpec(
        "ulx3s", "sc_neurocore.boards.ulx3s:ULX3S85F", clock_hz=50e6, engine="ulx3s",
        nextpnr_opts="--router router2",
        programmer="openFPGALoader", programmer_env="OPENFPGALOADER", install_hint="apt-get install openfpgaloader",
        description="ULX3S, ECP5 LFE5U-85F (83,640 LUT4, 208 DP16KD, 156 MULT18), 50 MHz",
    ),
]

#: Further amaranth-boards platforms the design fits, one line each.
EXTRA_BOARDS = [
    BoardSpec("ulx3s-45f", "sc_neurocore.boards.ulx3s:ULX3S45F", clock_hz=50e6, engine=((4, 25), "sobol"),
              nextpnr_opts="--router router2",
              programmer="openFPGALoader", programmer_env="OPENFPGALOADER", install_hint="apt-get install openfpgaloader",
              description="ULX3S with the LFE5U-45F, 50 MHz"),
    BoardSpec("icebreaker-12mhz", "sc_neurocore.boards.icebreaker:ICEBreaker", clock_hz=None, engine="icebreaker",
              extra={"synth_opts": "-dsp"}, leak="multiplier",
              programmer="iceprog", programmer_env="ICEPROG", install_hint="apt-get install fpga-icestorm",
              description="iCEBreaker at its 12 MHz oscillator, no PLL"),
]


def _all() -> dict[str, BoardSpec]:
    boards = {}
    for spec in _REFERENCE + EXTRA_BOARDS:
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


def without_dsp(spec: BoardSpec) -> BoardSpec:
    """``spec`` with its products in logic instead of DSP blocks (its Yosys ``synth_opts`` without ``-dsp``), so that
    nextpnr times every path whole (``docs/boards.md``, "Paths through combinational DSPs"); ``ValueError`` for a
    board whose synthesis is not asked for DSPs that way."""
    opts = str(spec.extra.get("synth_opts", "")).split()
    if "-dsp" not in opts:
        raise ValueError(f"--no-dsp: the {spec.name} build does not ask Yosys for DSPs with -dsp (synth_opts "
                         f"{' '.join(opts) or 'none'}), so there is nothing to leave out")
    return replace(spec, extra={**spec.extra, "synth_opts": " ".join(o for o in opts if o != "-dsp")})
