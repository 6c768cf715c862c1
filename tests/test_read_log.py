"""Finding 3 (security review): bulk reads left no trace. Every read of a case's full fields by someone
other than its reporter is in the read log, wherever it happens: one case (page, API), a list that
carries fields, the internal kvalitetsberättelse's lex Sarah list, the IVO report on ej verkställda
beslut, utredningstider. The published kvalitetsberättelse has no case-level free text."""
from __future__ import annotations

from helpers import chef_data, complete, report
from sqlalchemy import select

from app.extensions import db
from app.models import CaseAccessLog


def _reads(username_id) -> list[tuple[int, str]]:
    return [(r.case_id, r.via) for r in db.session.scalars(
        select(CaseAccessLog).where(CaseAccessLog.user_id == username_id).order_by(CaseAccessLog.id))]


def test_a_list_of_cases_with_their_fields_is_logged_as_reads(api, user):
    own = report(user("ec_hg"))
    theirs = [report(user("anna")), report(user("anna"), category="fall")]
    listed = api.get("ec_hg", "/api/v1/cases").get_json()["cases"]
    assert {c["id"] for c in listed} == {own.id} | {c.id for c in theirs}
    reads = _reads(user("ec_hg").id)
    if any("fields" in item for item in listed):
        # Fields in the list: a read of each case, except the caller's own report.
        assert sorted(reads) == sorted((c.id, "api-lista") for c in theirs)
    else:
        # Summaries only (the second release's list): nothing of the cases' texts left the server.
        assert all("description" not in str(item) for item in listed)


def test_the_internal_kvalitetsberattelse_logs_its_lex_sarah_list_and_the_published_has_no_free_text(api, user):
    case = report(user("anna"), suspected_lex_sarah=True, description="Boende i rum 7 slogs av en kollega.")
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="missforhallande"))
    internal = api.get("namnd", "/api/v1/reports/kvalitetsberattelse?year=2026")
    assert internal.status_code == 200 and "Boende i rum 7" in internal.get_data(as_text=True)
    assert _reads(user("namnd").id) == [(case.id, "kvalitetsber")]

    published = api.get("namnd", "/api/v1/reports/kvalitetsberattelse?year=2026&version=publicerad")
    body = published.get_json()
    assert body["version"] == "publicerad"
    text = published.get_data(as_text=True)
    assert "rum 7" not in text and case.number not in text
    (lex_sarah,) = [t for s in body["sections"] for t in s["tables"] if t["key"] == "lex_sarah"]
    assert [c["key"] for c in lex_sarah["columns"]] == ["verksamhet", "event", "assessment", "count"]
    assert lex_sarah["rows"] == [{"verksamhet": "Äldreomsorg särskilt boende", "event": "Läkemedel",
                                  "assessment": "Utredning pågår", "count": 1}]
    assert len(_reads(user("namnd").id)) == 1  # the published version read no case
    assert api.get("namnd", "/api/v1/reports/kvalitetsberattelse?year=2026&version=hemlig").status_code == 422
