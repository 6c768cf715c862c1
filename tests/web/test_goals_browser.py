"""Mål och brukarundersökningar in headless Debian chromium: the nämnd secretary opens Mål from the menu,
adds a goal with an indicator, pastes a Kolada export with a bad row (nothing imported, the row named),
then a good one, and sees the måluppfyllelse; imports a survey; the page has no axe violations and
reflows at 320 px; the kvalitetsberättelse's tertialrapport is one choice away."""
from __future__ import annotations

import os

import pytest
from helpers import AXE, axe_violations

sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")
expect = sync_api.expect
SHOTS = os.environ.get("KF_SCREENSHOTS")


def _reflows(page) -> bool:
    page.set_viewport_size({"width": 320, "height": 800})
    page.wait_for_function("() => window.innerWidth === 320")
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_goals_values_and_surveys_from_the_page(page, login, user, clock):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci)")
    login(page, "namnd")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Mål", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mål och brukarundersökningar 2026")
    expect(page.get_by_text("Inga mål är inlagda för 2026.")).to_be_visible()

    page.get_by_label("Mål", exact=True).fill("Brukarna har förtroende för personalen")
    page.locator("#i0_code").fill("U21468")
    page.locator("#i0_name").fill("Andel som har förtroende")
    page.locator("#i0_target").fill("90")
    page.locator("#i0_unit").fill("%")
    page.get_by_role("button", name="Spara målet").click()
    expect(page.get_by_role("status")).to_contain_text("Målet sparades")

    values = page.get_by_label("eller klistra in innehållet").first
    values.fill("kpi;municipality_id;period;gender;value\nU21468;0180;2026;T;92\nU21468;0180;2026T5;T;x\n")
    page.get_by_role("button", name="Importera").first.click()
    expect(page.get_by_role("alert")).to_have_text("1 av 2 rader har fel; inget importerades.")
    expect(page.get_by_role("row", name="Rad 3")).to_contain_text("Period: ange året")
    page.get_by_label("eller klistra in innehållet").first.fill(
        "kpi;municipality_id;period;gender;value\nU21468;0180;2026;T;92\nU21468;0180;2025;T;100\n")
    page.get_by_role("button", name="Importera").first.click()
    expect(page.get_by_role("status")).to_have_text("2 värden importerades.")
    row = page.get_by_role("row", name="Andel som har förtroende")
    expect(row).to_contain_text("92 %")
    expect(row).to_contain_text("100 %")
    expect(row).to_contain_text("Uppfyllt")

    page.get_by_label("eller klistra in innehållet").last.fill(
        "year;service;unit;question;share_positive;responses\n2025;Hemtjänst;;Trygghet;80;300\n"
        "2026;Hemtjänst;;Trygghet;84;310\n")
    page.get_by_role("button", name="Importera").last.click()
    expect(page.get_by_role("status")).to_have_text("2 svar från brukarundersökningar importerades.")
    expect(page.get_by_role("region", name="Brukarundersökningar 2026 jämfört med 2025")).to_contain_text("Hemtjänst")

    assert axe_violations(page) == []
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "mal.png"), full_page=True)
    assert _reflows(page), "the goals page scrolls sideways at 320 px"
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Kvalitetsberättelse 2026").click()
    page.get_by_label("Period", exact=True).select_option("1")
    page.get_by_role("button", name="Visa").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tertialrapport 1 2026")
    assert axe_violations(page) == []
    assert _reflows(page), "the tertial report scrolls sideways at 320 px"
