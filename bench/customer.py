"""The customer's path, before and after: the table of docs/benchmarks.md, "The customer's path".

    .venv/bin/python -m bench.customer --database sqlite|postgresql [--quick]

Measures the same scenarios on two trees in one run on one machine: "before" is the code at
commit ``BEFORE_COMMIT`` (checked out once with ``git worktree add`` under var/bench/, which
is not tracked), "after" is this tree. Each side runs in a process of its own whose
PYTHONPATH starts with that tree's ``src`` (the benchmark's own code comes from this tree),
on a database of its own migrated by that tree, with the same data (``bench.http.prepare``);
its HTTP figures come from a gunicorn started from that tree the same way.

In process (Django's test Client, no network): one day of public availability and a month
by range, each as a cache hit (the same question again) and a miss (asked right after a
booking on the asked day changed the provider's free time; only the question is timed), and
the booking page's day click (the htmx request a click on a day sends). Over HTTP
(gunicorn, closed-loop clients, bench/loadgen.py): a month of one provider at 16 clients,
a week of "any of 50 providers" at 16 clients, web bookings (gunicorn CPU per booking),
reschedules and cancels through the manage API, and the latency of the month question at
1, 4, 16 and 32 clients, drawn for both sides into docs/benchmarks/availability-latency.png.

Questions use URLs both trees answer (``start``/``end`` ranges); where the tree answers
``date=&days=`` (found by asking it), the day is also asked that way, as its own row.
A tree without a cache answers hits and misses alike: both columns then show one cost.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.common import ROOT, VAR, BenchDatabase, Report, Result, main, summarize, timed_ms

#: The tree "before" measures: the last commit before the issue's work, unless
#: ``BENCH_BEFORE`` names another (the suite's quick run checks out the current commit, which
#: every clone has, however shallow).
BEFORE_COMMIT = os.environ.get("BENCH_BEFORE", "5bbb65f")
BEFORE_TREE = VAR / f"before-{BEFORE_COMMIT}"
SIDES = ("before", "after")
#: Clients of the latency plot.
CLIENT_COUNTS = (1, 4, 16, 32)
PLOT = ROOT / "docs" / "benchmarks" / "availability-latency.png"
WORKERS = int(os.environ.get("BENCH_HTTP_WORKERS", "4"))

#: The rows of the issue's table: (key, label, unit, target, lower is better).
ROWS: list[tuple[str, str, str, str, bool]] = [
    ("day_hit", "one day of public availability, in process, hit", "ms", "≤ 1.5 ms", True),
    ("day_miss", "one day of public availability, in process, miss", "ms", "≤ 3.5 ms", True),
    ("day_date_hit", "one day as date=&days=1, in process, hit", "ms", "≤ 1.5 ms", True),
    ("month_hit", "a month by range, in process, hit", "ms", "≤ 2.5 ms", True),
    ("month_miss", "a month by range, in process, miss", "ms", "≤ 6 ms", True),
    ("day_click", "booking-page day click, in process", "ms", "≤ 3 ms", True),
    ("month_http_rate", "a month of one provider over HTTP, 16 clients", "req/s", "≥ 4×", False),
    (
        "month_http_median",
        "a month of one provider over HTTP, 16 clients, median",
        "ms",
        "≤ 40 ms",
        True,
    ),
    (
        "any50_week_median",
        "any of 50 providers, a week, HTTP median, 16 clients",
        "ms",
        "≤ 100 ms",
        True,
    ),
    ("booking_cpu", "web booking, gunicorn CPU per booking", "ms", "≤ 12 ms", True),
    ("booking_rate", "web bookings over HTTP", "/s", "≥ 2×", False),
    ("reschedule_rate", "reschedule through the manage API", "/s", "≥ 2×", False),
    ("cancel_rate", "cancel through the manage API", "/s", "≥ 2×", False),
]
#: Targets that are a factor of the "before" figure.
FACTORS = {"month_http_rate": 4.0, "booking_rate": 2.0, "reschedule_rate": 2.0, "cancel_rate": 2.0}
ABSOLUTE = {
    "day_hit": 1.5,
    "day_miss": 3.5,
    "day_date_hit": 1.5,
    "month_hit": 2.5,
    "month_miss": 6.0,
    "day_click": 3.0,
    "month_http_median": 40.0,
    "any50_week_median": 100.0,
    "booking_cpu": 12.0,
}


# --- the trees --------------------------------------------------------------------------------


def before_tree() -> Path:
    """The checkout of ``BEFORE_COMMIT`` (made once; git knows it as a worktree)."""
    if not (BEFORE_TREE / "src" / "slotwise").is_dir():
        BEFORE_TREE.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=True)
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--force", str(BEFORE_TREE), BEFORE_COMMIT],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        # As ``make install`` does for this tree: pages are served with their translations.
        subprocess.run(
            [sys.executable, "manage.py", "translations", "compile"],
            cwd=BEFORE_TREE,
            env={**os.environ, "PYTHONPATH": str(BEFORE_TREE / "src")},
            check=True,
            capture_output=True,
        )
    return BEFORE_TREE


def tree_of(side: str) -> Path:
    return before_tree() if side == "before" else ROOT


def side_path(side: str, vendor: str) -> Path:
    return VAR / f"customer-{side}-{vendor}.json"


def side_env(side: str) -> dict[str, str]:
    """The environment of a side's processes: its tree's code first, then this bench."""
    return {"PYTHONPATH": os.pathsep.join([str(tree_of(side) / "src"), str(ROOT)])}


# --- one side, in its own process ---------------------------------------------------------------


def _setup_side(side: str, vendor: str, quick: bool) -> BenchDatabase:
    from bench.servers import production_env

    db = BenchDatabase.for_vendor(vendor, f"customer_{side}", quick=quick)
    # The same settings as the gunicorn of this side (rate limits out of the way, DEBUG off).
    os.environ.update(production_env(db.url, **side_env(side)))
    import django

    django.setup()
    import slotwise

    where = Path(slotwise.__file__).resolve()
    expected = (tree_of(side) / "src").resolve()
    if expected not in where.parents:
        raise RuntimeError(f"side {side} imported {where}, not the code under {expected}")
    from bench.common import reset_database

    reset_database(db)
    return db


class _Changes:
    """Bookings that change a provider's free time on a given day (each on a free slot)."""

    def __init__(self, fixture: Any) -> None:
        from slotwise.catalog.models import Customer

        self.fixture = fixture
        self.customer = Customer.objects.get(
            business__slug=fixture.business_slug, email="r@bench.test"
        )
        self.used: set[tuple[date, int, int]] = set()
        # Slots 0, 4, 8, 12 hold the fixture's bookings; the others are free.
        self.free = [s for s in range(fixture.slots_per_day) if s % fixture.existing_per_day]

    def book(self, provider_id: int, day: date) -> None:
        from slotwise.bookings.actions import booking_create_custom
        from slotwise.bookings.actor import Actor
        from slotwise.bookings.policy import SelfServicePolicy
        from slotwise.catalog.models import Provider, Service
        from slotwise.core.clock import utcnow

        slot = next(s for s in self.free if (day, provider_id, s) not in self.used)
        self.used.add((day, provider_id, slot))
        provider = Provider.objects.select_related("business").get(pk=provider_id)
        booking_create_custom(
            business=provider.business,
            actor=Actor.system("bench"),
            customer=self.customer,
            service=Service.objects.get(pk=self.fixture.service_id),
            provider=provider,
            start=self.fixture.start_at(day, slot),
            policy=SelfServicePolicy.off(),
            now=utcnow(),
            override_availability=True,
            notify_customer=False,
        )


