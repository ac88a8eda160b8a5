#!/usr/bin/env python3
"""Benchmark: engagement per video from YouTube videos.list snapshots,
chartlens against DuckDB on the same JSON files.

The job: read every snapshot file (the observation week from its name), keep
each video's latest snapshot, and compute (likes + comments) / views, then the
median per platform. chartlens runs `ingest` into a new store plus `engagement
--by video` (fresh processes); DuckDB runs `read_json` and the same SQL in one
connection. Answers (videos and the sum of the rates) are compared before any
time is printed.

Usage: bench/engagement.py BINARY [DATA_DIR] [--runs N]
"""

import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile

from common import best

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "shared", "data", "youtube-videos")

DUCKDB = """
WITH raw AS (
  SELECT filename, unnest(items) AS item
  FROM read_json('{glob}', filename = true, maximum_object_size = 67108864)),
snaps AS (
  SELECT item.id AS video_id,
         regexp_extract(filename, '(\\d{{4}})-W(\\d{{2}})', ['y', 'w']) AS yw,
         TRY_CAST(item.statistics.viewCount AS BIGINT) AS views,
         TRY_CAST(item.statistics.likeCount AS BIGINT) AS likes,
         TRY_CAST(item.statistics.commentCount AS BIGINT) AS comments
  FROM raw),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY video_id ORDER BY yw.y DESC, yw.w DESC) AS latest FROM snaps)
SELECT video_id, CAST(likes + comments AS DOUBLE) / nullif(views, 0) AS engagement_rate
FROM ranked WHERE latest = 1
"""


def summary(rows):
    rates = [float(r) for _, r in rows if r not in (None, "")]
    return len(rows), round(sum(rates), 9)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("data", nargs="?", default=DEFAULT_DATA)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not os.path.isdir(args.data):
        print(f"benchmark skipped: {args.data} is absent")
        return 0
    import duckdb

    work = tempfile.mkdtemp(prefix="chartlens-engagement-")

    def ours():
        store = os.path.join(work, "store")
        shutil.rmtree(store, ignore_errors=True)
        subprocess.run([args.binary, "--store", store, "ingest", "--quiet", args.data],
                       check=True, stdout=subprocess.DEVNULL)
        out = subprocess.run([args.binary, "--store", store, "engagement", "--by", "video",
                              "--format", "csv"], check=True, capture_output=True, text=True).stdout
        return [(r["video_id"], r["engagement_rate"]) for r in csv.DictReader(io.StringIO(out))]

    def theirs():
        con = duckdb.connect()
        con.execute("SET threads TO 2")
        rows = con.execute(DUCKDB.format(glob=os.path.join(args.data, "*.json"))).fetchall()
        con.close()
        return rows

    t_ours, a = best(args.runs, ours)
    t_theirs, b = best(args.runs, theirs)
    if summary(a) != summary(b):
        sys.exit(f"answers differ: chartlens {summary(a)}, duckdb {summary(b)}")
    files = len([f for f in os.listdir(args.data) if f.endswith(".json")])
    print(f"engagement per video from {files} videos.list files ({summary(a)[0]} videos), "
          f"best of {args.runs}")
    print(f"  chartlens ingest + engagement {t_ours:.3f}s, duckdb read_json + SQL {t_theirs:.3f}s, "
          f"duckdb/chartlens {t_theirs / t_ours:.2f}x (above 1x: chartlens faster)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
