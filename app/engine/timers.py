"""Timer event definitions that read the application clock.

SpiffWorkflow's own timer definitions call datetime.now(timezone.utc) themselves; these subclasses
replace that with app.clock.now() so deadlines, tests with a controlled clock and the catch-up after
downtime all see one time. The spec library swaps the parsed definitions for these classes, and the
serializer knows them by name.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from app import clock


def _value_to_iso(value) -> str:
    """Timer expressions may hand back a datetime (from our `deadline()` helper) or a string."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class ClockTimeDateEventDefinition(TimeDateEventDefinition):
    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = _value_to_iso(my_task.workflow.script_engine.evaluate(my_task, self.expression))
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.parse_time_or_duration(event_value) <= clock.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockDurationTimerEventDefinition(DurationTimerEventDefinition):
    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed = TimerEventDefinition.parse_iso_duration(expression)
            start = clock.now()
            event_value = (start + TimerEventDefinition.get_timedelta_from_start(parsed, start)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.get_datetime(event_value) <= clock.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockCycleTimerEventDefinition(CycleTimerEventDefinition):
    def cycle_complete(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = self._parse_cycle(expression)
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= clock.now():
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready

    @staticmethod
    def _parse_cycle(expression):
        components = expression.upper().replace("--", "/").strip("R").split("/")
        if len(components) == 2 and components[1].startswith("P"):
            # "R/P1D": no start given, so the first event is one interval from now (our clock).
            cycles = int(components[0]) if components[0] else -1
            start = clock.now()
            duration = TimerEventDefinition.get_timedelta_from_start(
                TimerEventDefinition.parse_iso_duration(components[1]), start
            )
            return cycles, start + duration, duration
        return TimerEventDefinition.parse_iso_recurring_interval(expression)


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
