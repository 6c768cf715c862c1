"""Timer event definitions that read the application clock.

SpiffWorkflow's own timer definitions read the system clock (UTC now) themselves; these subclasses
replace that with app.clock.now() so deadlines, tests with a controlled clock and the catch-up after
downtime all see one time. The spec library swaps the parsed definitions for these classes, and the
serializer knows them by name.

Two more differences from upstream:
- A timestamp without a zone (a "2026-03-16T00:00:00" literal in a diagram) means Swedish local
  time, not the zone of the server the module happened to be imported on.
- The value a timer waits for is stored as an aware UTC ISO timestamp, which is what the engine
  copies into the timer row's `due_at`.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from app import clock

# The PostgreSQL NOTIFY channel on which a step that wrote a timer due soon wakes the scheduler.
TIMER_CHANNEL = "kf_timers"


def parse_moment(value) -> datetime:
    """An ISO timestamp (or datetime, or date: the end of that Swedish day) as an aware UTC datetime."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return clock.end_of_local_day(value)
    else:
        text = str(value).strip()
        if "W" in text.upper():  # ISO week date: upstream knows how
            return TimerEventDefinition.parse_iso_week(text).astimezone(UTC)
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.LOCAL_TZ)
    return moment.astimezone(UTC)


class ClockTimeDateEventDefinition(TimeDateEventDefinition):
    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            event_value = parse_moment(value).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if parse_moment(event_value) <= clock.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockDurationTimerEventDefinition(DurationTimerEventDefinition):
    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed = TimerEventDefinition.parse_iso_duration(expression)
            # Months and years are counted on the Swedish calendar from the moment the timer starts.
            start = clock.to_local(clock.now())
            due = start + TimerEventDefinition.get_timedelta_from_start(parsed, start)
            event_value = due.astimezone(UTC).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if parse_moment(event_value) <= clock.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockCycleTimerEventDefinition(CycleTimerEventDefinition):
    """`R[n]/start/duration`, `R[n]/duration/end` or `R[n]/duration` (first event one interval from now).

    Each sweep that finds the next occurrence due fires once and moves on one interval, so occurrences
    missed while the system was down each fire, oldest first (the engine saves a new timer row for
    every occurrence)."""

    def cycle_complete(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = parse_cycle(expression)
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_event = parse_moment(event_value["next"])
            if next_event <= clock.now():
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready


def parse_cycle(expression: str):
    """(cycles, first occurrence as aware UTC, interval) of an ISO 8601 repeating interval."""
    components = expression.upper().replace("--", "/").strip().lstrip("R").split("/")
    if len(components) not in (2, 3):
        raise ValueError(f"ogiltigt upprepat intervall: {expression!r}")
    cycles = int(components[0]) if components[0] else -1
    parts = components[1:]
    durations = [p for p in parts if p.startswith("P")]
    moments = [parse_moment(p) for p in parts if not p.startswith("P")]
    if len(durations) != 1 or len(moments) > 1:
        raise ValueError(f"ogiltigt upprepat intervall: {expression!r}")
    parsed = TimerEventDefinition.parse_iso_duration(durations[0])
    if not moments:  # "R/P1D": the first event is one interval from now (our clock)
        start = clock.to_local(clock.now())
        duration = TimerEventDefinition.get_timedelta_from_start(parsed, start)
        return cycles, (start + duration).astimezone(UTC), duration
    if parts[0].startswith("P"):  # "R/P1D/end": counted back from the end
        end = clock.to_local(moments[0])
        duration = TimerEventDefinition.get_timedelta_from_end(parsed, end)
        return cycles, (end - duration).astimezone(UTC), duration
    start = clock.to_local(moments[0])
    return cycles, moments[0], TimerEventDefinition.get_timedelta_from_start(parsed, start)


CLOCK_TIMER_CLASSES = {
    TimeDateEventDefinition: ClockTimeDateEventDefinition,
    DurationTimerEventDefinition: ClockDurationTimerEventDefinition,
    CycleTimerEventDefinition: ClockCycleTimerEventDefinition,
}


def use_clock(event_definition) -> None:
    """Swap a parsed timer definition (or the timers inside a multiple definition) to the clock."""
    cls = CLOCK_TIMER_CLASSES.get(type(event_definition))
    if cls is not None:
        event_definition.__class__ = cls
    for inner in getattr(event_definition, "event_definitions", None) or []:
        use_clock(inner)


def due_of(value) -> datetime | None:
    """The moment a pending timer waits for, from its PendingBpmnEvent value (None: not armed yet)."""
    if isinstance(value, dict):
        if "next" in value:  # a cycle
            return parse_moment(value["next"]) if value.get("cycles") != 0 else None
        for inner in value.values():  # a multiple definition: the earliest of its timers
            due = due_of(inner)
            if due is not None:
                return due
        return None
    if not value:
        return None
    return parse_moment(value)
