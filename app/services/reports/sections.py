"""The kvalitetsberättelse's sections (rule kvalitetsberattelse in app/data/lagrum.toml): each section's
title, the prompt for its free text, and the function that computes its figures — tables and sentences with the numbers
filled in — from the report tables and from the ej verkställda beslut and barnavårdsutredning flows."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from app import lagrum
from app.extensions import db
from app.models import ReportText
from app.services import ej_verkstallt, kontrollplan, tillsyn, utredning
from app.services.access import supervises
from app.services.reports import kontroller, mal, quality_work
from app.services.reports import tillsyn as tillsyn_tables
from app.services.reports.counts import overview, per_tertial, summary, summary_tables, totals
from app.services.reports.flows import (
    complaints,
    complaints_by,
    lex_sarah_cases,
    lex_sarah_published,
    pattern_signals,
    pdca_cycles,
)
from app.services.reports.scope import OrgTree, Scope
from app.services.reports.statistics_page import followups_on_time, lead_times, month_by_category
from app.services.reports.table import Table


@dataclass
class Context:
    user: object
    year: int
    scope: Scope
    tree: OrgTree
    published: bool = False  # the version for the nämnd's public papers: no case-level free text
    tertial: int | None = None  # the tertialrapport: figures of one tertial (1–3) of the year


@dataclass
class Figures:
    tables: list[Table] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)  # sentences with the numbers filled in
    missing: str | None = None  # why the figures cannot be given (shown instead of a made-up zero)
    charts: list[str] = field(default_factory=list)  # keys of tables that get a chart


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    prompt: str
    figures: Callable[[Context], Figures] | None = None


def _n(value: int, one: str, many: str) -> str:
    """A count with its noun in the right number: "1 kvinna", "2 kvinnor"."""
    return f"{value} {one if value == 1 else many}"


def _change(now: int, before: int) -> str:
    if before == 0:
        return "" if now == 0 else " (föregående år: 0)"
    percent = round(100 * (now - before) / before)
    if percent == 0:
        return f" (föregående år: {before}, oförändrat)"
    sign = "+" if percent > 0 else ""
    return f" (föregående år: {before}, {sign}{percent} %)"


# --------------------------------------------------------------------------------------------------
# Figures per section.

def _sammanfattning(ctx: Context) -> Figures:
    # The four years and the tertials first: each is one query, and the year and the one before come with them.
    years, tertials = overview(ctx.scope, ctx.year), per_tertial(ctx.scope, ctx.year)
    now, before = totals(ctx.scope, ctx.year), totals(ctx.scope, ctx.year - 1)
    # Counted apart and added up, as the municipalities' own reports do.
    labels = [("avvikelser", "Avvikelser (ej lex Sarah)"), ("lex_sarah", "Lex Sarah-rapporter"),
              ("klagomal", "Synpunkter och klagomål"), ("rapporter", "Rapporter totalt"),
              ("ivo_anmalningar", "varav anmälda till IVO (lex Sarah)")]
    rows = [{"name": label, "previous": before[key], "current": now[key]} for key, label in labels]
    table = Table("nyckeltal", f"Nyckeltal {ctx.year}",
                  [("name", "Nyckeltal"), ("previous", str(ctx.year - 1)), ("current", str(ctx.year))], rows)
    share = now["andelar"]
    reported, reported_before = now["avvikelser"] + now["lex_sarah"], before["avvikelser"] + before["lex_sarah"]
    facts = [
        f"Under {ctx.year} rapporterades {_n(reported, 'avvikelse', 'avvikelser')}"
        f"{_change(reported, reported_before)}, varav "
        f"{_n(now['lex_sarah'], 'lex Sarah-rapport', 'lex Sarah-rapporter')}. "
        f"{_n(now['ivo_anmalningar'], 'händelse', 'händelser')} anmäldes till IVO.",
        f"{_n(now['klagomal'], 'synpunkt eller klagomål', 'synpunkter och klagomål')} togs emot"
        f"{_change(now['klagomal'], before['klagomal'])}.",
        f"Räknat var för sig kom {_n(now['rapporter'], 'rapport', 'rapporter')}"
        f"{_change(now['rapporter'], before['rapporter'])}: "
        f"{_n(now['avvikelser'], 'avvikelse', 'avvikelser')} ({_share(share['avvikelser'])}), "
        f"{_n(now['lex_sarah'], 'lex Sarah-rapport', 'lex Sarah-rapporter')} ({_share(share['lex_sarah'])}) och "
        f"{_n(now['klagomal'], 'synpunkt eller klagomål', 'synpunkter och klagomål')} ({_share(share['klagomal'])}). "
        f"Anmälan till IVO: {lagrum.ref_for_year('lex_sarah_anmalan', ctx.year)}.",
    ]
    return Figures([table, years, tertials], facts)


def _share(value) -> str:
    return "–" if value is None else f"{str(value).replace('.', ',')} %"


def _avvikelser(ctx: Context) -> Figures:
    data = summary(ctx.user, ctx.year, "verksamhet")
    per_verksamhet, per_category, per_severity = summary_tables(data)
    # Klagomål have their own section.
    per_verksamhet.columns = [c for c in per_verksamhet.columns
                              if c[0] in ("name", "avvikelser", "lex_sarah", "ivo_anmalningar")]
    monthly = month_by_category(ctx.scope, ctx.year)
    lead = lead_times(ctx.scope, ctx.year, ctx.tree)
    followups = followups_on_time(ctx.scope, ctx.year, ctx.tree)
    facts = []
    top = sorted((row for row in per_category.rows if row["avvikelser"]), key=lambda row: -row["avvikelser"])[:3]
    if top:
        facts.append("Vanligaste kategorierna: "
                     + ", ".join(f"{row['name'].lower()} ({row['avvikelser']})" for row in top) + ".")
    if lead.total and lead.total["closed"]:
        facts.append(f"Mediantiden från rapport till avslut var {_days(lead.total['median'])}; "
                     f"90 % av avvikelserna var avslutade inom {_days(lead.total['p90'])}.")
    if followups.total and followups.total["share"] is not None:
        facts.append(f"{_fmt_percent(followups.total['share'])} av enhetschefernas uppföljningar gjordes i tid "
                     f"({followups.total['on_time']} av {followups.total['on_time'] + followups.total['late']}).")
    return Figures([per_verksamhet, per_category, per_severity, monthly, lead, followups], facts,
                   charts=["avvikelser_manad_kategori"])


def _days(value) -> str:
    return "–" if value is None else f"{str(value).replace('.', ',')} dagar"


def _fmt_percent(value) -> str:
    return f"{str(value).replace('.', ',')} %"


def _lex_sarah(ctx: Context) -> Figures:
    if ctx.published:
        table = lex_sarah_published(ctx.scope, ctx.year, ctx.tree)
        reports, notified = totals(ctx.scope, ctx.year)["lex_sarah"], totals(ctx.scope, ctx.year)["ivo_anmalningar"]
    else:
        table = lex_sarah_cases(ctx.user, ctx.scope, ctx.year, ctx.tree)
        reports, notified = len(table.rows), sum(1 for row in table.rows if row["ivo"].startswith("Anmäld"))
    facts = [f"{_n(reports, 'lex Sarah-rapport', 'lex Sarah-rapporter')} gällde händelser under "
             f"{ctx.year}; {notified} av dem anmäldes till IVO."]
    # Lex Maria apart (the health-care twin, investigated by the MAS; a case may be both).
    counted = totals(ctx.scope, ctx.year)
    facts.append(f"{_n(counted['lex_maria'], 'händelse', 'händelser')} i hälso- och sjukvården utreddes av MAS "
                 f"som möjlig vårdskada; {counted['lex_maria_anmalningar']} anmäldes till IVO enligt lex Maria "
                 f"({lagrum.ref_for_year('lex_maria', ctx.year)}).")
    return Figures([table], facts)


def _klagomal(ctx: Context) -> Figures:
    per_verksamhet = complaints(ctx.scope, ctx.year, ctx.tree)
    tables = [per_verksamhet] + [complaints_by(ctx.scope, ctx.year, f) for f in ("kind", "category", "channel")]
    total = per_verksamhet.total or {}
    facts = [f"{_n(total['received'], 'synpunkt eller klagomål', 'synpunkter och klagomål')} togs emot; "
             f"{total['closed']} är {'färdighanterad' if total['closed'] == 1 else 'färdighanterade'} och "
             f"{total['open']} pågår."]
    return Figures(tables, facts)


def _ej_verkstallda(ctx: Context) -> Figures:
    """From the ej verkställda beslut flow: the IVO report's figures per quarter."""
    data = ej_verkstallt.year_overview(ctx.user, ctx.year)
    if ctx.tertial:  # the tertialrapport: the quarters that ended by the tertial's last month
        data["quarters"] = [q for q in data["quarters"] if int(q["quarter"][-1]) * 3 <= ctx.tertial * 4]
    keys = ("total", "women", "men", "new", "waiting", "verkstallt", "ended", "over_six_months", "over_one_year")
    rows = [{"quarter": q["label"], **{k: q.get(k, 0) for k in keys}} for q in data["quarters"]]
    table = Table("ej_verkstallda_kvartal", f"Ej verkställda beslut per kvartal {ctx.year} (rapporterade till IVO)",
                  [("quarter", "Kvartal"), ("total", "Rapporterade"), ("women", "Kvinnor"), ("men", "Män"),
                   ("new", "Nya"), ("waiting", "Väntar vid kvartalets slut"), ("verkstallt", "Verkställda"),
                   ("ended", "Avslutade på annat sätt"), ("over_six_months", "Väntat över 6 mån"),
                   ("over_one_year", "Väntat över 1 år")], rows,
                  note="Ett beslut rapporteras varje kvartal tills det verkställts eller avslutats "
                       f"({lagrum.ref_for_year('ejv_rapportering', ctx.year)}). Kvartal som inte börjat visas inte.")
    facts = []
    if rows:
        last = rows[-1]
        facts.append(f"{last['quarter']}: {_n(last['total'], 'beslut', 'beslut')} rapporterades till IVO, "
                     f"{_n(last['women'], 'kvinna', 'kvinnor')} och {_n(last['men'], 'man', 'män')}; "
                     f"{last['waiting']} väntade vid kvartalets slut.")
    return Figures([table], facts)


