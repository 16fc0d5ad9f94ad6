"""Replay the synthetic suite with dlib, simulate the operator, and print the docs/datasets.md tables.

    make synth-suite                                   # regenerate the four LFW bundles (needs ../shared)
    .venv/bin/python benchmarks/synth_suite.py         # replay + score + tables (about 10 min on 2 cores)

Bundles come from datasets/synthetic/build/<name>, runs go to runs/suite/<name>
(replayed only when missing; --fresh replays again).  Output: Markdown tables,
per bundle and pooled by lighting, crowd and perceived gender, with
Clopper-Pearson intervals and the group test of fr_eval.counting.groups.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fr_eval.counting.counter import funnel  # noqa: E402
from fr_eval.counting.groups import breakdown  # noqa: E402
from fr_eval.counting.methods import compute  # noqa: E402
from fr_eval.counting.load import load_statistics  # noqa: E402
from fr_eval.counting.rates import format_rate  # noqa: E402
from fr_eval.counting.statistics import pool_statistics  # noqa: E402

NAMES = ("day-sparse", "night-sparse", "day-dense", "night-dense")
FR = str(ROOT / ".venv" / "bin" / "fr-eval")


def fmt(r) -> str:
    return format_rate(r, unit=False)     # the one text form of a rate


def replay(name: str, fresh: bool, matcher: str = "dlib") -> tuple[Path, float | None]:
    bundle, run = ROOT / "datasets/synthetic/build" / name, ROOT / "runs/suite" / name
    if not bundle.is_dir():
        sys.exit(f"{bundle}: missing; run `make synth-suite` first (needs ../shared/data/lfw)")
    took = None
    if fresh or not (run / "manifest.json").is_file():
        t = time.perf_counter()
        subprocess.run([FR, "replay", str(bundle), "--out", str(run), "--overwrite", "--quiet", "-m", matcher],
                       check=True, stdout=subprocess.DEVNULL)
        took = time.perf_counter() - t
        subprocess.run([FR, "synth", "--operator", str(run), "--overwrite"], check=True, stdout=subprocess.DEVNULL)
    return run, took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fresh", action="store_true", help="replay again even when the run exists")
    ap.add_argument("--matcher", default="dlib", help="the matcher of the docs/datasets.md tables (dlib); "
                                                      "benchmarks/detectors.py compares detectors")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = ap.parse_args()
    stats, timing = {}, {}
    for name in NAMES:
        run, took = replay(name, args.fresh, args.matcher)
        stats[name] = load_statistics(run)
        m = json.loads((run / "manifest.json").read_text())
        timing[name] = (took, m.get("timings", {}))
    methods = ("tpir", "fpir", "precision", "verified_precision")
    print("| bundle | passages (plants / crowd) | " + " | ".join(methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    out = {"bundles": {}, "pooled": {}}
    for name, s in stats.items():
        p = s.passages
        plants, crowd = int(p["watchlisted"].sum()), int((~p["watchlisted"].astype(bool)).sum())
        f = funnel(s)
        rs = {m: compute(m, f) for m in methods}
        print(f"| {name} | {len(p)} ({plants} / {crowd}) | " + " | ".join(fmt(rs[m]) for m in methods) + " |")
        out["bundles"][name] = {m: getattr(rs[m], "to_dict", lambda: None)() for m in methods}
    pooled = pool_statistics(list(stats.values()), name="suite")
    print()
    print("| by | method | groups | test | p | flagged |")
    print("|---|---|---|---|---|---|")
    for by in ("lighting", "crowd", "gender"):
        for m in ("tpir", "fpir"):
            b = breakdown(pooled, m, by)
            groups = "; ".join(f"{g}: {fmt(r)}" for g, r in b.rates.items())
            t = b.test
            p = "" if t is None or t.p_value is None else f"{t.p_value:.3g}"
            print(f"| {by} | {m} | {groups} | {t.test if t else 'n/a'} | {p} | "
                  f"{'yes' if t and t.significant else 'no'} |")
            out["pooled"][f"{by}/{m}"] = b.to_dict()
    print()
    for name, (took, t) in timing.items():
        if took:
            print(f"replay {name}: {took:.0f} s wall")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=lambda o: None if isinstance(o, float) and
                                        math.isnan(o) else str(o)))


if __name__ == "__main__":
    main()
