"""The one counter: every count of a run, at any threshold, for the whole run, a group or a cluster.

Every count a counting method divides is "how much weight reaches the threshold" over one set of items
scored by a similarity.  :func:`items` declares, **once**, which items each count key sums, with which
score and which weight (the table below); the alert rule (:mod:`fr_eval.replay.alert_rule`) decides which
items reach a threshold.  Counts that do not depend on the threshold are items scored ``+inf`` (they always
reach).  Three paths read the same items:

* :func:`funnels` -- many thresholds: each item set is sorted once and counted at every threshold with a
  binary search (the sort-then-cumulate scheme of scikit-learn's ``det_curve``); :func:`funnel` is its
  one-threshold case, so ``score``, ``sweep --at``, ``gate``, the report and ``compare`` all give the same
  counts;
* :func:`group_funnels` -- one funnel per group of a breakdown (:mod:`fr_eval.counting.labels`);
* :func:`cluster_funnels` -- one funnel per cluster for the cluster bootstrap, summed with ``np.bincount``.

=================================  =====================================  ==================  ==========
count key                          items                                  score               weight
=================================  =====================================  ==================  ==========
alerts                             stored candidates (track x subject)    similarity          1
true_alerts / false_alerts         candidates naming / not naming the     similarity          1
                                   person present (truth)
nonwatchlist_false_alerts          false candidates on people not on      similarity          1
                                   the watchlist or unlinked tracks
not_adjudicated, operator_rejected, candidates, by their adjudication     similarity          1
stop_attempted, lost, stopped,     record (an alert the operated
verified_*, unverified, arrests    threshold did not raise has none)
watchlisted_passages               watchlisted passages (with             +inf                1
                                   --plants-only: planted ones)
watchlisted_alerted                the same                               best mated score    1
watchlisted_rank1                  the same                               best rank-1 mated   1
plant_passages / plant_alerts      planted passages                       +inf / best mated   1
nonwatchlist_passages              non-watchlist passages                 +inf                1
nonwatchlist_alerted               the same                               best candidate      1
faces_processed                    non-watchlist passages and tracks      +inf                1
                                   linked to no passage
watchlisted_subjects(_alerted)     watchlisted people (per group)         +inf / best mated   1
frames_processed                   tracks                                 +inf                detections
watchlisted_frames(_alerted)       tracks of watchlisted passages         +inf / best mated   detections
nonwatchlist_frames(_alerted)      tracks of non-watchlist passages       +inf / best cand.   detections
=================================  =====================================  ==================  ==========

A score of NaN (a passage never detected, a track without candidates) never reaches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fr_eval.counting.funnel import Funnel, check_funnel
from fr_eval.counting.labels import group_names, labels
from fr_eval.counting.statistics import ADJUDICATION_COLUMNS, RunStatistics
from fr_eval.replay.alert_rule import count_reaching, reaches

INF = np.inf
ADJUDICATION_KEYS = ("not_adjudicated", "operator_rejected", "stop_attempted", "lost", "stopped",
                     "verified_correct", "verified_incorrect", "unverified", "arrests")
TRUTH_ALERT_KEYS = ("true_alerts", "false_alerts", "nonwatchlist_false_alerts")
PASSAGE_KEYS = ("watchlisted_passages", "watchlisted_alerted", "watchlisted_rank1", "plant_passages", "plant_alerts",
                "nonwatchlist_passages", "nonwatchlist_alerted", "faces_processed", "watchlisted_subjects",
                "watchlisted_subjects_alerted")
FRAME_TRUTH_KEYS = ("watchlisted_frames", "watchlisted_frames_alerted", "nonwatchlist_frames",
                    "nonwatchlist_frames_alerted")


@dataclass
class ItemSet:
    """Items scored by one similarity; each count key sums its own weight over the items that reach."""

    scores: np.ndarray                        # float64 (NaN never reaches, +inf always does)
    codes: np.ndarray                         # int group code per item (-1: in no group)
    weights: dict[str, np.ndarray] = field(default_factory=dict)

    def subset(self, codes: Sequence[int] | None) -> ItemSet:
        if codes is None:
            keep = self.codes >= 0
        else:
            keep = np.isin(self.codes, np.asarray(list(codes)))
        return ItemSet(self.scores[keep], self.codes[keep], {k: w[keep] for k, w in self.weights.items()})

    def counts_at(self, thresholds: np.ndarray) -> dict[str, np.ndarray]:
        """Every key's count at each threshold (sort once, binary search per threshold)."""
        ok = ~np.isnan(self.scores)
        order = np.argsort(self.scores[ok], kind="stable")
        s = self.scores[ok][order]
        return {k: count_reaching(s, thresholds, np.cumsum(w[ok][order])) for k, w in self.weights.items()}

    def counts_by_code(self, threshold: float, n_codes: int) -> dict[str, np.ndarray]:
        """Every key's count per group code at one threshold."""
        hit = reaches(self.scores, threshold) & (self.codes >= 0)
        return {k: np.bincount(self.codes[hit], weights=w[hit], minlength=n_codes).astype(np.int64)
                for k, w in self.weights.items()}


