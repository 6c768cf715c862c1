"""The product's shared vocabulary: domain values and their Swedish labels, in one place below the forms,
services, reports and handlers that use them (nothing here imports the application)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# --- roles -------------------------------------------------------------------------------------------
ROLES = (
    "medarbetare",
    "enhetschef",
    "verksamhetschef",
    "sas",
    "mas",
    "socialchef",
    "namndsekreterare",
    "admin",
    "lasare",
)

ROLE_LABELS = {
    "medarbetare": "Medarbetare",
    "enhetschef": "Enhetschef",
    "verksamhetschef": "Verksamhetschef",
    "sas": "Socialt ansvarig samordnare",
    "mas": "Medicinskt ansvarig sjuksköterska",
    "socialchef": "Socialchef",
    "namndsekreterare": "Nämndsekreterare",
    "admin": "Administratör",
    "lasare": "Läser enhetens ärenden",
}

# Roles that see every case of the förvaltning.
ORGANISATION_WIDE_ROLES = ("sas", "socialchef", "admin")
# Roles whose reports cover every unit below theirs: a verksamhetschef answers for the units below; the
# nämnd secretary prepares the nämnd's reports (ej verkställda beslut, kvalitetsberättelse) for them. Who
# reads the cases themselves is need to know (CASE_READER_ROLES in app.config, app.services.access):
# the nämnd secretary reads figures, not case texts, unless given a part.
AREA_ROLES = ("verksamhetschef", "namndsekreterare")
# Who sees the statistics and reports: managers for their units, the wide roles for the förvaltning.
MANAGER_ROLES = ("enhetschef", "verksamhetschef")
REPORT_WIDE_ROLES = ("sas", "mas", "socialchef", "namndsekreterare", "admin")
REPORT_ROLES = MANAGER_ROLES + REPORT_WIDE_ROLES
# Roles the diagrams' lanes offer tasks to (medarbetare tasks go to the reporter): every unit needs a
# holder of each at the unit or above, or its tasks go to FALLBACK_ROLE as orphans.
LANE_ROLES = ("enhetschef", "verksamhetschef", "sas", "mas", "socialchef", "namndsekreterare")
# The medicinskt ansvarig sjuksköterska reads the health-care deviations (Case.health_care) of the units
# where they hold the role and those below (usually held at the förvaltning: every unit), not the rest.
HEALTH_CARE_ROLES = ("mas",)

# --- cases (the case types themselves: CASE_TYPES, the registry at the end of this module) -----------------
STATUS_LABELS = {"pagaende": "Pågående", "avslutad": "Avslutad", "fel": "Fel i flödet"}

# Severity from the risk matrix (bpmn/allvarlighet.dmn's outputs), in rising order.
SEVERITIES = [("låg", "Låg"), ("medel", "Medel"), ("hög", "Hög"), ("mycket hög", "Mycket hög")]
SEVERITY_LABELS = dict(SEVERITIES)
NOT_ASSESSED = "Ej bedömd"
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
          "oktober", "november", "december")

# --- avvikelse and lex Sarah ----------------------------------------------------------------------------
# DOMAIN: the categories used in practice; no "annat", which hides the category from statistics. The
# defaults: a municipality adds its own (or replaces the list) in the configuration (CATEGORIES*), read
# through app.services.categories.
CATEGORIES = [
    ("utebliven_insats", "Utebliven insats"),
    ("brister_i_omsorg", "Brister i omsorg"),
    ("otrygghet", "Otrygghet"),
    ("information", "Information"),
    ("dokumentation", "Dokumentation"),
    ("bemotande", "Bemötande"),
    ("handlaggning", "Handläggning"),
    ("sekretess", "Sekretess"),
    ("larm_telefoni", "Larm/telefoni"),
    ("vardesaker", "Värdesaker"),
    ("lakemedel", "Läkemedel"),
    ("fall", "Fall"),
]
CAUSE_AREAS = [
    ("kommunikation", "Kommunikation/information"),
    ("rutiner", "Rutiner/riktlinjer"),
    ("organisation", "Organisation"),
    ("teknik", "Teknik/utrustning"),
    ("manniska", "Människa/kunskap/kompetens"),
]
LEGAL_BASES = [("SoL", "SoL"), ("LSS", "LSS"), ("HSL", "HSL")]
CLASSIFICATIONS = [
    ("avvikelse", "Avvikelse"),
    ("risk_missforhallande", "Påtaglig risk för missförhållande"),
    ("missforhallande", "Missförhållande"),
]
ASSESSMENTS = [
    ("ej_missforhallande", "Inget missförhållande"),
    ("risk_missforhallande", "Påtaglig risk för missförhållande"),
    ("missforhallande", "Missförhållande"),
    ("risk_allvarligt_missforhallande", "Påtaglig risk för allvarligt missförhållande"),
    ("allvarligt_missforhallande", "Allvarligt missförhållande"),
]
EVENT_TYPES = [
    ("krankning", "Fysisk eller psykisk kränkning"),
    ("bemotande_integritet", "Brister i bemötande eller integritet"),
    ("omsorg", "Brister i omsorg, vård eller behandling"),
    ("handlaggning", "Brister i handläggning eller dokumentation"),
    ("ovrigt_missforhallande", "Allvarlig brist i verksamheten"),
]
PRIMARY_CAUSES = [
    ("kommunikationsbrist", "Kommunikationsbrist"),
    ("tidspress", "Tidspress/arbetsbelastning"),
    ("bristande_rutiner", "Bristande rutiner"),
    ("bristande_kompetens", "Bristande kompetens"),
    ("teknik", "Teknik eller utrustning"),
    ("organisation", "Organisation eller bemanning"),
]

# --- health-care deviations and lex Maria (PSL 3 kap.) ----------------------------------------------------
# The categories that make a deviation a health-care one (HSL/PSL) by default: HSL_CATEGORIES in the
# configuration says which (the reporter may also tick it).
VARDSKADA_ASSESSMENTS = [
    ("ingen_vardskada", "Ingen vårdskada"),
    ("vardskada", "Vårdskada"),
    ("allvarlig_vardskada", "Allvarlig vårdskada"),
    ("risk_allvarlig_vardskada", "Risk för allvarlig vårdskada"),
]
VARDSKADA_ASSESSMENT_LABELS = dict(VARDSKADA_ASSESSMENTS)
# Assessments that must be notified to IVO under lex Maria (PSL 3 kap. 5 §).
LEX_MARIA_MUST_NOTIFY = ("allvarlig_vardskada", "risk_allvarlig_vardskada")
# The user tasks of bpmn/lex_maria.bpmn: a part in them is a part in the patient-safety investigation,
# not in the lex Sarah one (app.services.access).
LEX_MARIA_TASKS = ("mas_utredning", "lex_maria_anmalan", "lex_maria_komplettering")

SCALE = [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4")]
CONSEQUENCE_LABELS = {1: "Mindre", 2: "Måttlig", 3: "Betydande", 4: "Katastrofal"}
LIKELIHOOD_LABELS = {1: "Mycket liten", 2: "Liten", 3: "Möjlig", 4: "Sannolik"}

# --- synpunkter och klagomål ----------------------------------------------------------------------------
KINDS = [("klagomal", "Klagomål"), ("synpunkt", "Synpunkt")]
CHANNELS = [
    ("telefon", "Telefon"),
    ("e_post", "E-post"),
    ("brev", "Brev"),
    ("webb", "Webbformulär"),
    ("besok", "Besök"),
    ("mote", "Möte"),
    ("patientnamnden", "Via Patientnämnden"),
    ("aldreombud", "Via äldreombud"),
]
COMPLAINANTS = [
    ("brukare", "Brukare"),
    ("narstaende", "Närstående"),
    ("foretradare", "God man, förvaltare eller ombud"),
    ("medborgare", "Medborgare"),
]
# The deviation categories (so a pattern counts deviations and complaints of one kind together),
# plus what complaints often concern besides them.
COMPLAINT_CATEGORIES = CATEGORIES + [("tillganglighet", "Tillgänglighet"), ("kontinuitet", "Kontinuitet")]
COMPLAINT_CATEGORY_LABELS = dict(COMPLAINT_CATEGORIES)

# --- pdca and the pattern signal (monster) ----------------------------------------------------------------
PDCA_DECISIONS = [
    ("standardisera", "Standardisera – arbetssättet blir rutin"),
    ("ny_cykel", "Ny omgång – planera om och pröva igen"),
    ("avsluta", "Avsluta förbättringsarbetet"),
]
# The phases of a PDCA turn: the user task ids of bpmn/pdca.bpmn, in order.
PDCA_PHASES = [
    ("planera", "Planera"),
    ("genomfora", "Genomföra"),
    ("folja_upp", "Följa upp"),
    ("forbattra", "Förbättra"),
]
# A decision as the timeline tells it: "förbättringsarbetet standardiseras".
PDCA_DECISION_PHRASES = {"standardisera": "standardiseras", "ny_cykel": "får en ny omgång", "avsluta": "avslutas"}
# A turn's decision in a table column, and how a closed cycle shows on the board.
PDCA_DECISION_SHORT = {"standardisera": "Standardisera", "ny_cykel": "Ny omgång", "avsluta": "Avsluta"}
PDCA_CLOSED_AS = {"standardisera": "Standardiserad", "avsluta": "Avslutad"}
SIGNAL_DECISIONS = [
    ("starta_pdca", "Starta ett förbättringsarbete (PDCA)"),
    ("starta_riskanalys", "Starta en risk- och konsekvensanalys"),
    ("ingen_atgard", "Ingen systematisk brist – ingen åtgärd"),
]
# The assessment as the timeline tells it: "Mönstersignalen bedömd: ingen systematisk brist".
SIGNAL_DECISION_PHRASES = {
    "starta_pdca": "förbättringsarbete startas",
    "starta_riskanalys": "risk- och konsekvensanalys startas",
    "ingen_atgard": "ingen systematisk brist",
}

# --- ej verkställda beslut --------------------------------------------------------------------------------
GENDERS = [("kvinna", "Kvinna"), ("man", "Man")]
LAWS = [("SoL", "SoL"), ("LSS", "LSS")]
# The kinds of insats IVO's individual report asks for, per law (LSS: the insatser of 9 §).
INSATSER = {
    "SoL": [
        ("sarskilt_boende", "Särskilt boende för äldre"),
        ("bostad_sarskild_service_sol", "Bostad med särskild service (SoL)"),
        ("hemtjanst", "Hemtjänst"),
        ("dagverksamhet", "Dagverksamhet"),
        ("korttidsvistelse_sol", "Korttidsvistelse"),
        ("kontaktperson_sol", "Kontaktperson"),
        ("kontaktfamilj", "Kontaktfamilj"),
        ("boendestod", "Boendestöd"),
        ("sysselsattning", "Sysselsättning"),
        ("familjehem_hvb", "Familjehem eller HVB"),
        ("oppenvard", "Öppenvårdsinsats"),
        ("ovrigt_bistand", "Övrigt bistånd"),
    ],
    "LSS": [
        ("radgivning_personligt_stod", "Rådgivning och annat personligt stöd (9 § 1)"),
        ("personlig_assistans", "Personlig assistans (9 § 2)"),
        ("ledsagarservice", "Ledsagarservice (9 § 3)"),
        ("kontaktperson_lss", "Biträde av kontaktperson (9 § 4)"),
        ("avlosarservice", "Avlösarservice i hemmet (9 § 5)"),
        ("korttidsvistelse_lss", "Korttidsvistelse utanför hemmet (9 § 6)"),
        ("korttidstillsyn", "Korttidstillsyn för skolungdom (9 § 7)"),
        ("boende_barn", "Boende för barn och ungdomar (9 § 8)"),
        ("bostad_sarskild_service_vuxna", "Bostad med särskild service för vuxna (9 § 9)"),
        ("daglig_verksamhet", "Daglig verksamhet (9 § 10)"),
    ],
}
INSATS_LABELS = {code: label for items in INSATSER.values() for code, label in items}
INSATS_LAW = {code: law for law, items in INSATSER.items() for code, _ in items}
EJ_VERKSTALLT_OUTCOMES = [
    ("verkstallt", "Verkställt"),
    ("avstatt", "Avslutat – den enskilde har avstått (återtagit ansökan)"),
    ("avslutat", "Avslutat av annan anledning (t.ex. flyttat, avliden)"),
]
EJ_VERKSTALLT_OUTCOME_LABELS = dict(EJ_VERKSTALLT_OUTCOMES)
GENDER_LABELS = dict(GENDERS)
# The dated log of a decision while the person waits: what IVO weighs before asking for a särskild avgift.
EJ_VERKSTALLT_EVENT_KINDS = [
    ("erbjudande", "Erbjudande lämnat"),
    ("avbojt", "Erbjudande avböjt av den enskilde"),
    ("tillfallig_insats", "Tillfällig insats under väntetiden"),
    ("ovrigt", "Annan åtgärd för att verkställa"),
]
EJ_VERKSTALLT_EVENT_LABELS = dict(EJ_VERKSTALLT_EVENT_KINDS)

# --- barnavårdsutredning ----------------------------------------------------------------------------------
UTREDNING_OUTCOMES = [
    ("insats", "Beslut om insats"),
    ("ingen_insats", "Avslutad utan insats"),
    ("overflyttad", "Överflyttad till annan kommun"),
]
UTREDNING_OUTCOME_LABELS = dict(UTREDNING_OUTCOMES)

# --- planned controls (kontrollplan) and supervision (tillsyn) ------------------------------------------
# Who sees the nämnd's internkontroll and the supervision register (besides the people given a task in them).
SUPERVISION_ROLES = ("sas", "socialchef", "namndsekreterare", "admin")
KONTROLL_KINDS = [("egenkontroll", "Egenkontroll"), ("internkontroll", "Intern kontroll")]
KONTROLL_KIND_LABELS = dict(KONTROLL_KINDS)
KONTROLL_RESULTS = [("utan_anmarkning", "Utan anmärkning"), ("brist", "Brist")]
KONTROLL_RESULT_LABELS = dict(KONTROLL_RESULTS)
KONTROLL_ACTIONS = [
    ("ingen", "Ingen åtgärd (motivera)"),
    ("atgard", "Åtgärd med ansvarig och datum"),
    ("pdca", "Starta ett förbättringsarbete (PDCA)"),
]
KONTROLL_ACTION_LABELS = {"ingen": "Ingen åtgärd", "atgard": "Åtgärd", "pdca": "Förbättringsarbete (PDCA)"}
SAMPLE_VERDICTS = [("utan_anmarkning", "Utan anmärkning"), ("brist", "Brist"), ("ej_aktuell", "Ej aktuell")]
SAMPLE_VERDICT_LABELS = dict(SAMPLE_VERDICTS)
# The kinds of case a control point may draw its sample from.
SAMPLE_CASE_TYPES = ("utredning", "avvikelse", "klagomal", "ej_verkstallt")
# How far a point has come (the plan's progress page).
POINT_STATES = {"planerad": "Planerad", "pagaende": "Att göra", "forsenad": "Försenad",
                "atgard": "Åtgärd pågår", "klar": "Klar"}
AUTHORITIES = [("IVO", "IVO"), ("JO", "JO"), ("IMY", "IMY"), ("annan", "Annan myndighet")]
AUTHORITY_LABELS = dict(AUTHORITIES)
TILLSYN_KINDS = [
    ("tillsyn", "Tillsyn"),
    ("klagomal", "Klagomål från enskild"),
    ("initiativ", "Initiativärende"),
    ("anmalan", "Anmälan (t.ex. lex Sarah, särskild avgift)"),
]
TILLSYN_KIND_LABELS = dict(TILLSYN_KINDS)
TILLSYN_OUTCOMES = [
    ("ingen_kritik", "Ingen kritik"),
    ("kritik", "Kritik"),
    ("foreleggande", "Föreläggande"),
    ("avslutat", "Avslutat utan ställningstagande"),
]
TILLSYN_OUTCOME_LABELS = dict(TILLSYN_OUTCOMES)


# --- case types: one registry -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseType:
    """Everything the application knows about one kind of case. A new flow adds an entry here and a
    diagram in bpmn/ (tests/test_contract.py checks that they agree)."""

    process_id: str  # the process in bpmn/ that a new case starts
    label: str
    number_prefix: str  # AVV in AVV-2026-0001 (a deployment may override it: CASE_NUMBER_PREFIXES)
    start_form: str | None = None  # key in app.forms.START_FORMS; None: the system opens such cases
    title: Callable[[dict], str] | None = None  # the case's title from its start data (with start_form)
    occurred_on_field: str | None = None  # start field copied to Case.occurred_on (statistics, patterns)
    category_field: str | None = None  # start field copied to Case.category
    link_name: str = "ärendet"  # how the case is named on the timeline of a case behind it
    # A start field holding a list: the process runs once per item (one instance each, with the item's
    # keys beside the other start data), e.g. a control plan's points. Each instance keeps its own record;
    # the case's fields stay the start data.
    instance_per: str | None = None
    # Seen only by SUPERVISION_ROLES (and people given a task in the case): True for every case of the
    # type, or the one Case.category (category_field) that is restricted.
    restricted: bool | str = False
    on_report_page: bool = True  # offered on Rapportera (False: the area has its own page)
    # Roles that may start such a case, for the units they hold them in (and those below an area role;
    # every unit for the organisation-wide roles). None: anyone, for the units where they hold a role.
    started_by: tuple[str, ...] | None = None


def _first_line(key: str) -> Callable[[dict], str]:
    def title(data: dict) -> str:
        text = (data.get(key) or "").strip().splitlines()
        return (text[0] if text else "")[:120]

    return title


def _ej_verkstallt_title(data: dict) -> str:
    what = "avbrott" if data.get("interrupted_on") else "beslut"
    day = data.get("interrupted_on") or data.get("decided_on")
    insats = data.get("insats")
    return f"{data.get('law')}: {INSATS_LABELS.get(insats or '', insats)}, {what} {day}"[:120]


def _utredning_title(data: dict) -> str:
    return f"Orosanmälan {data.get('person_ref') or ''}"[:120]


def _kontrollplan_title(data: dict) -> str:
    return f"{data.get('title') or ''} {data.get('year') or ''}".strip()[:120]


def _tillsyn_title(data: dict) -> str:
    authority = data.get("authority") or ""
    return f"{AUTHORITY_LABELS.get(authority, authority)}: {_first_line('subject')(data)}"[:120]


CASE_TYPES: dict[str, CaseType] = {
    "avvikelse": CaseType(
        process_id="avvikelse", label="Avvikelse", number_prefix="AVV", start_form="avvikelse",
        title=_first_line("description"), occurred_on_field="occurred_on", category_field="category"),
    # The klagomål's category is set when the unit handles it (klagomal_hantering), not at registration.
    "klagomal": CaseType(
        process_id="klagomal", label="Synpunkt/klagomål", number_prefix="KLA", start_form="klagomal",
        title=_first_line("description"), occurred_on_field="received_on"),
    "pdca": CaseType(
        process_id="pdca", label="Förbättringsarbete (PDCA)", number_prefix="PDCA", start_form="pdca",
        title=_first_line("title"), link_name="förbättringsarbetet"),
    "riskanalys": CaseType(
        process_id="Process_riskanalys", label="Risk- och konsekvensanalys", number_prefix="RISK",
        start_form="riskanalys", title=_first_line("title"), link_name="risk- och konsekvensanalysen"),
    "ej_verkstallt": CaseType(
        process_id="ej_verkstallt", label="Ej verkställt beslut", number_prefix="EJV", start_form="ej_verkstallt",
        title=_ej_verkstallt_title, occurred_on_field="decided_on", category_field="insats"),
    "utredning": CaseType(
        process_id="utredning", label="Barnavårdsutredning", number_prefix="UTR", start_form="utredning",
        title=_utredning_title, occurred_on_field="received_on"),
    "kontrollplan": CaseType(
        process_id="kontrollplan", label="Kontrollplan", number_prefix="KPL", start_form="kontrollplan",
        title=_kontrollplan_title, category_field="kind", link_name="kontrollplanen", instance_per="points",
        restricted="internkontroll", on_report_page=False, started_by=MANAGER_ROLES + SUPERVISION_ROLES),
    "tillsyn": CaseType(
        process_id="tillsyn", label="Tillsyn och klagomål till myndighet", number_prefix="TIL", start_form="tillsyn",
        title=_tillsyn_title, occurred_on_field="opened_on", category_field="authority", link_name="tillsynsärendet",
        restricted=True, on_report_page=False, started_by=SUPERVISION_ROLES),
    # Opened by the system: the pattern signal (app.services.monster) and the quarter's IVO report.
    "monster": CaseType(process_id="monster", label="Mönstersignal", number_prefix="MON", link_name="mönstersignalen"),
    "kvartalsrapport": CaseType(process_id="Process_kvartalsrapport", label="IVO-kvartalsrapport",
                                number_prefix="IVOR"),
}
# The case types a user starts with a form (the report page, the API's POST /cases), in menu order.
STARTABLE_CASE_TYPES = {key: spec for key, spec in CASE_TYPES.items() if spec.start_form}
# Those offered on the Rapportera page (the others have a page of their own).
REPORTABLE_CASE_TYPES = {key: spec for key, spec in STARTABLE_CASE_TYPES.items() if spec.on_report_page}
CASE_TYPE_LABELS = {key: spec.label for key, spec in CASE_TYPES.items()}
