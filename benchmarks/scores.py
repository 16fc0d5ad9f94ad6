"""Score lists: reading and sweeping 10 million float64 scores (half genuine), timed in one interleaved run.

    .venv/bin/python benchmarks/scores.py [--n 10000000] [--rounds 5] [--inner 5] [--bob-python PATH]

Writes the scores once as a CSV (``label,score,subject,probe``) and as a bob 4-column file under
benchmarks/out/, then times, round after round so every step sees the same machine state (the sub-second
steps --inner times per round; every figure is the best and the median of all its runs):

* ``read csv`` / ``read bob4``: :func:`fr_eval.inputs.scorelists.read_scorelist` (parse, labels, SHA-256);
* ``DET curve``: :class:`~fr_eval.thresholds.metrics.Comparisons` from the score and genuine arrays, then
  :func:`~fr_eval.thresholds.metrics.det_curve` (every distinct score, counts and both rates);
* ``DET curve, tied scores``: the same on the scores rounded to 4 decimals (the path with ties);
* ``sklearn det_curve``: ``sklearn.metrics.det_curve`` on the same array and labels;
* ``np.sort``: a bare sort of the same float64 array (the floor).

bob.measure 6.1.1 pins numpy~=1.26, so it cannot share this venv: with ``--bob-python`` (a venv where
``pip install bob.measure==6.1.1`` was run) its ``roc`` and ``det`` (2000 sampled points each, after a numba
warm-up) are timed in a subprocess on the same scores (saved as .npy) and reported separately.

Checks while timing: both readers return the generated scores bit for bit, and fr-eval's curve equals
scikit-learn's at every threshold scikit-learn reports.  Prints a Markdown table for docs/performance.md.
Target: the DET curve within 3x the bare sort.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fr_eval.inputs.scorelists import read_scorelist  # noqa: E402
from fr_eval.thresholds.metrics import Comparisons, det_curve  # noqa: E402

OUT = ROOT / "benchmarks" / "out"

BOB_SCRIPT = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    import bob.measure as bm
    neg, pos = np.load(sys.argv[1]), np.load(sys.argv[2])
    bm.roc(neg[:1000], pos[:1000], 20); bm.det(neg[:1000], pos[:1000], 20)   # numba compiles here
    out = {"bob.measure": __import__("importlib.metadata").metadata.version("bob.measure"),
           "numpy": np.__version__, "rounds": []}
    for _ in range(int(sys.argv[3])):
        t = time.perf_counter(); bm.roc(neg, pos, 2000); r = time.perf_counter() - t
        t = time.perf_counter(); bm.det(neg, pos, 2000); d = time.perf_counter() - t
        out["rounds"].append({"roc": r, "det": d})
    print(json.dumps(out))
""")


def make(n: int, seed: int):
    rng = np.random.default_rng(seed)
    genuine = np.zeros(n, dtype=bool)
    genuine[: n // 2] = True
    rng.shuffle(genuine)
    score = rng.normal(0.0, 1.0, n)
    score[genuine] += 2.0
    subject = rng.integers(0, 10_000, n)
    other = (subject + rng.integers(1, 10_000, n)) % 10_000
    real = np.where(genuine, subject, other)
    probe = rng.integers(0, 1_000_000, n)
    return score, genuine, subject, real, probe


def ids(prefix: str, values: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(values), pa.string()), "")


