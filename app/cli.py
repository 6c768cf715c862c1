"""Command line: `flask --app app ...` (also usable through app.test_cli_runner()).

The organisation, user, token and timer commands live here; `demo load` and `scheduler run` are
defined beside what they run (app.demo, app.scheduler). The factory registers every group."""
from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import User
from app.services import gallring
from app.services.access import missing_role_holders
from app.services.database import least_privilege_grants
from app.services.errors import DomainError
from app.services.timers import retry_failed, run_due
from app.services.users import create_token, import_organisation, revoke_tokens, tokens_of
from app.vocabulary import ROLES

org = AppGroup("org", help="Organisation: enheter och användare.")
users = AppGroup("users", help="Användare.")
tokens = AppGroup("tokens", help="API-nycklar.")
timers = AppGroup("timers", help="BPMN-timers.")
search_cli = AppGroup("search", help="Sökindexet över ärendenas texter.")
gallring_cli = AppGroup("gallring", help="Gallring av avslutade ärenden enligt GALLRING_RULES.")


def register_commands(app: Flask) -> None:
    for group in (org, users, tokens, timers, search_cli, gallring_cli):
        app.cli.add_command(group)
    app.cli.add_command(db_grants)


def _click_error(err: DomainError) -> click.ClickException:
    lines = [err.message] + [f"  {k}: {'; '.join(v)}" for k, v in err.fields.items()]
    return click.ClickException("\n".join(lines))


def _import(document: dict) -> dict:
    try:
        return import_organisation(document)
    except DomainError as err:
        raise _click_error(err) from err


def _existing_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"Användaren '{username}' finns inte.")
    return user


@org.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def org_import(path):
    """Importera enheter och användare från en JSON-fil (idempotent)."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except json.JSONDecodeError as err:
        raise click.ClickException(f"Filen är inte giltig JSON: {err}") from None
    counts = _import(document)
    click.echo(", ".join(f"{k}={v}" for k, v in counts.items()))
    fallback = current_app.config["FALLBACK_ROLE"]
    for unit, roles in missing_role_holders():
        click.echo(f"Varning: {unit.code} {unit.name} saknar {', '.join(roles)} (vid enheten eller ovanför); "
                   f"uppgifter till rollen erbjuds {fallback}.", err=True)


def _parse_roles(roles: tuple[str, ...]) -> list[dict]:
    """`roll:ENHETSKOD` options as the organisation file's role objects."""
    parsed = []
    for item in roles:
        role, _, unit = item.partition(":")
        if role not in ROLES or not unit:
            raise click.ClickException(f"Ogiltig roll '{item}': ange roll:ENHETSKOD ({', '.join(ROLES)}).")
        parsed.append({"role": role, "unit": unit})
    return parsed


@users.command("create")
@click.argument("username")
@click.option("--name", required=True)
@click.option("--email", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", "roles", multiple=True, help="roll:ENHETSKOD, t.ex. enhetschef:HG")
def users_create(username, name, email, password, roles):
    """Skapa eller uppdatera en användare."""
    parsed = _parse_roles(roles)
    _import({"units": [], "users": [
        {"username": username, "name": name, "email": email, "password": password, "roles": parsed}]})
    click.echo(f"Användaren {username} är sparad.")


@users.command("list")
def users_list():
    for user in db.session.scalars(select(User).order_by(User.username)):
        roles = ", ".join(f"{r.role}:{r.unit.code}" for r in user.roles)
        click.echo(f"{user.username}\t{user.name}\t{roles}")


@tokens.command("create")
@click.argument("username")
@click.option("--days", type=int, default=None, help="Hur många dagar nyckeln gäller (standard: API_TOKEN_DAYS).")
def tokens_create(username, days):
    """Skapa en API-nyckel; nyckeln skrivs ut på sista raden."""
    try:
        token = create_token(_existing_user(username), days)
    except DomainError as err:
        raise _click_error(err) from err
    click.echo(f"API-nyckel för {username} (visas bara en gång):")
    click.echo(token)


@tokens.command("list")
@click.argument("username")
def tokens_list(username):
    """Visa en användares API-nycklar: skapad, giltig till och senast använd."""
    for token in tokens_of(_existing_user(username)):
        expires = _local(token.expires_at) if token.expires_at else "utan slutdatum"
        used = _local(token.last_used_at) if token.last_used_at else "aldrig"
        click.echo(f"{token.id}\tskapad {_local(token.created_at)}\tgiltig till {expires}\tsenast använd {used}")


def _local(value) -> str:
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M")


@click.command("db-grants")
@click.argument("role")
def db_grants(role):
    """Skriv ut GRANT-satserna för en PostgreSQL-roll som appen kör som (minsta behörighet): läsa och
    skriva ärendetabellerna, men bara läsa och lägga till i granskningsloggen och läsloggen."""
    click.echo(least_privilege_grants(role))


@tokens.command("revoke")
@click.argument("username")
def tokens_revoke(username):
    """Återkalla alla API-nycklar för en användare."""
    click.echo(f"{revoke_tokens(_existing_user(username))} API-nycklar för {username} är återkallade.")


@timers.command("run-due")
def timers_run_due():
    """Utlös alla timers som har förfallit och skriv ut hur många."""
    click.echo(run_due())


@timers.command("retry")
@click.argument("case_number", required=False)
def timers_retry(case_number):
    """Kör om tidsfrister som misslyckats (efter att felet rättats), för ett ärende eller alla."""
    click.echo(f"{retry_failed(case_number)} tidsfrister körs vid nästa genomgång.")


@search_cli.command("reindex")
def search_reindex():
    """Index every case's texts again (once after upgrading, or after loading rows around the application)."""
    from app.services import search

    count = search.reindex()
    db.session.commit()
    click.echo(f"{count} ärenden är sökbara.")


@gallring_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Visa bara vad som skulle gallras.")
def gallring_run(dry_run):
    """Gallra avslutade ärenden vars regel säger att det är dags (anonymisera eller radera)."""
    try:
        due = gallring.run(dry_run=dry_run)
    except DomainError as err:
        raise _click_error(err) from err
    for c in due:
        verb = gallring.ACTIONS[c.rule.action]
        click.echo(f"{c.number}\t{c.case_type}\tavslutat {_local(c.closed_at)}\t{verb} "
                   f"(regel: {c.rule.years} år efter avslut)")
    what = "skulle gallras" if dry_run else "gallrades"
    click.echo(f"{len(due)} ärenden {what}." + (" Inget är ändrat." if dry_run else " Se gallringsloggen."))
