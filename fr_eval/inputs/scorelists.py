"""Score lists: comparison scores from files, each format read into one :class:`ScoreList`.

The metrics (:mod:`fr_eval.thresholds.metrics`) never parse files: every format below becomes the
same data structure, as TrackEval's datasets do (``trackeval/datasets/_base_dataset.py``).  Formats
(docs/metrics.md, "Score-list formats", has examples):

=========  ==============================================================================================
format     what one line holds
=========  ==============================================================================================
csv        header ``label,score`` plus optional ``subject``, ``probe``, ``group`` columns, any order
bob2       bob.measure's 2-column text: ``label score``; label ``1`` genuine, ``-1`` or ``0`` impostor
bob4       bob's 4-column text: ``claimed_id real_id test_label score``; genuine iff claimed_id == real_id
bob5       bob's 5-column text: ``claimed_id model_label real_id test_label score``; same rule
pyeer      two files, genuine then impostor, one score per line (pyeer's ``-g`` and ``-i`` files)
openset    identification searches: header ``probe,mated,subject,score`` plus optional ``rank``,
           ``true_subject``, ``group``: one row per returned candidate
=========  ==============================================================================================

Rules common to every format:

* **Scores stay exactly float64.**  A score is parsed as a correctly rounded IEEE double (Arrow's
  parser on the fast path, Python's ``float`` on the fallback path; a test checks that both give
  identical bits).  Nothing is ever converted to float32.
* **Missing scores are failures to acquire (FTA), never dropped.**  An empty score or ``nan`` (any
  case, optionally signed) is kept as NaN and counted by the metrics.
* **Bad input is one line** naming the file, the 1-based line number as a text editor shows it, and
  the fix, raised as :class:`fr_eval.errors.InputError` (exit 2 from the CLI): a non-numeric or
  infinite score, an unknown label, a wrong column count, an empty file, and, for identification
  searches, a duplicate (probe, candidate) pair or a probe with two mated candidates.

Labels of the ``csv`` format (case-insensitive, surrounding spaces ignored): genuine is ``genuine``,
``mated``, ``1`` or ``true``; impostor is ``impostor``, ``non-mated``, ``0`` or ``false``.  Nothing else.

Text columns are read with Arrow and dictionary-encoded, so ten million rows naming a few thousand
people cost one pointer per row, not one string each.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from fr_eval.errors import InputError

FORMATS = ("csv", "bob2", "bob4", "bob5", "pyeer", "openset")

GENUINE_LABELS = ("genuine", "mated", "1", "true")
IMPOSTOR_LABELS = ("impostor", "non-mated", "0", "false")
TRUE_VALUES = ("true", "1")
FALSE_VALUES = ("false", "0")

CSV_COLUMNS = {"label": True, "score": True, "subject": False, "probe": False, "group": False}
OPENSET_COLUMNS = {"probe": True, "mated": True, "subject": True, "score": True, "rank": False,
                   "true_subject": False, "group": False}
WHITESPACE_COLUMNS = {
    "bob2": ("label", "score"),
    "bob4": ("claimed_id", "real_id", "test_label", "score"),
    "bob5": ("claimed_id", "model_label", "real_id", "test_label", "score"),
    "pyeer": ("score",),
}
_FIX_SCORE = "write a decimal number, or leave the score empty (or nan) for a failure to acquire"


# -- the data structures ------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Searches:
    """Identification searches: one per probe, each with its returned candidates (open-set lists).

    Candidates are stored flat, search after search: search ``i`` owns candidates
    ``start[i]:start[i + 1]``, ordered by rank.  A search that failed to acquire (``fta[i]``) has no
    candidates.  ``mated[i]`` says whether the probe's own subject is enrolled (NIST FRTE's mated
    search); ``mate`` flags the candidate that is that subject, at most one per search.

    Ranks are 1-based.  When the file gives none they are derived from the scores, highest first,
    with bob.measure's tie rule: a non-mate scoring exactly the mate's score ranks ahead of it (rank
    of the mate = 1 + non-mates scoring >= it).
    """

    probe: np.ndarray            # object, one per search (order of first appearance in the file)
    mated: np.ndarray            # bool, one per search
    fta: np.ndarray              # bool, one per search: no score at all (failure to acquire)
    start: np.ndarray            # int64, len(probe) + 1 offsets into the candidate arrays
    subject: np.ndarray          # object, one per candidate
    score: np.ndarray            # float64, one per candidate
    rank: np.ndarray             # int64, one per candidate, 1 = best
    mate: np.ndarray             # bool, one per candidate
    rank_given: bool             # ranks came from the file (else derived from scores)
    true_subject: np.ndarray | None = None   # object, one per search, when known

    def __len__(self) -> int:
        return len(self.probe)

    @property
    def n_candidates(self) -> np.ndarray:
        return np.diff(self.start)


@dataclass(frozen=True, eq=False)
class ScoreList:
    """Comparison scores as read from one format, one entry per comparison (one row of the file).

    ``score`` is float64 with NaN for a failure to acquire; ``genuine`` says whether the comparison
    is mated (same person).  Label arrays are object arrays (or None when the format has no such
    column): ``subject`` the enrolled subject compared against (bob's claimed_id, the open-set
    candidate), ``probe`` the probe sample (bob's test_label), ``true_subject`` the probe's own
    subject when known (bob's real_id), ``reference`` the enrolled template (bob5's model_label),
    ``group`` a grouping label (csv, openset).  ``paths`` and ``sha256`` name the source files.
    Open-set lists also carry ``searches`` (per-probe candidate lists), ``rank`` and ``mated``.
    """

    score: np.ndarray
    genuine: np.ndarray
    format: str
    paths: tuple[str, ...]
    sha256: tuple[str, ...]
    subject: np.ndarray | None = None
    probe: np.ndarray | None = None
    group: np.ndarray | None = None
    true_subject: np.ndarray | None = None
    reference: np.ndarray | None = None
    rank: np.ndarray | None = None
    mated: np.ndarray | None = None
    searches: Searches | None = None

    def __len__(self) -> int:
        return len(self.score)

    @property
    def n_genuine(self) -> int:
        return int(np.count_nonzero(self.genuine))

    @property
    def n_impostor(self) -> int:
        return len(self.score) - self.n_genuine

    @property
    def missing(self) -> np.ndarray:
        """Comparisons whose score is missing (failures to acquire)."""
        return np.isnan(self.score)

    def line_of(self, row: int) -> tuple[str, int]:
        """``(path, line)`` of comparison ``row`` (0-based), the line as a text editor numbers it."""
        if self.format == "pyeer":
            n_gen = self.n_genuine
            return (self.paths[0], _row_line(self.paths[0], row, header=False, blank=_blank_ws)) if row < n_gen \
                else (self.paths[1], _row_line(self.paths[1], row - n_gen, header=False, blank=_blank_ws))
        header = self.format in ("csv", "openset")
        return self.paths[0], _row_line(self.paths[0], row, header=header,
                                        blank=_blank_csv if header else _blank_ws)

    def where(self, row: int) -> str:
        path, line = self.line_of(row)
        return f"{path}: line {line}"

    def describe(self) -> dict:
        """Counts and provenance, for reports and JSON."""
        miss = self.missing
        files = [{"path": p, "sha256": h} for p, h in zip(self.paths, self.sha256, strict=True)]
        return {"format": self.format, "files": files,
                "comparisons": len(self), "genuine": self.n_genuine, "impostor": self.n_impostor,
                "missing_genuine": int(np.count_nonzero(miss & self.genuine)),
                "missing_impostor": int(np.count_nonzero(miss & ~self.genuine))}


# -- entry point --------------------------------------------------------------------------------------

def read_scorelist(paths: str | Path | Sequence[str | Path], format: str | None = None) -> ScoreList:
    """Read one score file (two for ``pyeer``: genuine first) into a :class:`ScoreList`.

    ``format`` is one of :data:`FORMATS`, or None to detect it (:func:`detect_format`).

    >>> sl = read_scorelist("tests/data/parity/bob/dev-4col.txt", "bob4")  # doctest: +SKIP
    >>> sl.n_genuine, sl.n_impostor                                           # doctest: +SKIP
    (390, 520)
    """
    files = [str(paths)] if isinstance(paths, (str, Path)) else [str(p) for p in paths]
    if not files:
        raise InputError("no score file given", hint="give one score file, or two for --format pyeer")
    for f in files:
        _check_file(f)
    fmt = format or detect_format(files)
    if fmt not in FORMATS:
        raise InputError(f"unknown score-list format {fmt!r}", hint=f"one of {', '.join(FORMATS)}")
    if fmt == "pyeer":
        if len(files) != 2:
            raise InputError(f"--format pyeer needs two files (genuine, then impostor), got {len(files)}",
                             hint="give the genuine-score file first and the impostor-score file second")
        return _read_pyeer(files[0], files[1])
    if len(files) != 1:
        raise InputError(f"--format {fmt} reads one file, got {len(files)}",
                         hint="only pyeer lists come as two files (genuine, impostor)")
    if fmt == "csv":
        return _read_csv(files[0])
    if fmt == "openset":
        return _read_openset(files[0])
    return _read_bob(files[0], fmt)


def detect_format(paths: Sequence[str]) -> str:
    """The format of ``paths`` from their content (documented in docs/metrics.md).

    Two files are a pyeer pair.  One file whose first line holds a comma is a CSV: ``openset`` when its
    header has a ``mated`` column, ``csv`` when it has ``label``.  Otherwise the number of
    whitespace-separated fields on the first non-blank line decides: 2 ``bob2``, 4 ``bob4``, 5 ``bob5``.
    Anything else is an error naming the choices.
    """
    if len(paths) == 2:
        return "pyeer"
    if len(paths) != 1:
        raise InputError(f"{len(paths)} score files given", hint="give one file, or two (genuine, impostor) for pyeer")
    path = paths[0]
    first = _first_line(path)
    choices = "--format csv|bob2|bob4|bob5|pyeer|openset"
    if "," in first:
        cols = [c.strip().lower() for c in first.split(",")]
        if "mated" in cols:
            return "openset"
        if "label" in cols:
            return "csv"
        raise InputError("cannot tell the format: a comma-separated header with neither 'label' (csv) nor "
                         "'mated' (openset)", where=f"{path}: line 1", hint=f"fix the header or give {choices}")
    n = len(first.split())
    found = {2: "bob2", 4: "bob4", 5: "bob5"}.get(n)
    if found:
        return found
    if n == 1:
        raise InputError("cannot tell the format: one field per line is a pyeer score file, which comes as a pair",
                         where=f"{path}: line 1", hint="give the genuine and the impostor file (--format pyeer)")
    raise InputError(f"cannot tell the format: {n} whitespace-separated fields", where=f"{path}: line 1",
                     hint=f"bob files have 2, 4 or 5 fields; give {choices}")


# -- csv --------------------------------------------------------------------------------------------

def _read_csv(path: str) -> ScoreList:
    cols = _csv_header(path, CSV_COLUMNS)
    table = _read_table(path, cols, header=True)
    label = table.text["label"]
    genuine = _map_values(label, GENUINE_LABELS, IMPOSTOR_LABELS, path, table,
                          what="label", hint="write genuine or impostor")
    return ScoreList(score=table.score, genuine=genuine, format="csv", paths=(path,), sha256=(_sha256(path),),
                     subject=table.values("subject"), probe=table.values("probe"), group=table.values("group"))


# -- bob text formats ---------------------------------------------------------------------------------

def _read_bob(path: str, fmt: str) -> ScoreList:
    names = WHITESPACE_COLUMNS[fmt]
    table = _read_table(path, names, header=False)
    sha = (_sha256(path),)
    if fmt == "bob2":
        lab = table.text["label"]
        values = np.array([_bob2_label(u) for u in lab.uniques], dtype=np.int8)
        bad = np.flatnonzero(values[lab.codes] == 0)
        if len(bad):
            raise InputError(f"label {lab.uniques[lab.codes[bad[0]]]!r} is neither 1 (genuine) nor -1 or 0 (impostor)",
                             where=table.where(int(bad[0])), hint="bob's 2-column files hold 'label score' with "
                                                                 "label 1 or -1")
        return ScoreList(score=table.score, genuine=values[lab.codes] > 0, format=fmt, paths=(path,), sha256=sha)
    claimed, real = table.text["claimed_id"], table.text["real_id"]
    genuine = _same_text(claimed, real)
    return ScoreList(score=table.score, genuine=genuine, format=fmt, paths=(path,), sha256=sha,
                     subject=claimed.values(), true_subject=real.values(), probe=table.values("test_label"),
                     reference=table.values("model_label") if fmt == "bob5" else None)


def _bob2_label(text: str) -> int:
    try:
        v = float(text)
    except ValueError:
        return 0
    return 1 if v == 1 else (-1 if v in (-1.0, 0.0) else 0)


# -- pyeer ----------------------------------------------------------------------------------------------

def _read_pyeer(genuine_path: str, impostor_path: str) -> ScoreList:
    g = _read_table(genuine_path, ("score",), header=False)
    i = _read_table(impostor_path, ("score",), header=False)
    score = np.concatenate([g.score, i.score])
    genuine = np.zeros(len(score), dtype=bool)
    genuine[:len(g.score)] = True
    return ScoreList(score=score, genuine=genuine, format="pyeer", paths=(genuine_path, impostor_path),
                     sha256=(_sha256(genuine_path), _sha256(impostor_path)))


# -- open-set identification lists ----------------------------------------------------------------------

def _read_openset(path: str) -> ScoreList:
    cols = _csv_header(path, OPENSET_COLUMNS)
    table = _read_table(path, cols, header=True)
    mated = _map_values(table.text["mated"], TRUE_VALUES, FALSE_VALUES, path, table, what="mated",
                        hint="mated is true (the probe's subject is enrolled) or false")
    subject = table.text["subject"]
    has_true = "true_subject" in table.text
    genuine = mated & _same_text(subject, table.text["true_subject"]) if has_true else np.zeros(len(mated), bool)
    if not has_true and mated.any():
        row = int(np.flatnonzero(mated)[0])
        raise InputError("a mated search needs the probe's own subject to tell which candidate is its mate",
                         where=table.where(row), hint="add a true_subject column (docs/metrics.md, openset format)")
    rank = None
    if "rank" in table.text:
        rank = _parse_ranks(table.text["rank"], table)
    sl = ScoreList(score=table.score, genuine=genuine, format="openset", paths=(path,), sha256=(_sha256(path),),
                   subject=subject.values(), probe=table.values("probe"), group=table.values("group"),
                   true_subject=table.values("true_subject"), rank=rank, mated=mated)
    return _with_searches(sl, table.where)


def _parse_ranks(col: _Text, table: _Table) -> np.ndarray:
    values = np.zeros(len(col.uniques), dtype=np.int64)
    for k, u in enumerate(col.uniques):
        t = u.strip()
        if t == "":
            values[k] = 0
            continue
        if not t.isdigit() or int(t) < 1:
            row = int(np.flatnonzero(col.codes == k)[0])
            raise InputError(f"rank {u!r} is not a whole number >= 1", where=table.where(row),
                             hint="rank 1 is the best candidate; leave it empty only on a failure-to-acquire row")
        values[k] = int(t)
    return values[col.codes]


def searches_from(sl: ScoreList) -> Searches:
    """The identification searches of a score list with ``probe`` and ``subject`` labels.

    Each probe is one search; its comparisons are the candidates; the genuine one (if any) is the mate
    and makes the search mated (bob.measure's convention for its 4/5-column files: a probe with no
    genuine score is out of gallery).  Open-set lists already carry their searches.  Raises
    :class:`InputError` naming the line for a duplicate (probe, candidate) pair, a probe with two
    mated candidates, or a probe with a missing score beside other scores.
    """
    if sl.searches is not None:
        return sl.searches
    if sl.probe is None or sl.subject is None:
        raise InputError(f"{sl.paths[0]}: identification needs probe and subject labels",
                         hint="use --format openset, bob4 or bob5, or a csv with probe and subject columns")
    return _with_searches(sl, sl.where).searches  # type: ignore[return-value]


def _with_searches(sl: ScoreList, where) -> ScoreList:
    """Group the comparisons by probe, validate, and attach the :class:`Searches`."""
    assert sl.probe is not None and sl.subject is not None
    n = len(sl)
    probe_code, probes = pd.factorize(sl.probe, sort=False)
    n_search = len(probes)
    cand = sl.reference if sl.reference is not None else sl.subject
    miss = np.isnan(sl.score)
    openset = sl.format == "openset"
    if openset:
        bad = np.flatnonzero((cand == "") & ~miss)
        if len(bad):
            raise InputError("a candidate row needs a subject", where=where(int(bad[0])),
                             hint="leave subject and score empty together only for a failure to acquire")
    # the same candidate twice for one probe (failure rows name no candidate)
    cand_code, _ = pd.factorize(cand, sort=False)
    key = probe_code.astype(np.int64) * (int(cand_code.max(initial=0)) + 2) + cand_code
    if openset:
        key = np.where(miss, -1 - np.arange(n), key)
    dup = np.flatnonzero(pd.Series(key).duplicated().to_numpy())
    if len(dup):
        row = int(dup[0])
        raise InputError(f"probe {sl.probe[row]!r} lists candidate {cand[row]!r} a second time",
                         where=where(row), hint="each (probe, candidate) pair may appear once")
    # two mates for one probe
    gen_rows = np.flatnonzero(sl.genuine)
    second = np.flatnonzero(pd.Series(probe_code[gen_rows]).duplicated().to_numpy())
    if len(second):
        row = int(gen_rows[second[0]])
        raise InputError(f"probe {sl.probe[row]!r} has two mated candidates", where=where(row),
                         hint="a probe is one person: at most one genuine comparison (its mate) per probe")
    counts = np.bincount(probe_code, minlength=n_search)
    # failure to acquire: a search with no score at all; a missing score beside others is an error
    miss_per_probe = np.bincount(probe_code[miss], minlength=n_search)
    fta = miss_per_probe == counts
    mixed = np.flatnonzero(miss & ((miss_per_probe > 0) & ~fta)[probe_code])
    if len(mixed):
        row = int(mixed[0])
        raise InputError(f"probe {sl.probe[row]!r} has a missing score here but scores on other rows",
                         where=where(row), hint="a failed acquisition is one row with empty subject and score; "
                                                "otherwise every candidate needs a score")
    first_rows = np.unique(probe_code, return_index=True)[1]
    if openset:
        mated_s = _per_search(sl.mated, probe_code, first_rows, sl, where, "mated").astype(bool)
        true_s = None
        if sl.true_subject is not None:
            true_s = _per_search(sl.true_subject, probe_code, first_rows, sl, where, "true_subject")
            contradiction = np.flatnonzero(~mated_s[probe_code] & ~miss & (cand == sl.true_subject))
            if len(contradiction):
                row = int(contradiction[0])
                raise InputError(f"probe {sl.probe[row]!r} is marked non-mated but this candidate is its "
                                 "true_subject", where=where(row), hint="set mated to true, or correct true_subject")
            empty = np.flatnonzero((mated_s & (true_s == ""))[probe_code])
            if len(empty):
                row = int(empty[0])
                raise InputError(f"mated probe {sl.probe[row]!r} has an empty true_subject", where=where(row),
                                 hint="name the probe's own subject, so its mate can be found among the candidates")
    else:
        mated_s = np.bincount(probe_code[gen_rows], minlength=n_search) > 0
        true_s = None if sl.true_subject is None else np.asarray(sl.true_subject[first_rows], dtype=object)
    # candidate order: by probe, then by given rank, or by score (highest first, a mate after the non-mates
    # it ties with: bob.measure's rule)
    if sl.rank is not None:
        order = np.lexsort((sl.rank, probe_code))
    else:
        order = np.lexsort((sl.genuine, np.where(miss, np.inf, -sl.score), probe_code))
    pc_sorted = probe_code[order]
    start = np.zeros(n_search + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    if sl.rank is not None:
        ranks = sl.rank[order]
        no_rank = np.flatnonzero((ranks == 0) & ~miss[order])
        if len(no_rank):
            raise InputError("a candidate row needs a rank (the file has a rank column)",
                             where=where(int(order[no_rank[0]])), hint="rank 1 is the best candidate")
        same = np.flatnonzero((pc_sorted[1:] == pc_sorted[:-1]) & (ranks[1:] == ranks[:-1]) & (ranks[1:] > 0))
        if len(same):
            row = int(max(order[same[0]], order[same[0] + 1]))
            raise InputError(f"probe {sl.probe[row]!r} has two candidates at rank {sl.rank[row]}", where=where(row),
                             hint="ranks of one probe's candidates must differ")
    else:
        ranks = np.arange(n, dtype=np.int64) - start[:-1][pc_sorted] + 1
    keep = ~fta[pc_sorted]
    kstart = np.zeros(n_search + 1, dtype=np.int64)
    np.cumsum(np.where(fta, 0, counts), out=kstart[1:])
    idx = order[keep]
    searches = Searches(probe=np.asarray(probes, dtype=object), mated=np.asarray(mated_s, dtype=bool), fta=fta,
                        start=kstart, subject=np.asarray(cand[idx], dtype=object), score=sl.score[idx],
                        rank=ranks[keep], mate=sl.genuine[idx], rank_given=sl.rank is not None,
                        true_subject=true_s)
    return dataclasses.replace(sl, searches=searches)


def _per_search(values: np.ndarray | None, probe_code: np.ndarray, first_rows: np.ndarray, sl: ScoreList, where,
                name: str) -> np.ndarray:
    """One value per search (from its first row); every row of a probe must give the same value."""
    assert values is not None and sl.probe is not None
    codes, uniques = pd.factorize(values, sort=False)
    per_search = codes[first_rows]
    bad = np.flatnonzero(per_search[probe_code] != codes)
    if len(bad):
        row = int(bad[0])
        raise InputError(f"probe {sl.probe[row]!r} has a different {name} here than on its first row",
                         where=where(row), hint=f"{name} describes the probe: give the same value on all its rows")
    return np.asarray(uniques, dtype=object)[per_search]


# -- reading a table: Arrow fast path, Python fallback that finds the bad line -------------------------

@dataclass
class _Text:
    """A dictionary-encoded text column: ``uniques[codes]`` are the values."""

    codes: np.ndarray
    uniques: np.ndarray

    def values(self) -> np.ndarray:
        return self.uniques[self.codes]


@dataclass
class _Table:
    path: str
    score: np.ndarray
    text: dict[str, _Text]
    header: bool
    lines: np.ndarray | None = None   # 1-based line of each row, when known (fallback path)

    def values(self, name: str) -> np.ndarray | None:
        col = self.text.get(name)
        return None if col is None else col.values()

    def where(self, row: int) -> str:
        if self.lines is not None:
            return f"{self.path}: line {int(self.lines[row])}"
        line = _row_line(self.path, row, header=self.header, blank=_blank_csv if self.header else _blank_ws)
        return f"{self.path}: line {line}"


def _read_table(path: str, columns: Sequence[str], *, header: bool) -> _Table:
    """Read ``columns`` (``score`` as float64, the rest as text) and check every score."""
    table = _arrow_table(path, columns, header=header)
    if table is None:
        table = _python_table(path, columns, header=header)
    if not len(table.score):
        raise InputError("no score rows", where=path,
                         hint="the file holds a header only" if header else "the file holds only blank lines")
    inf = np.flatnonzero(np.isinf(table.score))
    if len(inf):
        raise InputError("score is infinite", where=table.where(int(inf[0])),
                         hint="scores must be finite; leave a score empty for a failure to acquire")
    return table


def _arrow_table(path: str, columns: Sequence[str], *, header: bool) -> _Table | None:
    csv_like = header
    types = {c: (pa.float64() if c == "score" else pa.string()) for c in columns}
    try:
        table = pv.read_csv(
            path,
            read_options=pv.ReadOptions(column_names=None if header else list(columns), block_size=1 << 24),
            parse_options=pv.ParseOptions(delimiter="," if csv_like else " ", quote_char='"' if csv_like else False,
                                          newlines_in_values=False),
            convert_options=pv.ConvertOptions(column_types=types, null_values=[""], strings_can_be_null=False,
                                              quoted_strings_can_be_null=False, include_columns=list(columns)))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, pa.ArrowKeyError):
        return None
    if header and table.num_columns != len(columns):
        return None
    score = pc.fill_null(table.column("score"), np.nan).to_numpy()
    score = np.ascontiguousarray(score, dtype=np.float64)
    text = {}
    for c in columns:
        if c == "score":
            continue
        enc = pc.dictionary_encode(table.column(c)).combine_chunks() if table.num_rows else None
        if enc is None:
            text[c] = _Text(np.zeros(0, np.int32), np.zeros(0, object))
        else:
            text[c] = _Text(enc.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False),
                            np.asarray(enc.dictionary.to_numpy(zero_copy_only=False), dtype=object))
    return _Table(path, score, text, header)


def _python_table(path: str, columns: Sequence[str], *, header: bool) -> _Table:
    """Parse line by line with Python's ``float``; raise on the first bad line (file, line, fix)."""
    cols: list[list[str]] = [[] for _ in columns]
    lines: list[int] = []
    s_idx = list(columns).index("score")
    for line_no, fields in _rows(path, header=header):
        if len(fields) != len(columns):
            what = "comma-separated" if header else "whitespace-separated"
            raise InputError(f"{len(fields)} {what} fields, expected {len(columns)} ({' '.join(columns)})",
                             where=f"{path}: line {line_no}", hint="one comparison per line, every field filled in")
        for k, f in enumerate(fields):
            cols[k].append(f)
        lines.append(line_no)
    scores = np.empty(len(lines), dtype=np.float64)
    for r, text in enumerate(cols[s_idx]):
        scores[r] = _parse_score(text, path, lines[r])
    out: dict[str, _Text] = {}
    for k, c in enumerate(columns):
        if c == "score":
            continue
        codes, uniques = pd.factorize(np.asarray(cols[k], dtype=object), sort=False)
        out[c] = _Text(codes.astype(np.int32), np.asarray(uniques, dtype=object))
    return _Table(path, scores, out, header, np.asarray(lines, dtype=np.int64))


def _parse_score(text: str, path: str, line: int) -> float:
    t = text.strip()
    if t == "" or t.lstrip("+-").lower() == "nan":
        return np.nan
    if "_" in t:     # Python's float accepts 1_000; Arrow and every other tool do not
        raise InputError(f"score {text!r} is not a number", where=f"{path}: line {line}", hint=_FIX_SCORE)
    try:
        return float(t)
    except ValueError:
        raise InputError(f"score {text!r} is not a number", where=f"{path}: line {line}", hint=_FIX_SCORE) from None


def _rows(path: str, *, header: bool) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of every data row: CSV after the header, or whitespace-separated."""
    line_no = 0
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            if header:
                reader = csv.reader(fh)
                for fields in reader:
                    if reader.line_num == 1 or not fields:
                        continue
                    line_no = reader.line_num
                    yield line_no, fields
            else:
                for line_no, line in enumerate(fh, start=1):
                    fields = line.split()
                    if fields:
                        yield line_no, fields
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", where=f"{path}: after line {line_no}",
                         hint="save the score list as UTF-8 text") from None
    except csv.Error as exc:
        raise InputError(f"not valid CSV: {exc}", where=f"{path}: line {line_no + 1}") from None


def _csv_header(path: str, allowed: dict[str, bool]) -> list[str]:
    first = _first_line(path)
    names = [c.strip() for c in next(csv.reader([first]))]
    where = f"{path}: line 1"
    seen = set()
    for n in names:
        if n not in allowed:
            raise InputError(f"unknown column {n!r}", where=where,
                             hint=f"columns are {', '.join(allowed)} (required: "
                                  f"{', '.join(k for k, v in allowed.items() if v)})")
        if n in seen:
            raise InputError(f"column {n!r} appears twice", where=where)
        seen.add(n)
    missing = [k for k, req in allowed.items() if req and k not in seen]
    if missing:
        raise InputError(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}", where=where,
                         hint=f"the header needs {', '.join(k for k, v in allowed.items() if v)}")
    return names


# -- label mapping ----------------------------------------------------------------------------------

def _map_values(col: _Text, yes: Sequence[str], no: Sequence[str], path: str, table: _Table, *, what: str,
                hint: str) -> np.ndarray:
    """Map a text column onto booleans through its few distinct values; unknown values are an error."""
    lut = np.zeros(len(col.uniques), dtype=np.int8)
    for k, u in enumerate(col.uniques):
        t = str(u).strip().lower()
        lut[k] = 1 if t in yes else (-1 if t in no else 0)
    mapped = lut[col.codes]
    bad = np.flatnonzero(mapped == 0)
    if len(bad):
        row = int(bad[0])
        raise InputError(f"{what} {col.uniques[col.codes[row]]!r} is not one of {'/'.join(yes)} or {'/'.join(no)}",
                         where=table.where(row), hint=hint)
    return mapped > 0


def _same_text(a: _Text, b: _Text) -> np.ndarray:
    """Row-wise equality of two dictionary-encoded text columns."""
    both, _ = pd.factorize(np.concatenate([a.uniques, b.uniques]), sort=False)
    ca, cb = both[:len(a.uniques)], both[len(a.uniques):]
    return ca[a.codes] == cb[b.codes]


# -- files ----------------------------------------------------------------------------------------------

def _check_file(path: str) -> None:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file", hint="check the path")
    if not p.is_file():
        raise InputError(f"{path}: not a file", hint="give a score file")
    if p.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty", hint="a score list needs at least one comparison")


def _first_line(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for line in fh:
                if line.strip():
                    return line.rstrip("\r\n")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text", hint="save the score list as UTF-8 text") from None
    raise InputError(f"{path}: the file is empty (blank lines only)", hint="a score list needs at least one comparison")


def _sha256(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _blank_ws(line: str) -> bool:
    return not line.strip()


def _blank_csv(line: str) -> bool:
    return line.rstrip("\r\n") == ""


def _row_line(path: str, row: int, *, header: bool, blank) -> int:
    """1-based line number of data row ``row`` (0-based): skip the header and blank lines."""
    seen = -1
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        for line_no, line in enumerate(fh, start=1):
            if header and line_no == 1:
                continue
            if blank(line):
                continue
            seen += 1
            if seen == row:
                return line_no
    return line_no


__all__ = ["FORMATS", "GENUINE_LABELS", "IMPOSTOR_LABELS", "ScoreList", "Searches", "detect_format",
           "read_scorelist", "searches_from"]