def _utredningar(ctx: Context) -> Figures:
    """From the barnavårdsutredning flow (app.services.utredning.utredningstider): investigations
    started in the year against the four-month limit (rule utredningstid), and those over it."""
    data = utredning.utredningstider(ctx.user, ctx.year)
    started = Table("utredningar_totalt", f"Barnavårdsutredningar påbörjade {ctx.year}",
                    [("name", "Utredningar"), ("count", "Antal")],
                    [{"name": "Påbörjade", "count": data["total"]},
                     {"name": "Över fyra månader", "count": data["over_limit"]},
                     {"name": "Över fyra månader utan förlängningsbeslut",
                      "count": data["over_limit_without_extension"]}])
    over = [{"number": i["number"], "unit": i["unit_name"], "started_on": i["started_on"], "limit": i["limit"],
             "extension": i["extension"] or "–", "completed_on": i["completed_on"] or "pågår",
             "days_taken": i["days_taken"], "overrun": i["overrun"],
             "without_extension": "Ja" if i["over_limit_without_extension"] else "Nej"}
            for i in data["items"] if i["over_limit"]]
    listing = Table("utredningar_over_fyra_manader", f"Barnavårdsutredningar över fyra månader, påbörjade {ctx.year}",
                    [("number", "Ärende"), ("unit", "Enhet"), ("started_on", "Påbörjad"), ("limit", "Fyra månader"),
                     ("extension", "Förlängd till"), ("completed_on", "Avslutad"), ("days_taken", "Dagar"),
                     ("overrun", "Dagar över"), ("without_extension", "Utan förlängningsbeslut")], over,
                    note="Utredningen ska vara klar inom fyra månader om inte nämnden före tidsgränsen beslutat om "
                         f"förlängning ({lagrum.ref_for_year('utredningstid', ctx.year)}); ett beslut efter "
                         "tidsgränsen räknas som utan förlängning.")
    facts = [f"{_n(data['total'], 'barnavårdsutredning', 'barnavårdsutredningar')} påbörjades {ctx.year}; "
             f"{data['over_limit']} pågick längre än fyra månader, varav {data['over_limit_without_extension']} "
             "utan förlängningsbeslut."]
    return Figures([started, listing], facts)


