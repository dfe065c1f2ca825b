"""Imports point one way: the layer contract of ``docs/interfaces.md``, checked over the import graph.

Every ``import`` and ``from ... import`` in the package's source (module level and inside functions:
a lazy import is still a dependency) is resolved to a module of ours and mapped to its layer; an
import into a layer that is not allowed from the importing one fails the test with the file, line and
the rule it breaks.

Layers (a layer may import itself and what its row names):

=========  =====================================================================  ===========================
layer      modules                                                                may import
=========  =====================================================================  ===========================
base       ``sc_neurocore`` (errors, fileio, paths, progress, datasets, __init__)  --
contract   ``sc.contract``, ``sc.sources``, ``sc.geometry``, ``export`` (the         base
           formats every side reads: the frozen records, the sources'
           definitions, conv shapes, ``QuantizedNet``)
training   ``training``                                                           base, contract
sc         ``sc``, ``layers``, ``compiler``                                       base, contract
hw         ``hw``                                                                 base, contract, sc
sim        ``sim``                                                                base, contract, sc, hw
boards     ``boards``                                                             base, contract, sc, hw
top        ``cli``, ``report``, ``nir`` (the front doors)                           everything
=========  =====================================================================  ===========================

The training side reads only the contract (SC-aware fine-tuning draws the contract's random numbers;
``to_quantized`` builds the export format); nothing below the front doors imports training, the
simulators or the boards.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: package directory -> dotted package (pyproject's package-dir mapping)
PACKAGE_DIRS = {"sw": "sc_neurocore", "hw": "sc_neurocore.hw", "sim": "sc_neurocore.sim", "boards": "sc_neurocore.boards"}
CONTRACT = ("sc_neurocore.sc.contract", "sc_neurocore.sc.sources", "sc_neurocore.sc.geometry", "sc_neurocore.export")
BELOW = {
    "base": set(),
    "contract": {"base"},
    "training": {"base", "contract"},
    "sc": {"base", "contract"},
    "hw": {"base", "contract", "sc"},
    "sim": {"base", "contract", "sc", "hw"},
    "boards": {"base", "contract", "sc", "hw"},
    "top": {"base", "contract", "sc", "hw", "sim", "boards", "training"},
}
SUBPACKAGE_LAYER = {
    "training": "training",
    "sc": "sc",
    "layers": "sc",
    "compiler": "sc",
    "hw": "hw",
    "sim": "sim",
    "boards": "boards",
    "cli": "top",
    "report": "top",
    "nir": "top",
}


def layer_of(module: str) -> str:
    """The layer of a dotted module name of ours (``sc_neurocore...``)."""
    if module == "sc_neurocore":
        return "base"
    if any(module == c or module.startswith(c + ".") for c in CONTRACT):
        return "contract"
    part = module.split(".")[1]
    return SUBPACKAGE_LAYER.get(part, "base")


def module_files() -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the package."""
    out: dict[str, Path] = {}
    for folder, package in PACKAGE_DIRS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = list(rel.parts)
            if folder == "sw" and parts[0] in {"hw", "sim", "boards"}:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([package, *parts])] = path
    return out


def imports_of(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, dotted target) for every import of ours in ``path`` (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "sc_neurocore"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "sc_neurocore":
                continue
            # ``from . import runner`` / ``from ..hw import network``: the names may be modules
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((node.lineno, sub if sub in MODULES else target))
    return found


MODULES = module_files()


def violations(modules: dict[str, Path]) -> list[str]:
    """Every import in ``modules`` into a layer its importer may not use: ``file:line: what``."""
    bad = []
    for module, path in modules.items():
        src = layer_of(module)
        for line, target in imports_of(module, path):
            dst = layer_of(target)
            if dst != src and dst not in BELOW[src]:
                bad.append(f"{path.name}:{line}: {module} ({src}) imports {target} ({dst})")
    return bad


def test_the_package_imports_point_one_way():
    assert len(MODULES) > 60, sorted(MODULES)  # the walk found the package (not an empty glob)
    bad = violations(MODULES)
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("sc_neurocore.errors", "base"),
        ("sc_neurocore.export", "contract"),
        ("sc_neurocore.sc.sources", "contract"),
        ("sc_neurocore.sc.network", "sc"),
        ("sc_neurocore.training.finetune", "training"),
        ("sc_neurocore.hw.count_pipeline", "hw"),
        ("sc_neurocore.sim.regression", "sim"),
        ("sc_neurocore.boards.link", "boards"),
        ("sc_neurocore.cli.verify", "top"),
    ],
)
def test_layer_of(module, layer):
    assert module in MODULES
    assert layer_of(module) == layer


@pytest.mark.parametrize(
    ("module", "source", "expect"),
    [
        ("sc_neurocore.training.loop", "from ..sim import run_rtl\n", "(training) imports sc_neurocore.sim (sim)"),
        ("sc_neurocore.training.loop", "def f():\n    from ..sc.network import SCNetwork\n", "imports sc_neurocore.sc.network (sc)"),
        ("sc_neurocore.sc.network", "import sc_neurocore.training.cells\n", "(sc) imports sc_neurocore.training.cells"),
        ("sc_neurocore.hw.lif", "from ..boards import top\n", "(hw) imports sc_neurocore.boards.top (boards)"),
        ("sc_neurocore.boards.link", "from ..sim import runner\n", "(boards) imports sc_neurocore.sim.runner (sim)"),
    ],
)
def test_a_wrong_import_is_reported(tmp_path, module, source, expect):
    """The checker can fail: each planted import against the layers is reported, lazy ones too."""
    path = tmp_path / (module.rsplit(".", 1)[1] + ".py")
    path.write_text("import numpy\n" + source)
    found = violations({module: path})
    assert len(found) == 1 and expect in found[0], found


def test_allowed_imports_are_not_reported(tmp_path):
    path = tmp_path / "network.py"
    path.write_text("from ..export import QuantizedNet\nfrom .contract import SCConfig\nfrom ..hw import lif\n")
    found = violations({"sc_neurocore.sim.network": path})
    assert found == []
