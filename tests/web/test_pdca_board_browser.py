"""The PDCA board in headless Debian chromium: ec_hg starts a cycle from a deviation's case page, plans
it on the task page, and the board shows it by phase per unit and verksamhetsområde, with an overdue
cycle marked and goal met or not per turn. Uses the shared live server (tests/web/conftest.py)."""
from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from helpers import complete, plan, report, start_pdca

from app import clock as app_clock
from app.extensions import db
from app.services import timers

sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")
expect = sync_api.expect
SHOTS = os.environ.get("KF_SCREENSHOTS")


def test_the_board_shows_cycles_by_phase_overdue_and_goal_per_turn(page, login, user, clock):
    anna, ec_sr = user("anna"), user("ec_sr")
    deviation = report(anna, category="lakemedel")
    # In SR: one cycle on its second turn (turn 1 missed its goal), one whose follow-up date has passed.
    looped = start_pdca(ec_sr, unit="SR", title="Färre fall nattetid")
    complete(ec_sr, looped, "planera", plan("ec_sr", 30))
    complete(ec_sr, looped, "genomfora", {"notes": "n"})
    complete(ec_sr, looped, "folja_upp", {"result": "r", "goal_met": False})
    complete(ec_sr, looped, "forbattra", {"decision": "ny_cykel"})
    late = start_pdca(ec_sr, unit="SR", title="Bättre överlämning")
    complete(ec_sr, late, "planera", plan("ec_sr", 2))
    clock.advance(days=3)
    db.session.rollback()
    assert timers.run_due() == 1
    db.session.expire_all()

    # ec_hg starts a cycle from the deviation's case page.
    login(page, "ec_hg")
    page.goto(f"/arenden/{deviation.id}")
    page.get_by_role("link", name="Starta förbättringsarbete").click()
    expect(page.get_by_role("heading", name="Starta förbättringsarbete")).to_be_visible()
    expect(page.get_by_label("Kopplade ärenden")).to_have_value(deviation.number)
    page.get_by_label("Vad ska förbättras?").fill("Säkrare kvällsmedicinering")
    page.get_by_label(re.compile(r"^Mål\b")).fill("Inga missade kvällsdoser under en månad.")
    page.get_by_role("button", name="Starta förbättringsarbete").click()
    expect(page.get_by_role("heading", name="Förbättringsarbete och kopplingar")).to_be_visible()
    expect(page.get_by_role("link", name=deviation.number)).to_be_visible()
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "pdca_case.png"), full_page=True)

    # Plan it on the task page: anna becomes the owner.
    page.get_by_role("link", name="Planera").click()
    page.get_by_label("Plan: vad ska göras?").fill("Dubbelsignering av kvällsmedicin.")
    page.get_by_label("Mått: hur ser vi att målet nås?").fill("Missade doser per vecka.")
    page.get_by_label("Ansvarig (användarnamn)").fill("anna")
    page.get_by_label("Datum för uppföljning").fill((app_clock.today() + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Slutför uppgiften").click()
    expect(page.get_by_text("är slutförd")).to_be_visible()

    page.get_by_role("link", name="Förbättringsarbete").click()
    board = page.locator(".pdca-board")
    genomfora = board.locator("section[data-phase=genomfora]")
    expect(genomfora.get_by_text("Säkrare kvällsmedicinering")).to_be_visible()
    expect(genomfora.get_by_text("Ansvarig: Anna Andersson")).to_be_visible()
    expect(board.get_by_text("Färre fall nattetid")).to_have_count(0)  # ec_hg sees HG only

    # The verksamhetschef sees the whole area, and can narrow it to one unit.
    page.context.clear_cookies()
    login(page, "vc_ao")
    page.goto("/forbattring")
    page.get_by_label("Enhet eller verksamhetsområde").select_option("AOSB")
    page.get_by_role("button", name="Visa").click()
    board = page.locator(".pdca-board")
    planera = board.locator("section[data-phase=planera]")
    card = planera.locator(f"[data-case='{looped.number}']")
    expect(card.get_by_text("Solrosens äldreboende · omgång 2")).to_be_visible()
    expect(card.get_by_text("Omgång 1: målet ej nått")).to_be_visible()
    late_card = board.locator("section[data-phase=genomfora]").locator(f"[data-case='{late.number}']")
    expect(late_card.get_by_text("Försenad")).to_be_visible()
    expect(board.locator("section[data-phase=genomfora]").get_by_text("Säkrare kvällsmedicinering")).to_be_visible()
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "pdca_board.png"), full_page=True)

    page.get_by_label("Enhet eller verksamhetsområde").select_option("HG")
    page.get_by_role("button", name="Visa").click()
    expect(page.locator(".pdca-card")).to_have_count(1)
    expect(page.get_by_text("Säkrare kvällsmedicinering")).to_be_visible()
