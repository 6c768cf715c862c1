"""The scheduler sweeps when the next timer falls due, not on a fixed beat: with an hour between its
regular looks, a timer due in a few seconds still fires within seconds (the index tells it when), and on
PostgreSQL a step that writes a timer due soon wakes it (NOTIFY). These tests run the real background
scheduler against a clock that runs like the wall clock."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from helpers import chef_data, complete, open_task, report
from sqlalchemy import select

from app import clock as app_clock
from app.extensions import db
from app.models import Timer
from app.scheduler import start_background

REGULAR_LOOK = 3600  # seconds: what the scheduler would wait without waking at the next due time


class RunningClock:
    """The application clock, started at `start` and running with the wall clock."""

    def __init__(self, start: datetime):
        self.offset = start - app_clock.utc_now()

    def __call__(self) -> datetime:
        return app_clock.utc_now() + self.offset


@pytest.fixture
def scheduler(app):
    app.config["SCHEDULER_INTERVAL_SECONDS"] = REGULAR_LOOK
    running = []

    def start():
        db.session.commit()  # the scheduler works in its own session: let it see the test's rows
        running.append(start_background(app))
        return running[-1]

    yield start
    for each in running:
        each.shutdown(wait=True)
    stop = app.extensions.get("kf_timer_listener_stop")
    if stop is not None:
        stop.set()


def wait_until_fired(timer_id: int, seconds: float = 60) -> Timer:
    give_up = time.monotonic() + seconds
    while True:
        db.session.rollback()
        timer = db.session.get(Timer, timer_id)
        db.session.refresh(timer)
        if timer.state != "waiting" or time.monotonic() > give_up:
            return timer
        time.sleep(0.2)


def test_the_scheduler_wakes_when_the_next_timer_falls_due(app, user, clock, scheduler):
    case = report(user("anna"))
    timer = db.session.scalar(select(Timer).where(Timer.case_id == case.id, Timer.state == "waiting"))
    app.config["CLOCK"] = RunningClock(timer.due_at - timedelta(seconds=3))
    scheduler()
    fired = wait_until_fired(timer.id)
    assert fired.state == "fired"  # long before the regular look an hour later
    assert open_task(case, "eskalering_uppfoljning").unit.code == "AOSB"


def test_a_step_writing_a_timer_due_soon_wakes_the_scheduler(app, user, clock, scheduler, pg_only):
    case = report(user("anna"))
    # Late in the day: a follow-up date of today falls due at the end of this Swedish day, in seconds.
    end_of_day = app_clock.end_of_local_day(app_clock.to_local(clock()).date())
    app.config["CLOCK"] = RunningClock(end_of_day - timedelta(seconds=8))
    scheduler()
    time.sleep(1)  # the first sweep (nothing due) has run: the scheduler now waits for the regular look
    complete(user("ec_hg"), case, "chef_uppfoljning",
             chef_data(follow_up_on=app_clock.today().isoformat()))
    timer = db.session.scalar(select(Timer).where(Timer.case_id == case.id, Timer.state == "waiting",
                                                  Timer.due_at <= end_of_day))
    fired = wait_until_fired(timer.id)
    assert fired.state == "fired"
