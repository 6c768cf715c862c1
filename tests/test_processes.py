"""Process versions: an admin uploads a changed diagram, it is checked and compared with the version in
use and stored in the database; new cases start on it while running cases stay on theirs; running
instances are moved with a dry run first, and a move that cannot apply is reported and changes nothing."""
from __future__ import annotations

import io
import re
from pathlib import Path

from helpers import chef_data, complete, open_task, report, statements_of
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import AuditEvent, DeployedProcess, OutboxMessage, ProcessInstance, Task
from app.services.processes import prepare_worker

AVVIKELSE = (Path(__file__).resolve().parent.parent / "bpmn" / "avvikelse.bpmn").read_text(encoding="utf-8")

# Version 2: an extra step before the follow-up tells the SAS about every new avvikelse.
EXTRA_STEP = AVVIKELSE.replace(
    '<bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="chef_uppfoljning" />',
    '<bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="meddela_sas" />'
    '<bpmn:serviceTask id="meddela_sas" name="Meddela SAS"><bpmn:extensionElements>'
    '<spiffworkflow:serviceTaskOperator id="notify_role"><spiffworkflow:parameters>'
    '<spiffworkflow:parameter id="role" type="str" value="\'sas\'" />'
    '<spiffworkflow:parameter id="reason" type="str" value="\'Ny avvikelse rapporterad.\'" />'
    '</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>'
    '<bpmn:incoming>flow_start</bpmn:incoming><bpmn:outgoing>flow_start_2</bpmn:outgoing></bpmn:serviceTask>'
    '<bpmn:sequenceFlow id="flow_start_2" sourceRef="meddela_sas" targetRef="chef_uppfoljning" />').replace(
    '<bpmn:incoming>flow_start</bpmn:incoming>\n      <bpmn:outgoing>flow_till_bedomning</bpmn:outgoing>',
    '<bpmn:incoming>flow_start_2</bpmn:incoming>\n      <bpmn:outgoing>flow_till_bedomning</bpmn:outgoing>')

# Version 3: the chef's deadline (a waiting timer in every new case) is gone.
NO_DEADLINE = re.sub(r'<bpmn:boundaryEvent id="chef_uppfoljning_frist".*?</bpmn:endEvent>', "", AVVIKELSE,
                     flags=re.S)
NO_DEADLINE = re.sub(r'<bpmn:sequenceFlow id="flow_eskalering(_slut)?"[^>]*/>', "", NO_DEADLINE)


def _upload(api, content: str, name: str = "avvikelse.bpmn", dry_run: bool = False):
    return api("admin").post("/api/v1/admin/processes" + ("?dry_run=1" if dry_run else ""),
                             data={"file": (io.BytesIO(content.encode()), name)}, content_type="multipart/form-data")


def _versions(api) -> list[dict]:
    found = api.get("admin", "/api/v1/admin/processes").get_json()["processes"]
    return next(p for p in found if p["process_id"] == "avvikelse")["versions"]


def _sas_mail(user, case) -> list[str]:
    return db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.user_id == user("sas").id,
                                                                  OutboxMessage.case_id == case.id)).all()


def test_a_new_version_is_checked_compared_deployed_and_used_by_new_cases_only(api, user):
    old = report(user("anna"))
    [v1] = _versions(api)
    assert v1["running"] == 1 and v1["deployed_at"] is None  # the bpmn/ default

    preview = _upload(api, EXTRA_STEP, dry_run=True)
    assert preview.status_code == 200, preview.get_json()
    diff = preview.get_json()["deployed"][0]["diff"]
    assert "Meddela SAS (meddela_sas)" in diff["added"] and diff["removed"] == []
    assert db.session.scalar(select(DeployedProcess.id)) is None and len(_versions(api)) == 1

    deployed = _upload(api, EXTRA_STEP)
    assert deployed.status_code == 201
    new = report(user("anna"))
    versions = _versions(api)
    assert [(v["hash"] == v1["hash"], v["running"]) for v in versions] == [(True, 1), (False, 1)]
    assert versions[-1]["current"] and versions[-1]["deployed_at"]
    instances = {i.case_id: i.spec_hash for i in db.session.scalars(select(ProcessInstance))}
    assert instances[old.id] == v1["hash"] and instances[new.id] == versions[-1]["hash"]
    assert _sas_mail(user, new) == [f"Eskalering: {new.number}"] and _sas_mail(user, old) == []
    complete(user("ec_hg"), old, "chef_uppfoljning", chef_data())  # the old case goes on on its version
    complete(user("ec_hg"), new, "chef_uppfoljning", chef_data())
    assert open_task(old, "atgardsuppfoljning") and open_task(new, "atgardsuppfoljning")
    assert "process_deployed" in db.session.scalars(select(AuditEvent.action)).all()
    assert _upload(api, EXTRA_STEP).status_code == 422  # the same version again


