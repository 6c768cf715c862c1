"""Every route of the url_map, as every kind of user (and nobody), with junk in the path, the query
string and the body: the answer is never a 500 (nor an exception escaping the app)."""
from __future__ import annotations

import itertools
import json
import re
from urllib.parse import quote, urlencode

import pytest
from helpers import chef_data, complete, csrf_token, logged_in, report, sas_data
from sqlalchemy import select

from app.extensions import db
from app.forms import START_FORMS, TASK_FORMS, json_to_formdata
from app.models import Task
from app.services import cases as case_service
from app.services.timers import run_due
from app.web.common import form_fields

ROLES = (None, "anna", "ec_hg", "vc_ao", "sas", "namnd", "admin")

# Values for <string> path parts (key, fmt, case_type) and for query arguments.
STRINGS = ["x", "2026Q1", "2026Q9", "csv", "pdf", "åäö\u202e", "a" * 300, "%00", "..%2F..%2Fetc"]
GOOD_STRINGS = {"key": "2026Q1", "fmt": "csv", "case_type": "pdca"}
BAD_IDS = ["0", "-1", "abc", "2147483648", "99999999999999999999"]
ARGS = ("ar", "year", "kvartal", "quarter", "from", "to", "scope", "overdue", "typ", "type", "status", "enhet",
        "unit", "grupp", "group_by", "kalla", "next")
QUERIES = [
    "",
    "?" + urlencode({a: "junk" for a in ARGS}),
    "?" + urlencode({a: v for a, v in zip(ARGS, itertools.cycle(["-1", "99999999999999999999", "2026-02-30",
                                                                   "1899-12-31", "åäö", "//evil.example"]))}),
    "?" + urlencode([(a, v) for a in ARGS for v in ("1", "2026")]) + "&kalla=" + "9" * 40,
]


def _field_names() -> list[str]:
    names = set()
    for form_cls in list(TASK_FORMS.values()) + list(START_FORMS.values()):
        names.update(name for name, _, _ in form_fields(form_cls))
    return sorted(names)


def _form_bodies() -> list[dict]:
    names = _field_names()
    values = ["x" * 30000, "-1", "2026-02-30", "0001-01-01", "åäö\u202e<script>", "true", ""]
    return [{}] + [{name: value for name in names} | {"type": value, "texts": value} for value in values]


def _json_bodies() -> list:
    names = _field_names()
    return [
        None, "[]", "null", '"x"', "{bad json", "1e999",
        {"type": ["avvikelse"]}, {"type": "okand"}, {"texts": "x"}, {"texts": {"okand": 1}}, {"texts": {"plan": None}},
        {"type": "avvikelse", **{n: {"nested": [1, 2]} for n in names}},
        {"type": "pdca", **{n: [None, True, -1, 1.5] for n in names}},
        {"type": "ej_verkstallt", **{n: "x" * 30000 for n in names}},
        {"type": "utredning", **{n: 10 ** 30 for n in names}},
        {"type": "klagomal", **{n: "2026-02-30" for n in names}},
    ]


@pytest.fixture
def world(org, user, clock):
    """Cases of every kind, in several states, and an open IVO report task."""
    lex = report(user("anna"), suspected_lex_sarah=True, person_ref="Rum 3")
    complete(user("ec_hg"), lex, "chef_uppfoljning", chef_data(classification="missforhallande"))
    complete(user("sas"), lex, "sas_utredning", sas_data())
    plain = report(user("anna"))
    for case_type, who, data in [
        ("klagomal", "ec_hg", {"unit": "HG", "received_on": "2026-03-01", "channel": "telefon",
                               "description": "Maten var kall.", "anonymous": False, "kind": "klagomal"}),
        ("pdca", "ec_hg", {"unit": "HG", "title": "Kvällsmedicin", "goal": "Inga missade doser.",
                           "source_cases": [plain.id]}),
        ("utredning", "ec_bou", {"unit": "BOU", "person_ref": "BOU-1", "received_on": "2026-03-01"}),
        ("ej_verkstallt", "ec_myn", {"unit": "MYN-AO", "person_ref": "19400101-T122", "gender": "kvinna", "law": "SoL",
                                     "insats": "sarskilt_boende", "decided_on": "2025-10-10", "reason": "Platsbrist"}),
    ]:
        case_service.create_case(user(who), case_type, json_to_formdata(data), csrf=False)
    clock.advance(days=40)
    run_due()  # the quarterly IVO report task opens in April; timers fire
    db.session.expire_all()
    case_ids = [lex.id, plain.id]
    open_tasks = db.session.scalars(select(Task.id).where(Task.state == "open").order_by(Task.id)).all()
    done = db.session.scalar(select(Task.id).where(Task.state != "open").limit(1))
    return {"case_id": case_ids, "task_id": [done, *open_tasks]}  # every open task: each role works on some


def _client(app, username):
    if username is None:
        return app.test_client(), ""
    client = logged_in(app, username)
    return client, csrf_token(client.get("/rapportera"))


