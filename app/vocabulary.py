"""The product's shared vocabulary: domain values and their Swedish labels, in one place below the forms,
services, reports and handlers that use them (nothing here imports the application)."""
from __future__ import annotations

# --- roles -------------------------------------------------------------------------------------------
ROLES = (
    "medarbetare",
    "enhetschef",
    "verksamhetschef",
    "sas",
    "socialchef",
    "namndsekreterare",
    "admin",
)

ROLE_LABELS = {
    "medarbetare": "Medarbetare",
    "enhetschef": "Enhetschef",
    "verksamhetschef": "Verksamhetschef",
    "sas": "Socialt ansvarig samordnare",
    "socialchef": "Socialchef",
    "namndsekreterare": "Nämndsekreterare",
    "admin": "Administratör",
}

# Roles that see every case of the förvaltning.
ORGANISATION_WIDE_ROLES = ("sas", "socialchef", "admin")
# Who sees the statistics and reports: managers for their units, the wide roles for the förvaltning.
MANAGER_ROLES = ("enhetschef", "verksamhetschef")
REPORT_WIDE_ROLES = ("sas", "socialchef", "namndsekreterare", "admin")
REPORT_ROLES = MANAGER_ROLES + REPORT_WIDE_ROLES

# --- cases ---------------------------------------------------------------------------------------------
CASE_TYPES = ("avvikelse", "klagomal", "pdca", "ej_verkstallt", "utredning", "riskanalys", "monster", "kvartalsrapport")
CASE_TYPE_LABELS = {
    "avvikelse": "Avvikelse",
    "klagomal": "Synpunkt/klagomål",
    "pdca": "Förbättringsarbete (PDCA)",
    "ej_verkstallt": "Ej verkställt beslut",
    "utredning": "Barnavårdsutredning",
    "riskanalys": "Risk- och konsekvensanalys",
    "monster": "Mönstersignal",
    "kvartalsrapport": "IVO-kvartalsrapport",
}
STATUS_LABELS = {"pagaende": "Pågående", "avslutad": "Avslutad", "fel": "Fel i flödet"}

# Severity from the risk matrix (bpmn/allvarlighet.dmn's outputs), in rising order.
SEVERITIES = [("låg", "Låg"), ("medel", "Medel"), ("hög", "Hög"), ("mycket hög", "Mycket hög")]
SEVERITY_LABELS = dict(SEVERITIES)
NOT_ASSESSED = "Ej bedömd"
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
          "oktober", "november", "december")

# --- avvikelse and lex Sarah ----------------------------------------------------------------------------
# DOMAIN: the categories used in practice; no "annat", which hides the category from statistics.
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

# --- pdca and the pattern signal (monster) ----------------------------------------------------------------
PDCA_DECISIONS = [
    ("standardisera", "Standardisera – arbetssättet blir rutin"),
    ("ny_cykel", "Ny omgång – planera om och pröva igen"),
    ("avsluta", "Avsluta förbättringsarbetet"),
]
SIGNAL_DECISIONS = [
    ("starta_pdca", "Starta ett förbättringsarbete (PDCA)"),
    ("starta_riskanalys", "Starta en risk- och konsekvensanalys"),
    ("ingen_atgard", "Ingen systematisk brist – ingen åtgärd"),
]

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

# --- barnavårdsutredning ----------------------------------------------------------------------------------
UTREDNING_OUTCOMES = [
    ("insats", "Beslut om insats"),
    ("ingen_insats", "Avslutad utan insats"),
    ("overflyttad", "Överflyttad till annan kommun"),
]
UTREDNING_OUTCOME_LABELS = dict(UTREDNING_OUTCOMES)
