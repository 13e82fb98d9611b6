"""``make bench``: every benchmark on SQLite and PostgreSQL, results in docs/benchmark-results.md.

    python -m bench                       # everything (as make bench)
    python -m bench --only engine,http    # some modules
    python -m bench --database sqlite     # one database
    python -m bench --quick               # small data, few runs: checks that each one works

Each module runs in its own process on its own throwaway database (see bench/common.py) and
leaves var/bench/<module>-<database>.json; this collects them into the results file.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import time

from bench.common import ROOT, VAR, machine, results_path

# (module, databases it runs on), in the order they run.
MODULES: list[tuple[str, tuple[str, ...]]] = [
    ("engine", ("sqlite", "postgresql")),
    ("http", ("sqlite", "postgresql")),
    ("delivery", ("sqlite", "postgresql")),
    ("scale", ("postgresql",)),
    ("profile", ("sqlite", "postgresql")),
    ("calendars", ("sqlite", "postgresql")),
    # Before (commit 5bbb65f) and after, side by side (docs/benchmarks.md, "The customer's path").
    ("customer", ("sqlite", "postgresql")),
    # Last, so the figures above are taken before and regardless of it (docs/reliability.md,
    # "Abuse: rate limits and work caps").
    ("abuse", ("sqlite", "postgresql")),
]
OUTPUT = ROOT / "docs" / "benchmark-results.md"


def written_sections(text: str) -> dict[tuple[str, str], str]:
    """The sections of a results file by (module, database): each from its ``## `` heading to
    the next, recognised by the command line under the heading."""
    found: dict[tuple[str, str], str] = {}
    parts = re.split(r"(?m)^(?=## )", text)
    for part in parts[1:]:
        command = re.search(r"`python -m bench\.(\w+) --database (\w+)`", part)
        if command:
            found[(command.group(1), command.group(2))] = part
    return found


def render(command: str, runs: list[dict | str]) -> str:
    facts = machine()
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench`; do not edit by hand. What the figures mean, and what limits",
        "them, is in [benchmarks.md](benchmarks.md). Each section is the latest full run of one",
        "module on one database, and names the command that reruns it.",
        "",
        f"- Command: `{command}` (a section rerun alone names its own command)",
        f"- Written: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- Machine: {facts.get('cores', '?')} cores ({facts.get('cpu', 'unknown CPU')}), "
        f"{facts.get('memory', '?')} memory, {facts.get('os', '')}",
        f"- Python {facts.get('python', '?')}; "
        f"PostgreSQL {facts.get('postgresql', 'not reachable')}",
        "",
    ]
    for run in runs:
        if isinstance(run, str):  # a section kept from the file as it was
            lines += [run.rstrip("\n"), ""]
            continue
        lines += [
            f"## {run['title']} — {run['vendor']}",
            "",
            f"`python -m bench.{run['module']} --database {run['vendor']}`"
            + (" (quick)" if run["quick"] else "")
            + f", {run['seconds']} s, finished {run['finished']}",
            "",
            "| measurement | value | target | met | detail |",
            "|---|---|---|---|---|",
        ]
        for r in run["results"]:
            met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
            value = f"{r['value']:.2f} {r['unit']}"
            lines.append(f"| {r['name']} | {value} | {r['target']} | {met} | {r['detail']} |")
        if run["markdown"]:
            lines += ["", run["markdown"].strip()]
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", default="", help="comma-separated module names")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--write-only",
        action="store_true",
        help="run nothing; rewrite docs/benchmark-results.md from the latest results",
    )
    args = parser.parse_args()
    only = {m for m in args.only.split(",") if m}
    VAR.mkdir(parents=True, exist_ok=True)
    failed = []
    runs = []
    for module, vendors in MODULES:
        if args.write_only or (only and module not in only):
            continue
        for vendor in vendors:
            if args.database and vendor != args.database:
                continue
            cmd = [sys.executable, "-m", f"bench.{module}", "--database", vendor]
            if args.quick:
                cmd.append("--quick")
            print(f"=== {shlex.join(cmd[1:])}", flush=True)
            results_path(module, vendor).unlink(missing_ok=True)
            if subprocess.run(cmd, cwd=ROOT).returncode != 0:
                failed.append(f"{module}/{vendor}")
                continue
            runs.append(json.loads(results_path(module, vendor).read_text()))
    command = (
        "make bench"
        if not (only or args.database or args.quick or args.write_only)
        else shlex.join(["python", "-m", "bench", *sys.argv[1:]])
    )
    if args.write_only:
        command = "make bench"
    if args.quick:
        out = VAR / "results.md"
        out.write_text(render(command, runs))
        print(f"quick run: wrote {out.relative_to(ROOT)} (docs/ holds full runs only)")
    else:
        # The latest full run of every module and database: this run's and earlier ones'.
        # A module with no results on this machine (a fresh checkout ran only some) keeps
        # the section the file already has, so a partial run never drops the others.
        kept = written_sections(OUTPUT.read_text() if OUTPUT.exists() else "")
        latest: list[dict | str] = []
        for module, vendors in MODULES:
            for vendor in vendors:
                path = results_path(module, vendor)
                if path.exists() and not (data := json.loads(path.read_text()))["quick"]:
                    latest.append(data)
                elif (module, vendor) in kept:
                    latest.append(kept[(module, vendor)])
        OUTPUT.write_text(render(command, latest))
        print(f"wrote {OUTPUT}")
    if failed:
        print("failed:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
