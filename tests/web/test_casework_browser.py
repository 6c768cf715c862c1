"""The case page's process view and a task page's decision summary in headless Debian chromium: the
bpmn-js viewer draws the case's diagram with the current task marked, the steps are listed in words, and
the ivo_beslut page shows the SAS assessment above its form. Both pages pass axe-core's WCAG 2.1 A/AA
rules and reflow at 320 px."""
from __future__ import annotations

import os

import pytest
from helpers import assert_accessible, chef_data, complete, open_task, report, sas_data

from app.extensions import db

sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")
expect = sync_api.expect
SHOTS = os.environ.get("KF_SCREENSHOTS")


def test_the_case_page_draws_the_process_with_the_current_task_marked(page, login, user):
    case = report(user("anna"))
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data())
    db.session.commit()
    login(page, "ec_hg")
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(f"/arenden/{case.id}")
    expect(page.locator("#processdiagram[data-rendered=true]")).to_be_attached()
    current = page.locator('.djs-element.diagram-current[data-element-id="atgardsuppfoljning"]')
    expect(current).to_have_count(1)
    expect(page.locator('.djs-element.diagram-done[data-element-id="chef_uppfoljning"]')).to_have_count(1)
    # Not only user tasks: the start event and the gateways passed are marked done too.
    for element in ("start", "gw_lex_sarah"):
        expect(page.locator(f'.djs-element.diagram-done[data-element-id="{element}"]')).to_have_count(1)
    steps = page.get_by_role("navigation", name="Var ärendet står")
    expect(steps.locator('li[aria-current="step"]')).to_have_text("Följ upp åtgärderna")
    assert_accessible(page)
    if SHOTS:
        page.locator("#processdiagram").scroll_into_view_if_needed()
        page.screenshot(path=os.path.join(SHOTS, "arende-processvy.png"), full_page=True)


def test_the_ivo_decision_page_shows_what_the_decision_rests_on(page, login, user):
    case = report(user("anna"), suspected_lex_sarah=True)
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="missforhallande"))
    complete(user("sas"), case, "sas_utredning", sas_data(assessment_motivation="Risk för allvarlig skada."))
    task = open_task(case, "ivo_beslut")
    db.session.commit()
    login(page, "chef")
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(f"/uppgifter/{task.id}")
    summary = page.locator("h3", has_text="Beslutsunderlag").locator("xpath=following-sibling::dl[1]")
    expect(summary).to_contain_text("Risk för allvarlig skada.")
    expect(summary).to_contain_text("Allvarlighetsgrad")
    assert_accessible(page)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "uppgift-beslutsunderlag.png"), full_page=True)


def test_a_chef_names_a_substitute_and_ends_the_period(page, login, user):
    login(page, "ec_hg")
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto("/")
    page.get_by_role("link", name="Ersättare").click()
    expect(page.get_by_role("heading", name="Ersättare", exact=True)).to_be_visible()
    page.locator("select#substitute").select_option("ec_sr")
    page.get_by_label("Från och med").fill("2026-03-10")
    page.get_by_label("Till och med").fill("2026-03-02")
    page.get_by_role("button", name="Utse ersättare").click()
    expect(page.get_by_text("Perioden kan inte sluta innan den börjar.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Till och med").fill("2099-03-20")
    page.get_by_role("button", name="Utse ersättare").click()
    row = page.get_by_role("row").filter(has_text="Stefan Rosén")
    expect(row).to_contain_text("2099-03-20")
    assert_accessible(page)
    row.get_by_role("button", name="Avsluta").click()
    expect(page.get_by_text("Inga pågående eller kommande perioder.")).to_be_visible()
