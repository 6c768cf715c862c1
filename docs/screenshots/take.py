"""Retake the README's screenshots: the demo data in a temporary SQLite database, the app served on
loopback, headless chromium through Playwright (the test dependencies; `make test` installs them).

    .venv/bin/python docs/screenshots/take.py          # KF_CHROMIUM=/path/to/chromium if not /usr/bin/chromium
"""
from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from app.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Case, Task, User  # noqa: E402

CHROMIUM = os.environ.get("KF_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--lang=sv-SE"]
VIEWPORT = {"width": 1280, "height": 900}


def demo_app(directory: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/demo.db", "SCHEDULER_ENABLED": False,
                      "SECRET_KEY": "screenshots", "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_KIB": 1024})
    with app.app_context():
        db.create_all()
        load_demo()
    return app


def ids(app) -> dict:
    """The cases and tasks the pictures show, found by what they are (not by number)."""
    with app.app_context():
        ec_hg = db.session.scalar(select(User).where(User.username == "ec_hg"))
        task = db.session.scalar(select(Task).where(Task.assignee_id == ec_hg.id, Task.task_id == "chef_uppfoljning",
                                                    Task.state == "open"))
        lex_sarah = db.session.scalar(select(Case).where(Case.type == "avvikelse", Case.is_lex_sarah.is_(True),
                                                         Case.status == "avslutad"))
        plan = db.session.scalar(select(Case).where(Case.type == "kontrollplan", Case.category == "egenkontroll"))
        return {"task": task.id, "lex_sarah": lex_sarah.id, "plan": plan.id}


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        app = demo_app(directory)
        found = ids(app)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        shots = [
            ("ec_hg", "/", "mina-uppgifter.png", None),
            ("ec_hg", f"/uppgifter/{found['task']}", "uppgift.png", None),
            ("sas", f"/arenden/{found['lex_sarah']}", "lex-sarah-arende.png", "slutförde Beslut om anmälan till IVO"),
            ("chef", "/forbattring", "pdca-tavla.png", None),
            ("chef", "/statistik/", "statistik.png", None),
            ("namnd", "/ivo-rapport", "ej-verkstallda-kvartalsrapport.png", None),
            ("ec_hg", f"/kontroller/{found['plan']}", "kontrollplan.png", None),
        ]
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                for username, path, name, scroll_to in shots:
                    context = browser.new_context(base_url=base, viewport=VIEWPORT, locale="sv-SE")
                    page = context.new_page()
                    page.goto("/login")
                    page.get_by_label("Användarnamn").fill(username)
                    page.get_by_label("Lösenord").fill(DEMO_PASSWORD)
                    page.get_by_role("button", name="Logga in").click()
                    page.wait_for_load_state()
                    page.goto(path)
                    page.wait_for_load_state("networkidle")
                    if scroll_to:  # a long page: start the picture a little above this text
                        target = page.get_by_text(scroll_to).first
                        target.scroll_into_view_if_needed()
                        page.evaluate("y => window.scrollBy(0, y)", target.bounding_box()["y"] - 40)
                    page.screenshot(path=str(HERE / name), type="png")
                    print(f"{name}: {(HERE / name).stat().st_size // 1024} kB")
                    context.close()
                browser.close()
            pdf_page(app, directory)
        finally:
            server.shutdown()
            server.server_close()


def pdf_page(app, directory: str, page: int = 3) -> None:
    """A page of the kvalitetsberättelse's PDF (the summary's end and the goals) as PNG, with pdftoppm."""
    import subprocess

    from app import clock
    from app.services.reports import documents
    from app.services.reports import kvalitetsberattelse as kb

    with app.test_request_context():
        secretary = db.session.scalar(select(User).where(User.username == "namnd"))
        pdf = Path(directory) / "kb.pdf"
        pdf.write_bytes(documents.render_pdf(kb.build(secretary, clock.today().year)))
    name = HERE / "kvalitetsberattelse-pdf"
    subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", "80", "-png", "-singlefile", str(pdf),
                    str(name)], check=True)
    print(f"{name.name}.png: {(HERE / (name.name + '.png')).stat().st_size // 1024} kB")


if __name__ == "__main__":
    main()
