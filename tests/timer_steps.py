"""Running the timer sweep the way the scheduler does, for the timer, mail and utredning tests."""
from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from app.extensions import db
from app.scheduler import _add_job


def sweep(app) -> int:
    """Run the APScheduler job's own function once (its own app context and session, as in the
    scheduler process), then look at the database afresh. Returns how many timers fired."""
    db.session.rollback()
    scheduler = BackgroundScheduler(timezone="UTC")  # never started: we only take its job
    job = _add_job(scheduler, app)
    fired = job.func(*job.args, **job.kwargs)
    db.session.rollback()
    db.session.expire_all()
    return fired
