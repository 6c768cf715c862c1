"""Lists: paging, search, filters, sorting and counts through the API and the pages (DESIGN.md "Lists:
paging, search, filters"), on SQLite and PostgreSQL."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from helpers import REPORT, chef_data, complete, csrf_token, logged_in, report, sas_data
from sqlalchemy import select, text

from app.extensions import db
from app.models import AuditEvent, SavedFilter


@pytest.fixture
def app_config(app_config):
    # Three reports of one kind in a unit would also raise a pattern signal (a case and a task of its own).
    return {**app_config, "PATTERN_SIGNAL_COUNT": 1000}


def _reports(user, clock, descriptions, **overrides):
    """One avvikelse per description, a day apart (the newest last)."""
    made = []
    for description in descriptions:
        made.append(report(user("anna"), description=description, **overrides))
        clock.advance(days=1)
    return made


def test_case_list_pages_with_a_total_and_a_next_link_that_keeps_the_filters(api, user, clock):
    made = _reports(user, clock, [f"Händelse nummer {n}" for n in range(5)])
    made.append(report(user("bertil"), unit="SR", description="Annan enhet"))
    sas = api("sas")
    first = sas.get("/api/v1/cases?unit=AOSB&per_page=2&sort=number").get_json()  # AOSB: HG and SR below it
    assert (first["page"], first["per_page"], first["total"], first["total_exact"]) == (1, 2, 6, True)
    assert [c["number"] for c in first["cases"]] == sorted(c.number for c in made)[:2]
    assert set(first["cases"][0]) >= {"id", "number", "type", "status", "unit", "title", "severity", "reported_at",
                                      "due_at", "overdue"}
    assert "fields" not in first["cases"][0]  # a summary, never the case's fields
    assert "unit=AOSB" in first["next"] and "per_page=2" in first["next"] and "page=2" in first["next"]
    numbers = [c["number"] for c in first["cases"]]
    following = first["next"]
    while following:
        parts = urlsplit(following)
        body = sas.get(f"{parts.path}?{parts.query}").get_json()
        numbers += [c["number"] for c in body["cases"]]
        following = body["next"]
    assert numbers == sorted(c.number for c in made)  # every case once, in order, over three pages
    past = sas.get("/api/v1/cases?per_page=2&page=9").get_json()
    assert (past["cases"], past["total"], past["next"]) == ([], 6, None)  # past the end: an empty page
    assert [c["title"] for c in sas.get("/api/v1/cases?unit=SR").get_json()["cases"]] == ["Annan enhet"]


def test_filters_severity_overdue_and_sorting_by_deadline(api, user, clock):
    early, late = _reports(user, clock, ["Tidig", "Sen"])
    complete(user("ec_hg"), late, "chef_uppfoljning", chef_data(consequence=4, likelihood=4))
    sas = api("sas")

    def titles(query):
        response = sas.get("/api/v1/cases" + query)
        assert response.status_code == 200, response.get_json()
        return [c["title"] for c in response.get_json()["cases"]]

    db.session.refresh(late)
    assert late.severity and titles(f"?severity={late.severity}") == ["Sen"]
    assert titles("?sort=due_at") == ["Tidig", "Sen"]  # chef_uppfoljning is due before the åtgärdsuppföljning
    assert titles("?sort=-reported_at") == ["Sen", "Tidig"] and titles("?sort=reported_at") == ["Tidig", "Sen"]
    assert titles("?overdue=1") == []
    clock.advance(days=20)  # past the follow-up of "Tidig", not the action follow-up of "Sen"
    assert titles("?overdue=1") == ["Tidig"]
    listed = {c["title"]: c for c in sas.get("/api/v1/cases").get_json()["cases"]}
    assert listed["Tidig"]["overdue"] is True and listed["Sen"]["overdue"] is False


def test_bad_list_arguments_are_a_swedish_422_or_an_empty_page_never_a_500(api, user, clock):
    _reports(user, clock, ["Något hände"])
    sas = api("sas")
    for query, field in [("type=okand", "type"), ("status=x", "status"), ("severity=x", "severity"),
                         ("unit=FINNS-EJ", "unit"), ("sort=titel", "sort"), ("per_page=201", "per_page"),
                         ("per_page=0", "per_page"), ("page=0", "page"), ("page=-1", "page"), ("page=ett", "page"),
                         ("page=99999999999999999999", "page"), ("from=2026-13-01", "from"), ("to=0001-01-01", "to"),
                         ("q=" + "x" * 10_000, "q"), ("page=1001", "page")]:
        response = sas.get("/api/v1/cases?" + query)
        assert response.status_code == 422, (query, response.status_code)
        body = response.get_json()
        assert field in body["fields"] and body["message"], query
    assert sas.get("/api/v1/tasks?per_page=1000").status_code == 422
    # Query syntax of either database is only text: no error, no match beyond what the words say.
    for q in ['"', "'", "a & b | !c", "fall:* <-> (x", "NEAR(a b)", 'document : "x"', "\\", "*", "--", "(((", "%_"]:
        response = sas.get("/api/v1/cases", query_string={"q": q})
        assert response.status_code == 200, (q, response.get_json())
    # NUL or another control character in the search: the list names the field (other arguments: a 400).
    for path in ("/api/v1/cases", "/api/v1/tasks"):
        for q in ("\x00", "fall\x00", "a\x07b", "x" * 10_000 + "\x00"):
            response = sas.get(path, query_string={"q": q})
            assert response.status_code == 422, (path, q, response.status_code)
            assert response.get_json()["fields"]["q"], (path, q)
    # Quotes, operators and NUL on the tasks list too; past the end: an empty page with the total.
    for q in ['"', "a & b | !c", "fall:* <-> (x", "NEAR(a b)", "(((", "%_"]:
        assert sas.get("/api/v1/tasks", query_string={"q": q}).status_code == 200, q
    for query, field in [("type=okand", "type"), ("unit=FINNS-EJ", "unit"), ("severity=x", "severity"),
                         ("sort=titel", "sort"), ("per_page=201", "per_page"), ("page=0", "page"),
                         ("from=2026-13-01", "from"), ("q=" + "x" * 10_000, "q"), ("page=1001", "page")]:
        response = sas.get("/api/v1/tasks?" + query)
        assert response.status_code == 422 and field in response.get_json()["fields"], query
    beyond = sas.get("/api/v1/cases?page=50").get_json()
    assert beyond["cases"] == [] and beyond["total"] == 1 and beyond["next"] is None
    beyond = sas.get("/api/v1/tasks?page=50").get_json()
    assert beyond["tasks"] == [] and beyond["next"] is None
    # Elsewhere a NUL in `q` is the global 400, as in any argument (e.g. the administrators' user search).
    admin = logged_in(api.client.application, "admin")
    assert admin.get("/admin/anvandare", query_string={"q": "a\x00"}).status_code == 400
    assert api("admin").get("/api/v1/admin/users", query_string={"q": "a\x00"}).status_code == 400
    # The pages: the refused search is named on the page and the list shown without it.
    client = logged_in(api.client.application, "sas")
    for path in ("/arenden", "/", "/att-fordela", "/mina-rapporter"):
        response = client.get(path, query_string={"q": "fall\x00"})
        assert response.status_code == 200, path
        assert "Sökningen innehåller otillåtna tecken." in response.get_data(as_text=True), path


def test_search_by_number_and_by_an_inflected_swedish_word_within_what_the_user_sees(api, user, clock):
    fall, other = _reports(user, clock, ["Brukaren föll i badrummet. Fall utan skada.", "Medicin gavs för sent."],
                           immediate_actions="Sjuksköterskan tillkallades.")
    hidden = report(user("bertil"), unit="SR", description="Fall i matsalen.")
    ec = api("ec_hg")

    def found(username, q):
        body = api(username).get("/api/v1/cases", query_string={"q": q}).get_json()
        assert body["total"] == len(body["cases"]), q
        return [c["number"] for c in body["cases"]]

    assert found("ec_hg", fall.number) == [fall.number]
    assert found("ec_hg", fall.number.lower()) == [fall.number]  # a number is exact, whatever the case
    assert found("ec_hg", "fallet") == [fall.number]  # "fallet" finds "fall"
    assert found("ec_hg", "BADRUMMET") == [fall.number] and found("ec_hg", "medicinen") == [other.number]
    assert found("ec_hg", "fall medicin") == []  # every word must be there
    assert found("ec_hg", hidden.number) == [] and found("ec_sr", "badrummet") == []  # not found, not counted
    assert found("sas", "fall") == [hidden.number, fall.number]
    assert ec.get("/api/v1/cases?q=fall&unit=SR").get_json()["total"] == 0  # a filter never widens
    # The web page: a number goes straight to the case; a number the user may not see finds nothing.
    client = logged_in(api.client.application, "ec_hg")
    assert client.get(f"/arenden?q={fall.number}").headers["Location"].endswith(f"/arenden/{fall.id}")
    page = client.get(f"/arenden?q={hidden.number}").get_data(as_text=True)
    assert "Inga ärenden matchar." in page and f"/arenden/{hidden.id}" not in page


def test_lex_sarah_investigation_text_is_found_only_by_those_who_may_read_it(api, user, clock):
    case = report(user("anna"), description="Boende lämnades ensam.")
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="missforhallande"))
    # Indexed in the transaction of the completion: searchable at once, no reindexing.
    complete(user("sas"), case, "sas_utredning", sas_data(investigation="Duschstolen saknade bromsar."))
    for username, expected in [("sas", 1), ("chef", 1), ("ec_hg", 1), ("anna", 0), ("vc_ao", 0)]:
        body = api(username).get("/api/v1/cases?q=duschstolen").get_json()
        assert body["total"] == expected, username
        assert api(username).get("/api/v1/cases?q=ensam").get_json()["total"] == 1, username  # the report: everyone
    # `search reindex` rebuilds the same index.
    result = api.client.application.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "1 ärenden är sökbara." in result.output
    assert api("sas").get("/api/v1/cases?q=duschstolen").get_json()["total"] == 1
    assert api("vc_ao").get("/api/v1/cases?q=duschstolen").get_json()["total"] == 0


def test_a_search_walking_the_list_and_one_reading_the_matches_find_the_same_cases(api, user, clock, app):
    """PostgreSQL finds a common word by walking the list's order and a rare one from the index
    (SEARCH_WALK "auto" chooses by the planner's estimate); both find what the user may see, no more."""
    fall, _other = _reports(user, clock, ["Brukaren föll. Fall i badrummet.", "Medicin gavs för sent."],
                            immediate_actions="Sjuksköterskan tillkallades.")
    report(user("bertil"), unit="SR", description="Fall i matsalen.")
    lex = report(user("anna"), description="Boende lämnades ensam.")
    complete(user("ec_hg"), lex, "chef_uppfoljning", chef_data(classification="missforhallande"))
    complete(user("sas"), lex, "sas_utredning", sas_data(investigation="Duschstolen saknade bromsar."))
    for mode in ("always", "never"):
        app.config["SEARCH_WALK"] = mode

        def total(username, q, mode=mode):
            body = api(username).get("/api/v1/cases", query_string={"q": q}).get_json()
            assert body["total"] == len(body["cases"]) and body["total_exact"], (mode, username, q)
            return body["total"]

        assert total("ec_hg", "fallet") == 1 and total("ec_sr", "fallet") == 1 and total("sas", "fallet") == 2, mode
        assert total("ec_hg", "fall badrummet") == 1 and total("ec_hg", "fall medicin") == 0, mode
        assert api("ec_hg").get("/api/v1/cases?q=fall&unit=SR").get_json()["total"] == 0, mode
        for username, expected in [("sas", 1), ("ec_hg", 1), ("anna", 0), ("vc_ao", 0)]:
            assert total(username, "duschstolen") == expected, (mode, username)
        assert [c["number"] for c in api("ec_hg").get("/api/v1/cases?q=fall&per_page=1").get_json()["cases"]] \
            == [fall.number], mode


def test_on_postgresql_auto_asks_the_planner_once_the_search_rows_have_statistics_and_finds_the_same(
        api, user, clock, app, backend):
    """SEARCH_WALK "auto" (the default) asks PostgreSQL's planner how many rows a word matches (EXPLAIN)
    once the search table has been analysed; the answer is the same cases either way."""
    if backend != "postgresql":
        pytest.skip("the planner's estimate is PostgreSQL's")
    fall, _other = _reports(user, clock, ["Brukaren föll. Fall i badrummet.", "Medicin gavs för sent."])
    report(user("bertil"), unit="SR", description="Fall i matsalen.")
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE case_search")

    def found(username: str, mode: str) -> list[str]:
        app.config["SEARCH_WALK"] = mode
        body = api(username).get("/api/v1/cases", query_string={"q": "fallet"}).get_json()
        assert body["total"] == len(body["cases"]), (username, mode)
        return [c["number"] for c in body["cases"]]

    assert found("ec_hg", "auto") == [fall.number]
    for username, seen in [("ec_hg", 1), ("ec_sr", 1), ("vc_ao", 2)]:
        auto = found(username, "auto")
        assert len(auto) == seen and auto == found(username, "never"), username


def test_a_search_counts_to_its_own_limit_and_says_when_there_are_more(api, user, clock, app):
    app.config["LIST_SEARCH_COUNT_LIMIT"] = 3
    _reports(user, clock, [f"Fall nummer {n}" for n in range(5)])
    body = api("sas").get("/api/v1/cases?q=fall&per_page=2").get_json()
    assert (body["total"], body["total_exact"], len(body["cases"])) == (3, False, 2) and body["next"]
    assert api("sas").get("/api/v1/cases?per_page=2").get_json()["total"] == 5  # no search: LIST_COUNT_LIMIT
    last = api("sas").get("/api/v1/cases?q=fall&per_page=2&page=3").get_json()  # past the count: still paged
    assert len(last["cases"]) == 1 and last["next"] is None
    page = logged_in(app, "sas").get("/arenden?q=fall&per_sida=2").get_data(as_text=True)
    assert "Fler än 3" in page


def test_postgresql_reindex_builds_the_documents_the_application_writes(api, user, clock, backend):
    if backend != "postgresql":
        pytest.skip("the one-statement reindex is PostgreSQL's")
    case = report(user("anna"), description="Rollatorn var trasig.", suspected_lex_sarah=True)
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="missforhallande"))
    complete(user("sas"), case, "sas_utredning", sas_data())
    statement = text("SELECT strip(document)::text, strip(full_document)::text FROM case_search WHERE case_id = :id")
    written = db.session.execute(statement, {"id": case.id}).one()
    api.client.application.test_cli_runner().invoke(args=["search", "reindex"])
    assert db.session.execute(statement, {"id": case.id}).one() == written


