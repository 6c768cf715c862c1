"""A session's pending writes sent to PostgreSQL as one statement (data-modifying CTEs).

The unit of work sends one statement per changed row and table and waits for each; a completion's nine
writes cost more in those round trips and that bookkeeping than in the database. When the pending
writes are plain (new rows that refer only to rows already written, changed columns of loaded rows, no
deletes, no mapper events), they go as `WITH w0 AS (UPDATE ...), w1 AS (INSERT ... RETURNING id) ...
SELECT ...`, and the objects are left as a flush leaves them. Anything else, and every other database,
takes the ordinary flush.

Writes that are statements rather than rows (the case's search row, the outbox's mail) join it when they
are handed to `execute()` inside `joined()`.

Each row's statement is compiled once per table and set of columns (a "shape"), and the whole statement
once per sequence of shapes, so a step of a kind seen before only fills in its values."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Executable, bindparam, insert, inspect, literal_column, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.session import make_transient_to_detached

from app.extensions import db

_INSERT_EVENTS, _UPDATE_EVENTS = ("before_insert", "after_insert"), ("before_update", "after_update")


@dataclass(frozen=True)
class Write:
    """A write that is a statement of its own over `rows` (dicts with the same keys). `build(dialect,
    names)` makes it: `names` gives, per row, each key's bind parameter name. Inside `joined()` a row
    is written at most once (PostgreSQL refuses one statement that changes a row twice): the caller
    gathers its rows first (search.batch, notifications.batch)."""

    build: Callable[[object, tuple[dict[str, str], ...]], Executable]
    rows: list[dict]


# Inside `joined()`: the writes handed to `execute()`, sent with the block's one statement.
_joining: ContextVar[list[Write] | None] = ContextVar("one_statement_joining", default=None)


@contextmanager
def joined(session: Session) -> Iterator[None]:
    """The block's writes in one statement when it ends: the session's pending rows and the writes handed
    to `execute()` inside it. If the block raises, nothing is written."""
    if _joining.get() is not None:  # already inside one
        yield
        return
    writes: list[Write] = []
    token = _joining.set(writes)
    try:
        yield
    finally:
        _joining.reset(token)
    flush(session, writes)


def execute(write: Write) -> None:
    """Send `write` now (one row, or the rows as parameter sets of one short statement), or inside
    `joined()` with the block's one statement."""
    writes = _joining.get()
    if writes is not None and db.session.get_bind().dialect.name == "postgresql":
        writes.append(write)
    else:
        _send(db.session(), write)


def _send(session: Session, write: Write) -> None:
    statement = _alone(session.get_bind().dialect, write.build, tuple(write.rows[0]))
    session.execute(statement, write.rows[0] if len(write.rows) == 1 else write.rows)


@lru_cache(maxsize=64)
def _alone(dialect, build, keys: tuple[str, ...]) -> Executable:
    return build(dialect, ({key: key for key in keys},))