def _pdca(ctx: Context) -> Figures:
    tables = pdca_cycles(ctx.scope, ctx.year, ctx.tree)
    total = tables[0].total or {}
    facts = [f"{_n(total['cycles'], 'förbättringsarbete', 'förbättringsarbeten')} pågick under {ctx.year} "
             f"med {_n(total['turns'], 'omgång', 'omgångar')}; {total['followed']} följdes upp och målet nåddes i "
             f"{total['goal_met']}. {total['standardised']} ledde till en ny rutin."]
    signals = pattern_signals(ctx.scope, ctx.year, ctx.tree)
    tables.append(signals)
    facts.append(f"{_n((signals.total or {})['count'], 'gång', 'gånger')} signalerade systemet upprepade avvikelser "
                 "eller klagomål av samma slag i en enhet.")
    return Figures(tables, facts)


# Instead of a made-up zero for a chef: the internkontroll and the supervision register are not theirs to see.
SUPERVISION_ONLY = "{what} visas för SAS, socialchef, nämndsekreterare och administratör."


def _kontroller(kind: str) -> Callable[[Context], Figures]:
    """Planned controls of one kind (app.services.kontrollplan): counts, results, actions and what is open."""

    def figures(ctx: Context) -> Figures:
        if kind == "internkontroll" and not supervises(ctx.user):
            return Figures(missing=SUPERVISION_ONLY.format(what="Nämndens interna kontroll"))
        data = kontrollplan.report(ctx.user, ctx.year, kind)
        tables = kontroller.report_tables(data, kind)
        if not data["planned"]:
            return Figures(tables, [f"Inga kontrollpunkter planerades för {ctx.year}."])
        facts = [f"{_n(data['planned'], 'kontrollpunkt', 'kontrollpunkter')} planerades för {ctx.year}; "
                 f"{data['done']} är genomförda, varav {data['done_on_time']} i tid. "
                 f"{_n(data['brister'], 'kontroll', 'kontroller')} visade brister.",
                 f"{_n(data['actions_open'], 'åtgärd', 'åtgärder')} efter brister pågår; "
                 f"{_n(data['overdue'], 'kontrollpunkt', 'kontrollpunkter')} "
                 f"{'är försenad' if data['overdue'] == 1 else 'är försenade'}."]
        return Figures(tables, facts)

    return figures


