"""Helpers shared by the tests (fixtures live in conftest.py): the demo password, a hand-moved clock,
logging in through the login page, an API client with bearer tokens, the process steps driven through
the public domain services (the same ones the web pages and the API use), the timer sweep, and the
year of cases the report tests read."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import event, select

from app import clock
from app.extensions import db
from app.forms import json_to_formdata
from app.models import Case, Task
from app.scheduler import _add_job
from app.services import cases as case_service
from app.services import tasks as task_service
from app.services import timers
from app.services.users import create_token

PASSWORD = "kvalitet2026"  # the demo password (README.md, `demo load`)


class Clock:
    """A clock the tests move by hand; the app reads it through create_app's CLOCK."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **kwargs) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current

    def set(self, value: datetime) -> None:
        self.current = value


# --- the web pages ------------------------------------------------------------------------------

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(page) -> str:
    """The CSRF token of a page (a test-client response or its HTML)."""
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    return TOKEN.search(html).group(1)


def login(client, username: str, password: str = PASSWORD, next_: str | None = None):
    """Log in through the login form; returns the response to the form's POST."""
    query = f"?next={next_}" if next_ is not None else ""
    page = client.get("/login" + query)
    return client.post(
        "/login" + query, data={"username": username, "password": password, "csrf_token": csrf_token(page)}
    )


def logged_in(app, username: str):
    """A test client logged in as `username` through the login form."""
    client = app.test_client()
    assert login(client, username).status_code == 302, f"{username} could not log in"
    return client


# --- the JSON API -------------------------------------------------------------------------------

class Api:
    """The JSON API as a user, with a bearer token per user (created once):
    api("ec_hg").post(path, json=...), api.get("sas", path), api.call("sas", "PUT", path, body)."""

    def __init__(self, app, user):
        self.client = app.test_client()
        self.user = user
        self.tokens: dict[str, str] = {}

    def headers(self, username: str, extra: dict | None = None) -> dict:
        if username not in self.tokens:
            self.tokens[username] = create_token(self.user(username))
        return {"Authorization": f"Bearer {self.tokens[username]}", **(extra or {})}

    def __call__(self, username: str) -> _As:
        return _As(self, username)

    def get(self, username: str, path: str, **kw):
        return self.client.get(path, headers=self.headers(username), **kw)

    def call(self, username: str, method: str, path: str, body=None, **kw):
        headers = self.headers(username, kw.pop("headers", None))
        if body is not None or "data" not in kw:
            kw.setdefault("json", body)
        return self.client.open(path, method=method, headers=headers, **kw)


class _As:
    def __init__(self, api: Api, username: str):
        self.api, self.username = api, username

    def get(self, path, **kw):
        return self.api.client.get(path, headers=self.api.headers(self.username, kw.pop("headers", None)), **kw)

    def post(self, path, **kw):
        return self.api.client.post(path, headers=self.api.headers(self.username, kw.pop("headers", None)), **kw)


# --- tasks and timers ---------------------------------------------------------------------------

def open_tasks(case) -> list[Task]:
    return db.session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "open").order_by(Task.id)).all()


def open_task(case, task_id: str) -> Task:
    rows = [t for t in open_tasks(case) if t.task_id == task_id]
    assert len(rows) == 1, f"expected one open {task_id}, open: {[t.task_id for t in open_tasks(case)]}"
    return rows[0]


def complete(user, case, task_id: str, data: dict) -> Task:
    return task_service.complete(user, open_task(case, task_id).id, json_to_formdata(data), csrf=False)


def task_ids(case) -> list[str]:
    return [t.task_id for t in open_tasks(case)]


def ever_created(case) -> list[str]:
    return db.session.scalars(select(Task.task_id).where(Task.case_id == case.id).order_by(Task.id)).all()


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


def run_due_timers() -> int:
    """Fire the due timers in the test's own session (as `flask timers run-due`); returns how many fired."""
    db.session.rollback()
    fired = timers.run_due()
    db.session.expire_all()
    return fired


# --- avvikelse / lex Sarah ----------------------------------------------------------------------

REPORT = {
    "unit": "HG", "occurred_on": None, "category": "lakemedel",
    "description": "Kvällsmedicinen gavs inte till boende i rum 12.",
    "immediate_actions": "Kontaktade sjuksköterskan; medicinen gavs 21.30.",
    "suspected_lex_sarah": False,
}