def _window(fixture: Any, first: date, days: int) -> str:
    start = datetime.combine(first, clock_time(0), tzinfo=fixture.tz)
    end = datetime.combine(first + timedelta(days=days), clock_time(0), tzinfo=fixture.tz)
    return f"start={quote(start.isoformat())}&end={quote(end.isoformat())}"


#: What the booking page's calendar sends for a day click: htmx, aiming at the times section
#: (``hx-target="#times"``). A tree that does not look at the target answers the whole picker.
CLICK_HEADERS = {"HX-Request": "true", "HX-Target": "times"}


def in_process(fixture: Any, *, quick: bool) -> dict[str, Any]:
    """The in-process rows: medians in ms of the questions (see the module's docstring)."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    changes = _Changes(fixture)
    days = fixture.availability_days
    pid = fixture.provider_ids[0]
    base = f"{fixture.page_path}/availability?service_id={fixture.service_id}&provider_id={pid}"
    repeat = 10 if quick else 200
    misses = 3 if quick else 40

    def get(url: str, **headers: str) -> Callable[[], None]:
        def call() -> None:
            response = client.get(url, headers=headers)
            assert response.status_code == 200, (url, response.status_code, response.content[:300])

        return call

    def missed(url_of: Callable[[date], str], day_of: Callable[[int], date]) -> list[float]:
        """Each sample right after a booking changed the asked provider's day (untimed)."""
        out = []
        for i in range(misses):
            day = day_of(i)
            changes.book(pid, day)
            call = get(url_of(day))
            t0 = time.perf_counter()
            call()
            out.append((time.perf_counter() - t0) * 1000)
        return out

    figures: dict[str, Any] = {}
    day_url = lambda d: f"{base}&{_window(fixture, d, 1)}"  # noqa: E731
    month_url = lambda d: f"{base}&{_window(fixture, days[0], len(days))}"  # noqa: E731
    figures["day_hit"] = summarize(timed_ms(get(day_url(days[1])), repeat))
    figures["day_miss"] = summarize(missed(day_url, lambda i: days[1 + i % (len(days) - 1)]))
    figures["month_hit"] = summarize(timed_ms(get(month_url(days[0])), repeat))
    figures["month_miss"] = summarize(missed(month_url, lambda i: days[(7 * i) % len(days)]))
    # The day form, where this tree has it: a tree without it refuses the fields, or ignores
    # them and answers its default window (other days than the one asked).
    figures["date_form"] = _has_date_form(client, base, days[2], fixture.tz)
    date_url = f"{base}&date={days[2].isoformat()}&days=1"
    if figures["date_form"]:
        figures["day_date_hit"] = summarize(timed_ms(get(date_url), repeat))
    # The booking page's day click: htmx asks the page for a day of one provider's times.
    page = f"/book/{fixture.business_slug}/{fixture.page_slug}/"
    clicks = [
        f"{page}?service={fixture.service_id}&provider={pid}&day={d.isoformat()}" for d in days[:7]
    ]
    turn = iter(range(10**9))

    def click() -> None:
        response = client.get(clicks[next(turn) % len(clicks)], headers=CLICK_HEADERS)
        assert response.status_code == 200, response.status_code

    figures["day_click"] = summarize(timed_ms(click, repeat, warmup=len(clicks)))
    figures["profile"] = _booking_profile(fixture, client, quick=quick)
    return figures