def _tillsyn(ctx: Context) -> Figures:
    """The supervision register (app.services.tillsyn): cases from IVO and other authorities in the year."""
    if not supervises(ctx.user):
        return Figures(missing=SUPERVISION_ONLY.format(what="Tillsynsregistret"))
    data = tillsyn.report(ctx.user, ctx.year)
    ivo = data["by_authority"].get("IVO", 0)
    complaints = sum(1 for i in data["items"] if i["authority"] == "IVO" and i["kind"] == "klagomal")
    criticised = data["by_outcome"].get("kritik", 0) + data["by_outcome"].get("foreleggande", 0)
    facts = [f"{_n(data['total'], 'tillsynsärende', 'tillsynsärenden')} från myndigheter öppnades {ctx.year}, "
             f"varav {ivo} från IVO ({_n(complaints, 'klagomål', 'klagomål')} från enskilda till IVO). "
             f"{criticised} ledde till kritik eller föreläggande; {data['open']} pågår."]
    return Figures(tillsyn_tables.report_tables(data), facts)


def _mal(ctx: Context) -> Figures:
    """Goals and indicators (app.services.reports.mal): måluppfyllelse with the previous year's value."""
    data = mal.goal_report(ctx.user, ctx.year, ctx.tertial)
    if not data["goals"]:
        return Figures([], [f"Inga mål är inlagda för {ctx.year}."])
    counted = {key: sum(1 for g in data["goals"] if g["status"] == key) for key in mal.STATUS_LABELS}
    facts = [f"{_n(len(data['goals']), 'mål', 'mål')} för {ctx.year}: "
             f"{_n(counted['uppfyllt'], 'uppfyllt', 'uppfyllda')}, "
             f"{_n(counted['delvis'], 'delvis uppfyllt', 'delvis uppfyllda')}, "
             f"{_n(counted['ej_uppfyllt'], 'ej uppfyllt', 'ej uppfyllda')} och "
             f"{_n(counted['ej_matt'], 'ännu inte mätt', 'ännu inte mätta')}."]
    indicators = [i for g in data["goals"] for i in g["indicators"]]
    measured = [i for i in indicators if i["met"] is not None]
    if measured:
        met = sum(1 for i in measured if i["met"])
        facts.append(f"{met} av {_n(len(measured), 'mätt indikator', 'mätta indikatorer')} nådde målvärdet "
                     f"({_fmt_percent(round(100 * met / len(measured)))}).")
    return Figures(mal.goal_tables(data), facts)


