"""The reviewer's own section: a statement the person who signs the report wrote, rendered as written.

``fr-eval report SOURCE -o report.pdf --review review.md`` (or ``review.yaml``) puts it after the findings and
its SHA-256 in the provenance; without one the report says that no reviewer statement was supplied.  Two forms
(docs/formats.md, "Reviewer statement"):

* **Markdown** (``.md``): YAML front matter between ``---`` lines with ``author`` (required), ``affiliation``
  and ``date``, then the statement in Markdown (headings such as "Findings", "Limitations", "What was not
  checked" are the reviewer's own);
* **YAML** (``.yaml``/``.yml``): ``author`` (required), ``affiliation``, ``date``, ``statement`` (Markdown) and
  the lists ``findings``, ``limitations``, ``not_checked`` (each item Markdown), rendered as a statement
  followed by a section per list.

Markdown is parsed once, by ``markdown-it-py`` (CommonMark, raw HTML switched off), for both renderers: the
HTML report takes its HTML; the PDF maps its tokens onto a small subset -- headings, paragraphs, bullet and
numbered lists (nested), block quotes, emphasis, strong, inline and block code, links shown as "text (url)".
Anything else (tables, images, raw HTML) is printed as its plain text.  Why a subset for the PDF: reportlab's
paragraphs take a mini-markup of their own, so every piece of the review is escaped and only tags fr-eval
writes reach it; nothing in a review can change the layout or make the report load a file.

Bad review files are one-line errors (:class:`~fr_eval.errors.InputError`, exit 2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from fr_eval.errors import InputError

MAX_BYTES = 256 * 1024
META_KEYS = ("author", "affiliation", "date")
YAML_KEYS = META_KEYS + ("statement", "findings", "limitations", "not_checked")
LIST_TITLES = {"findings": "Findings", "limitations": "Limitations", "not_checked": "What was not checked"}


@dataclass
class Review:
    """A reviewer statement: who, and what they wrote (as one Markdown text)."""

    path: str
    sha256: str
    author: str
    affiliation: str = ""
    date: str = ""
    markdown: str = ""
    form: str = "markdown"          # "markdown" or "yaml"
    sections: list[str] = field(default_factory=list)

    def byline(self) -> str:
        return ", ".join(x for x in (self.author, self.affiliation, self.date) if x)

    def html(self) -> str:
        """The statement as HTML (markdown-it-py, CommonMark, raw HTML off: every tag comes from Markdown)."""
        return _md().render(self.markdown)

    def pdf_blocks(self) -> list[tuple[str, int, str]]:
        """The statement as ``(kind, level, markup)`` blocks for reportlab: kind ``h`` (level 1-6), ``p``,
        ``li`` (level = depth, markup starting with its bullet or number), ``quote``, ``code`` (plain text)."""
        return _pdf_blocks(_md().parse(self.markdown))


def _md():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False})


def load_review(path: str | Path) -> Review:
    """Read a reviewer statement (module docstring); refuse a bad one in one line."""
    import hashlib

    from fr_eval.inputs.yamlfile import load_yaml_text

    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise InputError(f"{path}: no such review file" if not path.exists() else f"{path}: not a regular file",
                         hint="give a Markdown (.md) or YAML (.yaml) reviewer statement")
    suffix = path.suffix.lower()
    if suffix not in (".md", ".markdown", ".yaml", ".yml"):
        raise InputError(f"{path}: a review file is Markdown (.md) or YAML (.yaml), not {suffix or 'no suffix'}")
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise InputError(f"{path}: {len(data):,} bytes is too large for a review (at most {MAX_BYTES:,})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})", hint="save the file as UTF-8") from None
    sha = hashlib.sha256(data).hexdigest()
    if suffix in (".yaml", ".yml"):
        raw = load_yaml_text(text, where)
        if not isinstance(raw, dict):
            raise InputError(f"{path}: a YAML review is a mapping of {', '.join(YAML_KEYS)}")
        _check_keys(raw, YAML_KEYS, where)
        parts, sections = [], []
        statement = _text(raw.get("statement"), "statement", where)
        if statement:
            parts.append(statement)
        for key, title in LIST_TITLES.items():
            items = raw.get(key)
            if items is None:
                continue
            if isinstance(items, str):
                items = [items]
            if not isinstance(items, list) or not all(isinstance(i, (str, int, float)) for i in items):
                raise InputError(f"{path}: '{key}' must be a list of Markdown strings")
            if items:
                sections.append(title)
                parts.append(f"## {title}\n\n" + "\n".join("- " + str(i).strip().replace("\n", "\n  ")
                                                           for i in items))
        body, meta, form = "\n\n".join(parts), raw, "yaml"
    else:
        meta, body = _front_matter(text, where, load_yaml_text)
        _check_keys(meta, META_KEYS, where)
        form, sections = "markdown", []
    author = _text(meta.get("author"), "author", where)
    if not author:
        raise InputError(f"{path}: the review names no author", hint="add 'author: Name' (front matter in Markdown)")
    if not body.strip():
        raise InputError(f"{path}: the review has no statement", hint="write what you found, below the front matter")
    return Review(str(path), sha, author, _text(meta.get("affiliation"), "affiliation", where),
                  _text(meta.get("date"), "date", where), body.strip() + "\n", form, sections)


def _front_matter(text: str, where: str, load) -> tuple[dict[str, Any], str]:
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise InputError(f"{where}: a Markdown review starts with front matter naming its author",
                         hint="begin with '---', 'author: Name', '---'")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise InputError(f"{where}: the front matter is not closed", hint="end it with a line '---'") from None
    meta = load("\n".join(lines[1:end]), f"{where} (front matter)") or {}
    if not isinstance(meta, dict):
        raise InputError(f"{where}: the front matter must be 'key: value' lines ({', '.join(META_KEYS)})")
    return meta, "\n".join(lines[end + 1:])


def _check_keys(raw: dict, allowed: tuple[str, ...], where: str) -> None:
    unknown = [str(k) for k in raw if k not in allowed]
    if unknown:
        raise InputError(f"{where}: unknown key '{unknown[0]}' in the review", hint=f"keys: {', '.join(allowed)}")


def _text(v: Any, key: str, where: str) -> str:
    if v is None:
        return ""
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, (str, int, float)) and not isinstance(v, bool):
        return str(v).strip()
    raise InputError(f"{where}: '{key}' must be text, not a {type(v).__name__}")


# -- Markdown tokens -> reportlab blocks ------------------------------------------------------------

def _inline(tokens) -> str:
    """Inline tokens as reportlab mini-markup: every text escaped, only these tags written."""
    out, links = [], []
    for t in tokens or []:
        if t.type in ("text", "html_inline"):
            out.append(escape(t.content))
        elif t.type == "code_inline":
            out.append(f"<font name='FrEvalMono'>{escape(t.content)}</font>")
        elif t.type in ("softbreak",):
            out.append(" ")
        elif t.type == "hardbreak":
            out.append("<br/>")
        elif t.type == "strong_open":
            out.append("<b>")
        elif t.type == "strong_close":
            out.append("</b>")
        elif t.type == "em_open":
            out.append("<i>")
        elif t.type == "em_close":
            out.append("</i>")
        elif t.type == "link_open":
            links.append(str(t.attrs.get("href", "")))
        elif t.type == "link_close":
            href = links.pop() if links else ""
            if href:
                out.append(f" ({escape(href)})")
        elif t.type == "image":
            out.append(escape(t.content or ""))
        elif t.children:
            out.append(_inline(t.children))
    return "".join(out)


def _pdf_blocks(tokens) -> list[tuple[str, int, str]]:
    out: list[tuple[str, int, str]] = []
    lists: list[list[Any]] = []          # [ordered, next number] per open list
    quote = 0
    pending: str | None = None           # the bullet of a list item whose first paragraph is next
    for i, t in enumerate(tokens):
        if t.type == "heading_open":
            out.append(("h", int(t.tag[1]), _inline(tokens[i + 1].children)))
        elif t.type in ("bullet_list_open", "ordered_list_open"):
            lists.append([t.type == "ordered_list_open", int(t.attrs.get("start", 1) or 1)])
        elif t.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif t.type == "list_item_open":
            ordered, n = lists[-1]
            pending = f"{n}." if ordered else "\u2022"
            lists[-1][1] = n + 1
        elif t.type == "blockquote_open":
            quote += 1
        elif t.type == "blockquote_close":
            quote -= 1
        elif t.type == "inline" and tokens[i - 1].type == "paragraph_open":
            text = _inline(t.children)
            if pending is not None:
                out.append(("li", len(lists), f"{pending} {text}"))
                pending = None
            elif lists:
                out.append(("li", len(lists), text))
            else:
                out.append(("quote" if quote else "p", quote, text))
        elif t.type in ("fence", "code_block"):
            out.append(("code", len(lists), t.content.rstrip("\n")))
        elif t.type == "hr":
            out.append(("p", 0, "\u2014"))
    return out
