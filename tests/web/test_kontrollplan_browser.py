"""Kontroller and tillsyn in headless Debian chromium: ec_hg creates a plan on the form (a blank row is
left out, a bad row is named), sees its progress page; the reviewer records a verdict per sampled case on
the task page; SAS registers a tillsyn case and sees it in the register. Every page passes axe-core's
WCAG 2.1 A/AA rules and reflows at 320 px without horizontal scrolling."""
from __future__ import annotations

import os

import pytest
from helpers import assert_accessible, open_task

from app import clock as app_clock
from app.extensions import db
from app.forms import json_to_formdata
from app.models import Case
from app.services import cases as case_service
from app.services import kontrollplan
from app.services import tasks as task_service

sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")
expect = sync_api.expect
SHOTS = os.environ.get("KF_SCREENSHOTS")


def test_a_plan_from_the_form_its_progress_and_the_reviewers_verdicts(page, login, user, clock):
    for number in range(3):
        case_service.create_case(user("ec_hg"), "avvikelse", json_to_formdata({
            "unit": "HG", "occurred_on": app_clock.today().isoformat(), "category": "fall",
            "description": f"Fall nummer {number}", "immediate_actions": "Tröstade.", "suspected_lex_sarah": False}),
            csrf=False)
    login(page, "ec_hg")
    page.goto("/kontroller/ny")
    assert_accessible(page)
    page.get_by_label("Slag av plan").select_option("egenkontroll")
    page.get_by_label("Planens namn").fill("Egenkontroll Hemgården")
    page.locator("#points-0-title").fill("Avvikelsehantering")
    page.locator("#points-0-due_on").fill("2026-03-12")
    page.locator("#points-0-responsible").fill("ec_hg")
    page.locator("fieldset.row-entry").nth(0).get_by_text("Stickprov (om punkten granskar ärenden)").click()
    page.locator("#points-0-sample_case_type").select_option("avvikelse")
    page.locator("#points-0-sample_size").fill("2")
    page.locator("#points-1-title").fill("Brandskydd")
    page.locator("#points-1-due_on").fill("2027-01-10")
    page.locator("#points-1-responsible").fill("anna")
    page.get_by_role("button", name="Skapa planen").click()
    expect(page.locator(".error-text", has_text="Datumet ska ligga inom planens år (2026).")).to_be_visible()
    assert_accessible(page)
    page.locator("#points-1-due_on").fill("2026-10-10")
    page.get_by_role("button", name="Skapa planen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Egenkontroll Hemgården")
    expect(page.locator("#punkter-totalt")).to_have_text("2")
    expect(page.locator("#punkter-att-gora")).to_have_text("1")
    assert_accessible(page)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "kontrollplan.png"), full_page=True)

    plan = db.session.scalar(db.select(Case).where(Case.type == "kontrollplan"))
    task = open_task(plan, "kontrollpunkt")
    assert task.name == "Genomför kontrollen: Avvikelsehantering" and len(task.attachment) == 2
    page.goto(f"/uppgifter/{task.id}")
    assert_accessible(page)
    page.get_by_label("Kontrollen genomförd").fill("2026-03-02")
    page.get_by_label("Resultat").select_option("utan_anmarkning")
    for index, item in enumerate(task.attachment):
        expect(page.locator("fieldset.row-entry legend").nth(index)).to_contain_text(item["number"])
        page.locator(f"#verdicts-{index}-verdict").select_option("utan_anmarkning")
    page.get_by_role("button", name="Slutför uppgiften").click()
    expect(page.locator(".flash-success")).to_contain_text("Klart")
    db.session.expire_all()
    (done, later) = kontrollplan.points(plan)
    assert [v["verdict"] for v in done.verdicts] == ["utan_anmarkning", "utan_anmarkning"]
    page.goto(f"/kontroller/{plan.id}")
    expect(page.locator("#punkter-klara")).to_have_text("1")
    page.goto("/kontroller/")
    expect(page.locator("#kontrollplaner")).to_contain_text("1 av 2")
    assert_accessible(page)


def test_the_tillsyn_register(page, login, user):
    login(page, "sas")
    page.goto("/tillsyn/ny")
    assert_accessible(page)
    page.locator("#unit").select_option("HG")
    page.locator("#authority").select_option("IVO")
    page.locator("#kind").select_option("tillsyn")
    page.locator("#opened_on").fill("2026-03-02")
    page.locator("#subject").fill("Tillsyn av läkemedelshanteringen")
    page.locator("#reply_due_on").fill("2026-03-01")
    page.get_by_role("button", name="Registrera").click()
    expect(page.locator(".error-text")).to_contain_text("Svarsdatumet kan inte ligga före")
    page.locator("#reply_due_on").fill("2026-03-30")
    page.get_by_role("button", name="Registrera").click()
    expect(page.locator(".flash-success")).to_contain_text("TIL-2026-")
    page.goto("/tillsyn/")
    expect(page.locator("#tillsyn-totalt")).to_have_text("1")
    expect(page.locator("#tillsynsregister")).to_contain_text("senast 2026-03-30")
    assert_accessible(page)


def test_the_statistics_page_shows_planned_controls_and_supervision(page, login, user):
    plan = kontrollplan.create_plan(user("ec_hg"), {"kind": "egenkontroll", "unit": "HG", "year": 2026,
                                                    "title": "Egenkontroll Hemgården"},
                                    [{"title": "Brandskydd", "due_on": "2026-03-10", "responsible": "ec_hg"},
                                     {"title": "Läkemedel", "due_on": "2026-10-10", "responsible": "ec_hg"}])
    case_service.create_case(user("sas"), "tillsyn", json_to_formdata({
        "unit": "HG", "authority": "IVO", "kind": "tillsyn", "opened_on": "2026-03-02",
        "subject": "Tillsyn av läkemedelshanteringen", "reference": "IVO 3.5.1-1/2026"}), csrf=False)
    task_service.complete(user("ec_hg"), open_task(plan, "kontrollpunkt").id, json_to_formdata(
        {"done_on": "2026-03-02", "result": "utan_anmarkning"}), csrf=False)
    login(page, "sas")
    page.goto("/statistik/?ar=2026")
    block = page.locator("#kontroller")
    expect(block.get_by_role("heading", level=2)).to_have_text("Planerade kontroller 2026")
    expect(block.get_by_role("img", name="Planerade kontroller 2026")).to_be_visible()
    block.get_by_text("Tabell: Planerade kontroller 2026").click()
    expect(block.get_by_role("row", name="Egenkontroll")).to_contain_text("2")
    assert [c.strip() for c in block.get_by_role("row", name="Egenkontroll").get_by_role("cell").all_text_contents()] \
        == ["2", "1", "1", "0", "0", "0"]
    supervision = page.locator("#tillsyn_myndighet")
    supervision.locator("summary").click()
    expect(supervision.get_by_role("row", name="IVO")).to_contain_text("1")
    with page.expect_download() as info:
        page.locator("#tillsyn_beslut").get_by_role("link", name="CSV").click()
    assert info.value.suggested_filename == "tillsyn_beslut_2026.csv"
    assert "Pågår (inget beslut än);1" in info.value.path().read_text(encoding="utf-8-sig")
    assert_accessible(page)
