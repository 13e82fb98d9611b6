"""Full schedules: the engine's gap walk against a one-candidate-at-a-time reference.

The engine does not test grid points one by one: it merges each provider's blocks, walks
the free gaps between them and emits whole runs of starts, and it expands a weekly pattern
once for all providers sharing it. The other property tests use a handful of blocks over a
few days; here calendars are full (back-to-back, touching, overlapping, contained and empty
blocks, days off) over up to two weeks, and several providers share patterns given in
different orders, which is where an off-by-one in a run's first or last start would show.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotwise.scheduling.availability import (
    Interval,
    ProviderSchedule,
    Slot,
    SlotRules,
    WorkingInterval,
    free_slots,
    working_intervals_utc,
)

BERLIN = ZoneInfo("Europe/Berlin")
MIN = timedelta(minutes=1)
# Mondays: an ordinary week, and the weeks of Berlin's 2026 spring-forward and fall-back.
WEEKS = [date(2026, 6, 15), date(2026, 3, 23), date(2026, 10, 19)]


def reference_slots(
    providers: list[ProviderSchedule],
    rules: SlotRules,
    tz: ZoneInfo,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> list[Slot]:
    """The rules applied literally: every grid point of every working interval, every block."""
    first = window_start.astimezone(tz).date() - timedelta(days=2)
    last = window_end.astimezone(tz).date() + timedelta(days=2)
    today = now.astimezone(tz).date()
    free: dict[datetime, set[int]] = {}
    for provider in providers:
        for working in working_intervals_utc(provider.working_hours, tz, first, last):
            start = working.start
            while start + rules.duration <= working.end:
                occupied = Interval(
                    start - rules.buffer_before, start + rules.duration + rules.buffer_after
                )
                if (
                    window_start <= start < window_end
                    and start >= now + rules.min_notice
                    and (
                        rules.max_days_ahead is None
                        or (start.astimezone(tz).date() - today).days <= rules.max_days_ahead
                    )
                    and not any(occupied.overlaps(block) for block in provider.blocked)
                ):
                    free.setdefault(start, set()).add(provider.provider_id)
                start += rules.step
    return [
        Slot(start, start + rules.duration, tuple(sorted(ids)))
        for start, ids in sorted(free.items())
    ]


def engine_slots(
    providers: list[ProviderSchedule],
    rules: SlotRules,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> list[Slot]:
    return free_slots(
        providers=providers,
        rules=rules,
        tz=BERLIN,
        window_start=window_start,
        window_end=window_end,
        now=now,
    )


# --- strategies --------------------------------------------------------------------------

_PATTERNS: list[tuple[WorkingInterval, ...]] = [
    # Two shifts with a lunch break, Monday to Saturday.
    tuple(
        WorkingInterval(day, start, end)
        for day in range(6)
        for start, end in ((time(8), time(12, 30)), (time(13, 15), time(18)))
    ),
    # Late shifts, Tuesday to Saturday, with an off-grid start.
    tuple(
        WorkingInterval(day, start, end)
        for day in range(1, 6)
        for start, end in ((time(11, 10), time(14)), (time(15), time(20)))
    ),
    # Overlapping ranges on the same day, and a night over the clock change.
    (
        *(WorkingInterval(day, time(9), time(13)) for day in range(7)),
        *(WorkingInterval(day, time(12), time(16)) for day in range(7)),
        WorkingInterval(6, time(0, 30), time(4)),
    ),
]


@st.composite
def calendar(draw: st.DrawFn, first_day: date, days: int) -> tuple[Interval, ...]:
    """A full diary: runs of bookings with small or no gaps, extra clashing blocks, time off."""
    midnight = datetime.combine(first_day, time(0), tzinfo=BERLIN).astimezone(UTC)
    blocks: list[Interval] = []
    for _ in range(draw(st.integers(0, 2 * days))):
        at = midnight + MIN * 5 * draw(st.integers(0, days * 288))
        for _ in range(draw(st.integers(1, 12))):
            at += MIN * draw(st.sampled_from([0, 0, 0, 5, 10, 30, 45, 47]))
            length = MIN * draw(st.sampled_from([0, 5, 10, 15, 25, 40, 60, 75, 17]))
            blocks.append(Interval(at, at + length))
            at += length
    for _ in range(draw(st.integers(0, 4))):  # overlapping, contained and duplicated blocks
        at = midnight + MIN * draw(st.integers(0, days * 1440))
        blocks.append(Interval(at, at + MIN * draw(st.integers(0, 240))))
    if draw(st.booleans()):  # a day off
        day = midnight + timedelta(days=draw(st.integers(0, days - 1)))
        blocks.append(Interval(day, day + timedelta(days=1)))
    return tuple(draw(st.permutations(blocks)))


@st.composite
def full_diaries(
    draw: st.DrawFn,
) -> tuple[list[ProviderSchedule], SlotRules, datetime, datetime, datetime]:
    first_day = draw(st.sampled_from(WEEKS)) + timedelta(days=draw(st.integers(0, 6)))
    days = draw(st.integers(1, 14))
    providers = []
    for provider_id in range(1, draw(st.integers(1, 4)) + 1):
        pattern = list(draw(st.sampled_from(_PATTERNS)))
        # The same weekly hours arrive in any order and possibly twice, as rows do.
        if draw(st.booleans()):
            pattern.append(draw(st.sampled_from(pattern)))
        hours = tuple(draw(st.permutations(pattern)))
        providers.append(ProviderSchedule(provider_id, hours, draw(calendar(first_day, days))))
    rules = SlotRules(
        duration=MIN * draw(st.sampled_from([15, 30, 45, 60, 25])),
        buffer_before=MIN * draw(st.sampled_from([0, 0, 5, 15])),
        buffer_after=MIN * draw(st.sampled_from([0, 0, 10, 15])),
        step=MIN * draw(st.sampled_from([5, 15, 30, 20])),
        min_notice=MIN * draw(st.sampled_from([0, 60, 24 * 60])),
        max_days_ahead=draw(st.one_of(st.none(), st.integers(0, 14))),
    )
    midnight = datetime.combine(first_day, time(0), tzinfo=BERLIN).astimezone(UTC)
    window_start = midnight + MIN * 5 * draw(st.integers(0, 288))
    window_end = midnight + timedelta(days=days) - MIN * 5 * draw(st.integers(0, 288))
    now = window_start - MIN * draw(st.integers(-24 * 60, 3 * 24 * 60))
    return providers, rules, window_start, window_end, now


# --- tests -------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(full_diaries())
def test_full_diaries_match_the_reference(
    case: tuple[list[ProviderSchedule], SlotRules, datetime, datetime, datetime],
) -> None:
    providers, rules, window_start, window_end, now = case
    expected = reference_slots(providers, rules, BERLIN, window_start, window_end, now)
    assert engine_slots(providers, rules, window_start, window_end, now) == expected


def _day(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, 15, hour, minute, tzinfo=BERLIN).astimezone(UTC)


_WEEKDAY_HOURS = tuple(WorkingInterval(d, time(9), time(17)) for d in range(7))
_RULES = SlotRules(duration=MIN * 30, buffer_before=MIN * 5, buffer_after=MIN * 10, step=MIN * 5)


def _starts(blocked: tuple[Interval, ...]) -> list[str]:
    slots = engine_slots(
        [ProviderSchedule(1, _WEEKDAY_HOURS, blocked)], _RULES, _day(0), _day(23), _day(0)
    )
    return [slot.start.astimezone(BERLIN).strftime("%H:%M") for slot in slots]


def test_a_gap_exactly_one_occupied_interval_long_fits_exactly_one_start() -> None:
    # 5 + 30 + 10 = 45 minutes between 10:00 and 10:45: only 10:05 fits.
    blocked = (Interval(_day(9), _day(10)), Interval(_day(10, 45), _day(16)))
    assert _starts(blocked)[:1] == ["10:05"]
    assert [s for s in _starts(blocked) if s < "16:00"] == ["10:05"]


def test_a_gap_one_minute_short_fits_nothing() -> None:
    blocked = (Interval(_day(9), _day(10)), Interval(_day(10, 44), _day(16)))
    assert [s for s in _starts(blocked) if s < "16:00"] == []


def test_back_to_back_bookings_leave_no_start_between_them() -> None:
    blocked = tuple(
        Interval(_day(9) + MIN * 20 * n, _day(9) + MIN * 20 * (n + 1)) for n in range(21)
    )
    # The run ends at 16:00; 16:05 still fits before 17:00 (its buffer after may run over).
    assert _starts(blocked) == ["16:05", "16:10", "16:15", "16:20", "16:25", "16:30"]


def test_empty_blocks_in_a_gap_or_at_a_run_end_block_nothing() -> None:
    blocked = (
        Interval(_day(8), _day(8)),  # the first block in sort order is empty
        Interval(_day(9), _day(12)),
        Interval(_day(12), _day(12)),  # touches the run's end
        Interval(_day(13), _day(13)),  # alone inside the gap
        Interval(_day(14), _day(17)),
    )
    free = _starts(blocked)
    assert free[0] == "12:05"  # buffer before reaches back to 12:00 exactly
    assert free[-1] == "13:20"  # its 10-minute buffer after ends at 14:00 exactly
    assert len(free) == 16


def test_providers_sharing_hours_in_another_order_get_the_same_slots_as_alone() -> None:
    morning, afternoon = (
        WorkingInterval(0, time(9), time(12)),
        WorkingInterval(0, time(13), time(17)),
    )
    short = (WorkingInterval(0, time(10), time(11)),)
    alex = ProviderSchedule(1, (morning, afternoon), (Interval(_day(9), _day(10)),))
    blake = ProviderSchedule(2, (afternoon, morning, afternoon), ())
    casey = ProviderSchedule(3, short, ())
    window = (_RULES, _day(0), _day(23, 59), _day(0))
    together = engine_slots([alex, blake, casey], *window)
    expected: dict[datetime, list[int]] = {}
    for provider in (alex, blake, casey):
        for slot in engine_slots([provider], *window):
            expected.setdefault(slot.start, []).append(provider.provider_id)
    assert {slot.start: list(slot.provider_ids) for slot in together} == expected
    # Casey's one hour is his own, not a neighbour's cached day.
    assert [s.start for s in engine_slots([casey], *window)] == [
        _day(10) + MIN * 5 * n for n in range(7)
    ]
