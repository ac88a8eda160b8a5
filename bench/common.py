"""Helpers the benchmark scripts share."""

import json
import os
import subprocess
import time


def best(runs, fn):
    """Runs `fn` `runs` times; returns the shortest wall time and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def ingest(binary, store, data):
    """Ingests `data` into a new store; returns the paths of its chart_entries
    Parquet parts (the files its manifest lists) and their row count."""
    subprocess.run([binary, "--store", store, "ingest", "--quiet", data], stdout=subprocess.DEVNULL)
    manifest = json.load(open(os.path.join(store, "manifest.json")))
    parts = manifest["tables"]["chart_entries"]
    return [os.path.join(store, p["file"]) for p in parts], sum(p["rows"] for p in parts)
