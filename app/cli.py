"""Command line: `flask --app app ...` (also usable through app.test_cli_runner())."""
from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models import ROLES, User
from app.services.errors import DomainError


def _fail(err: DomainError):
    lines = [err.message] + [f"  {k}: {'; '.join(v)}" for k, v in err.fields.items()]
    raise click.ClickException("\n".join(lines))


def register_commands(app: Flask) -> None:
    org = AppGroup("org", help="Organisation: enheter och användare.")
    demo = AppGroup("demo", help="Demodata.")
    users = AppGroup("users", help="Användare.")
    tokens = AppGroup("tokens", help="API-nycklar.")
    timers = AppGroup("timers", help="BPMN-timers.")
    scheduler = AppGroup("scheduler", help="Tidsstyrning.")

    @org.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def org_import(path):
        """Importera enheter och användare från en JSON-fil (idempotent)."""
        from app.services.users import import_organisation

        try:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
        except json.JSONDecodeError as err:
            raise click.ClickException(f"Filen är inte giltig JSON: {err}") from None
        try:
            counts = import_organisation(document)
        except DomainError as err:
            _fail(err)
        click.echo(", ".join(f"{k}={v}" for k, v in counts.items()))

    @demo.command("load")
    def demo_load():
        """Ladda demoorganisation, demoanvändare och några ärenden."""
        from app.demo import DEMO_PASSWORD, load_demo

        counts = load_demo()
        click.echo(", ".join(f"{k}={v}" for k, v in counts.items()))
        click.echo(f"Demoanvändarnas lösenord: {DEMO_PASSWORD}")

    @users.command("create")
    @click.argument("username")
    @click.option("--name", required=True)
    @click.option("--email", default="")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--role", "roles", multiple=True, help="roll:ENHETSKOD, t.ex. enhetschef:HG")
    def users_create(username, name, email, password, roles):
        """Skapa eller uppdatera en användare."""
        from app.services.users import import_organisation

        parsed = []
        for item in roles:
            role, _, unit = item.partition(":")
            if role not in ROLES or not unit:
                raise click.ClickException(f"Ogiltig roll '{item}': ange roll:ENHETSKOD ({', '.join(ROLES)}).")
            parsed.append({"role": role, "unit": unit})
        try:
            import_organisation({"units": [], "users": [
                {"username": username, "name": name, "email": email, "password": password, "roles": parsed}]})
        except DomainError as err:
            _fail(err)
        click.echo(f"Användaren {username} är sparad.")

    @users.command("list")
    def users_list():
        for user in db.session.scalars(select(User).order_by(User.username)):
            roles = ", ".join(f"{r.role}:{r.unit.code}" for r in user.roles)
            click.echo(f"{user.username}\t{user.name}\t{roles}")

    @tokens.command("create")
    @click.argument("username")
    def tokens_create(username):
        """Skapa en API-nyckel; nyckeln skrivs ut på sista raden."""
        from app.services.users import create_token

        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"Användaren '{username}' finns inte.")
        token = create_token(user)
        click.echo(f"API-nyckel för {username} (visas bara en gång):")
        click.echo(token)

    @tokens.command("revoke")
    @click.argument("username")
    def tokens_revoke(username):
        """Återkalla alla API-nycklar för en användare."""
        from app.services.users import revoke_tokens

        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"Användaren '{username}' finns inte.")
        click.echo(f"{revoke_tokens(user)} API-nycklar för {username} är återkallade.")

    @timers.command("run-due")
    def timers_run_due():
        """Utlös alla timers som har förfallit och skriv ut hur många."""
        from app.services.timers import run_due

        click.echo(run_due())

    @timers.command("retry")
    @click.argument("case_number", required=False)
    def timers_retry(case_number):
        """Kör om tidsfrister som misslyckats (efter att felet rättats), för ett ärende eller alla."""
        from app.services.timers import retry_failed

        click.echo(f"{retry_failed(case_number)} tidsfrister körs vid nästa genomgång.")

    @scheduler.command("run")
    def scheduler_run():
        """Kör tidsstyrningen som en egen process (produktion)."""
        from app.scheduler import run_blocking

        click.echo("Tidsstyrningen körs; avsluta med Ctrl+C.")
        run_blocking(app)

    for group in (org, demo, users, tokens, timers, scheduler):
        app.cli.add_command(group)
