"""The deployment record reader: valid records, and every named bad row as one line with exit 2."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from cliutil import run_cli
from recordutil import HEADER, ROWS, csv_text, write_record

from fr_eval.errors import InputError
from fr_eval.counting.record_file import COLUMNS, META_COLUMNS, load_record


def test_valid_record_gives_one_validated_funnel_per_row(tmp_path):
    rec = load_record(write_record(tmp_path))
    assert len(rec) == len(ROWS) and len(rec.sha256) == 64
    a = rec.by_id()["a-2023-03-01"]
    assert (a.force, a.date, a.place, a.threshold) == ("Force A", dt.date(2023, 3, 1), "High Street", 0.6)
    f = a.funnel
    assert (f.faces_processed, f.alerts, f.true_alerts, f.false_alerts, f.arrests) == (10000, 10, 8, 2, 3)
    assert f.sources == ({"citation": "grid p.1", "url": ""},)
    b = rec.by_id()["b-2024-05-05"]
    assert b.funnel.true_alerts is None and b.funnel.get("true_alerts") == 6     # derived, as in a counts file
    assert rec.by_id()["b-undated"].date is None
    assert rec.by_id()["a-2024-07-07"].funnel.counts() == {"threshold": 0.64}


def test_columns_are_the_counts_file_keys_plus_the_record_columns():
    from fr_eval.counting.funnel import COUNT_KEYS, NUMBER_KEYS

    assert set(COLUMNS) == set(COUNT_KEYS) | set(NUMBER_KEYS) | set(META_COLUMNS)
    for c in ("force", "deployment_id", "date", "place", "threshold", "source", "source_url", "notes"):
        assert c in META_COLUMNS


def test_multiline_quoted_notes_keep_editor_line_numbers(tmp_path):
    rows = [list(r) for r in ROWS[:3]]
    rows[0][-1] = "a note\nover two lines"
    rows[2][6] = "abc"                                     # alerts of the third row, on editor line 5
    p = write_record(tmp_path, rows)
    with pytest.raises(InputError) as exc:
        load_record(p)
    assert f"{p}: line 5 (a-2023-06-02): alerts 'abc' is not a number" in exc.value.one_line()


def test_blank_lines_and_bom_are_accepted(tmp_path):
    p = tmp_path / "r.csv"
    p.write_bytes(b"\xef\xbb\xbf" + csv_text(ROWS[:2]).replace("\n", "\n\n", 1).encode())
    assert [d.id for d in load_record(p).deployments] == ["a-2023-03-01", "a-2023-03-15"]


def _bad(rows=None, header=None, edit=None):
    rows = [list(r) for r in (rows or ROWS[:3])]
    header = list(header or HEADER)
    if edit:
        edit(header, rows)
    return header, rows


def _set(row, column, value):
    def edit(header, rows):
        rows[row][header.index(column)] = value
    return edit


BAD = {
    "non-integer count": (_set(1, "alerts", "6.5"), "line 3 (a-2023-03-15): alerts must be a whole number, got 6.5"),
    "text in a count": (_set(0, "faces_processed", "many"), "line 2 (a-2023-03-01): faces_processed 'many' is "
                                                            "not a number (write whole numbers without separators"),
    "thousands separator": (_set(0, "faces_processed", "10,000"), "faces_processed '10,000' is not a number"),
    "negative count": (_set(2, "arrests", "-1"), "line 4 (a-2023-06-02): arrests must not be negative"),
    "unknown column": (lambda h, r: h.__setitem__(h.index("false_alerts"), "false_alert"),
                       "line 1: unknown column 'false_alert' (did you mean 'false_alerts'?)"),
    "unknown column far from any": (lambda h, r: h.__setitem__(h.index("notes"), "colour"),
                                    "unknown column 'colour' (see 'Deployment record' in docs/formats.md"),
    "bad date format": (_set(1, "date", "15/03/2023"), "line 3 (a-2023-03-15): date '15/03/2023' is not in the "
                                                       "form YYYY-MM-DD (write the day as YYYY-MM-DD"),
    "impossible date": (_set(1, "date", "2023-02-30"), "date '2023-02-30' is not a real day"),
    "duplicate deployment_id": (_set(2, "deployment_id", "a-2023-03-01"),
                                "line 4: duplicate deployment_id 'a-2023-03-01' (first on line 2)"),
    "true + false > alerts": (_set(0, "true_alerts", "9"), "line 2 (a-2023-03-01): stage 'alerts': true_alerts + "
                                                           "false_alerts = 11 but alerts = 10"),
    "arrests > alerts": (_set(2, "arrests", "5"), "stage 'arrests': arrests = 5 is more than alerts = 4"),
    "false alerts > faces": (_set(0, "faces_processed", "1"), "stage 'false alerts': false_alerts = 2 is more "
                                                              "than faces_processed = 1"),
    "empty deployment_id": (_set(0, "deployment_id", ""), "line 2: deployment_id is empty"),
    "bad deployment_id": (_set(0, "deployment_id", "a b"), "id 'a b' may only hold letters"),
    "bad threshold": (_set(0, "threshold", "high"), "threshold 'high' is not a number (write a number"),
    "missing deployment_id column": (lambda h, r: [h.pop(0)] + [x.pop(0) for x in r],
                                     "line 1: no deployment_id column"),
    "too few fields": (lambda h, r: r[1].pop(), "line 3: 11 fields, the header has 12"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_rows_are_one_line_exit_2_through_the_cli(case, tmp_path, capsys):
    edit, needle = BAD[case]
    header, rows = _bad(edit=edit)
    p = write_record(tmp_path, rows, header)
    code, out, err = run_cli(["record", str(p)], capsys)
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"fr-eval: error: {p}"), err
    assert needle in lines[0], lines[0]


def test_empty_file_and_header_only(tmp_path, capsys):
    for text, needle in (("", "empty file"), (",".join(HEADER) + "\n", "no deployments")):
        p = tmp_path / "r.csv"
        p.write_text(text)
        code, _, err = run_cli(["record", str(p)], capsys)
        assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_missing_file(tmp_path, capsys):
    code, _, err = run_cli(["record", str(tmp_path / "nope.csv")], capsys)
    assert code == 2 and "no such file or folder" in err


def _counts_file(folder, name, **data):
    (folder / name).write_text(yaml.safe_dump(data))


def test_folder_of_counts_files(tmp_path):
    folder = tmp_path / "counts"
    folder.mkdir()
    _counts_file(folder, "x.yaml", id="x", date="2024-03-01", place="P", faces_processed=1000, false_alerts=1,
                 alerts=3, threshold=0.6)
    _counts_file(folder, "y.yaml", id="y", date="2024-03", faces_processed=2000, false_alerts=0, alerts=2)
    rec = load_record(folder)
    assert rec.kind == "counts-folder" and [d.id for d in rec.deployments] == ["x", "y"]
    x, y = rec.deployments
    assert (x.date, x.threshold, x.funnel.alerts) == (dt.date(2024, 3, 1), 0.6, 3)
    assert y.date is None                     # a period, not a day: undated
    _counts_file(folder, "z.yaml", id="x", faces_processed=10)
    with pytest.raises(InputError, match=r"duplicate id 'x' \(also in x.yaml\)"):
        load_record(folder)


def test_folder_bad_counts_file_names_the_file(tmp_path, capsys):
    folder = tmp_path / "counts"
    folder.mkdir()
    _counts_file(folder, "bad.yaml", id="bad", alerts=2, true_alerts=3)
    code, _, err = run_cli(["record", str(folder)], capsys)
    assert code == 2 and "bad.yaml" in err and "stage 'alerts'" in err


def test_empty_folder(tmp_path, capsys):
    code, _, err = run_cli(["record", str(tmp_path)], capsys)
    assert code == 2 and "no counts files" in err


def test_documented_error_messages_are_the_real_ones(tmp_path):
    from pathlib import Path

    real = set()
    for edit, _ in BAD.values():
        header, rows = _bad(edit=edit)
        p = write_record(tmp_path, rows, header)
        with pytest.raises(InputError) as exc:
            load_record(p)
        real.add("fr-eval: error: " + exc.value.one_line().replace(str(p), "record.csv"))
    docs = (Path(__file__).resolve().parents[1] / "docs" / "formats.md").read_text()
    block = docs.split("## Deployment record", 1)[1].split("```", 2)[1]
    shown = [line for line in block.splitlines() if line.startswith("fr-eval: error:")]
    assert len(shown) == 6
    for line in shown:
        assert line in real, line
