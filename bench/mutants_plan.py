"""What ``bench/mutants.py`` mutates and with which tests: modules, test subsets, the named mutants, the equivalents.

Each module is run against a small test subset chosen for it (the fast, discriminating tests first,
so ``pytest -x`` stops early on a killed mutant): its own unit tests, the hand-derived exact-tie tests
(``tests/*/test_ties.py``), the contract pins and, for the engine's parts, the network equivalence
tests.  Tests marked ``slow`` or ``sim`` (cocotb: the simulator builds are cached by the gateware files
on disk, which a mutant never touches) and the tests that train a digits net are left out.
"""

from __future__ import annotations

#: Always passed to pytest (after ``-q -x``).
PYTEST_ARGS = ["-m", "not slow and not sim", "-k", "not digits and not spiking_net"]

_PINS = "tests/sc/test_contract_pins.py"
_DOC = "tests/sc/test_sc_arithmetic_doc.py"
_SC_TIES = "tests/sc/test_ties.py"
_HW_TIES = "tests/hw/test_ties.py"
_HW_NET = "tests/hw/test_network.py"

#: ``{module: test files}``: what runs against each module's mutants.
SUBSETS: dict[str, list[str]] = {
    "sc_neurocore.sc.contract": [_PINS, _SC_TIES, _DOC, "tests/sc/test_contract.py", "tests/test_export.py"],
    "sc_neurocore.sc.sources": [_PINS, _DOC, "tests/sc/test_sources.py", _SC_TIES],
    "sc_neurocore.sc.counting": [_SC_TIES, _DOC, "tests/sc/test_counting.py", "tests/sc/test_network.py"],
    "sc_neurocore.sc.fixed": [_SC_TIES, _DOC, "tests/sc/test_fixed.py"],
    "sc_neurocore.sc.network": [_SC_TIES, "tests/sc/test_network.py"],
    "sc_neurocore.sc.bitstream": [_DOC, "tests/sc/test_bitstream.py", "tests/sc/test_counting.py"],
    "sc_neurocore.export": [_SC_TIES, _DOC, "tests/test_export.py", _PINS],
    "sc_neurocore.hw.lif": [_HW_TIES, "tests/hw/test_lif.py"],
    "sc_neurocore.hw.rng": [_PINS, "tests/hw/test_rng.py"],
    "sc_neurocore.hw.sng": ["tests/hw/test_sng.py"],
    "sc_neurocore.hw.thermometer": ["tests/hw/test_thermometer.py", _HW_TIES, "tests/hw/test_count_pipeline.py"],
    "sc_neurocore.hw.sc_dot": ["tests/hw/test_sc_dot.py", _HW_TIES, _HW_NET],
    "sc_neurocore.hw.count_pipeline": [_HW_TIES, "tests/hw/test_count_pipeline.py", _HW_NET],
    "sc_neurocore.hw.neuron_unit": [_HW_TIES, "tests/hw/test_neuron_unit.py", _HW_NET],
    "sc_neurocore.hw.argmax": [_HW_TIES, "tests/hw/test_argmax.py", _HW_NET],
    "sc_neurocore.hw.writeback": [_HW_TIES, "tests/hw/test_writeback.py", _HW_NET],
    "sc_neurocore.hw.active_list": [_HW_TIES, "tests/hw/test_active_list.py", _HW_NET],
    "sc_neurocore.hw.loader": [_HW_TIES, "tests/hw/test_loader.py", _HW_NET],
    "sc_neurocore.hw.sequencer": [_HW_TIES, "tests/hw/test_sequencer.py", _HW_NET],
    "sc_neurocore.hw.plan": [_HW_TIES, _HW_NET],
    "sc_neurocore.hw.timing": [_HW_NET],
    "sc_neurocore.hw.ports": ["tests/hw/test_ports.py", _HW_TIES, _HW_NET],
    "sc_neurocore.hw.neuron": [_HW_NET],
    "sc_neurocore.hw.network": [_HW_TIES, _HW_NET],
    "sc_neurocore.hw.uart": ["tests/hw/test_uart.py"],
    "sc_neurocore.hw.checks": ["tests/hw/test_checks.py"],
}

#: Modules of ``hw/`` not mutated, and why.
NOT_MUTATED = {
    "sc_neurocore.hw.presets": "the boards' engine settings (parallelism, source): no arithmetic; a changed "
                               "setting is a different build, measured by `nox -s build` (docs/bench/boards.md)",
}

#: Functions (qualnames) left alone inside a mutated module, and why.
SKIP_FUNCTIONS: dict[str, dict[str, str]] = {}

