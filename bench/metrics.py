#!/usr/bin/env python3
"""Benchmark: breadth and spread (T_N) of every track, chartlens against DuckDB.

chartlens runs `reach --by track` and `spread` as fresh processes (process start
and opening the store included) with CSV output to a pipe. DuckDB runs the same
SQL in-process on the store's own Parquet parts (the files its manifest lists).
The answers are compared (row count and column sums) before any time is printed.

Usage: bench/metrics.py BINARY [DATA_DIR] [--runs N]
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
DUCKDB = {
    "breadth per track": f"""
        SELECT source, chart, {KEY} AS track_id,
               count(DISTINCT CASE WHEN region <> 'GLOBAL' THEN region END) AS markets, count(*) AS entries
        FROM entries GROUP BY source, chart, {KEY}""",
    "T_N per track": f"""
        WITH firsts AS (SELECT source, chart, {KEY} AS track_id, region, min(period_start) AS d
                        FROM entries WHERE region <> 'GLOBAL' GROUP BY source, chart, {KEY}, region),
             ordered AS (SELECT source, chart, track_id, d,
                                row_number() OVER (PARTITION BY source, chart, track_id ORDER BY d, region) AS n,
                                min(d) OVER (PARTITION BY source, chart, track_id) AS first FROM firsts)
        SELECT source, chart, track_id, count(*) AS markets,
               max(CASE WHEN n = 2 THEN d - first END) AS t2_days,
               max(CASE WHEN n = 5 THEN d - first END) AS t5_days,
               max(CASE WHEN n = 10 THEN d - first END) AS t10_days,
               max(CASE WHEN n = 20 THEN d - first END) AS t20_days
        FROM ordered GROUP BY source, chart, track_id""",
}
CHARTLENS = {
    "breadth per track": ["reach", "--by", "track", "--format", "csv"],
    "T_N per track": ["spread", "--format", "csv"],
}
CHECKED = {
    "breadth per track": ["markets", "entries"],
    "T_N per track": ["markets", "t2_days", "t5_days", "t10_days", "t20_days"],
}


def sums(rows, columns):
    return len(rows), tuple(sum(int(r[c]) for r in rows if r[c] not in ("", None)) for c in columns)


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

    work = tempfile.mkdtemp(prefix="chartlens-metrics-")
    store = os.path.join(work, "store")
    parts, total = ingest(args.binary, store, args.data)
    print(f"metrics of every track on {total:,} chart entries, best of {args.runs}")
    print(f"  {'metric':20} {'chartlens':>10} {'duckdb':>10} {'duckdb/chartlens':>17}")
    for name, sql in DUCKDB.items():
        # Timed: the job up to its result in this process (CSV text from
        # chartlens, Python tuples from DuckDB); checking it is not timed.
        def ours():
            return subprocess.run([args.binary, "--store", store, *CHARTLENS[name]],
                                  check=True, capture_output=True, text=True).stdout

        def theirs():
            con = duckdb.connect()
            con.execute("SET threads TO 2")
            con.execute(f"CREATE VIEW entries AS SELECT * FROM read_parquet({parts})")
            cur = con.execute(sql)
            cols = [d[0] for d in cur.description]
            rows = cur.fetchall()
            con.close()
            return cols, rows

        t_ours, out = best(args.runs, ours)
        t_theirs, (cols, rows) = best(args.runs, theirs)
        a = sums(list(csv.DictReader(io.StringIO(out))), CHECKED[name])
        b = sums([dict(zip(cols, r)) for r in rows], CHECKED[name])
        if a != b:
            sys.exit(f"{name}: answers differ: chartlens {a}, duckdb {b}")
        print(f"  {name:20} {t_ours:9.3f}s {t_theirs:9.3f}s {t_theirs / t_ours:16.2f}x")
    print("  (chartlens times include process start, opening the store and writing CSV; "
          "answers checked equal; above 1x means chartlens is faster)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
