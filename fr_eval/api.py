"""The Python API: one function per command, returning data; the command line only renders what it returns.

Everything ``fr-eval`` prints is available here, so a notebook can do what the CLI does::

    from fr_eval import api
    rec = api.reconcile("datasets/published/essex-2019.yaml")
    rec.rate("verified_precision").format()          # '8/42 = 19.0% [8.6%, 34.1%] per alert'
    res = api.sweep("runs/demo", at=[0.5, 0.6], by=["camera"])
    res.sweep.point(0.6).rates["tpir"]

Each function loads its inputs, refuses bad ones with :class:`fr_eval.errors.InputError` (one line, exit 2
at the command line), and calls the stage modules; none of them counts anything itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # imported where used: a counts file is answered without NumPy, pandas or SciPy
    from fr_eval.counting.groups import Breakdown
    from fr_eval.counting.reconcile import Reconciliation
    from fr_eval.counting.score import Scores
    from fr_eval.counting.side_by_side import SideBySide
    from fr_eval.thresholds.compare import Comparison
    from fr_eval.thresholds.gate import Judgement, Policy
    from fr_eval.thresholds.sweep import Sweep
    from fr_eval.thresholds.targets import ThresholdChoice


def load(path: str | Path, *, plants_only: bool = False, strict: bool = False):
    """A run folder as :class:`~fr_eval.counting.statistics.RunStatistics`, a counts file as a Funnel."""
    from fr_eval.counting.load import load_source

    return load_source(path, plants_only=plants_only, strict=strict)


def score(runs: Sequence[str | Path], *, plants_only: bool = False, ci: str = "clopper-pearson",
          cluster_by: str = "subject", seed: int = 0, strict: bool = False, progress: bool = False) -> Scores:
    """Every counting method on one run, or per deployment and overall on several."""
    from fr_eval.counting.score import score_runs

    return score_runs(runs, plants_only=plants_only, ci=ci, cluster_by=cluster_by, seed=seed, strict=strict,
                      progress=progress)


def reconcile(source: str | Path, *, ci: str = "clopper-pearson", plants_only: bool = False,
              cluster_by: str = "subject", seed: int = 0, strict: bool = False) -> Reconciliation:
    """Every party's number from a run or a counts file, the waterfall, the base rate and the claims."""
    from fr_eval.counting.reconcile import reconcile as run

    return run(source, ci=ci, plants_only=plants_only, cluster_by=cluster_by, seed=seed, strict=strict)


def reconcile_many(sources: Sequence[str | Path], *, ci: str = "clopper-pearson", plants_only: bool = False,
                   cluster_by: str = "subject", seed: int = 0, strict: bool = False) -> SideBySide:
    """Several deployments side by side: each reconciled as :func:`reconcile` does, lined up by method.

    >>> sbs = reconcile_many(["datasets/published/essex-2019.yaml", "datasets/published/npl-2023.yaml"])
    >>> sbs.cell("verified_precision", 0).format()             # doctest: +SKIP
    '8/42 = 19.0% [8.6%, 34.1%] per alert'
    """
    from fr_eval.counting.side_by_side import side_by_side

    return side_by_side(sources, ci=ci, plants_only=plants_only, cluster_by=cluster_by, seed=seed, strict=strict)


@dataclass
class SweepResult:
    sweep: Sweep
    targets: list[ThresholdChoice] = field(default_factory=list)
    groups: list[Breakdown] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**self.sweep.to_dict(), "targets": [t.to_dict() for t in self.targets],
                "groups": [g.to_dict() for g in self.groups]}


def sweep(run: str | Path, *, thresholds: int = 15, at: Sequence[float] = (), target_fpir: float | None = None,
          target_tpir: float | None = None, on: str = "point", by: Sequence[str] = (),
          plants_only: bool = False, ci: str = "clopper-pearson", strict: bool = False) -> SweepResult:
    """Every counting method at many thresholds; optionally the thresholds that meet targets and
    breakdowns by group (at the operated threshold, or at each ``at`` threshold when one is given)."""
    from fr_eval.counting.groups import breakdown
    from fr_eval.counting.load import load_statistics
    from fr_eval.thresholds.sweep import sweep as run_sweep
    from fr_eval.thresholds.targets import threshold_for_target

    stats = load_statistics(run, plants_only=plants_only, strict=strict)
    s = run_sweep(stats, list(at) if at else thresholds, ci=ci)
    targets = []
    if target_fpir is not None:
        targets.append(threshold_for_target(stats, target_fpir=target_fpir, on=on, ci=ci))
    if target_tpir is not None:
        targets.append(threshold_for_target(stats, target_tpir=target_tpir, on=on, ci=ci))
    group_thresholds = list(at) if at else [stats.threshold]
    groups = [breakdown(stats, m, b, threshold=t, ci=ci) for t in group_thresholds for b in by
              for m in ("tpir", "fpir", "precision")]
    return SweepResult(s, targets, groups)


