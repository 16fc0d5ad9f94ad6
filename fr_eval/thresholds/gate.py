"""A pass/fail gate for CI: judge a run against a policy of rules.

Policy file (YAML)::

    threshold: 0.6          # optional: judge at this threshold instead of the run's operated one
    bound: ci               # optional: point (default) or ci -- judge on the 95% bound, not the value
    rules:
      - {metric: fpir, max: 0.001}
      - {metric: tpir, min: 0.8}
      - {metric: alerts_per_hour, max: 2}
      - {metric: fpir, by: gender, max_group_ratio: 1.5}
      - {metric: precision, min: 0.5, bound: point}     # a rule may override the bound

``metric`` is any counting method id (``fr-eval score --help`` and docs/methods.md
list them) or ``alerts_per_hour``.  With ``bound: ci`` a ``max`` rule passes
only if the upper 95% bound is at most the limit, and a ``min`` rule only if
the lower bound is at least it: a small sample cannot pass a strict policy by
luck.  A ``max_group_ratio`` rule compares the highest group's rate with the
lowest's (on the bounds: the highest group's upper bound over the lowest
group's lower bound).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fr_eval.store.atomic import write_bytes
from fr_eval.errors import InputError
from fr_eval.counting.methods import METHODS, compute
from fr_eval.counting.statistics import RunStatistics
from fr_eval.counting.rates import Rate

POLICY_KEYS = {"threshold", "bound", "rules", "name", "description"}
RULE_KEYS = {"metric", "max", "min", "max_group_ratio", "by", "bound", "name"}
EXTRA_METRICS = ("alerts_per_hour",)


@dataclass
class Rule:
    metric: str
    max: float | None = None
    min: float | None = None
    max_group_ratio: float | None = None
    by: str | None = None
    bound: str = "point"
    name: str = ""

    def describe(self) -> str:
        if self.max_group_ratio is not None:
            text = f"{self.metric} ratio between {self.by} groups <= {self.max_group_ratio:g}"
        elif self.max is not None:
            text = f"{self.metric} <= {self.max:g}"
        else:
            text = f"{self.metric} >= {self.min:g}"
        return text + (" (on the 95% bound)" if self.bound == "ci" else "")


@dataclass
class Policy:
    rules: list[Rule]
    threshold: float | None = None
    name: str = "policy"


@dataclass
class Verdict:
    rule: Rule
    passed: bool
    observed: str
    reason: str

    def line(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}  {self.rule.name or self.rule.describe()}: {self.reason}"


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; any unknown key or metric is an InputError naming it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: policy file does not exist")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list) or not raw["rules"]:
        raise InputError(f"{path}: a policy needs a non-empty list of rules", hint="see docs/formats.md#policy-file")
    unknown = set(raw) - POLICY_KEYS
    if unknown:
        raise InputError(f"{path}: unknown key {sorted(unknown)[0]!r}", hint=f"known keys: {', '.join(sorted(POLICY_KEYS))}")
    default_bound = raw.get("bound", "point")
    if default_bound not in ("point", "ci"):
        raise InputError(f"{path}: bound {default_bound!r} must be point or ci")
    threshold = raw.get("threshold")
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))):
        raise InputError(f"{path}: threshold must be a number, got {threshold!r}")
    known = sorted(METHODS) + list(EXTRA_METRICS)
    rules = []
    for i, r in enumerate(raw["rules"]):
        where = f"{path}: rules[{i}]"
        if not isinstance(r, dict):
            raise InputError(f"{where}: expected a mapping like {{metric: fpir, max: 0.001}}")
        bad = set(r) - RULE_KEYS
        if bad:
            raise InputError(f"{where}: unknown key {sorted(bad)[0]!r}", hint=f"known keys: {', '.join(sorted(RULE_KEYS))}")
        metric = r.get("metric")
        if metric not in known:
            raise InputError(f"{where}: unknown metric {metric!r}", hint=f"known metrics: {', '.join(known)}")
        limits = [k for k in ("max", "min", "max_group_ratio") if r.get(k) is not None]
        if len(limits) != 1:
            raise InputError(f"{where}: give exactly one of max, min and max_group_ratio")
        value = r[limits[0]]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise InputError(f"{where}: {limits[0]} must be a non-negative number, got {value!r}")
        if limits[0] == "max_group_ratio" and not r.get("by"):
            raise InputError(f"{where}: max_group_ratio needs by (e.g. by: gender)")
        if limits[0] == "max_group_ratio" and metric in EXTRA_METRICS:
            raise InputError(f"{where}: {metric} has no per-group ratio; use a counting method")
        bound = r.get("bound", default_bound)
        if bound not in ("point", "ci"):
            raise InputError(f"{where}: bound {bound!r} must be point or ci")
        rules.append(Rule(metric, r.get("max"), r.get("min"), r.get("max_group_ratio"), r.get("by"), bound,
                          str(r.get("name") or "")))
    return Policy(rules, float(threshold) if threshold is not None else None, str(raw.get("name") or path.stem))


def judge(stats: RunStatistics, policy: Policy, *, ci: str = "clopper-pearson") -> list[Verdict]:
    """One verdict per rule."""
    from fr_eval.counting.groups import breakdown
    from fr_eval.counting.statistics import at_threshold, to_funnel
    from fr_eval.thresholds.sweep import poisson_rate

    if policy.threshold is not None:
        low, high = _similarity_range(stats)
        if not low <= policy.threshold <= high:
            raise InputError(f"policy threshold {policy.threshold:g} is outside the matcher's similarity range "
                             f"[{low:g}, {high:g}]")
        stats = at_threshold(stats, policy.threshold)
    funnel = to_funnel(stats)
    out = []
    for rule in policy.rules:
        if rule.max_group_ratio is not None:
            b = breakdown(stats, rule.metric, rule.by, ci=ci)
            ratio = b.ratio_bound() if rule.bound == "ci" else b.max_ratio
            if ratio is None:
                out.append(Verdict(rule, False, "-", f"fewer than two {rule.by} groups with passages to compare"))
                continue
            parts = ", ".join(f"{g} {r.numerator}/{r.denominator}" for g, r in b.rates.items() if isinstance(r, Rate))
            ok = ratio <= rule.max_group_ratio
            out.append(Verdict(rule, ok, f"{ratio:.3g}", f"ratio {ratio:.3g} ({parts})"
                               + ("" if ok else f" exceeds {rule.max_group_ratio:g}")))
            continue
        if rule.metric == "alerts_per_hour":
            hours = funnel.get("footage_hours")
            if not hours:
                raise InputError("alerts_per_hour needs the footage duration, which this run does not record")
            v, lo, hi = poisson_rate(int(funnel.get("alerts") or 0), hours)
            shown = f"{v:.3g} per hour [{lo:.3g}, {hi:.3g}]"
        else:
            r = compute(rule.metric, funnel, ci=ci)
            if not isinstance(r, Rate):
                raise InputError(f"rule {rule.describe()!r}: {rule.metric} cannot be computed on this run: {r.reason}",
                                 hint="this metric needs truth or adjudication the run does not have")
            if not r.denominator:
                out.append(Verdict(rule, False, "undefined", f"{r.numerator}/0: nothing to count"))
                continue
            v, (lo, hi) = r.value, r.ci95
            shown = f"{r.numerator}/{r.denominator} = {v:.3%} [{lo:.3%}, {hi:.3%}]"
        judged = (hi if rule.max is not None else lo) if rule.bound == "ci" else v
        if rule.max is not None:
            ok = judged <= rule.max
            why = f"{shown}" + ("" if ok else f" {'upper bound ' if rule.bound == 'ci' else ''}above {rule.max:g}")
        else:
            ok = judged >= rule.min
            why = f"{shown}" + ("" if ok else f" {'lower bound ' if rule.bound == 'ci' else ''}below {rule.min:g}")
        out.append(Verdict(rule, bool(ok), shown, why))
    return out


def _similarity_range(stats: RunStatistics) -> tuple[float, float]:
    rng = ((stats.manifest or {}).get("matcher") or {}).get("similarity_range")
    return (float(rng[0]), float(rng[1])) if rng else (-math.inf, math.inf)


def junit_xml(verdicts: list[Verdict], *, suite: str, signature: str) -> bytes:
    """JUnit XML: one test case per rule, a <failure> for each failed one."""
    ts = ET.Element("testsuite", name=f"fr-eval gate: {suite}", tests=str(len(verdicts)),
                    failures=str(sum(not v.passed for v in verdicts)), errors="0")
    props = ET.SubElement(ts, "properties")
    ET.SubElement(props, "property", name="signature", value=signature)
    for v in verdicts:
        case = ET.SubElement(ts, "testcase", classname="fr_eval.thresholds.gate", name=v.rule.name or v.rule.describe())
        if not v.passed:
            ET.SubElement(case, "failure", message=v.reason).text = v.reason
        ET.SubElement(case, "system-out").text = v.reason
    return ET.tostring(ts, encoding="utf-8", xml_declaration=True)


def write_junit(path: str | Path, verdicts: list[Verdict], *, suite: str, signature: str) -> None:
    write_bytes(path, junit_xml(verdicts, suite=suite, signature=signature))


def summary(verdicts: list[Verdict]) -> dict[str, Any]:
    return {"passed": all(v.passed for v in verdicts),
            "rules": [{"rule": v.rule.name or v.rule.describe(), "passed": v.passed, "observed": v.observed,
                       "reason": v.reason} for v in verdicts]}