@dataclass
class Items:
    """Every item set of a run, with the group each item belongs to (:func:`items`)."""

    sets: list[ItemSet]
    groups: list[str]                         # group code -> name
    stats: RunStatistics

    def keys(self) -> list[str]:
        return [k for s in self.sets for k in s.weights]


def items(stats: RunStatistics, by: str | None = None) -> Items:
    """The item sets of ``stats`` (module docstring), labelled by ``by`` (None: one group, the whole run)."""
    p, t, c = stats.passages, stats.tracks, stats.candidates
    if by is None:
        pl = np.zeros(len(p), dtype=np.int64)
        tl = np.zeros(len(t), dtype=np.int64)
        groups = ["all"]
    else:
        pls, tls = labels(stats, by)
        groups = group_names(pls, tls)
        index = {g: i for i, g in enumerate(groups)}
        pl = np.array([index.get(v, -1) if v is not None else -1 for v in pls], dtype=np.int64)
        tl = np.array([index.get(v, -1) if v is not None else -1 for v in tls], dtype=np.int64)
    track_code = dict(zip(t["track_id"], tl))
    sets: list[ItemSet] = []

    # candidates: alerts and everything counted per alert
    cc = np.array([track_code.get(x, -1) for x in c["track_id"]], dtype=np.int64)
    ones = np.ones(len(c), dtype=np.int64)
    cw: dict[str, np.ndarray] = {"alerts": ones}
    if stats.has_truth:
        mated = c["mated"].to_numpy(bool)
        not_wl = (c["passage_id"].isna() | c["truth_subject_id"].isna()).to_numpy()
        cw.update(true_alerts=mated.astype(np.int64), false_alerts=(~mated).astype(np.int64),
                  nonwatchlist_false_alerts=(~mated & not_wl).astype(np.int64))
    if stats.adjudication is not None:
        cw.update(_adjudication_weights(c, stats.adjudication))
    sets.append(ItemSet(c["similarity"].to_numpy(np.float64), cc, cw))

    if stats.has_truth:
        w = p["watchlisted"].to_numpy(bool)
        plant = p["plant"].to_numpy(bool)
        if stats.plants_only:
            w = w & plant
        nw = ~p["watchlisted"].to_numpy(bool)
        n = len(p)
        fixed_p = np.full(n, INF)
        sets.append(ItemSet(fixed_p, pl, {"watchlisted_passages": w.astype(np.int64),
                                          "plant_passages": plant.astype(np.int64),
                                          "nonwatchlist_passages": nw.astype(np.int64),
                                          "faces_processed": nw.astype(np.int64)}))
        unlinked = t["passage_id"].isna().to_numpy()
        sets.append(ItemSet(np.full(int(unlinked.sum()), INF), tl[unlinked],
                            {"faces_processed": np.ones(int(unlinked.sum()), dtype=np.int64)}))
        mated_score = p["mated_score"].to_numpy(np.float64)
        sets.append(ItemSet(mated_score, pl, {"watchlisted_alerted": w.astype(np.int64),
                                              "plant_alerts": plant.astype(np.int64)}))
        sets.append(ItemSet(p["rank1_score"].to_numpy(np.float64), pl, {"watchlisted_rank1": w.astype(np.int64)}))
        sets.append(ItemSet(p["any_score"].to_numpy(np.float64), pl, {"nonwatchlist_alerted": nw.astype(np.int64)}))
        sets += _person_sets(p[w], pl[w])
    if stats.has_frames:
        det = t["n_detections"].fillna(0).to_numpy(np.int64)
        sets.append(ItemSet(np.full(len(t), INF), tl, {"frames_processed": det}))
        if stats.has_truth:
            wl_by_passage = dict(zip(p["passage_id"], p["watchlisted"].astype(bool) &
                                     (p["plant"].astype(bool) if stats.plants_only else True)))
            nw_by_passage = dict(zip(p["passage_id"], ~p["watchlisted"].astype(bool)))
            tw = np.array([bool(wl_by_passage.get(x, False)) for x in t["passage_id"]])
            tn = np.array([bool(nw_by_passage.get(x, False)) for x in t["passage_id"]])
            sets.append(ItemSet(np.full(len(t), INF), tl, {"watchlisted_frames": det * tw,
                                                           "nonwatchlist_frames": det * tn}))
            sets.append(ItemSet(t["mated_score"].to_numpy(np.float64), tl,
                                {"watchlisted_frames_alerted": det * tw}))
            sets.append(ItemSet(t["any_score"].to_numpy(np.float64), tl,
                                {"nonwatchlist_frames_alerted": det * tn}))
    return Items(sets, groups, stats)


