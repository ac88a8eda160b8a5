#!/usr/bin/env python3
"""`chartlens serve` end to end: a store of ../shared/data (the demo's store
when it is absent), a real server on loopback, then

1. a real browser (headless Chromium through ChromeDriver) opens every page,
   searches an artist, follows one of its tracks, and fails on any console
   error; a screenshot of each page is kept in --shots;
2. a bounded load test: --clients concurrent clients for --seconds of mixed
   API and page requests (each URL asked once first, as a user's first
   visit, so the timed requests see the server as it runs); zero errors,
   p50/p95/p99 and the server's peak memory printed; page data p95 must stay
   under 150 ms;
3. the same load while a deliberately slow SQL query runs: other requests'
   p95 must stay under 300 ms, and the slow query must end with the
   server's time limit (408), not take the server down.

Usage: ci/serve.py BINARY [--shots DIR] [--clients 50] [--seconds 20]
"""

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from common import check

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
INPUTS = ["spotify-viral50-weekly", "spotify-top50-playlists"]


def build_store(binary, work):
    """A store of the shared data, or of the demo world when it is absent."""
    store = os.path.join(work, "store")
    inputs = [os.path.join(SHARED, d) for d in INPUTS]
    if all(os.path.isdir(d) for d in inputs):
        started = time.time()
        subprocess.run([binary, "--store", store, "ingest", "--quiet", *inputs], check=False,
                       capture_output=True)
        subprocess.run([binary, "--store", store, "artists", "import", os.path.join(SHARED, "artists")],
                       check=True, capture_output=True)
        print(f"store of ../shared/data built in {time.time() - started:.1f}s")
        return store, "shared data"
    subprocess.run([binary, "demo", "--dir", os.path.join(work, "demo"), "--out", os.path.join(work, "report")],
                   check=True, capture_output=True)
    print("../shared/data is absent: the demo's simulated store is served")
    return os.path.join(work, "demo", "store"), "the demo"


