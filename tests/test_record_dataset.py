"""The published record (datasets/published/record): what its rows reproduce, and what they cannot."""

from __future__ import annotations

import collections
import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from fr_eval.counting.pooling import Selection, count_sums, select
from fr_eval.counting.totals import compare_totals, load_totals
from fr_eval.counting.record_file import load_record

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "datasets" / "published" / "record"
MET = "Metropolitan Police Service"


@pytest.fixture(scope="module")
def rec():
    return load_record(HERE / "lfr-deployments.csv")


def _sums(rec, **kw):
    ds = select(rec, Selection(forces=(MET,), **kw)).deployments
    return len(ds), {k: v["sum"] for k, v in count_sums(ds).items()}, {k: v["lacking"] for k, v in
                                                                        count_sums(ds).items()}


def test_rows_per_force(rec):
    assert collections.Counter(d.force for d in rec.deployments) == {
        MET: 286, "South Wales Police": 8, "Essex Police": 4, "North Wales Police": 1, "Bedfordshire Police": 1}


def test_foi_2023_is_reproduced_by_the_rows_of_its_window(rec):
    # Byline Times, 10 Nov 2023 (Met FOI): 13 deployments, 247,764 faces, 12 arrests "in 2023".  The rows of
    # 6 April - 24 September 2023 give exactly that, without the 'Dalston 11/07/23' row (almost surely 2024)
    n, sums, lacking = _sums(rec, date_from=dt.date(2023, 4, 6), date_to=dt.date(2023, 9, 24),
                             exclude=("met-2023-07-11-dalston",))
    assert (n, sums["faces_processed"], sums["arrests"]) == (13, 247_764, 12)
    assert not lacking["faces_processed"] and not lacking["arrests"]
    n_with, sums_with, _ = _sums(rec, date_from=dt.date(2023, 4, 6), date_to=dt.date(2023, 9, 24))
    assert (n_with, sums_with["faces_processed"]) == (14, 247_764 + 602)   # as printed, Dalston falls inside


def test_rows_cover_only_part_of_the_annual_report_period(rec):
    # Met annual report Sept 2024 - Sept 2025: 203 deployments, 3,147,436 faces, 2,077 alerts, 10 false alerts.
    # The grids end on 10 May 2025; the rows of 1 Sep 2024 - 10 May 2025 are all the record holds of it.
    n, sums, lacking = _sums(rec, date_from=dt.date(2024, 9, 1), date_to=dt.date(2025, 5, 10))
    assert (n, sums["faces_processed"], sums["alerts"], sums["false_alerts"], sums["arrests"]) == (
        136, 1_756_962, 1_315, 5, 566)
    assert not any(lacking[k] for k in ("faces_processed", "alerts", "false_alerts"))
    assert max(d.date for d in rec.deployments if d.force == MET) == dt.date(2025, 5, 10)


def test_published_totals_are_claims_compared_not_reproduced(rec):
    checks = {c.total.id: c for c in compare_totals(rec, load_totals(HERE / "published-totals.yaml"))}
    foi, annual = checks["met-foi-2023"], checks["met-annual-2024-25"]
    assert foi.status == "reproduced"
    assert {k: (v["published"], v["rows"]) for k, v in foi.counts.items()} == {
        "deployments": (13, 13), "faces_processed": (247_764, 247_764), "arrests": (12, 12)}
    assert annual.status == "not_covered"
    assert annual.total.counts == {"deployments": 203, "faces_processed": 3_147_436, "alerts": 2_077,
                                   "false_alerts": 10, "arrests": 962}
    assert {k: v["rows"] for k, v in annual.counts.items()} == {
        "deployments": 136, "faces_processed": 1_756_962, "alerts": 1_315, "false_alerts": 5, "arrests": 566}
    assert "2025-05-10" in annual.notes[0]


def test_the_self_contradicting_row_is_withheld_not_corrected(rec):
    w = rec.by_id()["met-2024-01-10-westminster"]
    assert w.funnel.alerts is None and w.funnel.true_alerts is None and w.funnel.false_alerts == 0
    assert "WITHHELD" in w.notes and "Total Alerts 1" in w.notes


@pytest.mark.parametrize("counts_file,row", [("met-oxford-circus-2020-02-27", "met-2020-02-27-oxford-circus"),
                                              ("met-oxford-circus-2022-01-28", "met-2022-01-28-oxford-circus")])
def test_published_counts_files_agree_with_their_rows(rec, counts_file, row):
    from fr_eval.counting.counts_file import load_counts

    c, d = load_counts(ROOT / "datasets" / "published" / f"{counts_file}.yaml"), rec.by_id()[row].funnel
    for key in ("faces_processed", "watchlist_size", "alerts", "true_alerts", "false_alerts", "arrests"):
        assert getattr(c, key) == getattr(d, key), key


def test_sources_list_every_pdf_with_its_sha256_and_no_pdf_is_committed():
    src = yaml.safe_load((HERE / "sources.yaml").read_text())
    docs = src["documents"]
    assert len(docs) == 3
    for d in docs:
        assert re.fullmatch(r"[0-9a-f]{64}", d["sha256"]) and d["source_url"].startswith("https://")
    assert not list(HERE.rglob("*.pdf"))


def test_card_states_the_reproduced_and_the_uncovered_totals():
    card = (HERE / "README.md").read_text()
    for needle in ("247,764", "1,756,962", "3,147,436", "10 May 2025", "Not reproduced", "SHA-256",
                   "met-2024-01-10-westminster", "met-2023-07-11-dalston"):
        assert needle in card, needle
