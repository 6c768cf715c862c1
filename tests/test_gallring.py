"""Gallring: closed cases anonymised or deleted years after closure by the rules in configuration,
`flask gallring run --dry-run` first; open cases, cases linked with a tillsyn and the audit trail are
never touched, the gallringslogg is written, and the statistics for past years stay the same."""
from __future__ import annotations

from helpers import ATGARD, Api, chef_data, complete, report
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Case, GallringLog, ProcessInstance, Task

SECRET = "Boende Kalle Karlsson föll i duschen"


def _closed(user, **overrides) -> Case:
    case = report(user("anna"), description=SECRET, **overrides)
    complete(user("ec_hg" if overrides.get("unit", "HG") == "HG" else "ec_sr"), case, "chef_uppfoljning",
             chef_data(analysis="Golvet var halt efter städningen."))
    complete(user("ec_hg" if overrides.get("unit", "HG") == "HG" else "ec_sr"), case, "atgardsuppfoljning", ATGARD)
    db.session.refresh(case)
    assert case.status == "avslutad"
    return case


def _figures(api) -> list:
    return [api.get("sas", "/api/v1/reports/statistics?year=2026").get_json()["tables"],
            api.get("sas", "/api/v1/reports/summary?year=2026&group_by=unit").get_json()]


def _audit() -> list[tuple]:
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.id, e.action, e.summary, e.details) for e in events]


def _states(case) -> str:
    return "".join(db.session.scalars(select(ProcessInstance.state).where(ProcessInstance.case_id == case.id)))


