"""Serialized size of a PDCA cycle (bytes of ProcessInstance.state) over many turns.

A PDCA case runs one process instance per turn (bpmn/pdca.bpmn: Förbättra → ny_cykel ends the turn's
instance and starts the next). This drives a cycle through N turns with the real engine, diagrams and
database (SQLite, temp file) and prints, per turn, the size of the running turn's instance and the
case's total. For contrast it runs the same diagram with ny_cykel looping back to Planera inside one
instance (a temporary copy of bpmn/): SpiffWorkflow never prunes its task tree, so that state grows
with every turn (and stalls after ~170 turns, DESIGN.md).

    .venv/bin/python bench/pdca_size.py [--turns 20]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from app import clock, create_app
from app.demo import organisation_with_passwords
from app.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def _looping_copy(target: Path) -> Path:
    """bpmn/ with ny_cykel routed back to Planera inside the same instance (the design we avoid)."""
    for path in (ROOT / "bpmn").iterdir():
        shutil.copy(path, target / path.name)
    pdca = target / "pdca.bpmn"
    text = pdca.read_text(encoding="utf-8")
    old = 'sourceRef="gw_beslut" targetRef="ny_omgang"'
    assert old in text, "pdca.bpmn changed: update the bench"
    pdca.write_text(text.replace(old, 'sourceRef="gw_beslut" targetRef="planera"'), encoding="utf-8")
    return target


def run(turns: int, bpmn_dir: Path | None, database: Path) -> list[tuple[int, int, int, int]]:
    """[(turn, bytes of the running instance, bytes of all the case's instances, instances)] after each turn."""
    from app.forms import json_to_formdata
    from app.models import Case, ProcessInstance, Task, User
    from app.services import cases as case_service
    from app.services import tasks as task_service
    from app.services.users import import_organisation

    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "bench", "SCHEDULER_ENABLED": False}
    if bpmn_dir is not None:
        config["BPMN_DIR"] = str(bpmn_dir)
    app = create_app(config)
    rows = []
    with app.app_context():
        db.create_all()
        import_organisation(
            {
                **organisation_with_passwords(),
                "users": [u for u in organisation_with_passwords()["users"] if u["username"] == "ec_hg"],
            }
        )
        ec = db.session.scalar(select(User).where(User.username == "ec_hg"))
        case = case_service.create_case(
            ec,
            "pdca",
            json_to_formdata({"unit": "HG", "title": "Kvällsmedicin", "goal": "Inga missade doser."}),
            csrf=False,
        )

        def do(task_id: str, data: dict) -> None:
            task = db.session.scalar(
                select(Task).where(Task.case_id == case.id, Task.task_id == task_id, Task.state == "open")
            )
            assert task is not None, f"no open {task_id} (turn {turn})"
            task_service.complete(ec, task.id, json_to_formdata(data), csrf=False)

        check_on = (clock.today() + timedelta(days=30)).isoformat()
        for turn in range(1, turns + 1):
            do(
                "planera",
                {
                    "plan": f"Plan för omgång {turn}.",
                    "measure": "Missade doser per vecka.",
                    "owner": "ec_hg",
                    "check_on": check_on,
                },
            )
            do("genomfora", {"notes": f"Genomfört i omgång {turn}."})
            do("folja_upp", {"result": f"Resultat i omgång {turn}.", "goal_met": False})
            do("forbattra", {"decision": "ny_cykel" if turn < turns else "avsluta"})
            states = db.session.execute(
                select(ProcessInstance.status, func.length(ProcessInstance.state))
                .where(ProcessInstance.case_id == case.id)
                .order_by(ProcessInstance.id)
            ).all()
            running = [size for status, size in states if status == "running"]
            current = running[-1] if running else states[-1][1]
            rows.append((turn, current, sum(size for _, size in states), len(states)))
        assert db.session.get(Case, case.id).status == "avslutad"
        db.session.remove()
        db.engine.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        per_turn = run(args.turns, None, tmp / "per_turn.db")
        (tmp / "looping").mkdir()
        looping = run(args.turns, _looping_copy(tmp / "looping"), tmp / "looping.db")
    print(f"PDCA cycle, {args.turns} turns (SQLite; bytes of ProcessInstance.state as stored)")
    print(
        f"{'turn':>4} | {'one instance per turn':>22} {'all instances':>14} {'rows':>5} | {'one looping instance':>21}"
    )
    for (turn, current, total, count), (_, looped, _, _) in zip(per_turn, looping, strict=True):
        print(f"{turn:>4} | {current:>22,} {total:>14,} {count:>5} | {looped:>21,}")
    first, last = per_turn[0][1], per_turn[-1][1]
    print(
        f"\nOne instance per turn: the running turn's state is {first:,} B after turn 1 and {last:,} B after "
        f"turn {args.turns} (bounded; a finished turn's instance stays as the record of that turn, "
        f"{per_turn[-1][2] // per_turn[-1][3]:,} B on average)."
    )
    print(
        f"One looping instance: {looping[0][1]:,} B after turn 1, {looping[-1][1]:,} B after turn {args.turns} "
        f"(+{(looping[-1][1] - looping[0][1]) // max(1, args.turns - 1):,} B per turn, without bound)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
