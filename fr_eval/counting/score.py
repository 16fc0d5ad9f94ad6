"""Score one or several replay runs with every counting method.

One run: every method on the run's funnel, intervals as asked (a bootstrap
resamples whole subjects).  Several runs: every method per deployment, and
overall on the summed funnel with a cluster bootstrap **by deployment**, since
deployments (place, day, light, crowd) are the unit that varies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from fr_eval.counting.funnel import Funnel
from fr_eval.counting.methods import Unavailable, compute_all, result_dict
from fr_eval.counting.statistics import RunStatistics, load_statistics, to_funnel
from fr_eval.counting.rates import Rate


@dataclass
class Scores:
    """Every method per deployment (runs of one deployment pooled) and, with several deployments, overall."""

    per_deployment: dict[str, list[Rate | Unavailable]]
    funnels: dict[str, Funnel]
    signatures: dict[str, str]
    ci_method: str
    overall: list[Rate | Unavailable] | None = None
    overall_funnel: Funnel | None = None
    overall_ci_method: str | None = None
    statistics: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "ci_method": self.ci_method,
            "deployments": [{"id": k, "signature": self.signatures[k],
                             "methods": [result_dict(r) for r in v], "counts": self.funnels[k].counts()}
                            for k, v in self.per_deployment.items()],
        }
        if self.overall is not None:
            out["overall"] = {"ci_method": self.overall_ci_method, "clusters": "deployment",
                              "methods": [result_dict(r) for r in self.overall],
                              "counts": self.overall_funnel.counts() if self.overall_funnel else {}}
        return out


@dataclass
class RunCounts:
    """What scoring keeps of one run: its counts, not its rows.

    Reducing each run to this as soon as it is read is what keeps scoring a
    year of deployments in bounded memory: one run's rows at a time.
    """

    deployment: str
    signature: str
    inputs: str | None
    funnel: Funnel
    clusters: dict[str, Funnel]


def summarise(stats: RunStatistics, *, cluster_by: str = "subject", with_clusters: bool = False) -> RunCounts:
    """Reduce a run's statistics to its counts (and per-cluster counts for a bootstrap)."""
    from fr_eval.signature import inputs_hash

    m = stats.manifest or {}
    return RunCounts(stats.deployment, stats.signature, inputs_hash(m) if m.get("inputs") else None,
                     to_funnel(stats), to_funnel(stats, by=cluster_by) if with_clusters else {})


def score(statistics: Sequence[RunStatistics | RunCounts], *, ci: str = "clopper-pearson",
          cluster_by: str = "subject", seed: int = 0) -> Scores:
    """Every counting method on each run's statistics, and overall when there are several.

    Parameters
    ----------
    statistics : one :class:`RunStatistics` (see :func:`fr_eval.counting.statistics.load_statistics`) or
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
    stats_by: dict[str, Any] = {}
    for st in statistics:
        if isinstance(st, RunStatistics):
            stats_by.setdefault(st.deployment, []).append(st)
            st = summarise(st, cluster_by=cluster_by, with_clusters=ci == "bootstrap")
        groups.setdefault(st.deployment, []).append(st)
    per, funnels, sigs = {}, {}, {}
    for key, runs in groups.items():
        _refuse_repeats(key, runs)
        funnel = Funnel.total([r.funnel for r in runs], id=key) if len(runs) > 1 else runs[0].funnel
        clusters = None
        if ci == "bootstrap":
            merged: dict[str, Funnel] = {}
            for r in runs:
                for ck, cf in r.clusters.items():
                    merged[ck] = merged[ck] + cf if ck in merged else cf
            clusters = list(merged.values())
        per[key] = compute_all(funnel, ci=ci, clusters=clusters, seed=seed)
        funnels[key] = funnel
        sigs[key] = " + ".join(dict.fromkeys(r.signature for r in runs))
    stats_by = {k: (v[0] if len(v) == 1 else v) for k, v in stats_by.items()}
    result = Scores(per, funnels, sigs, ci, statistics=stats_by)
    if len(per) > 1:
        total = Funnel.total(funnels.values(), id="overall")
        result.overall = compute_all(total, ci="bootstrap", clusters=list(funnels.values()), seed=seed)
        result.overall_funnel = total
        result.overall_ci_method = "bootstrap"
    return result


def _refuse_repeats(deployment: str, runs: Sequence[RunCounts]) -> None:
    """Runs of one deployment are pooled (e.g. cameras replayed apart), but the same footage twice is refused."""
    from fr_eval.errors import InputError

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
               cluster_by: str = "subject", seed: int = 0, progress: bool = False) -> Scores:
    """Load each run folder, reduce it to its counts, and :func:`score` them.

    Runs are read one at a time and only their counts are kept, so memory is
    bounded by the largest single run, not by the number of runs.
    """
    runs = list(runs)
    if progress:
        from tqdm import tqdm

        runs_iter = tqdm(runs, desc="scoring runs", unit="run")
    else:
        runs_iter = runs
    counts = [summarise(load_statistics(r, plants_only=plants_only), cluster_by=cluster_by,
                        with_clusters=ci == "bootstrap") for r in runs_iter]
    return score(counts, ci=ci, cluster_by=cluster_by, seed=seed)
