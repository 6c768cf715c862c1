"""Service-task behaviour, registered by name. A diagram's serviceTask names a handler through
`spiff:serviceTaskOperator id="..."`; the handler gets (context, task_data, **parameters) and returns a
JSON-friendly value that lands in the task's result variable.

The registry lives in the engine so that the engine never imports the handlers (they sit above it and
use the domain services): the modules of app/handlers register themselves with `@handler` when
imported, which the application factory does once."""
from __future__ import annotations

from collections.abc import Callable

_HANDLERS: dict[str, Callable] = {}


def handler(name: str):
    def register(fn: Callable) -> Callable:
        if name in _HANDLERS and _HANDLERS[name] is not fn:
            raise ValueError(f"handler '{name}' registered twice")
        _HANDLERS[name] = fn
        return fn

    return register


def get_handler(name: str) -> Callable:
    try:
        return _HANDLERS[name]
    except KeyError:
        raise LookupError(f"ingen tjänst med namnet '{name}'") from None


def registered_names() -> list[str]:
    return sorted(_HANDLERS)
