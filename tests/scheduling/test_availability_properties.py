"""Property-based tests for the availability engine.

The oracle below is a deliberately naive re-statement of the rules: it resolves wall-clock
times through the UTC -> local direction of the zone only (never ``fold``), walks every
candidate of a wider range of days, and checks every blocked interval linearly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
    is_slot_free,
)

# Zones with their 2026 transition days (the local date whose night has the gap or the
# repeated hour), so that windows hit those nights often instead of by luck.
ZONES: dict[str, list[date]] = {
    "UTC": [],
    "Asia/Kolkata": [],  # fractional offset, no DST
    "Europe/Berlin": [date(2026, 3, 29), date(2026, 10, 25)],
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1)],
    "Australia/Lord_Howe": [date(2026, 4, 5), date(2026, 10, 4)],  # 30-minute shift
    "America/Santiago": [date(2026, 4, 4), date(2026, 9, 6)],  # transitions at midnight
}

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@dataclass(frozen=True)
class Scenario:
    providers: tuple[ProviderSchedule, ...]
    rules: SlotRules
    tz: ZoneInfo
    window_start: datetime
    window_end: datetime
    now: datetime

    def slots(self, providers: Sequence[ProviderSchedule] | None = None) -> list[Slot]:
        return free_slots(
            providers=self.providers if providers is None else providers,
            rules=self.rules,
            tz=self.tz,
            window_start=self.window_start,
            window_end=self.window_end,
            now=self.now,
        )


# --- oracle ------------------------------------------------------------------------------


def offset_at(instant: datetime, tz: ZoneInfo) -> timedelta:
    """UTC offset in force at an instant; UTC -> local is never ambiguous."""
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None
    return offset


def oracle_instant(day: date, wall: time, tz: ZoneInfo, *, prefer_later: bool) -> datetime:
    """Instant at which ``wall`` is shown on ``day``, per the documented rule.

    The offsets before and after any transition near that day are read 30 hours away
    (further than any offset). A reading is genuine when that offset is really in force at
    the resulting instant. Start (prefer_later=False): the earliest genuine reading, or in a
    gap the reading with the pre-transition offset. End (prefer_later=True): the latest
    genuine reading, or in a gap the one with the post-transition offset.
    """
    naive = datetime.combine(day, wall).replace(tzinfo=UTC)
    offset_before = offset_at(naive - timedelta(hours=30), tz)
    offset_after = offset_at(naive + timedelta(hours=30), tz)
    with_before = naive - offset_before
    with_after = naive - offset_after
    genuine = [
        instant
        for instant, offset in ((with_before, offset_before), (with_after, offset_after))
        if offset_at(instant, tz) == offset
    ]
    if genuine:
        return max(genuine) if prefer_later else min(genuine)
    return with_after if prefer_later else with_before


def oracle_working_intervals(
    provider: ProviderSchedule, tz: ZoneInfo, first: date, last: date
) -> list[tuple[datetime, datetime]]:
    result = []
    day = first
    while day <= last:
        for hours in provider.working_hours:
            if hours.weekday == day.weekday():
                start = oracle_instant(day, hours.start, tz, prefer_later=False)
                end = oracle_instant(day, hours.end, tz, prefer_later=True)
                if start < end:
                    result.append((start, end))
        day += timedelta(days=1)
    return result


def oracle_starts(scenario: Scenario, provider: ProviderSchedule) -> set[datetime]:
    """Brute force: every aligned candidate of a generous range of days, checked one by one."""
    rules, tz = scenario.rules, scenario.tz
    first = scenario.window_start.astimezone(tz).date() - timedelta(days=2)
    last = scenario.window_end.astimezone(tz).date() + timedelta(days=2)
    today = scenario.now.astimezone(tz).date()
    starts: set[datetime] = set()
    for work_start, work_end in oracle_working_intervals(provider, tz, first, last):
        start = work_start
        while start + rules.duration <= work_end:
            if (
                scenario.window_start <= start < scenario.window_end
                and start >= scenario.now + rules.min_notice
                and (
                    rules.max_days_ahead is None
                    or (start.astimezone(tz).date() - today).days <= rules.max_days_ahead
                )
            ):
                occupied_start = start - rules.buffer_before
                occupied_end = start + rules.duration + rules.buffer_after
                if not any(
                    max(occupied_start, block.start) < min(occupied_end, block.end)
                    for block in provider.blocked
                ):
                    starts.add(start)
            start += rules.step
    return starts


# --- strategies --------------------------------------------------------------------------


def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def _wall(minute_of_day: int) -> time:
    return time(minute_of_day // 60, minute_of_day % 60)


@st.composite
def working_hours(draw: st.DrawFn) -> tuple[WorkingInterval, ...]:
    quarter = st.integers(0, 95).map(lambda q: q * 15)
    # Transitions happen between 23:00 and 03:00 in these zones; bias towards the night.
    night = st.one_of(st.integers(0, 16), st.integers(88, 95)).map(lambda q: q * 15)
    minute = st.one_of(quarter, night, st.integers(0, 1438))
    length = st.one_of(st.integers(2, 32).map(lambda q: q * 15), st.integers(1, 1439))
    ranges = []
    for _ in range(draw(st.integers(1, 3))):
        start = draw(minute)
        end = min(1439, start + draw(length))
        ranges.append((_wall(start), _wall(end)))
    if draw(st.integers(0, 2)):
        return tuple(WorkingInterval(day, s, e) for day in range(7) for s, e in ranges)
    return tuple(
        WorkingInterval(draw(st.integers(0, 6)), s, e)
        for s, e in ranges
        for _ in range(draw(st.integers(1, 3)))
    )


@st.composite
def blocked_intervals(draw: st.DrawFn, midnight: datetime) -> tuple[Interval, ...]:
    # Quarter-hour offsets from local midnight line blocks up with typical working hours.
    offset = st.one_of(
        st.integers(-4 * 24 * 4, 6 * 24 * 4).map(lambda q: q * 15),
        st.integers(-24 * 60, 5 * 24 * 60),
    )
    length = st.one_of(
        st.just(0),  # empty blocks must block nothing
        st.integers(1, 16).map(lambda q: q * 15),
        st.integers(1, 300),
        st.integers(0, 2 * 24 * 60),  # time off
    )
    blocks = []
    for _ in range(draw(st.integers(0, 10))):
        start = midnight + _minutes(draw(offset))
        blocks.append(Interval(start, start + _minutes(draw(length))))
    return tuple(blocks)


@st.composite
def anchored_blocks(
    draw: st.DrawFn, hours: tuple[WorkingInterval, ...], first_day: date, tz: ZoneInfo
) -> tuple[Interval, ...]:
    """Blocks ending or starting a few minutes from a working interval's start or end.

    Those are where buffer checks of the first and last candidates of an interval matter,
    and random blocks rarely land there.
    """
    blocks = []
    for _ in range(draw(st.integers(0, 3))):
        hours_ = draw(st.sampled_from(hours))
        day = first_day + timedelta(days=draw(st.integers(0, 3)))
        wall = draw(st.sampled_from([hours_.start, hours_.end]))
        anchor = datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)
        anchor += _minutes(5 * draw(st.integers(-6, 6)))
        length = _minutes(draw(st.integers(1, 300)))
        if draw(st.booleans()):
            blocks.append(Interval(anchor - length, anchor))
        else:
            blocks.append(Interval(anchor, anchor + length))
    return tuple(blocks)


@st.composite
def slot_rules(draw: st.DrawFn) -> SlotRules:
    duration = draw(st.one_of(st.sampled_from([15, 30, 45, 60, 90]), st.integers(1, 180)))
    return SlotRules(
        duration=_minutes(duration),
        buffer_before=_minutes(draw(st.sampled_from([0, 0, 5, 10, 15, 30, 60]))),
        buffer_after=_minutes(draw(st.sampled_from([0, 0, 5, 10, 15, 30, 60]))),
        step=_minutes(draw(st.one_of(st.sampled_from([5, 15, 30, 60]), st.integers(5, 120)))),
        min_notice=_minutes(draw(st.sampled_from([0, 0, 0, 15, 30, 120, 24 * 60]))),
        max_days_ahead=draw(st.one_of(st.none(), st.integers(0, 4))),
    )


_DST_ZONES = sorted(zone for zone, days in ZONES.items() if days)
_window_lengths = [st.integers(0, 3 * 24 * 60), st.integers(24 * 60, 3 * 24 * 60)]


@st.composite
def scenarios(draw: st.DrawFn, max_providers: int = 1) -> Scenario:
    # Mostly zones with DST, mostly around one of their transitions.
    zone = draw(st.one_of(st.sampled_from(_DST_ZONES), st.sampled_from(sorted(ZONES))))
    tz = ZoneInfo(zone)
    any_day = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))
    transition_day = st.sampled_from(ZONES[zone]) if ZONES[zone] else any_day
    day = draw(st.sampled_from([transition_day, transition_day, any_day]).flatmap(lambda s: s))
    first_day = day - timedelta(days=1)
    midnight = datetime.combine(first_day, time(0), tzinfo=tz).astimezone(UTC)
    window_start = midnight + _minutes(
        draw(st.one_of(st.integers(0, 24 * 60), st.integers(0, 2 * 24 * 60)))
    )
    # Mostly long windows, so that most examples have slots left to check.
    window_end = window_start + _minutes(
        draw(st.sampled_from([0, 1, 1]).flatmap(lambda long: _window_lengths[long]))
    )
    # Often "now" just before the window, as for a customer looking at the coming days.
    now = window_start + _minutes(
        draw(st.one_of(st.integers(-180, 0), st.integers(-24 * 60, 24 * 60)))
    )
    ids = draw(st.lists(st.integers(1, 1000), min_size=1, max_size=max_providers, unique=True))
    providers = []
    for provider_id in ids:
        hours = draw(working_hours())
        blocked = draw(blocked_intervals(midnight)) + draw(anchored_blocks(hours, first_day, tz))
        providers.append(
            ProviderSchedule(provider_id, hours, tuple(draw(st.permutations(blocked))))
        )
    return Scenario(tuple(providers), draw(slot_rules()), tz, window_start, window_end, now)


@st.composite
def transition_nights(draw: st.DrawFn) -> Scenario:
    """One provider working around a DST transition night, with the window covering it."""
    zone = draw(st.sampled_from(_DST_ZONES))
    tz = ZoneInfo(zone)
    day = draw(st.sampled_from(ZONES[zone]))
    # Quarter hours from 21:00 to 23:45 (Santiago's repeated hour, and the evening before its
    # midnight gap) or from 00:00 to 04:00 (everyone else's transitions, Santiago's gap).
    evening = st.integers(84, 95).map(lambda q: q * 15)
    morning = st.integers(0, 16).map(lambda q: q * 15)
    hours = []
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.one_of(evening, morning))
        end = min(
            1439,
            start + draw(st.one_of(st.integers(1, 12).map(lambda q: q * 15), st.integers(1, 240))),
        )
        # The evening before matters too: Santiago's gap is at midnight, where the
        # max_days_ahead cutoff may also fall.
        weekday = draw(st.sampled_from([day.weekday(), (day - timedelta(days=1)).weekday()]))
        hours.append(WorkingInterval(weekday, _wall(start), _wall(end)))
    midnight = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    window_start = midnight - _minutes(draw(st.integers(0, 12 * 60)))
    window_end = midnight + _minutes(draw(st.integers(24 * 60, 30 * 60)))
    blocks = []
    for _ in range(draw(st.integers(0, 3))):
        block_start = midnight + _minutes(draw(st.integers(-4 * 60, 26 * 60)))
        blocks.append(Interval(block_start, block_start + _minutes(draw(st.integers(0, 120)))))
    rules = SlotRules(
        duration=_minutes(draw(st.integers(1, 120))),
        buffer_before=_minutes(draw(st.sampled_from([0, 0, 5, 15]))),
        buffer_after=_minutes(draw(st.sampled_from([0, 0, 5, 15]))),
        step=_minutes(draw(st.one_of(st.sampled_from([5, 15, 30, 60]), st.integers(5, 90)))),
        max_days_ahead=draw(st.one_of(st.none(), st.integers(0, 2))),
    )
    now = window_start - _minutes(draw(st.integers(0, 36 * 60)))
    provider = ProviderSchedule(1, tuple(hours), tuple(blocks))
    return Scenario((provider,), rules, tz, window_start, window_end, now)


# --- properties --------------------------------------------------------------------------


def check_sorted_unique_and_well_formed(scenario: Scenario, slots: list[Slot]) -> None:
    starts = [slot.start for slot in slots]
    assert starts == sorted(set(starts))
    known_ids = {provider.provider_id for provider in scenario.providers}
    for slot in slots:
        assert slot.start.tzinfo is UTC and slot.end.tzinfo is UTC
        assert slot.end - slot.start == scenario.rules.duration
        assert slot.provider_ids
        assert list(slot.provider_ids) == sorted(set(slot.provider_ids))
        assert set(slot.provider_ids) <= known_ids


def check_window_notice_and_horizon(scenario: Scenario, slots: list[Slot]) -> None:
    rules, tz = scenario.rules, scenario.tz
    today = scenario.now.astimezone(tz).date()
    for slot in slots:
        assert scenario.window_start <= slot.start < scenario.window_end
        assert slot.start >= scenario.now + rules.min_notice
        if rules.max_days_ahead is not None:
            assert (slot.start.astimezone(tz).date() - today).days <= rules.max_days_ahead


def check_no_listed_provider_is_blocked(scenario: Scenario, slots: list[Slot]) -> None:
    by_id = {provider.provider_id: provider for provider in scenario.providers}
    for slot in slots:
        occupied = Interval(
            slot.start - scenario.rules.buffer_before, slot.end + scenario.rules.buffer_after
        )
        for provider_id in slot.provider_ids:
            for block in by_id[provider_id].blocked:
                assert not occupied.overlaps(block), (slot, block)


def check_within_one_working_interval(scenario: Scenario, slots: list[Slot]) -> None:
    tz = scenario.tz
    first = scenario.window_start.astimezone(tz).date() - timedelta(days=2)
    last = scenario.window_end.astimezone(tz).date() + timedelta(days=2)
    by_id = {
        provider.provider_id: oracle_working_intervals(provider, tz, first, last)
        for provider in scenario.providers
    }
    for slot in slots:
        for provider_id in slot.provider_ids:
            assert any(
                start <= slot.start and slot.end <= end for start, end in by_id[provider_id]
            ), slot


@PROPERTY_SETTINGS
@given(scenarios(max_providers=3))
def test_every_offered_slot_obeys_the_rules(scenario: Scenario) -> None:
    # One test for the four soundness properties: generating multi-provider scenarios is the
    # expensive part, so they share the examples.
    slots = scenario.slots()
    check_sorted_unique_and_well_formed(scenario, slots)
    check_window_notice_and_horizon(scenario, slots)
    check_no_listed_provider_is_blocked(scenario, slots)
    check_within_one_working_interval(scenario, slots)


@PROPERTY_SETTINGS
@given(scenarios())
def test_single_provider_matches_brute_force_oracle(scenario: Scenario) -> None:
    # Set equality covers completeness (every valid aligned start is offered) as well as
    # soundness relative to the independently computed rules.
    (provider,) = scenario.providers
    offered = {slot.start for slot in scenario.slots()}
    assert offered == oracle_starts(scenario, provider)


@PROPERTY_SETTINGS
@given(transition_nights())
def test_transition_nights_match_brute_force_oracle(scenario: Scenario) -> None:
    # Same comparison, concentrated on working hours that start or end in a gap or a
    # repeated hour, which the general scenarios reach only a few times in a hundred.
    (provider,) = scenario.providers
    offered = {slot.start for slot in scenario.slots()}
    assert offered == oracle_starts(scenario, provider)


@PROPERTY_SETTINGS
@given(scenarios(max_providers=3))
def test_union_is_the_merge_of_single_provider_results(scenario: Scenario) -> None:
    expected: dict[datetime, set[int]] = {}
    for provider in scenario.providers:
        for slot in scenario.slots([provider]):
            assert slot.provider_ids == (provider.provider_id,)
            expected.setdefault(slot.start, set()).add(provider.provider_id)
    assert {slot.start: set(slot.provider_ids) for slot in scenario.slots()} == expected


@PROPERTY_SETTINGS
@given(scenarios(), st.lists(st.integers(0, 3 * 24 * 60), max_size=10))
def test_is_slot_free_agrees_with_free_slots(scenario: Scenario, offsets: list[int]) -> None:
    (provider,) = scenario.providers
    offered = {slot.start for slot in scenario.slots()}
    # Offered starts must be free; the minute-granular probes are mostly off the grid.
    probes = set(sorted(offered)[:10])
    probes.update(
        scenario.window_start + _minutes(offset)
        for offset in offsets
        if scenario.window_start + _minutes(offset) < scenario.window_end
    )
    for probe in probes:
        assert is_slot_free(
            provider=provider,
            rules=scenario.rules,
            tz=scenario.tz,
            start=probe,
            now=scenario.now,
        ) == (probe in offered), probe
