"""The self-service rules over every combination of flags, deadline, status and time."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from slotwise.bookings.policy import (
    Action,
    BookingFacts,
    SelfServicePolicy,
    allowed_customer_actions,
    change_deadline,
    customer_refusal,
    describe_minutes,
)
from slotwise.core import errors

START = datetime(2030, 6, 10, 10, 0, tzinfo=UTC)
DEADLINES = [0, 60, 1440, 10080]
STATUSES = ["confirmed", "cancelled", "completed", "no_show"]
# Offsets of "now" relative to the deadline and to the start.
MOMENTS = {
    "well before": lambda d: START - timedelta(minutes=d) - timedelta(days=2),
    "exactly at deadline": lambda d: START - timedelta(minutes=d),
    "one second after deadline": lambda d: START - timedelta(minutes=d) + timedelta(seconds=1),
    "at start": lambda d: START,
    "after start": lambda d: START + timedelta(minutes=5),
}


def expected(
    action: Action, allow_c: bool, allow_r: bool, deadline: int, status: str, now: datetime
):
    """The rules as written in docs/guide.md, stated independently of the implementation."""
    permitted = allow_c if action is Action.CANCEL else allow_r
    if not permitted:
        return errors.NotAllowed
    if status != "confirmed":
        return errors.InvalidState
    if now >= START:
        return errors.AlreadyStarted
    if now > START - timedelta(minutes=deadline):
        return errors.ChangeWindowClosed
    return None


CASES = list(
    itertools.product(
        [Action.CANCEL, Action.RESCHEDULE],
        [False, True],
        [False, True],
        DEADLINES,
        STATUSES,
        MOMENTS,
    )
)


@pytest.mark.parametrize(("action", "allow_c", "allow_r", "deadline", "status", "moment"), CASES)
def test_policy_table(action, allow_c, allow_r, deadline, status, moment):
    now = MOMENTS[moment](deadline)
    facts = BookingFacts(
        status=status,
        start=START,
        policy=SelfServicePolicy(allow_c, allow_r, deadline),
    )
    refusal = customer_refusal(action, facts, now)
    want = expected(action, allow_c, allow_r, deadline, status, now)
    if want is None:
        assert refusal is None
        assert action in allowed_customer_actions(facts, now)
    else:
        assert type(refusal) is want
        assert action not in allowed_customer_actions(facts, now)
        assert refusal.message  # every refusal explains itself


def test_table_reaches_every_answer_for_both_actions():
    """The table above is only as good as its rows: for each action, some row must get each
    answer (allowed, and every refusal in the order the rules check them), so a change to
    DEADLINES, STATUSES or MOMENTS that stops exercising a rule fails here."""
    for action in Action:
        answers = set()
        for case_action, allow_c, allow_r, deadline, status, moment in CASES:
            if case_action is action:
                facts = BookingFacts(
                    status=status, start=START, policy=SelfServicePolicy(allow_c, allow_r, deadline)
                )
                refusal = customer_refusal(action, facts, MOMENTS[moment](deadline))
                answers.add(None if refusal is None else type(refusal))
        assert answers == {
            None,
            errors.NotAllowed,
            errors.InvalidState,
            errors.AlreadyStarted,
            errors.ChangeWindowClosed,
        }, action


@pytest.mark.parametrize(
    ("limit", "count", "allowed"), [(None, 5, True), (1, 0, True), (1, 1, False), (0, 0, False)]
)
def test_reschedule_cap_counts_per_booking(limit, count, allowed):
    facts = BookingFacts(
        status="confirmed",
        start=START,
        reschedule_count=count,
        policy=SelfServicePolicy(True, True, 60, max_reschedules=limit),
    )
    now = START - timedelta(days=1)
    refusal = customer_refusal(Action.RESCHEDULE, facts, now)
    assert (refusal is None) is allowed
    if not allowed:
        assert refusal.code == "reschedule_limit_reached"
    # The cap never limits cancelling.
    assert customer_refusal(Action.CANCEL, facts, now) is None


def test_deadline_is_absolute_time_across_dst():
    """A 24-hour window closes 24 real hours before, even when the clocks change in between."""
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2030, 3, 31, 10, 0, tzinfo=berlin)  # the day after the spring change
    facts = BookingFacts("confirmed", start, SelfServicePolicy(True, False, 1440))
    deadline = change_deadline(facts)
    assert start.astimezone(UTC) - deadline == timedelta(hours=24)
    assert deadline.astimezone(berlin).hour == 9  # 09:00 local: the night had 23 hours
    assert customer_refusal(Action.CANCEL, facts, deadline) is None
    assert customer_refusal(Action.CANCEL, facts, deadline + timedelta(microseconds=1)) is not None


def test_policy_is_off_by_default():
    facts = BookingFacts("confirmed", START, SelfServicePolicy.off())
    assert allowed_customer_actions(facts, START - timedelta(days=30)) == []


def test_negative_deadline_is_refused():
    with pytest.raises(errors.InvalidInput):
        SelfServicePolicy(True, True, -5)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "the start"),
        (60, "1 hour"),
        (120, "2 hours"),
        (1440, "24 hours"),
        (2880, "48 hours"),
        (4320, "3 days"),
        (10080, "7 days"),
        (1500, "25 hours"),
        (90, "90 minutes"),
    ],
)
def test_describe_minutes(minutes, text):
    assert describe_minutes(minutes) == text
