"""Service-task behaviour, registered by name in the engine's registry (app.engine.registry).
Importing this package imports every handler module, which registers its handlers; the application
factory does that once."""
from app.handlers import avvikelse, ej_verkstallt, kontrollplan, monster, notify, pdca, utredning  # noqa: F401
