"""Demo organisation, people and a few cases (`flask --app app demo load`)."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import clock
from app.extensions import db
from app.forms import json_to_formdata
from app.models import Case, IvoKvartalsrapport, Task, User
from app.services import cases as case_service
from app.services import goals, kvartalsrapport
from app.services import tasks as task_service
from app.services.errors import DomainError
from app.services.reports import kvalitetsberattelse, mal
from app.services.timers import run_due
from app.services.users import import_organisation

DEMO_PASSWORD = "kvalitet2026"

demo_cli = AppGroup("demo", help="Demodata.")


@demo_cli.command("load")
def demo_load():
    """Ladda demoorganisation, demoanvändare och några ärenden."""
    counts = load_demo()
    click.echo(", ".join(f"{k}={v}" for k, v in counts.items()))
    click.echo(f"Demoanvändarnas lösenord: {DEMO_PASSWORD}")

ORGANISATION: dict[str, list[dict]] = {
    "units": [
        {"code": "SOC", "name": "Socialförvaltningen"},
        {"code": "IFO", "name": "Individ- och familjeomsorg", "parent": "SOC"},
        {"code": "MYN", "name": "Myndighet", "parent": "SOC"},
        {"code": "FO", "name": "Funktionshinderomsorg", "parent": "SOC"},
        {"code": "AOSB", "name": "Äldreomsorg särskilt boende", "parent": "SOC"},
        {"code": "AOOB", "name": "Äldreomsorg ordinärt boende", "parent": "SOC"},
        {"code": "HG", "name": "Hemgårdens äldreboende", "parent": "AOSB"},
        {"code": "SR", "name": "Solrosens äldreboende", "parent": "AOSB"},
        {"code": "HTJ", "name": "Hemtjänst Centrum", "parent": "AOOB"},
        {"code": "BOU", "name": "Barn och unga", "parent": "IFO"},
        {"code": "MYN-AO", "name": "Biståndshandläggning äldre", "parent": "MYN"},
        {"code": "MYN-LSS", "name": "LSS-handläggning", "parent": "MYN"},
        {"code": "GRP", "name": "Gruppbostad Lärkan", "parent": "FO"},
    ],
    "users": [
        {"username": "anna", "name": "Anna Andersson", "email": "anna@kommun.example", "title": "Undersköterska",
         "roles": [{"role": "medarbetare", "unit": "HG"}]},
        {"username": "bertil", "name": "Bertil Berg", "email": "bertil@kommun.example", "title": "Undersköterska",
         "roles": [{"role": "medarbetare", "unit": "SR"}]},
        {"username": "ec_hg", "name": "Eva Carlsson", "email": "eva.carlsson@kommun.example", "title": "Enhetschef",
         "roles": [{"role": "enhetschef", "unit": "HG"}]},
        {"username": "ec_sr", "name": "Stefan Rosén", "email": "stefan.rosen@kommun.example", "title": "Enhetschef",
         "roles": [{"role": "enhetschef", "unit": "SR"}]},
        {"username": "ec_htj", "name": "Hanna Tjäder", "email": "hanna.tjader@kommun.example", "title": "Enhetschef",
         "roles": [{"role": "enhetschef", "unit": "HTJ"}]},
        {"username": "ec_bou", "name": "Omar Berglund", "email": "omar.berglund@kommun.example", "title": "Enhetschef",
         "roles": [{"role": "enhetschef", "unit": "BOU"}]},
        {"username": "ec_myn", "name": "Maria Nyström", "email": "maria.nystrom@kommun.example", "title": "Enhetschef",
         "roles": [{"role": "enhetschef", "unit": "MYN-AO"}, {"role": "enhetschef", "unit": "MYN-LSS"}]},
        {"username": "vc_ao", "name": "Victor Åberg", "email": "victor.aberg@kommun.example",
         "title": "Verksamhetschef",
         "roles": [{"role": "verksamhetschef", "unit": "AOSB"}, {"role": "verksamhetschef", "unit": "AOOB"}]},
        {"username": "vc_ifo", "name": "Ida Falk", "email": "ida.falk@kommun.example", "title": "Verksamhetschef",
         "roles": [{"role": "verksamhetschef", "unit": "IFO"}, {"role": "verksamhetschef", "unit": "MYN"}]},
        {"username": "sas", "name": "Sara Sjöberg", "email": "sara.sjoberg@kommun.example",
         "title": "Socialt ansvarig samordnare",
         "roles": [{"role": "sas", "unit": "SOC"}]},
        {"username": "mas", "name": "Maja Sundin", "email": "maja.sundin@kommun.example",
         "title": "Medicinskt ansvarig sjuksköterska",
         "roles": [{"role": "mas", "unit": "SOC"}]},
        {"username": "chef", "name": "Carl Holm", "email": "carl.holm@kommun.example", "title": "Socialchef",
         "roles": [{"role": "socialchef", "unit": "SOC"}]},
        {"username": "namnd", "name": "Nora Lind", "email": "nora.lind@kommun.example", "title": "Nämndsekreterare",
         "roles": [{"role": "namndsekreterare", "unit": "SOC"}]},
        {"username": "admin", "name": "Alva Admin", "email": "admin@kommun.example", "title": "Systemförvaltare",
         "roles": [{"role": "admin", "unit": "SOC"}]},
    ],
}


def organisation_with_passwords(password: str = DEMO_PASSWORD) -> dict:
    return {"units": ORGANISATION["units"],
            "users": [{**u, "password": password} for u in ORGANISATION["users"]]}


def load_demo() -> dict:
    """The demo organisation and users (a re-import updates them) and, on an empty database, a few
    months of history: every case is created and every step taken through the domain services, each
    at its own moment in the past (see `_Story`). Loading again adds nothing."""
    counts = import_organisation(organisation_with_passwords())
    if db.session.scalar(select(Case.id).limit(1)) is not None:
        return counts  # cases already there: loading twice does not duplicate them
    story = _Story()
    try:
        _tell(story)
    finally:
        story.end()
    counts["cases_created"] = story.created
    # Now, as the scheduler would: what came due during the story fires (an overdue follow-up is
    # escalated, a decision not executed within three months becomes reportable).
    counts["timers_fired"] = run_due()
    return counts


class _Story:
    """Takes each step of the demo's history at its own moment, `days` before today (Swedish time),
    through the CLOCK setting, the way the tests control time. Deadlines, timers, audit and the forms'
    date checks all see that moment, so the data is what the system would have recorded."""

    def __init__(self):
        self.config = current_app.config
        self.saved = self.config.get("CLOCK")
        self.real_now = clock.now()
        self.today = clock.today()
        self.created = 0

    def at(self, days: int, hhmm: str = "09:00") -> None:
        hour, minute = (int(part) for part in hhmm.split(":"))
        moment = datetime.combine(self.today - timedelta(days=days), time(hour, minute), clock.LOCAL_TZ)
        moment = min(moment.astimezone(UTC), self.real_now - timedelta(minutes=1))  # never ahead of now
        self.config["CLOCK"] = lambda: moment

    def end(self) -> None:
        self.config["CLOCK"] = self.saved

    def day(self, days: int) -> str:
        """The ISO date `days` before today (negative: after today)."""
        return (self.today - timedelta(days=days)).isoformat()

    def months_ago(self, months: int, extra_days: int = 0) -> int:
        """How many days ago the same day `months` calendar months back was, plus `extra_days`."""
        return (self.today - clock.add_months(self.today, -months)).days + extra_days

    # Each step goes through the same services as the web pages and the API.

    def report(self, username: str, case_type: str, data: dict) -> Case:
        case = self._checked(lambda: case_service.create_case(_user(username), case_type, json_to_formdata(data),
                                                              csrf=False))
        self.created += 1
        return case

    def claim(self, username: str, case: Case, task_id: str) -> None:
        self._checked(lambda: task_service.claim(_user(username), _open_task(case, task_id).id))

    def complete(self, username: str, case: Case, task_id: str, data: dict, *, subject: str | None = None) -> None:
        """`subject`: which of the case's open `task_id` tasks (a plan's points: "Genomför kontrollen: <subject>")."""
        self._checked(lambda: task_service.complete(_user(username), _open_task(case, task_id, subject).id,
                                                    json_to_formdata(data), csrf=False))

    @staticmethod
    def _checked(step):
        try:
            return step()
        except DomainError as err:  # the demo no longer matches a form: say which field
            raise RuntimeError(f"Demodata: {err.message} {err.fields}") from err


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _open_task(case: Case, task_id: str, subject: str | None = None) -> Task:
    query = select(Task).where(Task.case_id == case.id, Task.task_id == task_id, Task.state == "open")
    if subject is not None:
        query = query.where(Task.name.endswith(f": {subject}"))
    task = db.session.scalar(query.order_by(Task.id).limit(1))
    if task is None:
        raise RuntimeError(f"Demodata: {case.number} har ingen öppen uppgift {task_id}.")
    return task


def _tell(s: _Story) -> None:
    """The history, oldest first (case numbers follow the order of registration). Where it ends:
    - avvikelser: one overdue at the enhetschef (escalated), three waiting for the enhetschef, one
      waiting for the SAS investigation, one at the socialchef's IVO decision, one at the follow-up of
      its actions, one lex Sarah case notified to IVO and closed with feedback to the reporter, one
      medication error investigated by the MAS as an allvarlig vårdskada and notified under lex Maria;
      three falls at Solrosen within a month raise a pattern signal;
    - synpunkter/klagomål: one being handled, one anonymous and closed;
    - PDCA: one in each of Planera, Genomföra (linked to the lex Sarah case), Följa upp, Förbättra
      (from the anonymous complaint), and one standardised; a risk analysis waiting for its follow-up;
    - ej verkställda beslut: one reportable (seven months), one executed late, one within the limit;
    - a barnavårdsutredning under way;
    - the nämndsekreterare filed the latest quarter's IVO report on ej verkställda beslut;
    - planned controls: Hemgården's egenkontroll (a brist with its action open, one point overdue and
      escalated, one with a sample to review) and the nämnd's internkontroll (risk-assessed points, a brist
      that started a PDCA cycle); two IVO cases, one waiting for the reply, one (a särskild avgift request
      about a decision executed late) with criticism and a report due."""
    contact_person = _ej_verkstallt_decisions(s)
    continuity = _pdca_last_quarter(s)
    photo = _lex_sarah_notified_to_ivo(s)
    _three_weeks_ago(s, photo)
    food, locked = _two_weeks_ago(s)
    child, warm_food, planning = _last_ten_days(s, photo=photo, food=food, contact_person=contact_person)
    _last_week(s, photo=photo, locked=locked, child=child, planning=planning)
    _last_days(s, continuity=continuity, warm_food=warm_food)
    _lex_maria_notified_to_ivo(s)
    _quarterly_report_filed(s)
    _planned_controls(s)
    _supervision(s, contact_person=contact_person)
    _goals_and_surveys(s)


# The chapters of the story, in the order told. Each returns the cases a later chapter goes on with.

def _ej_verkstallt_decisions(s: _Story) -> Case:
    """Half a year ago and more: two decisions not executed. Returns the one executed late."""
    # Ej verkställt beslut still waiting after seven months: reported to IVO every quarter.
    s.at(s.months_ago(7), "10:15")
    s.report("ec_myn", "ej_verkstallt", {
        "unit": "MYN-AO", "person_ref": "19380412-T124", "gender": "kvinna", "law": "SoL",
        "insats": "sarskilt_boende", "decided_on": s.day(s.months_ago(7)),
        "reason": "Inget ledigt boende med demensinriktning; erbjudet boende avböjdes i väntan på Hemgården."})
    # Ej verkställt beslut that will be executed late (after three months): reported with its date.
    late = s.months_ago(6, 15)
    s.at(late, "13:40")
    contact_person = s.report("ec_myn", "ej_verkstallt", {
        "unit": "MYN-LSS", "person_ref": "19950918-T131", "gender": "man", "law": "LSS",
        "insats": "kontaktperson_lss", "decided_on": s.day(late)})
    return contact_person


def _pdca_last_quarter(s: _Story) -> Case:
    """Returns the continuity cycle, left in Planera (it goes on in `_last_days`)."""
    # A PDCA cycle from last quarter: the new way of working became the routine.
    s.at(95, "08:30")
    falls = s.report("ec_sr", "pdca", {
        "unit": "SR", "title": "Fallriskbedömning vid inflyttning",
        "goal": "Alla nyinflyttade har en fallriskbedömning och en åtgärdsplan inom en vecka."})
    s.at(94, "14:00")
    s.complete("ec_sr", falls, "planera", {
        "plan": "Sjuksköterska och kontaktman gör fallriskbedömning första veckan; arbetsterapeut ser över "
                "hjälpmedlen.",
        "measure": "Andel nyinflyttade med bedömning inom sju dagar (mål 100 %).", "owner": "ec_sr",
        "check_on": s.day(58)})
    s.at(62, "10:00")
    s.complete("ec_sr", falls, "genomfora", {
        "notes": "Bedömningen finns i checklistan för inflyttning; sex nyinflyttade bedömda."})
    s.at(60, "11:00")
    continuity = s.report("ec_htj", "pdca", {
        "unit": "HTJ", "title": "Färre olika personal hos varje brukare",
        "goal": "Högst tolv olika medarbetare hos varje brukare per månad."})
    s.at(58, "09:45")
    s.complete("ec_htj", continuity, "planera", {
        "plan": "Fasta arbetslag per område; kontaktmannen planerar besöken hos sina brukare.",
        "measure": "Personalkontinuitet per brukare ur planeringssystemet, varje månad.", "owner": "ec_htj",
        "check_on": s.day(-3)})
    s.at(58, "15:20")
    s.complete("ec_sr", falls, "folja_upp", {"result": "Sex av sex bedömda inom sju dagar; två fick sensorlarm.",
                                            "goal_met": True})
    s.at(57, "09:10")
    s.complete("ec_sr", falls, "forbattra", {
        "decision": "standardisera",
        "routine": "Fallriskbedömning och hjälpmedelsbedömning inom en vecka efter inflyttning, dokumenterad i "
                   "genomförandeplanen."})
    return continuity


def _lex_sarah_notified_to_ivo(s: _Story) -> Case:
    """Six weeks ago: the lex Sarah case that goes the whole way (its follow-up comes later)."""
    # Lex Sarah the whole way: investigated, notified to IVO, actions verified, closed with feedback.
    s.at(45, "21:40")
    photo = s.report("anna", "avvikelse", {
        "unit": "HG", "occurred_on": s.day(45), "category": "sekretess",
        "description": "En kollega fotograferade en boende i en utsatt situation och delade bilden i personalens "
                       "chattgrupp.",
        "immediate_actions": "Bilden raderades ur chattgruppen, kollegan gick hem och enhetschefen fick veta det samma "
                             "kväll.",
        "person_ref": "Rum 7", "suspected_lex_sarah": True})
    s.at(44, "08:20")
    s.complete("ec_hg", photo, "chef_uppfoljning", {
        "legal_bases": ["SoL"], "analysis": "Kränkning av den boendes integritet och brott mot tystnadsplikten.",
        "cause_areas": ["rutiner", "manniska"],
        "actions": "Samtal med medarbetaren; tystnadsplikten gås igenom på nästa APT.",
        "classification": "missforhallande", "consequence": 3, "likelihood": 2, "follow_up_on": s.day(7)})
    s.at(43, "09:05")
    s.claim("sas", photo, "sas_utredning")
    s.at(40, "10:30")
    s.report("ec_myn", "ej_verkstallt", {
        "unit": "MYN-LSS", "person_ref": "20010305-T148", "gender": "kvinna", "law": "LSS",
        "insats": "daglig_verksamhet", "decided_on": s.day(40)})
    s.at(37, "16:00")
    s.complete("sas", photo, "sas_utredning", {
        "legal_bases": ["SoL"], "event_types": ["krankning", "bemotande_integritet"],
        "investigation": "Bilden togs under morgonhygienen och delades med sex kollegor. Den boende och hennes son är "
                         "informerade.",
        "causes": "Privata mobiltelefoner används i arbetet och det saknas en rutin för foto och sociala medier.",
        "primary_causes": ["bristande_rutiner"],
        "actions": "Rutin för mobiltelefoner i arbetet; utbildning i tystnadsplikt för all personal.",
        "person_informed": True, "documented_in_personakt": True, "police_report": False,
        "assessment": "allvarligt_missforhallande",
        "assessment_motivation": "Allvarlig kränkning av en person i särskilt utsatt läge.",
        "diarienummer": f"SN {s.today.year}/118"})
    s.at(36, "11:30")
    s.complete("chef", photo, "ivo_beslut", {"notify_ivo": True,
                                             "motivation": "Allvarligt missförhållande enligt SAS utredning; anmäls "
                                                           "snarast."})
    s.at(35, "10:00")
    s.complete("sas", photo, "ivo_anmalan", {"sent_on": s.day(35), "ivo_reference": f"3.5.1-08812/{s.today.year}"})
    return photo


def _three_weeks_ago(s: _Story, photo: Case) -> None:
    # Improvement work that came from the lex Sarah case: in Genomföra.
    s.at(25, "13:00")
    phones = s.report("ec_hg", "pdca", {
        "unit": "HG", "title": "Mobiltelefoner och tystnadsplikt i arbetet",
        "goal": "Ingen privat mobiltelefon i boendes rum; all personal har gått utbildningen i tystnadsplikt.",
        "source_cases": [photo.number]})
    s.at(24, "09:30")
    s.complete("ec_hg", phones, "planera", {
        "plan": "Skåp för telefoner vid personalrummet, arbetstelefoner för larm, utbildning på två APT.",
        "measure": "Andel personal som gått utbildningen; stickprov en gång i veckan.", "owner": "ec_hg",
        "check_on": s.day(-21)})

    # Falls at Solrosen.
    s.at(22, "07:50")
    floor = s.report("bertil", "avvikelse", {
        "unit": "SR", "occurred_on": s.day(22), "category": "fall",
        "description": "Boende hittades sittande på golvet i badrummet vid morgonbesöket.",
        "immediate_actions": "Sjuksköterska undersökte, inga synliga skador; anhörig informerad."})
    s.at(21, "10:40")
    s.complete("ec_sr", floor, "chef_uppfoljning", {
        "legal_bases": ["SoL", "HSL"], "analysis": "Larmet låg utom räckhåll; boende försökte gå själv på natten.",
        "cause_areas": ["teknik", "rutiner"], "actions": "Larmet bärs som armband; tillsyn varannan timme nattetid.",
        "classification": "avvikelse", "consequence": 2, "likelihood": 2, "follow_up_on": s.day(-9)})

    # A deviation the unit has not got to: overdue, escalated to the verksamhetschef.
    s.at(16, "21:30")
    medicine = s.report("anna", "avvikelse", {
        "unit": "HG", "occurred_on": s.day(16), "category": "lakemedel",
        "description": "Kvällsmedicinen gavs inte till boende i rum 12.",
        "immediate_actions": "Kontaktade sjuksköterska, medicinen gavs 21.30.", "suspected_lex_sarah": False})
    s.at(15, "08:15")
    s.claim("ec_hg", medicine, "chef_uppfoljning")


def _two_weeks_ago(s: _Story) -> tuple[Case, Case]:
    """Returns the complaint about the food and the lex Sarah case of the locked door."""
    s.at(14, "14:10")
    food = s.report("bertil", "klagomal", {
        "unit": "SR", "received_on": s.day(14), "kind": "synpunkt", "channel": "webb",
        "description": "Maten serveras ofta kall på kvällarna.", "anonymous": True})

    # Lex Sarah at the socialchef's IVO decision.
    s.at(12, "06:55")
    locked = s.report("bertil", "avvikelse", {
        "unit": "SR", "occurred_on": s.day(13), "category": "brister_i_omsorg",
        "description": "Boende med demenssjukdom var inlåst på sitt rum under natten; dörren var låst från utsidan.",
        "immediate_actions": "Dörren låstes upp vid morgonpasset; boende var orolig men oskadd. Nattpersonalen "
                             "tillfrågad.",
        "person_ref": "Rum 3", "suspected_lex_sarah": True})
    s.at(11, "09:00")
    s.complete("ec_sr", locked, "chef_uppfoljning", {
        "legal_bases": ["SoL"],
        "analysis": "Frihetsbegränsning utan lagstöd; nattpersonalen ville hindra att boende gick ut.",
        "cause_areas": ["manniska", "organisation"],
        "actions": "Genomgång med nattpersonalen om tvångsåtgärder; bemanningen nattetid ses över.",
        "classification": "missforhallande", "consequence": 3, "likelihood": 3, "follow_up_on": s.day(-30)})
    return food, locked


def _last_ten_days(s: _Story, *, photo: Case, food: Case, contact_person: Case) -> tuple[Case, Case, Case]:
    """Returns the barnavårdsutredning, the PDCA cycle on warm food and the risk analysis."""
    # A barnavårdsutredning: förhandsbedömning made, the four months run.
    s.at(10, "10:00")
    child = s.report("ec_bou", "utredning", {"unit": "BOU", "person_ref": "BOU-J-0417", "received_on": s.day(10)})
    s.complete("ec_bou", child, "skyddsbedomning", {
        "immediate_protection": False, "decided_on": s.day(10),
        "motivation": "Barnet bor hos mamma; inget som tyder på akut fara."})
    s.at(10, "14:30")
    s.complete("ec_myn", contact_person, "verkstallighet", {
        "outcome": "verkstallt", "outcome_on": s.day(10),
        "reason": "Det tog tid att hitta en kontaktperson med gemensamma intressen och rätt språk."})

    s.at(9, "12:20")
    s.report("bertil", "avvikelse", {
        "unit": "SR", "occurred_on": s.day(9), "category": "fall",
        "description": "Boende föll i matsalen när hon reste sig från stolen utan rollatorn.",
        "immediate_actions": "Sjuksköterska bedömde; blåmärke på höften, ingen fraktur misstänks."})
    s.at(9, "15:00")
    s.complete("ec_sr", food, "klagomal_hantering", {
        "category": "brister_i_omsorg",
        "response": "Maten värms i avdelningsköket och serveras direkt från och med nu.",
        "actions": "Värmeskåp i matsalen; rutinen för kvällsmaten är uppdaterad."})

    # The complaint about the food became improvement work, now at Förbättra: the goal was not met.
    s.at(8, "09:30")
    warm_food = s.report("ec_sr", "pdca", {
        "unit": "SR", "title": "Varm mat på kvällen", "goal": "Kvällsmaten är minst 60 grader när den serveras.",
        "source_cases": [food.number]})
    s.at(8, "10:00")
    s.complete("ec_sr", warm_food, "planera", {
        "plan": "Maten värms i avdelningsköket och serveras direkt; värmeskåp i matsalen.",
        "measure": "Temperaturen mäts vid servering varje kväll i en vecka.", "owner": "ec_sr", "check_on": s.day(1)})
    s.at(8, "11:00")
    s.complete("ec_hg", photo, "atgardsuppfoljning", {
        "actions_done": True,
        "notes": "Rutinen för mobiltelefoner gäller sedan två veckor; 28 av 30 har gått utbildningen, resten i nästa "
                 "vecka."})
    s.at(8, "13:00")
    planning = s.report("ec_htj", "riskanalys", {
        "unit": "HTJ", "title": "Nytt planeringssystem i hemtjänsten",
        "change": "Det digitala planeringssystemet byts ut den 1:a nästa månad; besöken planeras om för alla brukare."})
    return child, warm_food, planning


def _last_week(s: _Story, *, photo: Case, locked: Case, child: Case, planning: Case) -> None:
    s.at(7, "09:30")
    s.claim("sas", locked, "sas_utredning")
    s.at(6, "10:15")
    s.complete("sas", photo, "sas_verifiering", {
        "approved": True, "comment": "Åtgärderna är genomförda och följs upp i PDCA."})
    s.at(6, "13:00")
    s.complete("ec_bou", child, "forhandsbedomning", {
        "open_investigation": True, "decided_on": s.day(6),
        "motivation": "Upprepade uppgifter från skolan om frånvaro och oro för hemsituationen."})
    s.at(6, "20:45")
    shower = s.report("anna", "avvikelse", {
        "unit": "HG", "occurred_on": s.day(6), "category": "bemotande",
        "description": "Boende lämnades ensam i duschen och ropade på hjälp i 20 minuter.",
        "immediate_actions": "Personal hjälpte boende direkt, anhöriga informerade.", "suspected_lex_sarah": True})
    s.at(5, "08:40")
    s.complete("ec_hg", shower, "chef_uppfoljning", {
        "legal_bases": ["SoL"], "analysis": "Medarbetaren kallades till ett larm och ingen tog över duschen.",
        "cause_areas": ["kommunikation", "organisation"],
        "actions": "Ingen lämnar en boende i duschen; överlämning via larmtelefonen.",
        "classification": "risk_missforhallande", "consequence": 3, "likelihood": 2, "follow_up_on": s.day(-25)})
    s.at(5, "15:30")
    s.complete("sas", locked, "sas_utredning", {
        "legal_bases": ["SoL"], "event_types": ["omsorg"],
        "investigation": "Dörren låstes från utsidan kl. 02 för att boende inte skulle gå ut; det finns inget beslut "
                         "om skyddsåtgärd.",
        "causes": "Två personal på natten för tre avdelningar; ingen kunskap om vad som får göras när en boende vill "
                  "gå ut.",
        "primary_causes": ["tidspress", "bristande_kompetens"],
        "actions": "Utbildning om tvångsåtgärder för nattpersonalen; bemanningen nattetid utreds.",
        "person_informed": True, "documented_in_personakt": True, "police_report": False,
        "assessment": "missforhallande", "assessment_motivation": "Frihetsberövande åtgärd utan stöd i lag.",
        "diarienummer": f"SN {s.today.year}/131"})
    s.at(5, "16:10")
    s.complete("ec_htj", planning, "riskanalys", {
        "risks": "Besök kan falla bort under övergången; nyckelhanteringen ändras; personalen är ovan vid systemet.",
        "consequence": 3, "likelihood": 2,
        "actions": "Dubbel planering första veckan, superanvändare i varje arbetslag, kontroll av missade besök varje "
                   "dag.",
        "responsible": "ec_htj", "follow_up_on": s.day(-25)})


def _last_days(s: _Story, *, continuity: Case, warm_food: Case) -> None:
    s.at(4, "10:00")
    s.report("ec_bou", "pdca", {
        "unit": "BOU", "title": "Förhandsbedömning inom 14 dagar",
        "goal": "Alla förhandsbedömningar klara inom 14 dagar från orosanmälan."})
    s.at(3, "11:20")
    visit = s.report("anna", "klagomal", {
        "unit": "HG", "received_on": s.day(3), "kind": "klagomal", "channel": "telefon", "complainant": "narstaende",
        "description": "Dottern till en boende säger att hennes mamma inte kommit ut på promenad på tre veckor.",
        "anonymous": False, "contact": "Lena Ek, 070-123 45 67"})
    s.at(2, "08:05")
    s.claim("ec_hg", visit, "klagomal_hantering")
    s.at(3, "16:00")
    s.complete("ec_sr", warm_food, "genomfora", {"notes": "Värmeskåpet kom på plats; temperaturen mättes sju kvällar."})
    s.at(2, "14:00")
    s.complete("ec_htj", continuity, "genomfora", {
        "notes": "Tre arbetslag med fasta områden sedan sex veckor; kontaktmännen planerar besöken."})

    s.at(1, "15:45")
    s.complete("ec_sr", warm_food, "folja_upp", {
        "result": "Fem av sju kvällar över 60 grader; två kvällar svalnade maten när serveringen drog ut på tiden.",
        "goal_met": False})

    # Today: the third fall at Solrosen within a month raises the pattern signal.
    s.at(0, "07:30")
    s.report("bertil", "avvikelse", {
        "unit": "SR", "occurred_on": s.day(0), "category": "fall",
        "description": "Boende föll vid förflyttning från rullstol.",
        "immediate_actions": "Sjuksköterska undersökte, inga synliga skador.", "suspected_lex_sarah": False})


def _lex_maria_notified_to_ivo(s: _Story) -> None:
    """Today: a medication error in the hemtjänst; the enhetschef judges a vårdskada possible, the MAS
    investigates it as an allvarlig vårdskada and notifies IVO (lex Maria); the follow-up of the actions
    remains."""
    s.at(0, "08:10")
    insulin = s.report("ec_htj", "avvikelse", {
        "unit": "HTJ", "occurred_on": s.day(1), "category": "lakemedel", "health_care": True,
        "description": "Dubbel dos insulin gavs på morgonbesöket; brukaren fick kraftigt lågt blodsocker.",
        "immediate_actions": "Sjuksköterska tillkallades, ambulans; brukaren vårdades på sjukhus ett dygn.",
        "suspected_lex_sarah": False})
    s.at(0, "09:00")
    s.complete("ec_htj", insulin, "chef_uppfoljning", {
        "legal_bases": ["HSL"], "analysis": "Två signeringslistor var i omlopp efter ändrad ordination.",
        "cause_areas": ["rutiner", "kommunikation"], "actions": "En signeringslista per brukare; genomgång på APT.",
        "classification": "avvikelse", "consequence": 4, "likelihood": 2, "follow_up_on": s.day(-30),
        "suspected_vardskada": True})
    s.at(0, "13:30")
    s.complete("mas", insulin, "mas_utredning", {
        "investigation": "Ordinationen ändrades i fredags; den gamla signeringslistan togs inte bort. "
                         "Två medarbetare gav var sin dos.",
        "causes": "Ingen rutin för att dra in en gammal signeringslista när ordinationen ändras.",
        "actions": "Rutin för ändrad ordination från nästa vecka; sjuksköterskan byter listan samma dag.",
        "assessment": "allvarlig_vardskada",
        "assessment_motivation": "Brukaren behövde sjukhusvård; skadan var inte obetydlig."})
    s.at(0, "15:00")
    s.complete("mas", insulin, "lex_maria_anmalan", {"sent_on": s.day(0)})


def _quarterly_report_filed(s: _Story) -> None:
    """The latest quarter's reporting period opened and Nora filed the report a few days later (a fresh
    installation starts no past quarter by itself, so the story opens it at its moment)."""
    quarter = kvartalsrapport.due_quarter(s.today)
    opened, closes = kvartalsrapport.window(quarter)
    filed = min(opened + timedelta(days=4), closes, s.today)
    s.at((s.today - opened).days, "07:00")
    kvartalsrapport.start_quarter(quarter)
    db.session.commit()
    row = db.session.scalars(select(IvoKvartalsrapport).where(IvoKvartalsrapport.quarter == quarter.key)).one()
    s.at((s.today - filed).days, "10:00")
    s.complete("namnd", db.session.get_one(Case, row.case_id), "kvartalsrapport", {"submitted_on": filed.isoformat()})
def _in_year(s: _Story, days: int) -> str:
    """The day `days` before today, kept inside this year (a plan's points are due in its year)."""
    day = s.today - timedelta(days=days)
    return min(max(day, date(s.today.year, 1, 1)), date(s.today.year, 12, 31)).isoformat()


def _planned_controls(s: _Story) -> None:
    """This year's egenkontroll at Hemgården and the nämnd's internkontroll; the timers due by today fire
    when the story ends (notices, the overdue point's escalation)."""
    s.at(45, "09:00")
    intern = s.report("namnd", "kontrollplan", {
        "kind": "internkontroll", "unit": "SOC", "year": s.today.year, "title": "Internkontrollplan", "points": [
            {"title": "Ej verkställda beslut rapporteras i tid", "method": "Avstämning mot IVO:s kvittenser",
             "due_on": _in_year(s, 35), "responsible": "namnd", "consequence": 3, "likelihood": 2},
            {"title": "Lex Sarah-utredningar inom målsatt tid", "method": "Genomgång av årets utredningar",
             "due_on": _in_year(s, 32), "responsible": "sas", "consequence": 3, "likelihood": 3},
            {"title": "Barnavårdsutredningar inom fyra månader", "method": "Stickprov ur akterna",
             "due_on": _in_year(s, -3), "responsible": "vc_ifo", "consequence": 4, "likelihood": 2,
             "sample_case_type": "utredning", "sample_size": 5},
            {"title": "Delegationsordningen följs", "method": "Granskning av tio beslut",
             "due_on": _in_year(s, -120), "responsible": "chef", "consequence": 2, "likelihood": 2}]})
    s.at(36, "14:00")
    s.complete("namnd", intern, "kontrollpunkt", {"done_on": s.day(36), "result": "utan_anmarkning",
                                                  "finding": "Alla beslut rapporterades inom perioden."},
               subject="Ej verkställda beslut rapporteras i tid")
    s.at(33, "10:30")
    s.complete("sas", intern, "kontrollpunkt", {
        "done_on": s.day(33), "result": "brist",
        "finding": "Två av fem utredningar tog längre än fyra veckor; bevakningen av tiderna var manuell.",
        "action": "pdca", "action_text": "Alla lex Sarah-utredningar klara inom fyra veckor."},
        subject="Lex Sarah-utredningar inom målsatt tid")

    s.at(30, "08:45")
    own = s.report("ec_hg", "kontrollplan", {
        "kind": "egenkontroll", "unit": "HG", "year": s.today.year, "title": "Egenkontroll Hemgården", "points": [
            {"title": "Brandskydd", "method": "Rundvandring: utrymningsvägar, brandfiltar, larm",
             "due_on": _in_year(s, 25), "responsible": "anna"},
            {"title": "Signeringslistor för läkemedel", "method": "Genomgång av en månads listor",
             "due_on": _in_year(s, 20), "responsible": "ec_hg"},
            {"title": "Avvikelser följs upp", "method": "Stickprov ur årets avvikelser",
             "due_on": _in_year(s, 2), "responsible": "ec_hg", "sample_case_type": "avvikelse", "sample_size": 3},
            {"title": "Genomförandeplaner", "method": "Är varje plan uppföljd det senaste halvåret?",
             "due_on": _in_year(s, -6), "responsible": "ec_hg"},
            {"title": "Skydds- och begränsningsåtgärder", "method": "Genomgång med sjuksköterska och arbetsterapeut",
             "due_on": _in_year(s, -90), "responsible": "ec_hg"}]})
    s.at(26, "13:15")
    s.complete("anna", own, "kontrollpunkt", {
        "done_on": s.day(26), "result": "brist", "finding": "Två brandfiltar saknades i köket på avdelning 2.",
        "action": "atgard", "action_text": "Köp in och sätt upp två brandfiltar.", "action_responsible": "ec_hg",
        "action_due_on": _in_year(s, -10)}, subject="Brandskydd")
    s.at(21, "09:30")
    s.complete("ec_hg", own, "kontrollpunkt", {"done_on": s.day(21), "result": "utan_anmarkning"},
               subject="Signeringslistor för läkemedel")


def _supervision(s: _Story, *, contact_person: Case) -> None:
    """Two IVO cases: a supervision waiting for the reply, and a särskild avgift request about the decision
    executed late, criticised, with a report due."""
    s.at(40, "11:00")
    fee = s.report("sas", "tillsyn", {
        "unit": "MYN-LSS", "authority": "IVO", "kind": "anmalan", "opened_on": s.day(40),
        "subject": "Begäran om yttrande: ansökan om särskild avgift för ej verkställt beslut om kontaktperson",
        "reference": "IVO 3.7.2-4411/" + str(s.today.year), "reply_due_on": s.day(26), "sarskild_avgift": True,
        "source_cases": [contact_person.number]})
    s.at(28, "15:00")
    s.complete("sas", fee, "tillsyn_yttrande", {
        "sent_on": s.day(28),
        "reply": "Beslutet verkställdes när en kontaktperson fanns; rekryteringen har förstärkts."})
    s.at(8, "10:00")
    s.complete("sas", fee, "tillsyn_beslut", {
        "decided_on": s.day(8), "outcome": "kritik",
        "requirements": "Nämnden ska redovisa hur väntetiden för kontaktperson enligt LSS ska kortas.",
        "report_due_on": s.day(-30)})
    s.at(6, "09:20")
    s.report("sas", "tillsyn", {
        "unit": "HG", "authority": "IVO", "kind": "tillsyn", "opened_on": s.day(6),
        "subject": "Tillsyn av läkemedelshanteringen på Hemgårdens äldreboende",
        "reference": "IVO 3.5.1-1234/" + str(s.today.year), "reply_due_on": s.day(-14)})



def _goals_and_surveys(s: _Story) -> None:
    """The year's goals in the four perspectives (one computed from the cases), their values this year and
    last (as a Kolada export would give them), five years of brukarundersökningar, last year's plan for
    this year and the cover page's diarienummer: what the kvalitetsberättelse's goal, survey and
    follow-up sections show."""
    year = s.today.year
    s.at(3, "10:00")
    secretary = _user("namnd")
    built_in = mal.built_in_labels()
    demo_goals = [
        ("brukare", "Brukarna känner förtroende för personalen", [
            ("U21468", "Andel brukare i hemtjänsten som har förtroende för personalen", 90, "%", True, None),
            ("UTEBLIVEN", "Andel avvikelser som gäller utebliven insats", 27, "%", False, "andel_utebliven_insats")]),
        ("brukare", "Kortare väntan på insatser", [
            ("N31807", "Väntetid försörjningsstöd, dagar", 10, "dagar", False, None),
            ("EJV6", "Ej verkställda beslut som väntat mer än sex månader", 0, "st", False,
             "ej_verkstallda_over_sex_manader")]),
        ("medarbetare", "Medarbetarna deltar i kvalitetsarbetet", [
            ("APT_AVV", "Andel arbetsplatsträffar där avvikelser tas upp", 100, "%", True, None)]),
        ("verksamhet", "Avvikelser följs upp i tid", [
            ("UPPF", "Andel avvikelser som följts upp i tid", 90, "%", True, "uppfoljning_i_tid")]),
        ("ekonomi", "Verksamheten håller budget", [
            ("BUDGET", "Budgetavvikelse, procent", 0, "%", True, None)]),
    ]
    for perspective, title, indicators in demo_goals:
        s._checked(lambda p=perspective, t=title, i=indicators: goals.create_goal(secretary, {
            "year": year, "perspective": p, "title": t,
            "indicators": [{"code": c, "name": n, "target": tg, "unit": u, "higher_is_better": h, "source": src}
                           for c, n, tg, u, h, src in i]}, built_in))
    values = [("U21468", year, 92), ("U21468", year - 1, 88), ("N31807", year, 8), ("N31807", year - 1, 22),
              ("APT_AVV", year, 75), ("APT_AVV", year - 1, 60), ("N00945", year, 65), ("N00945", year - 1, 79)]
    s._checked(lambda: goals.import_values(secretary, json.dumps(
        [{"code": c, "period": str(y), "value": v} for c, y, v in values]), "application/json"))
    questions = [("Hemtjänst", "", "Helhetsbedömning", 84), ("Hemtjänst", "", "Förtroende för personalen", 88),
                 ("Hemtjänst", "", "Trygghet", 80), ("Hemtjänst", "", "Bemötande", 94),
                 ("Särskilt boende", "HG", "Helhetsbedömning", 77), ("Särskilt boende", "HG", "Trygghet", 83),
                 ("Särskilt boende", "SR", "Helhetsbedömning", 79), ("Särskilt boende", "SR", "Maten", 61)]
    lines = ["year;service;unit;question;share_positive;responses"]
    for back in range(4, -1, -1):
        for number, (service, unit, question, share) in enumerate(questions):
            # Each question moves a little each year, some up and some down (the trend of seed 001).
            drift = (back * (1 if number % 3 else -1)) - (number % 2)
            lines.append(f"{year - back};{service};{unit};{question};{share - drift};{300 if unit == '' else 40}")
    s._checked(lambda: goals.import_surveys(secretary, "\n".join(lines)))
    s._checked(lambda: kvalitetsberattelse.save_texts(secretary, year - 1, MultiDict({
        "plan": "Fallprevention i särskilt boende\nKontinuitet i hemtjänsten\nSäkrare läkemedelshantering kvällstid"}),
        csrf=False))
    s._checked(lambda: kvalitetsberattelse.save_texts(secretary, year, MultiDict({
        "dnr": f"SN {year + 1}/17",
        "samverkan": "Förvaltningen samverkar med regionens primärvård i gemensamma vårdplaneringar och med "
                     "brukarorganisationerna i ett brukarråd som träffas fyra gånger om året."}), csrf=False))
