"""The nämnd secretary's quarterly IVO report: one instance per quarter started by the real timer sweep,
one reminder per quarter (also after downtime), marked submitted from the report page; and the pages."""
from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

from helpers import csrf_token as token
from helpers import logged_in, sweep
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.forms import json_to_formdata
from app.models import Case, IvoKvartalsrapport, OutboxMessage, ProcessInstance, Task


def at(clock, *args):
    clock.set(datetime(*args, tzinfo=UTC))


def subjects(user, start: str) -> list[str]:
    return [s for s in db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.user_id == user.id)
                                          .order_by(OutboxMessage.id)) if s.startswith(start)]


def quarters() -> list[str]:
    return db.session.scalars(select(IvoKvartalsrapport.quarter).order_by(IvoKvartalsrapport.quarter)).all()


def report_task(quarter: str) -> Task | None:
    row = db.session.scalar(select(IvoKvartalsrapport).where(IvoKvartalsrapport.quarter == quarter))
    return db.session.scalar(select(Task).where(Task.case_id == row.case_id, Task.task_id == "kvartalsrapport"))


def test_one_report_and_one_reminder_per_quarter_through_the_sweep(app, org, user, clock):
    namnd, chef = user("namnd"), user("chef")
    assert sweep(app) == 0 and quarters() == []  # 2 March: Q4's period has ended; a fresh start waits

    at(clock, 2026, 4, 1, 6, 0)  # 08:00 in Sweden: Q1's reporting period has opened
    sweep(app)
    sweep(app)
    assert quarters() == ["2026Q1"]
    task = report_task("2026Q1")
    assert (task.role, task.unit.code, task.state) == ("namndsekreterare", "SOC", "open")
    assert task.due_at == datetime(2026, 4, 30, 21, 59, 59, tzinfo=UTC)  # end of 30 April, Swedish time
    assert subjects(namnd, "Ny uppgift: Rapportera ej verkställda beslut till IVO") != []

    at(clock, 2026, 4, 30, 21, 0)
    assert sweep(app) == 0
    at(clock, 2026, 4, 30, 22, 30)
    assert sweep(app) == 1  # the period has ended without a submission
    at(clock, 2026, 5, 20, 8, 0)
    assert sweep(app) == 0
    assert len(subjects(namnd, "Påminnelse: IVO-rapporten för kvartal 1 2026")) == 1
    assert len(subjects(chef, "Eskalering: IVO-rapporten för kvartal 1 2026")) == 1
    assert not subjects(namnd, "Försenad uppgift")  # the reminder is that mail

    # Q2 opens on 1 July and is submitted in time: no reminder for it.
    at(clock, 2026, 7, 1, 7, 0)
    sweep(app)
    q2 = report_task("2026Q2")
    assert q2.due_at == datetime(2026, 8, 31, 21, 59, 59, tzinfo=UTC)
    from app.services import tasks as task_service

    task_service.complete(namnd, q2.id, json_to_formdata({"submitted_on": "2026-07-01"}), csrf=False)
    at(clock, 2026, 9, 2, 8, 0)
    sweep(app)
    assert not subjects(namnd, "Påminnelse: IVO-rapporten för kvartal 2 2026")

    # Down from September to mid-February: Q3 and Q4 start at once, each reminds once.
    at(clock, 2027, 2, 15, 8, 0)
    sweep(app)  # starts Q3 and Q4; both periods are over, so each reminds as it starts
    assert sweep(app) == 0
    assert quarters() == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    for label in ("kvartal 3 2026", "kvartal 4 2026"):
        assert len(subjects(namnd, f"Påminnelse: IVO-rapporten för {label}")) == 1
        assert len(subjects(chef, f"Eskalering: IVO-rapporten för {label}")) == 1
    # One instance per quarter, each small; the submitted one has ended.
    assert db.session.scalar(select(func.count()).select_from(ProcessInstance)
                             .where(ProcessInstance.process_id == "Process_kvartalsrapport")) == 4
    row = db.session.scalar(select(IvoKvartalsrapport).where(IvoKvartalsrapport.quarter == "2026Q2"))
    assert (row.submitted_on.isoformat(), row.submitted_by.username, row.case.status) == (
        "2026-07-01",
        "namnd",
        "avslutad",
    )


def test_the_cli_sweep_starts_the_quarter_too(app, org, clock):
    at(clock, 2026, 10, 5, 8, 0)
    result = app.test_cli_runner().invoke(args=["timers", "run-due"])
    assert result.exit_code == 0, result.output
    assert quarters() == ["2026Q3"]


