"""Case actions: what a user may do to a case besides completing its inbox tasks, e.g. ask for the IVO
decision while the lex Sarah investigation goes on (tidig_ivo_anmalan) or add IVO's reference later.

One mechanism for all of them: an action is registered with who may take it, when it is available (a
plain look at the case and its open inbox rows, never a workflow load) and what it does; `available`
lists what the caller may take now (GET /api/v1/cases/<id> "actions", the buttons on the case page) and
`take` validates the action's form (app.forms.ACTION_FORMS), runs it, audits it and commits, all in one
transaction. Another area adds its actions with `register`."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app import clock, engine, forms
from app.extensions import db
from app.models import Case, EjVerkstalltHandelse, Task
from app.services import audit, lex_maria
from app.services.cases import commit, get_case, supply_lookups
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.projection import apply_step
from app.vocabulary import EJ_VERKSTALLT_EVENT_LABELS


@dataclass(frozen=True)
class CaseAction:
    name: str  # the action's key: the URL's last part and the key of its form in app.forms.ACTION_FORMS
    label: str  # the button on the case page
    roles: tuple[str, ...]  # held for the case's unit or a unit above it
    available: Callable[[Case, set[str]], bool]  # (case, ids of its open tasks) -> may it be taken now?
    run: Callable[..., str]  # (user, case, data) -> the audit summary; changes the case (not committed)
    description: str = ""


ACTIONS: dict[str, CaseAction] = {}


def register(action: CaseAction) -> CaseAction:
    ACTIONS[action.name] = action
    return action


def _open_task_ids(case: Case) -> set[str]:
    return set(db.session.scalars(select(Task.task_id).where(Task.case_id == case.id, Task.state == "open")))


def _holds_role(user, case: Case, roles: tuple[str, ...]) -> bool:
    units = {u.id for u in case.unit.ancestors_and_self()}
    return any(r.role in roles and r.unit_id in units for r in user.roles)


def available(user, case: Case) -> list[str]:
    """The names of the actions `user` may take on `case` now."""
    candidates = [a for a in ACTIONS.values() if _holds_role(user, case, a.roles)]
    if not candidates:
        return []
    open_ids = _open_task_ids(case)
    return [a.name for a in candidates if a.available(case, open_ids)]


def action_form(name: str, formdata=None, *, csrf: bool = True):
    form = forms.build(forms.ACTION_FORMS[name], formdata, csrf=csrf)
    supply_lookups(form)
    return form


def take(user, case_id: int, name: str, formdata, *, csrf: bool = True) -> Case:
    action = ACTIONS.get(name)
    if action is None:
        raise NotFound(f"Det finns ingen ärendeåtgärd som heter {name}.")
    case = get_case(user, case_id, log_read=False)
    if not _holds_role(user, case, action.roles):
        raise Forbidden("Din roll får inte göra detta i ärendet.")
    if not action.available(case, _open_task_ids(case)):
        raise Conflict("Åtgärden är inte möjlig i ärendets nuvarande läge. Ladda om sidan.")
    form = action_form(name, formdata, csrf=csrf)
    if not form.validate():
        raise Invalid("Uppgifterna behöver rättas.", forms.form_errors(form))
    data = forms.form_data(form)
    summary = action.run(user, case, data)
    audit.record(f"action_{name}", case=case, actor=user, summary=summary, details=data)
    commit()
    return case


# --- the actions of the avvikelse process ------------------------------------------------------------

def _signal(user, case: Case, signal: str, task_id: str = "sas_utredning"):
    """Deliver a signal to the instance whose open task (`task_id`) the action belongs to, and project the step."""
    instance_id = db.session.scalar(select(Task.instance_id).where(
        Task.case_id == case.id, Task.state == "open", Task.task_id == task_id).limit(1))
    if instance_id is None:
        raise Conflict("Utredningen är redan klar.")
    try:
        result = engine.signal(instance_id, signal, user)
    except engine.NotWaiting:
        db.session.rollback()
        raise Conflict("Åtgärden är inte möjlig i ärendets nuvarande läge. Ladda om sidan.") from None
    apply_step(case, result, user)


def _early_ivo_available(case: Case, open_ids: set[str]) -> bool:
    return (case.type == "avvikelse" and "sas_utredning" in open_ids and not case.ivo_notified
            and not open_ids & {"ivo_beslut", "ivo_anmalan"})


def _early_ivo(user, case: Case, data: dict) -> str:
    _signal(user, case, "tidig_ivo_anmalan")
    return f"{user.name} begärde beslut om anmälan till IVO innan utredningen är klar: {data.get('reason') or ''}"


def _ivo_reference(user, case: Case, data: dict) -> str:
    case.fields = {**(case.fields or {}), "ivo_reference": data["ivo_reference"]}
    return f"IVO:s diarienummer registrerat: {data['ivo_reference']}"


register(CaseAction(
    name="tidig_ivo_anmalan", label="Begär IVO-beslut nu, innan utredningen är klar", roles=("sas", "socialchef"),
    available=_early_ivo_available, run=_early_ivo,
    description="Ett allvarligt missförhållande ska anmälas till IVO snarast. Socialchefens beslut öppnas direkt, "
                "bredvid utredningen, som fortsätter och skickas till IVO när den är klar."))
def _ejv_event(user, case: Case, data: dict) -> str:
    day = date.fromisoformat(data["on"])
    db.session.add(EjVerkstalltHandelse(case_id=case.id, kind=data["kind"], on=day, text=data["text"],
                                        created_at=clock.now(), created_by_id=user.id))
    return f"{EJ_VERKSTALLT_EVENT_LABELS[data['kind']]} {day}: {data['text']}"


register(CaseAction(
    name="ej_verkstallt_handelse", label="Anteckna erbjudande, avböjt erbjudande eller tillfällig insats",
    roles=("medarbetare", "enhetschef", "verksamhetschef"),
    available=lambda case, open_ids: case.type == "ej_verkstallt" and case.status == "pagaende",
    run=_ejv_event, description="En daterad logg över vad som gjorts medan den enskilde väntar; IVO väger in den "
                                "innan myndigheten ansöker om särskild avgift."))
register(CaseAction(
    name="ivo_diarienummer", label="Lägg till IVO:s diarienummer", roles=("sas", "socialchef"),
    available=lambda case, open_ids: case.type == "avvikelse" and bool(case.ivo_notified),
    run=_ivo_reference, description="IVO:s diarienummer för anmälan, när det har kommit."))


# --- lex Maria (bpmn/lex_maria.bpmn): the MAS's actions on a health-care deviation ----------------------

def _vardskada_available(case: Case, open_ids: set[str]) -> bool:
    return case.type == "avvikelse" and bool(case.health_care) and case.status == "pagaende" \
        and not case.is_lex_maria


def _vardskada(user, case: Case, data: dict) -> str:
    if not lex_maria.start(case, user, data.get("reason") or ""):
        raise Conflict("MAS-utredningen har redan startats.")
    return f"{user.name} bedömde att en vårdskada är möjlig; MAS-utredningen startade: {data.get('reason') or ''}"


def _early_lex_maria_available(case: Case, open_ids: set[str]) -> bool:
    return case.type == "avvikelse" and "mas_utredning" in open_ids and not case.lex_maria_notified \
        and "lex_maria_anmalan" not in open_ids


def _early_lex_maria(user, case: Case, data: dict) -> str:
    _signal(user, case, "tidig_lex_maria_anmalan", "mas_utredning")
    return (f"{user.name} beslutade att anmäla till IVO (lex Maria) innan utredningen är klar: "
            f"{data.get('reason') or ''}")


def _lex_maria_reference(user, case: Case, data: dict) -> str:
    case.fields = {**(case.fields or {}), lex_maria.LEX_MARIA_KEY: {
        **lex_maria.record(case), "ivo_reference": data["ivo_reference"]}}
    return f"IVO:s diarienummer för lex Maria-anmälan registrerat: {data['ivo_reference']}"


register(CaseAction(
    name="vardskada_mojlig", label="Möjlig vårdskada: starta MAS-utredning (lex Maria)", roles=("mas",),
    available=_vardskada_available, run=_vardskada,
    description="En händelse som har medfört eller hade kunnat medföra en vårdskada ska utredas "
                "(3 kap. 3 § PSL). Utredningen går bredvid enhetschefens uppföljning och en eventuell "
                "lex Sarah-utredning."))
register(CaseAction(
    name="tidig_lex_maria_anmalan", label="Anmäl till IVO nu, innan utredningen är klar (lex Maria)", roles=("mas",),
    available=_early_lex_maria_available, run=_early_lex_maria,
    description="En allvarlig vårdskada eller risk för en sådan ska anmälas till IVO snarast. Anmälan öppnas direkt; "
                "utredningen fortsätter och skickas till IVO som komplettering när den är klar."))
register(CaseAction(
    name="lex_maria_diarienummer", label="Lägg till IVO:s diarienummer (lex Maria)", roles=("mas",),
    available=lambda case, open_ids: case.type == "avvikelse" and bool(case.lex_maria_notified),
    run=_lex_maria_reference, description="IVO:s diarienummer för lex Maria-anmälan, när det har kommit."))
