"""Score-list readers: every format into one ScoreList, float64 kept exactly, bad input as one line."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fr_eval.errors import InputError
from fr_eval.inputs.scorelists import detect_format, read_scorelist, searches_from


def write(tmp_path, name, text, newline="\n"):
    p = tmp_path / name
    p.write_bytes(text.replace("\n", newline).encode())
    return p


def error(tmp_path, name, text, fmt=None):
    """The one-line message of reading ``text`` as ``name``."""
    with pytest.raises(InputError) as exc:
        sl = read_scorelist(write(tmp_path, name, text), fmt)
        searches_from(sl)
    msg = exc.value.one_line()
    assert "\n" not in msg
    return msg


# -- each format -------------------------------------------------------------------------------------

def test_csv_with_every_column_and_label_spelling(tmp_path):
    p = write(tmp_path, "s.csv", "group,probe,subject,score,label\n"
                                 "day,p1,alice,0.9,genuine\nday,p1,bob,0.2,impostor\n"
                                 "night,p2,bob,0.8,MATED\nnight,p2,alice,0.1,non-mated\n"
                                 "day,p3,carol,0.7,1\nday,p3,alice,0.3,0\nday,p4,dan,0.6,True\nday,p4,x,0.4, false\n")
    sl = read_scorelist(p)
    assert sl.format == "csv" and sl.score.dtype == np.float64
    assert sl.genuine.tolist() == [True, False, True, False, True, False, True, False]
    assert sl.subject.tolist()[:2] == ["alice", "bob"] and sl.group.tolist()[2] == "night"
    assert sl.paths == (str(p),) and len(sl.sha256[0]) == 64


def test_missing_scores_are_kept_as_failures_to_acquire(tmp_path):
    sl = read_scorelist(write(tmp_path, "s.csv", "label,score\ngenuine,\ngenuine,nan\nimpostor,NaN\nimpostor,0.5\n"))
    assert len(sl) == 4 and np.isnan(sl.score).sum() == 3
    d = sl.describe()
    assert (d["missing_genuine"], d["missing_impostor"]) == (2, 1)


def test_bob_formats(tmp_path):
    sl4 = read_scorelist(write(tmp_path, "a.txt", "a a p1 0.5\na b p1 -1e-3\nb b p2 nan\n"))
    assert sl4.format == "bob4" and sl4.genuine.tolist() == [True, False, True]
    assert sl4.subject.tolist() == ["a", "a", "b"] and sl4.true_subject.tolist() == ["a", "b", "b"]
    assert sl4.probe.tolist() == ["p1", "p1", "p2"] and np.isnan(sl4.score[2])
    sl5 = read_scorelist(write(tmp_path, "b.txt", "a m1 a p1 0.5\na m2 b p1 0.25\n"))
    assert sl5.format == "bob5" and sl5.reference.tolist() == ["m1", "m2"] and sl5.genuine.tolist() == [True, False]
    sl2 = read_scorelist(write(tmp_path, "c.txt", "1 0.5\n-1 0.2\n0 0.1\n1.0 nan\n"))
    assert sl2.format == "bob2" and sl2.genuine.tolist() == [True, False, False, True]


def test_whitespace_variants_use_the_fallback_parser_with_the_same_result(tmp_path):
    """Tabs, repeated spaces and CRLF (pyeer's sdist ships CRLF files) read the same."""
    a = read_scorelist(write(tmp_path, "a.txt", "a a p1 0.5\na b p1 0.125\n"))
    b = read_scorelist(write(tmp_path, "b.txt", "a\ta  p1   0.5\n\n  a b p1 0.125  \n", newline="\r\n"))
    assert np.array_equal(a.score, b.score) and a.genuine.tolist() == b.genuine.tolist()
    assert a.probe.tolist() == b.probe.tolist()


def test_pyeer_pair(tmp_path):
    g = write(tmp_path, "g.txt", "0.9\n0.8\n", newline="\r\n")
    i = write(tmp_path, "i.txt", "0.1\nnan\n0.3\n")
    sl = read_scorelist([g, i])
    assert sl.format == "pyeer" and sl.genuine.tolist() == [True, True, False, False, False]
    assert sl.paths == (str(g), str(i)) and len(sl.sha256) == 2
    assert sl.line_of(3) == (str(i), 2)


def test_openset_searches(tmp_path):
    p = write(tmp_path, "o.csv", "probe,mated,subject,score,true_subject\n"
                                 "p1,true,alice,0.9,alice\np1,true,bob,0.95,alice\n"
                                 "p2,false,alice,0.4,zed\np2,false,bob,0.3,zed\n"
                                 "p3,true,,,carol\n"
                                 "p4,true,bob,0.5,carol\n")
    sl = read_scorelist(p)
    s = sl.searches
    assert sl.format == "openset" and s.probe.tolist() == ["p1", "p2", "p3", "p4"]
    assert s.mated.tolist() == [True, False, True, True] and s.fta.tolist() == [False, False, True, False]
    assert s.start.tolist() == [0, 2, 4, 4, 5]            # p3 failed to acquire: no candidates
    assert s.subject.tolist() == ["bob", "alice", "alice", "bob", "bob"]   # by score, highest first
    assert s.rank.tolist() == [1, 2, 1, 2, 1] and s.mate.tolist() == [False, True, False, False, False]


def test_ranks_from_the_file_and_bob_tie_rule(tmp_path):
    given_ranks = read_scorelist(write(tmp_path, "r.csv", "probe,mated,subject,score,rank,true_subject\n"
                                       "p,true,a,0.1,2,a\np,true,b,0.9,1,a\n")).searches
    assert given_ranks.rank_given and given_ranks.subject.tolist() == ["b", "a"] and given_ranks.rank.tolist() == [1, 2]
    tie = read_scorelist(write(tmp_path, "t.csv", "probe,mated,subject,score,true_subject\n"
                               "p,true,a,0.5,a\np,true,b,0.5,a\n")).searches
    assert tie.rank[tie.mate].tolist() == [2]              # a non-mate tying with the mate ranks ahead of it


@pytest.mark.parametrize("text,fmt", [("label,score\n", "csv"), ("probe,mated,subject,score\n", "openset"),
                                      ("a,b\n", None), ("0.5\n", None), ("a b c\n", None)])
def test_format_detection(tmp_path, text, fmt):
    p = write(tmp_path, "x", text)
    if fmt:
        assert detect_format([str(p)]) == fmt
    else:
        with pytest.raises(InputError, match="cannot tell the format"):
            detect_format([str(p)])


# -- exact float64 -------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=30),
       st.sampled_from(["repr", "17g", "25e"]))