def _paths(rule, world) -> list[str]:
    """The rule with each variable in turn given good and bad values, the others a good one."""
    parts = re.split(r"<([^>]+)>", rule.rule)
    choices: dict[int, list[str]] = {}
    for index in range(1, len(parts), 2):
        part = parts[index]
        name = part.split(":")[-1]
        if part.startswith("int"):
            choices[index] = [str(v) for v in world.get(name, [1])] + ["1", "2147483647"] + BAD_IDS
        elif part.startswith("path"):
            choices[index] = ["style.css", "../../app/config.py"]
        else:
            good = GOOD_STRINGS.get(name, "x")
            if name == "key" and ("export" in rule.rule or "tables" in rule.rule):
                good = "lex_sarah"
            choices[index] = [good] + [quote(v, safe="%") for v in STRINGS if v != good]
    if not choices:
        return [rule.rule]
    paths = []
    for varied, values in choices.items():
        for value in values:
            paths.append("".join(value if i == varied else (choices[i][0] if i in choices else part)
                                 for i, part in enumerate(parts)))
    return list(dict.fromkeys(paths))


def _requests(rule, world):
    for path in _paths(rule, world):
        api = path.startswith("/api/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                # A PDF takes a second to render: the kvalitetsberättelse tests render it; here only junk.
                for query in (QUERIES[1:] if path.endswith(".pdf") else QUERIES):
                    yield method, path + query, None
            else:
                for body in (_json_bodies() if api else _form_bodies()):
                    yield method, path, body


def _send(client, token, method, url, body):
    if url.startswith("/api/"):
        headers = {"X-CSRFToken": token}
        if body is None:
            return client.open(url, method=method, headers=headers)
        data = body if isinstance(body, str) else json.dumps(body)
        return client.open(url, method=method, data=data, content_type="application/json", headers=headers)
    data = dict(body or {})
    if method != "GET":
        data["csrf_token"] = token
        if "import" in url:
            from io import BytesIO

            data["fil"] = (BytesIO(b"\xff\xfe;;\n" + "Kod;Kön\nx;y\n".encode() * 3), "junk.csv")
            return client.open(url, method=method, data=data, content_type="multipart/form-data")
    return client.open(url, method=method, data=data)


@pytest.mark.parametrize("username", ROLES)
def test_no_route_answers_500_to_junk(org, world, username):
    client, token = _client(org, username)
    failures = []
    rules = sorted((r for r in org.url_map.iter_rules() if r.endpoint != "static"),
                   key=lambda r: r.endpoint == "auth.logout")  # logging out last
    for rule in rules:
        for method, url, body in _requests(rule, world):
            try:
                response = _send(client, token, method, url, body)
            except Exception as err:  # noqa: BLE001 - reported below with the request
                db.session.rollback()
                failures.append(f"{method} {url[:120]} {str(body)[:60]!r}: {type(err).__name__}: {str(err)[:200]}")
                continue
            if response.status_code >= 500:
                failures.append(f"{method} {url[:120]} {str(body)[:60]!r}: {response.status_code}")
    assert not failures, f"{len(failures)} failures as {username}:\n" + "\n".join(failures[:40])


def test_the_walk_covers_every_route(org):
    endpoints = {r.endpoint for r in org.url_map.iter_rules()}
    assert {"cases.show", "inbox.complete", "api.complete", "api.reports.kvalitetsberattelse_texts",
            "api.ej_verkstallt.import_csv", "ej_verkstallt.submit", "reports.edit_texts"} <= endpoints


def test_deeply_nested_or_odd_json_is_a_400_not_a_crash(org, user):
    from app.services.users import create_token

    client = org.test_client()
    headers = {"Authorization": f"Bearer {create_token(user('anna'))}"}
    for body in ("[" * 100000, '{"a":' * 50000 + "1" + "}" * 50000, "NaN", "\ufeff{}", "\xff\xfe"):
        for method, path in (("POST", "/api/v1/cases"), ("POST", "/api/v1/tasks/1/complete"),
                             ("PUT", "/api/v1/reports/kvalitetsberattelse")):
            response = client.open(path, method=method, data=body, content_type="application/json", headers=headers)
            assert response.status_code in (400, 403, 404, 422), (path, body[:10], response.status_code)
            assert response.get_json()["error"] in ("bad_request", "forbidden", "not_found", "invalid")


def _snapshot() -> dict:
    """Every row of every table except the read log (reading a case is logged on purpose)."""
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name in ("case_access_log",):
            continue
        rows[table.name] = sorted(map(repr, db.session.execute(table.select()).all()))
    return rows


@pytest.mark.parametrize("username", ("anna", "ec_hg", "namnd", "admin"))
def test_get_requests_change_nothing(org, world, username):
    client, _ = _client(org, username)
    db.session.expire_all()
    before = _snapshot()
    for rule in org.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        for path in _paths(rule, world)[:6]:
            client.get(path)
    db.session.rollback()
    db.session.expire_all()
    after = _snapshot()
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [], changed
