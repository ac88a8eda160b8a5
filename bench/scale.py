#!/usr/bin/env python3
"""Scale benchmark: ingest and the metrics at about N chart entries, chartlens
against DuckDB and Polars on the same files, with wall time, rows per second
and peak memory (maximum resident set size of the process).

The files come from `chartlens simulate --entries N` with a scale
configuration: the built-in parameters with 200-position charts over every
market chartlens knows (so that 100M entries fit in about forty years of
weekly charts). Jobs:
  ingest   chartlens ingest | DuckDB read_csv (market and date from the path)
           -> Parquet | Polars scan_csv -> Parquet
  metrics  breadth and T_N of every track: chartlens reach + spread | the
           same SQL in DuckDB | the same in Polars, on each tool's own Parquet
  study    chartlens study after importing the simulated registry, so that
           every claim is measured (no equivalent elsewhere)

Usage: bench/scale.py BINARY --entries 1000000 [--entries 10000000 ...] [--work DIR] [--runs 3]

The metrics job runs --runs times per tool and keeps the fastest (each run a
fresh process); ingest and the study run once.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REGION_RS = os.path.join(HERE, "..", "crates", "model", "src", "region.rs")

DUCKDB_INGEST = """
COPY (
  SELECT regexp_extract(filename, '/([^/]+)/[^/]+$', 1) AS market,
         CAST(regexp_extract(filename, '(\\d{4}-\\d{2}-\\d{2})--', 1) AS DATE) AS period_start,
         "Position" AS rank, "Track Name" AS track_name, "Artist" AS artist_names,
         regexp_extract("URL", 'track/([A-Za-z0-9]{22})', 1) AS track_id
  FROM read_csv('{glob}', filename = true, header = true, auto_detect = true))
TO '{out}' (FORMAT parquet, COMPRESSION zstd)
"""

DUCKDB_METRICS = """
WITH e AS (SELECT * FROM read_parquet('{parquet}') WHERE market <> 'Global'),
firsts AS (SELECT track_id, market, min(period_start) AS d FROM e GROUP BY 1, 2),
ordered AS (SELECT track_id, d, row_number() OVER (PARTITION BY track_id ORDER BY d, market) AS n,
                   min(d) OVER (PARTITION BY track_id) AS first FROM firsts)
SELECT track_id, count(*) AS markets,
       max(CASE WHEN n = 2 THEN d - first END) AS t2, max(CASE WHEN n = 5 THEN d - first END) AS t5,
       max(CASE WHEN n = 10 THEN d - first END) AS t10, max(CASE WHEN n = 20 THEN d - first END) AS t20
