"""The whole avvikelse / lex Sarah flow clicked through the real pages in headless Debian chromium:
anna reports, ec_hg follows up, sas investigates, chef decides, sas notifies IVO, ec_hg follows up the
actions, sas verifies, the case closes and anna sees it under Mina rapporter."""
from __future__ import annotations

import os
import re

import pytest
from helpers import PASSWORD

SHOTS = os.environ.get("KF_SCREENSHOTS", "/tmp")

sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")
expect = sync_api.expect


@pytest.fixture
def app_config(app_config):
    """TESTING off so the pages behave as in production (served by tests/web/conftest.py's live server)."""
    return {**app_config, "TESTING": False, "SECRET_KEY": "browser-test", "BASE_URL": "http://127.0.0.1"}


@pytest.fixture
def log_in(browser, live_server):
    """log_in(username) -> a page of that person's own browser context, logged in on Mina uppgifter."""
    contexts = []
    yield lambda username: _log_in(contexts, live_server, browser, username)
    for context in contexts:
        context.close()


def _log_in(contexts, base_url, browser, username):
    contexts.append(browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE"))
    page = contexts[-1].new_page()
    page.set_default_timeout(20_000)
    page.goto(base_url + "/")
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible()
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", name="Mina uppgifter")).to_be_visible()
    return page


def labelled(page, label):
    """The field with exactly this label (the label may end with the required-marker *)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}(\s*\*)?$"))


def menu(page, label):
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name=label, exact=True).click()


def fill_form(page, answers: dict):
    """Answer a task form the way a person does: by the questions' labels."""
    for label, value in answers.items():
        if value is True or value is False:  # a Ja/Nej question (a group of radio buttons)
            group = page.get_by_role("group", name=label)
            group.get_by_label("Ja" if value else "Nej", exact=True).check()
        elif isinstance(value, list):  # a group of checkboxes
            group = page.get_by_role("group", name=label)
            for option in value:
                group.get_by_label(option, exact=True).check()
        else:
            field = labelled(page, label)
            if field.evaluate("el => el.tagName") == "SELECT":
                field.select_option(label=value)
            else:
                field.fill(value)


def work_task(page, number, task_name, answers, shot=None):
    """Find the task under Att fördela, take it, answer its form and complete it."""
    menu(page, "Att fördela")
    row = page.get_by_role("row").filter(has_text=number).filter(has_text=task_name)
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Ta uppgiften").click()
    expect(page.get_by_role("heading", name=task_name, exact=True)).to_be_visible()
    expect(page.get_by_text(f"Du har tagit uppgiften ”{task_name}”")).to_be_visible()
    fill_form(page, answers)
    if shot:
        page.screenshot(path=os.path.join(SHOTS, shot), full_page=True)
    page.get_by_role("button", name="Slutför uppgiften").click()
    expect(page.get_by_text(f"Klart: ”{task_name}” för {number} är slutförd.")).to_be_visible()


def test_avvikelse_with_lex_sarah_from_report_to_closure(log_in):
    # Anna reports an avvikelse and suspects a missförhållande.
    anna = log_in("anna")
    menu(anna, "Rapportera")
    expect(labelled(anna, "Enhet")).to_have_value("HG")  # her only unit, chosen already
    anna.get_by_label("Datum då händelsen inträffade").fill("2026-03-01")
    anna.get_by_label("Kategori").select_option(label="Bemötande")
    anna.get_by_label("Vad hände?").fill("Boende lämnades ensam i duschen och ropade på hjälp i 20 minuter.")
    anna.get_by_label("Omedelbara åtgärder").fill("Personal hjälpte boende direkt, anhöriga informerade.")
    anna.get_by_label("Jag misstänker ett missförhållande (lex Sarah)").check()
    anna.screenshot(path=os.path.join(SHOTS, "kf_rapportera.png"), full_page=True)
    anna.get_by_role("button", name="Skicka rapporten").click()
    expect(anna.get_by_text("Tack! Din rapport är registrerad som AVV-2026-0001")).to_be_visible()
    number = "AVV-2026-0001"

    # The unit's enhetschef finds it under Att fördela; a form sent half-filled comes back in Swedish.
    ec = log_in("ec_hg")
    menu(ec, "Att fördela")
    expect(ec.get_by_role("row").filter(has_text=number)).to_contain_text("Lex Sarah")
    ec.screenshot(path=os.path.join(SHOTS, "kf_att_fordela.png"), full_page=True)
    ec.get_by_role("row").filter(has_text=number).get_by_role("button", name="Ta uppgiften").click()
    ec.get_by_role("button", name="Slutför uppgiften").click()
    expect(ec.get_by_text("Skriv analysen.")).to_be_visible()
    expect(ec.get_by_text("Uppgifterna behöver rättas.")).to_be_visible()
    fill_form(ec, {
        "Lagrum": ["SoL"], "Analys av händelsen": "Larmet var avstängt och personalen för få under kvällen.",
        "Orsaksområden": ["Rutiner/riktlinjer", "Organisation"],
        "Beslutade åtgärder": "Ny rutin för larm, bemanningen ses över.",
        "Klassificering": "Missförhållande", "Konsekvens för personen (1–4)": "3",
        "Sannolikhet för upprepning (1–4)": "3", "Datum för uppföljning av åtgärderna": "2026-04-01",
    })
    ec.screenshot(path=os.path.join(SHOTS, "kf_uppgift.png"), full_page=True)
    ec.get_by_role("button", name="Slutför uppgiften").click()
    expect(ec.get_by_text(f"Klart: ”Följ upp avvikelsen” för {number} är slutförd.")).to_be_visible()

    # The SAS investigates.
    sas = log_in("sas")
    work_task(sas, number, "Utred lex Sarah", {
        "Typ av händelse": ["Brister i bemötande eller integritet"],
        "Utredning: vad hände och vilka konsekvenser fick eller kunde det få?":
            "Boende lämnades utan tillsyn; risk för fall och kränkning.",
        "Orsaker (på systemnivå)": "Bemanning och larmrutiner.",
        "Åtgärder med datum": "2026-03-05 ny larmrutin.",
        "Har den enskilde eller företrädaren informerats?": True,
        "Dokumenterat i personakten?": True, "Behövs polisanmälan?": False,
        "Bedömning": "Allvarligt missförhållande", "Motivering av bedömningen": "Allvarlig risk för boendes säkerhet.",
    })

    # The socialchef decides to notify IVO; the SAS registers the notification.
    chef = log_in("chef")
    work_task(chef, number, "Beslut om anmälan till IVO", {
        "Ska ärendet anmälas till IVO?": True, "Motivering": "Allvarligt missförhållande enligt utredningen.",
    })
    work_task(
        sas, number, "Anmäl till IVO", {"Anmälan skickad": "2026-03-02", "IVO:s diarienummer": "IVO 3.1-1234/2026"}
    )

    # The enhetschef follows up the actions; the SAS verifies them and the case closes.
    work_task(ec, number, "Följ upp åtgärderna", {"Är åtgärderna genomförda?": True,
                                                   "Resultat av uppföljningen": "Rutinen införd och följs."})
    work_task(sas, number, "Verifiera åtgärderna", {"Godkänns åtgärderna?": True})

    menu(sas, "Ärenden")
    sas.get_by_role("link", name=number).click()
    expect(sas.get_by_role("heading", name=number)).to_be_visible()
    facts = sas.locator("dl.facts").first
    expect(facts).to_contain_text("Avslutad")
    expect(facts).to_contain_text("Anmält till IVO")
    timeline = sas.locator("ol.timeline")
    expect(timeline).to_contain_text("Carl Holm slutförde Beslut om anmälan till IVO")
    expect(timeline).to_contain_text("Boende lämnades utan tillsyn")  # the SAS has a part: sees the investigation
    expect(timeline).to_contain_text("Ärendet avslutades")
    expect(sas.get_by_role("heading", name="Läst av")).to_be_visible()
    sas.screenshot(path=os.path.join(SHOTS, "kf_arende.png"), full_page=True)

    # Anna follows what happened to her report; the investigation text is not shown to her.
    menu(anna, "Mina rapporter")
    row = anna.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text("Avslutad")
    anna.screenshot(path=os.path.join(SHOTS, "kf_mina_rapporter.png"), full_page=True)
    row.get_by_role("link", name=number).click()
    expect(anna.locator("dl.facts").first).to_contain_text("Avslutad")
    expect(anna.get_by_text("Återkoppling skickad till Anna Andersson")).to_be_visible()
    expect(anna.locator("body")).not_to_contain_text("Boende lämnades utan tillsyn")