def test_reports_on_a_deployed_version_do_not_read_its_diagram_again(api, user):
    assert _upload(api, EXTRA_STEP).status_code == 201
    report(user("anna"))  # this process parses the version once
    db.session.expunge_all()  # as a new request: nothing of the first report in hand

    sent, case = statements_of(lambda: report(user("anna")))

    assert _sas_mail(user, case) == [f"Eskalering: {case.number}"]  # started on the deployed version
    assert not [s for s in sent if "process_versions.bpmn" in s], sent


def test_a_prepared_web_worker_reads_no_diagram_at_its_first_report(api, user):
    # A version this process has not parsed (its own label, so its own hash), as after a worker starts.
    assert _upload(api, EXTRA_STEP.replace('name="Meddela SAS"', 'name="Meddela SAS direkt"')).status_code == 201
    db.session.expunge_all()

    prepare_worker()  # what gunicorn.conf.py runs in each worker before its first request
    sent, case = statements_of(lambda: report(user("anna")))

    assert _sas_mail(user, case) == [f"Eskalering: {case.number}"]  # started on the deployed version
    assert not [s for s in sent if "process_versions.bpmn" in s], sent


def test_a_worker_whose_database_is_not_up_yet_starts_anyway_and_says_so(tmp_path, clock, caplog):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/saknas/kf.db",
                      "SECRET_KEY": "x", "CLOCK": clock, "SCHEDULER_ENABLED": False})
    with app.app_context():
        prepare_worker()
    assert "Förberedelsen av processerna misslyckades" in caplog.text
    assert app.test_client().get("/healthz").status_code == 503  # the worker answers, and says what is wrong


