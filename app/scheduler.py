"""APScheduler runs the timer sweep. In development the web process runs it in the background; in
production `flask --app app scheduler run` is its own process (README)."""
from __future__ import annotations

import logging
import os
import sys

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger(__name__)


def _sweep(app) -> int:
    """The job: one sweep of due timers (and the mail they queued). Returns how many fired."""
    from app.services.timers import run_due

    with app.app_context():
        try:
            fired = run_due()
            if fired:
                log.info("fired %s timers", fired)
            return fired
        except Exception:  # the job must survive a bad sweep; the next one retries
            log.exception("timer sweep failed")
            return 0


def _add_job(scheduler, app):
    from app import clock

    # First run at once: timers that came due while nothing ran fire at start-up. One sweep at a time
    # per process (max_instances); missed runs collapse into one (coalesce).
    return scheduler.add_job(_sweep, "interval", args=[app], seconds=int(app.config["SCHEDULER_INTERVAL_SECONDS"]),
                             id="timers", max_instances=1, coalesce=True, next_run_time=clock.utc_now())


def start_background(app) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_job(scheduler, app)
    scheduler.start()
    return scheduler


def run_blocking(app) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    _add_job(scheduler, app)
    scheduler.start()


def serving_web() -> bool:
    """True under `flask run` and gunicorn; false for the other commands (db upgrade, demo load, ...)."""
    program = os.path.basename(sys.argv[0]) if sys.argv else ""
    return "gunicorn" in program or (program == "flask" and "run" in sys.argv[1:])
