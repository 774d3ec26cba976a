"""The layers of ``placebased/`` and the rule between them, checked on the source (imports inside
functions count too).

    package root (errors, _paths, _atomic, _input_limits, safety, categories)  <  io  <  stats  <  score
    <  outputs  <  pipeline (the orchestration) and access  <  commands, cli

A module may import its own layer and the layers below it. ``outputs`` draw what the orchestration computed:
they may import the package root, ``io`` and other outputs, never ``stats``, ``score`` or ``pipeline``.
``KNOWN`` lists the imports that still break the rule (the debt to pay off, see docs/architecture.md); the
test fails on any import that breaks it and is not listed, and on a listed one that has been fixed, so the
list only shrinks.

Two more rules, with lists of the same kind (``KNOWN_ENTRY``, ``KNOWN_LAZY``):

* **Entry points call the orchestration.** ``app.py``, ``appcache.py``, ``appauth.py``, ``views/*.py``,
  ``placebased/cli.py`` and ``placebased/commands/*.py`` import from ``placebased`` only the package root
  (incl. ``names``), ``io`` (readers, writers), ``outputs`` (drawing), the orchestration (``pipeline``,
  ``profile_record``, ``config``, ``access``) and, for commands, ``commands._common``; the computations in
  ``stats/`` and ``score/`` are reached through the orchestration.
* **Imports inside functions only for optional heavy dependencies.** A function-local import in
  ``placebased/`` names a module of ``HEAVY_DEPENDENCIES`` (measured with ``python -X importtime``: each
  costs a second or more, or is an optional extra) or a ``placebased`` module that imports one of them at
  module level, directly or through other modules. ``cli.py`` and the modules it imports at module level
  (``config``, ``errors``) are exempt: ``placebased --help`` must start without pandas.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "placebased"

ROOT_MODULES = {"placebased", "placebased.errors", "placebased._paths", "placebased._atomic",
                "placebased._input_limits", "placebased.safety", "placebased.categories", "placebased.names"}
RANK = {"root": 0, "io": 1, "stats": 2, "score": 3, "outputs": 4, "orchestration": 5, "entry": 6}

# imports that still break the rule (importer -> imported); remove a line when its import is gone
KNOWN: set[tuple[str, str]] = set()

# import loops that remain (each a set of modules importing one another, inside functions); same rule
KNOWN_CYCLES: set[frozenset[str]] = set()

#: entry points (files outside the package, named like modules) and the package's own
APP_FILES = ("app.py", "appcache.py", "appauth.py", "views")
#: the layers an entry point may import from placebased
ENTRY_MAY_IMPORT = {"root", "io", "outputs", "orchestration", "entry"}

# entry-point imports of stats/ or score/ still to move behind the orchestration (importer -> imported)
KNOWN_ENTRY: set[tuple[str, str]] = set()

#: optional or heavy third-party modules (top-level names) that may be imported inside a function:
#: seconds each to import on the CI machine (scipy.stats, libpysal, esda, numba, statsmodels, sklearn,
#: spopt, spreg, mapclassify, folium), matplotlib and the PDF/image stack, or optional extras (database,
#: browser tests, the pygeoda cross-check, the Leaflet assets)
HEAVY_DEPENDENCIES = {
    "matplotlib", "reportlab", "statsmodels", "scipy", "pyarrow", "spopt", "spreg", "pulp", "sklearn", "pygeoda",
    "psycopg", "sqlalchemy", "playwright", "libpysal", "esda", "numba", "mapclassify", "folium", "PIL", "pypdf",
    "js_lib_leaflet",
}

# imports inside functions still to hoist to module level (module -> imported); same only-shrinks rule
KNOWN_LAZY: set[tuple[str, str]] = set()


def layer(mod: str) -> str:
    if mod in ROOT_MODULES:
        return "root"
    part = mod.split(".")[1]
    if part in ("io", "stats", "score", "outputs"):
        return part
    if part in ("pipeline", "access", "profile_record", "config"):
        return "orchestration"
    if part in ("commands", "cli"):
        return "entry"
    raise AssertionError(f"{mod}: not in any layer; add it to a subpackage or to the rule in this test")


def modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = list(p.relative_to(PKG.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def imports_of(mod: str, path: Path, known: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                cand = f"{target}.{alias.name}"
                found.add(cand if cand in known else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return {t for t in found if t in known and t != mod and not mod.startswith(t + ".") and t != "placebased"}


def breaks_rule(importer: str, imported: str) -> bool:
    a, b = layer(importer), layer(imported)
    if a == "outputs" and b in ("stats", "score", "orchestration", "entry"):
        return True
    return RANK[b] > RANK[a]


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: imports_of(m, p, mods) for m, p in mods.items()}


def test_every_module_is_in_a_layer():
    for mod in modules():
        layer(mod)


def test_imports_follow_the_layers():
    bad = {(a, b) for a, deps in graph().items() for b in deps if breaks_rule(a, b)}
    new = sorted(bad - KNOWN)
    fixed = sorted(KNOWN - bad)
    assert not new, "imports that break the layer rule (see docs/architecture.md):\n" + "\n".join(
        f"  {a} imports {b}" for a, b in new)
    assert not fixed, "fixed, so take them out of KNOWN:\n" + "\n".join(f"  {a} -> {b}" for a, b in fixed)


def cycles(g: dict[str, set[str]]) -> set[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: set[frozenset[str]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.add(frozenset(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_no_new_import_loops():
    found = cycles(graph())
    new = [sorted(c) for c in found - KNOWN_CYCLES]
    assert not new, f"import loops (imports inside functions count): {new}"
    fixed = [sorted(c) for c in KNOWN_CYCLES - found]
    assert not fixed, f"loops gone or changed, update KNOWN_CYCLES: {fixed}"


def test_the_rule_catches_a_break():
    assert breaks_rule("placebased.io.areas", "placebased.stats.weights")
    assert breaks_rule("placebased.outputs.report", "placebased.stats.hotspots")
    assert not breaks_rule("placebased.pipeline", "placebased.outputs.report")
    assert not breaks_rule("placebased.score.scoring", "placebased.stats.hotspots")
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == {frozenset({"a", "b"})}


def test_no_import_streamlit_inside_the_package():
    for mod in modules():
        text = modules()[mod].read_text(encoding="utf-8")
        assert "import streamlit" not in text, f"{mod} imports streamlit; the UI lives in app.py and views/"


# ---------------------------------------------------------------------------------------------
# entry points call the orchestration


def entry_points() -> dict[str, Path]:
    """The app's files (named ``app``, ``views.priority``, ...), ``placebased.cli`` and the commands."""
    root = PKG.parent
    out = {m: p for m, p in modules().items() if layer(m) == "entry"}
    for name in APP_FILES:
        path = root / name
        files = sorted(path.glob("*.py")) if path.is_dir() else [root / name]
        for f in files:
            parts = list(f.relative_to(root).with_suffix("").parts)
            out[".".join(parts)] = f
    return out


