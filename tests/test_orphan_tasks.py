"""No task that nobody sees (issue 10): a lane role with no holder at the case's unit or above goes to
FALLBACK_ROLE, marked orphan, the admins are mailed, and the organisation page and `org import` name
the units missing a role holder. Real engine and database on SQLite and PostgreSQL."""
from __future__ import annotations

import json

from helpers import logged_in
from sqlalchemy import select

from app.extensions import db
from app.forms import json_to_formdata
from app.models import OutboxMessage
from app.services import cases as case_service
from app.services import tasks as task_service


def test_a_complaint_on_the_forvaltning_itself_reaches_the_fallback_role(app, user, api):
    data = {"unit": "SOC", "received_on": "2026-03-02", "kind": "klagomal", "channel": "patientnamnden",
            "description": "Klagomål på förvaltningens handläggning.", "anonymous": True}
    case = case_service.create_case(user("sas"), "klagomal", json_to_formdata(data), csrf=False)
    [task] = case_service.open_tasks(case)
    assert (task.task_id, task.role, task.unit.code, task.orphan) == ("klagomal_hantering", "sas", "SOC", True)
    inbox = api.get("sas", "/api/v1/tasks?scope=candidate").get_json()["tasks"]
    assert [(t["task_id"], t["orphan"]) for t in inbox if t["case_id"] == case.id] == [("klagomal_hantering", True)]
    assert task_service.is_candidate(user("sas"), task)
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user("admin").id)).all()
    assert any(m.subject == f"Uppgift utan mottagare: {task.name} ({case.number})" and "Enhetschef" in m.body
               for m in mails)
    history = [e["action"] for e in case_service.case_dict(user("sas"), case)["history"]]
    assert "task_orphan" in history
    # A unit with an enhetschef gets an ordinary task.
    other = case_service.create_case(user("anna"), "klagomal", json_to_formdata({**data, "unit": "HG"}), csrf=False)
    [ordinary] = case_service.open_tasks(other)
    assert (ordinary.role, ordinary.unit.code, ordinary.orphan) == ("enhetschef", "HG", False)


def test_the_organisation_page_and_org_import_name_units_missing_a_role_holder(app, org, tmp_path):
    page = logged_in(app, "admin").get("/admin/organisation").get_data(as_text=True)
    assert "Enheter som saknar någon med en roll" in page
    section = page.split('id="saknade-roller"', 1)[1].split("</section>", 1)[0]
    assert "Socialförvaltningen" in section and "Enhetschef" in section
    assert "Hemgårdens äldreboende" not in section  # has every role at the unit or above
    path = tmp_path / "org.json"
    path.write_text(json.dumps({"units": [{"code": "NY", "name": "Ny enhet", "parent": "AOSB"}], "users": []}),
                    encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["org", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Varning: NY Ny enhet saknar enhetschef" in result.output
