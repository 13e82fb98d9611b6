"""``make bench`` runs every benchmark module: each ``bench/*.py`` with a ``run`` is listed in
``bench/__main__.py``'s MODULES (bench/abuse.py was not, so its figures were never rerun).
See docs/benchmarks.md.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import MODULES
from bench.common import ROOT


def test_every_benchmark_module_is_run_by_make_bench() -> None:
    listed = [module for module, _vendors in MODULES]
    with_run = sorted(
        path.stem
        for path in (ROOT / "bench").glob("*.py")
        # soak runs for an hour under ``make soak``, on its own.
        if path.stem not in ("__init__", "__main__", "soak")
        and callable(getattr(importlib.import_module(f"bench.{path.stem}"), "run", None))
        and "main(" in path.read_text()
    )
    assert sorted(listed) == with_run
    assert "abuse" in listed
    for _module, vendors in MODULES:
        assert set(vendors) <= {"sqlite", "postgresql"} and vendors


@pytest.mark.slow
def test_the_customer_path_benchmark_runs_before_and_after(tmp_path: Path) -> None:
    """``bench.customer --quick`` measures both trees (the "before" commit checked out under
    var/bench/) and writes every row of the table, for each side.

    "Before" is the current commit here, which any clone has; ``make bench`` measures the
    commit before the availability cache (``customer.BEFORE_COMMIT``)."""
    from bench import customer

    before = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    assert before, "the benchmark checks out a commit: run the suite in a git clone"

    done = subprocess.run(
        [sys.executable, "-m", "bench.customer", "--database", "sqlite", "--quick"],
        cwd=ROOT,
        env={**os.environ, "BENCH_BEFORE": before},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for side in customer.SIDES:
        figures = json.loads(customer.side_path(side, "sqlite").read_text())
        for key, *_rest in customer.ROWS:
            if key != "day_date_hit":
                assert figures[key]["median"] > 0, (side, key)
        assert set(figures["sweep"]) == {"1", "4"}
    # Both trees answer the day form (the "before" one is this commit's checkout).
    for side in customer.SIDES:
        assert json.loads(customer.side_path(side, "sqlite").read_text())["date_form"] is True
    results = json.loads((ROOT / "var" / "bench" / "customer-sqlite.json").read_text())
    assert "| figure | before | after | target | met |" in results["markdown"]


def test_a_partial_run_keeps_the_other_modules_sections(tmp_path: Path, monkeypatch) -> None:
    """``python -m bench --only customer`` on a machine that ran nothing else rewrites the
    customer's sections and keeps every other section of docs/benchmark-results.md."""
    import bench.__main__ as bench_main

    output = tmp_path / "benchmark-results.md"
    output.write_text(
        "# Benchmark results\n\n- Command: `make bench`\n\n"
        "## Availability engine — sqlite\n\n`python -m bench.engine --database sqlite`, 1 s\n\n"
        "| measurement | value |\n|---|---|\n| engine row | 1.00 ms |\n\n"
        "## The customer's path — sqlite\n\n`python -m bench.customer --database sqlite`\n\n"
        "| old customer row | 9.00 ms |\n"
    )
    var = tmp_path / "var"
    var.mkdir()
    fresh = {
        "module": "customer",
        "vendor": "sqlite",
        "quick": False,
        "seconds": 2.0,
        "finished": "2026-11-27 12:00 UTC",
        "title": "The customer's path",
        "results": [
            {
                "name": "new customer row",
                "value": 1.0,
                "unit": "ms",
                "target": "",
                "met": None,
                "detail": "",
            }
        ],
        "markdown": "",
    }
    (var / "customer-sqlite.json").write_text(json.dumps(fresh))
    monkeypatch.setattr(bench_main, "OUTPUT", output)
    monkeypatch.setattr(
        bench_main, "results_path", lambda module, vendor: var / f"{module}-{vendor}.json"
    )
    monkeypatch.setattr(sys, "argv", ["bench", "--write-only"])
    assert bench_main.main() == 0
    text = output.read_text()
    assert "| engine row | 1.00 ms |" in text  # kept
    assert "new customer row" in text and "old customer row" not in text  # replaced
    assert text.index("Availability engine") < text.index("The customer's path")
