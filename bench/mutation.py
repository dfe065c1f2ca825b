"""A small mutation-testing driver for this layout: AST mutants served to a forked pytest by an import hook.

Why our own (``docs/bench/mutants.md`` says it too): the package maps ``sc_neurocore`` to ``sw/`` and
``sc_neurocore.hw`` to ``hw/`` (setuptools ``package-dir``).  mutmut 3 copies the sources into a
``mutants/`` folder and mutates function bodies only, through trampolines: the copy is not what the
editable install imports under ``sc_neurocore``, and a module-level table such as ``LFSR_TAPS`` (the
survivor that started issue 18) is never mutated.  cosmic-ray rewrites the files in place and starts a
fresh interpreter per mutant (numpy + amaranth + hypothesis take seconds to import on this machine).
Here the parent imports the heavy third-party modules once; each mutant runs in a ``fork`` whose
import hook compiles the mutated module from its AST (nothing is written to disk, so an interrupted
run leaves no mutated file behind), then runs the module's test subset with ``pytest.main``.

Mutants
-------
:func:`mutants_of` walks a module's AST and yields one :class:`Mutant` per site and operator of a
curated set (:data:`OPERATORS`): comparison boundaries (``<`` <-> ``<=``, ``>`` <-> ``>=``,
``==`` <-> ``!=``), arithmetic and bit operators (``+`` <-> ``-``, ``<<`` <-> ``>>``, ``&`` <-> ``|``,
``^`` -> ``|``, ``*`` -> ``+``, ``//`` -> ``*``), integer constants off by one (``c + 1``, ``c - 1``),
``True`` <-> ``False``, a dropped unary ``-`` / ``~`` / ``not``, ``and`` <-> ``or``, and Amaranth's
``Mux(c, a, b)`` -> ``Mux(c, b, a)``.  Not mutated: argument checks (``if ...: raise``, ``raise``,
``assert``, functions named ``validate`` / ``__post_init__`` / ``_check*`` / ``check_*``,
``__repr__`` / ``__hash__`` / ``__eq__``), docstrings, strings, f-strings, annotations, ``__all__``,
and signal ``name=`` keywords; those are covered by the bad-input tests, not by equivalence.

A mutant's :attr:`Mutant.id` (``path:function:before -> after#n``) does not move when other code
moves, so equivalent mutants can be listed by id with their justification.
"""

from __future__ import annotations

import ast
import copy
import gc
import importlib.abc
import importlib.machinery
import json
import os
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["Mutant", "OPERATORS", "mutants_of", "named_mutant", "run_mutants", "module_path", "Outcome"]

ROOT = Path(__file__).resolve().parent.parent

#: The curated operator set: (name, node type, what it does).
OPERATORS = {
    "compare": "comparison boundary: < <-> <=, > <-> >=, == <-> !=",
    "arith": "+ <-> -, * -> +, // -> *",
    "bits": "<< <-> >>, & <-> |, ^ -> |",
    "const": "integer constant c -> c + 1 and c - 1",
    "bool": "True <-> False",
    "unary": "drop a unary -, ~ or not",
    "logic": "and <-> or",
    "mux": "Mux(c, a, b) -> Mux(c, b, a)",
}

_CMP_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
             ast.NotEq: ast.Eq}
_BIN_SWAP = {ast.Add: ("arith", ast.Sub), ast.Sub: ("arith", ast.Add), ast.Mult: ("arith", ast.Add),
             ast.FloorDiv: ("arith", ast.Mult), ast.LShift: ("bits", ast.RShift), ast.RShift: ("bits", ast.LShift),
             ast.BitAnd: ("bits", ast.BitOr), ast.BitOr: ("bits", ast.BitAnd), ast.BitXor: ("bits", ast.BitOr)}
#: Calls whose arguments are widths or shapes (not mutated), with how many leading arguments are values.
_SHAPE_CALLS = {"Signal": 0, "In": 0, "Out": 0, "signed": 0, "unsigned": 0, "ArrayLayout": 0,
                "StructLayout": 0, "Memory": 0, "Const": 1, "bit_select": 1, "word_select": 1}
