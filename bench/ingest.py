#!/usr/bin/env python3
"""Benchmark: `chartlens ingest` against DuckDB doing the same job.

The job: read every chart CSV of a folder (with market and week taken from the
file name), drop what cannot be read, and write the rows as Parquet. DuckDB runs
`read_csv(..., filename = true)` with the market and date parsed from the path by
regular expressions, then `COPY ... TO ... (FORMAT parquet)`. Both run as child
processes on the same machine; wall time and peak resident memory are measured
for each, best of N runs. The same is done for the Spotify playlist snapshots
(DuckDB `read_json` and `unnest` of the items) when they sit beside the folder.
A last part streams one large synthetic CSV of the
combined layout to show that chartlens's memory stays bounded by its batch size,
not by the input.

Usage: bench/ingest.py BINARY [DATA_DIR] [--runs N] [--big-rows N]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "shared", "data", "spotify-viral50-weekly")

DUCKDB_JOB = r"""
import duckdb, sys
data, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET threads TO 2")
con.execute(f'''
COPY (
  SELECT
    'spotify' AS source,
    'viral50' AS chart,
    regexp_extract(filename, '([^/]+)/[^/]+$', 1) AS region,
    CAST(regexp_extract(filename, '(\d{{4}}-\d{{2}}-\d{{2}})--', 1) AS DATE) AS period_start,
    CAST(regexp_extract(filename, '--(\d{{4}}-\d{{2}}-\d{{2}})$', 1) AS DATE) AS period_end,
    "Position" AS rank,
    regexp_extract("URL", 'track/([0-9A-Za-z]{{22}})', 1) AS track_id,
    "Track Name" AS track_name,
    "Artist" AS artist_names,
    filename AS source_file
  FROM read_csv('{data}/*/*', filename = true, header = true, auto_detect = false,
                columns = {{'Position': 'INTEGER', 'Track Name': 'VARCHAR', 'Artist': 'VARCHAR', 'URL': 'VARCHAR'}},
                ignore_errors = true, null_padding = true)
  WHERE "Position" IS NOT NULL
) TO '{out}' (FORMAT parquet, COMPRESSION zstd)
''')
print(con.execute(f"select count(*) from read_parquet('{out}')").fetchone()[0])
"""


PLAYLIST_JOB = r"""
import duckdb, sys
data, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET threads TO 2")
con.execute(f'''
COPY (
  WITH p AS (
    SELECT name, filename, tracks.items AS items
    FROM read_json('{data}/*/*.json', filename = true, maximum_object_size = 67108864)
  )
  SELECT
    'spotify' AS source,
    lower(replace(split_part(name, ' - ', 1), ' ', '')) AS chart,
    split_part(name, ' - ', 2) AS region,
    CAST(regexp_extract(filename, '(\d{{4}}-\d{{2}}-\d{{2}})/[^/]+$', 1) AS DATE) AS period_start,
    i AS rank,
    items[i].track.id AS track_id,
    items[i].track.name AS track_name,
    array_to_string(list_transform(items[i].track.artists, lambda a: a.name), ', ') AS artist_names,
    array_to_string(list_transform(items[i].track.artists, lambda a: a.id), ',') AS artist_ids,
    filename AS source_file
  FROM p, range(1, len(items) + 1) AS r(i)
  WHERE items[i].track IS NOT NULL
) TO '{out}' (FORMAT parquet, COMPRESSION zstd)
''')
print(con.execute(f"select count(*) from read_parquet('{out}')").fetchone()[0])
"""


def measure(cmd):
    """Runs `cmd`, returns (seconds, peak RSS in MiB, stdout). Peak RSS is read
    from wait4 on this child alone."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        sys.exit(f"{cmd[0]} failed with {code}: {err}")
    return elapsed, usage.ru_maxrss / 1024, out


def best(runs, make_cmd):
    results = []
    for _ in range(runs):
        cmd, cleanup = make_cmd()
        results.append(measure(cmd))
        cleanup()
    return min(results, key=lambda r: r[0]), max(r[1] for r in results)


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)


def write_big(path, rows):
    regions = ["Argentina", "Brazil", "Japan", "United States", "Global", "Germany", "France", "Mexico"]
    with open(path, "w") as f:
        f.write("title,rank,date,artist,url,region,chart,trend,streams\n")
        written, day = 0, 0
        while written < rows:
            date = time.strftime("%Y-%m-%d", time.gmtime(1483228800 + 86400 * day))
            for region in regions:
                for rank in range(1, 201):
                    f.write(f"Song {rank} of {region},{rank},{date},Artist {rank % 37},"
                            f"https://open.spotify.com/track/4saklk6nie3yiGePpBwUoc,{region},top200,SAME_POSITION,{1000 + rank}.0\n")
                written += 200
                if written >= rows:
                    break
            day += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("data", nargs="?", default=DEFAULT_DATA)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--big-rows", type=int, default=2_000_000)
    args = ap.parse_args()
    if not os.path.isdir(args.data):
        print(f"benchmark skipped: {args.data} is absent")
        return 0
    try:
        import duckdb  # noqa: F401
    except ImportError:
        sys.exit("install duckdb first: pip install duckdb")
    data = os.path.abspath(args.data)
    work = tempfile.mkdtemp(prefix="chartlens-bench-")
    store = os.path.join(work, "store")
    parquet = os.path.join(work, "duckdb.parquet")

    def compare(title, folder, duckdb_job, reader):
        """Ingests `folder` with chartlens and with `duckdb_job`; prints both."""
        job = os.path.join(work, "duckdb_job.py")
        with open(job, "w") as f:
            f.write(duckdb_job)
        (ours, ours_rss) = best(args.runs, lambda: ([args.binary, "--store", store, "ingest", "--quiet", folder], lambda: fresh(store)))
        (theirs, theirs_rss) = best(args.runs, lambda: ([sys.executable, job, folder, parquet], lambda: os.remove(parquet)))
        print(f"{title} ({folder})")
        print(f"  chartlens ingest : {ours[0]:7.3f} s  peak {ours_rss:7.1f} MiB")
        print(f"  duckdb {reader:10}: {theirs[0]:7.3f} s  peak {theirs_rss:7.1f} MiB  ({theirs[2].strip()} rows)")
        print(f"  ratio duckdb/chartlens: {theirs[0] / ours[0]:.2f}x (above 1 means chartlens is faster)")

    compare("viral50 folder", data, DUCKDB_JOB, "read_csv")
    playlists = os.path.join(os.path.dirname(data), "spotify-top50-playlists")
    if os.path.isdir(playlists):
        compare("playlist snapshots", playlists, PLAYLIST_JOB, "read_json")

    if args.big_rows > 0:
        big = os.path.join(work, "big", "combined.csv")
        os.makedirs(os.path.dirname(big))
        write_big(big, args.big_rows)
        size = os.path.getsize(big) / 2**20
        (run, rss) = best(1, lambda: ([args.binary, "--store", store, "ingest", "--quiet", big], lambda: fresh(store)))
        print(f"large single file ({args.big_rows:,} rows, {size:.0f} MiB, streamed)")
        print(f"  chartlens ingest : {run[0]:7.3f} s  peak {rss:7.1f} MiB")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