def _person_sets(wp: pd.DataFrame, codes: np.ndarray) -> list[ItemSet]:
    """Watchlisted people seen (per group) and their best mated score over their passages in the group."""
    if not len(wp):
        return [ItemSet(np.zeros(0), np.zeros(0, np.int64), {"watchlisted_subjects": np.zeros(0, np.int64)}),
                ItemSet(np.zeros(0), np.zeros(0, np.int64), {"watchlisted_subjects_alerted": np.zeros(0, np.int64)})]
    df = pd.DataFrame({"person": wp["person_id"].astype(str).to_numpy(), "code": codes,
                       "score": wp["mated_score"].to_numpy(np.float64)})
    df = df[df["code"] >= 0]
    best = df.groupby(["code", "person"], sort=True)["score"].max().reset_index()
    k = len(best)
    one = np.ones(k, dtype=np.int64)
    gcode = best["code"].to_numpy(np.int64)
    return [ItemSet(np.full(k, INF), gcode, {"watchlisted_subjects": one}),
            ItemSet(best["score"].to_numpy(np.float64), gcode, {"watchlisted_subjects_alerted": one})]


def _adjudication_weights(c: pd.DataFrame, adjudication: pd.DataFrame) -> dict[str, np.ndarray]:
    alert_id = c["track_id"].astype(str) + ":" + c["subject_id"].astype(str)
    rec = {col: alert_id.map(adjudication[col]) for col in ADJUDICATION_COLUMNS}
    dec, eng, ver = rec["operator_decision"], rec["engagement"], rec["verification"]
    has = alert_id.isin(adjudication.index).to_numpy()
    stopped = (eng == "stopped").fillna(False).to_numpy(bool)
    arrest = rec["outcome"].fillna("").astype(str).str.lower().str.contains("arrest").to_numpy(bool)
    as_int = lambda m: np.asarray(m, dtype=bool).astype(np.int64)  # noqa: E731
    return {
        "not_adjudicated": as_int(~has),
        "operator_rejected": as_int((dec == "rejected").fillna(False)),
        "stop_attempted": as_int(eng.isin(["stopped", "lost"]).fillna(False)),
        "lost": as_int((eng == "lost").fillna(False)),
        "stopped": as_int(stopped),
        "verified_correct": as_int(stopped & (ver == "correct").fillna(False).to_numpy(bool)),
        "verified_incorrect": as_int(stopped & (ver == "incorrect").fillna(False).to_numpy(bool)),
        "unverified": as_int(stopped & (ver == "unverified").fillna(False).to_numpy(bool)),
        "arrests": as_int(has & arrest),
    }


