"""Soak: ten minutes of mixed traffic at a steady rate against gunicorn, the worker and PostgreSQL.

    make soak                                   # 10 minutes at 40 requests/s
    SOAK_MINUTES=30 SOAK_RATE=60 make soak      # longer, faster
    .venv/bin/python -m bench.soak --database postgresql --quick   # one minute

Traffic, in every 10-second window: half availability lookups (a month, one provider), a
quarter web bookings, and reschedules and cancels through customers' manage links, with
``run_worker`` delivering every notification to a local SMTP server. Each window records the
requests, errors, latency and the resident memory of every gunicorn worker and of the
notification worker, so a leak shows as a rising line. At the end the outbox is drained and
every message must have arrived exactly once, and every booking must have its history.

Not part of ``make bench`` or CI (it takes ten minutes by design); the figures go to
docs/reliability.md.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from urllib.parse import quote

from bench.common import VAR, BenchDatabase, Report, Result, main, summarize
from bench.http import HttpFixture, prepare
from bench.loadgen import Request, Response, run_load
from bench.servers import notification_worker, web_server

WINDOW = 10.0  # seconds
CLIENTS = 8


def rss_mb(pid: int) -> float:
    """Resident memory now (VmRSS) in MiB; 0.0 if the process is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) / 1024


class Traffic:
    """The mixed request stream; remembers the manage links it can still use."""

    def __init__(self, fixture: HttpFixture) -> None:
        self.fixture = fixture
        self.slots = fixture.slots(fixture.booking_days, fixture.provider_ids)
        self.free: dict[int, list[datetime]] = {
            pid: [
                fixture.start_at(d, s)
                for d in reversed(fixture.reschedule_days)
                for s in reversed(range(fixture.slots_per_day))
            ]
            for pid in fixture.provider_ids
        }
        self.bookable: list[tuple[str, int]] = []  # (token, provider) of confirmed bookings
        self.n = 0
        days = fixture.availability_days
        start = datetime.combine(days[0], clock_time(0), tzinfo=fixture.tz)
        end = datetime.combine(days[-1] + timedelta(days=1), clock_time(0), tzinfo=fixture.tz)
        self.availability = (
            f"{fixture.page_path}/availability?service_id={fixture.service_id}"
            f"&start={quote(start.isoformat())}&end={quote(end.isoformat())}"
        )
        self.kinds: Counter[str] = Counter()

    def next(self, _client: int) -> Request:
        self.n += 1
        f = self.fixture
        pick = self.n % 20
        if pick < 10 or (not self.bookable and pick >= 15):
            pid = f.provider_ids[self.n % len(f.provider_ids)]
            return Request("GET", f"{self.availability}&provider_id={pid}", tag="availability")
        if pick < 15:
            pid, start = next(self.slots)
            body = {
                "service_id": f.service_id,
                "provider_id": pid,
                "start": start.isoformat(),
                "customer": {"name": f"Soak {self.n}", "email": f"soak{self.n}@soak.test"},
            }
            return Request("POST", f"{f.page_path}/bookings", body, tag="book")
        token, pid = self.bookable.pop(0)
        if pick < 18 and self.free[pid]:
            start = self.free[pid].pop()
            body = {"start": start.isoformat()}
            return Request("POST", f"/api/v1/manage/{token}/reschedule", body, ("move", token, pid))
        return Request("POST", f"/api/v1/manage/{token}/cancel", {}, tag="cancel")

    def seen(self, request: Request, response: Response) -> None:
        kind = request.tag if isinstance(request.tag, str) else request.tag[0]
        self.kinds[f"{kind} {response.status}"] += 1
        if kind == "book" and response.status == 201:
            data = response.json()
            token = data["manage_url"].rstrip("/").rsplit("/", 1)[-1]
            self.bookable.append((token, data["booking"]["provider_id"]))
        elif kind == "move" and response.status == 200:
            self.bookable.append((request.tag[1], request.tag[2]))