def flush(session: Session, writes: list[Write] | tuple = ()) -> None:
    """session.flush() and `writes`, in one statement where it can be (module docstring)."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or session.deleted:
        _flush_apart(session, writes)
        return
    # In a steady order (by table), so that the same kind of step makes the same statement; new rows of
    # a table in the order they were added, as the unit of work writes them (their ids order the history).
    new = sorted(session.new, key=lambda obj: (type(obj).__tablename__, inspect(obj).insert_order or 0))
    touched = list(session.dirty)  # changed, or only given the values they had
    dirty = sorted((obj for obj in touched if session.is_modified(obj)),
                   key=lambda obj: (type(obj).__tablename__, inspect(obj).identity))
    rows = _rows(new, dirty)
    if rows is None:
        _flush_apart(session, writes)
        return
    if not rows and not writes:
        _settle(session, touched)
        return
    shapes = tuple(shape for shape, _, _, _ in rows)
    extra = tuple((write.build, tuple(write.rows[0]), len(write.rows)) for write in writes)
    sql, parameters, constants = _statement(bind.dialect, shapes, extra)
    params = dict(constants)
    for i, (_, _, values, where) in enumerate(rows):
        for (name, process), value in zip(parameters[i], [*values.values(), *where], strict=True):
            params[name] = process(value) if process is not None else value
    for i, write in enumerate(writes, start=len(rows)):
        values = [row[key] for row in write.rows for key in write.rows[0]]
        for (name, process), value in zip(parameters[i], values, strict=True):
            params[name] = process(value) if process is not None else value
    answers = session.connection().exec_driver_sql(sql, params).one()
    for answer, (shape, obj, values, _) in zip(answers[:len(rows)], rows, strict=True):
        if shape[0] == "update":
            if answer != 1:
                raise StaleDataError(f"{type(obj).__name__} {inspect(obj).identity} changed or went away meanwhile")
            for key, value in values.items():
                set_committed_value(obj, key, value)
        else:
            # A new row becomes a loaded one: its values as written, its id from RETURNING.
            session.expunge(obj)
            for key, value in values.items():
                set_committed_value(obj, key, value)
            set_committed_value(obj, "id", answer)
            make_transient_to_detached(obj)
            session.add(obj)
    _settle(session, touched)


def _settle(session: Session, objects: list) -> None:
    """The loaded rows as a flush leaves them: nothing marked as changed, so that the commit's flush has
    nothing to go through (it otherwise sorts them all to find that nothing is to be written). SQLAlchemy
    has no public call for this; `_commit_all` is what the unit of work calls on the rows it wrote."""
    for obj in objects:
        state = inspect(obj)
        state._commit_all(state.dict, session.identity_map)


def _flush_apart(session: Session, writes) -> None:
    session.flush()
    for write in writes:
        _send(session, write)


def _rows(new: list, dirty: list) -> list | None:
    """Per row: (shape, object, {attribute: value} to write, values of the WHERE), None when a row
    needs what only the unit of work does."""
    rows = []
    for obj in dirty:
        state = inspect(obj)
        mapper = state.mapper
        if _unplain(mapper, _UPDATE_EVENTS) or any(state.attrs[rel.key].history.has_changes()
                                                  for rel in mapper.relationships) \
                or any(c.onupdate is not None or c.server_onupdate is not None for c in mapper.local_table.c):
            return None
        values = {}
        for prop in mapper.column_attrs:
            added = state.attrs[prop.key].history.added
            if added:
                values[prop.key] = added[0]
        if not values:
            continue
        where = [state.identity[0]]
        version = mapper.version_id_col.key if mapper.version_id_col is not None else None
        if version is not None:
            version_key = mapper.get_property_by_column(mapper.version_id_col).key
            current = state.committed_state.get(version_key, state.dict.get(version_key))
            values[version_key] = current + 1
            where.append(current)
        rows.append((("update", mapper.local_table.name, _columns(mapper, values), version), obj, values, where))
    for obj in new:
        state = inspect(obj)
        mapper = state.mapper
        if _unplain(mapper, _INSERT_EVENTS) or mapper.version_id_col is not None:
            return None  # (a versioned row's first version is the unit of work's to give)
        values = {}
        for rel in mapper.relationships:
            target = state.dict.get(rel.key)
            if target is None:
                continue
            if rel.direction.name != "MANYTOONE" or inspect(target).key is None:
                return None  # a collection, or a row that has no id yet
            for local, remote in rel.local_remote_pairs:
                values[mapper.get_property_by_column(local).key] = getattr(target, remote.key)
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            if prop.key == "id" or prop.key in values:
                continue
            if state.dict.get(prop.key) is not None:  # None: the column's default, as a flush does
                values[prop.key] = state.dict[prop.key]
            elif column.default is None:
                if column.server_default is not None:
                    return None  # only the database knows the value
                values[prop.key] = None
            elif column.default.is_scalar:
                values[prop.key] = column.default.arg
            elif column.default.is_callable:
                values[prop.key] = column.default.arg(None)
            else:
                return None
        rows.append((("insert", mapper.local_table.name, _columns(mapper, values), None), obj, values, []))
    return rows


def _unplain(mapper, events) -> bool:
    return mapper.inherits is not None or [c.key for c in mapper.primary_key] != ["id"] \
        or any(getattr(mapper.dispatch, name) for name in events)


def _columns(mapper, values: dict) -> tuple[str, ...]:
    return tuple(mapper.get_property(key).columns[0].key for key in values)


@lru_cache(maxsize=256)
def _statement(dialect, shapes: tuple, extra: tuple = ()) -> tuple[str, list[list], dict]:
    """The SQL of the rows of `shapes` and the writes of `extra` ((build, keys, number of rows) each) as
    one statement, and per row or write its parameters in order as (name, bind processor): a row's columns
    written, then an update's WHERE (id, and the version it had); a write's keys row by row. Then the
    values of the writes' column defaults (a multi-row INSERT binds a scalar default as a parameter)."""
    parts, answers, processors, constants = [], [], [], {}
    for i, (kind, table_name, columns, version) in enumerate(shapes):
        table = db.metadata.tables[table_name]
        binds = {c: bindparam(f"w{i}_{c}", type_=table.c[c].type) for c in columns}
        params = [(f"w{i}_{c}", table.c[c]) for c in columns]
        if kind == "update":
            where = [table.c.id == bindparam(f"w{i}_id", type_=table.c.id.type)]
            params.append((f"w{i}_id", table.c.id))
            if version is not None:
                where.append(table.c[version] == bindparam(f"w{i}_version_", type_=table.c[version].type))
                params.append((f"w{i}_version_", table.c[version]))
            sql = update(table).where(*where).values(binds).returning(literal_column("1")).compile(dialect=dialect)
            answers.append(f"(SELECT count(*) FROM w{i})")
        else:
            sql = insert(table).values(binds).returning(table.c.id).compile(dialect=dialect)
            answers.append(f"(SELECT min(id) FROM w{i})")
        parts.append(f"w{i} AS ({sql})")
        processors.append([(name, column.type.dialect_impl(dialect).bind_processor(dialect))
                           for name, column in params])
    for i, (build, keys, size) in enumerate(extra, start=len(shapes)):
        names = tuple({key: f"w{i}_{row}_{key}" for key in keys} for row in range(size))
        compiled = build(dialect, names).compile(dialect=dialect)
        parts.append(f"w{i} AS ({compiled})")  # not read: PostgreSQL runs every data-modifying CTE to its end
        processors.append([(name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                           for row in names for name in row.values()])
        ours = {name for row in names for name in row.values()}
        defaults = {column.key: column.default for column in getattr(compiled, "insert_prefetch", ())}
        for name, bind in compiled.binds.items():
            if name not in ours:
                default = defaults.get(name)
                if default is None or not default.is_scalar:  # one computed per row cannot be kept with the SQL
                    raise ValueError(f"{name}: a write joining one statement binds what is not a scalar default")
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                constants[name] = process(default.arg) if process is not None else default.arg
    return f"WITH {', '.join(parts)} SELECT {', '.join(answers) or '1'}", processors, constants
