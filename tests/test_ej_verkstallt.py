"""Ej verkställda beslut: the three-month limit and the quarter semantics of the IVO report through the
real process and SQL (the pure date rules: tests/unit/test_quarters.py), registration rules, the CSV
import, the API's shape and scope."""
from __future__ import annotations

from datetime import UTC, date, datetime

from helpers import sweep
from sqlalchemy import func, select

from app.extensions import db
from app.forms import json_to_formdata
from app.models import Case, EjVerkstalltBeslut, OutboxMessage, Task, Timer
from app.services import tasks as task_service

# --- through the process, the API and SQL ------------------------------------------------------

def decision(**overrides) -> dict:
    return {"type": "ej_verkstallt", "unit": "MYN-AO", "person_ref": "19400101-T122", "gender": "kvinna",
            "law": "SoL", "insats": "sarskilt_boende", "decided_on": "2026-01-10", "reason": "Platsbrist", **overrides}


def register(api, username="ec_myn", **overrides) -> dict:
    response = api(username).post("/api/v1/cases", json=decision(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def record_outcome(user, case_id, outcome, outcome_on):
    task = db.session.scalar(select(Task).where(Task.case_id == case_id, Task.task_id == "verkstallighet",
                                                Task.state == "open"))
    task_service.complete(user, task.id, json_to_formdata({"outcome": outcome, "outcome_on": outcome_on}), csrf=False)


def report(api, quarter, username="namnd"):
    response = api(username).get(f"/api/v1/reports/ivo/ej-verkstallda?quarter={quarter}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_registration_starts_the_process_with_the_three_month_deadline(app, api, user):
    case = register(api, decided_on="2026-01-31")
    assert case["number"].startswith("EJV-2026-") and case["status"] == "pagaende"
    assert case["title"] == "SoL: Särskilt boende för äldre, beslut 2026-01-31"
    [task] = case["tasks"]
    assert task["task_id"] == "verkstallighet" and task["unit"] == "MYN-AO" and task["lane"] == "Enhetschef"
    # Three calendar months from 31 January end on 30 April; late from 1 May, Swedish midnight.
    assert task["due_at"] == "2026-04-30T22:00:00+00:00"
    record = db.session.scalar(select(EjVerkstalltBeslut).where(EjVerkstalltBeslut.case_id == case["id"]))
    assert (record.reportable_from, record.gender, record.law, record.person_code) == (
        date(2026, 5, 1),
        "kvinna",
        "SoL",
        "19400101-T122",
    )


def test_the_timer_makes_it_reportable_and_tells_the_enhetschef_once(app, api, user, clock):
    app.config["IVO_QUARTERLY_REPORT_ENABLED"] = (
        False  # only this decision's timer (the quarters: test_kvartalsrapport)
    )
    case = register(api, decided_on="2026-01-31")
    clock.set(datetime(2026, 4, 30, 21, 59, tzinfo=UTC))
    assert sweep(app) == 0
    clock.set(datetime(2026, 5, 1, 6, 0, tzinfo=UTC))
    assert sweep(app) == 1
    assert sweep(app) == 0
    ec = user("ec_myn")
    subjects = db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.user_id == ec.id)).all()
    assert subjects.count(f"Ej verkställt beslut ska rapporteras till IVO ({case['number']})") == 1
    assert not [s for s in subjects if s.startswith("Försenad uppgift")]  # one mail for the event, not two
    record = db.session.scalar(select(EjVerkstalltBeslut).where(EjVerkstalltBeslut.case_id == case["id"]))
    assert record.reportable_noticed_at is not None
    detail = api("ec_myn").get(f"/api/v1/cases/{case['id']}").get_json()
    assert any(h["action"] == "ej_verkstallt_reportable" for h in detail["history"])
    assert detail["tasks"][0]["overdue"] is True  # the verkställighet is still to be recorded


def test_quarter_report_through_the_process(app, api, user, clock):
    ec = user("ec_myn")
    in_time = register(api, decided_on="2026-01-10", person_ref="19300505-T111", gender="man")
    declined = register(api, decided_on="2025-10-15", person_ref="19350202-T124", law="LSS", insats="daglig_verksamhet")
    later = register(api, decided_on="2025-09-10", person_ref="19450303-T142")
    interrupted = register(api, decided_on="2025-06-01", interrupted_on="2026-01-20", person_ref="19500404-T146",
                           insats="hemtjanst")
    record_outcome(ec, in_time["id"], "verkstallt", "2026-03-01")
    closed = api("ec_myn").get(f"/api/v1/cases/{in_time['id']}").get_json()
    assert (closed["status"], closed["tasks"], closed["fields"]["outcome"]) == ("avslutad", [], "verkstallt")
    assert db.session.scalar(select(Timer.state).where(Timer.case_id == in_time["id"])) == "cancelled"
    record_outcome(ec, declined["id"], "avstatt", "2026-02-20")

    q4 = report(api, "2025Q4")
    assert [i["case_id"] for i in q4["items"]] == [later["id"]]
    q1 = report(api, "2026Q1")
    assert {i["case_id"] for i in q1["items"]} == {declined["id"], later["id"]}
    by_id = {i["case_id"]: i for i in q1["items"]}
    assert (by_id[declined["id"]]["outcome"], by_id[declined["id"]]["outcome_on"]) == ("avstatt", "2026-02-20")
    assert by_id[declined["id"]]["first_report"] is True and by_id[later["id"]]["first_report"] is False
    assert by_id[later["id"]]["outcome"] is None

    clock.set(datetime(2026, 4, 21, 8, 0, tzinfo=UTC))
    record_outcome(ec, later["id"], "verkstallt", "2026-04-20")
    q2 = report(api, "2026Q2")
    assert {i["case_id"] for i in q2["items"]} == {later["id"], interrupted["id"]}
    item = next(i for i in q2["items"] if i["case_id"] == later["id"])
    assert (item["outcome"], item["outcome_on"]) == ("verkstallt", "2026-04-20")
    # A past quarter shows the state at its end: in Q1 the decision still waited.
    assert next(i for i in report(api, "2026Q1")["items"] if i["case_id"] == later["id"])["outcome"] is None
    shown = next(i for i in q2["items"] if i["case_id"] == interrupted["id"])
    assert (shown["interrupted_on"], shown["outcome"]) == ("2026-01-20", None)

    clock.set(datetime(2026, 7, 2, 8, 0, tzinfo=UTC))
    assert [i["case_id"] for i in report(api, "2026Q3")["items"]] == [interrupted["id"]]


def test_api_shape_and_access(app, api, user, clock):
    case = register(api, decided_on="2025-10-15")
    payload = report(api, "2026Q1")
    assert payload["quarter"] == "2026Q1"
    [item] = payload["items"]
    for key in ("case_id", "unit", "gender", "law", "insats", "decided_on", "interrupted_on", "outcome",
                "outcome_on", "reason"):
        assert key in item
    assert (item["case_id"], item["unit"], item["gender"], item["law"], item["insats"], item["decided_on"],
            item["interrupted_on"], item["reason"]) == (case["id"], "MYN-AO", "kvinna", "SoL", "sarskilt_boende",
                                                         "2025-10-15", None, "Platsbrist")
    assert len(report(api, "2026Q1", "ec_myn")["items"]) == 1
    assert len(report(api, "2026Q1", "vc_ifo")["items"]) == 1  # verksamhetschef above MYN
    assert report(api, "2026Q1", "ec_hg")["items"] == []  # another unit's enhetschef sees none of it
    denied = api("anna").get("/api/v1/reports/ivo/ej-verkstallda?quarter=2026Q1")
    assert denied.status_code == 403 and denied.get_json()["error"] == "forbidden"
    bad = api("namnd").get("/api/v1/reports/ivo/ej-verkstallda?quarter=2026Q7")
    assert bad.status_code == 422 and "quarter" in bad.get_json()["fields"]
    future = api("namnd").get("/api/v1/reports/ivo/ej-verkstallda?quarter=2026Q3")
    assert future.status_code == 422 and "har inte börjat" in future.get_json()["message"]
    assert app.test_client().get("/api/v1/reports/ivo/ej-verkstallda?quarter=2026Q1").status_code == 401

    csv_file = api("namnd").get("/api/v1/reports/ivo/ej-verkstallda.csv?quarter=2026Q1")
    assert csv_file.status_code == 200 and csv_file.mimetype == "text/csv"
    lines = csv_file.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Ärendenummer;Enhet;Kod (ÅÅÅÅMMDD-T123);Kön;Lag;Insats;Beslutsdatum")
    assert "19400101-T122;Kvinna;SoL;Särskilt boende för äldre;2025-10-15" in lines[1]
    xlsx = api("namnd").get("/api/v1/reports/ivo/ej-verkstallda.xlsx?quarter=2026Q1")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.get_data())).active
    assert sheet["C2"].value == "19400101-T122" and sheet["G2"].value.date() == date(2025, 10, 15)

    stats = api("namnd").get("/api/v1/reports/ivo/ej-verkstallda/statistik?year=2026").get_json()
    assert stats["quarters"][0]["quarter"] == "2026Q1" and stats["quarters"][0]["women"] == 1
    assert stats["quarters"][0]["per_insats"][0]["insats"] == "sarskilt_boende"