def run(db: BenchDatabase) -> Report:
    from django.db.models import Count

    from slotwise.bookings.models import Booking
    from slotwise.core.clock import utcnow
    from slotwise.notifications.models import Message
    from tests.notifications.smtp import SMTPServer

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    minutes = 1.0 if db.quick else float(os.environ.get("SOAK_MINUTES", "10"))
    rate = float(os.environ.get("SOAK_RATE", "40"))
    fixture = prepare(db, quick=False)
    traffic = Traffic(fixture)
    windows = max(1, round(minutes * 60 / WINDOW))
    per_window = int(rate * WINDOW)
    rows: list[dict[str, float]] = []
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    conn_errors = 0
    VAR.mkdir(parents=True, exist_ok=True)
    with (
        SMTPServer() as smtp,
        web_server(db.url, workers=4, log_path=VAR / "soak-gunicorn.log") as server,
        notification_worker(db.url, email_url=smtp.url, log_path=VAR / "soak-worker.log") as worker,
    ):
        began = time.monotonic()
        for _ in range(windows):
            t0 = time.monotonic()
            load = run_load(
                server.url,
                traffic.next,
                clients=CLIENTS,
                duration=WINDOW,
                max_requests=per_window,
                on_response=traffic.seen,
            )
            latencies += load.latencies_ms
            statuses.update(load.statuses)
            conn_errors += sum(load.errors.values())
            s = load.summary()
            web = [rss_mb(pid) for pid in server.worker_pids()]
            rows.append(
                {
                    "t": round(time.monotonic() - began),
                    "requests": load.requests,
                    "errors": load.server_errors() + sum(load.errors.values()),
                    "median": s["median"],
                    "p99": s["p99"],
                    "web_rss_max": max(web, default=0.0),
                    "web_rss_sum": sum(web),
                    "worker_rss": rss_mb(worker.pid),
                    "backlog": Message.objects.filter(
                        status__in=Message.PENDING, next_attempt_at__lte=utcnow()
                    ).count(),
                    "emails": len(smtp),
                }
            )
            time.sleep(max(0.0, WINDOW - (time.monotonic() - t0)))
        # Drain: everything due must arrive, once.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            due = Message.objects.filter(
                status__in=[*Message.PENDING, Message.Status.INFLIGHT],
                next_attempt_at__lte=utcnow(),
            ).count()
            if due == 0:
                break
            time.sleep(1)
        worker_peak = worker.peak_rss_mb()
        web_peak = server.peak_rss_mb()
        counts = smtp.count_by_message_id()
    sent = Message.objects.filter(status=Message.Status.SENT, channel=Message.Channel.EMAIL)
    duplicates = sum(1 for n in counts.values() if n > 1)
    missing = sent.count() - len(counts)
    soak_bookings = Booking.objects.filter(customer__email__endswith="@soak.test")
    without_history = soak_bookings.annotate(n=Count("events")).filter(n=0).count()
    return Outcome(
        minutes=minutes,
        rate=rate,
        rows=rows,
        latencies=latencies,
        statuses=statuses,
        conn_errors=conn_errors,
        kinds=traffic.kinds,
        web_peak=web_peak,
        worker_peak=worker_peak,
        emails=sum(counts.values()),
        duplicates=duplicates,
        missing=missing,
        bookings=soak_bookings.count(),
        without_history=without_history,
    ).report()


def _growth(values: list[float]) -> float:
    """Last minute's median over the second minute's median (the first warms caches up)."""
    per_min = int(60 / WINDOW)
    if len(values) < 3 * per_min:
        return values[-1] / values[0] if values and values[0] else 1.0
    base = statistics.median(values[per_min : 2 * per_min])
    last = statistics.median(values[-per_min:])
    return last / base if base else 1.0


@dataclass
class Outcome:
    """What a soak run observed; ``report`` turns it into figures and a time series."""

    minutes: float
    rate: float
    rows: list[dict[str, float]]
    latencies: list[float]
    statuses: Counter[int]
    conn_errors: int
    kinds: Counter[str]
    web_peak: float
    worker_peak: float
    emails: int
    duplicates: int
    missing: int
    bookings: int
    without_history: int

    def report(self) -> Report:
        total = sum(self.statuses.values()) + self.conn_errors
        errors = sum(n for code, n in self.statuses.items() if code >= 500) + self.conn_errors
        s = summarize(self.latencies)
        web_growth = _growth([r["web_rss_max"] for r in self.rows])
        worker_growth = _growth([r["worker_rss"] for r in self.rows])
        report = Report(f"Soak: {self.minutes:g} minutes of mixed traffic at {self.rate:g} req/s")
        statuses = dict(sorted(self.statuses.items()))
        report.add(
            Result(
                "error rate (5xx and connection errors)",
                100 * errors / total if total else 0.0,
                "%",
                "0 %",
                errors == 0,
                f"{total} requests; statuses {statuses}",
            )
        )
        report.add(Result("latency median", s["median"], "ms", detail=f"p99 {s['p99']:.1f} ms"))
        report.add(Result("latency p99", s["p99"], "ms"))
        report.add(
            Result(
                "emails delivered exactly once",
                float(self.emails),
                "emails",
                "no duplicates, none missing",
                self.duplicates == 0 and self.missing == 0,
                f"{self.duplicates} delivered twice, {self.missing} sent rows not received",
            )
        )
        report.add(
            Result(
                "bookings with their history",
                float(self.bookings),
                "bookings",
                "all",
                self.without_history == 0,
                f"{self.without_history} without history",
            )
        )
        for name, growth, peak in (
            ("web worker", web_growth, self.web_peak),
            ("notification worker", worker_growth, self.worker_peak),
        ):
            report.add(
                Result(
                    f"{name} memory, last minute vs second minute",
                    growth,
                    "×",
                    "no growth (≤ 1.10×)",
                    growth <= 1.10,
                    f"peak {peak:.0f} MB",
                )
            )
        lines = [
            "Every 10-second window (t = seconds since the start):",
            "",
            "| t s | requests | errors | median ms | p99 ms | web RSS max MB | worker RSS MB "
            "| due backlog | emails received |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in self.rows:
            lines.append(
                f"| {r['t']:.0f} | {r['requests']:.0f} | {r['errors']:.0f} | {r['median']:.1f} "
                f"| {r['p99']:.1f} | {r['web_rss_max']:.1f} | {r['worker_rss']:.1f} "
                f"| {r['backlog']:.0f} | {r['emails']:.0f} |"
            )
        kinds = ", ".join(f"{k} ×{v}" for k, v in sorted(self.kinds.items()))
        lines += ["", f"Requests by kind and status: {kinds}"]
        report.markdown = "\n".join(lines)
        return report


if __name__ == "__main__":
    main("soak", run, vendors=("postgresql",))
