"""The floors of the house, enforced (docs/architecture.md draws them).

Every import of ours (``shared.*``, ``functions.*``) goes to the importer's own package or a
lower floor; contracts import nothing of ours but the error tree; providers fetch and nothing
else; no stage imports a sibling stage (only the shells compose stages); and there is no import
cycle, between packages or between modules. The checks read the source with ``ast``, so a
lazy import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Bottom to top. A package may import its own modules and any package on a lower floor.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("shared.errors",),
    ("shared.contracts",),
    ("shared.config", "shared.settings", "shared.clock", "shared.gitinfo"),
    ("shared.reason_codes", "shared.datadir"),
    ("shared.providers", "shared.features", "shared.sentiment", "shared.evaluation",
     "shared.render", "shared.store", "shared.bots"),
    ("shared.notify", "shared.signal", "shared.alerts"),
    ("shared.universe", "shared.readiness", "shared.schemas", "shared.monitor"),
    ("shared.pipeline",),
    ("shared.backtest",),
    ("shared.execution",),
    ("functions.backtest", "functions.check", "functions.eval", "functions.sentiment",
     "functions.study", "functions.tracer", "functions.universe"),
    ("functions.simulate",),
    ("functions.cli",),
    ("functions.docs",),
)
# The shells: they compose stages (the schedule simulator runs tb run and tb eval hour by
# hour; the CLI runs every stage; the docs generator reads the CLI's help).
SHELLS = frozenset(("functions.simulate", "functions.cli", "functions.docs"))
PROVIDER_MUST_NOT = ("shared.features", "shared.signal", "shared.bots", "shared.pipeline",
                     "shared.universe", "shared.evaluation", "shared.store", "shared.render",
                     "functions")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, str]:
    """Module name → source, for every module of ours."""
    return {_module_name(p): p.read_text(encoding="utf-8")
            for base in ("shared", "functions") for p in sorted((ROOT / base).rglob("*.py"))}


def imports_of(source: str, *, top_level_only: bool = False) -> set[str]:
    """Names of ours that ``source`` imports (``from a.b import c`` gives ``a.b`` and
    ``a.b.c``; the caller keeps the ones that are modules)."""
    tree = ast.parse(source)
    nodes: Iterable[ast.AST] = tree.body if top_level_only else ast.walk(tree)
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from a.b import c``: the module a.b.c if c is one, else a.b (resolved by the
            # caller, which knows the modules).
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in ("shared", "functions")}


def module_graph(mods: Mapping[str, str], *, top_level_only: bool = False
                 ) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, source in mods.items():
        targets = set()
        for imported in imports_of(source, top_level_only=top_level_only):
            while imported and imported not in mods:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and imported not in ("shared", "functions"):
                targets.add(imported)  # (the bare roots hold no code)
        graph[name] = targets
    return graph


def package_of(module: str) -> str:
    """``shared.pipeline.decide`` → ``shared.pipeline``; top-level modules are their own."""
    return ".".join(module.split(".")[:2])


def floor_of(package: str) -> int:
    for level, packages in enumerate(FLOORS):
        if package in packages:
            return level
    raise KeyError(package)


def floor_violations(graph: Mapping[str, set[str]]) -> list[str]:
    out = []
    for module, targets in sorted(graph.items()):
        source = package_of(module)
        for target in sorted(targets):
            dest = package_of(target)
            if dest != source and floor_of(dest) >= floor_of(source):
                out.append(f"{module} imports {target}: {dest} is not below {source}")
    return out


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_graph(graph: Mapping[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for module, targets in graph.items():
        source = package_of(module)
        out.setdefault(source, set()).update(
            package_of(t) for t in targets if package_of(t) != source)
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return module_graph(sources())


def test_every_package_has_a_floor(graph: dict[str, set[str]]) -> None:
    unplaced = sorted({package_of(m) for m in graph} - {p for f in FLOORS for p in f}
                      - {"shared", "functions"})
    assert unplaced == [], f"place these packages on a floor in FLOORS: {unplaced}"


def test_every_import_goes_down(graph: dict[str, set[str]]) -> None:
    assert floor_violations(graph) == []


def test_contracts_import_nothing_of_ours_but_the_error_tree(
        graph: dict[str, set[str]]) -> None:
    bad = [f"{m} imports {t}" for m, ts in sorted(graph.items()) if package_of(m) in (
        "shared.contracts", "shared.errors") for t in sorted(ts)
        if package_of(t) not in ("shared.contracts", "shared.errors")]
    assert bad == []


def test_providers_fetch_and_nothing_else(graph: dict[str, set[str]]) -> None:
    bad = [f"{m} imports {t}" for m, ts in sorted(graph.items())
           if package_of(m) == "shared.providers" for t in sorted(ts)
           if t.startswith(PROVIDER_MUST_NOT)]
    assert bad == []


def test_no_stage_imports_a_sibling_stage(graph: dict[str, set[str]]) -> None:
    bad = []
    for module, targets in sorted(graph.items()):
        stage = package_of(module)
        if not module.startswith("functions.") or stage in SHELLS:
            continue
        bad.extend(f"{module} imports {t}" for t in sorted(targets)
                   if t.startswith("functions.") and package_of(t) != stage)
    assert bad == []


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    assert cycles(package_graph(graph)) == []
    # Between modules, imports at import time (a lazy import inside a function is how a
    # module defers an optional dependency, not how it hides a cycle: those count above).
    assert cycles(module_graph(sources(), top_level_only=True)) == []


def test_the_checks_catch_an_upward_import_a_sibling_stage_and_a_cycle() -> None:
    mods = sources()
    mods["shared.contracts.market"] += "\nfrom shared.pipeline import decide_symbol\n"
    mods["functions.study.run"] += "\nfrom functions.tracer.run import run\n"
    graph = module_graph(mods)
    assert any("shared.contracts.market imports shared.pipeline" in v
               for v in floor_violations(graph))
    with pytest.raises(AssertionError):
        test_contracts_import_nothing_of_ours_but_the_error_tree(graph)
    with pytest.raises(AssertionError):
        test_no_stage_imports_a_sibling_stage(graph)
    assert cycles(package_graph(graph))  # contracts → pipeline → contracts