def test_registration_rules(app, api):
    wrong_unit = api("ec_hg").post("/api/v1/cases", json=decision(unit="HG"))
    assert wrong_unit.status_code == 422 and "unit" in wrong_unit.get_json()["fields"]
    personnummer = api("ec_myn").post("/api/v1/cases", json=decision(person_ref="194001011234"))
    assert personnummer.status_code == 422
    assert "personnummer" in personnummer.get_json()["fields"]["person_ref"][0]
    mismatch = api("ec_myn").post("/api/v1/cases", json=decision(person_ref="19400101-T132"))
    assert "anger man" in mismatch.get_json()["fields"]["person_ref"][0]
    wrong_law = api("ec_myn").post("/api/v1/cases", json=decision(law="LSS"))
    assert "insats" in wrong_law.get_json()["fields"]
    early = api("ec_myn").post("/api/v1/cases", json=decision(interrupted_on="2025-12-01"))
    assert "interrupted_on" in early.get_json()["fields"]
    assert register(api, person_ref="19400101-TF20")["status"] == "pagaende"  # the TF form, 3rd char even
    assert db.session.scalar(select(func.count()).select_from(EjVerkstalltBeslut)) == 1


def test_outcome_cannot_predate_the_decision(app, api, user):
    case = register(api, decided_on="2026-01-10")
    task = db.session.scalar(select(Task).where(Task.case_id == case["id"], Task.task_id == "verkstallighet"))
    response = api("ec_myn").post(
        f"/api/v1/tasks/{task.id}/complete", json={"outcome": "verkstallt", "outcome_on": "2026-01-09"}
    )
    assert response.status_code == 422 and "outcome_on" in response.get_json()["fields"]