def write_files(score, genuine, subject, real, probe) -> tuple[Path, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    csv_path, bob_path = OUT / "scores.csv", OUT / "scores-4col.txt"
    label = pa.array(np.where(genuine, "genuine", "impostor"))
    pv.write_csv(pa.table({"label": label, "score": score, "subject": ids("s", subject), "probe": ids("p", probe)}),
                 csv_path)
    pv.write_csv(pa.table({"claimed_id": ids("s", subject), "real_id": ids("s", real), "test_label": ids("p", probe),
                           "score": score}), bob_path,
                 write_options=pv.WriteOptions(include_header=False, delimiter=" ", quoting_style="none"))
    return csv_path, bob_path


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--inner", type=int, default=5, help="repeats per round of the sub-second steps")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bob-python", default=None, help="python of a venv with bob.measure 6.1.1 installed")
    args = ap.parse_args(argv)

    import sklearn
    from sklearn.metrics import det_curve as sk_det_curve

    score, genuine, subject, real, probe = make(args.n, args.seed)
    tied = np.round(score, 4)
    t0 = time.perf_counter()
    csv_path, bob_path = write_files(score, genuine, subject, real, probe)
    print(f"wrote {csv_path.name} ({csv_path.stat().st_size / 1e6:.0f} MB) and {bob_path.name} "
          f"({bob_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    def curve(s):
        c = det_curve(Comparisons.from_arrays(s, genuine, fta="exclude"))
        return c.thresholds, c.fmr, c.fnmr          # the curve: every threshold with both rates

    def reader(path, fmt):
        sl = read_scorelist(path, fmt)
        return sl.score, sl.genuine                 # kept for the checks; labels freed at once

    steps = {
        "np.sort (float64, the floor)": (lambda: np.sort(score), args.inner),
        "DET curve (fr-eval)": (lambda: curve(score), args.inner),
        "DET curve, tied scores (4 decimals)": (lambda: curve(tied), args.inner),
        f"sklearn det_curve ({sklearn.__version__})": (lambda: sk_det_curve(genuine, score), 1),
        "read csv (label,score,subject,probe)": (lambda: reader(csv_path, "csv"), 1),
        "read bob 4-column": (lambda: reader(bob_path, "bob4"), 1),
    }
    times: dict[str, list[float]] = {k: [] for k in steps}
    results: dict[str, object] = {}
    for r in range(args.rounds):
        for name, (fn, repeat) in steps.items():
            for _ in range(repeat):
                results[name] = None
                t = time.perf_counter()
                results[name] = fn()
                times[name].append(time.perf_counter() - t)
            print(f"round {r + 1} {name}: {min(times[name][-repeat:]):.3f} s", file=sys.stderr)

    # checks: readers return the scores bit for bit; the curve equals scikit-learn's where it reports
    for key in ("read csv (label,score,subject,probe)", "read bob 4-column"):
        got_score, got_genuine = results[key]
        assert got_score.tobytes() == score.tobytes() and np.array_equal(got_genuine, genuine), key
    c_thr, c_fmr, c_fnmr = results["DET curve (fr-eval)"]
    fpr, fnr, thr = results[f"sklearn det_curve ({sklearn.__version__})"]
    idx = len(c_thr) - 1 - np.searchsorted(c_thr[::-1], thr)   # the same thresholds in fr-eval's curve
    diff = float(np.max(np.abs(c_fmr[idx] - fpr)) + np.max(np.abs(c_fnmr[idx] - fnr)))
    assert np.array_equal(c_thr[idx], thr) and diff == 0.0, diff

    bob = None
    if args.bob_python:
        neg_path, pos_path = OUT / "neg.npy", OUT / "pos.npy"
        np.save(neg_path, score[~genuine])
        np.save(pos_path, score[genuine])
        proc = subprocess.run([args.bob_python, "-c", BOB_SCRIPT, str(neg_path), str(pos_path), str(args.rounds)],
                              capture_output=True, text=True, check=True)
        bob = json.loads(proc.stdout.strip().splitlines()[-1])

    best = {k: min(v) for k, v in times.items()}
    sort_best = best["np.sort (float64, the floor)"]
    print(f"\n{args.n:,} float64 scores ({args.n // 2:,} genuine), {args.rounds} interleaved rounds "
          f"(sub-second steps {args.inner}x per round); "
          f"{platform.machine()}, {platform.python_version()}, numpy {np.__version__}, "
          f"scikit-learn {sklearn.__version__}, pyarrow {pa.__version__}\n")
    print("| step | best s | median s | × np.sort |")
    print("|---|---|---|---|")
    for k, v in times.items():
        print(f"| {k} | {min(v):.3f} | {statistics.median(v):.3f} | {min(v) / sort_best:.1f} |")
    if bob:
        for k in ("roc", "det"):
            v = [r[k] for r in bob["rounds"]]
            print(f"| bob.measure {bob['bob.measure']} `{k}` (2000 points; numpy {bob['numpy']}, separate venv) "
                  f"| {min(v):.3f} | {statistics.median(v):.3f} | {min(v) / sort_best:.1f} |")
    print(f"\nDET curve: {len(c_thr):,} points (every distinct score and +inf); equal to scikit-learn's "
          f"det_curve at all {len(thr):,} thresholds it reports (max |diff| {diff:g}). Readers: scores identical "
          f"bit for bit. Peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB. "
          f"Target DET <= 3x np.sort: {'met' if best['DET curve (fr-eval)'] <= 3 * sort_best else 'NOT met'} "
          f"({best['DET curve (fr-eval)'] / sort_best:.1f}x).")


if __name__ == "__main__":
    main()
