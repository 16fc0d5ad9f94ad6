#!/usr/bin/env python3
"""Parse the Metropolitan Police "LFR Deployment Grid" PDFs into deployment rows.

Run from the repository root (the PDFs are not in the repository: fetch them from the
addresses in sources.yaml into a folder, and the SHA-256 of each is checked before parsing):

    .venv/bin/pip install pdfplumber==0.11.10
    .venv/bin/python datasets/published/record/parse_met_grid.py --pdfs DIR --out met_rows.csv

Normally it is called by build_record.py, which adds the other forces and writes
lfr-deployments.csv.  Needs pdfplumber and PyYAML.  The parser is deterministic: the
same PDFs (checked by SHA-256 against sources.yaml) give the same bytes.

What the PDFs look like
-----------------------
All three are Word documents exported to PDF (landscape A4 tables, one row per
deployment; a long place name wraps inside its cell, and a wrapped cell can spill
over a page break as a row that has only the place text).  pdfplumber's
``extract_tables()`` recovers the cells; a data row is a row of a wide table
(>= 12 columns) whose second cell is a DD/MM/YY date.

Layout ``met-2020-2022`` -- "MPS LFR DEPLOYMENTS 2020 - 2022" (title metadata
"LFR Deployment Grid", created 2023-11-20, 2 pages).  Columns:

    Deployment | Date (DD/MM/YY) | Purpose Reference | Watchlist Size | Total Alerts |
    False Alert / Confirmed False Alerts | False Alert / Confirmed False Alert Engagements |
    True Alerts(1) | True Alert Engagements | Arrests / Disposals | Faces seen (Estimate) |
    False Alert Rate

    N/A in every numeric column for the 21/02/20 deployment ("technical fault
    stopped deployment").  Footnote 1: a True Alert is when the probe image is the
    same person as the watchlist image.  No duration and no threshold column.

Layout ``met-2023-2025`` -- "MPS LFR DEPLOYMENTS 2023 - Date" (created 2025-01-11,
10 pages, rows 06/04/23 .. 20/12/24) and "MPS LFR DEPLOYMENTS 2025" (created
2025-05-12, 4 pages, rows 08/01/25 .. 10/05/25).  Sixteen columns:

    Deployment Location | Date | Duration (e.g. "5h03m", "5h 03m", "5hr 47m", "5h40") |
    LFR Purpose Reference / LFR Use Case ("1,2,3,4" until 10/09/24, then "Crime Hotspot") |
    Watchlist Size | Min Threshold Setting (0.6 / 0.62 / 0.64) | Total Alerts |
    True Alerts Confirmed | True Alerts Unconfirmed | False Alerts Confirmed |
    False Alerts Unconfirmed | False Alert Rate (false alerts / faces seen, as a %) |
    Engagement Outcomes: Arrest | Other Disposal | No Action | Faces seen (Estimate)

    Faces seen sometimes carries a thousands separator ("21,940").

Mapping to the record's columns (see README.md):
    alerts          = Total Alerts
    true_alerts     = True Alerts (2020-22) or Confirmed + Unconfirmed (2023-25)
    false_alerts    = False Alerts (2020-22) or Confirmed + Unconfirmed (2023-25)
    arrests         = Arrests / Disposals (2020-22) or Engagement Outcome "Arrest"
    faces_processed = Faces seen (Estimate)
    watchlist_size  = Watchlist Size
    threshold       = Min Threshold Setting (2023-25 only)
    footage_hours   = Duration converted to decimal hours (2023-25 only); this is
                      the length of the deployment, not camera-hours
Everything else in a row (purpose, the confirmed/unconfirmed split, other
disposal / no action, the printed false-alert rate, the raw duration) goes into
``notes``.  Nothing is corrected: a value that looks wrong is kept as printed and
reported as an anomaly.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent

# the record format's column names and order (docs/formats.md, "Deployment record")
COLUMNS = ["deployment_id", "force", "date", "place", "threshold", "faces_processed",
           "watchlist_size", "alerts", "true_alerts", "false_alerts", "arrests",
           "footage_hours", "source", "source_url", "notes"]

DATE_RE = re.compile(r"^(\d{2})/(\d{2})/(\d{2}|\d{4})$")
DUR_RE = re.compile(r"^(\d+)\s*h(?:r)?\s*(?:(\d+)\s*m?)?$")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def load_sources(path: Path = HERE / "sources.yaml") -> list[dict]:
    import yaml
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)["documents"]


def clean(cell) -> str:
    """Cell text with line breaks and runs of spaces collapsed."""
    if cell is None:
        return ""
    return re.sub(r"\s+", " ", str(cell)).strip()


def to_int(text: str, what: str, anomalies: list, where: str):
    t = clean(text).replace(",", "")
    if t == "" or t.upper() == "N/A":
        return None
    if not re.fullmatch(r"\d+", t):
        anomalies.append(f"{where}: {what} {text!r} is not a whole number; left empty")
        return None
    return int(t)


def to_iso(text: str) -> str:
    m = DATE_RE.match(clean(text))
    d, mth, y = m.groups()
    y = int(y) + 2000 if len(y) == 2 else int(y)
    return date(y, int(mth), int(d)).isoformat()


def duration_hours(text: str):
    m = DUR_RE.match(clean(text))
    if not m:
        return None
    h, mins = int(m.group(1)), int(m.group(2) or 0)
    return round(h + mins / 60.0, 2)


def slug(text: str) -> str:
    s = text.lower().replace("’", "").replace("'", "")
    s = re.sub(r"\(.*?\)", "", s)
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s[:40].strip("-")


def raw_rows(pdf_path: Path):
    """Yield (page_number, [cells]) for every data row, with spill-over place
    text (a row holding only the first cell) appended to the previous row."""
    import pdfplumber
    pending = None
    with pdfplumber.open(pdf_path) as pdf:
        for pno, page in enumerate(pdf.pages, 1):
            for table in page.extract_tables():
                if not table or max(len(r) for r in table) < 12:
                    continue  # purpose-reference tables and header fragments
                for row in table:
                    cells = [c for c in row if c is not None]
                    if not cells:
                        continue
                    if len(cells) > 1 and DATE_RE.match(clean(cells[1])):
                        if pending:
                            yield pending
                        pending = (pno, [str(c) if c is not None else "" for c in cells])
                    elif pending and clean(cells[0]) and not any(clean(c) for c in cells[1:]):
                        # continuation of the previous row's place (e.g. across a page break)
                        pending[1][0] = pending[1][0] + "\n" + cells[0]
    if pending:
        yield pending


def parse_document(doc: dict, anomalies: list, pdf_dir: Path) -> list[dict]:
    pdf_path = Path(pdf_dir) / doc["file"]
    if not pdf_path.is_file():
        raise SystemExit(f"{pdf_path}: missing; fetch {doc['file']} (sha256 {doc['sha256']}) from "
                         f"{doc.get('source_url')} into {pdf_dir}")
    digest = sha256(pdf_path)
    if digest != doc["sha256"]:
        raise SystemExit(f"{doc['file']}: SHA-256 {digest} does not match sources.yaml {doc['sha256']}")
    layout = doc["layout"]
    rows = []
    for pno, cells in raw_rows(pdf_path):
        where = f"{doc['id']} p.{pno}"
        place_raw = clean(cells[0])
        notes = []
        paren = re.search(r"\((.*?)\)", place_raw)
        place = place_raw
        if paren:
            notes.append(f"place cell also says: ({paren.group(1)})")
            place = clean(place_raw.replace(paren.group(0), ""))
        iso = to_iso(cells[1])
        where = f"{where} {clean(cells[1])} {place}"
        r = {"force": "Metropolitan Police Service", "date": iso, "place": place,
             "threshold": "", "footage_hours": ""}
        if layout == "met-2020-2022":
            if len(cells) != 12:
                raise SystemExit(f"{where}: expected 12 cells, got {len(cells)}: {cells}")
            (_, _, purpose, wl, total, fa, fa_eng, ta, ta_eng, arrests, faces, rate) = cells
            r["watchlist_size"] = to_int(wl, "watchlist", anomalies, where)
            r["alerts"] = to_int(total, "total alerts", anomalies, where)
            r["false_alerts"] = to_int(fa, "false alerts", anomalies, where)
            r["true_alerts"] = to_int(ta, "true alerts", anomalies, where)
            r["arrests"] = to_int(arrests, "arrests/disposals", anomalies, where)
            r["faces_processed"] = to_int(faces, "faces seen", anomalies, where)
            notes.append(f"purpose refs {clean(purpose)}")
            notes.append(f"false alert engagements {clean(fa_eng)}")
            notes.append(f"true alert engagements {clean(ta_eng)}")
            notes.append("arrests column is 'Arrests / Disposals'")
            notes.append(f"false alert rate as printed {clean(rate)}")
        elif layout == "met-2023-2025":
            if len(cells) != 16:
                raise SystemExit(f"{where}: expected 16 cells, got {len(cells)}: {cells}")
            (_, _, dur, purpose, wl, thr, total, tc, tu, fc, fu, rate,
             arrest, other, noact, faces) = cells
            r["watchlist_size"] = to_int(wl, "watchlist", anomalies, where)
            r["alerts"] = to_int(total, "total alerts", anomalies, where)
            tci, tui = (to_int(x, "true alerts", anomalies, where) for x in (tc, tu))
            fci, fui = (to_int(x, "false alerts", anomalies, where) for x in (fc, fu))
            r["true_alerts"] = None if tci is None and tui is None else (tci or 0) + (tui or 0)
            r["false_alerts"] = None if fci is None and fui is None else (fci or 0) + (fui or 0)
            r["arrests"] = to_int(arrest, "arrests", anomalies, where)
            r["faces_processed"] = to_int(faces, "faces seen", anomalies, where)
            thr_t = clean(thr)
            if re.fullmatch(r"0\.\d+", thr_t):
                r["threshold"] = thr_t
            else:
                anomalies.append(f"{where}: threshold {thr!r} not a decimal; left empty")
            hrs = duration_hours(dur)
            if hrs is None:
                anomalies.append(f"{where}: duration {dur!r} not understood; footage_hours empty")
            else:
                r["footage_hours"] = f"{hrs:.2f}"
            p = clean(purpose)
            notes.append(("purpose refs " if re.fullmatch(r"[\d,\s]+", p) else "use case ") + p)
            notes.append(f"duration {clean(dur)}")
            notes.append(f"true alerts confirmed {clean(tc)} / unconfirmed {clean(tu)}")
            notes.append(f"false alerts confirmed {clean(fc)} / unconfirmed {clean(fu)}")
            notes.append(f"false alert rate as printed {clean(rate)}")
            notes.append(f"outcomes: arrest {clean(arrest)}, other disposal {clean(other)}, "
                         f"no action {clean(noact)}")
            r["_tc"] = tci
            r["_other"] = to_int(other, "other disposal", anomalies, where)
            r["_noact"] = to_int(noact, "no action", anomalies, where)
        else:
            raise SystemExit(f"unknown layout {layout}")
        r["_notes"] = notes
        r["_page"] = pno
        r["_where"] = where
        r["_rate"] = clean(cells[-1] if layout == "met-2020-2022" else cells[11])
        r["source"] = f"{doc['title']} ({doc['period']}), p.{pno}"
        r["source_url"] = doc.get("source_url") or ""
        r["_doc"] = doc["id"]
        rows.append(r)
    return rows


def check_met_rows(rows: list[dict], anomalies: list) -> None:
    """Add row-level anomaly notes; nothing is changed."""
    by_doc: dict[str, list] = {}
    for r in rows:
        by_doc.setdefault(r["_doc"], []).append(r)
    for doc_rows in by_doc.values():
        # date out of the document's running order (e.g. a year typo)
        for prev, cur in zip(doc_rows, doc_rows[1:], strict=False):
            if (date.fromisoformat(prev["date"]) - date.fromisoformat(cur["date"])).days > 31:
                msg = (f"date printed {cur['date']} is out of sequence (previous row "
                       f"{prev['date']}); kept as printed - possibly a year typo")
                cur["_notes"].append("ANOMALY: " + msg)
                anomalies.append(f"{cur['_where']}: {msg}")
        # watchlist size far from other rows of the same date
        by_date: dict[str, list] = {}
        for r in doc_rows:
            by_date.setdefault(r["date"], []).append(r)
        for same in by_date.values():
            sizes = [r["watchlist_size"] for r in same if r["watchlist_size"] is not None]
            for r in same:
                others = [s for s in sizes if s != r["watchlist_size"]]
                if r["watchlist_size"] is not None and others and \
                        min(abs(r["watchlist_size"] - s) for s in others) > 1000:
                    msg = (f"watchlist {r['watchlist_size']} differs by >1000 from the same day's "
                           f"other row(s) {others}; kept as printed")
                    r["_notes"].append("ANOMALY: " + msg)
                    anomalies.append(f"{r['_where']}: {msg}")
    dup_pattern = 0
    for r in rows:
        a, t, f = r["alerts"], r["true_alerts"], r["false_alerts"]
        if a is not None and t is not None and f is not None and t + f != a:
            msg = f"true {t} + false {f} != total alerts {a}"
            r["_notes"].append("ANOMALY: " + msg)
            anomalies.append(f"{r['_where']}: {msg}")
        # printed false alert rate vs false / faces
        m = re.fullmatch(r"([\d.]+)%", r["_rate"])
        if m and f is not None and r["faces_processed"]:
            printed = float(m.group(1))
            computed = 100.0 * f / r["faces_processed"]
            if f == 0 and printed != 0 or f > 0 and not (0.4 * computed <= printed <= 2.5 * computed):
                msg = (f"printed false alert rate {r['_rate']} vs false/faces = {computed:.4f}%")
                r["_notes"].append("ANOMALY: " + msg)
                anomalies.append(f"{r['_where']}: {msg}")
        # engagement outcomes vs alerts (2023-25 layout).  The outcome columns may
        # count confirmed true alerts, all true alerts, or all alerts (false alerts
        # can also lead to an engagement); anything else is reported.
        if "_other" in r and t is not None and None not in (r["arrests"], r["_other"], r["_noact"]):
            s = r["arrests"] + r["_other"] + r["_noact"]
            targets = {t, r.get("_tc"), a}
            if s not in targets:
                if r["_other"] == r["_noact"] and r["arrests"] + r["_other"] in targets:
                    dup_pattern += 1
                    r["_notes"].append("'No Action' repeats 'Other Disposal' "
                                       "(arrest + other disposal already equals the alerts)")
                else:
                    msg = (f"arrest+other+no action = {s}, not equal to confirmed true ({r.get('_tc')}), "
                           f"true ({t}) or total alerts ({a})")
                    r["_notes"].append("NOTE: " + msg)
                    anomalies.append(f"{r['_where']}: {msg}")
    if dup_pattern:
        anomalies.append(f"{dup_pattern} Met rows: the 'No Action' column equals 'Other Disposal' and "
                         "arrest + other disposal already equals the (confirmed) true or total alerts, i.e. "
                         "'No Action' looks like a copy of 'Other Disposal'; noted per row, values unchanged")


def assign_ids(rows: list[dict], prefix: str) -> None:
    seen: dict[str, int] = {}
    for r in rows:  # document order
        base = f"{prefix}-{r['date']}-{slug(r['place']) or 'unknown'}"
        seen[base] = seen.get(base, 0) + 1
        r["deployment_id"] = base if seen[base] == 1 else f"{base}-{seen[base]}"


def finalise(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        row = {k: r.get(k, "") for k in COLUMNS}
        for k in ("faces_processed", "alerts", "true_alerts", "false_alerts", "arrests", "watchlist_size"):
            row[k] = "" if r.get(k) is None else str(r[k])
        row["notes"] = "; ".join(r["_notes"])
        out.append(row)
    return out


def parse_all(anomalies: list, pdf_dir: Path) -> list[dict]:
    rows = []
    for doc in load_sources():
        if doc.get("parser") != "parse_met_grid":
            continue
        rows.extend(parse_document(doc, anomalies, pdf_dir))
    check_met_rows(rows, anomalies)
    assign_ids(rows, "met")
    return finalise(rows)


def write_csv(rows: list[dict], path: Path) -> None:
    rows = sorted(rows, key=lambda r: (r["force"], r["date"] or "9999", r["deployment_id"]))
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pdfs", required=True, help="folder holding the Met PDFs named in sources.yaml")
    ap.add_argument("--out", required=True, help="CSV to write (Met rows only)")
    args = ap.parse_args()
    anomalies: list[str] = []
    rows = parse_all(anomalies, Path(args.pdfs))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_csv(rows, Path(args.out))
    print(f"{len(rows)} Met rows -> {args.out}", file=sys.stderr)
    for a in anomalies:
        print("ANOMALY", a, file=sys.stderr)


if __name__ == "__main__":
    main()
