#!/usr/bin/env python3
"""Acceptance run of `chartlens study` on ../shared/data.

Ingests the Viral 50 archive, the Top 50 playlist snapshots, the YouTube
charts and video snapshots, imports every
artist list, runs the K-pop vs J-pop study, and checks: both charts are
measured separately for every claim (never pooled); the cohort quartiles in
the report equal those `chartlens reach --by cohort` computes in SQL; every
claim has a verdict, and every answered result its robustness; no zero-width
interval and no Bass fit at a bound of its range is shown as a finding; the
engagement claim is measured on the YouTube videos;
and the HTML report renders in headless Chromium without console errors (a
screenshot is saved). Prints the verdicts and the time the study took. Skips,
saying so, when the data is absent.

Usage: ci/acceptance_study.py BINARY [--out DIR]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from common import check

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
INPUTS = ["spotify-viral50-weekly", "spotify-top50-playlists"]
VIDEOS = ["youtube-charts-weekly", "youtube-videos"]


def run(binary, store, *args):
    out = subprocess.run([binary, "--store", store, *args], capture_output=True, text=True)
    if out.returncode not in (0, 3):  # 3: some files rejected (the HTML pages)
        raise SystemExit(f"chartlens {' '.join(args)} failed: {out.stderr}")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--out", default=None, help="where to keep the report (default: a temp dir)")
    args = ap.parse_args()
    inputs = [os.path.join(SHARED, d) for d in INPUTS]
    if not all(os.path.isdir(d) for d in inputs + [os.path.join(SHARED, "artists")]):
        print("study acceptance skipped: ../shared/data is absent")
        return 0
    videos = [os.path.join(SHARED, d) for d in VIDEOS]
    with_videos = all(os.path.isdir(d) for d in videos)
    if with_videos:
        inputs += videos
    else:
        print("the YouTube folders are absent: the engagement claim is not checked")
    work = tempfile.mkdtemp(prefix="chartlens-study-")
    store = os.path.join(work, "store")
    report_dir = args.out or os.path.join(work, "report")
    run(args.binary, store, "ingest", "--quiet", *inputs)
    run(args.binary, store, "artists", "import", os.path.join(SHARED, "artists"))

    started = time.perf_counter()
    out = run(args.binary, store, "study", "--cohorts", "K-pop,J-pop", "--out", report_dir)
    elapsed = time.perf_counter() - started
    print(out.stdout.rstrip())
    names = INPUTS + (VIDEOS if with_videos else [])
    print(f"study on {', '.join(names)}: {elapsed:.2f} s (process start to report written)")
    with open(os.path.join(report_dir, "report.json"), encoding="utf-8") as f:
        report = json.load(f)

    ok = True
    charts = sorted(c["chart"] for c in report["charts"])
    want = ["spotify/top50", "spotify/viral50"] + (["youtube/top-songs"] if with_videos else [])
    ok &= check("charts measured", charts, want)
    claims = {c["kind"]: c for c in report["claims"]}
    for claim in report["claims"]:
        if claim["kind"] == "engagement":
            continue
        measured = sorted(r["chart"] for r in claim["results"])
        ok &= check(f"claim {claim['number']} measured per chart", measured, charts)
    verdicts = {c["verdict"] for c in report["claims"]}
    ok &= check("every claim has a verdict", verdicts <= {"supported", "contradicted", "inconclusive",
                                                           "unanswered", "mixed"}, True)
    for claim in report["claims"]:
        for r in claim["results"]:
            d = r["difference"]
            answered = r["verdict"] != "unanswered"
            ok &= check(f"claim {claim['number']} on {r['chart']}: a difference only when answered",
                        d is not None, answered)
            if d is not None:
                ok &= check(f"claim {claim['number']} on {r['chart']}: interval width > 0",
                            d["high"] > d["low"], True)
            if answered:
                ok &= check(f"claim {claim['number']} on {r['chart']}: robustness assessed",
                            r["robustness"]["status"] in ("robust", "fragile", "not_assessed"), True)
            print(f"     claim {claim['number']} {r['chart']}: {r['verdict']}, "
                  f"{r['robustness']['status']} {r['robustness']['flipped_by'] or ''}")
    for chart in report["charts"]:
        for m in chart["cohorts"]:
            bass = m.get("bass")
            if bass and bass["at_bound"]:
                spread = next(r for r in claims["spread"]["results"] if r["chart"] == chart["chart"])
                ok &= check(f"{chart['chart']} {m['cohort']} Bass fit at a bound is no answer",
                            spread["verdict"], "unanswered")
    engagement = claims["engagement"]
    if with_videos:
        ok &= check("claim 7 measured on the YouTube videos",
                    [r["chart"] for r in engagement["results"]], ["youtube videos"])

    # The report's quartiles (Rust) against `reach --by cohort` (SQL).
    sql_rows = json.loads(run(args.binary, store, "reach", "--by", "cohort", "--format", "json").stdout)
    for chart in report["charts"]:
        source, name = chart["chart"].split("/")
        for m in chart["cohorts"]:
            row = next((r for r in sql_rows if r["source"] == source and r["chart"] == name
                        and r["cohort"] == m["cohort"]), None)
            got = (m["artists"], m["median_markets"], m["q1_markets"], m["q3_markets"])
            want = (row["acts"], row["median_markets"], row["q1_markets"], row["q3_markets"]) if row else None
            if want and len(chart["markets"]) < 2:
                # GLOBAL-only or single-market chart: breadth is no measure there.
                want = (row["acts"], None, None, None)
            ok &= check(f"{chart['chart']} {m['cohort']} breadth as reach --by cohort", got, want)

    shot = os.path.join(report_dir, "screenshot.png")
    browser = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "browser.py"),
                              report_dir, shot], capture_output=True, text=True)
    print(browser.stdout.rstrip() or browser.stderr.rstrip())
    ok &= check("report renders in headless Chromium", browser.returncode, 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
