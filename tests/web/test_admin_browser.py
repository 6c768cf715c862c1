"""The administrator in the browser: creates a user, gives a role at a unit, and the new user logs in and
sees the unit's queue; the administration pages reflow at 320 px with no axe violations."""
from __future__ import annotations

import pytest
from helpers import AXE, PASSWORD, axe_violations, report

sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")
expect = sync_api.expect  # waits for the page the click leads to; is_visible() would look at the old one


def test_admin_creates_a_user_who_then_sees_the_units_inbox(page, login, user, browser, live_server):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci)")
    case = report(user("anna"), description="Larmet på avdelning B fungerade inte under natten.")
    page.set_viewport_size({"width": 320, "height": 640})
    login(page, "admin")
    page.get_by_role("link", name="Användare", exact=True).click()
    page.get_by_role("link", name="Ny användare").click()
    page.locator("#username").fill("nina")
    page.locator("#name").fill("Nina Nord")
    page.locator("#email").fill("nina@kommun.example")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Skapa användaren").click()
    expect(page.get_by_role("heading", name="Nina Nord")).to_be_visible()
    page.locator("#role").select_option("enhetschef")
    page.locator("#unit").select_option("HG")
    page.get_by_role("button", name="Ge rollen").click()
    expect(page.get_by_role("button", name="Ta bort rollen Enhetschef vid Hemgårdens äldreboende")).to_be_visible()
    problems = {}
    for path in ("/admin/anvandare", "/admin/anvandare/ny", "/admin/anvandare/nina", "/admin/organisation",
                 "/admin/enheter/HG", "/admin/enheter/ny", "/admin/personalfil", "/admin/processer"):
        page.goto(path)
        wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        violations = axe_violations(page)
        if wider > 0 or violations:
            problems[path] = {"wider_px": wider, "axe": violations}
    assert problems == {}, problems

    # A new diagram version: checked and compared before anything is stored, then deployed.
    from test_processes import EXTRA_STEP
    page.goto("/admin/processer")
    page.locator("#fil").set_input_files(files=[{"name": "avvikelse.bpmn", "mimeType": "application/xml",
                                                 "buffer": EXTRA_STEP.encode()}])
    page.get_by_role("button", name="Kontrollera och visa skillnaden").click()
    expect(page.get_by_text("Meddela SAS (meddela_sas)")).to_be_visible()
    assert axe_violations(page) == [] and page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.get_by_role("button", name="Driftsätt versionen").click()
    expect(page.get_by_text("Ny version driftsatt")).to_be_visible()
    page.get_by_role("button", name="Provkör flytten").first.click()
    expect(page.get_by_role("heading", name="Provkörning: kan ärendena flyttas?")).to_be_visible()
    assert axe_violations(page) == []

    context = browser.new_context(base_url=live_server, locale="sv-SE", bypass_csp=True)
    other = context.new_page()
    login(other, "nina")
    other.goto("/att-fordela")
    expect(other.get_by_text(case.number).first).to_be_visible()
    assert axe_violations(other) == []
    context.close()
