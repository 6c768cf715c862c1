"""Reflow (WCAG 2.1 1.4.10) and axe on every page of the menu, in headless Debian chromium at 320 px:
no page is wider than the viewport, list tables become stacked cards, and axe-core reports no
violations — for a staff member, a manager, the SAS and the administrator."""
from __future__ import annotations

import pytest
from helpers import AXE, axe_violations, chef_data, complete, report, sas_data

sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")


def _too_wide(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("username", ["anna", "ec_hg", "sas", "admin"])
def test_every_menu_page_reflows_at_320_px_with_no_axe_violations(page, login, user, clock, username):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci)")
    lex_sarah = report(user("anna"), description="Boende lämnades ensam i duschen " + "x" * 60)
    complete(user("ec_hg"), lex_sarah, "chef_uppfoljning", chef_data(classification="missforhallande"))
    complete(user("sas"), lex_sarah, "sas_utredning", sas_data())
    for n in range(3):
        report(user("anna"), category=["fall", "lakemedel", "bemotande"][n], description=f"Händelse {n}")
    clock.advance(days=20)  # some of it overdue
    page.set_viewport_size({"width": 320, "height": 640})
    login(page, username)
    links = page.eval_on_selector_all("nav.menu a", "links => links.map(a => a.getAttribute('href'))")
    assert "/arenden" in links and "/forsenade" in links
    problems = {}
    for href in [*links, "/arenden?q=fallet", f"/arenden/{lex_sarah.id}"]:
        page.goto(href)
        wider = _too_wide(page)
        violations = axe_violations(page)
        if wider > 0 or violations:
            problems[href] = {"wider_px": wider, "axe": violations}
    assert problems == {}, problems
    page.goto("/arenden")
    if page.locator("table.stack").count():  # the rows are cards: the header row is hidden, cells labelled
        assert page.evaluate("getComputedStyle(document.querySelector('table.stack tr')).display") == "block"