#: The issue's named mutants: ``(name, [(module, old text, new text), ...])``; every one must be killed.
NAMED: list[tuple[str, list[tuple[str, str, str]]]] = [
    ("threshold > -> >= in the gateware (both LIF forms)", [
        ("sc_neurocore.hw.lif", "spike = v1 > theta", "spike = v1 >= theta"),
        ("sc_neurocore.hw.lif", "above = total_t > 0", "above = total_t >= 0"),
    ]),
    ("threshold > -> >= in the model", [
        ("sc_neurocore.sc.fixed", "spike = (v > theta_q)", "spike = (v >= theta_q)"),
    ]),
    ("saturation bound off by one (the contract's max_int, read by model and gateware)", [
        ("sc_neurocore.sc.contract", "return (1 << (self.width - 1)) - 1 if self.signed",
         "return (1 << (self.width - 1)) - 2 if self.signed"),
    ]),
    ("saturation bound off by one in the model's LIF step", [
        ("sc_neurocore.sc.fixed", "+ i, fmt.min_int, fmt.max_int)", "+ i, fmt.min_int, fmt.max_int - 1)"),
    ]),
    ("round half up -> floor in the count scaling (model and gateware)", [
        ("sc_neurocore.sc.fixed", "(c * np.int64(mult) + np.int64(1 << (shift - 1))) >> np.int64(shift)",
         "(c * np.int64(mult)) >> np.int64(shift)"),
        ("sc_neurocore.hw.neuron_unit", "shifted = Array([(prod + Const(1 << (layer.scale_shift - 1), "
                                        "layer.scale_shift + 1).as_signed())",
         "shifted = Array([(prod + Const(0, layer.scale_shift + 1).as_signed())"),
    ]),
    ("LFSR taps of width 16: (16, 15, 13, 4) -> (16, 14, 13, 11), also primitive", [
        ("sc_neurocore.sc.sources", "16: (16, 15, 13, 4),", "16: (16, 14, 13, 11),"),
    ]),
    ("LFSR taps of width 12: (12, 6, 4, 1) -> (12, 7, 4, 1)", [
        ("sc_neurocore.sc.sources", "12: (12, 6, 4, 1),", "12: (12, 7, 4, 1),"),
    ]),
    ("Sobol direction numbers of dimension 1: x + 1 -> x^2 + 1", [
        ("sc_neurocore.sc.sources", "v.append(v[-1] ^ (v[-1] >> 1))", "v.append(v[-1] ^ (v[-1] >> 2))"),
    ]),
    ("constant comparator off by one ([v < x] -> [v <= x] on the low half)", [
        ("sc_neurocore.hw.thermometer", "lambda u, b=b: b < u", "lambda u, b=b: b <= u"),
    ]),
    ("reset to zero instead of subtract, gateware only", [
        ("sc_neurocore.hw.lif", "v2 = (v1 - Mux(spike, theta, 0))[: fmt.width].as_signed()",
         "v2 = Mux(spike, 0, v1)[: fmt.width].as_signed()"),
        ("sc_neurocore.hw.lif", "v_high = Mux(fire_high, Const(fmt.max_int, signed(fmt.width + 1)) - theta, fmt.max_int)",
         "v_high = Mux(fire_high, 0, fmt.max_int)"),
        ("sc_neurocore.hw.lif", "Mux(above, total_t, total)", "Mux(above, 0, total)"),
    ]),
    ("leak after the input, gateware only", [
        ("sc_neurocore.hw.lif", "    v1 = saturate(leak + Value.cast(current).as_signed(), fmt)",
         "    v1 = saturate(((v + Value.cast(current).as_signed()) * beta.as_unsigned()) >> beta_bits, fmt)"),
        ("sc_neurocore.hw.lif", "    total = leak + Value.cast(current).as_signed()\n"
                                "    total_t = leak + Value.cast(current_minus_theta).as_signed()",
         "    total = ((v + Value.cast(current).as_signed()) * beta.as_unsigned()) >> beta_bits\n"
         "    total_t = total - theta"),
    ]),
    ("weight codes floored in the export", [
        ("sc_neurocore.export", "np.floor(np.abs(w) / s * qmax + 0.5)", "np.floor(np.abs(w) / s * qmax)"),
    ]),
    ("argmax tie-break flipped in the gateware (last index on ties)", [
        ("sc_neurocore.hw.argmax", "with m.If(candidate > best_count):", "with m.If(candidate >= best_count):"),
    ]),
    ("argmax tie-break flipped in the model (last index on ties)", [
        ("sc_neurocore.sc.network", "prediction=np.argmax(out_counts, axis=1)",
         "prediction=out_counts.shape[1] - 1 - np.argmax(out_counts[:, ::-1], axis=1)"),
    ]),
]

#: Named mutants run against the union of these subsets (each mutant: the subsets of the modules it patches).
#: Equivalent mutants: ``{mutant id: why no test can tell it from the original}``.
EQUIVALENT: dict[str, str] = {}

#: Survivors of an earlier run and the test written to kill them: ``{mutant id: test node id}``; the
#: report shows what killed each in the current run.
FIXED_SURVIVORS: dict[str, str] = {}
