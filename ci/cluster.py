#!/usr/bin/env python3
"""`--cluster` end to end on ../shared/data (the demo's store when it is absent):

1. `chartlens cluster local --executors 2` on loopback; every read command
   (sql, reach, spread, share, home, engagement, network, diversity, alerts,
   export, artists, the study, and serve's API) runs with --cluster and must
   print exactly what it prints without it (the study: every number of
   report.json; export: the same file bytes);
2. faults, on a scheduler and two executors in their own processes: one
   executor killed while a query runs, where the query should either give
   the right answer (Ballista runs its tasks again on the other) or fail
   with a clear message; a wrong answer is printed as a KNOWN DEFECT of
   Ballista 55's recovery (README, Known limitations) until chartlens
   guards against it; and a scheduler that is not there, which must be
   named, with its URL, within a few seconds;
3. SIGTERM stops the scheduler, the executors and `cluster local` cleanly.

Usage: ci/cluster.py BINARY
"""

import argparse
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from behaviour import COMMANDS, first_period, study
from common import check
from serve import build_store

# The commands behaviour.py checks, and those it does not.
MORE = [
    ["sql", "select region, chart, count(*) as entries, count(distinct track_id) as tracks, "
            "min(period_start) as first, max(period_end) as last from chart_entries "
            "group by region, chart order by region, chart"],
    ["sql", "select a.cohort, c.role, count(*) as entries, count(distinct e.track_id) as tracks "
            "from chart_entries e join credits c "
            "on e.artist_names = c.artist_names and e.track_name = c.track_name "
            "join artists a on a.artist_id = c.artist_id group by a.cohort, c.role "
            "order by a.cohort, c.role"],
    ["network"],
    ["network", "--by", "market"],
    ["network", "--backbone"],
    ["diversity"],
    ["diversity", "--by", "market-year"],
    ["alerts", "--backtest", "--grid"],
    ["alerts", "--limit", "200"],
    ["artists", "coverage", "--view", "overall"],
    ["artists", "coverage", "--view", "none"],
    ["artists", "audit"],
]