def _ledningssystem(ctx: Context) -> Figures:
    """The routines standardised in PDCA cycles during the year."""
    table = quality_work.standardised_routines(ctx.scope, ctx.year, ctx.tree)
    facts = [f"{_n(len(table.rows), 'rutin', 'rutiner')} standardiserades under {ctx.year} efter förbättringsarbete."]
    return Figures([table], facts)


def _medverkan(ctx: Context) -> Figures:
    table = quality_work.staff_reports(ctx.scope, ctx.year, ctx.tree)
    total = table.total or {}
    facts = [f"Personalen lämnade {_n(total.get('current', 0), 'rapport', 'rapporter')} om avvikelser och "
             f"missförhållanden under {ctx.year}{_change(total.get('current', 0), total.get('previous', 0))}; "
             f"{_n(total.get('people_current', 0), 'person', 'personer')} rapporterade."]
    return Figures([table], facts)


def _brukarundersokningar(ctx: Context) -> Figures:
    """Brukarundersökningar (five years) and the Öppna jämförelser / Kolada figures imported for the year."""
    data = mal.survey_report(ctx.user, ctx.year)
    tables, facts = [], []
    if data["items"]:
        tables = mal.survey_tables(data, ctx.tree)
        for service in data["services"]:
            compared = service["improved"] + service["worsened"] + service["unchanged"]
            where = service["service"] + (f" ({mal.unit_label(ctx.tree, service['unit'])})" if service["unit"] else "")
            facts.append(f"{where}: {service['improved']} av {_n(compared, 'fråga', 'frågor')} förbättrades och "
                         f"{service['worsened']} försämrades jämfört med {ctx.year - 1}.")
    else:
        facts.append(f"Inga resultat från brukarundersökningar är inlagda för {ctx.year}.")
    comparisons = mal.comparison_table(ctx.user, ctx.year)
    if comparisons.rows:
        tables.append(comparisons)
    else:
        facts.append(f"Inga nyckeltal från Öppna jämförelser eller Kolada är inlagda för {ctx.year}.")
    return Figures(tables, facts)


def _riskanalyser(ctx: Context) -> Figures:
    table = quality_work.risk_analyses(ctx.scope, ctx.year, ctx.tree)
    now, before = table.rows[-1]["started"], table.rows[-2]["started"]
    facts = [f"{_n(now, 'risk- och konsekvensanalys', 'risk- och konsekvensanalyser')} påbörjades under "
             f"{ctx.year}, mot {before} året innan."]
    return Figures([table], facts)


def previous_plan_areas(year: int) -> list[str]:
    """The prioritised areas of the year before's "plan för nästa år" (one per line)."""
    plan = db.session.scalar(select(ReportText.text).where(ReportText.year == year - 1, ReportText.section == "plan"))
    return [line.strip().lstrip("-•* ").strip() for line in (plan or "").splitlines() if line.strip()]