def chef_data(**overrides) -> dict:
    data = {"analysis": "Rutinen för signering följdes inte.", "actions": "Genomgång av rutinen på APT.",
            "classification": "avvikelse", "consequence": 2, "likelihood": 2,
            "follow_up_on": (clock.today() + timedelta(days=30)).isoformat(),
            "cause_areas": ["rutiner"]}
    return {**data, **overrides}


def sas_data(**overrides) -> dict:
    data = {"investigation": "Boende lämnades ensam i duschen i 20 minuter.", "causes": "Underbemanning kvällstid.",
            "actions": "Bemanningen ses över 2026-04-01.", "person_informed": True, "documented_in_personakt": True,
            "police_report": False, "assessment": "missforhallande", "assessment_motivation": "Risk för skada."}
    return {**data, **overrides}


IVO_BESLUT = {"notify_ivo": True, "motivation": "Allvarlig brist i omsorgen."}
ATGARD = {"actions_done": True, "notes": "Rutinen är genomgången med all personal."}


def ivo_anmalan_data() -> dict:
    return {"sent_on": clock.today().isoformat(), "ivo_reference": "IVO 3.1.1-12345/2026"}


def report(user, **overrides) -> Case:
    data = {**REPORT, "occurred_on": clock.today().isoformat(), **overrides}
    return case_service.create_case(user, "avvikelse", json_to_formdata(data), csrf=False)


def lex_sarah_to_verification(user, case, *, notify_ivo: bool = True) -> None:
    """chef_uppfoljning (missförhållande) → sas_utredning → ivo_beslut → (ivo_anmalan) → atgardsuppfoljning."""
    complete(
        user("ec_hg"),
        case,
        "chef_uppfoljning",
        chef_data(classification="missforhallande", consequence=3, likelihood=3),
    )
    complete(user("sas"), case, "sas_utredning", sas_data())
    complete(user("chef"), case, "ivo_beslut", {**IVO_BESLUT, "notify_ivo": notify_ivo})
    if notify_ivo:
        complete(user("sas"), case, "ivo_anmalan", ivo_anmalan_data())
    complete(user("ec_hg"), case, "atgardsuppfoljning", ATGARD)


# --- pdca ---------------------------------------------------------------------------------------

def start_pdca(user, **overrides) -> Case:
    data = {"unit": "HG", "title": "Säkrare läkemedelshantering kvällstid",
            "goal": "Inga missade kvällsdoser under en månad.", **overrides}
    return case_service.create_case(user, "pdca", json_to_formdata(data), csrf=False)


def plan(owner="ec_hg", days=30, **overrides) -> dict:
    return {"plan": "Dubbelsignering av kvällsmedicin.", "measure": "Antal missade doser per vecka.",
            "owner": owner, "check_on": (clock.today() + timedelta(days=days)).isoformat(), **overrides}


def statements_of(action, values: list | None = None) -> tuple[list[str], object]:
    """The statements `action` sends (and, into `values`, how many values each binds)."""
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)
        if values is not None:
            values.append(len(parameters or ()))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = action()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return sent, result


# --- a year of cases for the reports --------------------------------------------------------------

REPORTS_DAY0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _at(test_clock, day: int) -> None:
    test_clock.set(REPORTS_DAY0 + timedelta(days=day))


def _klagomal(user, **overrides) -> Case:
    data = {"unit": "HG", "received_on": None, "kind": "klagomal", "channel": "telefon",
            "description": "Anhörig klagar på bemötandet.", "anonymous": True, **overrides}
    return case_service.create_case(user, "klagomal", json_to_formdata(data), csrf=False)


def _utredning(user, **data) -> Case:
    return case_service.create_case(user, "utredning", json_to_formdata({"unit": "BOU", **data}), csrf=False)


