"""Small deployment records for the record tests, written as CSV text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

HEADER = ["deployment_id", "force", "date", "place", "threshold", "faces_processed", "alerts", "true_alerts",
          "false_alerts", "arrests", "source", "notes"]

# twelve deployments of two forces over two years and two thresholds; hand-checked sums below
ROWS = [
    ["a-2023-03-01", "Force A", "2023-03-01", "High Street", "0.6", "10000", "10", "8", "2", "3", "grid p.1", ""],
    ["a-2023-03-15", "Force A", "2023-03-15", "Market Square", "0.6", "20000", "6", "5", "1", "2", "grid p.1", ""],
    ["a-2023-06-02", "Force A", "2023-06-02", "High Street", "0.6", "5000", "4", "4", "0", "1", "grid p.1", ""],
    ["a-2023-09-09", "Force A", "2023-09-09", "Station Road", "0.6", "8000", "3", "3", "0", "0", "grid p.2", ""],
    ["a-2024-01-10", "Force A", "2024-01-10", "High Street", "0.64", "12000", "9", "9", "0", "4", "grid p.2", ""],
    ["a-2024-02-20", "Force A", "2024-02-20", "Market Square", "0.64", "30000", "12", "12", "0", "5", "grid p.2", ""],
    ["a-2024-05-05", "Force A", "2024-05-05", "Station Road", "0.64", "9000", "5", "5", "0", "2", "grid p.3", ""],
    ["a-2024-07-07", "Force A", "2024-07-07", "High Street", "0.64", "", "", "", "", "", "grid p.3",
     "technical fault: no figures"],
    ["b-2023-05-05", "Force B", "2023-05-05", "Stadium", "", "40000", "20", "15", "5", "6", "press", ""],
    ["b-2024-05-05", "Force B", "2024-05-05", "Stadium", "", "35000", "7", "", "1", "", "press", "true derived"],
    ["b-2024-08-08", "Force B", "2024-08-08", "Town centre", "", "", "4", "4", "0", "2", "press", "no faces"],
    ["b-undated", "Force B", "", "Concert", "", "", "6", "6", "", "", "press", "no day published"],
]
# false_alert_rate: rows with false_alerts (given or derived) and faces: a-* except a-2024-07-07, b-2023, b-2024-05
FAR = (2 + 1 + 0 + 0 + 0 + 0 + 0 + 5 + 1, 10000 + 20000 + 5000 + 8000 + 12000 + 30000 + 9000 + 40000 + 35000)
# precision: rows with true_alerts (given or derived: b-2024-05-05 = 7 - 1) and alerts (b-undated: 6/6)
PRECISION = (8 + 5 + 4 + 3 + 9 + 12 + 5 + 15 + 6 + 4 + 6, 10 + 6 + 4 + 3 + 9 + 12 + 5 + 20 + 7 + 4 + 6)


def csv_text(rows=ROWS, header=HEADER) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write_record(tmp_path: Path, rows=ROWS, header=HEADER, name: str = "record.csv") -> Path:
    p = tmp_path / name
    p.write_text(csv_text(rows, header), encoding="utf-8")
    return p
