"""Every benchmark still imports what it uses (they run on demand, so a moved module would go unnoticed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize("path", sorted(BENCH.glob("*.py")), ids=lambda p: p.name)
def test_benchmark_module_imports(path):
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)          # module level only: main() runs under __name__ == "__main__"
    helper = path.name == "scale_store.py"   # a library of scale.py, not a benchmark of its own
    assert helper or callable(getattr(module, "main", None)), f"{path.name} has no main()"