def test_task_list_pages_with_counts(api, user, clock):
    made = _reports(user, clock, ["Ett", "Två", "Tre"])
    ec = api("ec_hg")
    tasks = ec.get("/api/v1/tasks?scope=candidate&per_page=2").get_json()
    assert (len(tasks["tasks"]), tasks["total"], tasks["page"]) == (2, 3, 1) and tasks["next"]
    assert tasks["counts"] == {"mine": 0, "candidate": 3, "overdue": 0}
    first = tasks["tasks"][0]
    assert first["case_number"] == made[0].number  # earliest deadline first
    assert ec.post(f"/api/v1/tasks/{first['id']}/claim").status_code == 200
    clock.advance(days=12)  # past the first report's deadline only (they are a day apart)
    body = ec.get("/api/v1/tasks?scope=all").get_json()
    assert body["counts"] == {"mine": 1, "candidate": 2, "overdue": 1}
    assert [t["case_number"] for t in ec.get("/api/v1/tasks?overdue=1").get_json()["tasks"]] == [made[0].number]
    assert ec.get("/api/v1/tasks?scope=candidate&q=" + made[2].number).get_json()["total"] == 1
    assert ec.get("/api/v1/tasks?scope=candidate&type=klagomal").get_json()["total"] == 0
    assert api("ec_sr").get("/api/v1/tasks").get_json()["counts"] == {"mine": 0, "candidate": 0, "overdue": 0}


