"""HTTP clients for fault tests: book and reschedule through the public API, and keep score.

Clients speak plain HTTP to gunicorn, as a load balancer would after terminating TLS (hence
``X-Forwarded-Proto: https``). A reply is either an HTTP status with its JSON body or a
connection-level error (refused, reset, closed without an answer): the two things a client
of a failing server can see. Every outcome is counted; what was acknowledged (201, 200) is
remembered so the test can check afterwards that the database kept it.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

#: Bookable starts per day: half hours from 00:00 to 23:00 (working hours end at 23:30).
SLOTS_PER_DAY = 47
SLOT_MINUTES = 30
#: Seconds a client waits after an error before its next request (a retry loop, not a flood).
ERROR_PAUSE = 0.05


@dataclass(frozen=True)
class Reply:
    """What a client got back: ``status`` None means no HTTP answer at all (see ``error``)."""

    status: int | None
    body: dict[str, Any] | None
    error: str
    seconds: float

    @property
    def code(self) -> str:
        """The API error code, if the body has one."""
        return str((self.body or {}).get("code", ""))

    @property
    def outcome(self) -> str:
        """A label for counting: ``201``, ``409 slot_unavailable``, ``conn RemoteDisconnected``."""
        if self.status is None:
            return f"conn {self.error}"
        return f"{self.status} {self.code}".strip()


def call(base_url: str, method: str, path: str, body: Any = None, *, timeout: float = 30) -> Reply:
    """One request on a fresh connection (as many clients behind a load balancer do)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    began = time.monotonic()
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException) as exc:
        return Reply(None, None, type(exc).__name__, time.monotonic() - began)
    finally:
        conn.close()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = {"code": "not_json", "text": raw[:200].decode(errors="replace")}
    return Reply(response.status, parsed, "", time.monotonic() - began)


@dataclass
class Tally:
    """Thread-safe counts of outcomes per operation, and the slowest answer."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    max_seconds: float = 0.0
    samples: list[str] = field(default_factory=list)  # a few unexpected bodies, for messages

    def add(self, operation: str, reply: Reply, detail: str = "") -> None:
        with self.lock:
            self.requests += 1
            self.outcomes[f"{operation} {reply.outcome}"] += 1
            self.max_seconds = max(self.max_seconds, reply.seconds)
            if reply.status is not None and reply.status >= 400 and len(self.samples) < 10:
                self.samples.append(f"{operation} {detail} {reply.status} {reply.body}")

    def count(self, predicate: Any) -> int:
        with self.lock:
            return sum(n for label, n in self.outcomes.items() if predicate(label))

    def summary(self) -> str:
        with self.lock:
            lines = [f"{n:6d}  {label}" for label, n in sorted(self.outcomes.items())]
        return "\n".join(lines)


def slot_start(base: datetime, index: int) -> datetime:
    """The ``index``-th bookable start from ``base`` (a midnight, UTC)."""
    day, slot = divmod(index, SLOTS_PER_DAY)
    return base + timedelta(days=day, minutes=slot * SLOT_MINUTES)


def first_day(days_ahead: int = 2) -> datetime:
    """Midnight UTC ``days_ahead`` days from now: past the 24-hour change deadline."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days_ahead)


@dataclass
class Acknowledged:
    """What the server confirmed to one client, for comparison with the database."""

    booked: dict[str, str] = field(default_factory=dict)  # reference -> start (ISO, UTC)
    rescheduled: dict[str, str] = field(default_factory=dict)  # reference -> new start
    unsure: dict[str, str] = field(default_factory=dict)  # reschedule sent, no clear answer
    booked_at: list[float] = field(default_factory=list)  # monotonic times of 201s


