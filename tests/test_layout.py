"""The package's layout shows the flow, and no module imports against it (no import cycles).

Stages, in order: store -> inputs -> replay -> counting -> thresholds -> report -> synth -> api -> cli.  A
module may import from its own stage or an earlier one, never a later one; ``errors`` and ``signature`` are
shared by all.  The test reads every ``import`` of every module (functions included), so a late import
cannot hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "fr_eval"
ORDER = ["store", "inputs", "replay", "counting", "thresholds", "report", "synth", "api", "cli"]
SHARED = {"errors", "signature", "__init__", "__main__"}


def stage(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "fr_eval" or len(parts) == 1:
        return None
    return parts[1]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    known = set(modules())
    return {m for m in out if m in known}


def modules() -> dict[str, Path]:
    out = {}
    for p in ROOT.rglob("*.py"):
        rel = p.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def test_no_relative_imports_and_no_import_against_the_flow():
    bad = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text())
        if any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree)):
            bad.append(f"{name}: relative import")
        mine = stage(name)
        if mine in SHARED or mine is None:
            if mine in ("errors", "signature"):
                for imp in imports(path):
                    if stage(imp) not in SHARED | {None}:
                        bad.append(f"{name} (shared) imports {imp}")
            continue
        for imp in imports(path):
            theirs = stage(imp)
            if theirs in SHARED or theirs is None or theirs == mine:
                continue
            if ORDER.index(theirs) > ORDER.index(mine):
                bad.append(f"{name} ({mine}) imports {imp} ({theirs}), a later stage")
    assert not bad, "\n".join(bad)


def test_no_import_cycles_between_modules():
    mods = modules()
    graph = {name: {i for i in imports(path) if i in mods and i != name} for name, path in mods.items()}
    # a package's __init__ is not an edge of its submodules
    graph = {k: {v for v in vs if not k.startswith(v + ".")} for k, vs in graph.items()}
    seen, stack, cycles = set(), [], []

    def visit(n):
        if n in stack:
            cycles.append(stack[stack.index(n):] + [n])
            return
        if n in seen:
            return
        seen.add(n)
        stack.append(n)
        for m in sorted(graph[n]):
            visit(m)
        stack.pop()

    for n in sorted(graph):
        visit(n)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_every_stage_folder_exists_and_modules_stay_readable():
    for s in ORDER[:-2]:
        if s == "synth":
            continue
        assert (ROOT / s).is_dir() or (ROOT / f"{s}.py").is_file(), s
    long = {str(p.relative_to(ROOT)): n for p in ROOT.rglob("*.py") if (n := len(p.read_text().splitlines())) > 700}
    assert not long, f"modules past 700 lines are the ones you have to search: {long}"
