"""Statistik and the kvalitetsberättelse in headless Debian chromium: the SAS opens Statistik from the
menu, reads the charts (accessible names, a table behind each), changes year and grouping, downloads
a table as CSV, writes the summary of the kvalitetsberättelse and downloads it as Word.
Uses the shared live server (tests/web/conftest.py) and the scenario of tests/helpers.py."""
from __future__ import annotations

import io
import os

import pytest
from helpers import scenario

sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")
expect = sync_api.expect
SHOTS = os.environ.get("KF_SCREENSHOTS")


def test_statistics_page_charts_tables_exports_and_the_kvalitetsberattelse(page, login, user, clock):
    scenario(user, clock)
    login(page, "sas")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Statistik").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Statistik 2026")
    # Counted apart since issue 10: 6 deviation reports, one of them lex Sarah, and one klagomål.
    expect(page.locator("#nyckeltal-avvikelser")).to_have_text("5")
    expect(page.locator("#nyckeltal-lex-sarah")).to_have_text("1")
    expect(page.locator("#nyckeltal-rapporter")).to_have_text("7")

    # Every chart is an image with a name and a description, and has a table with the same figures.
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 7
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.locator("title").first.text_content().strip()
        assert chart.locator("desc").first.text_content().strip()
    stacked = page.get_by_role("img", name="Avvikelser 2026 per månad och kategori")
    expect(stacked).to_be_visible()
    assert stacked.locator("rect title").filter(has_text="Mars, Fall: 1").count() == 1
    block = page.locator("#avvikelser_manad_kategori")
    block.get_by_text("Tabell: Avvikelser 2026 per månad och kategori").click()
    march = block.get_by_role("row", name="Mars")
    expect(march).to_be_visible()
    expect(march.get_by_role("cell").last).to_have_text("4")
    lead = page.locator("#ledtid")
    lead.locator("summary").click()
    expect(lead.get_by_role("row", name="Totalt")).to_contain_text("13,0")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "statistik.png"), full_page=True)

    # A table as CSV, as a manager downloads it.
    with page.expect_download() as info:
        page.locator("#uppfoljning_i_tid").get_by_role("link", name="CSV").click()
    content = info.value.path().read_text(encoding="utf-8-sig")
    assert info.value.suggested_filename == "uppfoljning_i_tid_2026.csv"
    assert "Totalt;4;2;0;66,7" in content

    # Last year, per month.
    page.get_by_label("År", exact=True).select_option("2025")
    page.get_by_label("Sammanställning per").select_option("month")
    page.get_by_role("button", name="Visa").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Statistik 2025")
    expect(page.locator("#nyckeltal-avvikelser")).to_have_text("2")  # 3 reports, one lex Sarah (issue 10)
    summary = page.locator("#sammanstallning_month")
    summary.locator("summary").click()
    # A fall, a lex Sarah suspicion and a klagomål: counted apart and 3 reports in all (issue 10).
    expect(summary.get_by_role("row", name="November")).to_contain_text("3")

    # The kvalitetsberättelse: write the summary, see it on the page, download the Word document.
    page.get_by_role("link", name="Kvalitetsberättelse 2025").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kvalitetsberättelse 2025")
    page.get_by_role("link", name="Redigera texterna").click()
    page.get_by_label("Sammanfattning").fill("Ett år med fokus på fallprevention.")
    page.get_by_role("button", name="Spara texterna").click()
    expect(page.get_by_role("status")).to_contain_text("Texterna sparades.")
    section = page.locator("#avsnitt-sammanfattning")
    expect(section).to_contain_text("Ett år med fokus på fallprevention.")
    expect(section).to_contain_text("Under 2025 rapporterades 3 avvikelser")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "kvalitetsberattelse.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("link", name="Ladda ned Word (redigerbar)").click()
    from docx import Document

    document = Document(io.BytesIO(info.value.path().read_bytes()))
    assert "Ett år med fokus på fallprevention." in [p.text for p in document.paragraphs]
