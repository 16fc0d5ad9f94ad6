"""The record report as one self-contained HTML file: inline CSS, figures as data URIs with alt text, no scripts.

Layout only: the sections come from :func:`fr_eval.report.record_report.record_sections`.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from fr_eval import __version__
from fr_eval.store.atomic import write_text

CSS = """
body{font-family:"DejaVu Sans",Verdana,sans-serif;font-size:14px;line-height:1.45;max-width:72em;margin:2em auto;
padding:0 1em;color:#222}h1{font-size:1.7em}h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:12px;width:100%}
th,td{border:1px solid #c8c8c8;padding:2px 4px;vertical-align:top;text-align:left}th{background:#e8eef6}
.note{font-style:italic;color:#6b3d00}figure{margin:1em 0}figure img{max-width:100%}
figcaption{font-size:12px;color:#333}.wide{overflow-x:auto}
"""


def render_html(title: str, facts, sections, out: str | Path) -> Path:
    """Write the HTML record report atomically."""
    return write_text(out, html_text(title, facts, sections))


def html_text(title: str, facts, sections) -> str:
    e = escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{e(title)}</title>",
             f"<style>{CSS}</style></head><body>", f"<h1>{e(title)}</h1>", _table(["Item", "Value"], facts),
             "<nav><ol>" + "".join(f'<li><a href="#s{i}">{e(s.title)}</a></li>' for i, s in enumerate(sections, 1))
             + "</ol></nav>"]
    for i, sec in enumerate(sections, 1):
        parts.append(f'<h2 id="s{i}">{i} {e(sec.title)}</h2>')
        for b in sec.blocks:
            if b.kind == "table":
                parts.append(f'<div class="wide">{_table(b.headers, b.rows)}</div>')
            elif b.kind == "figure" and b.image is not None:
                data = base64.b64encode(b.image).decode()
                parts.append(f'<figure><img alt="{e(b.text)}" src="data:image/png;base64,{data}">'
                             f"<figcaption>{e(b.text)}</figcaption></figure>")
            elif b.kind == "note":
                parts.append(f'<p class="note">{e(b.text)}</p>')
            elif b.kind == "p":
                parts.append(f"<p>{e(b.text)}</p>")
    parts.append(f"<hr><p>fr-eval {__version__} record report</p></body></html>")
    return "\n".join(parts)


def _table(headers, rows) -> str:
    out = ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in rows]
    return "".join(out) + "</table>"
