"""Fuzzing as a habit: thousands of malformed inputs, each answered by success or one line and exit 2.

For each format a valid file is damaged by hypothesis -- a value replaced by a hostile one (negative, huge,
NaN, a string, a list, a mapping, deep nesting), a key removed or invented, the text cut short, bytes
flipped or YAML specials inserted -- and fr-eval is run on it in-process.  It must either succeed (exit 0;
for ``gate`` also 1, a failed policy) or refuse with exactly one line and exit 2: never another exit code,
never a traceback or an internal exception's name, never a hang (pytest-timeout bounds each test).
Derandomised, so CI sees the same inputs every time; 1,000 per format.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fr_eval.cli import main
from runfactory import make_run
from test_outcomes import ADJUDICATION, PASSAGES, TRACKS, WATCHLIST

ROOT = Path(__file__).resolve().parents[1]
FUZZ = settings(max_examples=1000, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.just(10**41), st.just(-1),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.just("1e309"), st.just("../../etc/passwd"), st.just("/etc/passwd"),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.recursive(st.integers(), lambda c: st.lists(c, max_size=2) | st.dictionaries(st.text(max_size=3), c,
                                                                                          max_size=2), max_leaves=6),
)


def cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def assert_answered(code: int, err: str, ok=(0,)) -> None:
    assert code in (*ok, 2), f"exit {code}: {err}"
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("fr-eval: error: "), err
        assert "Traceback" not in err and "Error:" not in lines[0].split(": ", 2)[-1][:40], err


def paths(obj, prefix=()):
    """Every key path of a nested mapping/list (where a value can be replaced or removed)."""
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += paths(v, prefix + (i,))
    return out


def mutate(obj, data):
    """A structural mutation of a parsed YAML document, drawn by hypothesis."""
    import copy

    doc = copy.deepcopy(obj)
    ps = paths(doc)
    kind = data.draw(st.sampled_from(["replace", "replace", "delete", "add"]))
    if kind == "add" or not ps:
        target = doc
        if ps and data.draw(st.booleans()):
            p = data.draw(st.sampled_from(ps))
            sub = doc
            for k in p:
                sub = sub[k]
            if isinstance(sub, dict):
                target = sub
        if isinstance(target, dict):
            target[data.draw(st.text(min_size=1, max_size=10))] = data.draw(HOSTILE)
        return doc
    p = data.draw(st.sampled_from(ps))
    parent = doc
    for k in p[:-1]:
        parent = parent[k]
    if kind == "delete":
        del parent[p[-1]]
    else:
        parent[p[-1]] = data.draw(HOSTILE)
    return doc


def damage_text(text: str, data) -> str:
    """A textual mutation: cut short, a character flipped, or a YAML special inserted."""
    kind = data.draw(st.sampled_from(["cut", "flip", "insert"]))
    if not text:
        return text
    at = data.draw(st.integers(0, len(text) - 1))
    if kind == "cut":
        return text[:at]
    if kind == "flip":
        return text[:at] + chr((ord(text[at]) + data.draw(st.integers(1, 90))) % 0x2FF) + text[at + 1:]
    special = data.draw(st.sampled_from(["*a", "&a ", "!!python/object:os.system ", "{", "[", ":", "- ", "\t",
                                         "\x00", "%YAML 9.9\n", "? ", "|\n", "'"]))
    return text[:at] + special + text[at:]


def document(data, original: str) -> str:
    if data.draw(st.booleans()):
        return yaml.safe_dump(mutate(yaml.safe_load(original), data), sort_keys=False, allow_unicode=True)
    return damage_text(original, data)


# -- counts files ---------------------------------------------------------------------------------

COUNTS = (ROOT / "datasets" / "published" / "essex-2019.yaml").read_text()


@FUZZ
@given(st.data())
def test_fuzz_counts_files(tmp_path_factory, data):
    p = tmp_path_factory.getbasetemp() / "fuzz-counts.yaml"
    p.write_text(document(data, COUNTS), encoding="utf-8", errors="surrogatepass")
    code, _, err = cli(["reconcile", str(p)])
    assert_answered(code, err)


# -- policy files ----------------------------------------------------------------------------------

POLICY = """name: fuzz
threshold: 0.6
bound: ci
rules:
  - {metric: fpir, max: 0.5}
  - {metric: tpir, min: 0.1, bound: point}
  - {metric: alerts_per_hour, max: 1000000}
  - {metric: fpir, by: gender, max_group_ratio: 100, name: equitability}