def _uppfoljning(ctx: Context) -> Figures:
    """Last year's "plan för nästa år" is carried over: the edit form starts the follow-up text from it
    (the author writes how each area went); the figures say how many areas there were."""
    areas = previous_plan_areas(ctx.year)
    if not areas:
        return Figures([], [f"Kvalitetsberättelsen för {ctx.year - 1} har ingen plan för nästa år att följa upp."])
    return Figures([], [f"Planen i kvalitetsberättelsen för {ctx.year - 1} hade "
                        f"{_n(len(areas), 'prioriterat område', 'prioriterade områden')}; de följs upp i texten."])


def _plan(ctx: Context) -> Figures:
    table = quality_work.improvement_plan(ctx.scope, ctx.year, ctx.tree)
    facts = [f"{_n(len(table.rows), 'förbättringsarbete', 'förbättringsarbeten')} pågår och följs upp enligt "
             "förbättringsplanen."]
    return Figures([table], facts)


def _tertial_sammanfattning(ctx: Context) -> Figures:
    """The tertialrapport's key figures: the tertial, the same tertial the year before, and the year so far."""
    tertial = ctx.tertial or 1
    now, before = totals(ctx.scope, ctx.year, tertial), totals(ctx.scope, ctx.year - 1, tertial)
    so_far = [totals(ctx.scope, ctx.year, t) for t in range(1, tertial + 1)]
    labels = [("avvikelser", "Avvikelser (ej lex Sarah)"), ("lex_sarah", "Lex Sarah-rapporter"),
              ("klagomal", "Synpunkter och klagomål"), ("rapporter", "Rapporter totalt"),
              ("ivo_anmalningar", "varav anmälda till IVO (lex Sarah)")]
    rows = [{"name": label, "previous": before[key], "current": now[key], "year": sum(t[key] for t in so_far)}
            for key, label in labels]
    table = Table("nyckeltal_tertial", f"Nyckeltal tertial {tertial} {ctx.year}",
                  [("name", "Nyckeltal"), ("previous", f"T{tertial} {ctx.year - 1}"),
                   ("current", f"T{tertial} {ctx.year}"), ("year", f"T1–T{tertial} {ctx.year}")], rows)
    share = now["andelar"]
    facts = [f"Under tertial {tertial} {ctx.year} kom {_n(now['rapporter'], 'rapport', 'rapporter')}"
             f"{_change(now['rapporter'], before['rapporter'])}: {_n(now['avvikelser'], 'avvikelse', 'avvikelser')} "
             f"({_share(share['avvikelser'])}), {_n(now['lex_sarah'], 'lex Sarah-rapport', 'lex Sarah-rapporter')} "
             f"({_share(share['lex_sarah'])}) och "
             f"{_n(now['klagomal'], 'synpunkt eller klagomål', 'synpunkter och klagomål')} "
             f"({_share(share['klagomal'])})."]
    return Figures([table], facts)


def _tertial_verksamhet(ctx: Context) -> Figures:
    data = summary(ctx.user, ctx.year, "verksamhet", ctx.tertial)
    per_verksamhet = summary_tables(data)[0]
    per_verksamhet.title = f"Rapporter tertial {ctx.tertial} {ctx.year} per verksamhetsområde"
    return Figures([per_verksamhet], [])


