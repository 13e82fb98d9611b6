"""Slot availability: which start times can be booked, for whom.

This module is pure Python (stdlib only) so that it can be unit-tested and benchmarked
without Django; callers translate their models into the dataclasses below.

Rules
=====

Time model
    All instants are timezone-aware and everything returned is in UTC
    (``tzinfo=datetime.UTC``, i.e. ``datetime.timezone.utc``). Aware inputs in other
    zones are accepted and converted; naive datetimes raise ``ValueError``. Every
    interval is half-open, ``[start, end)``: two intervals that merely touch do not
    overlap, and an empty interval (``start == end``) overlaps nothing.

Working hours
    ``WorkingInterval`` is a weekly recurring wall-clock range in the business time zone
    ``tz``. It is applied per local date, so 09:00-17:00 stays 09:00-17:00 on the clock on
    both sides of a DST change while its UTC instants shift. Local times that do not exist
    or exist twice are resolved deliberately (PEP 495 ``fold``):

    * the interval START is resolved with ``fold=0`` and the END with ``fold=1``;
    * in a spring-forward gap (e.g. Europe/Berlin 2026-03-29, 02:00 -> 03:00) a start
      inside the gap moves forward by the gap length (02:30 -> 03:30 CEST) and an end inside
      the gap moves back by it (02:30 -> 01:30 CET): both go to the conservative side, so
      the interval shrinks;
    * in a fall-back repeated hour (e.g. Europe/Berlin 2026-10-25, 03:00 -> 02:00) the
      interval runs from the FIRST time the clock shows its start to the LAST time the
      clock shows its end, i.e. it spans the repeated hour (01:00-04:00 lasts four hours);
    * an interval that resolves to ``end <= start`` (e.g. 02:15-02:45 inside a gap) is
      dropped.

    Intervals cannot cross midnight (``end > start`` is enforced), so a range running to
    the end of the day has to end at ``23:59:59.999999`` or similar.

Candidate starts
    For each concrete (UTC) working interval the candidates are its start, then
    ``+ step``, ``+ 2 * step``, ... in absolute time. Several weekly intervals on one day
    (09:00-12:00 and 13:00-17:00) each get their own grid.

A provider can take a slot starting at ``s`` when all of these hold:

1. ``[s, s + duration)`` lies entirely inside ONE concrete working interval of the
   provider (overlapping working intervals are not merged);
2. the occupied interval ``[s - buffer_before, s + duration + buffer_after)`` overlaps none
   of the provider's ``blocked`` intervals (those already include the buffers of existing
   bookings; touching is fine). Buffers are checked against ``blocked`` only, so they may
   reach outside working hours;
3. ``s >= now + min_notice``;
4. if ``max_days_ahead`` is set, the local (``tz``) date of ``s`` is at most
   ``max_days_ahead`` days after the local date of ``now``;
5. ``window_start <= s < window_end`` (the slot itself may end after ``window_end``).

``free_slots`` returns one ``Slot`` per distinct start instant, listing every provider
that can take it, so "any provider" is simply the union over several schedules.

Validation
    The value objects check themselves on construction and raise ``ValueError``: naive or
    reversed ``Interval`` ends, a ``WorkingInterval`` with a weekday outside 0..6, aware
    times or ``end <= start``, and ``SlotRules`` with a non-positive duration or step or a
    negative buffer, notice or horizon. ``Interval`` also normalises aware datetimes of
    other zones to UTC.

Performance
    Only local dates from the day before the earliest possible start to the day after
    ``window_end`` (capped by ``max_days_ahead``) are expanded, and each distinct weekly
    pattern once per call however many providers share it. Each provider's blocked
    intervals are sorted and merged once; each working interval is then walked from one
    free gap between merged blocks to the next, emitting the grid points that fit a gap as
    one run and skipping those that overlap a block by arithmetic, so the cost grows with
    the number of blocks and free slots rather than with the number of grid points.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate, repeat
from operator import add, attrgetter
from zoneinfo import ZoneInfo

__all__ = [
    "Interval",
    "ProviderSchedule",
    "Slot",
    "SlotRules",
    "WorkingInterval",
    "estimate_work",
    "free_slots",
    "is_slot_free",
    "occupied_interval",
    "working_intervals_utc",
]

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
# datetime's resolution: a window [t, t + _TICK) contains exactly the instant t.
_TICK = timedelta(microseconds=1)


def _to_utc(value: datetime, name: str) -> datetime:
    """Return ``value`` converted to UTC, rejecting naive datetimes."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")
    if value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Interval:
    """Half-open UTC interval ``[start, end)`` between two aware datetimes.

    Aware datetimes in other zones are normalised to UTC, because Python compares two
    datetimes sharing one ``ZoneInfo`` by wall time, which is wrong across a fall-back.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        """Validate awareness and ordering, normalising both ends to UTC."""
        start = _to_utc(self.start, "Interval.start")
        end = _to_utc(self.end, "Interval.end")
        if end < start:
            raise ValueError(f"Interval end {end} is before its start {start}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def overlaps(self, other: Interval) -> bool:
        """Return True when the two intervals share at least one instant.

        Touching intervals (one ends where the other starts) and empty intervals never
        overlap anything.
        """
        return max(self.start, other.start) < min(self.end, other.end)


@dataclass(frozen=True, slots=True)
class WorkingInterval:
    """Weekly recurring working hours in local wall-clock time of the business zone.

    ``weekday`` follows ``date.weekday()`` (0 = Monday ... 6 = Sunday); ``start`` and
    ``end`` are naive times with ``start < end`` (no crossing midnight).
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        """Reject intervals the expansion rules cannot interpret."""
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, got {self.weekday}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            # The business zone is supplied separately; a per-time zone would be ambiguous.
            raise ValueError("WorkingInterval times must be naive wall-clock times")
        if self.end <= self.start:
            raise ValueError(f"WorkingInterval end {self.end} must be after start {self.start}")


