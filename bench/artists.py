#!/usr/bin/env python3
"""Benchmark: importing and classifying artist lists and resolving the credits
of every chart entry, chartlens against DuckDB.

chartlens: `artists import` of every file in artists/ into a store that holds
the Viral 50 archive, then `artists coverage --view overall` (registry build,
cohort rules, splitting and resolving every distinct credit, and the coverage
query), each a fresh process. DuckDB: one fresh connection reads the same five
files and the store's chart_entries Parquet parts, builds a name -> cohort table
with the same precedence in SQL (group list, origin, then genre tags for unknown
origins), splits `artist_names` for the primary artist, and counts entries per
cohort. The DuckDB job is simpler than chartlens's (lower-case names only: no
NFKC, aliases, native scripts, title features or evidence kept for `explain`),
so the ratio flatters DuckDB. Best of N runs.

Then `artists audit` (a fresh process on the imported store: registry, cohort
rules with the evidence checks, flags, credits, and each placed artist's
entries, markets and home-market entries per chart) against DuckDB computing
per placed artist the entries and markets per chart from the same simplified
cohort table (no flags, no evidence): again DuckDB's job is the smaller one.

Usage: bench/artists.py BINARY [SHARED_DATA_DIR] [--runs N]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from common import ingest

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "shared", "data")

DUCKDB_SQL = """
CREATE TABLE cg AS SELECT name, country FROM read_csv('{a}/artist-country-genre.csv', header = true, all_varchar = true);
CREATE TABLE idols AS SELECT "Stage Name" AS name FROM read_csv('{a}/kpop_idols.csv', header = true, all_varchar = true);
CREATE TABLE grp AS SELECT "Name" AS name FROM read_csv(['{a}/kpop_idols_boy_groups.csv', '{a}/kpop_idols_girl_groups.csv'],
    header = true, all_varchar = true, union_by_name = true);
CREATE TABLE sg AS SELECT artists AS name, lower(genres) AS genres FROM read_csv('{a}/spotify-artist-genres.csv', header = true, all_varchar = true);
CREATE TABLE facts AS
    SELECT lower(trim(name)) AS k, country, NULL AS tags, 0 AS g, 0 AS idol FROM cg
    UNION ALL SELECT lower(trim(name)), NULL, nullif(nullif(genres, '[]'), ''), 0, 0 FROM sg
    UNION ALL SELECT lower(trim(name)), NULL, NULL, 1, 0 FROM grp
    UNION ALL SELECT lower(trim(name)), NULL, NULL, 0, 1 FROM idols;
CREATE TABLE artist AS SELECT k, max(country) AS country, string_agg(tags, ',') AS tags, max(g) AS g,
    max(idol) AS idol, count(*) FILTER (WHERE idol = 0) AS others FROM facts GROUP BY k;
CREATE TABLE cohort AS SELECT k, CASE
    WHEN g = 1 OR (idol = 1 AND others > 0) THEN 'K-pop'
    WHEN country = 'South Korea' THEN 'K-pop'
    WHEN country = 'Japan' THEN 'J-pop'
    WHEN country IN ('United States', 'United Kingdom', 'Canada', 'Australia', 'New Zealand', 'Ireland') THEN 'Anglo'
    WHEN country IS NULL AND regexp_matches(tags, '[''"](k-|korean )') THEN 'K-pop'
    WHEN country IS NULL AND regexp_matches(tags, '[''"](j-|japanese )') THEN 'J-pop'
    ELSE 'none' END AS cohort FROM artist;
CREATE TABLE entry AS SELECT e.source, e.chart, e.region,
    lower(trim(regexp_split_to_array(e.artist_names, ', | & | x | feat\\. ')[1])) AS k
FROM read_parquet({parts}) e;
SELECT coalesce(c.cohort, 'none') AS cohort, count(*) AS entries
FROM entry e LEFT JOIN cohort c USING (k)
GROUP BY 1 ORDER BY 2 DESC;
"""

# The audit's chart figures, on DuckDB's simplified cohort table.
DUCKDB_AUDIT = """
SELECT e.k, e.source, e.chart, count(*) AS entries,
    count(DISTINCT e.region) FILTER (WHERE e.region <> 'GLOBAL') AS markets
