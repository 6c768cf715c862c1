"""One WTForms class per user task, keyed by the task's id in the diagram, plus the start forms per
case type. The web and the API validate alike: `json_to_formdata` makes an API body look like a form
post, and `form_data` turns a validated form into JSON-friendly task data."""
from __future__ import annotations

from datetime import date

from werkzeug.datastructures import MultiDict

from app.forms.avvikelse import (
    AtgardsuppfoljningForm,
    AvvikelseReportForm,
    ChefUppfoljningForm,
    EskaleringUppfoljningForm,
    IvoAnmalanForm,
    IvoBeslutForm,
    IvoDiarienummerForm,
    IvoKompletteringForm,
    SasUtredningForm,
    SasVerifieringForm,
    TidigIvoAnmalanForm,
)
from app.forms.ej_verkstallt import (
    EjVerkstalltForm,
    EjVerkstalltHandelseForm,
    KvartalsrapportForm,
    VerkstallighetForm,
)
from app.forms.klagomal import KlagomalForm, KlagomalHanteringForm, KlagomalSvarForm
from app.forms.pdca import (
    FoljaUppForm,
    ForbattraForm,
    GenomforaForm,
    MonsterBedomningForm,
    PdcaStartForm,
    PlaneraForm,
)
from app.forms.riskanalys import RiskanalysForm, RiskanalysStartForm, RiskanalysUppfoljningForm
from app.forms.utredning import (
    ForhandsbedomningForm,
    ForlangningForm,
    SkyddsbedomningForm,
    UtredningAvslutForm,
    UtredningStartForm,
)

# tests/test_contract.py checks these against the user tasks of bpmn/ and the case types of app.vocabulary.
TASK_FORMS = {
    # avvikelse and lex Sarah
    "chef_uppfoljning": ChefUppfoljningForm,
    "sas_utredning": SasUtredningForm,
    "ivo_beslut": IvoBeslutForm,
    "ivo_anmalan": IvoAnmalanForm,
    "ivo_komplettering": IvoKompletteringForm,
    "atgardsuppfoljning": AtgardsuppfoljningForm,
    "sas_verifiering": SasVerifieringForm,
    "eskalering_uppfoljning": EskaleringUppfoljningForm,
    # quality development: PDCA cycles, synpunkter/klagomål, risk analysis and the pattern signal
    "planera": PlaneraForm,
    "genomfora": GenomforaForm,
    "folja_upp": FoljaUppForm,
    "forbattra": ForbattraForm,
    "monster_bedomning": MonsterBedomningForm,
    "klagomal_hantering": KlagomalHanteringForm,
    "klagomal_svar": KlagomalSvarForm,
    "klagomal_eskalering": EskaleringUppfoljningForm,
    "riskanalys": RiskanalysForm,
    "riskanalys_uppfoljning": RiskanalysUppfoljningForm,
    # ej verkställda beslut and the nämnd secretary's quarterly IVO report
    "verkstallighet": VerkstallighetForm,
    "kvartalsrapport": KvartalsrapportForm,
    # barnavårdsutredning (rules skyddsbedomning, forhandsbedomning, utredningstid, forlangning: app.lagrum)
    "skyddsbedomning": SkyddsbedomningForm,
    "forhandsbedomning": ForhandsbedomningForm,
    "utredning_avslut": UtredningAvslutForm,
    "forlangning": ForlangningForm,
}

# Case actions (app.services.case_actions): a form per action, keyed by the action's name.
ACTION_FORMS = {
    "tidig_ivo_anmalan": TidigIvoAnmalanForm,
    "ivo_diarienummer": IvoDiarienummerForm,
    "ej_verkstallt_handelse": EjVerkstalltHandelseForm,
}

START_FORMS = {
    "avvikelse": AvvikelseReportForm,
    "klagomal": KlagomalForm,
    "pdca": PdcaStartForm,
    "riskanalys": RiskanalysStartForm,
    "ej_verkstallt": EjVerkstalltForm,
    "utredning": UtredningStartForm,
}

_SKIP = {"csrf_token", "submit", "confirm_personal_data"}


def json_to_formdata(payload: dict) -> MultiDict:
    """An API body as if it were posted from the page: one validation path for both."""
    items = []
    for key, value in (payload or {}).items():
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if isinstance(item, bool):
                item = "true" if item else "false"
            items.append((key, str(item)))
    return MultiDict(items)


def form_data(form) -> dict:
    """The form's values as JSON-friendly task data (dates as ISO strings)."""
    result = {}
    for name, field in form._fields.items():
        if name in _SKIP:
            continue
        value = field.data
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, str):
            value = value.strip()
        result[name] = value
    # Scales are numbers in the process (the DMN multiplies them).
    for key in ("consequence", "likelihood"):
        if key in result and isinstance(result[key], str) and result[key].isdigit():
            result[key] = int(result[key])
    return result


def form_errors(form) -> dict:
    return {name: list(errors) for name, errors in form.errors.items() if name not in _SKIP}


def build(form_cls, formdata=None, *, csrf: bool = True, **kwargs):
    meta = {} if csrf else {"csrf": False}
    if hasattr(formdata, "items") and any(isinstance(v, str) and "\x00" in v for _, v in _pairs(formdata)):
        # NUL has no meaning in text and PostgreSQL refuses it (a 500 otherwise): drop it.
        formdata = MultiDict([(k, v.replace("\x00", "") if isinstance(v, str) else v)
                              for k, v in _pairs(formdata)])
    return form_cls(formdata=formdata, meta=meta, **kwargs)


def _pairs(formdata):
    return formdata.items(multi=True) if isinstance(formdata, MultiDict) else formdata.items()
