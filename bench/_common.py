"""What the bench scripts share: a scratch PostgreSQL database, percentiles, the `name value unit` rows."""
from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

PG_ADMIN_URL = os.environ.get("KF_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


class PostgresUnavailable(Exception):
    pass


@contextmanager
def scratch_postgres(prefix: str = "kf_bench") -> Iterator[str]:
    """A new, empty PostgreSQL database for the block (dropped afterwards, also on error)."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:  # noqa: BLE001
        admin.dispose()
        raise PostgresUnavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({err.__class__.__name__})") from err
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return percentile(values, 0.5)


Row = tuple[str, float, str]


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()  # the fields after the command name
    except (FileNotFoundError, ProcessLookupError, PermissionError):  # gone meanwhile, or not ours to read
        return None


def cpu_seconds(pids) -> float:
    """CPU time (user + system) the processes `pids` have used so far (Linux /proc; 0 for any gone)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def process_tree(root: int) -> list[int]:
    """`root` and every process below it (a gunicorn master and its workers)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None:
                parents.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += parents.get(pid, [])
    return tree


def postgres_pids() -> list[int]:
    """The processes of the PostgreSQL server on this machine (its backends, WAL writer, checkpointer...);
    empty when it runs elsewhere or /proc cannot tell."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == "postgres":
                        pids.append(int(entry))
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
    return pids


def print_rows(rows: list[Row]) -> None:
    for name, value, unit in rows:
        print(f"{name} {format_value(value)} {unit}".rstrip())


def format_value(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"