FROM ordered GROUP BY track_id
"""


def scale_config(binary, path):
    """The built-in parameters with 200-position charts over every market."""
    text = subprocess.run([binary, "simulate", "--print-config"], check=True, capture_output=True,
                          text=True).stdout
    codes = sorted(set(re.findall(r'\(\s*"([A-Z]{2})",\s*"', open(REGION_RS, encoding="utf-8").read())))
    markets = ", ".join(f'["{c}", 1.0]' for c in codes)
    text = re.sub(r"markets = \[.*?\n\]", f"markets = [{markets}]", text, flags=re.S)
    text = text.replace("chart_size = 50", "chart_size = 200")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def simulated_archive(binary, n, prefix, work_dir=None):
    """A new work directory holding the scale configuration and a simulated
    archive of about `n` entries (`world/`); returns (work, world, seconds
    the simulation took)."""
    work = tempfile.mkdtemp(prefix=f"{prefix}-{n}-", dir=work_dir)
    config = os.path.join(work, "scale.toml")
    scale_config(binary, config)
    world = os.path.join(work, "world")
    t, _ = measured([binary, "simulate", "--config", config, "--entries", str(n), "--out", world])
    return work, world, t


def measured(cmd):
    """Runs a command; returns (wall seconds, peak RSS in MiB of that process,
    from wait4)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{cmd[0]} failed: {err.read().decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def best(runs, job):
    """The fastest of `runs` runs of `job` (seconds, MiB), with its memory."""
    return min(job() for _ in range(max(runs, 1)))


def python_job(code):
    """Runs a Python snippet in a fresh interpreter, so its peak memory is its own."""
    return measured([sys.executable, "-c", code])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--entries", type=int, action="append", required=True)
    ap.add_argument("--work", default=None)
    ap.add_argument("--skip-study", action="store_true", help="leave out the study")
    ap.add_argument("--runs", type=int, default=3,
                    help="metrics runs per tool, best kept (ingest and study run once)")
    args = ap.parse_args()
    rows = []
    for n in args.entries:
        work, world, t = simulated_archive(args.binary, n, "chartlens-scale", args.work)
        charts = os.path.join(world, "spotify-viral50-weekly")
        files = sum(len(fs) for _, _, fs in os.walk(charts))
        entries = int(subprocess.run(
            ["bash", "-c", f"find {charts} -type f -print0 | xargs -0 cat | grep -c -v '^Position'"],
            capture_output=True, text=True).stdout.strip())
        print(f"\n{entries:,} entries in {files:,} files (simulated in {t:.1f} s)")
        store = os.path.join(work, "store")
        glob = os.path.join(charts, "*", "*")

        def record(job, tool, seconds, mib):
            rows.append((entries, job, tool, seconds, entries / seconds, mib))
            print(f"  {job:8} {tool:9} {seconds:8.2f} s {entries / seconds / 1e6:7.2f} M rows/s "
                  f"{mib:8.0f} MiB")

        record("ingest", "chartlens", *measured([args.binary, "--store", store, "ingest", "--quiet", charts]))
        duck = os.path.join(work, "duckdb.parquet")
        record("ingest", "duckdb", *python_job(
            "import duckdb; c = duckdb.connect(); c.execute('SET threads TO 2'); "
            f"c.execute({DUCKDB_INGEST.replace('{glob}', glob).replace('{out}', duck)!r})"))
        polars_out = os.path.join(work, "polars.parquet")
        record("ingest", "polars", *python_job(
            "import polars as pl\n"
            f"lf = pl.scan_csv({glob!r}, include_file_paths='path', schema_overrides={{'Position': pl.Int32}})\n"
            "lf = lf.with_columns(pl.col('path').str.extract(r'/([^/]+)/[^/]+$', 1).alias('market'),\n"
            "  pl.col('path').str.extract(r'(\\d{4}-\\d{2}-\\d{2})--', 1).str.to_date().alias('period_start'),\n"
            "  pl.col('URL').str.extract(r'track/([A-Za-z0-9]{22})', 1).alias('track_id'))\n"
            f"lf.drop('path').sink_parquet({polars_out!r}, compression='zstd')\n"))
        def ours():
            t1, m1 = measured([args.binary, "--store", store, "reach", "--format", "csv"])
            t2, m2 = measured([args.binary, "--store", store, "spread", "--format", "csv"])
            return t1 + t2, max(m1, m2)

        record("metrics", "chartlens", *best(args.runs, ours))
        record("metrics", "duckdb", *best(args.runs, lambda: python_job(
            "import duckdb; c = duckdb.connect(); c.execute('SET threads TO 2'); "
            f"c.execute({DUCKDB_METRICS.replace('{parquet}', duck)!r}).fetchall()")))
        record("metrics", "polars", *best(args.runs, lambda: python_job(
            "import polars as pl\n"
            f"e = pl.scan_parquet({polars_out!r}).filter(pl.col('market') != 'Global')\n"
            "f = e.group_by('track_id', 'market').agg(pl.col('period_start').min().alias('d'))\n"
            "f = f.sort('track_id', 'd', 'market').with_columns(\n"
            "  pl.col('d').rank('ordinal').over('track_id').alias('n'), pl.col('d').min().over('track_id').alias('first'))\n"
            "out = f.group_by('track_id').agg(pl.len().alias('markets'),\n"
            "  *[((pl.col('d') - pl.col('first')).dt.total_days().filter(pl.col('n') == k).max()).alias(f't{k}')\n"
            "    for k in (2, 5, 10, 20)])\n"
            "out.collect()\n")))
        if not args.skip_study:
            # The simulated registry places the artists in their cohorts, so
            # every claim is measured.
            measured([args.binary, "--store", store, "artists", "import",
                      os.path.join(world, "registry")])
            t, m = measured([args.binary, "--store", store, "study", "--resamples", "200",
                             "--out", os.path.join(work, "report")])
            record("study", "chartlens", t, m)
        shutil.rmtree(work, ignore_errors=True)
    print("\n| entries | job | tool | seconds | M rows/s | peak MiB |\n|---|---|---|---|---|---|")
    for e, job, tool, s, rps, mib in rows:
        print(f"| {e:,} | {job} | {tool} | {s:.2f} | {rps / 1e6:.2f} | {mib:.0f} |")
    print()
    seconds = {(e, job, tool): s for e, job, tool, s, _, _ in rows}
    for (e, job, tool), s in seconds.items():
        ours = seconds.get((e, job, "chartlens"))
        if tool != "chartlens" and ours:
            faster = "chartlens faster" if s > ours else f"{tool} faster"
            print(f"{e:,} entries, {job}: {tool} / chartlens = {s / ours:.2f} ({faster})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