FROM entry e JOIN cohort c USING (k) WHERE c.cohort <> 'none'
GROUP BY 1, 2, 3 ORDER BY entries DESC
"""




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("data", nargs="?", default=DEFAULT_DATA)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    charts = os.path.join(args.data, "spotify-viral50-weekly")
    artists = os.path.join(args.data, "artists")
    if not (os.path.isdir(charts) and os.path.isdir(artists)):
        print(f"benchmark skipped: {args.data} is absent")
        return 0
    import duckdb

    work = tempfile.mkdtemp(prefix="chartlens-artists-")
    base = os.path.join(work, "base")
    parts, _ = ingest(args.binary, base, charts)

    def chartlens_job():
        store = os.path.join(work, "store")
        shutil.rmtree(store, ignore_errors=True)
        shutil.copytree(base, store)
        start = time.perf_counter()
        subprocess.run([args.binary, "--store", store, "artists", "import", "--quiet", artists],
                       check=True, stdout=subprocess.DEVNULL)
        out = subprocess.run([args.binary, "--store", store, "artists", "coverage", "--view", "overall",
                              "--format", "json"], check=True, capture_output=True, text=True).stdout
        took = time.perf_counter() - start
        # Rows are per source and chart; this store has one chart.
        by_cohort = {}
        for r in json.loads(out):
            by_cohort[r["cohort"]] = by_cohort.get(r["cohort"], 0) + r["entries"]
        return took, by_cohort

    def duckdb_job(audit=False):
        start = time.perf_counter()
        con = duckdb.connect()
        rows = None
        for statement in DUCKDB_SQL.format(a=artists, parts=parts).split(";"):
            if statement.strip():
                rows = con.execute(statement).fetchall()
        if audit:
            rows = con.execute(DUCKDB_AUDIT).fetchall()
        con.close()
        return time.perf_counter() - start, rows if audit else dict(rows)

    def audit_job(store):
        start = time.perf_counter()
        out = subprocess.run([args.binary, "--store", store, "artists", "audit", "--format", "csv"],
                             check=True, capture_output=True, text=True).stdout
        return time.perf_counter() - start, max(0, len(out.splitlines()) - 1)

    # The copy of the store is not timed: chartlens_job returns its own time.
    runs = [chartlens_job() for _ in range(args.runs)]
    ours, ours_rows = min(runs, key=lambda r: r[0])
    runs = [duckdb_job() for _ in range(args.runs)]
    theirs, theirs_rows = min(runs, key=lambda r: r[0])
    total = sum(ours_rows.values())
    print(f"artist import + classification + credits for {total:,} chart entries (best of {args.runs}):")
    print(f"  chartlens  {ours:6.2f} s")
    print(f"  DuckDB     {theirs:6.2f} s   (simplified rules, see the docstring)")
    print(f"  ratio      {theirs / ours:6.2f}x (DuckDB time / chartlens time)")
    print("  entries by cohort      chartlens     DuckDB")
    for cohort in sorted(set(ours_rows) | set(theirs_rows), key=lambda c: -ours_rows.get(c, 0)):
        print(f"    {cohort:18} {ours_rows.get(cohort, 0):>11,} {theirs_rows.get(cohort, 0):>10,}")
    store = os.path.join(work, "store")
    audits = [audit_job(store) for _ in range(args.runs)]
    ours, flagged = min(audits)
    runs = [duckdb_job(audit=True) for _ in range(args.runs)]
    theirs, placed = min(runs, key=lambda r: r[0])
    print(f"artists audit of the same store (best of {args.runs}): {flagged:,} placed artists flagged")
    print(f"  chartlens  {ours:6.2f} s")
    print(f"  DuckDB     {theirs:6.2f} s   (entries and markets of {len(placed):,} artist-charts, "
          "simplified rules, no flags)")
    print(f"  ratio      {theirs / ours:6.2f}x (DuckDB time / chartlens time)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
