"""The contract between the diagrams in bpmn/ and the code: every user task has a form, every service
task a registered handler, every lane names a role, every case type starts a process that exists.
A diagram that gains a task the code does not know fails here, not in production."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import app.handlers  # noqa: F401  (importing the package registers every handler)
from app.engine.registry import registered_names
from app.engine.runtime import lane_role
from app.forms import START_FORMS, TASK_FORMS
from app.vocabulary import CASE_TYPES, ROLES, STARTABLE_CASE_TYPES

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
DIAGRAMS = sorted(BPMN_DIR.glob("*.bpmn"))
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core"}


def _root(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def _ids(path: Path, xpath: str) -> list[str]:
    return [element.get("id", "") for element in _root(path).iterfind(xpath, NS)]


def _all(xpath: str) -> set[str]:
    return {value for path in DIAGRAMS for value in _ids(path, xpath)}


USER_TASKS = ".//bpmn:process//bpmn:userTask"
OPERATORS = ".//bpmn:serviceTask//spiff:serviceTaskOperator"


def test_the_diagrams_are_found():
    assert DIAGRAMS, f"no diagrams in {BPMN_DIR}"
    assert _all(USER_TASKS), "no user tasks parsed: has the BPMN namespace changed?"
    assert _all(OPERATORS), "no service-task operators parsed: has the spiff namespace changed?"


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_every_user_task_has_a_form(path):
    missing = [task_id for task_id in _ids(path, USER_TASKS) if task_id not in TASK_FORMS]
    assert missing == [], f"{path.name}: user tasks without a form in app.forms.TASK_FORMS: {missing}"


def test_every_task_form_belongs_to_a_user_task():
    unused = sorted(set(TASK_FORMS) - _all(USER_TASKS))
    assert unused == [], f"forms in app.forms.TASK_FORMS that no diagram has as a user task: {unused}"


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_every_service_task_operator_has_a_handler(path):
    known = set(registered_names())
    missing = [name for name in _ids(path, OPERATORS) if name not in known]
    assert missing == [], f"{path.name}: service-task operators without a registered handler: {missing}"


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_every_lane_names_a_role(path):
    lanes = [lane.get("name", "") for lane in _root(path).iterfind(".//bpmn:lane", NS)]
    assert lanes, f"{path.name} has no lanes"
    for name in lanes:
        try:
            role = lane_role(name)  # how the engine maps a lane to a role
        except LookupError:
            role = None
        assert role in ROLES, f"{path.name}: the lane {name!r} names no role in app.vocabulary.ROLES"


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_every_user_task_sits_in_a_lane(path):
    """The lane is what offers a user task to a role: a task outside every lane reaches nobody."""
    root = _root(path)
    in_lanes = {ref.text.strip() for ref in root.iterfind(".//bpmn:lane/bpmn:flowNodeRef", NS) if ref.text}
    outside = [task_id for task_id in _ids(path, USER_TASKS) if task_id not in in_lanes]
    assert outside == [], f"{path.name}: user tasks in no lane: {outside}"


@pytest.mark.parametrize("case_type", sorted(CASE_TYPES))
def test_every_case_type_starts_a_process_in_bpmn(case_type):
    processes = _all(".//bpmn:process")
    assert CASE_TYPES[case_type].process_id in processes, (
        f"{case_type}: process {CASE_TYPES[case_type].process_id!r} is not in bpmn/ ({sorted(processes)})")


def test_every_start_form_belongs_to_a_case_type():
    assert {spec.start_form for spec in STARTABLE_CASE_TYPES.values()} == set(START_FORMS)
