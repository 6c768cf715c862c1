"""Service-task behaviour, registered by name in the engine's registry (app.engine.registry).
Importing this package imports every handler module, which registers its handlers; the application
factory does that once."""
from app.handlers import (  # noqa: F401
    avvikelse,
    ej_verkstallt,
    kontrollplan,
    lex_maria,
    monster,
    notify,
    pdca,
    utredning,
)
