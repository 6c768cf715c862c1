"""The script engine given to every workflow: expressions see task data plus a few helpers, and
service tasks call the handlers registered by name (app.engine.registry)."""
from __future__ import annotations

import ast
import copy
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from flask import current_app
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from app import clock
from app.config import deadline_length
from app.engine.registry import get_handler


@dataclass
class HandlerContext:
    """What a service-task handler may touch: the case and instance rows, and who acted."""

    case: object
    instance: object
    actor: object | None
    audit: list = field(default_factory=list)


def deadline(setting: str, start: str | None = None) -> str:
    """The end of the Swedish calendar day `N` days after `start` (default: now), where N is the
    configuration value `setting`. Returned as an aware ISO timestamp for a timeDate timer."""
    days = deadline_length(current_app.config, setting)
    return deadline_on(_start_day(start) + timedelta(days=days))


def deadline_months(setting: str, start: str | None = None, *, next_day: bool = False) -> str:
    """The end of the Swedish calendar day `N` calendar months after `start` (default: now), where N is
    the configuration value `setting`; a day the month lacks becomes its last day (app.clock.add_months).
    With next_day, the first moment of the day after instead: when something not done by the deadline
    becomes late (an ej verkställt beslut is reportable from then). An aware ISO timestamp."""
    last_day = clock.add_months(_start_day(start), deadline_length(current_app.config, setting))
    if next_day:
        return clock.local_midnight(last_day + timedelta(days=1)).isoformat()
    return deadline_on(last_day)


def deadline_on(day: str | date) -> str:
    """The end of a given Swedish calendar day, as an ISO timestamp (a date set in a form)."""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return clock.end_of_local_day(day).isoformat()


def notice_before(setting: str, day: str | date) -> str:
    """The first moment of the Swedish calendar day `N` days before `day`, where N is the configuration
    value `setting`: when a task due on `day` is handed out (a control point's notice). An aware ISO
    timestamp for a timeDate timer; a moment already past fires at once."""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return clock.local_midnight(day - timedelta(days=deadline_length(current_app.config, setting))).isoformat()


def _start_day(start: str | None) -> date:
    return _as_local_date(start) if start else clock.today()


def _as_local_date(value: str) -> date:
    if len(value) == 10:
        return date.fromisoformat(value)
    moment = datetime.fromisoformat(value)
    return clock.to_local(moment).date()


EXPRESSION_GLOBALS = {"deadline": deadline, "deadline_months": deadline_months, "deadline_on": deadline_on,
                      "notice_before": notice_before}


# A diagram's expressions are few and evaluated at every step (gateway conditions, DMN rules): each is
# parsed and compiled once per process, not at every evaluation (about a tenth of a completion's CPU).
_EXPRESSIONS_KEPT = 4096


@lru_cache(maxsize=_EXPRESSIONS_KEPT)
def _compiled(expression: str):
    # "<string>" as eval() names it: SpiffWorkflow finds an error's line by that name.
    return compile(expression, "<string>", "eval")


@lru_cache(maxsize=_EXPRESSIONS_KEPT)
def _syntax_error(expression: str) -> tuple | None:
    try:
        ast.parse(expression)
    except SyntaxError as err:
        return err.args
    return None


class _CompiledExpressions(TaskDataEnvironment):
    def evaluate(self, expression, context, external_context=None):
        # TaskDataEnvironment.evaluate, with the expression compiled once (a non-string as eval takes it).
        scope = copy.copy(self.globals)
        self._prepare_context(context)
        scope.update(external_context or {})
        scope.update(context)
        return eval(_compiled(expression) if isinstance(expression, str) else expression, scope)  # noqa: S307


class CaseScriptEngine(PythonScriptEngine):
    def __init__(self, context: HandlerContext):
        super().__init__(environment=_CompiledExpressions(dict(EXPRESSION_GLOBALS)))
        self.context = context

    def validate(self, expression):
        # DMN asks at every rule whether an entry parses as it stands (PythonScriptEngine.validate).
        error = _syntax_error(expression)
        if error is not None:
            raise SyntaxError(*error)

    # The upstream call_service refers to an undefined name on error; this one calls our handlers.
    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        try:
            handler = get_handler(operation_name)
            result = handler(self.context, task.data, **params)
        except Exception as err:
            raise WorkflowTaskException(f"Tjänsteuppgiften '{operation_name}' misslyckades: {err}", task=task,
                                        exception=err) from err
        return json.dumps(result)
