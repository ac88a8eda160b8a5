#!/usr/bin/env python3
"""Benchmark: `chartlens sql` on the store against DuckDB and Polars on the same
rows.

The rows: the Spotify Viral 50 archive ingested by chartlens. DuckDB and Polars
read the store's own Parquet parts (the files its manifest lists), so all three
answer from identical data. Each query runs as a fresh process (chartlens) or a
fresh connection/scan (DuckDB, Polars), best of N runs, and the answers are
compared before any time is printed.

Usage: bench/query.py BINARY [DATA_DIR] [--runs N]
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

# name -> (SQL for chartlens and DuckDB, Polars expression builder)
QUERIES = {
    "markets per track (breadth)": (
        "select track_id, count(distinct region) as markets from chart_entries "
        "where region <> 'GLOBAL' group by track_id order by markets desc, track_id limit 20",
        lambda pl, df: df.filter(pl.col("region") != "GLOBAL")
        .group_by("track_id")
        .agg(pl.col("region").n_unique().alias("markets"))
        .sort(["markets", "track_id"], descending=[True, False])
        .head(20),
    ),
    "entries per market": (
        "select region, count(*) as entries from chart_entries group by region order by region",
        lambda pl, df: df.group_by("region").agg(pl.len().alias("entries")).sort("region"),
    ),
    "first week per track and market": (
        "select count(*) as n from (select track_id, region, min(period_start) as first "
        "from chart_entries group by track_id, region)",
        lambda pl, df: df.group_by(["track_id", "region"]).agg(pl.col("period_start").min()).select(pl.len().alias("n")),
    ),
}




def rows_of(text):
    return [tuple(r) for r in csv.reader(io.StringIO(text))][1:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("data", nargs="?", default=DEFAULT_DATA)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if not os.path.isdir(args.data):
        print(f"benchmark skipped: {args.data} is absent")
        return 0
    import duckdb
    import polars as pl

    work = tempfile.mkdtemp(prefix="chartlens-query-")
    store = os.path.join(work, "store")
    files, total = ingest(args.binary, store, args.data)
    print(f"queries on {total:,} chart entries "
          f"in {len(files)} Parquet part(s), best of {args.runs}")
    print(f"  {'query':34} {'chartlens':>10} {'duckdb':>10} {'polars':>10}  duckdb/chartlens  polars/chartlens")
    for name, (query, polars_query) in QUERIES.items():
        ours, out = best(args.runs, lambda: subprocess.run(
            [args.binary, "--store", store, "sql", "--format", "csv", query],
            check=True, capture_output=True, text=True).stdout)

        def duck():
            con = duckdb.connect()
            con.execute("SET threads TO 2")
            con.execute(f"create view chart_entries as select * from read_parquet({files!r})")
            return con.execute(query).fetchall()

        theirs, duck_rows = best(args.runs, duck)
        polars_time, polars_rows = best(args.runs, lambda: polars_query(pl, pl.scan_parquet(files)).collect().rows())
        ours_rows = rows_of(out)
        norm = lambda rows: [tuple(str(v) for v in r) for r in rows]
        if norm(ours_rows) != norm(duck_rows) or norm(ours_rows) != norm(polars_rows):
            sys.exit(f"{name}: answers differ\n chartlens {ours_rows[:3]}\n duckdb {duck_rows[:3]}\n polars {polars_rows[:3]}")
        print(f"  {name:34} {ours:9.3f}s {theirs:9.3f}s {polars_time:9.3f}s  {theirs / ours:15.2f}x  {polars_time / ours:15.2f}x")
    print("  (chartlens times include process start and opening the store; above 1x means chartlens is faster)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