def test_scores_parse_to_the_exact_double_on_both_paths(tmp_path_factory, values, style):
    """Arrow (single spaces) and Python's float (tabs force the fallback) give the bits Python's float gives."""
    text = [repr(v) if style == "repr" else format(v, ".17g" if style == "17g" else ".25e") for v in values]
    d = tmp_path_factory.mktemp("f")
    fast = read_scorelist(write(d, "a.txt", "".join(f"1 {t}\n" for t in text)), "bob2").score
    slow = read_scorelist(write(d, "b.txt", "".join(f"1\t{t}\n" for t in text)), "bob2").score
    want = np.array([float(t) for t in text], dtype=np.float64)
    assert fast.dtype == slow.dtype == np.float64
    assert fast.tobytes() == want.tobytes() == slow.tobytes()


def test_hard_decimal_strings_round_correctly(tmp_path):
    hard = ["2.2250738585072011e-308", "4.9406564584124654e-324", "0.1", "9007199254740993",
            "1.00000000000000011102230246251565404236316680908203125", "7.038531e-26", "0.30000000000000004"]
    sl = read_scorelist(write(tmp_path, "h.csv", "label,score\n" + "".join(f"genuine,{h}\n" for h in hard)))
    assert [struct.pack("<d", x) for x in sl.score] == [struct.pack("<d", float(h)) for h in hard]


# -- bad input: one line, file and line number, the fix ---------------------------------------------------

