"""Compare two runs on the same footage: two matchers, two thresholds, two software versions.

Every counting method side by side with the difference, and exact McNemar
tests on the pairs the two runs share:

* **passages**: for each watchlisted passage, did each run raise a correct
  alert?  For each non-watchlist passage, did each run raise an alert?  Only
  discordant passages (one run yes, the other no) carry information; under
  "no difference" they split 50/50, so the p-value is a two-sided binomial test
  on the discordant counts.
* **alerts**: an alert is identified by (passage, subject) — or (track, subject)
  for tracks linked to no passage — and each run either raised it or not.

Runs whose signatures differ in what is counted (inputs, adjudication,
interval, plants-only) are refused -- their passages are not the same people
-- unless ``allow_mismatch`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fr_eval.counting.counter import funnel, passage_outcomes
from fr_eval.counting.methods import compute_all, result_dict
from fr_eval.counting.rates import Difference, Rate
from fr_eval.counting.signing import signature_for
from fr_eval.counting.statistics import RunStatistics
from fr_eval.errors import InputError
from fr_eval.signature import COMPARE_SAME, FIELDS


@dataclass
class McNemar:
    what: str
    a_only: int        # yes in run A, no in run B
    b_only: int
    both: int
    neither: int
    p_value: float

    @property
    def significant(self) -> bool:
        return self.p_value < 0.05

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "significant": self.significant}


def mcnemar(a: np.ndarray, b: np.ndarray, what: str) -> McNemar:
    """Exact McNemar test of two paired yes/no outcomes."""
    from scipy import stats as sps

    a, b = np.asarray(a, bool), np.asarray(b, bool)
    a_only, b_only = int((a & ~b).sum()), int((~a & b).sum())
    n = a_only + b_only
    p = 1.0 if n == 0 else float(sps.binomtest(a_only, n, 0.5).pvalue)
    return McNemar(what, a_only, b_only, int((a & b).sum()), int((~a & ~b).sum()), p)


@dataclass
class Comparison:
    a: str                              # signature of run A
    b: str
    rows: list[dict[str, Any]]
    tests: list[McNemar]
    footage_same: bool
    notes: list[str]
    differs: list[str] = field(default_factory=list)     # signature fields that differ (what is compared)

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "footage_same": self.footage_same, "differs": self.differs,
                "methods": self.rows, "tests": [t.to_dict() for t in self.tests], "notes": self.notes}


def check_same_footage(a: RunStatistics, b: RunStatistics) -> list[str]:
    """Footage files whose hashes differ between the two runs (empty: same footage)."""
    def footage(st):
        m = st.manifest or {}
        files = m.get("inputs", {}).get("files", {})
        return {f["path"]: files.get(f["path"]) for f in m.get("footage", [])}

    fa, fb = footage(a), footage(b)
    return sorted(p for p in set(fa) | set(fb) if fa.get(p) != fb.get(p))


def compare(a: RunStatistics, b: RunStatistics, *, allow_mismatch: bool = False,
            ci: str = "clopper-pearson") -> Comparison:
    """Methods side by side (B - A, with Newcombe's interval) and McNemar tests on shared passages and alerts.

    The two runs' signatures must agree on what is counted -- the same inputs (footage, watchlist, truth),
    the same adjudication, interval and ``--plants-only`` (:data:`fr_eval.signature.COMPARE_SAME`) -- and may
    differ in what is compared (matcher, threshold, sampling, top-k, fr-eval version).

    Raises
    ------
    InputError
        When the signatures differ in a field of :data:`~fr_eval.signature.COMPARE_SAME` (named), unless
        ``allow_mismatch``.
    """
    sa, sb = signature_for(a, ci=ci), signature_for(b, ci=ci)
    longs = {name: long for name, _, long in FIELDS}
    mismatch = [longs[f] for f in COMPARE_SAME if getattr(sa, f) != getattr(sb, f)]
    differing = check_same_footage(a, b)
    notes = []
    if mismatch:
        if not allow_mismatch:
            detail = f" ({differing[0]} differs)" if differing else ""
            raise InputError(f"the runs' signatures differ in {', '.join(mismatch)}{detail}: they do not count the "
                             "same thing", hint="compare runs of one bundle, or pass --allow-mismatch")
        notes.append(f"signatures differ in {', '.join(mismatch)}: the paired tests pair passages by id only")
    ra = {r.id: r for r in compute_all(funnel(a), ci=ci)}
    rb = {r.id: r for r in compute_all(funnel(b), ci=ci)}
    rows = []
    for mid in ra:
        x, y = ra[mid], rb.get(mid)
        row: dict[str, Any] = {"id": mid, "a": result_dict(x), "b": result_dict(y) if y is not None else None,
                               "difference": None}
        if isinstance(x, Rate) and isinstance(y, Rate) and x.denominator and y.denominator:
            row["difference"] = Difference.of(x, y).to_dict()
        rows.append(row)
    tests = []
    if a.has_truth and b.has_truth:
        pa = passage_outcomes(a).set_index("passage_id")
        pb = passage_outcomes(b).set_index("passage_id")
        shared = pa.index.intersection(pb.index)
        if len(shared) < len(pa) or len(shared) < len(pb):
            notes.append(f"{len(shared)} passages in common ({len(pa)} in A, {len(pb)} in B)")
        w = pa.loc[shared, "watchlisted"].astype(bool).to_numpy()
        sw, sn = shared[w], shared[~w]
        tests.append(mcnemar(pa.loc[sw, "alerted_correct"], pb.loc[sw, "alerted_correct"],
                             "watchlisted passages with a correct alert"))
        tests.append(mcnemar(pa.loc[sn, "alerted_false"], pb.loc[sn, "alerted_false"],
                             "non-watchlist passages with an alert"))
    ka, kb = _alert_keys(a), _alert_keys(b)
    keys = sorted(ka | kb)
    if keys:
        tests.append(mcnemar(np.array([k in ka for k in keys]), np.array([k in kb for k in keys]),
                             "alerts (same passage and subject)"))
    return Comparison(sa.short(), sb.short(), rows, tests, not differing, notes, sa.differences(sb))


def _alert_keys(st: RunStatistics) -> set[tuple[str, str]]:
    al = st.alerts
    if not len(al):
        return set()
    where = al["passage_id"].astype("object").where(al["passage_id"].notna(), "track:" + al["track_id"].astype(str))
    return set(zip(where.astype(str), al["subject_id"].astype(str)))
