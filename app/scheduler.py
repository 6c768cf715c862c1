"""APScheduler runs the timer sweep. In development the web process runs it in the background; in
production `flask --app app scheduler run` is its own process (README)."""
from __future__ import annotations

import logging
import os
import sys

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask.cli import AppGroup, ScriptInfo, pass_script_info

from app import clock
from app.services.timers import run_due

log = logging.getLogger(__name__)

scheduler_cli = AppGroup("scheduler", help="Tidsstyrning.")


@scheduler_cli.command("run")
@pass_script_info
def scheduler_run(info: ScriptInfo):
    """Kör tidsstyrningen som en egen process (produktion)."""
    click.echo("Tidsstyrningen körs; avsluta med Ctrl+C.")
    run_blocking(info.load_app())  # the application itself (loaded once): each sweep pushes its own context


def _sweep(app) -> int:
    """The job: one sweep of due timers (and the mail they queued). Returns how many fired."""
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
    """True under `flask run` and gunicorn; false for the other commands (db upgrade, demo load, ...).

    `flask run --debug` loads the app twice: in the reloader's watcher process and in the child that
    serves. Only the serving child runs the scheduler."""
    argv = sys.argv or [""]
    program = os.path.basename(argv[0])
    if "gunicorn" in program:
        return True
    is_flask = program == "flask" or argv[0].replace("\\", "/").endswith("flask/__main__.py")
    if not (is_flask and "run" in argv[1:]):
        return False
    args = argv[1:]
    debug = "--debug" in args or os.environ.get("FLASK_DEBUG", "").lower() in ("1", "true", "yes")
    reloading = "--reload" in args or (debug and "--no-reload" not in args)
    return not reloading or os.environ.get("WERKZEUG_RUN_MAIN") == "true"
