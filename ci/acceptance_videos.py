#!/usr/bin/env python3
"""Acceptance run of the YouTube inputs on ../shared/data.

Ingests the YouTube Charts CSVs and the videos.list snapshots, and checks
against counts computed here from the files: every file ingested, every chart
row and every video snapshot stored, one observation time per snapshot file
(weeks kept apart), hidden like and comment counts stored as nulls (as many as
the files omit), a second ingest adds nothing; then prints engagement per
cohort. Skips, saying so, when the data is absent.

Usage: ci/acceptance_videos.py BINARY
"""

import csv
import glob
import json
import os
import subprocess
import sys
import tempfile

from common import check, sql

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
CHARTS = os.path.join(SHARED, "youtube-charts-weekly")
VIDEOS = os.path.join(SHARED, "youtube-videos")


def main():
    binary = sys.argv[1]
    if not (os.path.isdir(CHARTS) and os.path.isdir(VIDEOS)):
        print("video acceptance skipped: ../shared/data is absent")
        return 0
    chart_files = sorted(glob.glob(os.path.join(CHARTS, "*.csv")))
    video_files = sorted(glob.glob(os.path.join(VIDEOS, "*.json")))
    chart_rows = sum(sum(1 for _ in csv.DictReader(open(f, encoding="utf-8"))) for f in chart_files)
    items = [json.load(open(f, encoding="utf-8"))["items"] for f in video_files]
    snapshots = sum(len(i) for i in items)
    hidden_likes = sum(1 for i in items for v in i if "likeCount" not in v.get("statistics", {}))
    hidden_comments = sum(1 for i in items for v in i if "commentCount" not in v.get("statistics", {}))

    store = os.path.join(tempfile.mkdtemp(prefix="chartlens-videos-"), "store")
    first = subprocess.run([binary, "--store", store, "ingest", "--quiet", CHARTS, VIDEOS],
                           capture_output=True, text=True)
    print((first.stdout.strip().splitlines() or [first.stderr.strip()])[0])
    ok = check("ingest exit code", first.returncode, 0)
    one = lambda q: int(sql(binary, store, q)[0]["n"])
    files = len(chart_files) + len(video_files)
    ok &= check("files ingested", one("select count(*) as n from ingest_log where status = 'ingested'"), files)
    ok &= check("chart rows stored", one("select count(*) as n from chart_entries where source = 'youtube'"),
                chart_rows)
    ok &= check("video snapshots stored", one("select count(*) as n from video_snapshots"), snapshots)
    ok &= check("one observation time per snapshot file",
                one("select count(distinct observed_at) as n from video_snapshots"), len(video_files))
    ok &= check("hidden like counts stored as null",
                one("select count(*) as n from video_snapshots where likes is null"), hidden_likes)
    ok &= check("hidden comment counts stored as null",
                one("select count(*) as n from video_snapshots where comments is null"), hidden_comments)
    second = subprocess.run([binary, "--store", store, "ingest", "--quiet", CHARTS, VIDEOS],
                            capture_output=True, text=True)
    ok &= check("second ingest adds nothing", "(0 rows" in second.stdout, True)
    subprocess.run([binary, "--store", store, "artists", "import", os.path.join(SHARED, "artists")],
                   check=True, capture_output=True)
    out = subprocess.run([binary, "--store", store, "engagement", "--by", "cohort"],
                         capture_output=True, text=True)
    print(out.stdout.rstrip())
    ok &= check("engagement per cohort", out.returncode, 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
