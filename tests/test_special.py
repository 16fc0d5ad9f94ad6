"""The plain-Python incomplete beta and gamma inverses against SciPy, and a counts file answered without
NumPy, pandas or SciPy (the import-time budget of docs/performance.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from scipy import special as sp

from conftest import ROOT
from fr_eval.counting import special
from fr_eval.counting.intervals import clopper_pearson, poisson_exact

NS = (1, 2, 3, 5, 8, 13, 42, 100, 1_000, 8_600, 12_120, 100_000, 3_147_436, 10_000_000)


def _pairs():
    for n in NS:
        for k in sorted({0, 1, 2, 3, 7, 8, 10, n // 3, n // 2, n - 1, n}):
            if 0 <= k <= n:
                yield k, n


@pytest.mark.parametrize("k,n", list(_pairs()))
def test_clopper_pearson_bounds_match_scipy(k, n):
    lo, hi = clopper_pearson(k, n)
    ref_lo = 0.0 if k == 0 else float(sp.betaincinv(k, n - k + 1, 0.025))
    ref_hi = 1.0 if k == n else float(sp.betaincinv(k + 1, n - k, 0.975))
    assert lo == pytest.approx(ref_lo, rel=1e-9, abs=1e-300)
    assert hi == pytest.approx(ref_hi, rel=1e-9)


@pytest.mark.parametrize("a", [1, 2, 3, 5, 7, 10, 11, 50, 100, 1_315, 10_000, 1_000_000])
@pytest.mark.parametrize("p", [0.025, 0.5, 0.975])
def test_gammaincinv_matches_scipy(a, p):
    assert special.gammaincinv(a, p) == pytest.approx(float(sp.gammaincinv(a, p)), rel=1e-10)


@pytest.mark.parametrize("a,b,x", [(0.5, 0.5, 0.3), (2, 3, 0.999), (30, 40, 0.42), (1e-3, 5, 0.2), (7, 8600, 1e-3)])
def test_betainc_matches_scipy(a, b, x):
    assert special.betainc(a, b, x) == pytest.approx(float(sp.betainc(a, b, x)), rel=1e-11)


def test_poisson_exact_matches_chi_square():
    from scipy.stats import chi2

    lo, hi = poisson_exact(7, 8600)
    assert lo == pytest.approx(chi2.ppf(0.025, 14) / 2 / 8600, rel=1e-10)
    assert hi == pytest.approx(chi2.ppf(0.975, 16) / 2 / 8600, rel=1e-10)


def test_the_inverses_fail_when_the_function_is_wrong(monkeypatch):
    """The comparison can fail: a deliberately wrong incomplete beta moves the bound."""
    good = clopper_pearson(8, 42)
    monkeypatch.setattr(special, "betainc", lambda a, b, x: min(1.0, 1.01 * sp.betainc(a, b, x)))
    assert clopper_pearson(8, 42) != pytest.approx(good, rel=1e-6)


SCRIPT = """
import json, sys
import fr_eval.cli
try:
    fr_eval.cli.main(sys.argv[1:])
except SystemExit as e:
    code = e.code
heavy = sorted(m for m in ("numpy", "pandas", "scipy", "scipy.stats", "scipy.special", "matplotlib", "pyarrow")
               if m in sys.modules)
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [
    ["reconcile", "datasets/published/essex-2019.yaml"],
    ["reconcile", "--json", "datasets/published/met-oxford-circus-2020-02-27.yaml"],
    ["reconcile", "datasets/published/essex-2019.yaml", "datasets/published/npl-2023.yaml"],
])
def test_a_counts_file_is_answered_without_numpy_pandas_or_scipy(args):
    done = subprocess.run([sys.executable, "-c", SCRIPT, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    result = json.loads(done.stderr.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr
    assert result["heavy"] == [], f"imported {result['heavy']} for a counts file"
    assert "verified_precision" in done.stdout or "tpir" in done.stdout
