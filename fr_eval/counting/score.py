"""Score one or several runs with every counting method.

One run: every method on the run's funnel, intervals as asked (a bootstrap resamples whole subjects).
Several runs: every method per deployment, and overall on the summed funnel with a cluster bootstrap
**by deployment**, since deployments (place, day, light, crowd) are the unit that varies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fr_eval.counting.counter import cluster_funnels, funnel
from fr_eval.counting.funnel import Funnel
from fr_eval.counting.methods import compute_all, result_dict
from fr_eval.counting.rates import Result
from fr_eval.counting.signing import signature_for
from fr_eval.counting.statistics import RunStatistics, coverage_notes
from fr_eval.errors import InputError
from fr_eval.signature import Signature


@dataclass
class RunCounts:
    """What scoring keeps of one run: its counts, not its rows.

    Reducing each run to this as soon as it is read is what keeps scoring a year of deployments in bounded
    memory: one run's rows at a time.
    """

    deployment: str
    signature: Signature
    inputs: str | None
    funnel: Funnel
    clusters: dict[str, Funnel]
    linking: str = ""
    coverage: list[str] = field(default_factory=list)


@dataclass
class Scores:
    """Every method per deployment (runs of one deployment pooled) and, with several deployments, overall."""

    per_deployment: dict[str, list[Result]]
    funnels: dict[str, Funnel]
    signatures: dict[str, list[Signature]]
    ci_method: str
    linking: dict[str, list[str]] = field(default_factory=dict)
    overall: list[Result] | None = None
    overall_funnel: Funnel | None = None
    overall_ci_method: str | None = None

    def signature(self, deployment: str) -> str:
        return " + ".join(dict.fromkeys(s.short() for s in self.signatures[deployment]))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ci_method": self.ci_method,
            "deployments": [{"id": k, "signature": self.signature(k),
                             "signature_fields": [s.to_dict() for s in self.signatures[k]],
                             "methods": [result_dict(r) | {"signature": f"{r.id}|{self.signature(k)}"} for r in v],
                             "counts": self.funnels[k].counts(), "linking": self.linking.get(k, [])}
                            for k, v in self.per_deployment.items()],
        }
        if self.overall is not None:
            out["overall"] = {"ci_method": self.overall_ci_method, "clusters": "deployment",
                              "methods": [result_dict(r) for r in self.overall],
                              "counts": self.overall_funnel.counts() if self.overall_funnel else {}}
        return out


def summarise(stats: RunStatistics, *, ci: str = "clopper-pearson", cluster_by: str = "subject", seed: int = 0,
              with_clusters: bool = False) -> RunCounts:
    """Reduce a run's statistics to its counts (and per-cluster counts for a bootstrap)."""
    m = stats.manifest or {}
    sig = signature_for(stats, ci=ci, seed=seed, cluster_by=cluster_by if ci == "bootstrap" else None)
    return RunCounts(stats.deployment, sig, sig.inputs if m.get("inputs") else None, funnel(stats),
                     cluster_funnels(stats, cluster_by) if with_clusters else {},
                     stats.linking.summary() if stats.has_truth else "", coverage_notes(stats))


def score(statistics: Sequence[RunStatistics | RunCounts], *, ci: str = "clopper-pearson",
          cluster_by: str = "subject", seed: int = 0) -> Scores:
    """Every counting method on each run's statistics, and overall when there are several.

    Parameters
    ----------
    statistics : one :class:`RunStatistics` (see :func:`fr_eval.counting.load.load_statistics`) or
        :class:`RunCounts` (see :func:`summarise`) per run.
    ci : interval for the per-deployment figures: ``clopper-pearson``, ``wilson`` or ``bootstrap``
        (clusters by ``cluster_by``: ``subject`` or ``camera``).
    seed : bootstrap seed.

    Returns
    -------
    Scores
        ``overall`` (several runs only) uses a cluster bootstrap by deployment.
    """
    groups: dict[str, list[RunCounts]] = {}
    for st in statistics:
        if isinstance(st, RunStatistics):
            st = summarise(st, ci=ci, cluster_by=cluster_by, seed=seed, with_clusters=ci == "bootstrap")
        groups.setdefault(st.deployment, []).append(st)
    per, funnels, sigs, linking = {}, {}, {}, {}
    # deployments, runs and clusters in one canonical order: the order of the files given changes no number
    for key in sorted(groups):
        runs = sorted(groups[key], key=lambda r: (r.inputs or "", r.signature.short()))
        _refuse_repeats(key, runs)
        total = Funnel.total([r.funnel for r in runs], id=key) if len(runs) > 1 else runs[0].funnel
        clusters = None
        if ci == "bootstrap":
            merged: dict[str, Funnel] = {}
            for r in runs:
                for ck, cf in r.clusters.items():
                    merged[ck] = merged[ck] + cf if ck in merged else cf
            clusters = [merged[k] for k in sorted(merged)]
        per[key] = compute_all(total, ci=ci, clusters=clusters, seed=seed)
        funnels[key] = total
        sigs[key] = [r.signature for r in runs]
        linking[key] = [r.linking for r in runs if r.linking] + [c for r in runs for c in r.coverage]
    result = Scores(per, funnels, sigs, ci, linking)
    if len(per) > 1:
        overall = Funnel.total(funnels.values(), id="overall")
        result.overall = compute_all(overall, ci="bootstrap", clusters=list(funnels.values()), seed=seed)
        result.overall_funnel = overall
        result.overall_ci_method = "bootstrap"
    return result


def _refuse_repeats(deployment: str, runs: Sequence[RunCounts]) -> None:
    """Runs of one deployment are pooled (e.g. cameras replayed apart), but the same inputs twice are refused."""
    seen: dict[str, int] = {}
    for i, st in enumerate(runs):
        h = st.inputs
        if h is None:
            continue
        if h in seen:
            raise InputError(f"deployment {deployment!r}: runs {seen[h] + 1} and {i + 1} replay the same inputs",
                             hint="pooling them would count every passage twice; compare them with `fr-eval compare`")
        seen[h] = i


def score_runs(runs: Iterable[str | Path], *, plants_only: bool = False, ci: str = "clopper-pearson",
               cluster_by: str = "subject", seed: int = 0, strict: bool = False, progress: bool = False) -> Scores:
    """Load each run folder, reduce it to its counts, and :func:`score` them.

    Runs are read one at a time and only their counts are kept, so memory is bounded by the largest single
    run, not by the number of runs.
    """
    from fr_eval.counting.load import load_statistics

    runs = list(runs)
    if progress:
        from tqdm import tqdm

        runs_iter: Iterable[str | Path] = tqdm(runs, desc="scoring runs", unit="run")
    else:
        runs_iter = runs
    counts = [summarise(load_statistics(r, plants_only=plants_only, strict=strict), ci=ci, cluster_by=cluster_by,
                        seed=seed, with_clusters=ci == "bootstrap") for r in runs_iter]
    return score(counts, ci=ci, cluster_by=cluster_by, seed=seed)