def test_inbox_pages_page_keep_their_filters_and_count_in_the_menu(org, user, clock, app):
    app.config["LIST_PER_PAGE"] = 2
    _reports(user, clock, ["Ett", "Två", "Tre"])
    client = logged_in(org, "ec_hg")
    page = client.get("/att-fordela?typ=avvikelse").get_data(as_text=True)
    assert 'Att fördela</a><span class="nav-count">(3)</span>' in page
    assert 'Försenade</a><span class="nav-count">(0)</span>' in page
    assert "3 uppgifter, varav 0 försenade." in page and "Visar 1–2 av 3 uppgifter." in page
    assert 'href="/att-fordela?typ=avvikelse&amp;sida=2"' in page
    second = client.get("/att-fordela?typ=avvikelse&sida=2").get_data(as_text=True)
    assert "Visar 3–3 av 3 uppgifter." in second and "Föregående sida" in second
    clock.advance(days=30)
    client = logged_in(org, "ec_hg")  # the session expired meanwhile
    overdue = client.get("/forsenade").get_data(as_text=True)
    assert 'Försenade</a><span class="nav-count">(3)</span>' in overdue
    assert "3 uppgifter, varav 3 försenade." in overdue
    noted = client.get("/att-fordela?typ=okand&sortering=x").get_data(as_text=True)
    assert "Okänd ärendetyp; filtret användes inte." in noted and "3 uppgifter" in noted
    beyond = client.get("/?sida=50").get_data(as_text=True)
    assert "Sidan är tom" in beyond


