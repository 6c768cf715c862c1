"""One WTForms class per user task, keyed by the task's id in the diagram, plus the start forms per
case type. The web and the API validate alike: `json_to_formdata` makes an API body look like a form
post, and `form_data` turns a validated form into JSON-friendly task data."""
from __future__ import annotations

from datetime import date

from werkzeug.datastructures import MultiDict
from wtforms.fields.core import UnboundField

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
from app.forms.kontrollplan import KontrollAtgardForm, KontrollplanStartForm, KontrollpunktForm
from app.forms.lex_maria import (
    LexMariaAnmalanForm,
    LexMariaDiarienummerForm,
    LexMariaKompletteringForm,
    MasUtredningForm,
    TidigLexMariaAnmalanForm,
    VardskadaMojligForm,
)
from app.forms.pdca import (
    FoljaUppForm,
    ForbattraForm,
    GenomforaForm,
    MonsterBedomningForm,
    PdcaStartForm,
    PlaneraForm,
)
from app.forms.riskanalys import RiskanalysForm, RiskanalysStartForm, RiskanalysUppfoljningForm
from app.forms.tillsyn import TillsynBeslutForm, TillsynRedovisningForm, TillsynStartForm, TillsynYttrandeForm
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
    # lex Maria: the MAS's investigation of a possible vårdskada and the notification to IVO
    "mas_utredning": MasUtredningForm,
    "lex_maria_anmalan": LexMariaAnmalanForm,
    "lex_maria_komplettering": LexMariaKompletteringForm,
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
    # planned controls and supervision
    "kontrollpunkt": KontrollpunktForm,
    "kontroll_atgard": KontrollAtgardForm,
    "tillsyn_yttrande": TillsynYttrandeForm,
    "tillsyn_beslut": TillsynBeslutForm,
    "tillsyn_redovisning": TillsynRedovisningForm,
}

# Case actions (app.services.case_actions): a form per action, keyed by the action's name.
ACTION_FORMS = {
    "tidig_ivo_anmalan": TidigIvoAnmalanForm,
    "ivo_diarienummer": IvoDiarienummerForm,
    "ej_verkstallt_handelse": EjVerkstalltHandelseForm,
    "vardskada_mojlig": VardskadaMojligForm,
    "tidig_lex_maria_anmalan": TidigLexMariaAnmalanForm,
    "lex_maria_diarienummer": LexMariaDiarienummerForm,
}

START_FORMS = {
    "avvikelse": AvvikelseReportForm,
    "klagomal": KlagomalForm,
    "pdca": PdcaStartForm,
    "riskanalys": RiskanalysStartForm,
    "ej_verkstallt": EjVerkstalltForm,
    "utredning": UtredningStartForm,
    "kontrollplan": KontrollplanStartForm,
    "tillsyn": TillsynStartForm,
}

_SKIP = {"csrf_token", "submit", "confirm_personal_data"}


def field_names(form_cls) -> list[str]:
    """The names of a form class's fields, without building it (that needs a request)."""
    return [name for name in dir(form_cls) if isinstance(getattr(form_cls, name, None), UnboundField)
            and name not in _SKIP]


def json_to_formdata(payload: dict) -> MultiDict:
    """An API body as if it were posted from the page: one validation path for both."""
    items: list[tuple[str, str]] = []
    for key, value in (payload or {}).items():
        _flatten(items, key, value)
    return MultiDict(items)


def _flatten(items: list, key: str, value) -> None:
    if value is None:
        return
    values = value if isinstance(value, (list, tuple)) else [value]
    for index, item in enumerate(values):
        if isinstance(item, dict):  # a list of objects: WTForms' FieldList keys, points-0-title
            for sub, sub_value in item.items():
                _flatten(items, f"{key}-{index}-{sub}", sub_value)
            continue
        if isinstance(item, bool):
            item = "true" if item else "false"
        items.append((key, str(item)))


def form_data(form) -> dict:
    """The form's values as JSON-friendly task data (dates as ISO strings)."""
    return _plain({name: field.data for name, field in form._fields.items() if name not in _SKIP})


def _plain(value, key: str | None = None):
    """Dates as ISO strings, text stripped, and the same inside lists of sub-forms (FieldList)."""
    if isinstance(value, dict):
        return {k: _plain(v, k) for k, v in value.items() if k not in _SKIP}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        value = value.strip()
        # Scales are numbers in the process (the DMN multiplies them).
        if key in ("consequence", "likelihood") and value.isdigit():
            return int(value)
    return value


def form_errors(form) -> dict:
    """{field: [messages]}; a list of sub-forms' errors under their own keys (points-1-due_on), as the
    page names those fields."""
    result: dict[str, list] = {}
    for name, errors in form.errors.items():
        if name in _SKIP:
            continue
        for index, entry in enumerate(errors if isinstance(errors, list) else [errors]):
            if isinstance(entry, dict):
                for sub, messages in entry.items():
                    result.setdefault(f"{name}-{index}-{sub}", []).extend(messages)
            else:
                result.setdefault(name, []).append(entry)
    return result


def build(form_cls, formdata=None, *, csrf: bool = True, **kwargs):
    meta = {} if csrf else {"csrf": False}
    if hasattr(formdata, "items") and any(isinstance(v, str) and "\x00" in v for _, v in _pairs(formdata)):
        # NUL has no meaning in text and PostgreSQL refuses it (a 500 otherwise): drop it.
        formdata = MultiDict([(k, v.replace("\x00", "") if isinstance(v, str) else v)
                              for k, v in _pairs(formdata)])
    return form_cls(formdata=formdata, meta=meta, **kwargs)


def _pairs(formdata):
    return formdata.items(multi=True) if isinstance(formdata, MultiDict) else formdata.items()
