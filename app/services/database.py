"""The database as an operator sees it: the privileges of the role the application runs as.

Least privilege on PostgreSQL: migrations run as the owner of the tables; the application connects as
a role that may read and write the working tables but only read and add to the audit log and the read
log (app.models.audit.APPEND_ONLY_TABLES), so neither it nor anyone who takes it over can rewrite or
empty them. The statements come from the models, so a new table is covered without editing a list."""
from __future__ import annotations

import re

from app.extensions import db
from app.models.audit import APPEND_ONLY_TABLES

_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def least_privilege_grants(role: str) -> str:
    """GRANT statements for `role` (a plain lower-case PostgreSQL role name), one per line."""
    if not _ROLE.fullmatch(role):
        raise ValueError("Rollnamnet ska bestå av små bokstäver, siffror och _ (högst 63 tecken).")
    tables = sorted(t.name for t in db.metadata.sorted_tables)
    working = [t for t in tables if t not in APPEND_ONLY_TABLES]
    lines = [
        f"GRANT USAGE ON SCHEMA public TO {role};",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role};",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(working)} TO {role};",
        f"GRANT SELECT, INSERT ON {', '.join(APPEND_ONLY_TABLES)} TO {role};",
        f"GRANT SELECT ON alembic_version TO {role};",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};",
    ]
    return "\n".join(lines)