def test_saved_filters_are_personal_and_audited(org, user, clock):
    client = logged_in(org, "ec_hg")
    page = client.get("/arenden?typ=avvikelse&status=pagaende")
    response = client.post("/mina-filter", data={
        "csrf_token": csrf_token(page), "page": "arenden", "name": "Pågående avvikelser",
        "query": "typ=avvikelse&status=pagaende", "next": "/arenden"})
    assert response.status_code == 302
    listed = client.get("/arenden").get_data(as_text=True)
    assert 'href="/arenden?typ=avvikelse&amp;status=pagaende">Pågående avvikelser</a>' in listed
    saved = db.session.scalars(select(SavedFilter)).one()
    other = logged_in(org, "ec_sr")
    assert "Pågående avvikelser" not in other.get("/arenden").get_data(as_text=True)
    refused = other.post(f"/mina-filter/{saved.id}/ta-bort", data={"csrf_token": csrf_token(other.get("/arenden"))})
    assert refused.status_code == 302 and db.session.scalars(select(SavedFilter)).all() != []
    without_token = client.post(f"/mina-filter/{saved.id}/ta-bort")
    assert without_token.status_code == 400
    client.post(f"/mina-filter/{saved.id}/ta-bort", data={"csrf_token": csrf_token(client.get("/arenden"))})
    assert db.session.scalars(select(SavedFilter)).all() == []
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert [a for a in actions if a.startswith("filter_")] == ["filter_saved", "filter_deleted"]


