"""The engine wrapper: cached specs with a content hash, lanes → roles → units, saved state, and an
inbox that is a query over task rows (never a deserialized workflow)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import chef_data, complete, open_task, open_tasks, report
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select, update

from app import engine
from app.engine import runtime
from app.engine.runtime import SERIALIZER, _load, lane_role, serialize
from app.engine.script_engine import HandlerContext
from app.engine.specs import library
from app.extensions import db
from app.models import ProcessInstance, ProcessSpec, Task, Timer, Unit
from app.services import cases as case_service
from app.services import tasks as task_service
from app.services.access import resolve_unit

BPMN = Path(__file__).resolve().parent.parent / "bpmn"


def test_specs_are_parsed_once_and_cached(app):
    first = engine.process_version("avvikelse")
    assert engine.process_version("avvikelse") is first
    assert library(BPMN) is library(BPMN)
    assert len(first.spec_hash) == 64 and first.filename == "avvikelse.bpmn"
    with pytest.raises(LookupError):
        engine.process_version("finns_inte")


def test_the_spec_hash_covers_the_decision_table(tmp_path):
    copy = tmp_path / "bpmn"
    shutil.copytree(BPMN, copy)
    before = library(copy).get("avvikelse").spec_hash
    assert before == library(BPMN).get("avvikelse").spec_hash  # same content, same version
    changed = tmp_path / "bpmn2"
    shutil.copytree(BPMN, changed)
    table = changed / "allvarlighet.dmn"
    table.write_text(table.read_text(encoding="utf-8").replace('"mycket hög"', '"kritisk"'), encoding="utf-8")
    assert library(changed).get("avvikelse").spec_hash != before


@pytest.mark.parametrize("lane, role", [
    ("Enhetschef", "enhetschef"), ("SAS", "sas"), ("Nämndsekreterare", "namndsekreterare"),
    ("Socialchef", "socialchef"), (" Verksamhetschef ", "verksamhetschef"), (None, None),
])
def test_lanes_name_roles(lane, role):
    assert lane_role(lane) == role


def test_a_lane_that_names_no_role_is_refused():
    with pytest.raises(LookupError):
        lane_role("Kökspersonal")


def test_a_lane_goes_to_the_nearest_unit_with_the_role(org):
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    hg = units["HG"]
    assert resolve_unit("enhetschef", hg) == units["HG"].id
    assert resolve_unit("verksamhetschef", hg) == units["AOSB"].id
    assert resolve_unit("sas", hg) == units["SOC"].id
    assert resolve_unit("socialchef", units["GRP"]) == units["SOC"].id
    # Nobody holds the role anywhere above: the case's own unit.
    assert resolve_unit("enhetschef", units["GRP"]) == units["GRP"].id


def test_start_saves_state_inbox_rows_and_timer_rows(user):
    case = report(user("anna"))
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    assert instance.status == "running" and instance.process_id == "avvikelse"
    json.loads(instance.state)  # serialized as JSON
    task = open_task(case, "chef_uppfoljning")
    assert (task.name, task.lane, task.role) == ("Följ upp avvikelsen", "Enhetschef", "enhetschef")
    timers = db.session.scalars(select(Timer).where(Timer.case_id == case.id)).all()
    assert [(t.state, t.due_at) for t in timers] == [("waiting", task.due_at)]


def test_completing_saves_json_friendly_data_and_bumps_the_version(user):
    case = report(user("anna"))
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    version = instance.version
    complete(
        user("ec_hg"), case, "chef_uppfoljning", chef_data(follow_up_on="2026-04-01", cause_areas=["rutiner", "teknik"])
    )
    assert instance.version == version + 1
    done = db.session.scalar(select(Task).where(Task.case_id == case.id, Task.task_id == "chef_uppfoljning"))
    assert done.state == "completed" and done.completed_by.username == "ec_hg"
    assert done.data["follow_up_on"] == "2026-04-01" and done.data["cause_areas"] == ["rutiner", "teknik"]
    assert done.data["consequence"] == 2  # a number, for the decision table
    json.dumps(case.fields)


def test_a_task_that_is_not_ready_is_refused_by_the_engine(user):
    case = report(user("anna"))
    row = open_task(case, "chef_uppfoljning")
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data())
    db.session.refresh(row)
    with pytest.raises(engine.TaskNotReady):
        engine.complete(row, chef_data(), user("ec_hg"))
    db.session.rollback()


def test_the_inbox_and_case_lists_never_read_the_workflow_state(user):
    case = report(user("anna"))
    task = open_task(case, "chef_uppfoljning")
    # Make the serialized state unreadable: lists and inbox must not care.
    db.session.execute(update(ProcessInstance).values(state="inte ett arbetsflöde"))
    db.session.commit()
    ec = user("ec_hg")
    assert [t.id for t in task_service.inbox(ec)] == [task.id]
    assert [c.id for c in case_service.list_cases(ec)] == [case.id]
    data = case_service.case_dict(ec, case)
    assert data["tasks"][0]["task_id"] == "chef_uppfoljning"
    task_service.claim(ec, task.id)
    assert [t.id for t in task_service.inbox(ec, "mine")] == [task.id]


def test_the_saved_state_is_the_json_spiffworkflow_writes_without_the_spec(app, user):
    """The state is SpiffWorkflow's JSON without the process spec (about 24 kB), which is stored once per
    version (process_specs) and loads with it."""
    case = report(user("anna"))
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data())
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    workflow = _load(instance, HandlerContext(case=case, instance=instance, actor=None))
    expected = json.loads(SERIALIZER.serialize_json(workflow))
    specs = {"spec": expected.pop("spec"), "subprocess_specs": expected.pop("subprocess_specs")}
    assert json.loads(instance.state) == expected
    stored = db.session.get(ProcessSpec, (instance.process_id, instance.spec_hash))
    assert json.loads(stored.spec) == specs
    for _ in range(2):
        assert json.loads(serialize(workflow)) == expected
    runtime._SPECS.clear()  # another process: the spec comes from its row
    again = _load(instance, HandlerContext(case=case, instance=instance, actor=None))
    assert json.loads(serialize(again)) == expected


def test_a_state_that_embeds_its_spec_still_loads_runs_and_is_saved_without_it(app, user):
    """States saved before specs were stored apart embed their spec, and there may be no stored row for
    their version: they keep running, and their next save stores the spec and leaves it out."""
    case = report(user("anna"))
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    old_state = SERIALIZER.serialize_json(_load(instance, HandlerContext(case=case, instance=instance, actor=None)))
    assert "spec" in json.loads(old_state)
    db.session.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id).values(state=old_state))
    db.session.execute(delete(ProcessSpec))
    db.session.commit()
    runtime._SPECS.clear()
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data())
    db.session.refresh(instance)
    assert "spec" not in json.loads(instance.state)
    assert "chef_uppfoljning" not in [t.task_id for t in open_tasks(case)]
    runtime._SPECS.clear()
    workflow = _load(instance, HandlerContext(case=case, instance=instance, actor=None))
    ready = workflow.get_tasks(state=TaskState.READY)
    assert open_tasks(case)
    manual = sorted(t.task_spec.bpmn_id for t in ready if t.task_spec.manual)
    assert manual == sorted(t.task_id for t in open_tasks(case))
