"""Example-based tests for the pure availability engine (no database needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from slotwise.scheduling.availability import (
    Interval,
    ProviderSchedule,
    Slot,
    SlotRules,
    WorkingInterval,
    free_slots,
    is_slot_free,
    occupied_interval,
    working_intervals_utc,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")

# A summer week with no DST change anywhere near: Monday 2026-06-15 .. Sunday 2026-06-21.
MONDAY = date(2026, 6, 15)
MIN = timedelta(minutes=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Shorthand for an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(tz: ZoneInfo, day: date, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    """The UTC instant of a local wall-clock time (fold chooses among repeated times)."""
    return datetime.combine(day, time(hour, minute), tzinfo=tz).replace(fold=fold).astimezone(UTC)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def every_day(start: time, end: time) -> tuple[WorkingInterval, ...]:
    return tuple(WorkingInterval(weekday, start, end) for weekday in range(7))


def schedule(
    hours: tuple[WorkingInterval, ...] | None = None,
    blocked: tuple[Interval, ...] = (),
    provider_id: int = 7,
) -> ProviderSchedule:
    if hours is None:
        hours = every_day(time(9), time(17))
    return ProviderSchedule(provider_id=provider_id, working_hours=hours, blocked=blocked)


def day_slots(
    provider: ProviderSchedule | list[ProviderSchedule],
    rules: SlotRules,
    day: date = MONDAY,
    tz: ZoneInfo = BERLIN,
    now: datetime | None = None,
    days: int = 1,
) -> list[Slot]:
    """Slots for whole local days starting at ``day``; ``now`` defaults to long before."""
    providers = provider if isinstance(provider, list) else [provider]
    return free_slots(
        providers=providers,
        rules=rules,
        tz=tz,
        window_start=local(tz, day, 0),
        window_end=local(tz, day + timedelta(days=days), 0),
        now=now if now is not None else utc(2020, 1, 1),
    )


def local_starts(slots: list[Slot], tz: ZoneInfo = BERLIN) -> list[str]:
    """Local wall-clock start times as HH:MM, which reads best in assertions."""
    return [slot.start.astimezone(tz).strftime("%H:%M") for slot in slots]


# --- value objects -----------------------------------------------------------------------


class TestValueObjects:
    def test_interval_rejects_naive_datetimes(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            Interval(datetime(2026, 6, 15, 9), utc(2026, 6, 15, 10))
        with pytest.raises(ValueError, match="aware"):
            Interval(utc(2026, 6, 15, 9), datetime(2026, 6, 15, 10))

    def test_interval_rejects_end_before_start(self) -> None:
        with pytest.raises(ValueError, match="before"):
            Interval(utc(2026, 6, 15, 10), utc(2026, 6, 15, 9))

    def test_interval_normalises_to_utc(self) -> None:
        berlin_nine = datetime(2026, 6, 15, 9, tzinfo=BERLIN)
        interval = Interval(berlin_nine, berlin_nine + timedelta(hours=1))
        assert interval.start == utc(2026, 6, 15, 7)
        assert interval.start.tzinfo is UTC
        assert interval.end.tzinfo is UTC

    def test_interval_in_a_zone_is_ordered_by_instant_not_wall_time(self) -> None:
        # Both ends share one ZoneInfo, where Python compares wall times; 02:30 CEST is
        # nevertheless 40 minutes before 02:10 CET on the fall-back night.
        start = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)
        end = datetime(2026, 10, 25, 2, 10, fold=1, tzinfo=BERLIN)
        interval = Interval(start, end)
        assert (interval.start, interval.end) == (
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 25, 1, 10),
        )
        assert interval.overlaps(Interval(utc(2026, 10, 25, 1), utc(2026, 10, 25, 2)))

    @pytest.mark.parametrize(
        ("a", "b", "expected"),
        [
            ((9, 10), (10, 11), False),  # touching
            ((10, 11), (9, 10), False),  # touching, other side
            ((9, 11), (10, 12), True),
            ((9, 12), (10, 11), True),  # containment
            ((9, 10), (11, 12), False),
            ((10, 10), (9, 11), False),  # empty interval overlaps nothing
            ((10, 10), (10, 10), False),
        ],
    )
    def test_overlaps_is_half_open(
        self, a: tuple[int, int], b: tuple[int, int], expected: bool
    ) -> None:
        first = Interval(utc(2026, 6, 15, a[0]), utc(2026, 6, 15, a[1]))
        second = Interval(utc(2026, 6, 15, b[0]), utc(2026, 6, 15, b[1]))
        assert first.overlaps(second) is expected
        assert second.overlaps(first) is expected

    @pytest.mark.parametrize(
        ("weekday", "start", "end"),
        [
            (7, time(9), time(17)),
            (-1, time(9), time(17)),
            (0, time(17), time(9)),
            (0, time(9), time(9)),
            (0, time(9, tzinfo=UTC), time(17)),
        ],
    )
    def test_working_interval_validation(self, weekday: int, start: time, end: time) -> None:
        with pytest.raises(ValueError):
            WorkingInterval(weekday, start, end)

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"duration": timedelta(0)},
            {"duration": minutes(30), "step": timedelta(0)},
            {"duration": minutes(30), "buffer_before": minutes(-5)},
            {"duration": minutes(30), "buffer_after": minutes(-5)},
            {"duration": minutes(30), "min_notice": minutes(-5)},
            {"duration": minutes(30), "max_days_ahead": -1},
        ],
    )
    def test_slot_rules_validation(self, kwargs: dict[str, object]) -> None:
        with pytest.raises(ValueError):
            SlotRules(**kwargs)  # type: ignore[arg-type]

    def test_slot_rules_defaults(self) -> None:
        rules = SlotRules(duration=minutes(30))
        assert rules.buffer_before == rules.buffer_after == rules.min_notice == timedelta(0)
        assert rules.step == minutes(15)
        assert rules.max_days_ahead is None

    def test_occupied_interval_adds_both_buffers(self) -> None:
        rules = SlotRules(duration=minutes(45), buffer_before=minutes(10), buffer_after=minutes(5))
        start = utc(2026, 6, 15, 9)
        assert occupied_interval(start, rules) == Interval(
            utc(2026, 6, 15, 8, 50), utc(2026, 6, 15, 9, 50)
        )

    def test_occupied_interval_rejects_naive_start(self) -> None:
        with pytest.raises(ValueError):
            occupied_interval(datetime(2026, 6, 15, 9), SlotRules(duration=minutes(30)))


# --- basic slot generation ---------------------------------------------------------------


class TestBasicDay:
    def test_basic_day(self) -> None:
        slots = day_slots(schedule(), SlotRules(duration=minutes(60), step=minutes(60)))
        assert local_starts(slots) == [f"{h:02d}:00" for h in range(9, 17)]
        # Berlin is UTC+2 in June.
        assert slots[0] == Slot(utc(2026, 6, 15, 7), utc(2026, 6, 15, 8), (7,))
        assert slots[-1] == Slot(utc(2026, 6, 15, 14), utc(2026, 6, 15, 15), (7,))
        assert all(slot.start.tzinfo is UTC and slot.end.tzinfo is UTC for slot in slots)

    def test_thirty_minute_step_offers_half_hours(self) -> None:
        slots = day_slots(schedule(), SlotRules(duration=minutes(30), step=minutes(30)))
        assert len(slots) == 16
        assert local_starts(slots)[:3] == ["09:00", "09:30", "10:00"]
        assert local_starts(slots)[-1] == "16:30"

    def test_step_grid_is_anchored_at_the_working_interval_start(self) -> None:
        hours = (WorkingInterval(0, time(9, 10), time(12)),)
        slots = day_slots(schedule(hours), SlotRules(duration=minutes(30), step=minutes(25)))
        assert local_starts(slots) == ["09:10", "09:35", "10:00", "10:25", "10:50", "11:15"]

    def test_window_start_off_grid_does_not_shift_the_grid(self) -> None:
        rules = SlotRules(duration=minutes(30), step=minutes(30))
        slots = free_slots(
            providers=[schedule()],
            rules=rules,
            tz=BERLIN,
            window_start=local(BERLIN, MONDAY, 9, 10),
            window_end=local(BERLIN, MONDAY, 11),
            now=utc(2020, 1, 1),
        )
        assert local_starts(slots) == ["09:30", "10:00", "10:30"]

    def test_duration_not_fitting_at_the_end_of_the_day(self) -> None:
        hours = (WorkingInterval(0, time(9), time(10)),)
        slots = day_slots(schedule(hours), SlotRules(duration=minutes(45), step=minutes(15)))
        assert local_starts(slots) == ["09:00", "09:15"]

    def test_duration_longer_than_the_working_interval(self) -> None:
        hours = (WorkingInterval(0, time(9), time(10)),)
        assert day_slots(schedule(hours), SlotRules(duration=minutes(61))) == []

    def test_several_intervals_per_day(self) -> None:
        hours = (WorkingInterval(0, time(9), time(12)), WorkingInterval(0, time(13), time(17)))
        slots = day_slots(schedule(hours), SlotRules(duration=minutes(60), step=minutes(30)))
        assert local_starts(slots) == [
            "09:00",
            "09:30",
            "10:00",
            "10:30",
            "11:00",
            # 11:30 would run into the lunch break.
            "13:00",
            "13:30",
            "14:00",
            "14:30",
            "15:00",
            "15:30",
            "16:00",
        ]

    def test_overlapping_working_intervals_are_not_merged(self) -> None:
        # The slot has to fit into ONE interval, so 09:00-13:00 fits neither.
        hours = (WorkingInterval(0, time(9), time(12)), WorkingInterval(0, time(11), time(14)))
        assert day_slots(schedule(hours), SlotRules(duration=minutes(240))) == []
        slots = day_slots(schedule(hours), SlotRules(duration=minutes(120), step=minutes(60)))
        # 10:00 comes from the first interval, 11:00 and 12:00 from the second; no duplicates.
        assert local_starts(slots) == ["09:00", "10:00", "11:00", "12:00"]

    def test_only_matching_weekdays_are_used(self) -> None:
        hours = (WorkingInterval(1, time(9), time(10)), WorkingInterval(3, time(9), time(10)))
        slots = day_slots(schedule(hours), SlotRules(duration=minutes(60)), days=7)
        assert [slot.start.astimezone(BERLIN).date() for slot in slots] == [
            date(2026, 6, 16),
            date(2026, 6, 18),
        ]

    def test_no_providers_or_no_hours(self) -> None:
        rules = SlotRules(duration=minutes(30))
        assert day_slots([], rules) == []
        assert day_slots(schedule(hours=()), rules) == []


# --- blocked intervals and buffers ---------------------------------------------------------


class TestBlocked:
    def test_booking_touching_boundaries_is_fine(self) -> None:
        blocked = (Interval(local(BERLIN, MONDAY, 10), local(BERLIN, MONDAY, 11)),)
        slots = day_slots(schedule(blocked=blocked), SlotRules(duration=minutes(30)))
        starts = local_starts(slots)
        assert "09:30" in starts  # ends exactly when the block starts
        assert "11:00" in starts  # starts exactly when the block ends
        assert not {"09:45", "10:00", "10:30", "10:45"} & set(starts)

    def test_new_booking_buffers_against_a_blocked_interval(self) -> None:
        blocked = (Interval(local(BERLIN, MONDAY, 11), local(BERLIN, MONDAY, 12)),)
        rules = SlotRules(duration=minutes(30), buffer_before=minutes(15), buffer_after=minutes(15))
        starts = local_starts(day_slots(schedule(blocked=blocked), rules))
        # 10:15 occupies [10:00, 11:00): touches the block, allowed. 10:30 reaches into it.
        assert "10:15" in starts
        assert "10:30" not in starts
        # 12:15 occupies [12:00, 13:00): touches the block, allowed. 12:00 starts inside it.
        assert "12:00" not in starts
        assert "12:15" in starts
        assert [s for s in starts if "10:15" < s < "12:15"] == []

    def test_buffer_before_reaches_into_a_block_ending_before_opening(self) -> None:
        # The first candidate of the day is not preceded by a blocked candidate, so nothing
        # can "skip" it: its own buffer has to be checked against the earlier block.
        blocked = (Interval(local(BERLIN, MONDAY, 8), local(BERLIN, MONDAY, 8, 50)),)
        rules = SlotRules(duration=minutes(30), buffer_before=minutes(15))
        starts = local_starts(day_slots(schedule(blocked=blocked), rules))
        assert starts[:2] == ["09:15", "09:30"]

    def test_buffer_before_against_a_block_ending_before_the_notice_limit(self) -> None:
        blocked = (Interval(local(BERLIN, MONDAY, 10), local(BERLIN, MONDAY, 11, 55)),)
        rules = SlotRules(duration=minutes(30), buffer_before=minutes(10))
        now = local(BERLIN, MONDAY, 11, 50)
        starts = local_starts(day_slots(schedule(blocked=blocked), rules, now=now))
        assert starts[0] == "12:15"

    def test_buffers_may_extend_outside_working_hours(self) -> None:
        rules = SlotRules(duration=minutes(30), buffer_before=minutes(30), buffer_after=minutes(30))
        starts = local_starts(day_slots(schedule(), rules))
        assert starts[0] == "09:00"
        assert starts[-1] == "16:30"

    def test_buffer_after_against_a_block_right_after(self) -> None:
        blocked = (Interval(local(BERLIN, MONDAY, 12), local(BERLIN, MONDAY, 13)),)
        rules = SlotRules(duration=minutes(30), buffer_after=minutes(10), step=minutes(5))
        starts = local_starts(day_slots(schedule(blocked=blocked), rules))
        assert "11:20" in starts  # occupies until 12:00 exactly
        assert "11:25" not in starts
        assert "13:00" in starts  # no buffer_before

    def test_time_off_spanning_days(self) -> None:
        off = Interval(
            local(BERLIN, MONDAY + timedelta(days=1), 12),
            local(BERLIN, MONDAY + timedelta(days=3), 10),
        )
        slots = day_slots(
            schedule(blocked=(off,)), SlotRules(duration=minutes(60), step=minutes(60)), days=5
        )
        by_day: dict[date, list[str]] = {}
        for slot in slots:
            by_day.setdefault(slot.start.astimezone(BERLIN).date(), []).append(
                slot.start.astimezone(BERLIN).strftime("%H:%M")
            )
        assert len(by_day[MONDAY]) == 8
        assert by_day[MONDAY + timedelta(days=1)] == ["09:00", "10:00", "11:00"]
        assert MONDAY + timedelta(days=2) not in by_day
        assert by_day[MONDAY + timedelta(days=3)] == [f"{h}:00" for h in range(10, 17)]
        assert len(by_day[MONDAY + timedelta(days=4)]) == 8

    def test_unsorted_overlapping_and_empty_blocks(self) -> None:
        blocked = (
            Interval(local(BERLIN, MONDAY, 14), local(BERLIN, MONDAY, 15)),
            Interval(local(BERLIN, MONDAY, 10), local(BERLIN, MONDAY, 11, 30)),
            Interval(local(BERLIN, MONDAY, 9, 30), local(BERLIN, MONDAY, 10, 30)),
            Interval(local(BERLIN, MONDAY, 14, 30), local(BERLIN, MONDAY, 14, 45)),
            # An empty interval blocks nothing, not even a slot it lies strictly inside of.
            Interval(local(BERLIN, MONDAY, 16, 10), local(BERLIN, MONDAY, 16, 10)),
        )
        slots = day_slots(
            schedule(blocked=blocked), SlotRules(duration=minutes(30), step=minutes(30))
        )
        assert local_starts(slots) == [
            "09:00",
            "11:30",
            "12:00",
            "12:30",
            "13:00",
            "13:30",
            "15:00",
            "15:30",
            "16:00",
            "16:30",
        ]

    def test_blocks_of_another_provider_do_not_matter(self) -> None:
        blocked = (Interval(local(BERLIN, MONDAY, 0), local(BERLIN, MONDAY, 23)),)
        busy = schedule(blocked=blocked, provider_id=1)
        free = schedule(provider_id=2)
        slots = day_slots([busy, free], SlotRules(duration=minutes(60), step=minutes(60)))
        assert len(slots) == 8
        assert {slot.provider_ids for slot in slots} == {(2,)}


# --- notice, horizon, window -------------------------------------------------------------


class TestLimits:
    def test_min_notice_rounds_up_to_the_next_grid_point(self) -> None:
        rules = SlotRules(duration=minutes(30), min_notice=timedelta(hours=2))
        now = local(BERLIN, MONDAY, 10, 7)
        starts = local_starts(day_slots(schedule(), rules, now=now))
        assert starts[0] == "12:15"

    def test_min_notice_boundary_is_inclusive(self) -> None:
        rules = SlotRules(duration=minutes(30), min_notice=timedelta(hours=2))
        now = local(BERLIN, MONDAY, 10)
        assert local_starts(day_slots(schedule(), rules, now=now))[0] == "12:00"

    def test_past_slots_are_not_offered_without_notice(self) -> None:
        rules = SlotRules(duration=minutes(30), step=minutes(30))
        now = local(BERLIN, MONDAY, 16, 1)
        assert local_starts(day_slots(schedule(), rules, now=now)) == ["16:30"]

    def test_max_days_ahead_uses_local_dates(self) -> None:
        # 23:30 on Monday in New York is already Tuesday in UTC; the horizon counts from Monday.
        now = datetime(2026, 6, 15, 23, 30, tzinfo=NEW_YORK)
        assert now.astimezone(UTC).date() == date(2026, 6, 16)
        rules = SlotRules(duration=minutes(60), step=minutes(60), max_days_ahead=1)
        slots = day_slots(schedule(), rules, tz=NEW_YORK, now=now, days=5)
        assert {slot.start.astimezone(NEW_YORK).date() for slot in slots} == {date(2026, 6, 16)}
        assert len(slots) == 8

    def test_max_days_ahead_zero_means_today_only(self) -> None:
        now = local(BERLIN, MONDAY, 8)
        rules = SlotRules(duration=minutes(60), step=minutes(60), max_days_ahead=0)
        slots = day_slots(schedule(), rules, now=now, days=3)
        assert {slot.start.astimezone(BERLIN).date() for slot in slots} == {MONDAY}
        assert len(slots) == 8

    def test_max_days_ahead_includes_late_evening_of_the_last_day(self) -> None:
        # The UTC date of 23:00 Berlin is the same day, but 00:30 Berlin is the previous UTC day.
        hours = every_day(time(0, 30), time(23, 59))
        rules = SlotRules(duration=minutes(30), step=minutes(60), max_days_ahead=1)
        now = local(BERLIN, MONDAY, 12)
        slots = day_slots(schedule(hours), rules, now=now, days=4)
        last = slots[-1].start.astimezone(BERLIN)
        assert (last.date(), last.time()) == (MONDAY + timedelta(days=1), time(22, 30))

    def test_max_days_ahead_across_a_midnight_dst_gap(self) -> None:
        # Santiago springs forward at local midnight: 2026-09-05 ends at 23:59 UTC-4 and
        # 2026-09-06 starts at 01:00 UTC-3, both at 04:00 UTC.
        hours = every_day(time(0), time(23, 59))
        rules = SlotRules(duration=minutes(30), step=minutes(60), max_days_ahead=0)
        now = datetime(2026, 9, 5, 10, tzinfo=SANTIAGO)
        sept_5 = date(2026, 9, 5)
        slots = day_slots(schedule(hours), rules, day=sept_5, tz=SANTIAGO, now=now, days=3)
        # 23:00 on the 5th is 03:00 UTC, an hour before the date changes.
        assert slots[-1].start == utc(2026, 9, 6, 3)
        assert local_starts(slots, SANTIAGO) == [f"{h}:00" for h in range(10, 24)]

        rules = SlotRules(duration=minutes(30), step=minutes(60), max_days_ahead=1)
        slots = day_slots(schedule(hours), rules, day=sept_5, tz=SANTIAGO, now=now, days=3)
        sixth = [s.start for s in slots if s.start.astimezone(SANTIAGO).date() == date(2026, 9, 6)]
        # Midnight does not exist that night: 00:00 resolves to 01:00 local = 04:00 UTC.
        assert sixth[0] == utc(2026, 9, 6, 4)
        assert len(sixth) == 23
        assert slots[-1].start.astimezone(SANTIAGO).date() == date(2026, 9, 6)

    def test_window_start_inclusive_end_exclusive(self) -> None:
        rules = SlotRules(duration=minutes(60), step=minutes(30))
        slots = free_slots(
            providers=[schedule()],
            rules=rules,
            tz=BERLIN,
            window_start=local(BERLIN, MONDAY, 10),
            window_end=local(BERLIN, MONDAY, 11, 30),
            now=utc(2020, 1, 1),
        )
        # 11:00 starts inside the window and may end after it; 11:30 is excluded.
        assert local_starts(slots) == ["10:00", "10:30", "11:00"]

    def test_empty_or_inverted_window(self) -> None:
        rules = SlotRules(duration=minutes(30))
        for end_hour in (10, 9):
            assert (
                free_slots(
                    providers=[schedule()],
                    rules=rules,
                    tz=BERLIN,
                    window_start=local(BERLIN, MONDAY, 10),
                    window_end=local(BERLIN, MONDAY, end_hour),
                    now=utc(2020, 1, 1),
                )
                == []
            )

    def test_window_in_another_zone_is_the_same_instants(self) -> None:
        rules = SlotRules(duration=minutes(30))
        in_utc = day_slots(schedule(), rules)
        in_tokyo = free_slots(
            providers=[schedule()],
            rules=rules,
            tz=BERLIN,
            window_start=local(BERLIN, MONDAY, 0).astimezone(ZoneInfo("Asia/Tokyo")),
            window_end=local(BERLIN, MONDAY + timedelta(days=1), 0).astimezone(
                ZoneInfo("Asia/Tokyo")
            ),
            now=utc(2020, 1, 1).astimezone(NEW_YORK),
        )
        assert in_tokyo == in_utc
        assert all(slot.start.tzinfo is UTC for slot in in_tokyo)

    @pytest.mark.parametrize("naive", ["window_start", "window_end", "now"])
    def test_naive_datetimes_raise(self, naive: str) -> None:
        kwargs = {
            "window_start": utc(2026, 6, 15),
            "window_end": utc(2026, 6, 16),
            "now": utc(2026, 6, 1),
        }
        kwargs[naive] = kwargs[naive].replace(tzinfo=None)
        with pytest.raises(ValueError, match="aware"):
            free_slots(
                providers=[schedule()], rules=SlotRules(duration=minutes(30)), tz=BERLIN, **kwargs
            )


# --- several providers -------------------------------------------------------------------


class TestAnyProvider:
    def test_union_lists_every_free_provider(self) -> None:
        early = schedule((WorkingInterval(0, time(9), time(13)),), provider_id=42)
        late = schedule(
            (WorkingInterval(0, time(11), time(17)),),
            blocked=(Interval(local(BERLIN, MONDAY, 14), local(BERLIN, MONDAY, 15)),),
            provider_id=7,
        )
        slots = day_slots([early, late], SlotRules(duration=minutes(60), step=minutes(60)))
        assert [(s.start.astimezone(BERLIN).hour, s.provider_ids) for s in slots] == [
            (9, (42,)),
            (10, (42,)),
            (11, (7, 42)),
            (12, (7, 42)),
            (13, (7,)),
            (15, (7,)),
            (16, (7,)),
        ]

    def test_union_merges_differently_aligned_grids(self) -> None:
        a = schedule((WorkingInterval(0, time(9), time(10)),), provider_id=1)
        b = schedule((WorkingInterval(0, time(9, 15), time(10)),), provider_id=2)
        slots = day_slots([b, a], SlotRules(duration=minutes(30), step=minutes(30)))
        assert [(local_starts([s])[0], s.provider_ids) for s in slots] == [
            ("09:00", (1,)),
            ("09:15", (2,)),
            ("09:30", (1,)),
        ]

    def test_same_provider_passed_twice_is_listed_once(self) -> None:
        slots = day_slots(
            [schedule(), schedule()], SlotRules(duration=minutes(60), step=minutes(60))
        )
        assert len(slots) == 8
        assert {slot.provider_ids for slot in slots} == {(7,)}

    def test_single_provider_result_matches_its_share_of_the_union(self) -> None:
        rules = SlotRules(duration=minutes(45), step=minutes(15))
        a = schedule(
            blocked=(Interval(local(BERLIN, MONDAY, 10), local(BERLIN, MONDAY, 12)),), provider_id=1
        )
        b = schedule((WorkingInterval(0, time(8), time(11)),), provider_id=2)
        union = day_slots([a, b], rules)
        for provider in (a, b):
            alone = [s.start for s in day_slots(provider, rules)]
            shared = [s.start for s in union if provider.provider_id in s.provider_ids]
            assert alone == shared


# --- is_slot_free ------------------------------------------------------------------------


class TestIsSlotFree:
    RULES = SlotRules(duration=minutes(30), step=minutes(15), buffer_after=minutes(10))
    BLOCKED = (Interval(local(BERLIN, MONDAY, 12), local(BERLIN, MONDAY, 13)),)

    def check(self, hour: int, minute: int, now: datetime | None = None) -> bool:
        return is_slot_free(
            provider=schedule(blocked=self.BLOCKED),
            rules=self.RULES,
            tz=BERLIN,
            start=local(BERLIN, MONDAY, hour, minute),
            now=now if now is not None else utc(2020, 1, 1),
        )

    def test_free_grid_start(self) -> None:
        assert self.check(9, 0)
        assert self.check(11, 15)  # occupies until 11:55
        assert self.check(13, 0)

    def test_off_step_start_is_not_free(self) -> None:
        assert not self.check(9, 5)
        assert not self.check(9, 14)

    def test_blocked_or_outside_hours_is_not_free(self) -> None:
        assert not self.check(11, 30)  # buffer reaches 12:10
        assert not self.check(12, 30)
        assert not self.check(8, 45)
        assert not self.check(16, 45)  # would end at 17:15

    def test_min_notice_and_horizon_apply(self) -> None:
        assert not self.check(9, 0, now=local(BERLIN, MONDAY, 9, 1))
        rules = SlotRules(duration=minutes(30), max_days_ahead=2)
        now = local(BERLIN, MONDAY, 8)
        assert is_slot_free(
            provider=schedule(),
            rules=rules,
            tz=BERLIN,
            start=local(BERLIN, MONDAY + timedelta(days=2), 9),
            now=now,
        )
        assert not is_slot_free(
            provider=schedule(),
            rules=rules,
            tz=BERLIN,
            start=local(BERLIN, MONDAY + timedelta(days=3), 9),
            now=now,
        )

    def test_agrees_with_free_slots_for_every_minute_of_the_day(self) -> None:
        provider = schedule(blocked=self.BLOCKED)
        offered = {slot.start for slot in day_slots(provider, self.RULES)}
        start = local(BERLIN, MONDAY, 0)
        for offset in range(24 * 60):
            instant = start + minutes(offset)
            assert is_slot_free(
                provider=provider, rules=self.RULES, tz=BERLIN, start=instant, now=utc(2020, 1, 1)
            ) == (instant in offered)

    def test_sub_minute_start_is_not_free(self) -> None:
        start = local(BERLIN, MONDAY, 9) + timedelta(microseconds=1)
        assert not is_slot_free(
            provider=schedule(), rules=self.RULES, tz=BERLIN, start=start, now=utc(2020, 1, 1)
        )

    def test_naive_start_raises(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            is_slot_free(
                provider=schedule(),
                rules=self.RULES,
                tz=BERLIN,
                start=datetime(2026, 6, 15, 9),
                now=utc(2020, 1, 1),
            )


# --- working_intervals_utc ---------------------------------------------------------------


class TestWorkingIntervalsUtc:
    def test_expands_each_local_date_inclusive(self) -> None:
        hours = (WorkingInterval(0, time(9), time(12)), WorkingInterval(0, time(13), time(17)))
        intervals = working_intervals_utc(hours, BERLIN, MONDAY, MONDAY + timedelta(days=7))
        assert intervals == [
            Interval(utc(2026, 6, 15, 7), utc(2026, 6, 15, 10)),
            Interval(utc(2026, 6, 15, 11), utc(2026, 6, 15, 15)),
            Interval(utc(2026, 6, 22, 7), utc(2026, 6, 22, 10)),
            Interval(utc(2026, 6, 22, 11), utc(2026, 6, 22, 15)),
        ]

    def test_result_is_sorted_whatever_the_input_order(self) -> None:
        hours = (
            WorkingInterval(2, time(13), time(14)),
            WorkingInterval(0, time(13), time(14)),
            WorkingInterval(0, time(8), time(9)),
        )
        intervals = working_intervals_utc(hours, BERLIN, MONDAY, MONDAY + timedelta(days=2))
        assert intervals == sorted(intervals, key=lambda i: i.start)
        assert len(intervals) == 3

    def test_empty_range(self) -> None:
        assert (
            working_intervals_utc(
                every_day(time(9), time(17)), BERLIN, MONDAY, MONDAY - timedelta(days=1)
            )
            == []
        )


# --- DST ---------------------------------------------------------------------------------

# (zone, transition date, UTC hour of 09:00 local the day before, on the day)
DST_DAYS = [
    pytest.param(BERLIN, date(2026, 3, 29), 8, 7, 23, id="berlin-spring"),
    pytest.param(BERLIN, date(2026, 10, 25), 7, 8, 25, id="berlin-fall"),
    pytest.param(NEW_YORK, date(2026, 3, 8), 14, 13, 23, id="new-york-spring"),
    pytest.param(NEW_YORK, date(2026, 11, 1), 13, 14, 25, id="new-york-fall"),
]


class TestDst:
    @pytest.mark.parametrize(("tz", "day", "utc_before", "utc_on", "day_hours"), DST_DAYS)
    def test_daytime_hours_keep_their_wall_clock_times(
        self, tz: ZoneInfo, day: date, utc_before: int, utc_on: int, day_hours: int
    ) -> None:
        # Make sure the scenario really is a transition day.
        assert local(tz, day + timedelta(days=1), 0) - local(tz, day, 0) == timedelta(
            hours=day_hours
        )

        rules = SlotRules(duration=minutes(30), step=minutes(30))
        before = day - timedelta(days=1)
        slots = day_slots(schedule(), rules, day=before, tz=tz, days=3)
        by_day: dict[date, list[Slot]] = {}
        for slot in slots:
            by_day.setdefault(slot.start.astimezone(tz).date(), []).append(slot)

        assert sorted(by_day) == [before, day, day + timedelta(days=1)]
        for slots_of_day in by_day.values():
            # A 23- or 25-hour day still has the same sixteen daytime slots.
            assert len(slots_of_day) == 16
            assert local_starts(slots_of_day, tz)[0] == "09:00"
            assert local_starts(slots_of_day, tz)[-1] == "16:30"
        assert by_day[before][0].start == utc(before.year, before.month, before.day, utc_before)
        assert by_day[day][0].start == utc(day.year, day.month, day.day, utc_on)
        assert by_day[day][-1].start == utc(day.year, day.month, day.day, utc_on + 7, 30)
        assert by_day[day][-1].end == utc(day.year, day.month, day.day, utc_on + 8)

    @pytest.mark.parametrize(
        ("tz", "day", "expected"),
        [
            # 02:00-03:00 does not exist: 01:00 CET .. 04:00 CEST is only two hours.
            pytest.param(
                BERLIN,
                date(2026, 3, 29),
                (utc(2026, 3, 29, 0), utc(2026, 3, 29, 2)),
                id="berlin-spring",
            ),
            # 02:00-03:00 happens twice: 01:00 CEST .. 04:00 CET is four hours.
            pytest.param(
                BERLIN,
                date(2026, 10, 25),
                (utc(2026, 10, 24, 23), utc(2026, 10, 25, 3)),
                id="berlin-fall",
            ),
            pytest.param(
                NEW_YORK,
                date(2026, 3, 8),
                (utc(2026, 3, 8, 6), utc(2026, 3, 8, 8)),
                id="new-york-spring",
            ),
            pytest.param(
                NEW_YORK,
                date(2026, 11, 1),
                (utc(2026, 11, 1, 5), utc(2026, 11, 1, 9)),
                id="new-york-fall",
            ),
        ],
    )
    def test_night_interval_over_the_transition(
        self, tz: ZoneInfo, day: date, expected: tuple[datetime, datetime]
    ) -> None:
        hours = (WorkingInterval(day.weekday(), time(1), time(4)),)
        assert working_intervals_utc(hours, tz, day, day) == [Interval(*expected)]

        rules = SlotRules(duration=minutes(60), step=minutes(60))
        slots = day_slots(schedule(hours), rules, day=day, tz=tz)
        first, last = expected
        expected_starts = []
        while first + minutes(60) <= last:
            expected_starts.append(first)
            first += minutes(60)
        assert [slot.start for slot in slots] == expected_starts

    def test_berlin_fall_back_offers_the_repeated_hour_twice(self) -> None:
        day = date(2026, 10, 25)
        hours = (WorkingInterval(6, time(1), time(4)),)
        slots = day_slots(
            schedule(hours), SlotRules(duration=minutes(60), step=minutes(60)), day=day
        )
        walls = [
            (s.start.astimezone(BERLIN).strftime("%H:%M"), s.start.astimezone(BERLIN).fold)
            for s in slots
        ]
        assert walls == [("01:00", 0), ("02:00", 0), ("02:00", 1), ("03:00", 0)]

    def test_berlin_spring_forward_skips_the_missing_hour(self) -> None:
        day = date(2026, 3, 29)
        hours = (WorkingInterval(6, time(1), time(4)),)
        slots = day_slots(
            schedule(hours), SlotRules(duration=minutes(30), step=minutes(30)), day=day
        )
        assert local_starts(slots) == ["01:00", "01:30", "03:00", "03:30"]

    @pytest.mark.parametrize(
        ("tz", "day", "start", "end", "expected"),
        [
            # Start in the gap moves forward by the gap length: 02:30 -> 03:30 CEST.
            pytest.param(
                BERLIN,
                date(2026, 3, 29),
                time(2, 30),
                time(5),
                [(utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 3))],
                id="berlin-start-in-gap",
            ),
            # End in the gap moves back by it: 02:30 -> 01:30 CET.
            pytest.param(
                BERLIN,
                date(2026, 3, 29),
                time(1),
                time(2, 30),
                [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 0, 30))],
                id="berlin-end-in-gap",
            ),
            # Entirely inside the gap: resolves to end <= start and is dropped.
            pytest.param(
                BERLIN, date(2026, 3, 29), time(2, 15), time(2, 45), [], id="berlin-inside-gap"
            ),
            # First 02:00 (CEST) until the second 02:30 (CET).
            pytest.param(
                BERLIN,
                date(2026, 10, 25),
                time(2),
                time(2, 30),
                [(utc(2026, 10, 25, 0), utc(2026, 10, 25, 1, 30))],
                id="berlin-repeated",
            ),
            # 03:00 itself is not repeated, only 02:00-02:59 is.
            pytest.param(
                BERLIN,
                date(2026, 10, 25),
                time(2, 30),
                time(3),
                [(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2))],
                id="berlin-repeated-start",
            ),
            pytest.param(
                NEW_YORK, date(2026, 3, 8), time(2, 30), time(3, 30), [], id="new-york-gap-to-equal"
            ),
            pytest.param(
                NEW_YORK,
                date(2026, 11, 1),
                time(1),
                time(1, 30),
                [(utc(2026, 11, 1, 5), utc(2026, 11, 1, 6, 30))],
                id="new-york-repeated",
            ),
        ],
    )
    def test_gap_and_repeated_endpoints(
        self,
        tz: ZoneInfo,
        day: date,
        start: time,
        end: time,
        expected: list[tuple[datetime, datetime]],
    ) -> None:
        hours = (WorkingInterval(day.weekday(), start, end),)
        assert working_intervals_utc(hours, tz, day, day) == [Interval(*e) for e in expected]

    def test_fold_on_the_time_objects_is_ignored(self) -> None:
        # The start always resolves with fold=0 and the end with fold=1, whatever was passed in.
        day = date(2026, 10, 25)
        plain = (WorkingInterval(6, time(2), time(2, 30)),)
        folded = (WorkingInterval(6, time(2, fold=1), time(2, 30, fold=0)),)
        assert working_intervals_utc(folded, BERLIN, day, day) == working_intervals_utc(
            plain, BERLIN, day, day
        )

    def test_grid_runs_in_absolute_time_through_the_transition(self) -> None:
        # 00:00-06:00 on the spring-forward night is five real hours; a 90-minute grid keeps
        # its absolute spacing: 00:00 and 01:30 CET, then 04:00 CEST (05:30 would end late).
        day = date(2026, 3, 29)
        hours = (WorkingInterval(6, time(0), time(6)),)
        slots = day_slots(
            schedule(hours), SlotRules(duration=minutes(60), step=minutes(90)), day=day
        )
        assert [s.start for s in slots] == [
            utc(2026, 3, 28, 23),
            utc(2026, 3, 29, 0, 30),
            utc(2026, 3, 29, 2),
        ]
        assert local_starts(slots) == ["00:00", "01:30", "04:00"]