@pytest.mark.parametrize("name,text,fmt,needles", [
    ("s.csv", "label,score\ngenuine,0.5\nimpostor,abc\n", None, ["s.csv: line 3", "'abc' is not a number"]),
    ("s.csv", "label,score\ngenuine,0.5\n\nimpostor,1_0\n", None, ["line 4", "not a number"]),
    ("s.csv", "label,score\ngenuine,0.5\nimpostor,inf\n", None, ["line 3", "infinite"]),
    ("s.csv", "label,score\ngenuine,0.5\nimpostr,0.1\n", None, ["line 3", "label 'impostr'"]),
    ("s.csv", "label,score\ngenuine,0.5,extra\n", None, ["line 2", "3 comma-separated fields, expected 2"]),
    ("s.csv", "label,scor\ngenuine,0.5\n", None, ["line 1", "unknown column 'scor'"]),
    ("s.csv", "score,subject\n0.5,a\n", "csv", ["line 1", "missing column label"]),
    ("s.csv", "label,score\n", None, ["no score rows", "header only"]),
    ("e.txt", "", None, ["e.txt: the file is empty"]),
    ("b.txt", "a a p1 0.5\na b p1\n", "bob4", ["b.txt: line 2", "3 whitespace-separated fields, expected 4"]),
    ("b.txt", "1 0.5\n2 0.5\n", "bob2", ["line 2", "label '2'"]),
    ("b.txt", "a a p1 0.5\nb a p1 0.7\nc c p1 0.6\n", "bob4", ["line 3", "two mated candidates"]),
    ("b.txt", "a a p1 0.5\nb b p2 0.7\na b p2 0.1\na a p1 0.2\n", "bob4", ["line 4", "candidate 'a' a second time"]),
    ("b.txt", "a a p1 0.5\nb a p1 nan\n", "bob4", ["line 2", "missing score here but scores on other rows"]),
    ("o.csv", "probe,mated,subject,score,true_subject\np,true,a,0.5,a\np,false,b,0.1,a\n", None,
     ["line 3", "different mated"]),
    ("o.csv", "probe,mated,subject,score\np,true,a,0.5\n", None, ["line 2", "add a true_subject column"]),
    ("o.csv", "probe,mated,subject,score,true_subject\np,maybe,a,0.5,a\n", None, ["line 2", "mated 'maybe'"]),
    ("o.csv", "probe,mated,subject,score,true_subject\np,false,a,0.5,a\n", None, ["line 2", "non-mated"]),
    ("o.csv", "probe,mated,subject,score,true_subject\np,true,a,0.5,a\np,true,a,0.4,a\n", None,
     ["line 3", "a second time"]),
    ("o.csv", "probe,mated,subject,score,rank,true_subject\np,true,a,0.5,1,a\np,true,b,0.4,1,a\n", None,
     ["line 3", "two candidates at rank 1"]),
    ("o.csv", "probe,mated,subject,score,rank,true_subject\np,true,a,0.5,0,a\n", None, ["line 2", "rank '0'"]),
])
def test_bad_input_is_one_line_naming_file_and_line(tmp_path, name, text, fmt, needles):
    msg = error(tmp_path, name, text, fmt)
    for n in needles:
        assert n in msg, msg
    assert str(tmp_path / name) in msg


def test_pyeer_needs_two_files_and_names_the_bad_one(tmp_path):
    g = write(tmp_path, "g.txt", "0.5\n")
    with pytest.raises(InputError, match="needs two files"):
        read_scorelist([g], "pyeer")
    i = write(tmp_path, "i.txt", "0.1\n0.2 0.3\n")
    with pytest.raises(InputError, match=r"i\.txt: line 2: 2 whitespace-separated fields"):
        read_scorelist([g, i])


def test_line_numbers_count_blank_lines(tmp_path):
    """The line is as a text editor shows it, blank lines included (fast path, found lazily)."""
    sl = read_scorelist(write(tmp_path, "b.txt", "a a p1 0.5\n\n\na a p2 0.5\nb b p2 0.6\n"), "bob4")
    with pytest.raises(InputError, match=r"b\.txt: line 5: probe 'p2' has two mated candidates"):
        searches_from(sl)
