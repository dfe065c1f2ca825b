"""The mutation driver's plan still applies to the code, and its report renders from the stored run alone."""

from __future__ import annotations

import shutil

import mutants
import mutants_plan as plan
import mutation
import pytest


def test_every_named_mutant_still_applies_and_compiles():
    """A named mutant's text must occur once in its module: an edit that moves it must move the plan too."""
    for name, patches in plan.NAMED:
        m = mutation.named_mutant(name, patches)
        codes = mutation.mutated_sources(m)
        assert set(codes) == {p[0] for p in patches}


def test_every_module_of_the_plan_has_tests_and_mutants():
    for module, tests in plan.SUBSETS.items():
        assert tests and all(t.split("::")[0].startswith("tests/") for t in tests), module
        assert mutation.module_path(module).is_file()


def test_mutants_of_a_module_are_distinct_and_compile():
    ms = mutation.mutants_of("sc_neurocore.hw.lif")
    assert len({m.id for m in ms}) == len(ms) and all(m.before != m.after for m in ms)
    assert {m.operator for m in ms} >= {"compare", "arith", "const", "mux"}
    for m in ms[:20]:
        mutation.mutated_sources(m)  # compiles
    # argument checks are not mutated: LIFStep.validate holds comparisons, none of its lines appear
    assert not [m for m in ms if m.function.endswith("validate")]


def test_listed_equivalents_and_fixes_name_existing_mutants():
    ids = {m.id for module in plan.SUBSETS for m in mutation.mutants_of(module)}
    assert set(plan.EQUIVALENT) <= ids
    assert set(plan.FIXED_SURVIVORS) <= ids


def test_report_renders_from_the_stored_run(tmp_path):
    src = mutants.common.REPORT_DIR / "mutants.json"
    if not src.is_file():
        pytest.skip("no stored run")
    shutil.copy(src, tmp_path / "mutants.json")
    code = mutants.main(["--render-only", "--out-dir", str(tmp_path)])
    text = (tmp_path / "mutants.md").read_text()
    assert code in (0, 1) and "## Mutation testing" in text and "### The named mutants" in text