@dataclass(frozen=True, slots=True)
class ProviderSchedule:
    """Everything needed to compute one provider's availability.

    ``blocked`` holds time off and the occupied intervals of existing bookings (already
    widened by their own buffers); any order, overlaps allowed.
    """

    provider_id: int
    working_hours: tuple[WorkingInterval, ...]
    blocked: tuple[Interval, ...]


@dataclass(frozen=True, slots=True)
class SlotRules:
    """How slots are sized and spaced, and how far ahead they may be booked."""

    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    step: timedelta = timedelta(minutes=15)
    min_notice: timedelta = timedelta(0)
    max_days_ahead: int | None = None  # None = unlimited

    def __post_init__(self) -> None:
        """Reject rules that would make the candidate grid loop or be meaningless."""
        if self.duration <= _ZERO:
            raise ValueError("duration must be positive")
        if self.step <= _ZERO:
            raise ValueError("step must be positive")
        if self.buffer_before < _ZERO or self.buffer_after < _ZERO:
            raise ValueError("buffers must not be negative")
        if self.min_notice < _ZERO:
            raise ValueError("min_notice must not be negative")
        if self.max_days_ahead is not None and self.max_days_ahead < 0:
            raise ValueError("max_days_ahead must be None or >= 0")


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable start instant and the providers (sorted ascending) free to take it."""

    start: datetime
    end: datetime
    provider_ids: tuple[int, ...]


def _shift_date(day: date, days: int) -> date:
    """Return ``day + days``, clamped to the representable range instead of overflowing."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def _resolve(day: date, wall: time, tz: ZoneInfo, fold: int) -> datetime:
    """Return the UTC instant at which the wall clock in ``tz`` shows ``wall`` on ``day``."""
    # replace() also discards any fold carried by the time object itself.
    return datetime.combine(day, wall, tzinfo=tz).replace(fold=fold).astimezone(UTC)