class Server:
    def __init__(self, binary, store, *extra):
        self.proc = subprocess.Popen([binary, "--store", store, "serve", "--addr", "127.0.0.1:0", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        match = re.fullmatch(r"http://([\d.]+):(\d+)/", line)
        if not match:
            raise SystemExit(f"the server printed {line!r}: {self.proc.stderr.read()}")
        self.host, self.port = match.group(1), int(match.group(2))
        self.url = line

    def peak_memory_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def request(server, method, path, body=None, timeout=120):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def browse(server, shots):
    """Every page in Chromium; then search an artist and follow a track."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-dev-shm-usage", "--window-size=1200,1400"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                              options=options)
    ok = True
    os.makedirs(shots, exist_ok=True)

    def visit(name, path=None):
        nonlocal ok
        if path is not None:
            driver.get(server.url.rstrip("/") + path)
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        for e in errors:
            print(f"FAIL console on {name}: {e['message']}")
        ok &= not errors
        heading = driver.find_element(By.TAG_NAME, "h1").text
        failed = driver.find_elements(By.CSS_SELECTOR, ".error")
        ok &= check(f"page {name} ({heading}) shows no error", [e.text for e in failed], [])
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1200, min(int(height), 12000))
        shot = os.path.join(shots, f"{name}.png")
        driver.save_screenshot(shot)
        driver.set_window_size(1200, 1400)

    try:
        for name, path in [("overview", "/"), ("markets", "/market"), ("cohorts", "/cohorts"),
                           ("network", "/network"), ("diversity", "/diversity"),
                           ("alerts", "/alerts"), ("study-form", "/study")]:
            visit(name, path)
        # The network page draws the backbone; the alerts page links a track.
        driver.get(server.url.rstrip("/") + "/network")
        arrows = driver.find_elements(By.CSS_SELECTOR, "main svg line[marker-end]")
        ok &= check("the network page draws backbone arrows", bool(arrows), True)
        driver.get(server.url.rstrip("/") + "/alerts")
        tracks = driver.find_elements(By.CSS_SELECTOR, "main table a[href^='/track']")
        if tracks:
            tracks[0].click()
            visit("alert-track")
        # A market from the explorer's table.
        driver.get(server.url.rstrip("/") + "/market")
        links = driver.find_elements(By.CSS_SELECTOR, "main table a[href^='/market/']")
        ok &= check("the market explorer links markets", bool(links), True)
        if links:
            links[0].click()
            visit("market")
        # Search an artist through the box, open the artist, follow a track.
        listed = json.loads(request(server, "GET", "/api/v1/reach?by=artist&sort=entries&limit=1")[1])
        artist = listed[0]["artist"] if listed else ""
        box = driver.find_element(By.CSS_SELECTOR, "header input[name=q]")
        box.send_keys(artist, Keys.ENTER)
        visit("search")
        found = driver.find_elements(By.CSS_SELECTOR, "main table a[href^='/artist']")
        ok &= check(f"the search for {artist!r} finds the artist", bool(found), True)
        if found:
            found[0].click()
            visit("artist")
            tracks = driver.find_elements(By.CSS_SELECTOR, "main table a[href^='/track']")
            ok &= check("the artist page links its tracks", bool(tracks), True)
            if tracks:
                tracks[0].click()
                visit("track")
                strips = driver.find_elements(By.CSS_SELECTOR, ".strip")
                ok &= check("the track page shows its chart runs", bool(strips), True)
        # The study through its form.
        driver.get(server.url.rstrip("/") + "/study")
        driver.find_element(By.CSS_SELECTOR, "form.filters button").click()
        visit("study-report")
        ok &= check("the study form opens the report", "/study/" in driver.current_url, True)
    finally:
        driver.quit()
    print(f"screenshots in {shots}")
    return ok


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def load(server, urls, clients, seconds, label):
    """`clients` threads asking `urls` in turn for `seconds`; latencies in ms."""
    latencies, errors = [], []
    lock = threading.Lock()
    stop = time.time() + seconds

    def client(offset):
        conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        i = offset
        while time.time() < stop:
            path = urls[i % len(urls)]
            i += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                status = response.status
            except Exception as e:  # noqa: BLE001 - every failure is an error of the run
                status = str(e)
                conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
            took = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(took)
                if status != 200:
                    errors.append((path, status))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
    print(f"load {label}: {len(latencies)} requests from {clients} clients in {seconds}s "
          f"({len(latencies) / seconds:.0f}/s), {len(errors)} errors; "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms; "
          f"server peak memory {server.peak_memory_mib():.0f} MiB")
    for path, status in errors[:5]:
        print(f"  error: {path}: {status}")
    return latencies, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--shots", default="ci-artifacts/serve")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=20)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="chartlens-serve-")
    store, what = build_store(args.binary, work)
    server = Server(args.binary, store, "--timeout", "10")
    ok = True
    try:
        ok &= browse(server, args.shots)
        # The mix: every API command and every page a dashboard user opens.
        artist = json.loads(request(server, "GET", "/api/v1/reach?by=artist&sort=entries&limit=3")[1])
        tracks = json.loads(request(server, "GET", "/api/v1/reach?by=track&limit=3")[1])
        markets = json.loads(request(server, "GET", "/api/v1/share?by=market")[1])
        names = [r["artist"] for r in artist][:3]
        track_ids = [r.get("track_id") or r["track_name"] for r in tracks][:3]
        codes = sorted({r["market"] for r in markets})[:5]
        q = urllib.parse.quote
        urls = ["/", "/market", "/cohorts", "/api/v1/tables", "/api/v1/metrics",
                "/api/v1/reach", "/api/v1/reach?by=artist", "/api/v1/reach?by=cohort",
                "/api/v1/share?by=market", "/api/v1/home?by=cohort", "/api/v1/spread?limit=50",
                "/api/v1/artists/list", "/api/v1/artists/coverage", "/api/v1/artists/audit"]
        urls += [f"/market/{q(c)}" for c in codes]
        urls += [f"/artist?artist={q(n)}" for n in names] + [f"/api/v1/artists/explain?name={q(n)}" for n in names]
        urls += [f"/track?track={q(t)}" for t in track_ids] + [f"/search?q={q(n[:4])}" for n in names]
        # A user's first visit to each view computes it; the load test then
        # measures the server as it runs.
        warm = time.time()
        for path in urls:
            status, body = request(server, "GET", path)
            ok &= check(f"first visit {path}", status, 200)
        print(f"first visits to {len(urls)} views in {time.time() - warm:.1f}s")
        latencies, errors = load(server, urls, args.clients, args.seconds, "mixed")
        ok &= check("load: errors", len(errors), 0)
        ok &= check("load: page data p95 under 150 ms", percentile(latencies, 95) < 150, True)

        # Now with a slow query running: a cross join of the entries.
        slow = {"query": "SELECT count(*) FROM chart_entries a CROSS JOIN chart_entries b "
                         "WHERE a.rank + b.rank = 7"}
        outcome = {}

        def slow_query():
            started = time.time()
            outcome["status"], outcome["body"] = request(server, "POST", "/api/v1/sql", json.dumps(slow))
            outcome["seconds"] = time.time() - started

        slow_thread = threading.Thread(target=slow_query)
        slow_thread.start()
        time.sleep(0.5)
        latencies, errors = load(server, urls, args.clients, min(args.seconds, 8), "with a slow SQL query")
        slow_thread.join()
        print(f"slow query: {outcome['status']} after {outcome['seconds']:.1f}s: {outcome['body'][:200]!r}")
        ok &= check("load beside the slow query: errors", len(errors), 0)
        ok &= check("load beside the slow query: p95 under 300 ms", percentile(latencies, 95) < 300, True)
        ok &= check("the slow query stops at the server's limit", outcome["status"] in (408, 413), True)
        ok &= check("the server is still up", request(server, "GET", "/api/v1/tables")[0], 200)
        print(f"served {what}")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
