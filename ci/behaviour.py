#!/usr/bin/env python3
"""Behaviour check: the metric commands' CSV and the study's report.json
numbers of one chartlens binary against those of another (e.g. the previous
commit's) on the same store, or against stored expectations.

  ci/behaviour.py NEW --store DIR --baseline OLD       compare two binaries
  ci/behaviour.py NEW --store DIR --write DIR          store the expectations
  ci/behaviour.py NEW --store DIR --expect DIR         compare with them

--simulate SEED instead of --store runs on a store made here from a small
simulated world (chartlens simulate --seed SEED; its charts, videos and
registry), which is what CI compares with ci/expected/: data chartlens makes
up, so the expectations can live in the repository. After a deliberate change
of behaviour, rewrite them with --write and review the diff.

Each command runs with --format csv (the study writes report.json); outputs
must be equal byte for byte, except the study's timings and paths. Exit 1
with the first differing lines of every command that differs.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

# Every metric command, with the flags that change which rows it reads
# (cohort and period filters, the groupings); long track lists are cut to
# their first rows (--limit) to keep the expectations small.
COMMANDS = [
    ["reach", "--by", "track", "--limit", "300"],
    ["reach", "--by", "artist"],
    ["reach", "--by", "cohort"],
    ["reach", "--by", "track", "--cohort", "K-pop"],
    ["reach", "--by", "artist", "--sort", "entries", "--limit", "100"],
    ["reach", "--by", "track", "--period", "{period}", "--limit", "300"],
    ["spread", "--limit", "300"],
    ["spread", "--cohort", "J-pop"],
    ["spread", "--period", "{period}", "--limit", "300"],
    ["share", "--by", "market"],
    ["share", "--by", "month"],
    ["home", "--by", "artist"],
    ["home", "--by", "cohort"],
    ["home", "--by", "market"],
    ["home", "--by", "artist", "--period", "{period}"],
    ["engagement", "--by", "cohort"],
    ["artists", "list"],
]


def name(args):
    """The file an output is stored in: the command line, as a file name."""
    return "_".join(a.strip("-").replace("{", "").replace("}", "") for a in args)


def run(binary, store, args, period):
    line = [a.replace("{period}", period) for a in args]
    out = subprocess.run([binary, "--store", store, *line, "--format", "csv"],
                         capture_output=True, text=True)
    return name(args) + ".csv", out.stdout if out.returncode == 0 else f"exit {out.returncode}\n{out.stderr}"


def study(binary, store, extra, resamples=200, flags=()):
    """The study's report.json without its timings and paths, as text (or
    the exit code and standard error when it fails). `flags` go before the
    subcommand (e.g. --cluster URL)."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run([binary, "--store", store, *flags, "study", "--resamples",
                               str(resamples), "--out", out, *extra],
                              capture_output=True, text=True)
        if done.returncode != 0:
            return f"exit {done.returncode}\n{done.stderr}"
        with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
            report = json.load(f)
    for volatile in ("generated_at", "elapsed_seconds", "store"):
        report.pop(volatile, None)
    return json.dumps(report, indent=1, sort_keys=True) + "\n"


def outputs(binary, store, period):
    got = dict(run(binary, store, args, period) for args in COMMANDS)
    got["study.json"] = study(binary, store, [])
    got["study_period.json"] = study(binary, store, ["--period", period])
    return got


def first_period(binary, store):
    """A period covering the first half of the store's weeks."""
    out = subprocess.run([binary, "--store", store, "sql", "--format", "csv",
                          "select min(period_start), max(period_start) from chart_entries"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    first, last = out[1].split(",")
    a, b = datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)
    return f"{a}..{a + (b - a) / 2}"


def simulated_store(binary, seed, work):
    world, store = os.path.join(work, "world"), os.path.join(work, "store")
    steps = [
        ["simulate", "--seed", str(seed), "--entries", "30000", "--out", world],
        ["--store", store, "ingest", "--quiet"] + [
            os.path.join(world, d)
            for d in ("spotify-viral50-weekly", "youtube-charts-weekly", "youtube-videos")],
        ["--store", store, "artists", "import", os.path.join(world, "registry")],
    ]
    for step in steps:
        subprocess.run([binary, *step], check=True, capture_output=True)
    return store


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--store")
    source.add_argument("--simulate", type=int, metavar="SEED")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--baseline")
    which.add_argument("--write")
    which.add_argument("--expect")
    a = p.parse_args()
    scratch = None
    if a.simulate is not None:
        scratch = tempfile.TemporaryDirectory()
        a.store = simulated_store(a.binary, a.simulate, scratch.name)
    period = first_period(a.binary, a.store)
    new = outputs(a.binary, a.store, period)
    if a.write:
        os.makedirs(a.write, exist_ok=True)
        for file, text in new.items():
            with open(os.path.join(a.write, file), "w", encoding="utf-8") as f:
                f.write(text)
        print(f"behaviour: {len(new)} outputs written to {a.write}")
        return 0
    if a.baseline:
        old = outputs(a.baseline, a.store, period)
    else:
        old = {}
        for file in os.listdir(a.expect):
            with open(os.path.join(a.expect, file), encoding="utf-8") as f:
                old[file] = f.read()
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