def compare(run_a: str | Path, run_b: str | Path, *, allow_mismatch: bool = False, ci: str = "clopper-pearson",
            strict: bool = False) -> Comparison:
    """Two runs side by side, with paired McNemar tests (their signatures must count the same thing)."""
    from fr_eval.counting.load import load_statistics
    from fr_eval.thresholds.compare import compare as run_compare

    return run_compare(load_statistics(run_a, strict=strict), load_statistics(run_b, strict=strict),
                       allow_mismatch=allow_mismatch, ci=ci)


def gate(run: str | Path, policy: str | Path | Policy, *, ci: str = "clopper-pearson",
         strict: bool = False) -> tuple[Policy, Judgement]:
    """A run judged against a policy file (at the policy's threshold, if it names one)."""
    from fr_eval.counting.load import load_statistics
    from fr_eval.thresholds.gate import Policy, judge, load_policy

    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    return pol, judge(load_statistics(run, strict=strict), pol, ci=ci)


def verify(run: str | Path) -> list[str]:
    """Every problem of a run folder; empty when every part is as sealed."""
    from fr_eval.store.runs import verify_run

    return verify_run(run)


def report(source: str | Path, out: str | Path, *, fmt: str | None = None, redact: bool = True,
           command: str | None = None, review: str | Path | None = None) -> Path:
    """Render the audit report of a run or a counts file (PDF or HTML), written whole or not at all; ``review``
    is the reviewer's statement (Markdown or YAML), shown after the findings with its SHA-256 in the provenance."""
    from fr_eval.report import write_report

    return write_report(source, out, fmt=fmt, redact=redact, command=command, review=review)


def import_scores(files: str | Path | Sequence[str | Path], out: str | Path, *, fmt: str | None = None,
                  threshold: float | None = None, top_k: int = 10, deployment_id: str | None = None,
                  overwrite: bool = False, command: str | None = None):
    """A score list (verification or open-set identification) as a sealed run folder every command reads
    (:func:`fr_eval.replay.scorelist_import.import_scorelist`); returns the result with its manifest.

    ``threshold`` None: the list's EER threshold (:func:`fr_eval.thresholds.summary.default_threshold`).
    """
    from fr_eval.inputs.scorelists import read_scorelist
    from fr_eval.replay.scorelist_import import import_scorelist
    from fr_eval.thresholds.summary import default_threshold

    paths = [files] if isinstance(files, (str, Path)) else list(files)
    sl = read_scorelist([str(p) for p in paths], fmt)
    source = "given" if threshold is not None else "eer"
    t = float(threshold) if threshold is not None else default_threshold(sl)
    return import_scorelist(sl, out, threshold=t, threshold_source=source, top_k=top_k,
                            deployment_id=deployment_id, overwrite=overwrite, command=command)


def metrics(source: str | Path | Sequence[str | Path], *, fmt: str | None = None, fta: str = "count",
            ci: str = "clopper-pearson", seed: int = 0, n_boot: int = 1000, fmr_targets: Sequence[float] = (),
            fnmr_targets: Sequence[float] = (), fpir_targets: Sequence[float] = (),
            identification: bool | None = None, strict: bool = False):
    """EER, ROCCH-EER, AUC, FNMR @ FMR, FMR @ FNMR, FNIR @ FPIR, DIR and CMC, each with its counts and interval,
    of a score file (two for pyeer) or of a run imported from one (:class:`fr_eval.thresholds.summary.Summary`).

    >>> s = metrics("tests/data/parity/bob/dev-1.txt", n_boot=0)      # doctest: +SKIP
    >>> s.eer.value, s.auc.value                                     # doctest: +SKIP
    """
    from fr_eval.thresholds import summary as s

    targets = {"fmr_targets": tuple(fmr_targets) or s.DEFAULT_FMR_TARGETS,
               "fnmr_targets": tuple(fnmr_targets) or s.DEFAULT_FNMR_TARGETS,
               "fpir_targets": tuple(fpir_targets) or s.DEFAULT_FPIR_TARGETS}
    paths = [source] if isinstance(source, (str, Path)) else list(source)
    if len(paths) == 1 and Path(paths[0]).is_dir():
        from fr_eval.counting.load import load_statistics

        return s.summarize_run(load_statistics(paths[0], strict=strict), fta=fta, ci=ci, seed=seed, n_boot=n_boot,
                               **targets)
    from fr_eval.inputs.scorelists import read_scorelist

    return s.summarize(read_scorelist([str(p) for p in paths], fmt), fta=fta, ci=ci, seed=seed, n_boot=n_boot,
                       identification=identification, **targets)
