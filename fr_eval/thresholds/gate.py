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

from fr_eval.counting.counter import funnel
from fr_eval.counting.methods import EXTRA_METRICS, METHODS, compute
from fr_eval.counting.rates import EventRate, Rate, format_rate
from fr_eval.counting.signing import signature_for
from fr_eval.counting.statistics import RunStatistics
from fr_eval.errors import InputError
from fr_eval.inputs.yamlfile import load_yaml
from fr_eval.signature import number
from fr_eval.store.atomic import write_bytes
from fr_eval.thresholds.sweep import check_thresholds

POLICY_KEYS = {"threshold", "bound", "rules", "name", "description"}
RULE_KEYS = {"metric", "max", "min", "max_group_ratio", "by", "bound", "name"}


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
            text = f"{self.metric} ratio between {self.by} groups <= {number(self.max_group_ratio)}"
        elif self.max is not None:
            text = f"{self.metric} <= {number(self.max)}"
        else:
            text = f"{self.metric} >= {number(self.min)}"
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
    raw = load_yaml(path, what="policy file")
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list) or not raw["rules"]:
        raise InputError(f"{path}: a policy needs a non-empty list of rules", hint="see docs/formats.md#policy-file")
    unknown = set(raw) - POLICY_KEYS
    if unknown:
        raise InputError(f"{path}: unknown key {sorted(unknown)[0]!r}",
                         hint=f"known keys: {', '.join(sorted(POLICY_KEYS))}")
    default_bound = raw.get("bound", "point")
    if default_bound not in ("point", "ci"):
        raise InputError(f"{path}: bound {default_bound!r} must be point or ci")
    threshold = raw.get("threshold")
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))
                                  or not math.isfinite(threshold)):
        raise InputError(f"{path}: threshold must be a number, got {threshold!r}")
    known = sorted(METHODS) + list(EXTRA_METRICS)
    rules = []
    for i, r in enumerate(raw["rules"]):
        where = f"{path}: rules[{i}]"
        if not isinstance(r, dict):
            raise InputError(f"{where}: expected a mapping like {{metric: fpir, max: 0.001}}")
        bad = set(r) - RULE_KEYS
        if bad:
            raise InputError(f"{where}: unknown key {sorted(bad)[0]!r}",
                             hint=f"known keys: {', '.join(sorted(RULE_KEYS))}")
        metric = r.get("metric")
        if metric not in known:
            raise InputError(f"{where}: unknown metric {metric!r}", hint=f"known metrics: {', '.join(known)}")
        limits = [k for k in ("max", "min", "max_group_ratio") if r.get(k) is not None]
        if len(limits) != 1:
            raise InputError(f"{where}: give exactly one of max, min and max_group_ratio")
        value = r[limits[0]]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise InputError(f"{where}: {limits[0]} must be a non-negative number, got {value!r}")
        if r.get("by") is not None and not isinstance(r.get("by"), str):
            raise InputError(f"{where}: by must be a column name, got {r.get('by')!r}")
        if r.get("name") is not None and not isinstance(r.get("name"), str):
            raise InputError(f"{where}: name must be text, got {r.get('name')!r}")
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


@dataclass
class Judgement:
    """A policy's verdicts on one run, at the threshold it was judged at, with the signature of that."""

    verdicts: list[Verdict]
    threshold: float
    signature: str

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)


