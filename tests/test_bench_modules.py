"""``make bench`` runs every benchmark module: each ``bench/*.py`` with a ``run`` is listed in
``bench/__main__.py``'s MODULES (bench/abuse.py was not, so its figures were never rerun).
See docs/benchmarks.md.
"""

from __future__ import annotations

import importlib

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
