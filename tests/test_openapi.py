"""The OpenAPI 3.1 description at /api/v1/openapi.json is generated from the routes and the forms
registry (it cannot drift), and a property-based run with schemathesis against it finds no 500 and no
answer outside the description. Bounded: a few examples per operation, no shrinking, no database."""
from __future__ import annotations

import schemathesis
from helpers import report
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.forms import START_FORMS, TASK_FORMS
from app.services.users import create_token

EXAMPLES = 12


def test_the_description_follows_the_routes_and_the_forms(org):
    spec = org.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    api_rules = {r.rule for r in org.url_map.iter_rules() if r.rule.startswith("/api/v1/")} - {"/api/v1/openapi.json"}
    assert len(spec["paths"]) == len(api_rules)
    start = spec["paths"]["/api/v1/cases"]["post"]["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert {v["properties"]["type"]["const"] for v in start} <= set(START_FORMS) | {"avvikelse"}
    avvikelse = next(v for v in start if v["properties"]["type"]["const"] == "avvikelse")
    assert avvikelse["properties"]["occurred_on"] == {"type": "string", "format": "date"}
    assert {"type", "unit", "occurred_on", "category", "description"} <= set(avvikelse["required"])
    complete = spec["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]["requestBody"]
    assert len(complete["content"]["application/json"]["schema"]["anyOf"]) == len(TASK_FORMS)


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_description(org, user):
    report(user("anna"))  # a case and a task exist, so ids 1 reach real code
    headers = {"Authorization": f"Bearer {create_token(user('sas'))}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", org)
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        try:
            run()
        except Exception as err:  # noqa: BLE001 - collected, so one run names every failing operation
            failures.append(f"{operation.label}: {str(err)[:400]}")
    assert failures == []
