"""Property tests of the one path: every route to a count gives the same count, and nothing that should not
change a count does (the "one path" issue: differential and metamorphic tests, with hypothesis).

Random runs are built in memory: passages on two cameras, tracks inside them and tracks no passage explains,
candidate scores drawn from a small set of values (so ties and scores exactly at a threshold are common).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fr_eval.counting.counter import cluster_funnels, funnel, group_funnels, passage_outcomes
from fr_eval.counting.groups import breakdown
from fr_eval.counting.methods import compute
from fr_eval.counting.statistics import RunStatistics
from fr_eval.thresholds.gate import Policy, Rule, judge
from fr_eval.thresholds.sweep import sweep

SUBJECTS = ["S1", "S2", "S3"]
SCORES = [0.2, 0.45, 0.5, 0.55, 0.6, 0.7, 0.9]
ADDITIVE = ("alerts", "true_alerts", "false_alerts", "nonwatchlist_false_alerts", "watchlisted_passages",
            "watchlisted_alerted", "watchlisted_rank1", "nonwatchlist_passages", "nonwatchlist_alerted",
            "faces_processed", "frames_processed", "plant_passages", "plant_alerts")
PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def runs(draw):
    n_passages = draw(st.integers(1, 10))
    passages, tracks, cands = [], [], []
    for i in range(n_passages):
        cam = draw(st.sampled_from(["cam1", "cam2"]))
        t0 = 20.0 * i
        subject = draw(st.sampled_from(SUBJECTS + ["", ""]))
        passages.append({"passage_id": f"p{i}", "camera": cam, "t_start": t0, "t_end": t0 + 8,
                         "subject_id": subject or None, "person_id": subject or f"x{i}",
                         "plant": bool(subject) and draw(st.booleans()), "gender": draw(st.sampled_from("FM"))})
        for j in range(draw(st.integers(0, 2))):
            tracks.append({"track_id": f"t{i}-{j}", "camera": cam, "t_start": t0 + 1 + 4 * j,
                           "t_end": t0 + 3 + 4 * j, "n_detections": draw(st.integers(1, 9)), "face_px": 70.0})
    for k in range(draw(st.integers(0, 3))):
        tracks.append({"track_id": f"u{k}", "camera": "cam1", "t_start": 1000.0 + 10 * k, "t_end": 1002.0 + 10 * k,
                       "n_detections": 2, "face_px": 50.0})
    for tr in tracks:
        scored = draw(st.lists(st.sampled_from(SUBJECTS), unique=True, max_size=3))
        ranked = sorted(((draw(st.sampled_from(SCORES)), s) for s in scored), key=lambda x: (-x[0], x[1]))
        for rank, (score, s) in enumerate(ranked, start=1):
            cands.append({"track_id": tr["track_id"], "camera": tr["camera"], "rank": rank, "subject_id": s,
                          "similarity": score, "t": tr["t_start"]})
    truth = pd.DataFrame(passages)
    tr = pd.DataFrame(tracks, columns=["track_id", "camera", "t_start", "t_end", "n_detections", "face_px"])
    c = pd.DataFrame(cands, columns=["track_id", "camera", "rank", "subject_id", "similarity", "t"])
    return truth, tr, c


def build(truth, tracks, cands, *, plants_only=False) -> RunStatistics:
    wl = pd.DataFrame({"subject_id": SUBJECTS, "image": [f"{s}.jpg" for s in SUBJECTS]})
    return RunStatistics.from_frames(tracks=tracks, candidates=cands, threshold=0.5, truth=truth, watchlist=wl,
                                     demographics=["gender"], plants_only=plants_only, footage_hours=1.0)


def counts(f) -> dict:
    return {k: f.get(k) for k in ADDITIVE}


@PROPS
@given(runs(), st.sampled_from(SCORES + [0.0, 0.4999999999, 0.5000000001, 1.0]))
def test_score_sweep_gate_and_groups_give_one_count(run, t):
    stats = build(*run)
    one = funnel(stats, t)
    pt = sweep(stats, [t]).point(t)
    assert counts(pt.funnel) == counts(one)
    for mid in ("tpir", "fpir", "precision", "false_alert_rate"):
        a, b = pt.rates[mid], compute(mid, one)
        assert getattr(a, "numerator", None) == getattr(b, "numerator", None)
        assert getattr(a, "denominator", None) == getattr(b, "denominator", None)
    # the gate judges at its policy threshold with the same counts
    verdict = judge(stats, Policy([Rule("alerts_per_hour", max=1e9)], threshold=t)).verdicts[0]
    assert verdict.observed.startswith(f"{one.alerts:,} over")
    # breakdowns: every group's counts add up to the run's (a group per camera holds every track)
    parts = group_funnels(stats, "camera", t)
    for k in ADDITIVE:
        assert sum(p.get(k) or 0 for p in parts.values()) == (one.get(k) or 0), k
    b = breakdown(stats, "precision", "camera", threshold=t)
    assert sum(r.numerator for r in b.rates.values() if r.available) == (one.true_alerts or 0)
    # clusters (the bootstrap's) add up too
    for by in ("subject", "camera"):
        cl = cluster_funnels(stats, by, t)
        for k in ADDITIVE:
            assert sum(p.get(k) or 0 for p in cl.values()) == (one.get(k) or 0), (by, k)


@PROPS
@given(runs(), st.randoms(use_true_random=False))
def test_the_order_of_rows_changes_no_count(run, rnd):
    truth, tracks, cands = run
    ref = build(truth, tracks, cands)
    shuffled = [df.sample(frac=1.0, random_state=rnd.randrange(2**31)).reset_index(drop=True)
                for df in (truth, tracks, cands)]
    other = build(*shuffled)
    for t in (0.45, 0.5, 0.6):
        assert counts(funnel(ref, t)) == counts(funnel(other, t))
    a = passage_outcomes(ref).sort_values("passage_id").reset_index(drop=True)
    b = passage_outcomes(other).sort_values("passage_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert ref.linking.n_ambiguous == other.linking.n_ambiguous


@PROPS
@given(runs(), st.sampled_from(SCORES))
def test_a_monotone_map_of_scores_and_threshold_changes_no_count(run, t):
    truth, tracks, cands = run
    ref = build(truth, tracks, cands)
    g = lambda x: 1 / (1 + np.exp(-12 * (np.asarray(x, float) - 0.5))) * 0.9 + 0.05  # strictly increasing
    mapped = build(truth, tracks, cands.assign(similarity=g(cands["similarity"])))
    assume(len(cands) > 0)
    assert counts(funnel(ref, t)) == counts(funnel(mapped, float(g(t))))


@given(st.sampled_from(SCORES))
@settings(max_examples=len(SCORES), deadline=None)
def test_a_score_exactly_at_the_threshold_alerts(score):
    truth = pd.DataFrame([{"passage_id": "p", "camera": "c", "t_start": 0, "t_end": 5, "subject_id": "S1",
                           "person_id": "S1", "plant": False, "gender": "F"}])
    tracks = pd.DataFrame([{"track_id": "t", "camera": "c", "t_start": 1, "t_end": 2, "n_detections": 1}])
    cands = pd.DataFrame([{"track_id": "t", "camera": "c", "rank": 1, "subject_id": "S1", "similarity": score,
                           "t": 1.0}])
    stats = build(truth, tracks, cands)
    assert funnel(stats, score).alerts == 1 and funnel(stats, score).watchlisted_alerted == 1
    assert funnel(stats, float(np.nextafter(score, 1))).alerts == 0


def test_the_same_runs_in_another_order_score_the_same(tmp_path, capsys):
    from cliutil import run_cli
    from runfactory import make_run, track
    from test_outcomes import ADJUDICATION, PASSAGES, TRACKS, WATCHLIST

    a = make_run(tmp_path / "a", passages=PASSAGES, tracks=TRACKS, watchlist=WATCHLIST, adjudication=ADJUDICATION,
                 deployment_id="dep-a")
    b = make_run(tmp_path / "b", passages=PASSAGES[:3], tracks=TRACKS[:4], watchlist=WATCHLIST, deployment_id="dep-b")
    c = make_run(tmp_path / "c", passages=None, tracks=[track("z", "cam1", 0, 1, {"S1": 0.9})], watchlist=WATCHLIST,
                 deployment_id="dep-c")
    outs = []
    for order in ([a, b, c], [c, a, b], [b, c, a]):
        code, out, err = run_cli(["score", *map(str, order), "--json", "--ci", "bootstrap", "-q"], capsys)
        assert code == 0, err
        outs.append(out)
    assert outs[0] == outs[1] == outs[2]


@pytest.mark.parametrize("plants_only", [False, True])
def test_plants_only_is_in_the_signature_and_changes_only_the_watchlisted_counts(tmp_path, plants_only):
    from fr_eval.counting.signing import signature_for
    from test_outcomes import PASSAGES, TRACKS

    truth = pd.DataFrame(PASSAGES).assign(subject_id=lambda d: d["subject_id"].replace("", None))
    tracks = pd.DataFrame([{k: v for k, v in t.items() if k in ("track_id", "camera", "t_start", "t_end")}
                           for t in TRACKS])
    cands = pd.DataFrame([{"track_id": t["track_id"], "rank": i + 1, "subject_id": s, "similarity": v}
                          for t in TRACKS for i, (s, v) in enumerate(sorted(t["scores"].items(),
                                                                             key=lambda kv: -kv[1]))])
    stats = RunStatistics.from_frames(tracks=tracks, candidates=cands, threshold=0.5, truth=truth,
                                      plants_only=plants_only)
    sig = signature_for(stats)
    assert sig.plants_only is plants_only and ("plants:yes" in sig.short()) is plants_only


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.floats(min_value=0.001, max_value=1e4, allow_nan=False), min_size=2, max_size=30),
       st.randoms(use_true_random=False))
def test_pooled_hours_do_not_depend_on_the_order_of_deployments(hours, rnd):
    from fr_eval.counting.funnel import Funnel

    fs = [Funnel(id=f"d{i}", alerts=i, footage_hours=h, watchlist_size=100) for i, h in enumerate(hours)]
    shuffled = list(fs)
    rnd.shuffle(shuffled)
    a, b = Funnel.total(fs), Funnel.total(shuffled)
    assert a.footage_hours == b.footage_hours and a.alerts == b.alerts and a.watchlist_size == b.watchlist_size == 100