def judge(stats: RunStatistics, policy: Policy, *, ci: str = "clopper-pearson") -> Judgement:
    """One verdict per rule, at the policy's threshold (default: the run's operated one)."""
    from fr_eval.counting.groups import breakdown

    th = stats.threshold if policy.threshold is None else float(policy.threshold)
    if policy.threshold is not None:
        import numpy as np

        check_thresholds(stats, np.array([th]))
    f = funnel(stats, th)
    out = []
    for rule in policy.rules:
        if rule.max_group_ratio is not None:
            b = breakdown(stats, rule.metric, rule.by or "", threshold=th, ci=ci)
            ratio = b.ratio()
            if ratio is None:
                out.append(Verdict(rule, False, "-", f"fewer than two {rule.by} groups with passages to compare"))
                continue
            value = ratio.bound if rule.bound == "ci" else ratio.value
            parts = ", ".join(f"{g} {r.numerator}/{r.denominator}" for g, r in b.rates.items() if isinstance(r, Rate))
            ok = value <= rule.max_group_ratio
            shown = "inf" if math.isinf(value) else f"{value:.3g}"
            out.append(Verdict(rule, ok, shown, f"ratio {shown} ({parts})"
                               + ("" if ok else f" exceeds {number(rule.max_group_ratio)}")))
            continue
        if rule.metric == "alerts_per_hour":
            hours = f.get("footage_hours")
            if not hours:
                raise InputError("alerts_per_hour needs the footage duration, which this run does not record")
            er = EventRate.of("alerts_per_hour", int(f.get("alerts") or 0), hours)
            v, (lo, hi) = er.value, er.ci95
            shown = format_rate(er)
        else:
            r = compute(rule.metric, f, ci=ci)
            if not isinstance(r, Rate):
                raise InputError(f"rule {rule.describe()!r}: {rule.metric} cannot be computed on this run: {r.reason}",
                                 hint="this metric needs truth or adjudication the run does not have")
            if not r.denominator:
                out.append(Verdict(rule, False, "undefined", f"{r.numerator}/0: nothing to count"))
                continue
            v, (lo, hi) = r.value, r.ci95
            shown = format_rate(r)
        judged = (hi if rule.max is not None else lo) if rule.bound == "ci" else v
        if rule.max is not None:
            ok = judged <= rule.max
            why = f"{shown}" + ("" if ok else f" {'upper bound ' if rule.bound == 'ci' else ''}above "
                                              f"{number(rule.max)}")
        else:
            ok = judged >= (rule.min or 0.0)
            why = f"{shown}" + ("" if ok else f" {'lower bound ' if rule.bound == 'ci' else ''}below "
                                              f"{number(rule.min)}")
        out.append(Verdict(rule, bool(ok), shown, why))
    return Judgement(out, th, signature_for(stats, threshold=th, ci=ci).short())


def junit_xml(judgement: Judgement, *, suite: str) -> bytes:
    """JUnit XML: one test case per rule (a <failure> for each failed one), each carrying the signature."""
    verdicts = judgement.verdicts
    ts = ET.Element("testsuite", name=f"fr-eval gate: {suite}", tests=str(len(verdicts)),
                    failures=str(sum(not v.passed for v in verdicts)), errors="0")
    props = ET.SubElement(ts, "properties")
    ET.SubElement(props, "property", name="signature", value=judgement.signature)
    ET.SubElement(props, "property", name="threshold", value=number(judgement.threshold))
    for v in verdicts:
        case = ET.SubElement(ts, "testcase", classname="fr_eval.gate", name=v.rule.name or v.rule.describe())
        cprops = ET.SubElement(case, "properties")
        ET.SubElement(cprops, "property", name="signature", value=judgement.signature)
        if not v.passed:
            ET.SubElement(case, "failure", message=v.reason).text = v.reason
        ET.SubElement(case, "system-out").text = f"{v.reason}\n{v.rule.metric}|{judgement.signature}"
    return ET.tostring(ts, encoding="utf-8", xml_declaration=True)


def write_junit(path: str | Path, judgement: Judgement, *, suite: str) -> None:
    """Write the JUnit XML atomically; its folder must exist (nothing is created on the way)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"{path}: folder {path.parent} does not exist", hint="create it first, or give another path")
    write_bytes(path, junit_xml(judgement, suite=suite))


def summary(judgement: Judgement) -> dict[str, Any]:
    return {"passed": judgement.passed, "threshold": judgement.threshold, "signature": judgement.signature,
            "rules": [{"rule": v.rule.name or v.rule.describe(), "passed": v.passed, "observed": v.observed,
                       "reason": v.reason, "signature": f"{v.rule.metric}|{judgement.signature}"}
                      for v in judgement.verdicts]}
