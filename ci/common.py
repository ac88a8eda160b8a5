"""Helpers the acceptance scripts share."""

import csv
import io
import subprocess


def sql(binary, store, query):
    """Runs a query with `chartlens sql`; returns its rows as dicts. Fails the
    script, with chartlens's message, if the query fails."""
    out = subprocess.run([binary, "--store", store, "sql", "--format", "csv", query],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"query failed: {out.stderr}")
    return list(csv.DictReader(io.StringIO(out.stdout)))


def check(label, got, want):
    """Prints one check as ok or FAIL; returns whether it passed."""
    status = "ok" if got == want else "FAIL"
    print(f"{status:4} {label}: got {got!r}, want {want!r}")
    return got == want
