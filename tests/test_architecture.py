"""The layers of ``placebased/`` and the rule between them, checked on the source (imports inside
functions count too).

    package root (errors, _paths, _atomic, _input_limits, safety, categories)  <  io  <  stats  <  score
    <  outputs  <  pipeline (the orchestration) and access  <  commands, cli

A module may import its own layer and the layers below it. ``outputs`` draw what the orchestration computed:
they may import the package root, ``io`` and other outputs, never ``stats``, ``score`` or ``pipeline``.
``KNOWN`` lists the imports that still break the rule (the debt to pay off, see docs/architecture.md); the
test fails on any import that breaks it and is not listed, and on a listed one that has been fixed, so the
list only shrinks.
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
