"""Forms of the staff tools: a provider's week of working hours, time off as a date range, and
a booking's notes. They parse and label input; catalog's services and the booking actions keep
the rules (and check them again)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from slotwise.backoffice.forms import TimeInput, local_datetime
from slotwise.bookings.actions.notes import NOTES_MAX_LENGTH
from slotwise.catalog.models import WorkingHours

#: Ranges one day can hold in the form (a split shift with two breaks is four).
MAX_RANGES = 6
WEEKDAYS = list(WorkingHours.Weekday)
#: The days "copy Monday" fills.
COPY_TO = (1, 2, 3, 4)


def _key(day: int, index: int, edge: str) -> str:
    return f"d{day}-{index}-{edge}"


def _count(data: Mapping[str, Any], day: int) -> int:
    try:
        value = int(data.get(f"d{day}-count", 0))
    except (TypeError, ValueError):
        return 0
    return max(0, min(value, MAX_RANGES))


class WeekHoursForm(forms.Form):
    """A provider's weekly hours: per weekday, zero (closed) or more time ranges.

    The number of ranges a day shows travels in hidden ``d<day>-count`` fields, so adding and
    removing a range works without JavaScript (``edit_week`` rewrites the posted data).
    """

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        hours: Iterable[tuple[int, time, time]] = (),
    ) -> None:
        initial: dict[str, Any] = {}
        counts = dict.fromkeys(range(7), 0)
        for day, start, end in sorted(hours):
            index = counts[day]
            initial[_key(day, index, "start")] = start
            initial[_key(day, index, "end")] = end
            counts[day] = index + 1
        if data is not None:
            counts = {day: _count(data, day) for day in range(7)}
        super().__init__(data, initial=initial, auto_id="hours_%s")
        self.counts = counts
        self.day_errors: dict[int, list[str]] = {}
        self.intervals: list[tuple[int, time, time]] = []
        for day in range(7):
            self.fields[f"d{day}-count"] = forms.IntegerField(
                required=False, widget=forms.HiddenInput, initial=counts[day]
            )
            for index in range(counts[day]):
                for edge in ("start", "end"):
                    self.fields[_key(day, index, edge)] = forms.TimeField(
                        required=False, widget=TimeInput()
                    )

    def clean(self) -> dict[str, Any]:
        """Check each day on its own: both ends given, end after start, no overlaps."""
        data = super().clean() or {}
        for day in range(7):
            problems: list[str] = []
            ranges: list[tuple[time, time]] = []
            for index in range(self.counts[day]):
                names = (_key(day, index, "start"), _key(day, index, "end"))
                if any(name in self.errors for name in names):
                    problems.append(
                        _("Range %(n)d: enter times as hours and minutes, e.g. 09:30.")
                        % {"n": index + 1}
                    )
                    continue
                start, end = data.get(names[0]), data.get(names[1])
                if start is None and end is None:
                    continue  # an empty range is left out
                if start is None or end is None:
                    problems.append(
                        _("Range %(n)d: give both a start and an end time, or leave both empty.")
                        % {"n": index + 1}
                    )
                elif end <= start:
                    problems.append(
                        _(
                            "%(start)s–%(end)s: the end must be after the start "
                            "(no crossing midnight)."
                        )
                        % {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
                    )
                else:
                    ranges.append((start, end))
            ranges.sort()
            for (s1, e1), (s2, e2) in pairwise(ranges):
                if s2 < e1:
                    problems.append(
                        _("%(a)s and %(b)s overlap.")
                        % {"a": f"{s1:%H:%M}–{e1:%H:%M}", "b": f"{s2:%H:%M}–{e2:%H:%M}"}
                    )
            if problems:
                self.day_errors[day] = problems
            self.intervals.extend((day, s, e) for s, e in ranges)
        if self.day_errors:
            raise forms.ValidationError(_("Some days need fixing; nothing was saved."), code="days")
        return data

    def days(self) -> list[dict[str, Any]]:
        """What the template shows: per weekday its label, its ranges' inputs and errors."""
        if self.is_bound:
            self.errors  # noqa: B018 - runs the checks once, filling day_errors
        rows = []
        for weekday in WEEKDAYS:
            day = int(weekday)
            errors = self.day_errors.get(day, [])
            error_id = f"hours_d{day}_errors"
            ranges = []
            for index in range(self.counts[day]):
                inputs: dict[str, SafeString] = {}
                for edge, word in (("start", _("from")), ("end", _("until"))):
                    bound = self[_key(day, index, edge)]
                    attrs: dict[str, Any] = {}
                    if errors:
                        attrs = {"aria-invalid": "true", "aria-describedby": error_id}
                    label = _("%(day)s, range %(n)d, %(edge)s") % {
                        "day": weekday.label,
                        "n": index + 1,
                        "edge": word,
                    }
                    inputs[edge] = format_html(
                        '<label class="visually-hidden" for="{}">{}</label>{}',
                        bound.id_for_label,
                        label,
                        bound.as_widget(attrs=attrs),
                    )
                ranges.append(
                    {
                        "index": index,
                        "number": index + 1,
                        "start_value": self[_key(day, index, "start")].value(),
                        "end_value": self[_key(day, index, "end")].value(),
                        **inputs,
                    }
                )
            rows.append(
                {
                    "day": day,
                    "label": weekday.label,
                    "count_field": self[f"d{day}-count"],
                    "ranges": ranges,
                    "errors": errors,
                    "error_id": error_id,
                    "can_add": self.counts[day] < MAX_RANGES,
                }
            )
        return rows