_SKIP_FUNCS = ("validate", "__post_init__", "__repr__", "__hash__", "__eq__")
_SKIP_KEYWORDS = ("name", "src_loc_at")


def module_path(module: str) -> Path:
    """The source file of a ``sc_neurocore`` module under the ``package-dir`` mapping of ``pyproject.toml``."""
    import tomllib

    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    best = max((pkg for pkg in mapping if module == pkg or module.startswith(pkg + ".")), key=len)
    rest = module[len(best):].lstrip(".").split(".") if module != best else []
    base = ROOT / mapping[best]
    path = base.joinpath(*rest).with_suffix(".py") if rest else base / "__init__.py"
    if not path.is_file():
        raise FileNotFoundError(f"no source for {module} at {path}")
    return path


@dataclass(frozen=True)
class Mutant:
    """One mutant: where, which operator, the code before and after; ``site`` locates it in the AST walk."""

    id: str
    module: str
    path: str
    line: int
    function: str
    operator: str
    before: str
    after: str
    site: int = -1  # index in the walk of :func:`_sites`; -1 for a named (text) mutant
    variant: int = 0
    patches: tuple = ()  # named mutants: ((module, old, new), ...)
    name: str = ""


def _skip_function(name: str) -> bool:
    return name in _SKIP_FUNCS or name.startswith(("_check", "check_"))


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _is_guard(node: ast.AST) -> bool:
    """``if ...: raise ...`` (argument checks) and statements that only raise or assert."""
    if isinstance(node, (ast.Raise, ast.Assert)):
        return True
    return isinstance(node, ast.If) and not node.orelse and all(isinstance(s, ast.Raise) for s in node.body)


