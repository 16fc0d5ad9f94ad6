"""A simulated operator, so that synthetic runs have the whole Essex-style funnel.

For every alert of a replayed synthetic run, in time order:

1. **review**: the operator judges the alert credible with probability
   ``1 / (1 + exp(-(similarity - reject_below) / softness))`` (weak matches are
   rejected), and, when the alert names the wrong person, additionally rejects
   it with probability ``catch_wrong`` (the operator compares the faces);
2. **engagement**: a credible alert leads to a stop, except that a share of
   people are lost in the crowd (``lost_sparse`` / ``lost_dense``);
3. **verification**: a stop verifies the identity, correct when the alert
   named the person truly present (from the synthetic truth), incorrect
   otherwise.

The result is an adjudication file keyed by alert id, written into the run's
bundle copy (``RUN/bundle/adjudication.csv``) and recorded in the manifest as
simulated.  Every draw comes from ``numpy.random.default_rng([seed, 5])``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from fr_eval.errors import InputError
from fr_eval.store.atomic import write_text
from fr_eval.synth.scene import STREAM_OPERATOR


@dataclass
class OperatorModel:
    reject_below: float | None = None   # None: the run's threshold + 0.04
    softness: float = 0.02
    catch_wrong: float = 0.5
    lost_sparse: float = 0.15
    lost_dense: float = 0.4
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def adjudicate(alerts: pd.DataFrame, *, threshold: float, crowd: str, model: OperatorModel) -> pd.DataFrame:
    """Adjudication rows (alert_id, operator_decision, engagement, verification, outcome) for these alerts."""
    rng = np.random.default_rng([model.seed, STREAM_OPERATOR])
    reject_below = threshold + 0.04 if model.reject_below is None else model.reject_below
    lost = model.lost_dense if crowd == "dense" else model.lost_sparse
    rows = []
    for a in alerts.sort_values(["t", "alert_id"]).itertuples(index=False):
        correct = bool(a.correct) if not pd.isna(a.correct) else False
        u_review, u_catch, u_lost = rng.random(3)
        p_credible = 1.0 / (1.0 + np.exp(-(float(a.similarity) - reject_below) / model.softness))
        credible = u_review < p_credible and (correct or u_catch >= model.catch_wrong)
        if not credible:
            rows.append((a.alert_id, "rejected", "not_attempted", "unverified",
                         "simulated: operator judged the match not credible"))
        elif u_lost < lost:
            rows.append((a.alert_id, "credible", "lost", "unverified", "simulated: person lost in the crowd"))
        elif correct:
            rows.append((a.alert_id, "credible", "stopped", "correct", "simulated: stop confirmed the identity"))
        else:
            rows.append((a.alert_id, "credible", "stopped", "incorrect",
                         "simulated: stop showed a different person"))
    return pd.DataFrame(rows, columns=["alert_id", "operator_decision", "engagement", "verification", "outcome"])


def simulate_operator(run: str | Path, model: OperatorModel | None = None, *, overwrite: bool = False
                      ) -> pd.DataFrame:
    """Write a simulated adjudication into a replayed synthetic run; returns the rows written.

    The run is verified whole first; the adjudication file and the bundle copy's deployment.yaml are
    written, the run's inputs and seal are updated, and the manifest records that the adjudication is
    simulated, with the model and the seed: the signature then says ``adj:sim@seedN#...``, so figures from
    different simulations can never pass for one another.
    """
    from fr_eval.counting.load import load_statistics
    from fr_eval.inputs.yamlfile import load_yaml
    from fr_eval.store.hashing import sha256_file
    from fr_eval.store.runs import open_run, seal, verify_run, write_manifest

    model = model or OperatorModel()
    run = Path(run)
    problems = verify_run(run)
    if problems:
        raise InputError(f"{run}: {problems[0]}", hint="run `fr-eval verify` for every problem; replay it again")
    manifest = open_run(run)
    spec_path = run / "bundle" / "deployment.yaml"
    raw = load_yaml(spec_path, what="deployment.yaml")
    if not raw.get("synthetic"):
        raise InputError(f"{run}: not a run of a synthetic bundle",
                         hint="the operator simulation is for fr-eval synth bundles; real runs need a real "
                              "adjudication file")
    if raw.get("adjudication") and not overwrite:
        raise InputError(f"{run}: already has an adjudication ({raw['adjudication']})",
                         hint="use --overwrite to replace it")
    stats = load_statistics(run)
    if not stats.has_truth:
        raise InputError(f"{run}: the bundle has no truth; the operator needs it to verify stops")
    rows = adjudicate(stats.alerts, threshold=stats.threshold, crowd=str(raw["conditions"]["crowd"]), model=model)
    target = run / "bundle" / "adjudication.csv"
    write_text(target, rows.to_csv(index=False))
    raw["adjudication"] = "adjudication.csv"
    write_text(spec_path, yaml.safe_dump(raw, sort_keys=False, width=120))
    files = manifest["inputs"]["files"]
    files["adjudication.csv"] = sha256_file(target)
    files["deployment.yaml"] = sha256_file(spec_path)
    manifest["inputs"]["files"] = dict(sorted(files.items()))
    manifest["adjudication"] = {"kind": "simulated", "model": model.to_dict(), "seed": model.seed,
                                "sha256": files["adjudication.csv"], "alerts": int(len(rows))}
    manifest.pop("adjudication_simulated", None)
    seal(run, manifest)
    from fr_eval.signature import for_run

    manifest["signature"] = for_run(manifest).short()
    write_manifest(run, manifest)
    return rows
