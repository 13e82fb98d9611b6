"""What every benchmark module shares: its database, its results file, and the machine's facts.

Each benchmark is a module ``bench/<name>.py`` with a ``run(db: BenchDatabase) -> Report``
function, started in its own process by ``python -m bench`` (or alone with
``python -m bench.<name> --database sqlite|postgresql``). The process sets up Django on the
benchmark's own database, calls ``run``, and writes ``var/bench/<name>-<vendor>.json``; the
orchestrator turns those files into ``docs/benchmark-results.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
VENDORS = ("sqlite", "postgresql")


@dataclass
class BenchDatabase:
    """The database a benchmark runs on. ``url`` is what child processes get as DATABASE_URL."""

    vendor: str  # "sqlite" or "postgresql"
    url: str
    quick: bool = False  # fewer runs, smaller data: for checking that a benchmark works

    @classmethod
    def for_vendor(cls, vendor: str, name: str, *, quick: bool = False) -> BenchDatabase:
        if vendor == "postgresql":
            return cls(vendor, f"{PG_SERVER}/slotwise_bench_{name}", quick)
        return cls(vendor, f"sqlite:///{VAR / f'{name}.sqlite3'}", quick)

    @property
    def name(self) -> str:
        return self.url.rsplit("/", 1)[-1]


@dataclass
class Result:
    """One figure. ``target`` is the goal as text (``"≤ 5 ms"``); ``met`` whether it was reached."""

    name: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None
    detail: str = ""  # e.g. "p99 71 ms, 412 req/s, 16 clients"


@dataclass
class Report:
    title: str
    results: list[Result] = field(default_factory=list)
    markdown: str = ""  # extra tables or notes shown under the figures

    def add(self, result: Result) -> Result:
        self.results.append(result)
        return result


def summarize(samples: Iterable[float]) -> dict[str, float]:
    """Median, p95, p99, min and max of timings (any unit), for a results table."""
    data = sorted(samples)
    if not data:
        return {"n": 0, "median": 0.0, "p95": 0.0, "p99": 0.0, "min": 0.0, "max": 0.0}

    def pct(p: float) -> float:
        return data[min(len(data) - 1, round(p * (len(data) - 1)))]

    return {
        "n": len(data),
        "median": statistics.median(data),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "min": data[0],
        "max": data[-1],
    }


def timed_ms(fn: Callable[[], Any], repeat: int, *, warmup: int = 3) -> list[float]:
    """Wall-clock milliseconds of ``repeat`` calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def machine() -> dict[str, str]:
    """Cores, memory, CPU model, OS, Python and PostgreSQL version: for the results header."""
    info = {
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
    }
    try:
        meminfo = Path("/proc/meminfo").read_text()
        kb = int(
            next(line for line in meminfo.splitlines() if line.startswith("MemTotal")).split()[1]
        )
        info["memory"] = f"{kb / 1024 / 1024:.0f} GiB"
        cpu = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            line.split(":", 1)[1].strip()
            for line in cpu.splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration, ValueError):
        pass
    try:
        out = subprocess.run(
            ["psql", PG_SERVER + "/postgres", "-Atc", "show server_version"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if out.returncode == 0:
            info["postgresql"] = out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def reset_database(db: BenchDatabase) -> None:
    """Drop and recreate the benchmark's database (or delete the SQLite file), then migrate."""
    if db.vendor == "postgresql":
        subprocess.run(
            [
                "psql",
                PG_SERVER + "/postgres",
                "-qc",
                f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)',
            ],
            check=True,
        )
        subprocess.run(
            ["psql", PG_SERVER + "/postgres", "-qc", f'CREATE DATABASE "{db.name}"'], check=True
        )
    else:
        path = Path(db.url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


#: The public rate limits, raised far out of a benchmark's way (still counted, so their cost is
#: measured); an outer environment may set the real ones.
RAISED_RATES = {
    name: "1000000/60"
    for name in (
        "SLOTWISE_RATE_AVAILABILITY",
        "SLOTWISE_RATE_BOOKING",
        "SLOTWISE_RATE_BOOKING_EMAIL",
    )
}


def setup_django(db: BenchDatabase) -> None:
    os.environ["DATABASE_URL"] = db.url
    for name, rate in RAISED_RATES.items():
        os.environ.setdefault(name, rate)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slotwise.settings")
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def results_path(module: str, vendor: str) -> Path:
    return VAR / f"{module}-{vendor}.json"


def main(
    module: str, run: Callable[[BenchDatabase], Report], vendors: Iterable[str] = VENDORS
) -> None:
    """Command line of one benchmark module: ``python -m bench.<module> --database …``."""
    parser = argparse.ArgumentParser(prog=f"python -m bench.{module}")
    parser.add_argument("--database", choices=list(vendors), required=True)
    parser.add_argument("--quick", action="store_true", help="small data, few runs: a smoke run")
    args = parser.parse_args()
    db = BenchDatabase.for_vendor(args.database, module, quick=args.quick)
    setup_django(db)
    reset_database(db)
    started = time.time()
    report = run(db)
    VAR.mkdir(parents=True, exist_ok=True)
    payload = {
        "module": module,
        "vendor": db.vendor,
        "quick": db.quick,
        "seconds": round(time.time() - started, 1),
        "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "title": report.title,
        "results": [asdict(r) for r in report.results],
        "markdown": report.markdown,
    }
    results_path(module, db.vendor).write_text(json.dumps(payload, indent=2))
    for r in report.results:
        mark = "" if r.met is None else (" ✓" if r.met else " ✗ missed")
        print(f"{db.vendor:10} {r.name}: {r.value:.2f} {r.unit} {r.target}{mark} {r.detail}")