# --- CSV import -----------------------------------------------------------------------------

GOOD = ("Enhet;Kod;Kön;Lag;Insats;Beslutsdatum;Avbrottsdatum;Skäl\n"
        "MYN-AO;19400101-T122;kvinna;SoL;Särskilt boende för äldre;2025-11-03;;Platsbrist\n"
        "MYN-LSS;19900707-T131;Man;lss;Daglig verksamhet;2025-12-01;;Ingen ledig plats\n")


def test_csv_import_with_a_bad_row_imports_nothing_and_names_the_row(app, api):
    bad = GOOD + ("MYN-AO;194001011234;kvinna;SoL;Hemtjänst;2025-12-01;;\n"
                  "MYN-AO;19400101-T133;kvinna;SoL;Boendestöd;2026-13-01;;\n")
    response = api("ec_myn").post("/api/v1/ej-verkstallda/import", data=bad.encode("utf-8"),
                                  headers={"Content-Type": "text/csv"})
    assert response.status_code == 422
    payload = response.get_json()
    assert payload["message"] == "2 av 4 rader har fel; inget importerades."
    assert list(payload["fields"]) == ["Rad 4", "Rad 5"]
    assert "Kod: Ange inte personnummer" in payload["fields"]["Rad 4"][0]
    assert any(m.startswith("Beslutsdatum:") for m in payload["fields"]["Rad 5"])
    assert any("anger man" in m for m in payload["fields"]["Rad 5"])
    assert db.session.scalar(select(func.count()).select_from(EjVerkstalltBeslut)) == 0
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0

    ok = api("ec_myn").post("/api/v1/ej-verkstallda/import", data=GOOD.encode("utf-8"))
    assert ok.status_code == 201 and ok.get_json()["imported"] == 2
    again = api("ec_myn").post("/api/v1/ej-verkstallda/import", data=GOOD.encode("utf-8"))
    assert again.status_code == 422 and "redan registrerat" in again.get_json()["fields"]["Rad 2"][0]
    comma = "kod,kon,lag,insats,beslutsdatum\n19550505-T144,kvinna,SoL,hemtjanst,2026-01-05\n"
    imported = api("ec_myn").post("/api/v1/ej-verkstallda/import?unit=MYN-AO", data=comma.encode("utf-8"))
    assert imported.status_code == 201, imported.get_json()
    assert db.session.scalar(select(func.count()).select_from(EjVerkstalltBeslut)) == 3
    rows = db.session.scalars(select(EjVerkstalltBeslut).order_by(EjVerkstalltBeslut.id)).all()
    assert [(r.law, r.insats, r.gender) for r in rows] == [
        ("SoL", "sarskilt_boende", "kvinna"), ("LSS", "daglig_verksamhet", "man"), ("SoL", "hemtjanst", "kvinna")]
    # Decisions already late when registered are reportable at once; the third waits for its timer.
    assert [r.reportable_noticed_at is not None for r in rows] == [True, True, False]
    assert db.session.scalar(select(Timer.due_at)) == datetime(2026, 4, 5, 22, 0, tzinfo=UTC)