def scenario(user, test_clock) -> dict:
    """A small förvaltning's year, built through the services (read by tests/test_reports*.py and the
    statistics browser test).

    2025 (must not count for 2026): HG fall, SR lex Sarah suspicion, a klagomål in HG, and an HG case
    that occurred 2025-12-31 but was reported 2026-01-02 (a year's cases are those that occurred in it).
    2026, reported 2026-03-02 (day 0):
      a1 HG fall            chef day 0, closed day 3
      a2 HG fall (27 Feb)   chef day 0, closed day 10
      a3 HG läkemedel       lex Sarah: missförhållande, notified to IVO day 1, closed day 20
      b1 SR bemötande       chef late on day 16 (deadline day 14), closed day 16
      c1 HTJ larm/telefoni  chef never done (overdue)
      d1 BOU handläggning   chef day 1, action follow-up open (due in 30 days)
      k1 HG klagomål
      u1 BOU barnavårdsutredning started day 0 (in time); u0 started 2025-11-10, past its four months
    The clock ends on day 20 (2026-03-22).
    """
    anna, bertil = user("anna"), user("bertil")
    ec_hg, ec_sr, ec_htj, ec_bou, sas, chef = (user(n) for n in ("ec_hg", "ec_sr", "ec_htj", "ec_bou", "sas", "chef"))
    test_clock.set(datetime(2025, 11, 10, 9, 0, tzinfo=UTC))
    old = [report(anna, category="fall", occurred_on="2025-11-05"),
           report(bertil, unit="SR", category="bemotande", occurred_on="2025-11-01", suspected_lex_sarah=True)]
    _klagomal(anna, received_on="2025-11-10")
    u0 = _utredning(ec_bou, person_ref="BOU-2025-3", received_on="2025-11-10", started_on="2025-11-10")
    test_clock.set(datetime(2026, 1, 2, 9, 0, tzinfo=UTC))
    old.append(report(anna, category="sekretess", occurred_on="2025-12-31"))

    _at(test_clock, 0)
    a1 = report(anna, category="fall", occurred_on="2026-03-01")
    a2 = report(anna, category="fall", occurred_on="2026-02-27")
    a3 = report(anna, category="lakemedel", occurred_on="2026-03-01",
                description="Boende fick fel dos av sin medicin.\nUpptäcktes vid kvällsrundan.")
    b1 = report(bertil, unit="SR", category="bemotande", occurred_on="2026-03-01")
    c1 = report(ec_htj, unit="HTJ", category="larm_telefoni", occurred_on="2026-02-28")
    d1 = report(ec_bou, unit="BOU", category="handlaggning", occurred_on="2026-03-02")
    k1 = _klagomal(anna, received_on="2026-03-02", anonymous=False, contact="Kalle, 070-123")
    u1 = _utredning(ec_bou, person_ref="BOU-2026-1", received_on="2026-03-02", started_on="2026-03-02")
    complete(ec_hg, a1, "chef_uppfoljning", chef_data())
    complete(ec_hg, a2, "chef_uppfoljning", chef_data())
    complete(ec_hg, a3, "chef_uppfoljning", chef_data(classification="missforhallande", consequence=3, likelihood=3))
    _at(test_clock, 1)
    complete(ec_bou, d1, "chef_uppfoljning", chef_data())
    complete(sas, a3, "sas_utredning", sas_data())
    complete(chef, a3, "ivo_beslut", IVO_BESLUT)
    complete(sas, a3, "ivo_anmalan", ivo_anmalan_data())
    _at(test_clock, 3)
    complete(ec_hg, a1, "atgardsuppfoljning", ATGARD)
    _at(test_clock, 10)
    complete(ec_hg, a2, "atgardsuppfoljning", ATGARD)
    _at(test_clock, 16)
    complete(ec_sr, b1, "chef_uppfoljning", chef_data())
    complete(ec_sr, b1, "atgardsuppfoljning", ATGARD)
    _at(test_clock, 20)
    complete(ec_hg, a3, "atgardsuppfoljning", ATGARD)
    complete(sas, a3, "sas_verifiering", {"approved": True})
    return {"old": old, "a1": a1, "a2": a2, "a3": a3, "b1": b1, "c1": c1, "d1": d1, "k1": k1, "u0": u0, "u1": u1}


# --- accessibility in the browser -------------------------------------------------------------------

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations on the page, as "rule: first targets" (empty: none).
    The browser context bypasses the app's CSP so the script can be injected (tests/web/conftest.py)."""
    page.add_script_tag(path=str(AXE))
    return list(page.evaluate("""async () => {
        const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        return r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '));
    }"""))


def assert_accessible(page) -> None:
    """axe-core (WCAG 2.1 A and AA) finds nothing, and at 320 px wide the page does not scroll sideways."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci)")
    problems = axe_violations(page)
    assert problems == [], problems
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 800})
    page.wait_for_function("() => window.innerWidth === 320")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 || e.scrollWidth > e.clientWidth + 1)
        .map(e => `${e.tagName}#${e.id}.${e.className}: ${e.textContent.slice(0, 40)}`).slice(0, 8)""")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), \
        f"{page.url} scrolls sideways at 320 px: {wide}"
    page.set_viewport_size(size)
