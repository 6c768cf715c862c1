"""Completions and case creations per second over HTTP: gunicorn on PostgreSQL, 1, 4 and 8 clients.

    .venv/bin/python bench/http_load.py [--requests 120 --rounds 2] [--workers 2 --threads 1]

A scratch PostgreSQL database and a gunicorn on 127.0.0.1 (a free port; the repository's
gunicorn.conf.py unless --workers/--threads say otherwise) are started and removed afterwards. Each
client is a thread with its own HTTP connection. Per round and client count: `--requests` avvikelser
are reported (POST /api/v1/cases as the reporter), then their chef_uppfoljning tasks are completed
(POST /api/v1/tasks/<id>/complete as the enhetschef). Client counts alternate within a round; rates and
p95 are the medians over the rounds. Any non-2xx answer is counted as an error. At the most clients,
the CPU time per completion and per creation of gunicorn (master and workers), of the PostgreSQL server's processes and
of the client threads is printed too (Linux /proc), with the rate those cores allow gunicorn and
PostgreSQL alone: on a small machine that, not waiting, is what bounds the rate.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from _common import (
    PostgresUnavailable,
    Row,
    cpu_seconds,
    median,
    percentile,
    postgres_pids,
    print_rows,
    process_tree,
    scratch_postgres,
)
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
WARM_CLIENTS = 24  # connections of the warm-up: many more than gunicorn's workers
CATEGORIES = ["lakemedel", "fall", "bemotande", "dokumentation", "information", "otrygghet"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str) -> dict[str, str]:
    from app import create_app
    from app.demo import organisation_with_passwords
    from app.extensions import db
    from app.models import User
    from app.services.users import create_token, import_organisation

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SCHEDULER_ENABLED": False})
    with app.app_context():
        db.create_all()
        import_organisation(organisation_with_passwords("bench-password"))
        tokens = {name: create_token(db.session.scalar(select(User).where(User.username == name)))
                  for name in ("anna", "ec_hg")}
        db.session.remove()
        db.engine.dispose()
    return tokens


class Gunicorn:
    def __init__(self, url: str, workers: int | None, threads: int | None):
        self.port = free_port()
        env = {**os.environ, "KF_DATABASE_URL": url, "KF_SECRET_KEY": "bench", "KF_SCHEDULER_ENABLED": "false",
               "PYTHONPATH": str(ROOT)}
        env.pop("KF_MAIL_SERVER", None)
        args = [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
                "-b", f"127.0.0.1:{self.port}", "--log-level", "warning"]
        if workers:
            args += ["-w", str(workers)]
        if threads:
            args += ["--threads", str(threads)]
        self.process = subprocess.Popen([*args, "app:create_app()"], cwd=ROOT, env=env, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("gunicorn exited") from None
                time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError("gunicorn did not start")
        # The socket answers as soon as the master listens; the workers are still importing. Wait until
        # they are idle: the first one ready would otherwise take every connection of the warm-up.
        used = cpu_seconds(process_tree(self.process.pid))
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = cpu_seconds(process_tree(self.process.pid))
            if now - used < 0.02:
                return
            used = now
        self.stop()
        raise RuntimeError("gunicorn's workers did not settle")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def run_clients(port: int, clients: int, jobs: list[tuple[str, dict, str]]) -> dict:
    """POST each (path, body, token) job; `clients` threads take jobs from one queue."""
    work: queue.Queue = queue.Queue()
    for job in jobs:
        work.put(job)
    latencies: list[float] = []
    answers: list[dict] = []
    errors = [0]
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            try:
                path, body, token = work.get_nowait()
            except queue.Empty:
                break
            payload = json.dumps(body)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, payload, headers)
                response = conn.getresponse()
                data = response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                status, data = 0, b""
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                if 200 <= status < 300:
                    answers.append(json.loads(data))
                else:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    return {"rate": len(jobs) / wall, "p95": percentile(latencies, 0.95), "errors": errors[0], "answers": answers}


def with_cpu(server: Gunicorn, clients: int, jobs: list[tuple[str, dict, str]]) -> dict:
    """run_clients, and where the CPU per request went: gunicorn, PostgreSQL, the client threads (this process)."""
    servers, databases = process_tree(server.process.pid), postgres_pids()
    before = (cpu_seconds(servers), cpu_seconds(databases), time.process_time())
    run = run_clients(server.port, clients, jobs)
    after = (cpu_seconds(servers), cpu_seconds(databases), time.process_time())
    run["cpu"] = [(b - a) / max(len(jobs), 1) for a, b in zip(before, after, strict=True)]
    return run


def measure(requests: int, rounds: int, levels: tuple[int, ...], workers: int | None, threads: int | None) -> dict:
    results: dict[tuple[str, int], list[dict]] = {}
    with scratch_postgres() as url:
        tokens = prepare(url)
        server = Gunicorn(url, workers, threads)
        try:
            today = date.today()
            chef = {"analysis": "Rutinen följdes inte.", "actions": "Genomgång på APT.", "classification": "avvikelse",
                    "consequence": 2, "likelihood": 3, "follow_up_on": (today + timedelta(days=30)).isoformat()}
            serial = [0]

            def reports(n: int) -> list:
                jobs = []
                for _ in range(n):
                    serial[0] += 1
                    body = {"type": "avvikelse", "unit": "HG", "occurred_on": today.isoformat(),
                            "category": CATEGORIES[serial[0] % len(CATEGORIES)], "description": f"Händelse {serial[0]}",
                            "immediate_actions": "Sjuksköterskan kontaktades.", "suspected_lex_sarah": False}
                    jobs.append(("/api/v1/cases", body, tokens["anna"]))
                return jobs

            # Warm-up, creations and completions: with as many connections as this, every worker gets some
            # (a client keeps its connection, and with two all went to one worker: the others then
            # answered their first requests, slower, inside a measured run).
            for _ in range(2):
                warm = run_clients(server.port, WARM_CLIENTS, reports(3 * WARM_CLIENTS))
                run_clients(server.port, WARM_CLIENTS, [(f"/api/v1/tasks/{answer['tasks'][0]['id']}/complete",
                                                         chef, tokens["ec_hg"]) for answer in warm["answers"]])
            for _ in range(rounds):
                for clients in levels:
                    created = with_cpu(server, clients, reports(requests))
                    results.setdefault(("create", clients), []).append(created)
                    completions = [(f"/api/v1/tasks/{answer['tasks'][0]['id']}/complete", chef, tokens["ec_hg"])
                                   for answer in created["answers"]]
                    results.setdefault(("complete", clients), []).append(with_cpu(server, clients, completions))
        finally:
            server.stop()
    return results


def rows(requests: int = 120, rounds: int = 2, levels: tuple[int, ...] = (1, 4, 8), workers: int | None = None,
         threads: int | None = None) -> list[Row]:
    try:
        results = measure(requests, rounds, levels, workers, threads)
    except PostgresUnavailable as err:
        print(f"# HTTP load skipped: {err}")
        return []
    out: list[Row] = []
    for kind, label in (("complete", "completions"), ("create", "creations")):
        for clients in levels:
            runs = results[(kind, clients)]
            out.append((f"http_pg_{label}_per_s_{clients}c", median([r["rate"] for r in runs]), "/s"))
            out.append((f"http_pg_{label}_p95_{clients}c", 1000 * median([r["p95"] for r in runs]), "ms"))
            errors = sum(r["errors"] for r in runs)
            if errors:
                out.append((f"http_pg_{label}_errors_{clients}c", errors, "requests"))
    # CPU per request at the most clients: what bounds the rate on this machine's cores.
    top = max(levels)
    for kind, label in (("complete", "completion"), ("create", "creation")):
        cpu = [median([r["cpu"][i] for r in results[(kind, top)]]) for i in range(3)]
        if cpu[0] > 0:
            out += [(f"http_pg_{label}_cpu_gunicorn_{top}c", 1000 * cpu[0], "ms"),
                    (f"http_pg_{label}_cpu_postgres_{top}c", 1000 * cpu[1], "ms"),
                    (f"http_pg_{label}_cpu_client_{top}c", 1000 * cpu[2], "ms"),
                    # The rate if gunicorn and PostgreSQL had every core to themselves (no client, no neighbours).
                    (f"http_pg_{label}s_cpu_bound_{top}c", (os.cpu_count() or 1) / (cpu[0] + cpu[1]), "/s")]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=120, help="requests per client count and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", default="1,4,8")
    parser.add_argument("--workers", type=int, help="override gunicorn.conf.py")
    parser.add_argument("--threads", type=int, help="override gunicorn.conf.py")
    args = parser.parse_args()
    levels = tuple(int(c) for c in args.clients.split(","))
    print_rows(rows(args.requests, args.rounds, levels, args.workers, args.threads))


if __name__ == "__main__":
    main()