def _is_check_call(node: ast.AST) -> bool:
    """A statement that only calls an argument check (``check_int(...)``, ``_check_width(...)``)."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return _skip_function(name)


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _sites(tree: ast.AST) -> list[tuple[ast.AST, ast.AST, str, str, tuple]]:
    """Every mutable node in a fixed order: ``(node, parent, field, function qualname, ancestors)``."""
    out: list = []

    def visit(node, parent, fld, func, chain):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if isinstance(node, ast.ClassDef) or not _skip_function(node.name):
                inner = f"{func}.{node.name}" if func else node.name
                for stmt in node.body:
                    visit(stmt, node, "body", inner, ())
            return
        if _is_guard(node) or _is_check_call(node) or _is_docstring(node) or isinstance(node, ast.JoinedStr):
            return
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                return
        if isinstance(node, ast.keyword) and node.arg in _SKIP_KEYWORDS:
            return
        if isinstance(node, ast.Call) and _call_name(node) in _SHAPE_CALLS:
            # widths and shapes: visit only the value arguments (Const's value, bit_select's offset, init=)
            n_value = _SHAPE_CALLS[_call_name(node)]
            visit(node.func, node, "func", func, chain)
            for arg in node.args[:n_value]:
                visit(arg, node, "args", func, (node,) + chain)
            for kw in node.keywords:
                if kw.arg == "init":
                    visit(kw, node, "keywords", func, (node,) + chain)
            return
        if isinstance(node, (ast.Compare, ast.BinOp, ast.AugAssign, ast.BoolOp, ast.UnaryOp, ast.Call)) or (
                isinstance(node, ast.Constant) and isinstance(node.value, int)):
            out.append((node, parent, fld, func or "<module>", chain))
        inner_chain = (node,) + chain if isinstance(node, (ast.expr, ast.keyword, ast.stmt)) else chain
        for name, value in ast.iter_fields(node):
            if name in ("annotation", "returns", "decorator_list", "type_comment"):
                continue
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        visit(item, node, name, func, inner_chain)
            elif isinstance(value, ast.AST):
                visit(value, node, name, func, inner_chain)

    visit(tree, None, "", "", ())
    return out


def _variants(node: ast.AST) -> list[tuple[str, Callable[[ast.AST], ast.AST]]]:
    """``(operator, apply)`` pairs; ``apply`` returns the node that replaces ``node`` (a mutated copy)."""
    out = []
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _CMP_SWAP:
                def apply(n, i=i):
                    n.ops[i] = _CMP_SWAP[type(n.ops[i])]()
                    return n
                out.append(("compare", apply))
    elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BIN_SWAP:
        kind, new = _BIN_SWAP[type(node.op)]
        if not (isinstance(node, ast.AugAssign) and _is_domain(node.target)):
            def apply(n, new=new):
                n.op = new()
                return n
            out.append((kind, apply))
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        out.append(("bool", lambda n: ast.Constant(not n.value)))
    elif isinstance(node, ast.Constant) and isinstance(node.value, int):
        out.append(("const", lambda n: ast.Constant(n.value + 1)))
        out.append(("const", lambda n: ast.Constant(n.value - 1)))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Invert, ast.Not)):
        if not (isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)):
            out.append(("unary", lambda n: n.operand))
    elif isinstance(node, ast.BoolOp):
        out.append(("logic", lambda n: ast.BoolOp(ast.Or() if isinstance(n.op, ast.And) else ast.And(), n.values)))
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Mux"
          and len(node.args) == 3):
        def apply(n):
            n.args[1], n.args[2] = n.args[2], n.args[1]
            return n
        out.append(("mux", apply))
    return out


def _is_domain(target: ast.AST) -> bool:
    """``m.d.sync`` / ``m.d.comb``: ``+=`` there adds statements, it is no arithmetic."""
    return isinstance(target, ast.Attribute) and isinstance(target.value, ast.Attribute) and target.value.attr == "d"


def _show(node: ast.AST, limit: int = 90) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _context(node, chain) -> ast.AST:
    """What to show for a mutant: the node; for a constant, the smallest enclosing expression (past a unary
    minus or a keyword), or a short enclosing assignment or return."""
    if not isinstance(node, ast.Constant):
        return node
    for anc in chain:
        if isinstance(anc, (ast.UnaryOp, ast.keyword)):
            continue
        if isinstance(anc, ast.Dict):  # a table: its one entry
            for k, v in zip(anc.keys, anc.values):
                if any(n is node for part in (k, v) if part is not None for n in ast.walk(part)):
                    return ast.Dict(keys=[k], values=[v])
        if isinstance(anc, ast.expr):
            return anc
        if isinstance(anc, (ast.Assign, ast.AnnAssign, ast.Return)) and len(ast.unparse(anc)) <= 90:
            return anc
        break
    return node


def _replace(parent, fld, node, new) -> None:
    value = getattr(parent, fld)
    if isinstance(value, list):
        value[value.index(node)] = new
    else:
        setattr(parent, fld, new)


def mutants_of(module: str, *, skip_functions: tuple[str, ...] = ()) -> list[Mutant]:
    """Every mutant of ``module`` (see the module docstring); ``skip_functions``: qualnames left alone."""
    path = module_path(module)
    src = path.read_text()
    tree = ast.parse(src)
    rel = str(path.relative_to(ROOT))
    seen: dict[str, int] = {}
    out = []
    for site, (node, _, _, func, chain) in enumerate(_sites(tree)):
        if any(func == f or func.startswith(f + ".") for f in skip_functions):
            continue
        for variant, (op, _) in enumerate(_variants(node)):
            before = _show(_context(node, chain))
            after = _show(_mutated_display(node, chain, variant))
            if before == after:
                continue
            key = f"{rel}:{func}:{before} -> {after}"
            n = seen.get(key, 0)
            seen[key] = n + 1
            out.append(Mutant(id=f"{key}#{n}", module=module, path=rel, line=node.lineno, function=func,
                              operator=op, before=before, after=after, site=site, variant=variant))
    return out


def _mutate(tree: ast.AST, site: int, variant: int) -> ast.AST:
    """Apply one mutant to ``tree`` in place; returns the replacement node."""
    node, parent, fld, _, _ = _sites(tree)[site]
    _, apply = _variants(node)[variant]
    new = apply(node)
    if new is not node:
        ast.copy_location(new, node)
        _replace(parent, fld, node, new)
    ast.fix_missing_locations(tree)
    return new


def _where(n: ast.AST) -> tuple:
    return (type(n), n.lineno, n.col_offset, n.end_lineno, n.end_col_offset)


def _mutated_display(node: ast.AST, chain: tuple, variant: int) -> ast.AST:
    """The display context of a mutant, built on copies (the module's tree is left alone)."""
    _, apply = _variants(node)[variant]
    shown = _context(node, chain)
    if shown is node:
        return apply(copy.deepcopy(node))
    holder = copy.deepcopy(shown)
    for parent in ast.walk(holder):
        for fld, value in ast.iter_fields(parent):
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, ast.AST) and hasattr(item, "lineno") and _where(item) == _where(node):
                    _replace(parent, fld, item, apply(item))
                    return holder
    return apply(copy.deepcopy(node))