def test_a_diagram_that_does_not_parse_or_names_unknown_forms_handlers_or_roles_is_refused(api):
    for content, expected in (
        ("<definitions>inte klart", "kunde inte läsas"),
        (re.sub(r"\bchef_uppfoljning\b", "chef_ny_uppgift", AVVIKELSE), "har inget formulär"),
        (EXTRA_STEP.replace('id="notify_role"', 'id="finns_inte"'), "'finns_inte', som inte finns"),
        (AVVIKELSE.replace('name="Enhetschef"', 'name="Kung"', 1), "Simbanan 'Kung'"),
        (AVVIKELSE.replace('deadline("DEADLINE_CHEF_UPPFOLJNING_DAYS", reported_at)', "deadline((("),
         "uttryck som inte kan tolkas"),
    ):
        response = _upload(api, content)
        assert response.status_code == 422, expected
        assert expected in " ".join(response.get_json()["fields"]["file"]), response.get_json()
    assert _upload(api, AVVIKELSE, name="avvikelse.txt").status_code == 422
    latin = api("admin").post("/api/v1/admin/processes", content_type="multipart/form-data", data={"file": (
        io.BytesIO(AVVIKELSE.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1")), "a.bpmn")})
    assert latin.status_code == 422 and latin.get_json()["fields"]["file"] == ["Spara diagrammet som UTF-8."]
    assert db.session.scalar(select(DeployedProcess.id)) is None
    assert api.get("ec_hg", "/api/v1/admin/processes").status_code == 403


def test_running_instances_move_after_a_dry_run_and_a_move_that_cannot_apply_changes_nothing(api, user):
    case = report(user("anna"))
    task = open_task(case, "chef_uppfoljning")
    assert api("ec_hg").post(f"/api/v1/tasks/{task.id}/claim").status_code == 200
    v1 = _versions(api)[0]["hash"]
    _upload(api, NO_DEADLINE)
    v3 = _versions(api)[-1]["hash"]
    refused = api("admin").post("/api/v1/admin/processes/avvikelse/migrate",
                                json={"from": v1, "to": v3, "dry_run": False})
    [result] = refused.get_json()["results"]
    assert result["case_id"] == case.id and result["ok"] is False
    assert "Tidsfrist för uppföljning passerad" in result["message"]
    db.session.expire_all()
    assert db.session.scalar(select(ProcessInstance.spec_hash).where(ProcessInstance.case_id == case.id)) == v1

    _upload(api, EXTRA_STEP)
    v2 = _versions(api)[-1]["hash"]
    dry = api("admin").post("/api/v1/admin/processes/avvikelse/migrate", json={"from": v1, "to": v2, "dry_run": True})
    assert dry.get_json()["results"] == [{"case_id": case.id, "number": case.number, "ok": True,
                                          "message": "Kan flyttas till den nya versionen."}]
    db.session.expire_all()
    assert db.session.scalar(select(ProcessInstance.spec_hash).where(ProcessInstance.case_id == case.id)) == v1
    moved = api("admin").post("/api/v1/admin/processes/avvikelse/migrate",
                              json={"from": v1, "to": v2, "dry_run": False})
    assert moved.get_json()["results"][0]["ok"] is True
    db.session.expire_all()
    assert db.session.scalar(select(ProcessInstance.spec_hash).where(ProcessInstance.case_id == case.id)) == v2
    row = open_task(case, "chef_uppfoljning")
    assert row.assignee_id == user("ec_hg").id and row.due_at == task.due_at  # still hers, same deadline
    assert row.id == task.id  # the same inbox row
    assert [v["running"] for v in _versions(api) if v["hash"] in (v1, v2)] == [0, 1]
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert "instance_migrated" in events
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data())
    assert open_task(case, "atgardsuppfoljning")
    assert db.session.scalar(select(Task.id).where(Task.case_id == case.id, Task.state == "open",
                                                   Task.task_id == "chef_uppfoljning")) is None


def test_the_processes_page_previews_deploys_and_moves(org, user):
    from helpers import csrf_token, logged_in

    case = report(user("anna"))
    client = logged_in(org, "admin")
    page = client.get("/admin/processer")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Standard (bpmn/)" in html and "Används för nya ärenden" in html
    preview = client.post("/admin/processer", data={"csrf_token": csrf_token(html),
                                                    "fil": (io.BytesIO(EXTRA_STEP.encode()), "avvikelse.bpmn")},
                          content_type="multipart/form-data")
    text = preview.get_data(as_text=True)
    assert "Meddela SAS (meddela_sas)" in text and db.session.scalar(select(DeployedProcess.id)) is None
    done = client.post("/admin/processer", data={"csrf_token": csrf_token(text), "filnamn": "avvikelse.bpmn",
                                                 "innehall": EXTRA_STEP, "driftsatt": "1"})
    assert done.status_code == 302
    new_hash = db.session.scalar(select(DeployedProcess.spec_hash))
    old_hash = db.session.scalar(select(ProcessInstance.spec_hash).where(ProcessInstance.case_id == case.id))
    dry = client.post("/admin/processer/avvikelse/flytta", data={"csrf_token": csrf_token(text), "from": old_hash,
                                                                "to": new_hash})
    assert "Kan flyttas till den nya versionen." in dry.get_data(as_text=True)
    moved = client.post("/admin/processer/avvikelse/flytta", data={"csrf_token": csrf_token(text), "from": old_hash,
                                                                  "to": new_hash, "genomfor": "1"})
    assert "Flyttad." in moved.get_data(as_text=True)
    bad = client.post("/admin/processer", data={"csrf_token": csrf_token(text), "filnamn": "avvikelse.bpmn",
                                                "innehall": "<inte xml", "driftsatt": "1"})
    assert bad.status_code == 422 and "kunde inte läsas" in bad.get_data(as_text=True)


def test_a_new_decision_table_redeploys_the_diagrams_that_call_it(api, user):
    dmn = (Path(__file__).resolve().parent.parent / "bpmn" / "allvarlighet.dmn").read_text(encoding="utf-8")
    changed = dmn.replace("<text>&lt;= 3</text>", "<text>&lt;= 4</text>").replace(
        "<text>4 &lt;= ? &lt;= 6</text>", "<text>5 &lt;= ? &lt;= 6</text>")
    old = report(user("anna"))
    response = _upload(api, changed, name="allvarlighet.dmn")
    assert response.status_code == 201, response.get_json()
    assert {d["process_id"] for d in response.get_json()["deployed"]} >= {"avvikelse", "kontrollplan"}
    new = report(user("anna"))
    for case in (old, new):
        complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(consequence=2, likelihood=2))
    db.session.expire_all()
    assert (db.session.get(type(old), old.id).severity, db.session.get(type(new), new.id).severity) == ("medel", "låg")


def test_each_instance_is_drawn_from_the_diagram_of_its_own_version(api, user):
    from app import engine

    old = report(user("anna"))
    _upload(api, EXTRA_STEP)
    new = report(user("anna"))
    instances = {i.case_id: i for i in db.session.scalars(select(ProcessInstance))}
    drawn = {case.id: engine.diagram_of(instances[case.id]) for case in (old, new)}
    assert drawn[old.id] == AVVIKELSE and drawn[new.id] == EXTRA_STEP