class Booker(threading.Thread):
    """Books distinct slots and reschedules each booking once, until told to stop.

    Client ``number`` of ``clients`` uses slots number, number + clients, … so no two clients
    ever want the same time and every refusal is a fault, not a lost race. A slot is never
    reused, even when the outcome of its request is unknown.
    """

    def __init__(
        self,
        *,
        number: int,
        clients: int,
        servers: list[str],
        seed: dict[str, Any],
        base: datetime,
        tally: Tally,
        stop: threading.Event,
        max_index: int,
    ) -> None:
        super().__init__(name=f"booker-{number}", daemon=True)
        self.number, self.clients, self.servers = number, clients, servers
        self.seed, self.base, self.tally, self.stop = seed, base, tally, stop
        self.max_index = max_index
        self.acked = Acknowledged()
        self.next_index = number
        self.sent = 0

    def _take_slot(self) -> datetime:
        index = self.next_index
        if index >= self.max_index:
            raise RuntimeError("ran out of bookable slots; lower the request rate")
        self.next_index += self.clients
        return slot_start(self.base, index)

    def _server(self) -> str:
        self.sent += 1
        return self.servers[self.sent % len(self.servers)]

    def run(self) -> None:
        seed = self.seed
        book_path = f"/api/v1/public/{seed['business']}/pages/{seed['page']}/bookings"
        provider_ids = seed["provider_ids"]
        n = 0
        while not self.stop.is_set() and self.next_index < self.max_index:
            n += 1
            start = self._take_slot()
            body = {
                "service_id": seed["service_id"],
                "provider_id": provider_ids[n % len(provider_ids)],
                "start": start.isoformat(),
                "customer": {
                    "name": f"Client {self.number}-{n}",
                    "email": f"client{self.number}.{n}@faults.test",
                    "timezone": "Europe/Berlin",
                },
            }
            reply = call(self._server(), "POST", book_path, body)
            self.tally.add("book", reply, f"{start.isoformat()} at {time.time():.3f}")
            if reply.status != 201 or reply.body is None:
                self.stop.wait(ERROR_PAUSE)
                continue
            ref = reply.body["booking"]["reference"]
            self.acked.booked[ref] = start.isoformat()
            self.acked.booked_at.append(time.monotonic())
            if self.stop.is_set():
                break
            token = reply.body["manage_url"].rstrip("/").rsplit("/", 1)[-1]
            new_start = self._take_slot()
            moved = call(
                self._server(),
                "POST",
                f"/api/v1/manage/{token}/reschedule",
                {"start": new_start.isoformat()},
            )
            self.tally.add(
                "reschedule", moved, f"{ref} to {new_start.isoformat()} at {time.time():.3f}"
            )
            if moved.status == 200:
                self.acked.rescheduled[ref] = new_start.isoformat()
            elif moved.status is None or moved.status >= 500:
                self.acked.unsure[ref] = new_start.isoformat()


def merge(bookers: list[Booker]) -> Acknowledged:
    """Everything every client was told, in one record."""
    total = Acknowledged()
    for b in bookers:
        total.booked.update(b.acked.booked)
        total.rescheduled.update(b.acked.rescheduled)
        total.unsure.update(b.acked.unsure)
        total.booked_at.extend(b.acked.booked_at)
    return total


def check_against_database(acked: Acknowledged, found: dict[str, Any]) -> list[str]:
    """Every acknowledged booking and reschedule is in the database, at the time confirmed.

    A reschedule whose answer was lost (connection error, 503 at commit) may or may not have
    happened; the booking must then be at one of the two times.
    """
    problems = []
    for ref, start in acked.booked.items():
        row = found.get(ref)
        if row is None:
            problems.append(f"{ref}: acknowledged with 201 but not in the database")
            continue
        created = datetime.fromisoformat(row["history_starts"][0])
        if created != datetime.fromisoformat(start):
            problems.append(f"{ref}: created at {created}, client booked {start}")
        now_at = datetime.fromisoformat(row["start"])
        if ref in acked.rescheduled:
            allowed = {datetime.fromisoformat(acked.rescheduled[ref])}
        elif ref in acked.unsure:
            allowed = {datetime.fromisoformat(start), datetime.fromisoformat(acked.unsure[ref])}
        else:
            allowed = {datetime.fromisoformat(start)}
        if now_at not in allowed:
            problems.append(f"{ref}: at {now_at}, client was told {sorted(allowed)}")
    return problems


def request(
    base_url: str, method: str, path: str, body: Any = None, *, address: str = "127.0.0.1"
) -> tuple[int, dict[str, str], Any]:
    """One request from the local ``address`` (127.0.0.x); status, headers, parsed body."""
    port = int(base_url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(address, 0))
    headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return response.status, dict(response.getheaders()), json.loads(raw) if raw else None
    finally:
        conn.close()
