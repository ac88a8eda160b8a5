#!/usr/bin/env python3
"""Benchmark: the lead network's pair counts, chartlens against DuckDB.

For every ordered pair of markets: the tracks in both, those first in A, first
in B and tied, and the median lag (`chartlens network`, metrics::NETWORK).
chartlens runs as a fresh process (process start and opening the store
included) with CSV output to a pipe. DuckDB runs the same counts in SQL, a self
join of each track's first date per market, in-process on the store's own
Parquet parts. The answers are compared (row count and column sums) before any
time is printed.

Usage: bench/network.py BINARY [DATA_DIR] [--runs N]
"""

import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile

from common import best, ingest

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "shared", "data", "spotify-viral50-weekly")

KEY = "coalesce(track_id, artist_names || ' - ' || track_name)"
PAIRS = f"""
    WITH firsts AS (
      SELECT source, chart, {KEY} AS track, region, min(period_start) AS d
      FROM entries WHERE region <> 'GLOBAL' AND flag IS NULL
      GROUP BY source, chart, {KEY}, region)
    SELECT a.source, a.chart, a.region AS market_a, b.region AS market_b,
           count(*) AS "both",
           count(*) FILTER (WHERE a.d < b.d) AS a_first,
           count(*) FILTER (WHERE a.d > b.d) AS b_first,
           count(*) FILTER (WHERE a.d = b.d) AS same,
           median(b.d - a.d) FILTER (WHERE a.d < b.d) AS median_lag_days
    FROM firsts a JOIN firsts b
      ON a.source = b.source AND a.chart = b.chart AND a.track = b.track
     AND a.region <> b.region
    GROUP BY a.source, a.chart, a.region, b.region"""
CHECKED = ["both", "a_first", "b_first", "same"]


def sums(rows):
    return len(rows), tuple(sum(int(r[c]) for r in rows) for c in CHECKED)


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

    work = tempfile.mkdtemp(prefix="chartlens-network-")
    store = os.path.join(work, "store")
    parts, total = ingest(args.binary, store, args.data)

    def ours():
        return subprocess.run([args.binary, "--store", store, "network", "--format", "csv"],
                              check=True, capture_output=True, text=True).stdout

    def theirs():
        con = duckdb.connect()
        con.execute("SET threads TO 2")
        con.execute(f"CREATE VIEW entries AS SELECT * FROM read_parquet({parts})")
        cur = con.execute(PAIRS)
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
        con.close()
        return cols, rows

    t_ours, out = best(args.runs, ours)
    t_theirs, (cols, rows) = best(args.runs, theirs)
    a = sums(list(csv.DictReader(io.StringIO(out))))
    b = sums([dict(zip(cols, r)) for r in rows])
    if a != b:
        sys.exit(f"pair counts differ: chartlens {a}, duckdb {b}")
    print(f"lead-network pair counts on {total:,} chart entries ({a[0]:,} ordered pairs), best of {args.runs}")
    print(f"  {'job':20} {'chartlens':>10} {'duckdb':>10} {'duckdb/chartlens':>17}")
    print(f"  {'pairs of markets':20} {t_ours:9.3f}s {t_theirs:9.3f}s {t_theirs / t_ours:16.2f}x")
    print("  (chartlens times include process start, opening the store and writing CSV; "
          "answers checked equal; above 1x means chartlens is faster)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
