"""Demo organisation, people and a few cases (`flask --app app demo load`)."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Case, User

DEMO_PASSWORD = "kvalitet2026"

ORGANISATION = {
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
        {"username": "vc_ao", "name": "Victor Åberg", "email": "victor.aberg@kommun.example", "title": "Verksamhetschef",
         "roles": [{"role": "verksamhetschef", "unit": "AOSB"}, {"role": "verksamhetschef", "unit": "AOOB"}]},
        {"username": "vc_ifo", "name": "Ida Falk", "email": "ida.falk@kommun.example", "title": "Verksamhetschef",
         "roles": [{"role": "verksamhetschef", "unit": "IFO"}, {"role": "verksamhetschef", "unit": "MYN"}]},
        {"username": "sas", "name": "Sara Sjöberg", "email": "sara.sjoberg@kommun.example", "title": "Socialt ansvarig samordnare",
         "roles": [{"role": "sas", "unit": "SOC"}]},
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
    from app.forms import json_to_formdata
    from app.services.cases import create_case
    from app.services.users import import_organisation

    counts = import_organisation(organisation_with_passwords())
    if db.session.scalar(select(Case.id).limit(1)) is not None:
        return counts  # cases already there: loading twice does not duplicate them
    from app import clock

    today = clock.today().isoformat()
    anna = db.session.scalar(select(User).where(User.username == "anna"))
    bertil = db.session.scalar(select(User).where(User.username == "bertil"))
    reports = [
        (anna, {"unit": "HG", "occurred_on": today, "category": "lakemedel",
                "description": "Kvällsmedicinen gavs inte till boende i rum 12.",
                "immediate_actions": "Kontaktade sjuksköterska, medicinen gavs 21.30.", "suspected_lex_sarah": False}),
        (anna, {"unit": "HG", "occurred_on": today, "category": "bemotande",
                "description": "Boende lämnades ensam i duschen och ropade på hjälp i 20 minuter.",
                "immediate_actions": "Personal hjälpte boende direkt, anhöriga informerade.", "suspected_lex_sarah": True}),
        (bertil, {"unit": "SR", "occurred_on": today, "category": "fall",
                  "description": "Boende föll vid förflyttning från rullstol.",
                  "immediate_actions": "Sjuksköterska undersökte, inga synliga skador.", "suspected_lex_sarah": False}),
    ]
    for reporter, data in reports:
        create_case(reporter, "avvikelse", json_to_formdata(data), csrf=False)
    counts["cases_created"] = len(reports)
    return counts