# -- funnels ---------------------------------------------------------------------------------------

def _funnel(stats: RunStatistics, values: dict[str, int], threshold: float, *, whole: bool, id: str) -> Funnel:
    vals: dict[str, Any] = dict(values)
    if whole:
        vals["watchlist_size"] = stats.watchlist_size
        vals["footage_hours"] = stats.footage_hours
        if not stats.has_truth and stats.faces_processed is not None:
            vals["faces_processed"] = int(stats.faces_processed)
    f = Funnel(id=id, title=id, threshold=float(threshold), origin=f"run {stats.deployment}",
               **{k: v for k, v in vals.items() if v is not None})
    return check_funnel(f, alerts_per_face=False) if whole else f


def funnels(stats: RunStatistics, thresholds: Sequence[float] | np.ndarray, *, groups: Sequence[str] | None = None,
            it: Items | None = None) -> list[Funnel]:
    """The run's funnel at each threshold (the sweep path).  ``groups`` (with ``it`` labelled by a
    dimension) restricts the counts to those groups."""
    th = np.asarray(thresholds, dtype=np.float64)
    it = it if it is not None else items(stats)
    codes = None if groups is None else [it.groups.index(g) for g in groups if g in it.groups]
    counts: dict[str, np.ndarray] = {}
    for s in it.sets:
        for k, v in s.subset(codes).counts_at(th).items():
            counts[k] = counts.get(k, 0) + v
    whole = groups is None
    name = stats.deployment if whole else "+".join(groups or [])
    return [_funnel(stats, {k: int(v[i]) for k, v in counts.items()}, float(t), whole=whole, id=name)
            for i, t in enumerate(th)]


def funnel(stats: RunStatistics, threshold: float | None = None) -> Funnel:
    """The run's funnel at ``threshold`` (default: the operated one): :func:`funnels` at one threshold."""
    return funnels(stats, [stats.threshold if threshold is None else threshold])[0]


def group_funnels(stats: RunStatistics, by: str, threshold: float | None = None) -> dict[str, Funnel]:
    """One funnel per group of ``by`` at ``threshold`` (a breakdown; groups in natural order)."""
    th = stats.threshold if threshold is None else threshold
    it = items(stats, by)
    return {g: funnels(stats, [th], groups=[g], it=it)[0] for g in it.groups}


def cluster_funnels(stats: RunStatistics, by: str, threshold: float | None = None) -> dict[str, Funnel]:
    """One funnel per cluster of ``by`` (subject, camera, deployment) at ``threshold``, for the cluster
    bootstrap; their counts sum to the run's."""
    th = stats.threshold if threshold is None else threshold
    it = items(stats, by)
    n = len(it.groups)
    counts: dict[str, np.ndarray] = {}
    for s in it.sets:
        for k, v in s.counts_by_code(th, n).items():
            counts[k] = counts.get(k, 0) + v
    return {g: _funnel(stats, {k: int(v[i]) for k, v in counts.items()}, th, whole=False, id=g)
            for i, g in enumerate(it.groups)}


def passage_outcomes(stats: RunStatistics, threshold: float | None = None) -> pd.DataFrame:
    """Per passage at ``threshold``: whether it raised a correct alert and whether it raised any alert on
    someone else (the paired outcomes ``compare`` tests), by the same rule and scores as the counts."""
    th = stats.threshold if threshold is None else threshold
    p = stats.passages
    return pd.DataFrame({"passage_id": p["passage_id"], "watchlisted": p["watchlisted"].astype(bool),
                         "alerted_correct": reaches(p["mated_score"], th),
                         "alerted_false": reaches(p["nonmated_score"], th)})
