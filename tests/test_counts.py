"""The counts file: key names, validation, derived counts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fr_eval.counting.counts_file import load_counts
from fr_eval.counting.funnel import COUNT_KEYS, Funnel
from fr_eval.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "datasets" / "published"
ESSEX = {"id": "essex", "alerts": 42, "operator_rejected": 16, "stop_attempted": 26, "lost": 4, "stopped": 22,
         "verified_correct": 8, "verified_incorrect": 14}


def write(tmp_path, data, name="c.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return p


def test_issue_key_names_are_supported():
    for key in ("faces_processed", "watchlist_size", "alerts", "true_alerts", "false_alerts", "operator_rejected",
                "stop_attempted", "lost", "stopped", "verified_correct", "verified_incorrect", "arrests",
                "plant_passages", "plant_alerts"):
        assert key in COUNT_KEYS


@pytest.mark.parametrize("name", sorted(p.name for p in PUBLISHED.glob("*.yaml")))
def test_published_counts_files_load(name):
    f = load_counts(PUBLISHED / name)
    assert f.sources, f"{name} cites no source"
    assert all(s.get("citation") for s in f.sources)


def test_essex_file():
    f = load_counts(PUBLISHED / "essex-2019.yaml")
    assert (f.alerts, f.operator_rejected, f.stop_attempted, f.lost, f.stopped, f.verified_correct,
            f.verified_incorrect) == (42, 16, 26, 4, 22, 8, 14)
    assert f.get("judged_credible") == 26 and f.get("unverified") == 0
    assert {c.method for c in f.claims} >= {"verified_precision", "false_share", "stopped_precision"}


def test_met_oxford_circus_file():
    f = load_counts(PUBLISHED / "met-oxford-circus-2020-02-27.yaml")
    assert (f.faces_processed, f.watchlist_size, f.alerts, f.false_alerts, f.arrests) == (8600, 7292, 8, 7, 1)


@pytest.mark.parametrize("patch,match", [
    ({"alerts": -1}, "alerts must not be negative"),
    ({"stopped": 4.5}, "stopped must be a whole number"),
    ({"stopped": "22"}, "stopped must be a whole number"),
    ({"stopped": True}, "stopped must be a whole number"),
    ({"verifiedcorrect": 3}, "unknown key 'verifiedcorrect'.*did you mean 'verified_correct'"),
    ({"stopped": 30, "lost": 4}, "stage 'stops': stopped \\+ lost = 34 but stop_attempted = 26"),
    ({"stopped": 22, "lost": None, "stop_attempted": 20}, "stage 'stops': stopped = 22 is more than stop_attempted = 20"),
    ({"verified_incorrect": 15}, "stage 'verification': verified_correct \\+ verified_incorrect = 23 is more than stopped = 22"),
    ({"operator_rejected": 43}, "stage 'operator decision'"),
    ({"stop_attempted": 27, "lost": 5}, "stage 'stop attempts': stop_attempted = 27 is more than judged_credible = 26"),
    ({"true_alerts": 10, "false_alerts": 30}, "stage 'alerts': true_alerts \\+ false_alerts = 40 but alerts = 42"),
    ({"arrests": 23}, "stage 'arrests'"),
    ({"plant_passages": 3, "plant_alerts": 4}, "stage 'plants'"),
    ({"faces_processed": 10, "false_alerts": 34}, "stage 'false alerts'"),
    ({"claims": [{"id": "x", "method": "accuracy", "reported": "19%"}]}, "method 'accuracy' is not a counting method"),
    ({"claims": [{"id": "x", "method": "precision", "reported": "a lot"}]}, "is not a figure"),
    ({"claims": [{"id": "x", "method": "precision"}]}, "missing key 'reported'"),
    ({"footage_hours": -2}, "footage_hours must be a non-negative number"),
])
def test_bad_counts_name_the_problem(tmp_path, patch, match):
    data = {**ESSEX, **patch}
    data = {k: v for k, v in data.items() if v is not None}
    p = write(tmp_path, data)
    with pytest.raises(InputError, match=match) as exc:
        load_counts(p)
    line = exc.value.one_line()
    assert "\n" not in line and str(p) in line


def test_not_yaml_and_not_a_mapping(tmp_path):
    with pytest.raises(InputError, match="not valid YAML"):
        load_counts(write(tmp_path, "alerts: [1, 2\n"))
    with pytest.raises(InputError, match="expected a mapping"):
        load_counts(write(tmp_path, "- 1\n- 2\n"))
    with pytest.raises(InputError, match="no such counts file"):
        load_counts(tmp_path / "missing.yaml")


def test_derived_counts_and_sums():
    f = Funnel(alerts=8, false_alerts=7, stop_attempted=5, lost=1)
    assert f.get("true_alerts") == 1 and f.get("stopped") == 4
    assert Funnel(alerts=8, true_alerts=1).get("false_alerts") == 7
    total = Funnel(alerts=3, stopped=1, footage_hours=1.5) + Funnel(alerts=4, footage_hours=2.0)
    assert total.alerts == 7 and total.stopped is None and total.footage_hours == 3.5
    assert Funnel.total([Funnel(alerts=1), Funnel(alerts=2), Funnel(alerts=3)]).alerts == 6