def _expand_hours(
    working_hours: Iterable[WorkingInterval],
    tz: ZoneInfo,
    first_day: date,
    last_day: date,
) -> list[tuple[datetime, datetime]]:
    """``working_intervals_utc`` as sorted ``(start, end)`` pairs, without building Intervals.

    Both ends come out of ``_resolve`` already in UTC and ordered, so the validation an
    Interval would repeat is skipped: this runs once per working interval and local date.
    """
    by_weekday: dict[int, list[WorkingInterval]] = {}
    for hours in working_hours:
        by_weekday.setdefault(hours.weekday, []).append(hours)

    result: list[tuple[datetime, datetime]] = []
    day = first_day
    while day <= last_day:
        for hours in by_weekday.get(day.weekday(), ()):
            start = _resolve(day, hours.start, tz, fold=0)
            end = _resolve(day, hours.end, tz, fold=1)
            if end > start:
                result.append((start, end))
        if day == date.max:
            break
        day += _ONE_DAY
    result.sort()
    return result


def working_intervals_utc(
    working_hours: Iterable[WorkingInterval],
    tz: ZoneInfo,
    first_day: date,
    last_day: date,
) -> list[Interval]:
    """Concrete UTC intervals of the weekly hours for each local date first_day..last_day inclusive.

    Starts resolve with ``fold=0`` and ends with ``fold=1`` (see the module docstring);
    intervals resolving to ``end <= start`` are dropped. The result is sorted by
    ``(start, end)``.
    """
    return [
        Interval(start, end) for start, end in _expand_hours(working_hours, tz, first_day, last_day)
    ]


def occupied_interval(start: datetime, rules: SlotRules) -> Interval:
    """[start - buffer_before, start + duration + buffer_after): what a booking at `start` blocks.

    This is the interval to store as a booking's ``blocked`` entry for other bookings.
    """
    start = _to_utc(start, "start")
    return Interval(start - rules.buffer_before, start + rules.duration + rules.buffer_after)


_BY_START = attrgetter("start")


def _merged_blocks(blocked: Iterable[Interval]) -> tuple[list[datetime], list[datetime]]:
    """Sort and merge blocked intervals into disjoint runs, returned as (starts, ends).

    Touching intervals are merged too: for a non-empty occupied interval, overlapping
    ``[a, b) + [b, c)`` is the same as overlapping ``[a, c)``. Empty intervals are dropped.
    After merging both lists are strictly increasing, which is what lets one bisect find the
    only run that can overlap a given instant.
    """
    starts: list[datetime] = []
    ends: list[datetime] = []
    ordered = sorted(blocked, key=_BY_START)
    if not ordered:
        return starts, ends
    # The run being merged lives in two locals; appending only when it closes keeps this
    # loop, which sees every booking of the window, down to two comparisons per interval.
    run_start = run_end = ordered[0].start
    for interval in ordered:
        start, end = interval.start, interval.end
        if start > run_end:
            if run_end > run_start:
                starts.append(run_start)
                ends.append(run_end)
            run_start, run_end = start, end
        elif end > run_end:
            run_end = end
    if run_end > run_start:
        starts.append(run_start)
        ends.append(run_end)
    return starts, ends


