"""Default settings. Every key can be overridden by an environment variable `KF_<KEY>` or by the
dict given to create_app."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping

DEFAULTS: dict = {
    # Signs the session cookie. None: a random key kept in instance/secret_key (never a known default,
    # which would let anyone sign themselves a session). Set KF_SECRET_KEY when several hosts serve.
    "SECRET_KEY": None,
    # None means: a SQLite file in the instance folder (resolved in create_app).
    "SQLALCHEMY_DATABASE_URI": None,
    "TESTING": False,
    "SCHEDULER_ENABLED": None,  # None: on when serving, off under TESTING
    "SCHEDULER_INTERVAL_SECONDS": 30,
    # /healthz warns when the timer sweep has not finished a run for this long (a few regular looks).
    "HEALTH_SCHEDULER_MAX_AGE_SECONDS": 300,
    # Gallring (flask gallring run): per case type {"years": after closure, "action": "anonymise" | "delete"};
    # a type not listed is kept. GALLRING_MIN_YEARS: the shortest rule allowed per type ("*": every type),
    # from the archive's dokumenthanteringsplan; a shorter rule is refused.
    "GALLRING_RULES": {},
    "GALLRING_MIN_YEARS": {},
    "CLOCK": None,
    "BPMN_DIR": None,  # None: the repository's bpmn/ folder
    # Argon2id cost (argon2-cffi's defaults: 3 passes over 64 MiB). Tests lower it to stay fast.
    "PASSWORD_HASH_TIME_COST": 3,
    "PASSWORD_HASH_MEMORY_KIB": 65536,
    # Session expiry after inactivity, in minutes.
    "SESSION_IDLE_MINUTES": 30,
    # A login lasts at most this long, however active (a copied session cookie cannot be kept alive).
    "SESSION_MAX_HOURS": 12,
    # Send the session cookie over HTTPS only: set KF_SESSION_COOKIE_SECURE=1 when served behind TLS.
    "SESSION_COOKIE_SECURE": False,
    # Not sent with requests started by other sites (with the CSRF token: two locks on every form).
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    # Login throttling per account (app.services.login_throttle): after LOGIN_MAX_FAILURES wrong passwords
    # for one username within LOGIN_FAILURE_WINDOW_HOURS, each further one makes the next attempt wait
    # LOGIN_LOCKOUT_MINUTES, then twice as long, ... up to LOGIN_DELAY_MAX_MINUTES (0 failures turns it off).
    # The wait holds for browsers that have not logged in as that user within LOGIN_DEVICE_DAYS (a signed
    # device cookie), so a stranger cannot keep the owner out.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCKOUT_MINUTES": 1,
    "LOGIN_DELAY_MAX_MINUTES": 60,
    "LOGIN_FAILURE_WINDOW_HOURS": 24,
    "LOGIN_DEVICE_DAYS": 90,
    # Failed login attempts per client address (Flask-Limiter, "N per minute;M per hour"). RATELIMIT_STORAGE_URI:
    # memory:// counts in each process, so with several gunicorn workers the real limit is the number of
    # workers times this; use redis://... or memcached://... for one count (the per-account delays above
    # are in the database and hold across workers either way).
    "LOGIN_RATE_LIMIT": "20 per minute;200 per hour",
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_ENABLED": True,
    # Password login (username + password form). Turn off when everyone signs in through OpenID Connect.
    "PASSWORD_LOGIN": True,
    # Passwords: at least this many characters, none of the common passwords in app/data (no upper limit).
    "PASSWORD_MIN_LENGTH": 12,
    # Single sign-on with OpenID Connect (authorization code + PKCE) when ISSUER, CLIENT_ID and CLIENT_SECRET
    # are set. The user is the active local user whose username is the claim OIDC_USERNAME_CLAIM; unknown
    # people are refused unless OIDC_CREATE_USERS (then created without roles). OIDC_GROUP_ROLES maps a value
    # of the OIDC_GROUPS_CLAIM to roles, e.g. {"kf-sas": ["sas:SOC"]}: a user with any mapped group gets
    # exactly the mapped roles at each login (none mapped: the local roles stay).
    "OIDC_ISSUER": None,
    "OIDC_CLIENT_ID": None,
    "OIDC_CLIENT_SECRET": None,
    "OIDC_USERNAME_CLAIM": "preferred_username",
    "OIDC_SCOPES": "openid profile email",
    "OIDC_CREATE_USERS": False,
    "OIDC_GROUPS_CLAIM": "groups",
    "OIDC_GROUP_ROLES": {},
    "OIDC_LOGIN_LABEL": "Logga in med kommunens inloggning",
    # API tokens expire after this many days (`tokens create --days` may give fewer or more).
    "API_TOKEN_DAYS": 365,
    # Need to know (app.services.access): roles that read every case of the unit where they hold the role,
    # and roles that read every case of the units below theirs too. Anyone else reads what they reported
    # and cases where they hold, held or are offered a task. Comma-separated in KF_CASE_READER_ROLES.
    "CASE_READER_ROLES": ["enhetschef", "lasare"],
    "CASE_AREA_READER_ROLES": ["verksamhetschef"],
    # Largest request body (bytes): the CSV import takes files up to 10 MB.
    "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    # Mail: without MAIL_SERVER mail stays in the outbox table (shown at /admin/utskick).
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "kvalitetsflode@kommun.example",
    # A message that cannot be built or sent is tried again after BASE, 2×BASE, 4×BASE ... seconds, at
    # most MAX times; the other messages of the run are delivered meanwhile.
    "MAIL_RETRY_BASE_SECONDS": 300,
    "MAIL_MAX_ATTEMPTS": 5,
    "BASE_URL": "http://127.0.0.1:5000",
    # The paragraphs the product cites are not settings but data: app/data/lagrum.toml (app.lagrum), each
    # with its text per period (SoL 2001:453 until 2025-06-30, SoL 2025:400 from 2025-07-01).
    # Timer sweep: a timer whose step fails is retried after BASE, 2×BASE, 4×BASE ... seconds and
    # marked failed after MAX attempts (shown on the case; fix the cause, then reset the timer).
    "TIMER_RETRY_BASE_SECONDS": 60,
    "TIMER_MAX_ATTEMPTS": 8,
    # Mail: a recipient with more than this many unsent messages in one delivery run gets them as one
    # summary mail instead (a backlog of timers after downtime must not flood anyone's inbox).
    "MAIL_DIGEST_THRESHOLD": 3,
    # Pattern signal (SOSFS 2011:9 5 kap. 6 §: analyse reports to find patterns and trends): N deviations or
    # complaints of one category in one unit within D days ask the enhetschef to assess a systematic failure.
    "PATTERN_SIGNAL_COUNT": 3,
    "PATTERN_SIGNAL_DAYS": 30,
    # Ej verkställda beslut (the three-month limit: "# Deadlines" below). Units listed here, and the units
    # below them, register decisions (a comma-separated list in KF_EJ_VERKSTALLT_UNITS): every unit with
    # myndighetsutövning, by default the myndighet and IFO units.
    "EJ_VERKSTALLT_UNITS": ["MYN", "IFO"],
    "EJ_VERKSTALLT_IMPORT_MAX_ROWS": 1000,  # per web/API upload (each row starts a process); the CLI has no cap
    # The kvalitetsberättelse as PDF: a longer table shows its first rows and says so; the whole table is
    # attached to the PDF as an Excel file (laying out hundreds of rows made the PDF take seconds).
    "REPORT_DOCUMENT_MAX_ROWS": 40,
    # The quarterly report to IVO: one kvartalsrapport task per quarter for the nämnd secretary, open
    # from START_DAY of the month after the quarter; a reminder escalates when the reporting period ends.
    # IVO sets the periods (e.g. 1–30 April, 1 July–31 August, 1–31 October, 1–31 January): check IVO's
    # current dates. END per quarter as MM-DD in the months after it.
    "IVO_QUARTERLY_REPORT_ENABLED": True,
    "IVO_REPORT_UNIT": None,  # the unit whose nämnd secretary files it; None: the top of the organisation
    "IVO_REPORT_WINDOW_START_DAY": 1,
    "IVO_REPORT_WINDOW_END": {"1": "04-30", "2": "08-31", "3": "10-31", "4": "01-31"},
    # Categories of avvikelser and klagomål (app.services.categories): {} keeps the standard lists of
    # app.vocabulary; CATEGORIES replaces the deviation list, CATEGORIES_EXTRA adds to both lists, e.g.
    # KF_CATEGORIES_EXTRA='{"lokaler": "Lokaler"}'; COMPLAINT_CATEGORIES_EXTRA adds to the klagomål list.
    "CATEGORIES": {},
    # Deviation categories that are health care (HSL/PSL) whatever the reporter ticks: such a deviation is
    # followed up by the MAS too (lex Maria). Comma-separated in KF_HSL_CATEGORIES.
    "HSL_CATEGORIES": ["lakemedel", "fall"],
    "CATEGORIES_EXTRA": {},
    "COMPLAINT_CATEGORIES_EXTRA": {},
    # A task whose lane role nobody holds at the case's unit or above is offered to the holders of this
    # role instead, marked "orphan", and the admins are mailed (the organisation page lists such gaps).
    "FALLBACK_ROLE": "sas",
    # Attachments on a case (app.services.attachments): at most this many bytes per file, and only these
    # types, each with the file name endings it may have. The type is read from the file's bytes, not
    # from its name or what the browser says. ATTACHMENT_DIR: keep the files in this directory (under
    # random names) instead of in the database. KF_ATTACHMENT_TYPES='{"image/heic": [".heic"], ...}'.
    "ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    "ATTACHMENT_TYPES": {
        "application/pdf": [".pdf"],
        "image/jpeg": [".jpg", ".jpeg"],
        "image/png": [".png"],
        "text/plain": [".txt"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [".docx"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
        "application/vnd.oasis.opendocument.text": [".odt"],
    },
    "ATTACHMENT_DIR": None,
    # Case numbers: each case type's prefix is in its registry entry (app.vocabulary.CASE_TYPES); a
    # deployment may override some here, e.g. KF_CASE_NUMBER_PREFIXES='{"klagomal": "SYN"}'.
    "CASE_NUMBER_PREFIXES": {},
    # Lists (API and pages): rows per page by default and at most; a total is counted exactly up to
    # LIST_COUNT_LIMIT rows ("fler än 2 000" beyond: counting a million rows costs more than the page), and
    # pages go LIST_MAX_ROWS deep (beyond that: narrow the filters or search).
    "LIST_PER_PAGE": 50,
    "LIST_MAX_PER_PAGE": 200,
    "LIST_COUNT_LIMIT": 2000,
    # A free-text search counts its matches up to this many ("fler än 50", as far as a first page reads): a
    # common word is looked up case by case along the list's order; counting on would read thousands more.
    "LIST_SEARCH_COUNT_LIMIT": 50,
    # How a free-text search on PostgreSQL finds its cases: "auto" asks the planner's estimate of the
    # matches (few: read them from the index; many: walk the list's order), "always" walks, "never" reads.
    "SEARCH_WALK": "auto",
    "LIST_MAX_ROWS": 10000,
    # Deadlines. Each is named by its key in the diagram that waits for it (bpmn/*.bpmn), through
    # deadline("KEY", start) for days and deadline_months("KEY", start) for calendar months (app.engine);
    # code that needs a length reads it with deadline_length() below. Months are calendar months (lagen
    # (1930:173) om beräkning av lagstadgad tid). The IVO quarterly reporting periods are dates set by
    # IVO: IVO_REPORT_WINDOW_* above.
    # Avvikelse and lex Sarah (bpmn/avvikelse.bpmn): the law sets no national target time (SOSFS 2011:5
    # says "utan dröjsmål" / "snarast"); these are the local routine's target times.
    "DEADLINE_CHEF_UPPFOLJNING_DAYS": 14,
    "DEADLINE_SAS_UTREDNING_DAYS": 28,
    # The IVO decision: counted from the assessment it rests on (the early-notification action, or the
    # finished investigation), not from the report.
    "DEADLINE_IVO_BESLUT_DAYS": 14,
    # Lex Maria (bpmn/lex_maria.bpmn; rules lex_maria_utredning and lex_maria in app/data/lagrum.toml): PSL
    # says "snarast" for the notification and sets no time for the investigation; the local routine's
    # targets, counted from when the MAS investigation starts and from when the notification is due
    # (an early notification, or an investigation that found an allvarlig vårdskada or risk of one).
    # Past them the MAS's chef (the socialchef) is told.
    "DEADLINE_MAS_UTREDNING_DAYS": 28,
    "DEADLINE_LEX_MARIA_ANMALAN_DAYS": 7,
    # Target for a whole lex Sarah case, report to closed (shown on the case; not a law, a routine's aim).
    "TARGET_LEX_SARAH_CASE_DAYS": 90,
    # Synpunkter och klagomål (bpmn/klagomal.bpmn; SOSFS 2011:9 5 kap. 3-6 §§): no national time limit;
    # the local routine's target for handling and answering, counted from the day the complaint came in.
    "DEADLINE_KLAGOMAL_DAYS": 14,
    # Pattern signal (bpmn/monster.bpmn): the enhetschef's assessment of a signalled pattern.
    "DEADLINE_MONSTER_BEDOMNING_DAYS": 14,
    # Barnavårdsutredning (bpmn/utredning.bpmn; rules in app/data/lagrum.toml). The immediate
    # skyddsbedömning the same or the next day (rule skyddsbedomning); förhandsbedömning within 14 days of
    # the report of concern (forhandsbedomning); the investigation finished within four calendar months of
    # its start unless the nämnd extends it in time for special reasons (utredningstid, forlangning).
    "DEADLINE_SKYDDSBEDOMNING_DAYS": 1,
    "DEADLINE_FORHANDSBEDOMNING_DAYS": 14,
    "UTREDNING_LIMIT_MONTHS": 4,
    "UTREDNING_REMINDER_DAYS": 14,  # local routine: the enhetschef is reminded this long before the limit
    # Ej verkställda beslut (bpmn/ej_verkstallt.bpmn): a granted decision not executed within three months
    # of the decision, or an interrupted insats not resumed within three months, is reported to IVO every
    # quarter until it is executed or ends (SoL 16 kap. 6 f–6 h §§, LSS 28 f–28 h §§).
    "EJ_VERKSTALLT_LIMIT_MONTHS": 3,
    # Planned controls (bpmn/kontrollplan.bpmn; SOSFS 2011:9 5 kap. 2 §): a control point's task reaches its
    # responsible person this many days before the point is due (the local routine's notice).
    "KONTROLL_NOTICE_DAYS": 14,
    # Goals (app.services.goals): the perspectives a goal belongs to, {key: Swedish label}, in the report's
    # order, e.g. KF_GOAL_PERSPECTIVES='{"brukare": "Brukare", "kvalitet": "Kvalitet"}'.
    "GOAL_PERSPECTIVES": {"brukare": "Brukare", "medarbetare": "Medarbetare", "verksamhet": "Verksamhet",
                          "ekonomi": "Ekonomi"},
    # The kvalitetsberättelse's cover page: the decision the förvaltning proposes to the nämnd (the
    # author may replace it per year in the text "förslag till beslut").
    "KVALITETSBERATTELSE_FORSLAG_TILL_BESLUT": "Nämnden godkänner kvalitetsberättelsen för {year}.",
}

# Types that are read from the environment as something other than a string.
_INT_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, int) and not isinstance(v, bool)}
_BOOL_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, bool)} | {"SCHEDULER_ENABLED"}
# Lists are read from the environment comma-separated.
_LIST_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, list) and k != "EJ_VERKSTALLT_UNITS"}
_ENV_ALIASES = {"KF_DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}


def deadline_length(config, key: str) -> int:
    """The length (days or months, as the key says) of the deadline `key` in `config` (the app's config).
    The one reader of the deadline keys: the diagrams' deadline()/deadline_months() read them here, and so
    does a page or handler that states or derives from a limit."""
    return int(config[key])


def from_environment(environ: Mapping[str, str] | None = None) -> dict:
    source: Mapping[str, str] = os.environ if environ is None else environ
    result: dict = {}
    for name, value in source.items():
        if name in _ENV_ALIASES:
            result[_ENV_ALIASES[name]] = value
            continue
        if not name.startswith("KF_"):
            continue
        key = name[3:]
        if key in _INT_KEYS:
            result[key] = int(value)
        elif key in _BOOL_KEYS:
            result[key] = value.strip().lower() in ("1", "true", "yes", "ja", "on")
        elif key in _LIST_KEYS:
            result[key] = [item.strip() for item in value.split(",") if item.strip()]
        elif key in DEFAULTS and isinstance(DEFAULTS[key], dict):
            result[key] = json.loads(value)
        else:
            result[key] = value
    return result
