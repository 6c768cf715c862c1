"""Lex Maria clicked through the real pages in headless Debian chromium: the enhetschef judges a vårdskada
possible, the MAS investigates it as an allvarlig vårdskada, finds that the notification to IVO cannot be
skipped, notifies, and reads the patientsäkerhet figures (axe-clean, reflowing at 320 px, CSV download)."""
from __future__ import annotations

import re

import pytest
from helpers import AXE, axe_violations, chef_data, complete, report

sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")
expect = sync_api.expect


def _too_wide(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_the_mas_investigates_notifies_and_exports_the_patientsakerhet_figures(page, login, user):
    case = report(user("anna"), category="lakemedel", description="Dubbel dos insulin på morgonen.")
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(suspected_vardskada=True))
    login(page, "mas")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Att fördela").click()
    row = page.get_by_role("row").filter(has_text=case.number).filter(has_text="Utred möjlig vårdskada")
    row.get_by_role("button", name="Ta uppgiften").click()
    expect(page.get_by_role("heading", name="Utred möjlig vårdskada (lex Maria)", exact=True)).to_be_visible()
    expect(page.get_by_text("3 kap. 3 § PSL (2010:659)").first).to_be_visible()  # the rule on the task page
    if AXE.exists():
        assert axe_violations(page) == []
    page.get_by_label("Utredning: vad hände och vilka konsekvenser fick eller kunde det få för patienten?").fill(
        "Två signeringslistor; dosen gavs två gånger.")
    page.get_by_label("Orsaker (på systemnivå)").fill("Ingen rutin för ändrad ordination.")
    page.get_by_label("Åtgärder med datum").fill("Ny rutin 2026-04-01.")
    page.get_by_label(re.compile(r"^Bedömning(\s*\*)?$")).select_option(label="Allvarlig vårdskada")
    page.get_by_label("Motivering av bedömningen").fill("Sjukhusvård krävdes.")
    page.get_by_role("button", name="Slutför uppgiften").click()
    done = f"Klart: ”Utred möjlig vårdskada (lex Maria)” för {case.number} är slutförd."
    expect(page.get_by_text(done)).to_be_visible()

    # The notification is next; sent without a date it comes back: it cannot be skipped.
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Att fördela").click()
    page.get_by_role("row").filter(has_text=case.number).get_by_role("button", name="Ta uppgiften").click()
    expect(page.get_by_role("heading", name="Anmäl till IVO (lex Maria)", exact=True)).to_be_visible()
    page.get_by_role("button", name="Slutför uppgiften").click()
    expect(page.get_by_text("anmälan kan inte väljas bort")).to_be_visible()
    page.get_by_label("Lex Maria-anmälan skickad till IVO").fill("2026-03-02")
    page.get_by_role("button", name="Slutför uppgiften").click()
    expect(page.get_by_text(f"Klart: ”Anmäl till IVO (lex Maria)” för {case.number} är slutförd.")).to_be_visible()

    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"/arenden/{case.id}")
    expect(page.get_by_text("Lex Maria-anmälan till IVO")).to_be_visible()
    assert _too_wide(page) <= 0
    page.goto("/statistik/patientsakerhet?ar=2026")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Patientsäkerhet 2026")
    area = page.locator("#lex_maria_verksamhet").get_by_role("row", name="Äldreomsorg särskilt boende")
    expect(area).to_contain_text("1")
    assert _too_wide(page) <= 0
    if AXE.exists():
        assert axe_violations(page) == []
    with page.expect_download() as info:
        page.locator("#lex_maria_verksamhet").get_by_role("link", name="CSV").click()
    assert "Äldreomsorg särskilt boende;1;1;1" in info.value.path().read_text(encoding="utf-8-sig")
