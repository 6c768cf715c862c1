"""Risk- och konsekvensanalys (bpmn/riskanalys.bpmn) through the JSON API: the analysis gives the
severity, the follow-up is assigned and either closes the case or starts a PDCA cycle."""
from __future__ import annotations

from datetime import timedelta

from helpers import report

from app import clock as app_clock


def test_a_risk_analysis_through_the_api(api, user, clock):
    deviation = report(user("anna"), category="larm_telefoni")
    created = api.call(
        "ec_hg",
        "POST",
        "/api/v1/cases",
        {
            "type": "riskanalys",
            "unit": "HG",
            "title": "Nytt larmsystem",
            "change": "Byte av trygghetslarm.",
            "source_cases": [deviation.number],
        },
    )
    assert created.status_code == 201, created.json
    assert created.json["number"] == "RISK-2026-0001" and created.json["fields"]["source_cases"] == [deviation.id]
    [task] = created.json["tasks"]
    follow_up_on = (app_clock.today() + timedelta(days=5)).isoformat()
    done = api.call("ec_hg", "POST", f"/api/v1/tasks/{task['id']}/complete", {
        "risks": "Larm tappas vid bytet.", "consequence": 3, "likelihood": 3, "actions": "Dubbel bemanning.",
        "responsible": "ec_hg", "follow_up_on": follow_up_on})
    assert done.status_code == 200, done.json
    case = done.json["case"]
    assert (case["severity"], case["risk_value"]) == ("hög", 9)
    [follow_up] = case["tasks"]
    assert (follow_up["task_id"], follow_up["assignee"]) == ("riskanalys_uppfoljning", "ec_hg")
    assert follow_up["due_at"].startswith(follow_up_on)
    missing_goal = api.call("ec_hg", "POST", f"/api/v1/tasks/{follow_up['id']}/complete",
                       {"actions_done": True, "notes": "n", "start_pdca": True})
    assert missing_goal.status_code == 422 and "goal" in missing_goal.json["fields"]
    closed = api.call("ec_hg", "POST", f"/api/v1/tasks/{follow_up['id']}/complete",
                 {"actions_done": True, "notes": "Allt fungerade.", "start_pdca": False})
    assert closed.json["case"]["status"] == "avslutad"