def entry_breaks() -> set[tuple[str, str]]:
    mods = modules()
    bad = set()
    for mod, path in entry_points().items():
        for target in imports_of(mod, path, mods):
            if layer(target) not in ENTRY_MAY_IMPORT:
                bad.add((mod, target))
    return bad


def test_entry_points_call_the_orchestration():
    bad = entry_breaks()
    new = sorted(bad - KNOWN_ENTRY)
    fixed = sorted(KNOWN_ENTRY - bad)
    assert not new, ("entry points reach stats/ or score/ directly; call placebased.pipeline (or read the "
                     "name list from placebased.names) instead:\n" + "\n".join(f"  {a} imports {b}" for a, b in new))
    assert not fixed, "fixed, so take them out of KNOWN_ENTRY:\n" + "\n".join(f"  {a} -> {b}" for a, b in fixed)


# ---------------------------------------------------------------------------------------------
# imports inside functions only for optional heavy dependencies


def _in_functions(tree: ast.AST) -> tuple[list[ast.stmt], list[ast.stmt]]:
    """Import statements at module level (class bodies included) and inside functions."""
    top: list[ast.stmt] = []
    local: list[ast.stmt] = []

    def walk(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                (local if inside else top).append(child)
            walk(child, inside or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    walk(tree, False)
    return top, local


def _targets(mod: str, path: Path, node: ast.stmt, known: dict[str, Path]) -> set[str]:
    """Modules an import statement names: a placebased module, or a third-party module's top-level name."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif node.level:
        base = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
        names = [f"{target}.{a.name}" if f"{target}.{a.name}" in known else target for a in node.names]
    else:
        target = node.module or ""
        names = [f"{target}.{a.name}" if f"{target}.{a.name}" in known else target for a in node.names]
    return {n if n in known else n.split(".")[0] for n in names}


def heavy_modules() -> set[str]:
    """The placebased modules whose import loads a heavy dependency (module-level imports, transitively)."""
    mods = modules()
    direct: dict[str, set[str]] = {}
    for mod, path in mods.items():
        top, _local = _in_functions(ast.parse(path.read_text(encoding="utf-8")))
        direct[mod] = set().union(*(_targets(mod, path, n, mods) for n in top)) if top else set()
    heavy = {m for m, deps in direct.items() if deps & HEAVY_DEPENDENCIES}
    changed = True
    while changed:
        changed = False
        for m, deps in direct.items():
            if m not in heavy and deps & heavy:
                heavy.add(m)
                changed = True
    return heavy


def light_modules() -> set[str]:
    """``placebased.cli`` and the placebased modules it loads at module level (they must stay light)."""
    mods = modules()
    todo, seen = ["placebased.cli"], set()
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        top, _local = _in_functions(ast.parse(mods[m].read_text(encoding="utf-8")))
        for n in top:
            todo.extend(t for t in _targets(m, mods[m], n, mods) if t in mods)
        todo.extend(p for p in mods if m.startswith(p + ".") and p in mods)  # parent packages run first
    return seen


def lazy_breaks() -> set[tuple[str, str]]:
    mods = modules()
    heavy = heavy_modules()
    light = light_modules()
    bad = set()
    for mod, path in mods.items():
        if mod in light:
            continue
        _top, local = _in_functions(ast.parse(path.read_text(encoding="utf-8")))
        for node in local:
            for t in _targets(mod, path, node, mods):
                if t not in HEAVY_DEPENDENCIES and t not in heavy:
                    bad.add((mod, t))
    return bad


def test_imports_inside_functions_are_of_heavy_dependencies_only():
    bad = lazy_breaks()
    new = sorted(bad - KNOWN_LAZY)
    fixed = sorted(KNOWN_LAZY - bad)
    assert not new, ("imports inside functions of modules that are neither optional nor heavy; import them at "
                     "module level (no import loop is left):\n" + "\n".join(f"  {a}: {b}" for a, b in new))
    assert not fixed, "hoisted, so take them out of KNOWN_LAZY:\n" + "\n".join(f"  {a}: {b}" for a, b in fixed)


def test_the_entry_and_lazy_rules_see_their_cases():
    assert "placebased.stats.weights" in heavy_modules()  # libpysal
    assert "placebased.names" not in heavy_modules()
    assert {"placebased.cli", "placebased.config", "placebased.errors"} <= light_modules()
    assert "views.priority" in entry_points() and "placebased.commands.map" in entry_points()
    tree = ast.parse("import os\ndef f():\n    import pandas\n    class A:\n        import json\n")
    top, local = _in_functions(tree)
    assert len(top) == 1 and len(local) == 2
