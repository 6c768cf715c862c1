"""APScheduler runs the timer sweep. In development the web process runs it in the background; in
production `flask --app app scheduler run` is its own process (README).

The sweep runs when the next timer falls due, not on a fixed beat: after each sweep the job is moved
to the earliest due_at (an index look-up, services.timers.next_due), at the latest
SCHEDULER_INTERVAL_SECONDS later (the regular look, which also opens the quarterly IVO report). On
PostgreSQL a step that writes a timer due before then says so with NOTIFY (app.engine TIMER_CHANNEL),
and a listening thread moves the job forward; on SQLite such a timer waits for the regular look.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
from datetime import datetime, timedelta

import click
import psycopg
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask.cli import AppGroup, ScriptInfo, pass_script_info
from sqlalchemy.engine import make_url

from app import clock
from app.engine import TIMER_CHANNEL
from app.extensions import db
from app.services import operations
from app.services.timers import next_due, run_due

log = logging.getLogger(__name__)

scheduler_cli = AppGroup("scheduler", help="Tidsstyrning.")


@scheduler_cli.command("run")
@pass_script_info
def scheduler_run(info: ScriptInfo):
    """Kör tidsstyrningen som en egen process (produktion)."""
    click.echo("Tidsstyrningen körs; avsluta med Ctrl+C.")
    run_blocking(info.load_app())  # the application itself (loaded once): each sweep pushes its own context


JOB_ID = "timers"


def _sweep(app) -> int:
    """The job: one sweep of due timers (and the mail they queued). Returns how many fired, and leaves
    the moment of the next due timer in app.extensions["kf_next_timer"] for the rescheduling."""
    with app.app_context():
        try:
            fired = run_due()
            if fired:
                log.info("fired %s timers", fired)
            return fired
        except Exception:  # the job must survive a bad sweep; the next one retries
            log.exception("timer sweep failed")
            return 0
        finally:
            app.extensions["kf_next_timer"] = _next_due_or_none()
            _beat()


def _beat() -> None:
    try:
        operations.beat(JOB_ID)  # /healthz reads how long ago the sweep last ran
    except Exception:  # the database is away: /healthz says so itself
        db.session.rollback()
        log.exception("could not record the scheduler's heartbeat")


def _next_due_or_none() -> datetime | None:
    try:
        return next_due()
    except Exception:  # the database is away: the regular look comes anyway
        log.exception("could not read the next due timer")
        return None


def _add_job(scheduler, app):
    # First run at once: timers that came due while nothing ran fire at start-up. One sweep at a time
    # per process (max_instances); missed runs collapse into one (coalesce) and are never dropped for
    # being late (misfire_grace_time=None: a busy machine delays a sweep, it must not skip it).
    job = scheduler.add_job(_sweep, "interval", args=[app], seconds=int(app.config["SCHEDULER_INTERVAL_SECONDS"]),
                            id=JOB_ID, max_instances=1, coalesce=True, misfire_grace_time=None,
                            next_run_time=clock.utc_now())
    scheduler.add_listener(lambda event: _after_sweep(scheduler, app, event), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    return job


def _after_sweep(scheduler: BaseScheduler, app, event) -> None:
    if event.job_id == JOB_ID and scheduler.state != STATE_STOPPED:
        # A NOTIFY that came while the sweep ran may have found the job busy (that run is skipped): it counts too.
        moments = [app.extensions.get("kf_next_timer"), app.extensions.pop("kf_notified_timer", None)]
        due = min((m for m in moments if m is not None), default=None)
        # Not in this thread, which is the executor's: a shutdown holds the job store's lock while it waits
        # for the executor's threads, and wake_at needs that lock (both would wait for ever).
        threading.Thread(target=_wake_after_sweep, args=(scheduler, app, due), name="kf-timer-wake",
                         daemon=True).start()


def _wake_after_sweep(scheduler: BaseScheduler, app, due: datetime | None) -> None:
    try:
        wake_at(scheduler, app, due)
    except Exception:  # noqa: BLE001 - the regular look still comes; a stopped scheduler needs no wake-up
        if scheduler.state != STATE_STOPPED:
            log.exception("could not move the sweep to the next due timer")


def wake_at(scheduler: BaseScheduler, app, due: datetime | None) -> None:
    """Move the sweep to `due` (an instant on the application clock) if that is before its next run."""
    job = scheduler.get_job(JOB_ID)
    if due is None or job is None or job.next_run_time is None:
        return
    with app.app_context():  # the application clock may run apart from the wall clock (tests, demo)
        delay = max((due - clock.now()).total_seconds(), 0.0)
    run_at = clock.utc_now() + timedelta(seconds=delay)
    if run_at < job.next_run_time:
        scheduler.modify_job(JOB_ID, next_run_time=run_at)


def _listen(scheduler: BaseScheduler, app, stop: threading.Event) -> None:
    """PostgreSQL: wait for NOTIFY on TIMER_CHANNEL (a step wrote a timer due soon) and move the sweep
    forward to it. Reconnects after an error; ends with the scheduler."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    while not stop.is_set():
        try:
            with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
                conn.execute(f"LISTEN {TIMER_CHANNEL}")
                while not stop.is_set():
                    for note in conn.notifies(timeout=5):
                        due = _moment(note.payload)
                        if due is not None:
                            earlier = app.extensions.get("kf_notified_timer")
                            app.extensions["kf_notified_timer"] = min(due, earlier) if earlier else due
                            wake_at(scheduler, app, due)
        except Exception:  # noqa: BLE001 - logged; the regular look still runs meanwhile
            log.exception("listening for timers failed; trying again")
            stop.wait(5)


def _moment(payload: str) -> datetime | None:
    try:
        return clock.as_utc(datetime.fromisoformat(payload))
    except ValueError:
        return None


def _start_listener(scheduler: BaseScheduler, app) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
    stop = threading.Event()
    thread = threading.Thread(target=_listen, args=(scheduler, app, stop), name="kf-timer-listen", daemon=True)
    thread.start()
    app.extensions["kf_timer_listener_stop"] = stop


def start_background(app) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_job(scheduler, app)
    scheduler.start()
    _start_listener(scheduler, app)
    return scheduler


def run_blocking(app) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    _add_job(scheduler, app)
    _start_listener(scheduler, app)  # a daemon thread: it waits on the database while the scheduler blocks
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