def test_dry_run_lists_then_run_anonymises_and_keeps_statistics(org, api, user, clock):
    closed = _closed(user)
    linked = _closed(user)
    still_open = report(user("anna"), description=SECRET)
    tillsyn = api("sas").post("/api/v1/cases", json={
        "type": "tillsyn", "unit": "HG", "authority": "IVO", "kind": "tillsyn", "opened_on": "2026-03-02",
        "subject": "Tillsyn av fallprevention", "source_cases": [linked.number]})
    assert tillsyn.status_code == 201, tillsyn.get_json()
    org.config["GALLRING_RULES"] = {"avvikelse": {"years": 5, "action": "anonymise"}}
    clock.advance(days=5 * 365 + 2)
    api = Api(org, user)  # the first tokens expired during the five years
    before, audit_before = _figures(api), _audit()
    runner = org.test_cli_runner()

    dry = runner.invoke(args=["gallring", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert closed.number in dry.output and "anonymiseras (regel: 5 år efter avslut)" in dry.output
    assert linked.number not in dry.output and still_open.number not in dry.output
    assert "1 ärenden skulle gallras. Inget är ändrat." in dry.output
    db.session.expire_all()
    assert db.session.get(Case, closed.id).fields["description"] == SECRET
    assert db.session.scalar(select(func.count(GallringLog.id))) == 0

    done = runner.invoke(args=["gallring", "run"])
    assert done.exit_code == 0, done.output and "1 ärenden gallrades." in done.output
    db.session.expire_all()
    case = db.session.get(Case, closed.id)
    assert case.fields["description"] == "[gallrad]" and case.title == "[gallrad]" and case.reporter_id is None
    assert case.fields["category"] == "lakemedel" and case.unit.code == "HG"  # what the statistics count stays
    tasks = db.session.scalars(select(Task).where(Task.case_id == case.id)).all()
    assert "Golvet var halt" not in str([t.data for t in tasks])
    assert SECRET not in _states(case)
    for untouched in (linked, still_open):
        assert db.session.get(Case, untouched.id).fields["description"] == SECRET
    log = db.session.scalars(select(GallringLog)).one()
    assert (log.case_number, log.action, log.rule["years"]) == (closed.number, "anonymise", 5)
    assert _figures(api) == before  # the statistics for 2026 are the same
    assert _audit()[:len(audit_before)] == audit_before  # the audit trail is only appended to
    assert [a for _, a, _, _ in _audit()[len(audit_before):]] == ["case_gallrad"]
    found = api.get("sas", "/api/v1/cases?q=duschen").get_json()["cases"]
    assert closed.id not in [c["id"] for c in found] and still_open.id in [c["id"] for c in found]
    history = api.get("sas", f"/api/v1/cases/{closed.id}").get_json()["history"]
    assert SECRET not in str(history) and history[-1]["action"] == "case_gallrad"
    assert runner.invoke(args=["gallring", "run"]).output.startswith("0 ärenden gallrades.")  # done once


def test_delete_removes_the_process_rows_and_leaves_a_numbered_stub(org, user, clock):
    case = _closed(user)
    org.config["GALLRING_RULES"] = {"avvikelse": {"years": 2, "action": "delete"}}
    clock.advance(days=2 * 365 + 2)
    result = org.test_cli_runner().invoke(args=["gallring", "run"])
    assert result.exit_code == 0 and "raderas" in result.output
    db.session.expire_all()
    stub = db.session.get(Case, case.id)
    assert stub.number == case.number and set(stub.fields) == {"gallrad"} and stub.title == "[gallrad]"
    assert db.session.scalar(select(func.count(Task.id)).where(Task.case_id == case.id)) == 0
    assert SECRET not in _states(case)
    assert db.session.scalars(select(GallringLog.action)).all() == ["delete"]


def test_a_rule_shorter_than_the_minimum_or_unknown_is_refused_and_nothing_changes(org, user, clock):
    case = _closed(user)
    org.config["GALLRING_MIN_YEARS"] = {"avvikelse": 10}
    org.config["GALLRING_RULES"] = {"avvikelse": {"years": 2, "action": "anonymise"},
                                    "finns_inte": {"years": 5}, "klagomal": {"years": 5, "action": "bränn"}}
    clock.advance(days=3 * 365)
    result = org.test_cli_runner().invoke(args=["gallring", "run"])
    assert result.exit_code != 0
    assert "2 år är kortare än de 10 år som ska gälla minst" in result.output
    assert "Okänd ärendetyp 'finns_inte'." in result.output and "Okänd åtgärd 'bränn'" in result.output
    db.session.expire_all()
    assert db.session.get(Case, case.id).fields["description"] == SECRET
    assert db.session.scalar(select(func.count(GallringLog.id))) == 0


def test_without_rules_everything_is_kept(org, user, clock):
    case = _closed(user)
    clock.advance(days=30 * 365)
    result = org.test_cli_runner().invoke(args=["gallring", "run", "--dry-run"])
    assert result.exit_code == 0 and result.output.startswith("0 ärenden skulle gallras.")
    assert db.session.get(Case, case.id).fields["description"] == SECRET


def test_comments_and_attached_files_go_with_the_case_text(org, api, user, clock, tmp_path):
    """A note written on the case and a file attached to it are case content: anonymising clears the
    note and deletes the file, its row and its bytes on disk."""
    from io import BytesIO

    from app.models import Attachment, CaseComment

    files = tmp_path / "bilagor"
    org.config["ATTACHMENT_DIR"] = str(files)
    case = report(user("anna"), description=SECRET)
    db.session.commit()
    note = api("ec_hg").post(f"/api/v1/cases/{case.id}/comments", json={"text": "Kalle Karlssons dotter ringde."})
    assert note.status_code == 201, note.get_json()
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    upload = api.call("ec_hg", "POST", f"/api/v1/cases/{case.id}/attachments",
                      data={"file": (BytesIO(pdf), "genomförandeplan.pdf")}, content_type="multipart/form-data")
    assert upload.status_code == 201, upload.get_json()
    assert len(list(files.iterdir())) == 1
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data())
    complete(user("ec_hg"), case, "atgardsuppfoljning", ATGARD)
    org.config["GALLRING_RULES"] = {"avvikelse": {"years": 5, "action": "anonymise"}}
    clock.advance(days=5 * 365 + 2)

    result = org.test_cli_runner().invoke(args=["gallring", "run"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalars(select(CaseComment.text).where(CaseComment.case_id == case.id)).all() == ["[gallrad]"]
    assert db.session.scalar(select(func.count(Attachment.id)).where(Attachment.case_id == case.id)) == 0
    assert list(files.iterdir()) == []  # the bytes on disk are gone too
    api = Api(org, user)  # the first tokens expired during the five years
    assert api.get("sas", f"/api/v1/cases/{case.id}/attachments").get_json()["attachments"] == []
