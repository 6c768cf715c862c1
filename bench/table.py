"""`make bench`: the write path and timers against their floor, as one table of `name value unit` rows.

    .venv/bin/python bench/table.py [--quick]

Rows, in order: the in-process completion against its floor (raw SpiffWorkflow step + one commit of the
state row) on PostgreSQL and SQLite, with its statements, its time in the driver and the database's CPU;
completions and creations per second with p95 over HTTP (gunicorn, PostgreSQL) at 1, 4 and 8 clients,
with the CPU per completion of gunicorn, PostgreSQL and the client at 8 and the rate those cores allow;
the creation cost of a case joining a pattern signal of 3,000 cases
against one joining a signal of a few (one unit, side by side); one sweep over 10,000 due timers; the
worst lateness of the scheduler in steady state; the kvalitetsberättelse for 100,000 cases. The last
line is `ratio_completion_vs_floor X` (PostgreSQL).
Each part starts its own scratch databases (and gunicorn / scheduler processes) and removes them.
--quick: smaller sizes, for trying the script out (the figures are then not the ones the issue asks for).
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import completion_floor
import creation_flat
import http_load
import kvalitetsberattelse
import timer_lateness
import timers_sweep
from _common import Row, print_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip", default="", help="comma-separated parts to leave out: "
                        "floor,http,creation,sweep,lateness,berattelse")
    args = parser.parse_args()
    quick, skip = args.quick, set(filter(None, args.skip.split(",")))
    load = os.getloadavg()[0]
    print(f"# {platform.node()}: {os.cpu_count()} cores, load average {load:.2f} at start")
    rows: list[Row] = []
    t0 = time.perf_counter()
    if "floor" not in skip:
        rows += completion_floor.rows(rounds=3 if quick else 8, per_round=10 if quick else 25)
    if "http" not in skip:
        # Three rounds: the median is then one round's figure, where the median of two is their mean and
        # one round disturbed by a neighbour on this shared machine moves it by half the disturbance.
        http = http_load.rows(requests=40 if quick else 120, rounds=1 if quick else 3)
        rows += http
        rates = {name: value for name, value, _ in http}
        if rates.get("http_pg_creations_per_s_1c"):
            rows.append(("http_pg_creations_4c_vs_1c", rates["http_pg_creations_per_s_4c"]
                         / rates["http_pg_creations_per_s_1c"], "x"))
    if "creation" not in skip:
        rows += creation_flat.rows(cases=300 if quick else 3000, window=30 if quick else 100)
    if "sweep" not in skip:
        rows += timers_sweep.table_rows(n=1000 if quick else 10_000)
    if "lateness" not in skip:
        rows += timer_lateness.rows(timers=30 if quick else 120, spread=20 if quick else 60)
    if "berattelse" not in skip:
        rows += kvalitetsberattelse.table_rows(15_000 if quick else 100_000)
    print(f"# {time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.2f} at the end")
    ratio = next((value for name, value, _ in rows if name == "pg_ratio_completion_vs_floor"), None)
    print_rows(rows)
    print(f"ratio_completion_vs_floor {ratio:.2f}" if ratio is not None else "ratio_completion_vs_floor n/a")


if __name__ == "__main__":
    main()
