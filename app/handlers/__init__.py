"""Service-task behaviour, registered by name. A diagram's serviceTask names a handler through
`spiff:serviceTaskOperator id="..."`; the handler gets (context, task_data, **parameters) and returns a
JSON-friendly value that lands in the task's result variable."""
from __future__ import annotations

import importlib
from collections.abc import Callable

_HANDLERS: dict[str, Callable] = {}
_MODULES = ("notify", "ej_verkstallt", "pdca", "monster", "utredning")
_loaded = False


def handler(name: str):
    def register(fn: Callable) -> Callable:
        if name in _HANDLERS and _HANDLERS[name] is not fn:
            raise ValueError(f"handler '{name}' registered twice")
        _HANDLERS[name] = fn
        return fn

    return register


def _load_modules() -> None:
    global _loaded
    if not _loaded:
        for module in _MODULES:
            importlib.import_module(f"app.handlers.{module}")
        _loaded = True


def get_handler(name: str) -> Callable:
    _load_modules()
    try:
        return _HANDLERS[name]
    except KeyError:
        raise LookupError(f"ingen tjänst med namnet '{name}'") from None


def registered_names() -> list[str]:
    _load_modules()
    return sorted(_HANDLERS)