SECTIONS: list[Section] = [
    Section("sammanfattning", "Sammanfattning",
            "Sammanfatta årets kvalitetsarbete: hur det har bedrivits, de viktigaste resultaten och slutsatserna.",
            _sammanfattning),
    Section("mal", "Mål och måluppfyllelse",
            "Kommentera måluppfyllelsen: vad som förklarar resultaten och vad som görs där målen inte nåddes.", _mal),
    Section("ledningssystem", "Ledningssystemet och styrande dokument",
            "Beskriv hur ledningssystemet har utvecklats och vilka rutiner och styrande dokument som tagits fram.",
            _ledningssystem),
    Section("medverkan", "Personalens medverkan",
            "Beskriv hur personalen har medverkat i kvalitetsarbetet: rapportering, arbetsplatsträffar, "
            "förbättringsarbeten.", _medverkan),
    Section("samverkan", "Samverkan",
            "Beskriv samverkan med andra verksamheter, regionen, brukare och närstående och vad den gav.", None),
    Section("avvikelser", "Avvikelser",
            "Analysera årets avvikelser: mönster, återkommande brister, orsaker och vilka åtgärder som vidtagits.",
            _avvikelser),
    Section("lex_sarah", "Lex Sarah",
            "Beskriv vad utredningarna visat, vilka åtgärder som vidtagits och hur de följts upp.", _lex_sarah),
    Section("klagomal", "Synpunkter och klagomål",
            "Beskriv vad synpunkterna och klagomålen handlat om och vad verksamheterna har förbättrat.", _klagomal),
    Section("ej_verkstallda", "Ej verkställda beslut per kvartal",
            "Kommentera skälen till att beslut inte verkställts och vad som görs för att korta väntetiderna.",
            _ej_verkstallda),
    Section("utredningar", "Barnavårdsutredningar över fyra månader",
            "Kommentera utredningar som pågått längre än fyra månader och om förlängningsbeslut fattades.",
            _utredningar),
    Section("egenkontroll", "Egenkontroll",
            "Beskriv årets egenkontroller, vad de visade och vilka åtgärder bristerna ledde till.",
            _kontroller("egenkontroll")),
    Section("intern_kontroll", "Intern kontroll",
            "Beskriv nämndens interna kontroll: riskbedömningen bakom kontrollpunkterna, resultaten och åtgärderna.",
            _kontroller("internkontroll")),
    Section("tillsyn", "Tillsyn och klagomål till IVO",
            "Beskriv tillsynen från IVO och andra myndigheter, vad den ledde till och hur kraven har följts upp.",
            _tillsyn),
    Section("brukarundersokningar", "Brukarundersökningar och öppna jämförelser",
            "Kommentera resultaten av brukarundersökningarna och de öppna jämförelserna och vad de leder till.",
            _brukarundersokningar),
    Section("riskanalyser", "Risk- och konsekvensanalyser",
            "Beskriv vilka förändringar som riskanalyserats och vilka åtgärder analyserna ledde till.", _riskanalyser),
    Section("pdca", "Förbättringsarbeten",
            "Beskriv årets förbättringsarbeten, vad de ledde till och vilka rutiner som har ändrats.", _pdca),
    Section("uppfoljning", "Uppföljning av förra årets prioriterade områden",
            "Beskriv hur förra årets prioriterade områden har följts upp och vad arbetet gav.", _uppfoljning),
    Section("plan", "Plan för nästa år",
            "Beskriv de prioriterade områdena och målen för kvalitetsarbetet nästa år, ett område per rad "
            "(raderna följs upp i nästa års kvalitetsberättelse).", _plan),
]
SECTION_KEYS = [s.key for s in SECTIONS]

# The tertialrapport (T1, T2, T3): the same builder over one tertial, the figures the nämnd follows
# three times a year.
TERTIAL_SECTIONS: list[Section] = [
    Section("sammanfattning", "Nyckeltal", "Sammanfatta tertialet: vad siffrorna visar och vad som görs.",
            _tertial_sammanfattning),
    Section("avvikelser", "Rapporter per verksamhetsområde",
            "Kommentera skillnaderna mellan verksamheterna och mot samma tertial i fjol.", _tertial_verksamhet),
    Section("mal", "Mål och måluppfyllelse", "Kommentera hur målen utvecklas under året.", _mal),
    Section("ej_verkstallda", "Ej verkställda beslut per kvartal",
            "Kommentera väntetiderna och vad som görs för att korta dem.", _ej_verkstallda),
]

# The cover page's texts, saved like the sections' (the förslag till beslut has a default in the config).
COVER_TEXTS: list[Section] = [
    Section("dnr", "Diarienummer", "Nämndens diarienummer för ärendet, t.ex. SN 2026/123."),
    Section("forslag_till_beslut", "Förslag till beslut",
            "Förvaltningens förslag till nämnden (tomt: standardtexten)."),
]