def edit_week(data: Mapping[str, Any], action: str) -> dict[str, Any] | None:
    """The posted week after one editing button ("add-<day>", "remove-<day>-<n>",
    "copy-monday"), or None when ``action`` is not one of them (it is a save)."""
    week: dict[str, Any] = {}
    counts = {day: _count(data, day) for day in range(7)}
    for day in range(7):
        for index in range(counts[day]):
            for edge in ("start", "end"):
                week[_key(day, index, edge)] = data.get(_key(day, index, edge), "")
    parts = action.split("-")
    try:
        if parts[0] == "add" and len(parts) == 2:
            day = int(parts[1])
            if 0 <= day <= 6 and counts[day] < MAX_RANGES:
                week[_key(day, counts[day], "start")] = ""
                week[_key(day, counts[day], "end")] = ""
                counts[day] += 1
        elif parts[0] == "remove" and len(parts) == 3:
            day, gone = int(parts[1]), int(parts[2])
            if 0 <= day <= 6 and 0 <= gone < counts[day]:
                for index in range(gone, counts[day] - 1):
                    for edge in ("start", "end"):
                        week[_key(day, index, edge)] = week[_key(day, index + 1, edge)]
                for edge in ("start", "end"):
                    week.pop(_key(day, counts[day] - 1, edge), None)
                counts[day] -= 1
        elif action == "copy-monday":
            for day in COPY_TO:
                for index in range(counts[day]):
                    for edge in ("start", "end"):
                        week.pop(_key(day, index, edge), None)
                for index in range(counts[0]):
                    for edge in ("start", "end"):
                        week[_key(day, index, edge)] = week[_key(0, index, edge)]
                counts[day] = counts[0]
        else:
            return None
    except ValueError:
        return None
    week.update({f"d{day}-count": str(counts[day]) for day in range(7)})
    return week


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class TimeOffRangeForm(forms.Form):
    """Time off as one range, from a date and time until a date and time (business zone)."""

    start = forms.DateTimeField(
        label=gettext_lazy("From"),
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"required": gettext_lazy("Give the day and time the time off starts.")},
    )
    end = forms.DateTimeField(
        label=gettext_lazy("Until"),
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"required": gettext_lazy("Give the day and time the time off ends.")},
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=200)

    def __init__(self, *args: Any, tz: ZoneInfo, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.now = now

    def _local(self, name: str) -> datetime | None:
        value = self.cleaned_data.get(name)
        if value is None:
            return None
        naive = value.replace(tzinfo=None)
        try:
            return local_datetime(naive.date(), naive.time(), self.tz)
        except forms.ValidationError as exc:
            self.add_error(name, exc)
            return None

    def clean(self) -> dict[str, Any]:
        """``start`` and ``end`` become instants in the business's zone, end after start,
        and the period must not be over already."""
        data = super().clean() or {}
        start, end = self._local("start"), self._local("end")
        if start is not None and end is not None:
            if end <= start:
                self.add_error("end", _("“Until” must be after “From”."))
            elif end <= self.now:
                self.add_error("end", _("This period is already over; time off is for the future."))
            else:
                data["start"], data["end"] = start, end
        return data


class NotesForm(forms.Form):
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("For staff only: the customer never sees these notes."),
    )