def test_my_reports_pages(org, user, clock, app):
    app.config["LIST_PER_PAGE"] = 2
    _reports(user, clock, ["Ett", "Två", "Tre"])
    client = logged_in(org, "anna")
    page = client.get("/mina-rapporter").get_data(as_text=True)
    assert "Visar 1–2 av 3 rapporter." in page and "/mina-rapporter?sida=2" in page
    assert REPORT["immediate_actions"] not in page  # a list shows summaries


def test_a_case_number_in_the_header_search_goes_to_the_case(org, user, clock):
    case = report(user("anna"))
    client = logged_in(org, "ec_hg")
    assert 'role="search"' in client.get("/").get_data(as_text=True)
    response = client.get("/arenden", query_string={"q": f"  {case.number}  "})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/arenden/{case.id}")


def test_every_list_page_names_a_bad_page_argument_and_shows_its_first_page(org, user, clock):
    """Unknown or out-of-range paging on every paged web list: a Swedish note and the list, never an error."""
    _reports(user, clock, ["Något hände"])
    pages = {"sas": ["/", "/att-fordela", "/forsenade", "/arenden", "/mina-rapporter", "/forbattring"],
             "admin": ["/admin/utskick", "/admin/anvandare"], "ec_myn": ["/ej-verkstallda"]}
    for username, paths in pages.items():
        client = logged_in(org, username)
        for path in paths:
            for query, note in (("sida=ett", "Sida: Ange ett heltal från 1"), ("per_sida=999", "till 200"),
                                ("sida=0", "Sida: Ange ett heltal från 1"), ("sida=1001", "Listan visar de första")):
                response = client.get(f"{path}?{query}")
                body = response.get_data(as_text=True)
                assert response.status_code == 200, (path, query, response.status_code)
                assert note in body, (path, query)
            beyond = client.get(f"{path}?sida=99")
            assert beyond.status_code == 200 and "Nästa sida" not in beyond.get_data(as_text=True), path