def named_mutant(name: str, patches: list[tuple[str, str, str]]) -> Mutant:
    """A hand-written mutant: ``(module, old text, new text)`` replacements (each ``old`` must occur once)."""
    first = patches[0]
    path = module_path(first[0])
    for module, old, _ in patches:
        n = module_path(module).read_text().count(old)
        if n != 1:
            raise ValueError(f"named mutant {name!r}: {old!r} occurs {n} times in {module}, not once")
    line = path.read_text()[: path.read_text().index(first[1])].count("\n") + 1
    where = ", ".join(sorted({str(module_path(m).relative_to(ROOT)) for m, _, _ in patches}))
    return Mutant(id=f"named:{name}", module=first[0], path=where, line=line, function="", operator="named",
                  before=" / ".join(p[1] for p in patches), after=" / ".join(p[2] for p in patches),
                  patches=tuple(tuple(p) for p in patches), name=name)


def mutated_sources(mutant: Mutant) -> dict[str, object]:
    """``{module: code object}`` of the mutant."""
    if mutant.patches:
        texts: dict[str, str] = {}
        for module, old, new in mutant.patches:
            texts[module] = texts.get(module, module_path(module).read_text()).replace(old, new, 1)
        return {m: compile(t, str(module_path(m)), "exec") for m, t in texts.items()}
    path = module_path(mutant.module)
    tree = ast.parse(path.read_text())
    _mutate(tree, mutant.site, mutant.variant)
    return {mutant.module: compile(tree, str(path), "exec")}


# ---------------------------------------------------------------------------------------------- running