def _ceil_div(numerator: timedelta, denominator: timedelta) -> int:
    """Return ``ceil(numerator / denominator)`` exactly, for a positive denominator."""
    return -(-numerator // denominator)


def _provider_starts(
    blocked: Iterable[Interval],
    working: Iterable[tuple[datetime, datetime]],
    rules: SlotRules,
    earliest: datetime,
    latest: datetime,
) -> list[datetime]:
    """The starts in ``[earliest, latest)`` a provider can take, given its concrete hours.

    Instead of testing every grid point, each working interval is walked from one free gap
    between merged blocks to the next: the grid points whose occupied interval fits into a
    gap are emitted as a run, and the ones overlapping the block after it are skipped by
    arithmetic. The work is then proportional to blocks and free slots, not to candidates.
    The result is in ascending order per working interval; overlapping working intervals
    may repeat a start, which the caller removes.
    """
    block_starts, block_ends = _merged_blocks(blocked)
    block_count = len(block_starts)
    duration = rules.duration
    step = rules.step
    before = rules.buffer_before
    after_start = rules.duration + rules.buffer_after
    starts: list[datetime] = []
    extend = starts.extend

    for work_start, work_end in working:
        last_start = work_end - duration
        if work_start >= latest or last_start < earliest or last_start < work_start:
            continue
        # Candidates are work_start + k * step for first <= k <= last.
        first = 0 if work_start >= earliest else _ceil_div(earliest - work_start, step)
        last = min((last_start - work_start) // step, _ceil_div(latest - work_start, step) - 1)
        # Candidate k occupies [work_start + k * step - before, work_start + k * step +
        # after_start); these two shifted origins turn both overlap tests into one division.
        lead = work_start + after_start
        trail = work_start - before
        # Invariant: every block before ``index`` ends at or before the occupied start of
        # candidate ``first``, so only block ``index`` can overlap it.
        index = bisect_right(block_ends, trail + step * first)
        while first <= last:
            if index == block_count:
                free_last = last
            else:
                # The last candidate whose occupied interval ends by the block's start.
                free_last = (block_starts[index] - lead) // step
                if free_last > last:
                    free_last = last
            if free_last >= first:
                # The run first..free_last, added up in C rather than one by one here.
                extend(
                    accumulate(
                        repeat(step, free_last - first), add, initial=work_start + step * first
                    )
                )
            if index == block_count:
                break
            # The first candidate whose occupied interval starts at or after the block's end
            # (a ceiling division); everything from free_last + 1 up to it overlaps the block.
            resume = -((trail - block_ends[index]) // step)
            first = resume if resume > free_last else free_last + 1
            index += 1
    return starts


def free_slots(
    *,
    providers: Sequence[ProviderSchedule],
    rules: SlotRules,
    tz: ZoneInfo,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> list[Slot]:
    """Bookable slots whose start lies in [window_start, window_end), sorted by start.

    One Slot per distinct start instant with every free provider listed (a single
    provider = pass a 1-element list; "any provider" = pass several, the result is the
    union). See the module docstring for the exact rules. Naive datetimes raise
    ``ValueError``.
    """
    window_start = _to_utc(window_start, "window_start")
    window_end = _to_utc(window_end, "window_end")
    now = _to_utc(now, "now")

    earliest = max(window_start, now + rules.min_notice)
    latest = window_end
    last_day = _shift_date(window_end.astimezone(tz).date(), 1)
    if rules.max_days_ahead is not None:
        last_allowed = _shift_date(now.astimezone(tz).date(), rules.max_days_ahead)
        if last_allowed < date.max:
            # fold=0 makes local midnight the first instant of the next date even when
            # midnight falls into a gap or is repeated, so "s < cutoff" is exactly
            # "local date of s <= last_allowed".
            cutoff = _resolve(last_allowed + _ONE_DAY, time(0), tz, fold=0)
            latest = min(latest, cutoff)
        last_day = min(last_day, last_allowed)
    if earliest >= latest:
        return []
    first_day = _shift_date(earliest.astimezone(tz).date(), -1)

    duration = rules.duration
    # Providers usually share a few weekly patterns; each is expanded (zoneinfo work for every
    # local date) once per call rather than once per provider.
    expanded: dict[frozenset[WorkingInterval], list[tuple[datetime, datetime]]] = {}

    def working_of(provider: ProviderSchedule) -> list[tuple[datetime, datetime]]:
        key = frozenset(provider.working_hours)
        working = expanded.get(key)
        if working is None:
            working = expanded[key] = _expand_hours(key, tz, first_day, last_day)
        return working

    if len(providers) == 1:
        # The common single-provider case needs no merging at all.
        (provider,) = providers
        ids = (provider.provider_id,)
        found = _provider_starts(provider.blocked, working_of(provider), rules, earliest, latest)
        return [Slot(start, start + duration, ids) for start in sorted(set(found))]

    # Providers with the same hours and the same blocked times (on a large page, everyone
    # with a free week) have the same starts: each distinct schedule is walked once.
    groups: dict[tuple[frozenset[WorkingInterval], frozenset[Interval]], list[int]] = {}
    samples: list[ProviderSchedule] = []
    for provider in providers:
        key = (frozenset(provider.working_hours), frozenset(provider.blocked))
        group = groups.get(key)
        if group is None:
            group = groups[key] = []
            samples.append(provider)
        group.append(provider.provider_id)
    free: defaultdict[datetime, list[int]] = defaultdict(list)
    for sample in samples:
        same = groups[(frozenset(sample.working_hours), frozenset(sample.blocked))]
        for start in _provider_starts(sample.blocked, working_of(sample), rules, earliest, latest):
            free[start].extend(same)

    return [
        Slot(
            start,
            start + duration,
            # set(): the same provider may have been passed twice, and overlapping working
            # intervals may offer one start twice.
            tuple(sorted(set(listed))) if len(listed) > 1 else (listed[0],),
        )
        for start, listed in sorted(free.items())
    ]


def is_slot_free(
    *,
    provider: ProviderSchedule,
    rules: SlotRules,
    tz: ZoneInfo,
    start: datetime,
    now: datetime,
) -> bool:
    """True when `start` is exactly one of the slots free_slots would offer this provider.

    Delegates to ``free_slots`` with a one-instant window so that the two can never
    disagree (off-grid starts, buffers, notice and DST handling all come for free).
    """
    start = _to_utc(start, "start")
    slots = free_slots(
        providers=[provider],
        rules=rules,
        tz=tz,
        window_start=start,
        window_end=start + _TICK,
        now=now,
    )
    return any(slot.start == start for slot in slots)


def horizon_end(now: datetime, tz: ZoneInfo, max_days_ahead: int | None) -> datetime | None:
    """The first instant no slot may start at under ``max_days_ahead`` (rule 4), or None.

    Callers that cache answers clip their window with it, since it moves once a local day.
    """
    if max_days_ahead is None:
        return None
    last_allowed = _shift_date(_to_utc(now, "now").astimezone(tz).date(), max_days_ahead)
    if last_allowed >= date.max:
        return None
    return _resolve(last_allowed + _ONE_DAY, time(0), tz, fold=0)


def estimate_work(
    *,
    provider_count: int,
    rules: SlotRules,
    tz: ZoneInfo,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> int:
    """An upper bound of the work of a ``free_slots`` question: providers x days x slots a day.

    Days are the local dates the question can offer slots on (the window, from the minimum
    notice on, up to ``max_days_ahead``), and a day has at most ``24 h / step`` slots, so the
    estimate needs no database: only the page's rules, the window and the provider count. Public
    faces refuse a question above the configured cap before doing it.
    """
    window_start = _to_utc(window_start, "window_start")
    window_end = _to_utc(window_end, "window_end")
    now = _to_utc(now, "now")
    earliest = max(window_start, now + rules.min_notice)
    latest = window_end
    if rules.max_days_ahead is not None:
        last_allowed = _shift_date(now.astimezone(tz).date(), rules.max_days_ahead)
        if last_allowed < date.max:
            latest = min(latest, _resolve(last_allowed + _ONE_DAY, time(0), tz, fold=0))
    if earliest >= latest or provider_count <= 0:
        return 0
    last_day = (latest - _TICK).astimezone(tz).date()
    days = (last_day - earliest.astimezone(tz).date()).days + 1
    slots_per_day = _ceil_div(_ONE_DAY, rules.step)
    return provider_count * days * slots_per_day