def test_after_a_sweep_each_case_is_found_by_its_own_words(api, user, clock):
    from app.services.timers import run_due

    words = ["rullstolen", "duschpallen", "kvällsmedicinen"]
    made = _reports(user, clock, [f"Boende föll vid {word}." for word in words])
    clock.advance(days=20)  # every follow-up deadline passes: one sweep steps all three cases together
    assert run_due() >= len(made)
    for word, case in zip(words, made, strict=True):
        found = api("sas").get(f"/api/v1/cases?q={word}").get_json()["cases"]
        assert [c["number"] for c in found] == [case.number], word


def test_the_words_a_completion_adds_are_found_at_once(api, user, clock):
    [case] = _reports(user, clock, ["Boende föll i korridoren."])
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(analysis="Signeringslistan saknades på avdelningen."))
    found = api("ec_hg").get("/api/v1/cases?q=signeringslistan").get_json()["cases"]
    assert [c["number"] for c in found] == [case.number]


def test_texts_stemmed_in_several_threads_at_once_get_the_stems_of_one_thread(app):
    """A threaded server indexes the texts of simultaneous steps at once (SQLite's index is stemmed in
    Python): a shared stemmer broke off with IndexError, and the step with a 500."""
    import threading

    from app.services import search

    # Distinct words, so that the threads stem rather than find the stems remembered.
    syllables = ["bru", "ka", "lä", "ke", "me", "dok", "vik", "kväll", "si", "gne"]
    endings = ["arens", "edlen", "ationen", "elserna", "icinen", "ningarna", "liga", "heten"]
    text = " ".join(a + b + c + e for a in syllables for b in syllables for c in syllables[:3] for e in endings)
    expected = search._stemmed(text)
    search._stem.cache_clear()
    answers: list = []

    def stem() -> None:
        try:
            answers.extend(search._stemmed(text) for _ in range(5))
        except Exception as err:  # noqa: BLE001 - reported back to the test
            answers.append(err)

    threads = [threading.Thread(target=stem) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(answers) == 30 and all(answer == expected for answer in answers), \
        [a for a in answers if a != expected][:1]
