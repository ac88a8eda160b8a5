#!/usr/bin/env python3
"""Behaviour check: the metric commands' CSV and the study's report.json
numbers of one chartlens binary against those of another (e.g. the previous
commit's) on the same store, or against stored expectations.

  ci/behaviour.py NEW --store DIR --baseline OLD       compare two binaries
  ci/behaviour.py NEW --store DIR --write FILE         store the expectations
  ci/behaviour.py NEW --store DIR --expect FILE        compare with them

Each command runs with --format csv (the study writes report.json); outputs
must be equal byte for byte, except the study's timings and paths. Exit 1
with the first differing lines of every command that differs.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

# Every metric command, with the flags that change which rows it reads
# (cohort, market, period filters and the groupings).
COMMANDS = [
    ["reach", "--by", "track"],
    ["reach", "--by", "artist"],
    ["reach", "--by", "cohort"],
    ["reach", "--by", "track", "--cohort", "K-pop"],
    ["reach", "--by", "artist", "--sort", "entries"],
    ["reach", "--by", "track", "--period", "{period}"],
    ["spread"],
    ["spread", "--cohort", "J-pop"],
    ["spread", "--period", "{period}"],
    ["share", "--by", "market"],
    ["share", "--by", "month"],
    ["home", "--by", "artist"],
    ["home", "--by", "cohort"],
    ["home", "--by", "market"],
    ["home", "--by", "artist", "--period", "{period}"],
    ["engagement", "--by", "cohort"],
    ["artists", "list"],
]


def run(binary, store, args, period):
    args = [a.replace("{period}", period) for a in args]
    out = subprocess.run([binary, "--store", store, *args, "--format", "csv"],
                         capture_output=True, text=True)
    return " ".join(args), out.stdout if out.returncode == 0 else f"exit {out.returncode}\n{out.stderr}"


def study(binary, store, extra):
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run([binary, "--store", store, "study", "--resamples", "200",
                               "--out", out, *extra], capture_output=True, text=True)
        if done.returncode != 0:
            return f"exit {done.returncode}\n{done.stderr}"
        with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
            report = json.load(f)
    for volatile in ("generated_at", "elapsed_seconds", "store"):
        report.pop(volatile, None)
    return json.dumps(report, indent=1, sort_keys=True)


def outputs(binary, store, period):
    got = dict(run(binary, store, args, period) for args in COMMANDS)
    got["study"] = study(binary, store, [])
    got[f"study --period {period}"] = study(binary, store, ["--period", period])
    return got


def first_period(binary, store):
    """A period covering the first half of the store's weeks."""
    out = subprocess.run([binary, "--store", store, "sql", "--format", "csv",
                          "select min(period_start), max(period_start) from chart_entries"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    first, last = out[1].split(",")
    import datetime
    a, b = datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)
    return f"{a}..{a + (b - a) / 2}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("--store", required=True)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--baseline")
    which.add_argument("--write")
    which.add_argument("--expect")
    a = p.parse_args()
    period = first_period(a.binary, a.store)
    new = outputs(a.binary, a.store, period)
    if a.write:
        with open(a.write, "w", encoding="utf-8") as f:
            json.dump(new, f, indent=1, sort_keys=True)
        print(f"behaviour: {len(new)} outputs written to {a.write}")
        return 0
    if a.baseline:
        old = outputs(a.baseline, a.store, period)
    else:
        with open(a.expect, encoding="utf-8") as f:
            old = json.load(f)
    differing = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    for k in differing:
        was, now = (old.get(k) or "").splitlines(), (new.get(k) or "").splitlines()
        print(f"DIFFERS: {k} ({len(was)} lines before, {len(now)} now)")
        shown = 0
        for i in range(max(len(was), len(now))):
            x = was[i] if i < len(was) else "<none>"
            y = now[i] if i < len(now) else "<none>"
            if x != y and shown < 5:
                print(f"  line {i + 1}:\n    before {x[:200]}\n    now    {y[:200]}")
                shown += 1
    same = len(new) - len(differing)
    print(f"behaviour: {same} of {len(new)} outputs identical (period {period})")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