"""


@pytest.fixture(scope="module")
def fuzz_run(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("fuzzrun") / "run", passages=PASSAGES, tracks=TRACKS, watchlist=WATCHLIST,
                    adjudication=ADJUDICATION, demographics=("gender",))


@FUZZ
@given(st.data())
def test_fuzz_policy_files(fuzz_run, tmp_path_factory, data):
    p = tmp_path_factory.getbasetemp() / "fuzz-policy.yaml"
    p.write_text(document(data, POLICY), encoding="utf-8", errors="surrogatepass")
    code, _, err = cli(["gate", str(fuzz_run), "--policy", str(p)])
    assert_answered(code, err, ok=(0, 1))


# -- bundles -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz_bundle(tmp_path_factory):
    """A bundle of two tiny frames with truth and adjudication (validated without enrolment: no matcher runs)."""
    import numpy as np
    from PIL import Image

    root = tmp_path_factory.mktemp("fuzzbundle") / "b"
    (root / "footage" / "cam1").mkdir(parents=True)
    (root / "watchlist").mkdir()
    for i in range(2):
        Image.fromarray(np.full((24, 32, 3), 100 + i, np.uint8)).save(root / "footage" / "cam1" / f"{i}.png")
    Image.fromarray(np.full((24, 24, 3), 90, np.uint8)).save(root / "watchlist" / "s1.png")
    (root / "watchlist.csv").write_text("subject_id,image,gender\nS1,watchlist/s1.png,F\n")
    (root / "truth.csv").write_text("passage_id,camera,t_start,t_end,subject_id,person_id,plant\n"
                                    "p1,cam1,0,0.2,S1,alice,true\np2,cam1,0,0.2,,bob,false\n")
    (root / "adjudication.csv").write_text("camera,t,subject_id,operator_decision,engagement,verification,outcome\n"
                                           "cam1,0.1,S1,credible,stopped,correct,arrest\n")
    spec = {"id": "fuzz", "place": "bench", "start_time": "2020-02-27T10:00:00Z",
            "conditions": {"lighting": "day", "crowd": "sparse"}, "threshold": 0.5, "matcher": "dlib",
            "watchlist": "watchlist.csv", "truth": "truth.csv", "adjudication": "adjudication.csv",
            "footage": [{"path": "footage/cam1", "camera": "cam1", "fps": 5}],
            "sources": [{"citation": "a test", "url": "https://example.org"}], "faces_processed": 10}
    (root / "deployment.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


@FUZZ
@given(st.data())
def test_fuzz_bundles(fuzz_bundle, tmp_path_factory, data):
    work = tmp_path_factory.getbasetemp() / "fuzz-bundle"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(fuzz_bundle, work)
    name = data.draw(st.sampled_from(["deployment.yaml", "deployment.yaml", "watchlist.csv", "truth.csv",
                                      "adjudication.csv"]))
    original = (work / name).read_text()
    if name.endswith(".yaml"):
        text = document(data, original)
    else:
        text = damage_text(original, data) if data.draw(st.booleans()) else original.replace(
            data.draw(st.sampled_from(["0.2", "S1", "cam1", "true", "credible", "alice", ","])),
            data.draw(st.sampled_from(["-1", "", "nan", "1e309", "x,y", '"', "S9", "cam2", "maybe", ",,"])), 1)
    (work / name).write_text(text, encoding="utf-8", errors="surrogatepass")
    code, _, err = cli(["validate", str(work), "--no-enrol"])
    assert_answered(code, err)


# -- run folders ---------------------------------------------------------------------------------------

@FUZZ
@given(st.data())
def test_fuzz_run_folders(fuzz_run, tmp_path_factory, data):
    work = tmp_path_factory.getbasetemp() / "fuzz-run"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(fuzz_run, work)
    files = sorted(p for p in work.rglob("*") if p.is_file())
    target = data.draw(st.sampled_from(files))
    kind = data.draw(st.sampled_from(["manifest", "manifest", "bytes", "delete", "truncate"]))
    if kind == "manifest":
        m = (work / "manifest.json").read_text()
        import json

        doc = json.loads(m)
        if data.draw(st.booleans()):
            doc = mutate(doc, data)
            try:
                text = json.dumps(doc)
            except (TypeError, ValueError):
                text = damage_text(m, data)
        else:
            text = damage_text(m, data)
        (work / "manifest.json").write_text(text, encoding="utf-8", errors="surrogatepass")
    elif kind == "delete":
        target.unlink()
    else:
        raw = bytearray(target.read_bytes())
        if raw:
            at = data.draw(st.integers(0, len(raw) - 1))
            if kind == "bytes":
                raw[at] ^= data.draw(st.integers(1, 255))
            else:
                raw = raw[:at]
        target.write_bytes(bytes(raw))
    code, _, err = cli(["score", str(work)])
    assert_answered(code, err)