# --- pages ------------------------------------------------------------------------------------

def test_pages_import_report_and_submission(app, org, user, clock):
    myn = logged_in(app, "ec_myn")
    form = myn.get("/rapportera/ej_verkstallt")
    assert form.status_code == 200 and "Kod för den enskilde" in form.get_data(as_text=True)
    created = myn.post("/rapportera/ej_verkstallt", data={
        "csrf_token": token(form), "unit": "MYN-LSS", "person_ref": "19900707-T131", "gender": "man", "law": "LSS",
        "insats": "daglig_verksamhet", "decided_on": "2025-10-01", "reason": "Ingen plats på daglig verksamhet"})
    assert created.status_code == 302

    page = myn.get("/ej-verkstallda/import")
    bad = ("Kod;Kön;Lag;Insats;Beslutsdatum\n19400101-T122;kvinna;SoL;Hemtjänst;2025-11-01\n"
           "19400101-T122;man;SoL;Okänd;2025-11-01\n")
    response = myn.post("/ej-verkstallda/import", content_type="multipart/form-data", data={
        "csrf_token": token(page), "enhet": "MYN-AO", "fil": (BytesIO(bad.encode("utf-8")), "beslut.csv")})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "inget importerades" in text and "Rad 3" in text and "Rad 2" not in text
    assert db.session.scalar(select(func.count()).select_from(Case).where(Case.type == "ej_verkstallt")) == 1
    good = bad.splitlines()[0] + "\n" + bad.splitlines()[1] + "\n"
    response = myn.post("/ej-verkstallda/import", content_type="multipart/form-data", data={
        "csrf_token": token(page), "enhet": "MYN-AO", "fil": (BytesIO(good.encode("utf-8")), "beslut.csv")})
    assert response.status_code == 302
    listing = myn.get("/ej-verkstallda").get_data(as_text=True)
    assert "LSS: Daglig verksamhet (9 § 10)" in listing and "SoL: Hemtjänst" in listing
    assert "Ej verkställda beslut" in listing  # the menu entry

    at(clock, 2026, 4, 2, 8, 0)
    sweep(app)
    namnd = logged_in(app, "namnd")
    report = namnd.get("/ivo-rapport?kvartal=2026Q1")
    html = report.get_data(as_text=True)
    assert report.status_code == 200 and "19900707-T131" in html and "Ingen plats på daglig verksamhet" in html
    assert "Markera som inskickad" in html and "1 beslut saknar skäl till dröjsmålet" in html
    xlsx = namnd.get("/ivo-rapport/2026Q1.xlsx")
    sheet = load_workbook(BytesIO(xlsx.get_data())).active
    assert [c.value for c in sheet[1]][:3] == ["Ärendenummer", "Enhet", "Kod (ÅÅÅÅMMDD-T123)"] and sheet.max_row == 3
    assert namnd.get("/ivo-rapport/2026Q1.csv").get_data().decode("utf-8-sig").count("\r\n") == 3
    stats = namnd.get("/ivo-rapport/statistik?ar=2026&kvartal=2026Q1").get_data(as_text=True)
    assert "Daglig verksamhet (9 § 10)" in stats and "kvartal 1 2026" in stats
    assert namnd.get("/ivo-rapport?kvartal=nonsens").status_code == 200  # a Swedish note, never a 500
    assert namnd.get("/ivo-rapport/2026Q9.csv").status_code == 422

    submitted = namnd.post(
        "/ivo-rapport/2026Q1/inskickad", data={"csrf_token": token(report), "submitted_on": "2026-04-02"}
    )
    assert submitted.status_code == 302
    after = namnd.get("/ivo-rapport?kvartal=2026Q1").get_data(as_text=True)
    assert "Inskickad till IVO 2026-04-02" in after and "Markera som inskickad" not in after
    row = db.session.scalar(select(IvoKvartalsrapport).where(IvoKvartalsrapport.quarter == "2026Q1"))
    assert row.item_count == 2 and {i["person_ref"] for i in row.snapshot} == {"19900707-T131", "19400101-T122"}

    anna = logged_in(app, "anna")
    assert anna.get("/ivo-rapport").status_code == 403
    assert anna.get("/ej-verkstallda/import").status_code == 403
    assert "Ej verkställda beslut" not in anna.get("/").get_data(as_text=True)
