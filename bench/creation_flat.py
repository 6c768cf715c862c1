"""Whether reporting a case costs the same for the 3,000th case of a unit and category as for the first.

    .venv/bin/python bench/creation_flat.py [--cases 3000 --window 100]

In process on PostgreSQL (a scratch database): `--cases` avvikelser of one unit and category are
reported through the domain service (form, case number, engine, audit, pattern signal), one
transaction each, on the same day: the first few raise a pattern signal and every later one joins it.
Printed: the median time of the first `--window` reports; then, side by side (alternating, so that the
machine's drift over the run counts for both alike), `--window` reports joining that signal of `--cases`
cases and `--window` joining a second category's signal of a few cases, and the ratio of the two.
"""
from __future__ import annotations

import argparse
import time

from _common import PostgresUnavailable, Row, median, print_rows, scratch_postgres
from sqlalchemy import select


def measure(url: str, cases: int, window: int) -> dict:
    from app import clock, create_app
    from app.demo import organisation_with_passwords
    from app.extensions import db
    from app.forms import json_to_formdata
    from app.models import User
    from app.services.cases import create_case
    from app.services.users import import_organisation

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SCHEDULER_ENABLED": False,
                      "MAIL_SERVER": None})
    times: list[float] = []
    with app.app_context():
        db.create_all()
        import_organisation(organisation_with_passwords("bench-password"))
        anna = db.session.scalar(select(User).where(User.username == "anna"))
        def reported(category: str) -> float:
            report = {"unit": "HG", "occurred_on": clock.today().isoformat(), "category": category,
                      "description": "Boende föll.", "immediate_actions": "Sjuksköterska undersökte.",
                      "suspected_lex_sarah": False}
            t0 = time.perf_counter()
            create_case(anna, "avvikelse", json_to_formdata(report), csrf=False)
            return time.perf_counter() - t0

        for _ in range(cases):
            times.append(reported("fall"))
        for _ in range(3):  # a second category's signal, small
            reported("lakemedel")
        small, large = [], []
        for _ in range(window):
            small.append(reported("lakemedel"))
            large.append(reported("fall"))
        db.session.remove()
        db.engine.dispose()
    return {"first": median(times[:window]), "small": median(small), "large": median(large)}


def rows(cases: int = 3000, window: int = 100) -> list[Row]:
    try:
        with scratch_postgres() as url:
            result = measure(url, cases, window)
    except PostgresUnavailable as err:
        print(f"# creation cost skipped: {err}")
        return []
    return [("pg_creation_first_cases", 1000 * result["first"], "ms"),
            ("pg_creation_joining_small_signal", 1000 * result["small"], "ms"),
            (f"pg_creation_joining_signal_of_{cases}", 1000 * result["large"], "ms"),
            ("pg_creation_cost_growth", result["large"] / result["small"], "x")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--window", type=int, default=100)
    args = parser.parse_args()
    print_rows(rows(args.cases, args.window))


if __name__ == "__main__":
    main()