def test_csv_import_from_the_command_line(app, org, tmp_path):
    path = tmp_path / "beslut.csv"
    path.write_text(GOOD + "MYN-AO;19400101-T133;kvinna;SoL;Boendestöd;2026-01-01;;\n", encoding="utf-8")
    runner = app.test_cli_runner()
    failed = runner.invoke(args=["ej-verkstallda", "import", str(path), "--user", "ec_myn"])
    assert failed.exit_code == 1 and "Rad 4: Kod: Koden anger man" in failed.output
    path.write_text(GOOD, encoding="utf-8")
    done = runner.invoke(args=["ej-verkstallda", "import", str(path), "--user", "ec_myn"])
    assert done.exit_code == 0 and "2 beslut importerades." in done.output


def test_csv_import_file_errors(app, api):
    missing = api("ec_myn").post("/api/v1/ej-verkstallda/import", data="Kod;Kön\n19400101-T122;kvinna\n".encode())
    assert missing.status_code == 422 and "Lag, Insats, Beslutsdatum" in missing.get_json()["fields"]["fil"][0]
    latin1 = api("ec_myn").post("/api/v1/ej-verkstallda/import", data=GOOD.encode("latin-1"))
    assert latin1.status_code == 422 and "UTF-8" in latin1.get_json()["message"]
    outsider = api("ec_hg").post("/api/v1/ej-verkstallda/import", data=GOOD.encode("utf-8"))
    assert outsider.status_code == 422 and "Rad 2" in outsider.get_json()["fields"]
