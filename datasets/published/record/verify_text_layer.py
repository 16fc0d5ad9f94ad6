#!/usr/bin/env python3
"""Second, independent extraction of the Met grids for checking parse_met_grid.py.

parse_met_grid.py reads table cells (pdfplumber.extract_tables).  This script reads
the plain text layer instead (pdfplumber.extract_text, one line per table row's
first text line) with a regular expression, and compares date, watchlist, the alert
counts, arrests and faces with the table extraction, as multisets of rows per document.

    .venv/bin/python datasets/published/record/verify_text_layer.py --pdfs DIR

Prints the number of rows matched per document and every difference; exit 1 on any.
(It checks the parser, before build_record.py withholds the one self-contradicting row.)
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pdfplumber

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import parse_met_grid as pmg  # noqa: E402

NUM = r"(\d[\d,]*|N/A)"
ROW_A = re.compile(r"(\d{2}/\d{2}/\d{2})\s+[\d,\s]+?\s(\d{4,5})\s+" + r"\s+".join([NUM] * 7)
                   + r"\s+([\d.]+%|N/A)\s*$")
ROW_B = re.compile(r"(\d{2}/\d{2}/\d{2})\s+\S+(?:\s\S+)?\s+(?:[\d,]+|Crime Hotspot)\s+(\d{4,5})\s+(0\.\d+)\s+"
                   + r"\s+".join([NUM] * 5) + r"\s+[\d.]+%\s+" + r"\s+".join([NUM] * 4) + r"\s*$")


def iv(s):
    return None if s in (None, "N/A") else int(s.replace(",", ""))


def text_rows(doc, pdf_dir: Path):
    out = []
    with pdfplumber.open(pdf_dir / doc["file"]) as pdf:
        for page in pdf.pages:
            for line in (page.extract_text() or "").splitlines():
                if doc["layout"] == "met-2020-2022":
                    m = ROW_A.search(line)
                    if m:
                        d, wl, tot, fa, _fe, ta, _te, arr, faces, _rate = m.groups()
                        out.append((pmg.to_iso(d), iv(wl), iv(tot), iv(ta), iv(fa), iv(arr), iv(faces)))
                else:
                    m = ROW_B.search(line)
                    if m:
                        d, wl, _thr, tot, tc, tu, fc, fu, arr, _o, _n, faces = m.groups()
                        t = iv(tc) + iv(tu)
                        f = iv(fc) + iv(fu)
                        out.append((pmg.to_iso(d), iv(wl), iv(tot), t, f, iv(arr), iv(faces)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pdfs", type=Path, required=True, help="folder holding the Met PDFs named in sources.yaml")
    args = ap.parse_args()
    anomalies: list[str] = []
    csv_rows = [{k: "" if v is None else str(v) for k, v in r.items()} for r in pmg.parse_all(anomalies, args.pdfs)]
    problems = 0
    for doc in pmg.load_sources():
        if doc.get("parser") != "parse_met_grid":
            continue
        label = f"{doc['title']} ({doc['period']}),"
        mine = [r for r in csv_rows if r["source"].startswith(label)]
        # CSV is sorted by date; restore document order via page then original id order is
        # not stored, so compare as multisets of tuples
        key = lambda t: tuple(-1 if x is None else x for x in t)  # noqa: E731
        a = sorted([(r["date"], *(None if r[k] == "" else int(r[k]) for k in
                    ("watchlist_size", "alerts", "true_alerts", "false_alerts", "arrests", "faces_processed")))
                    for r in mine], key=key)
        b = sorted(text_rows(doc, args.pdfs), key=key)
        only_a = [x for x in a if x not in b]
        only_b = [x for x in b if x not in a]
        print(f"{doc['id']}: tables {len(a)} rows, text layer {len(b)} rows, "
              f"{len(a) - len(only_a)} identical")
        for x in only_a:
            print("  only in CSV:", x)
        for x in only_b:
            print("  only in text layer:", x)
        problems += len(only_a) + len(only_b)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