def _has_date_form(client: Any, base: str, day: date, tz: Any) -> bool:
    probe = client.get(f"{base}&date={day.isoformat()}&days=1")
    if probe.status_code != 200:
        return False
    starts = [datetime.fromisoformat(s["start"]) for s in probe.json().get("slots", [])]
    return bool(starts) and all(s.astimezone(tz).date() == day for s in starts)


def _booking_profile(fixture: Any, client: Any, *, quick: bool) -> dict[str, Any]:
    """CPU of one web booking in process (public API), where it goes, and its statements."""
    from bench.profile import profile

    day = fixture.contention_day + timedelta(days=3)
    slots = iter(
        (p, fixture.start_at(day + timedelta(days=d), s))
        for d in range(3)
        for s in range(fixture.slots_per_day)
        for p in fixture.provider_ids
    )

    def book(i: int) -> None:
        pid, start = next(slots)
        body = {
            "service_id": fixture.service_id,
            "provider_id": pid,
            "start": start.isoformat(),
            "customer": {"name": f"P {i}", "email": f"p{i}x@bench-profile.test"},
        }
        response = client.post(
            f"{fixture.page_path}/bookings", json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 201, response.content[:300]

    cpu_ms, groups, queries = profile(book, 5 if quick else 100)
    return {
        "cpu_ms": round(cpu_ms, 2),
        "queries": queries,
        "groups": {k: round(v, 2) for k, v in groups.most_common()},
    }


def over_http(db: BenchDatabase, fixture: Any, side: str, *, quick: bool) -> dict[str, Any]:
    """The HTTP rows and the latency sweep, against a gunicorn of this side's tree."""
    from bench.http import _State, _Target, _warm_up, bookings, manage
    from bench.loadgen import Request
    from bench.servers import web_server

    figures: dict[str, Any] = {}
    days = fixture.availability_days
    base = f"{fixture.page_path}/availability?service_id={fixture.service_id}"
    month = f"{base}&{_window(fixture, days[0], len(days))}"
    week = f"{base}&{_window(fixture, days[0], 7)}"
    counter = iter(range(10**9))

    def one_provider(_: int) -> Request:
        pid = fixture.provider_ids[next(counter) % len(fixture.provider_ids)]
        return Request("GET", f"{month}&provider_id={pid}")

    seconds = 1 if quick else 15
    log = VAR / f"customer-{side}-{db.vendor}-gunicorn.log"
    log.unlink(missing_ok=True)
    with web_server(db.url, workers=WORKERS, extra_env=side_env(side), log_path=log) as server:
        target = _Target(server, db)
        if not quick:
            _warm_up(target, fixture)
            target.run(one_provider, clients=16, duration=3)
        load = target.run(one_provider, clients=16, duration=seconds)
        figures["month_http_rate"] = {"median": load.rate, "detail": load.describe()}
        figures["month_http_median"] = {**load.summary(), "detail": load.describe()}
        any_load = target.run(lambda _: Request("GET", week), clients=16, duration=seconds)
        figures["any50_week_median"] = {**any_load.summary(), "detail": any_load.describe()}
        sweep = {}
        for clients in (1, 4) if quick else CLIENT_COUNTS:
            swept = target.run(one_provider, clients=clients, duration=seconds)
            sweep[str(clients)] = {**swept.summary(), "rate": swept.rate}
        figures["sweep"] = sweep
        state = _State()
        (booked,) = bookings(target, fixture, state, quick=quick)
        gunicorn_ms = _cpu_of(booked.detail, "gunicorn")
        figures["booking_rate"] = {"median": booked.value, "detail": booked.detail}
        figures["booking_cpu"] = {"median": gunicorn_ms, "detail": booked.detail}
        moved, cancelled = manage(target, fixture, state, quick=quick)
        figures["reschedule_rate"] = {"median": moved.value, "detail": moved.detail}
        figures["cancel_rate"] = {"median": cancelled.value, "detail": cancelled.detail}
    return figures


def _cpu_of(detail: str, group: str) -> float:
    """The "CPU ms per request" of ``group`` as bench/loadgen.py writes it in a detail."""
    marker = f"{group} "
    for part in detail.split("CPU ms per request: ", 1)[-1].split(", "):
        if part.startswith(marker):
            try:
                return float(part[len(marker) :].split()[0])
            except ValueError:
                return 0.0
    return 0.0


def side_main(side: str, vendor: str, quick: bool) -> None:
    db = _setup_side(side, vendor, quick)
    from bench.http import prepare

    fixture = prepare(db, quick=quick)
    figures = in_process(fixture, quick=quick)
    figures.update(over_http(db, fixture, side, quick=quick))
    side_path(side, vendor).write_text(json.dumps(figures, indent=2, default=str))


# --- both sides, the report and the plot --------------------------------------------------------


def run_side(side: str, db: BenchDatabase) -> dict[str, Any]:
    """Run one side in its own process (its tree first on the path); its figures."""
    path = side_path(side, db.vendor)
    path.unlink(missing_ok=True)
    env = {**os.environ, **side_env(side)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    cmd = [sys.executable, "-m", "bench.customer", "--side", side, "--database", db.vendor]
    if db.quick:
        cmd.append("--quick")
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    return dict(json.loads(path.read_text()))


def value_of(figures: dict[str, Any], key: str) -> float | None:
    found = figures.get(key)
    return None if not isinstance(found, dict) else float(found["median"])


def met(key: str, before: float | None, after: float | None) -> bool | None:
    if after is None:
        return None
    if key in FACTORS:
        return None if not before else after >= FACTORS[key] * before
    return after <= ABSOLUTE[key]


def table(sides: dict[str, dict[str, Any]]) -> str:
    lines = ["| figure | before | after | target | met |", "|---|---|---|---|---|"]
    for key, label, unit, target, _lower in ROWS:
        before, after = (value_of(sides[s], key) for s in SIDES)
        shown = [("—" if v is None else f"{v:.1f} {unit}") for v in (before, after)]
        ok = met(key, before, after)
        lines.append(
            f"| {label} | {shown[0]} | {shown[1]} | {target} | "
            f"{'' if ok is None else ('yes' if ok else '**no**')} |"
        )
    return "\n".join(lines)


def plot(path: Path) -> str:
    """Median latency of a month of one provider against clients, before and after, for each
    database measured so far; a note when matplotlib (the bench extra) is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "(no plot: install the bench extra, `pip install .[bench]`, for matplotlib)"
    vendors = [v for v in ("sqlite", "postgresql") if side_path("after", v).exists()]
    fig, axes = plt.subplots(1, len(vendors), figsize=(5 * len(vendors), 3.6), squeeze=False)
    for ax, vendor in zip(axes[0], vendors, strict=True):
        for side, style in (("before", "o--"), ("after", "s-")):
            p = side_path(side, vendor)
            if not p.exists():
                continue
            sweep = json.loads(p.read_text()).get("sweep", {})
            clients = sorted(int(c) for c in sweep)
            ax.plot(clients, [sweep[str(c)]["median"] for c in clients], style, label=side)
        ax.set_title(f"{vendor}: a month of one provider")
        ax.set_xlabel("concurrent clients")
        ax.set_ylabel("median latency (ms)")
        ax.set_xticks(list(CLIENT_COUNTS))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"plot: {path.relative_to(ROOT)}"


def run(db: BenchDatabase) -> Report:
    sides = {side: run_side(side, db) for side in SIDES}
    report = Report(f"The customer's path, before ({BEFORE_COMMIT}) and after")
    for key, label, unit, target, _lower in ROWS:
        before, after = (value_of(sides[s], key) for s in SIDES)
        for side, value in (("before", before), ("after", after)):
            if value is None:
                continue
            detail = sides[side][key].get("detail", "")
            if not detail and "p95" in sides[side][key]:
                detail = f"p95 {sides[side][key]['p95']:.2f} ms, n {sides[side][key]['n']}"
            report.add(
                Result(
                    f"{label} — {side}",
                    round(value, 2),
                    unit,
                    target if side == "after" else "",
                    met(key, before, after) if side == "after" else None,
                    detail,
                )
            )
    profiles = "\n".join(
        f"- {side}: {sides[side]['profile']['cpu_ms']} ms CPU under cProfile, "
        f"{sides[side]['profile']['queries']:.0f} statements; "
        + ", ".join(f"{k} {v} ms" for k, v in list(sides[side]["profile"]["groups"].items())[:5])
        for side in SIDES
    )
    where = VAR / "availability-latency.png" if db.quick else PLOT
    report.markdown = (
        table(sides)
        + "\n\nA web booking in process (public API, cProfile, own time by group):\n\n"
        + profiles
        + f"\n\n{plot(where)}\n"
    )
    return report


if __name__ == "__main__":
    if "--side" in sys.argv:
        parser = argparse.ArgumentParser(prog="python -m bench.customer --side")
        parser.add_argument("--side", choices=SIDES, required=True)
        parser.add_argument("--database", choices=["sqlite", "postgresql"], required=True)
        parser.add_argument("--quick", action="store_true")
        args = parser.parse_args()
        side_main(args.side, args.database, args.quick)
    else:
        main("customer", run)
