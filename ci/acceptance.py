#!/usr/bin/env python3
"""Acceptance run on the real Spotify Viral 50 archive in ../shared/data.

Counts what the folder holds independently of chartlens (charts, rows, markets,
HTML pages), ingests it twice with the release binary, and checks that the store
holds every valid chart, rejects every HTML or broken file with its reason, and
that the second run adds nothing. Skips, saying so, when the data is absent.
"""

import os
import subprocess
import sys
import tempfile

from common import check, sql

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "spotify-viral50-weekly")


def expected(root):
    files, html, rows, markets = 0, 0, 0, set()
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            head = open(path, "rb").read()
            if head.lstrip()[:1] == b"<":
                html += 1
                continue
            body = [line for line in head.decode("utf-8").splitlines()[1:] if line.strip()]
            files += 1
            rows += len(body)
            markets.add(os.path.basename(folder))
    return files, html, rows, markets






def main():
    binary = sys.argv[1]
    if not os.path.isdir(DATA):
        print(f"acceptance skipped: {DATA} is absent (it exists only beside the project in CI)")
        return 0
    files, html, rows, markets = expected(DATA)
    ok = True
    with tempfile.TemporaryDirectory() as store:
        first = subprocess.run([binary, "--store", store, "ingest", "--quiet", DATA], capture_output=True, text=True)
        print(first.stdout, end="")
        ok &= check("first run exit code (3: some files rejected)", first.returncode, 3)
        status = {r["status"]: int(r["n"]) for r in sql(binary, store, "select status, count(*) as n from ingest_log group by status")}
        ok &= check("files ingested", status.get("ingested", 0), files)
        ok &= check("files rejected", status.get("rejected", 0), html)
        reasons = sql(binary, store, "select distinct reason from ingest_log where status = 'rejected'")
        ok &= check("every reject is an HTML page", all("HTML web page" in r["reason"] for r in reasons), True)
        total = int(sql(binary, store, "select count(*) as n from chart_entries")[0]["n"])
        ok &= check("rows stored", total, rows)
        regions = int(sql(binary, store, "select count(distinct region) as n from chart_entries")[0]["n"])
        ok &= check("markets (incl. GLOBAL)", regions, len(markets))
        unknown = sql(binary, store, "select count(*) as n from chart_entries where track_id is null or region is null")
        ok &= check("rows without track id or market", int(unknown[0]["n"]), 0)

        second = subprocess.run([binary, "--store", store, "ingest", "--quiet", DATA], capture_output=True, text=True)
        print(second.stdout, end="")
        ok &= check("second run says it added nothing", "ingested 0 files (0 rows" in second.stdout, True)
        again = int(sql(binary, store, "select count(*) as n from chart_entries")[0]["n"])
        ok &= check("rows after second run", again, rows)
        unchanged = sql(binary, store, "select count(*) as n from ingest_log where status = 'unchanged'")
        ok &= check("files unchanged on second run", int(unchanged[0]["n"]), files)
    print("acceptance", "passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
