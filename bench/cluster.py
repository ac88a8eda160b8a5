#!/usr/bin/env python3
"""Cluster benchmark: the same jobs on the local engine and on a Ballista
cluster on this machine (`chartlens cluster local` with 1 and with 2
executors), in one run, with DuckDB on the same Parquet parts for scale.

For each --entries N, a simulated archive (bench/scale.py's configuration:
200-position charts over every market) is ingested once; then each job runs
--runs times per engine, fastest kept, each run a fresh `chartlens` process:

  scan     one SQL aggregate over every chart entry (per market and year:
           entries, tracks, mean rank): the work a cluster spreads, and
           DuckDB's same query on the store's parts
  metrics  chartlens reach + spread (read the per-track summary table)
  empty    `select 1`: what a query costs before it reads a row (process
           start, planning, job submission and scheduling, result fetch)

It prints, per size, each engine's time, the cluster's overhead over the
local engine and how much of it the empty query explains, and the measured
rate of the scan per executor (entries per second), which BENCHMARKS.md uses
to size a deployment.

Usage: bench/cluster.py BINARY --entries 10000000 [--entries 100000000] [--work DIR] [--runs 3]
"""

import argparse
import glob
import os
import queue
import signal
import subprocess
import sys
import threading
import time

from scale import best, measured, python_job, simulated_archive

SCAN = ("select region, extract(year from period_start) as year, count(*) as entries, "
        "count(distinct track_id) as tracks, avg(rank) as mean_rank from chart_entries "
        "group by 1, 2 order by 1, 2")


class LocalCluster:
    def __init__(self, binary, executors):
        self.proc = subprocess.Popen(
            [binary, "cluster", "local", "--executors", str(executors), "--bind", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in self.proc.stdout], daemon=True).start()
        deadline = time.time() + 60
        while True:
            line = lines.get(timeout=max(0.1, deadline - time.time()))
            if "clients use --cluster " in line:
                self.url = line.split("clients use --cluster ")[1].strip()
                break
        time.sleep(1)  # executors registered

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--entries", type=int, action="append", required=True)
    ap.add_argument("--work", default=None)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    table = []
    for n in args.entries:
        work, world, _ = simulated_archive(args.binary, n, "chartlens-cluster", args.work)
        store = os.path.join(work, "store")
        t, _ = measured([args.binary, "--store", store, "ingest", "--quiet",
                         os.path.join(world, "spotify-viral50-weekly")])
        entries = int(subprocess.run(
            [args.binary, "--store", store, "sql", "--format", "csv",
             "select count(*) from chart_entries"],
            capture_output=True, text=True, check=True).stdout.split()[1])
        print(f"\n{entries:,} entries (ingested in {t:.1f} s)")
        subprocess.run(["rm", "-rf", world])

        def job(name, cluster):
            extra = ["--cluster", cluster] if cluster else []
            lines = {
                "scan": [["sql", "--format", "csv", SCAN]],
                "metrics": [["reach", "--format", "csv"], ["spread", "--format", "csv"]],
                "empty": [["sql", "--format", "csv", "select 1"]],
            }[name]

            def once():
                total, peak = 0.0, 0.0
                for line in lines:
                    s, m = measured([args.binary, "--store", store, *extra, *line])
                    total, peak = total + s, max(peak, m)
                return total, peak
            return best(args.runs, once)

        results = {}
        for engine in ("local", "cluster-1", "cluster-2"):
            cluster = None
            if engine != "local":
                cluster = LocalCluster(args.binary, int(engine[-1]))
            try:
                for name in ("scan", "metrics", "empty"):
                    s, mib = job(name, cluster.url if cluster else None)
                    results[(engine, name)] = s
                    table.append((entries, name, engine, s, mib))
                    print(f"  {name:8} {engine:10} {s:8.2f} s {mib:8.0f} MiB (client)")
            finally:
                if cluster:
                    cluster.stop()
        parts = glob.glob(os.path.join(store, "data", "chart_entries", "*.parquet"))
        s, mib = best(args.runs, lambda: python_job(
            "import duckdb; c = duckdb.connect(); c.execute('SET threads TO 2'); "
            f"c.execute({SCAN.replace('from chart_entries', f'from read_parquet({parts!r})').replace('extract(year from period_start)', 'year(period_start)')!r}).fetchall()"))
        results[("duckdb", "scan")] = s
        table.append((entries, "scan", "duckdb", s, mib))
        print(f"  {'scan':8} {'duckdb':10} {s:8.2f} s {mib:8.0f} MiB")

        local = results[("local", "scan")]
        for engine in ("cluster-1", "cluster-2"):
            scan, empty = results[(engine, "scan")], results[(engine, "empty")]
            over = scan - local
            fixed = empty - results[("local", "empty")]
            executors = int(engine[-1])
            rate = entries / max(scan - empty, 1e-9) / executors
            print(f"  {engine}: scan {scan / local:.2f}x the local time; overhead {over:+.2f} s, "
                  f"of which {fixed:.2f} s per query before any row (submission, scheduling, "
                  f"fetch); {rate / 1e6:.1f} M entries/s per executor")
        print(f"  duckdb / chartlens (scan, local engine) = {results[('duckdb', 'scan')] / local:.2f}")
        subprocess.run(["rm", "-rf", work])
    print("\n| entries | job | engine | seconds | client peak MiB |\n|---|---|---|---|---|")
    for e, name, engine, s, mib in table:
        print(f"| {e:,} | {name} | {engine} | {s:.2f} | {mib:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