class Process:
    """A chartlens process whose standard output is read line by line."""

    def __init__(self, binary, *args):
        self.proc = subprocess.Popen([binary, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.time()))
            except queue.Empty:
                break
            if text in line:
                return line
        raise SystemExit(f"{' '.join(self.proc.args)}: no line with {text!r} in {seconds}s")

    def term(self, seconds=20):
        """SIGTERM; returns the exit code (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(binary, store, args, cluster=None):
    line = [binary, "--store", store] + (["--cluster", cluster] if cluster else []) + args
    started = time.time()
    out = subprocess.run(line, capture_output=True, text=True)
    elapsed = time.time() - started
    text = out.stdout if out.returncode == 0 else f"exit {out.returncode}\n{out.stderr}"
    return text, elapsed


def report(binary, store, cluster=None, extra=()):
    """behaviour.py's study (every number of report.json), at the default
    1000 resamples, and its wall time."""
    started = time.time()
    text = study(binary, store, extra, resamples=1000,
                 flags=["--cluster", cluster] if cluster else [])
    return text, time.time() - started


def rows(path):
    """The rows of an exported Parquet file, in order (batch and page
    boundaries may differ between two writers of the same rows)."""
    import polars
    return polars.read_parquet(path)


def same_answers(binary, store, url, work):
    period = first_period(binary, store)
    lines = [[a.replace("{period}", period) for a in c] + ["--format", "csv"] for c in COMMANDS]
    lines += [c + ["--format", "csv"] for c in MORE]
    ok = True
    local_total = cluster_total = 0.0
    for args in lines:
        local, t_local = run(binary, store, args)
        remote, t_remote = run(binary, store, args, url)
        local_total += t_local
        cluster_total += t_remote
        label = " ".join(a if len(a) < 40 else a[:37] + "..." for a in args)
        same = local == remote and not local.startswith("exit ")
        print(f"{'ok' if same else 'FAIL':4} {label}: {len(local.splitlines())} lines, "
              f"{t_local:.2f}s here, {t_remote:.2f}s on the cluster")
        if not same:
            print("     here:    ", local[:300].replace("\n", " | "))
            print("     cluster: ", remote[:300].replace("\n", " | "))
        ok &= same
    for extra in ([], ["--period", period]):
        local, t_local = report(binary, store, None, extra)
        remote, t_remote = report(binary, store, url, extra)
        local_total += t_local
        cluster_total += t_remote
        ok &= check(f"study {' '.join(extra)} report.json numbers equal "
                    f"({t_local:.1f}s here, {t_remote:.1f}s on the cluster)",
                    local == remote, True)
    files = {}
    for where, cluster in (("local", None), ("cluster", url)):
        out = os.path.join(work, f"export-{where}.parquet")
        text, _ = run(binary, store, ["export", "--out", out, "--force"], cluster)
        files[where] = rows(out) if os.path.isfile(out) else None
        if files[where] is None:
            print("     " + text[:300])
    same = all(f is not None for f in files.values()) and files["local"].equals(files["cluster"])
    ok &= check(f"export writes the same rows ({len(files['local'] if files['local'] is not None else [])})",
                same, True)
    ok &= serve_answers(binary, store, url)
    print(f"cluster: {len(lines) + 4} commands, {local_total:.1f}s here, "
          f"{cluster_total:.1f}s on the cluster")
    return ok


def serve_answers(binary, store, url):
    """serve --cluster answers its API as the CLI does without a cluster."""
    port = free_port()
    server = Process(binary, "--store", store, "--cluster", url, "serve", "--addr", f"127.0.0.1:{port}")
    ok = True
    try:
        server.wait_for("http://", 120)
        for path, args in (("/api/v1/reach?by=cohort", ["reach", "--by", "cohort"]),
                           ("/api/v1/network?by=market", ["network", "--by", "market"])):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=300) as answer:
                got = answer.read().decode()
            want, _ = run(binary, store, args + ["--format", "json"])
            ok &= check(f"serve --cluster {path} equals the CLI's --format json", got == want, True)
    finally:
        server.term()
    return ok


def faults(binary, store):
    ok = True
    port = free_port()
    url = f"df://127.0.0.1:{port}"
    started = time.time()
    text, _ = run(binary, store, ["reach", "--by", "cohort"], url)
    took = time.time() - started
    ok &= check(f"no scheduler: exit 1 naming {url} ({took:.1f}s)",
                text.startswith("exit 1") and url in text and took < 10, True)
    print("     " + text.splitlines()[-1][:300])

    scheduler = Process(binary, "cluster", "scheduler", "--bind", f"127.0.0.1:{port}",
                        "--executor-timeout", "10")
    scheduler.wait_for("listening")
    executors = []
    for _ in range(2):
        e = Process(binary, "cluster", "executor", "--scheduler", url, "--port", str(free_port()),
                    "--grpc-port", str(free_port()), "--concurrent-tasks", "1")
        e.wait_for("executor on")
        executors.append(e)
    time.sleep(3)  # both registered
    # --timeout bounds a query that Ballista leaves waiting for the lost executor.
    query = ["sql", "--timeout", "120", "--format", "csv",
             "select e.region, count(*) as pairs, sum(e.rank * f.rank) as product "
             "from chart_entries e join chart_entries f on e.track_id = f.track_id "
             "and e.region = f.region group by e.region order by e.region"]
    want, t_local = run(binary, store, query)
    try:
        box = {}
        worker = threading.Thread(target=lambda: box.update(got=run(binary, store, query, url)))
        worker.start()
        time.sleep(min(2.0, max(0.5, t_local / 2)))
        executors[0].proc.kill()
        worker.join(180)
        got, took = box.get("got", ("exit none\nno answer in 180 s", 180))
        if got == want:
            print(f"ok   an executor killed mid-query: the query finished on the other "
                  f"with the right answer ({took:.1f}s)")
        elif got.startswith("exit 1") and "chartlens: error:" in got:
            print(f"ok   an executor killed mid-query: a clear error ({took:.1f}s)")
            print("     " + got.splitlines()[-1][:300])
        else:
            # Ballista 55 reruns the lost executor's stages and can then read
            # both runs' shuffle output (README, Known limitations). Shown,
            # not hidden; not yet guarded, so it does not fail this run.
            differing = sum(a != b for a, b in zip(got.splitlines(), want.splitlines()))
            print(f"KNOWN DEFECT an executor killed mid-query: {differing} of "
                  f"{len(want.splitlines()) - 1} rows differ from the local answer ({took:.1f}s)")
            for a, b in list(zip(want.splitlines(), got.splitlines()))[1:3]:
                print(f"     here {a}  cluster {b}")
        code = executors[1].term()
        ok &= check("SIGTERM stops an executor cleanly", code, 0)
        code = scheduler.term()
        ok &= check("SIGTERM stops the scheduler cleanly", code, 0)
    finally:
        for p in executors + [scheduler]:
            if p.proc.poll() is None:
                p.proc.kill()
    return ok


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="chartlens-cluster-")
    store, what = build_store(a.binary, work)
    print(f"cluster: comparing on {what}")
    local = Process(a.binary, "cluster", "local", "--executors", "2", "--bind", "127.0.0.1:0")
    line = local.wait_for("clients use --cluster")
    url = line.split("clients use --cluster ")[1].strip()
    print(line)
    try:
        ok = same_answers(a.binary, store, url, work)
    finally:
        code = local.term()
    ok &= check("SIGTERM stops cluster local cleanly", code, 0)
    ok &= faults(a.binary, store)
    print("cluster: all checks passed" if ok else "cluster: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