class _Hook(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the mutated code of some modules; every other import goes the usual way."""

    def __init__(self, codes: dict[str, object]):
        self.codes = codes

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.codes:
            return None
        origin = str(module_path(fullname))
        spec = importlib.machinery.ModuleSpec(fullname, self, origin=origin)
        spec.has_location = True
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__file__ = module.__spec__.origin
        exec(self.codes[module.__name__], module.__dict__)


class _FirstFailure:
    """pytest plugin: the node id of the first failing test (the one that killed the mutant)."""

    def __init__(self):
        self.failed: str | None = None

    def pytest_runtest_logreport(self, report):
        if report.failed and self.failed is None:
            self.failed = report.nodeid

    def pytest_collectreport(self, report):
        if report.failed and self.failed is None:
            self.failed = f"{report.nodeid} (collection)"


class _TestsFirst:
    """pytest plugin: run the tests whose node ids are listed first, in that order, the rest after them in their
    collected order (the tests likeliest to kill a mutant first, so that ``-x`` stops early)."""

    def __init__(self, first: list[str]):
        self.rank = {nodeid: i for i, nodeid in enumerate(dict.fromkeys(first))}

    def pytest_collection_modifyitems(self, session, config, items):
        items.sort(key=lambda item: self.rank.get(item.nodeid, len(self.rank)))


@dataclass
class Outcome:
    """What running one mutant (or a baseline) gave."""

    status: str  # killed | survived | timeout | error
    seconds: float
    killed_by: str | None = None
    rc: int | None = None


@dataclass
class Job:
    key: str
    codes_of: Callable[[], dict[str, object]]
    tests: list[str]
    timeout: float
    extra: dict = field(default_factory=dict)
    #: called in the fork, at its start: node ids to run first (the parent's knowledge when it forks)
    first: Callable[[], list[str]] | None = None


def _imports_of(name: str, mod) -> set[str]:
    """The ``sc_neurocore`` modules ``name`` imports anywhere in its source (relative imports resolved)."""
    try:
        tree = ast.parse(Path(mod.__file__).read_text())
    except (OSError, TypeError, SyntaxError):
        return set()
    pkg = name if Path(mod.__file__).name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = pkg
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            mod_name = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
            out.add(mod_name)
            out |= {f"{mod_name}.{a.name}" for a in node.names}
    return {m for m in out if m.startswith("sc_neurocore")}


def _purge(targets) -> None:
    """Drop the targets and every loaded ``sc_neurocore`` module that imports one (transitively) from
    ``sys.modules``: the next import takes the hook; the modules that do not depend on a target stay loaded."""
    loaded = {n: m for n, m in sys.modules.items() if n == "sc_neurocore" or n.startswith("sc_neurocore.")}
    deps = {n: _IMPORTS.get(n, set()) for n in loaded}
    gone = set(targets)
    changed = True
    while changed:
        changed = False
        for n, d in deps.items():
            if n not in gone and d & gone:
                gone.add(n)
                changed = True
    for n in gone:
        sys.modules.pop(n, None)


#: ``{module: sc_neurocore modules it imports}`` of the modules :func:`preload` loaded.
_IMPORTS: dict[str, set[str]] = {}


def preload(package_modules=()) -> None:
    """Import the heavy third-party modules once, in the parent (each fork inherits them), and the
    package's modules (each fork drops those that depend on its mutated module, :func:`_purge`)."""
    import importlib

    for name in package_modules:
        importlib.import_module(name)
    for name, mod in list(sys.modules.items()):
        if name == "sc_neurocore" or name.startswith("sc_neurocore."):
            _IMPORTS[name] = _imports_of(name, mod)
    import _hypothesis_pytestplugin  # noqa: F401
    import amaranth.hdl  # noqa: F401
    import amaranth.lib.data  # noqa: F401
    import amaranth.lib.memory  # noqa: F401
    import amaranth.lib.stream  # noqa: F401
    import amaranth.lib.wiring  # noqa: F401
    import amaranth.sim  # noqa: F401
    import hypothesis  # noqa: F401
    import numpy  # noqa: F401
    import pytest  # noqa: F401

    # the forks share these objects copy-on-write; frozen, pytest's gc.collect() calls in each fork skip them
    gc.freeze()


#: The data segment a mutant's fork may use (bytes; ``RLIMIT_DATA``): past it an allocation raises ``MemoryError``.
CHILD_MEMORY = 6 << 30


def _child(job: Job, result_path: str, log_path: str) -> None:
    """In the fork: hook the mutated modules in, run the tests, report, ``_exit``."""
    rc, plugin = 3, _FirstFailure()
    try:
        # a mutant that loops while it allocates (csd_digits' value | 3) must fail its test with a MemoryError,
        # not bring in the machine's OOM killer (which may pick another process than the fork)
        resource.setrlimit(resource.RLIMIT_DATA, (CHILD_MEMORY, CHILD_MEMORY))
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.chdir(ROOT)
        codes = job.codes_of()
        _purge(codes)
        sys.meta_path.insert(0, _Hook(codes))
        from hypothesis import Phase, settings

        # repeatable, and a failing example is reported as found: shrinking it would only cost time
        settings.register_profile("mutants", derandomize=True, database=None, deadline=None, print_blob=False,
                                   max_examples=30, phases=[Phase.explicit, Phase.reuse, Phase.generate])
        settings.load_profile("mutants")
        import pytest

        # no plugin autoload (reading every package's entry points costs more than most tests), no assertion
        # rewriting (a killed mutant needs no diff): only the hypothesis plugin, the one the tests use
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        plugins = [plugin] + ([_TestsFirst(job.first())] if job.first is not None else [])
        rc = int(pytest.main(["-q", "-x", "-p", "no:cacheprovider", "-p", "_hypothesis_pytestplugin",
                              "--assert=plain", "-W", "ignore", *job.tests], plugins=plugins))
    except BaseException as exc:  # noqa: BLE001 - a mutant that breaks even the hook counts as an error
        print(f"mutation child: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        with open(result_path, "w") as fh:
            json.dump({"rc": rc, "failed": plugin.failed}, fh)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _status(rc: int | None) -> str:
    # pytest: 0 passed, 1 tests failed, 2 interrupted (a collection error: the mutated module breaks on
    # import, which the tests do see), 3 internal error, 4 usage error, 5 no tests collected
    return {0: "survived", 1: "killed", 2: "killed"}.get(rc, "error")


def run_jobs(jobs: list[Job], *, workers: int = 1, progress: Callable[[str, Outcome, int, int], None] | None = None,
             log_dir: Path | None = None) -> dict[str, Outcome]:
    """Run every job in a fork, ``workers`` at a time; a job past its ``timeout`` is killed (status ``timeout``)."""
    tmp = Path(tempfile.mkdtemp(prefix="sc_mutants_"))
    log_dir = log_dir or tmp
    pending = list(reversed(jobs))
    running: dict[int, tuple[Job, float, Path]] = {}
    out: dict[str, Outcome] = {}
    done = 0
    while pending or running:
        while pending and len(running) < workers:
            job = pending.pop()
            res = tmp / f"{len(out) + len(running)}.json"
            log = log_dir / f"{_slug(job.key)}.log"
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                _child(job, str(res), str(log))
            running[pid] = (job, time.perf_counter(), res)
        time.sleep(0.01)
        for pid, (job, t0, res) in list(running.items()):
            elapsed = time.perf_counter() - t0
            waited, status = os.waitpid(pid, os.WNOHANG)
            if waited == 0:
                if elapsed > job.timeout:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    out[job.key] = Outcome("timeout", elapsed)
                else:
                    continue
            else:
                try:
                    data = json.loads(res.read_text())
                except (OSError, ValueError):
                    data = {"rc": None, "failed": None}
                st = _status(data["rc"])
                out[job.key] = Outcome(st, elapsed, data["failed"] if st == "killed" else None, data["rc"])
            del running[pid]
            done += 1
            if progress is not None:
                progress(job.key, out[job.key], done, len(jobs))
    return out


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)[-120:]


def run_mutants(mutants: list[Mutant], tests_of: Callable[[Mutant], list[str]], timeout_of: Callable[[Mutant], float],
                *, workers: int = 1, progress=None, log_dir: Path | None = None,
                first_of: Callable[[Mutant], list[str]] | None = None) -> dict[str, Outcome]:
    """Run each mutant against its test subset; ``{mutant id: Outcome}``.  ``first_of(mutant)``, called in the
    mutant's fork as it starts: the node ids of its subset to run first (the rest follow in collected order)."""
    jobs = [Job(m.id, (lambda m=m: mutated_sources(m)), tests_of(m), timeout_of(m),
                first=None if first_of is None else (lambda m=m: first_of(m))) for m in mutants]
    out = run_jobs(jobs, workers=workers, progress=progress, log_dir=log_dir)
    # a timeout on a busy machine may be load, not a hung mutant: once more with three times the time
    again = [Job(j.key, j.codes_of, j.tests, 3 * j.timeout, first=j.first) for j in jobs
             if out[j.key].status == "timeout"]
    if again:
        out.update(run_jobs(again, workers=workers, progress=progress, log_dir=log_dir))
    return out


def baseline(tests: list[str], *, timeout: float = 600.0, log_dir: Path | None = None) -> Outcome:
    """The unmutated run of a test subset (it must pass: a mutant is killed only relative to it)."""
    return run_jobs([Job("baseline " + " ".join(tests), dict, tests, timeout)], log_dir=log_dir)[
        "baseline " + " ".join(tests)]


def as_dict(m: Mutant) -> dict:
    d = asdict(m)
    d.pop("patches")
    return d


def iter_modules(names) -> Iterator[tuple[str, Path]]:
    for name in names:
        yield name, module_path(name)
