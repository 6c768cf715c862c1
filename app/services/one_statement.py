"""A session's pending writes without the unit of work: on PostgreSQL as one statement (data-modifying
CTEs), on SQLite row by row with statements compiled once.

The unit of work sends one statement per changed row and table and waits for each; a completion's nine
writes cost more in those round trips and that bookkeeping than in the database. When the pending
writes are plain (new rows that refer only to rows already written, changed columns of loaded rows, no
deletes, no mapper events), they go to PostgreSQL as `WITH w0 AS (UPDATE ...), w1 AS (INSERT ...
RETURNING id) ... SELECT ...`. SQLite has no data-modifying CTEs and no round trips: there each row is
its own short statement, without the unit of work's sorting and bookkeeping around it. Either way the
objects are left as a flush leaves them. Anything else takes the ordinary flush.

Writes that are statements rather than rows (the case's search row, the outbox's mail) join it when they
are handed to `execute()` inside `joined()` (on SQLite they follow the rows).

Each row's statement is compiled once per table and set of columns (a "shape"), and on PostgreSQL the
whole statement once per sequence of shapes, so a step of a kind seen before only fills in its values."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Executable, TextClause, bindparam, func, insert, inspect, literal_column, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

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


# Inside `joined()`: the writes handed to `execute()`, sent with the block's rows when it ends.
_joining: ContextVar[list[Write] | None] = ContextVar("one_statement_joining", default=None)


@contextmanager
def joined(session: Session) -> Iterator[None]:
    """The block's writes when it ends (on PostgreSQL as one statement): the session's pending rows and
    the writes handed to `execute()` inside it. If the block raises, nothing is written."""
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
    `joined()` with the block's rows when it ends."""
    writes = _joining.get()
    if writes is not None:
        writes.append(write)
    else:
        _send(db.session(), write)


def _send(session: Session, write: Write, *, flushed: bool = False) -> None:
    """`flushed`: the session has nothing pending, so the statement goes straight to the driver, compiled
    once (the ORM's execute looks for rows to flush first: the rows a write may refer to, a new case)."""
    statement, sql, order, processors, constants = _alone(session.get_bind().dialect, write.build,
                                                          tuple(write.rows[0]))
    if not flushed:
        session.execute(statement, write.rows[0] if len(write.rows) == 1 else write.rows)
        return
    params = []
    for row in write.rows:
        values = dict(constants)
        for key, process in processors.items():
            values[key] = process(row[key]) if process is not None else row[key]
        params.append(driver_params(values, order))
    session.connection().exec_driver_sql(sql, params[0] if len(params) == 1 else params)


@lru_cache(maxsize=64)
def _alone(dialect, build, keys: tuple[str, ...]) -> tuple:
    """`build` for one row of `keys` (bound by their names): the statement, its SQL, the order of its
    positional parameters (None: by name), the keys' bind processors and the values of column defaults."""
    statement = build(dialect, ({key: key for key in keys},))
    compiled = statement.compile(dialect=dialect)
    processors = {key: _processor(dialect, compiled.binds[key].type) for key in keys}
    return statement, compiled.string, compiled.positiontup, processors, _defaults(dialect, compiled, set(keys))


def flush(session: Session, writes: list[Write] | tuple = ()) -> None:
    """session.flush() and `writes`, without the unit of work where it can be (module docstring)."""
    if session.deleted:
        _flush_apart(session, writes)
        return
    # In a steady order (by table), so that the same kind of step makes the same statement; new rows of
    # a table in the order they were added, as the unit of work writes them (their ids order the history).
    new = sorted(session.new, key=lambda obj: (type(obj).__tablename__, inspect(obj).insert_order or 0))
    touched = list(session.dirty)  # changed, or only given the values they had (_rows leaves those out)
    rows = _rows(new, sorted(touched, key=lambda obj: (type(obj).__tablename__, inspect(obj).identity)))
    if rows is None:
        _flush_apart(session, writes)
        return
    if not rows and not writes:
        _settle(session, touched)
        return
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        answers = _in_one(session, dialect, rows, writes)
    else:
        answers = _row_by_row(session, dialect, rows)
    for answer, (shape, obj, values, _) in zip(answers, rows, strict=True):
        if shape[0] == "update" and answer != 1:
            raise StaleDataError(f"{type(obj).__name__} {inspect(obj).identity} changed or went away meanwhile")
        # The row holds what was written (a version counter, defaults, foreign keys), a new one its id.
        inspect(obj).dict.update(values, **({} if shape[0] == "update" else {"id": answer}))
    _settle(session, [*touched, *new])
    if dialect.name != "postgresql":
        for write in writes:
            _send(session, write, flushed=True)


def _in_one(session: Session, dialect, rows: list, writes) -> Sequence:
    """PostgreSQL: the rows and the writes as one statement. Per row: rows updated (1), or the new id."""
    shapes = tuple(shape for shape, _, _, _ in rows)
    extra = tuple((write.build, tuple(write.rows[0]), len(write.rows)) for write in writes)
    sql, parameters, constants, order = _statement(dialect, shapes, extra)
    params = dict(constants)
    for i, (_, _, values, where) in enumerate(rows):
        for (name, process), value in zip(parameters[i], [*values.values(), *where], strict=True):
            params[name] = process(value) if process is not None else value
    for i, write in enumerate(writes, start=len(rows)):
        values = [row[key] for row in write.rows for key in write.rows[0]]
        for (name, process), value in zip(parameters[i], values, strict=True):
            params[name] = process(value) if process is not None else value
    return session.connection().exec_driver_sql(sql, driver_params(params, order)).one()[:len(rows)]


def driver_params(params: dict, order: Sequence[str] | None) -> dict | tuple:
    """A compiled statement's parameters as the driver takes them: by name, or in the order of its
    positional placeholders (`compiled.positiontup`; PostgreSQL's $1, $2, ...)."""
    return params if order is None else tuple(params[name] for name in order)


def _row_by_row(session: Session, dialect, rows: list) -> Sequence:
    """SQLite: each row its own statement, in order. Per row: rows updated (1), or the new id."""
    connection = session.connection()
    answers = []
    for shape, _, values, where in rows:
        sql, binds = _single(dialect, shape)
        given = [*values.values(), *where]
        result = connection.exec_driver_sql(
            sql, tuple(process(given[i]) if process is not None else given[i] for i, process in binds))
        answers.append(result.rowcount if shape[0] == "update" else result.lastrowid)
    return answers


def _settle(session: Session, objects: list) -> None:
    """The rows as a flush leaves them: new ones persistent under their id, nothing marked as changed
    (the commit's flush has nothing to go through), and all noted in the transaction, so that a rollback
    forgets the new rows and expires the changed ones. SQLAlchemy has no public call for this;
    `_register_persistent` is what the unit of work ends a flush with."""
    if objects:
        session._register_persistent({inspect(obj) for obj in objects})


def _flush_apart(session: Session, writes) -> None:
    session.flush()
    for write in writes:
        _send(session, write, flushed=True)


@dataclass(frozen=True)
class _Table:
    """What `_rows` needs of a mapped class, worked out once per mapper."""

    name: str
    plain: bool  # no inheritance, the primary key `id`, no columns the database sets on UPDATE
    columns: tuple[tuple[str, Any], ...]  # (attribute, Column) of every column but the id
    column_of: dict[str, str]  # attribute -> column name
    # (attribute, whether many-to-one, its (local, remote) attribute pairs)
    relationships: tuple[tuple[str, bool, tuple[tuple[str, str], ...]], ...]
    version: tuple[str, str] | None  # (attribute, column) of the version counter


@lru_cache(maxsize=64)
def _table(mapper) -> _Table:
    props = [(prop.key, prop.columns[0]) for prop in mapper.column_attrs]
    version = None
    if mapper.version_id_col is not None:
        version = (mapper.get_property_by_column(mapper.version_id_col).key, mapper.version_id_col.key)
    return _Table(
        name=mapper.local_table.name,
        plain=mapper.inherits is None and [c.key for c in mapper.primary_key] == ["id"]
        and not any(c.onupdate is not None or c.server_onupdate is not None for c in mapper.local_table.c),
        columns=tuple((key, column) for key, column in props if key != "id"),
        column_of={key: column.key for key, column in props},
        relationships=tuple((rel.key, rel.direction.name == "MANYTOONE",
                             tuple((mapper.get_property_by_column(local).key, remote.key)
                                   for local, remote in rel.local_remote_pairs))
                            for rel in mapper.relationships),
        version=version)


def _rows(new: list, dirty: list) -> list | None:
    """Per row: (shape, object, {attribute: value} to write, values of the WHERE), None when a row
    needs what only the unit of work does."""
    rows = []
    for obj in dirty:
        state = inspect(obj)
        table = _table(state.mapper)
        # Only attributes given a value since the row was loaded are in committed_state (with the value
        # they had): the history of those alone, as is_modified() would find it over every attribute.
        given = state.committed_state
        if not table.plain or _has_listeners(state.mapper, _UPDATE_EVENTS) \
                or any(state.attrs[key].history.has_changes() for key, _, _ in table.relationships if key in given):
            return None
        values = {}
        for key, _ in table.columns:
            if key in given:
                added = state.attrs[key].history.added
                if added:
                    values[key] = added[0]
        if not values:
            continue  # only given the values it had
        where = [state.identity[0]]
        if table.version is not None:
            version_key = table.version[0]
            current = given.get(version_key, state.dict.get(version_key))
            values[version_key] = current + 1
            where.append(current)
        shape = ("update", table.name, tuple(table.column_of[key] for key in values),
                 table.version[1] if table.version else None)
        rows.append((shape, obj, values, where))
    for obj in new:
        state = inspect(obj)
        table = _table(state.mapper)
        if not table.plain or _has_listeners(state.mapper, _INSERT_EVENTS) or table.version is not None:
            return None  # (a versioned row's first version is the unit of work's to give)
        values = {}
        for key, many_to_one, pairs in table.relationships:
            target = state.dict.get(key)
            if target is None:
                continue
            if not many_to_one or inspect(target).key is None:
                return None  # a collection, or a row that has no id yet
            for local, remote in pairs:
                values[local] = getattr(target, remote)
        for key, column in table.columns:
            if key in values:
                continue
            if state.dict.get(key) is not None:  # None: the column's default, as a flush does
                values[key] = state.dict[key]
            elif column.default is None:
                if column.server_default is not None:
                    return None  # only the database knows the value
                values[key] = None
            elif column.default.is_scalar:
                values[key] = column.default.arg
            elif column.default.is_callable:
                values[key] = column.default.arg(None)
            else:
                return None
        rows.append((("insert", table.name, tuple(table.column_of[key] for key in values), None), obj, values, []))
    return rows


def _has_listeners(mapper, events) -> bool:
    return any(getattr(mapper.dispatch, name) for name in events)


def _row_statement(i: int, shape: tuple):
    """The statement of one row of `shape`, its binds named w<i>_<column>, and its parameters in order as
    (name, column): the columns written, then an update's WHERE (id, and the version it had)."""
    kind, table_name, columns, version = shape
    table = db.metadata.tables[table_name]
    binds = {c: bindparam(f"w{i}_{c}", type_=table.c[c].type) for c in columns}
    params = [(f"w{i}_{c}", table.c[c]) for c in columns]
    if kind == "insert":
        return insert(table).values(binds), params
    where = [table.c.id == bindparam(f"w{i}_id", type_=table.c.id.type)]
    params.append((f"w{i}_id", table.c.id))
    if version is not None:
        where.append(table.c[version] == bindparam(f"w{i}_version_", type_=table.c[version].type))
        params.append((f"w{i}_version_", table.c[version]))
    return update(table).where(*where).values(binds), params


def _processor(dialect, type_):
    return type_.dialect_impl(dialect).bind_processor(dialect)


@lru_cache(maxsize=256)
def _single(dialect, shape: tuple) -> tuple[str, list]:
    """SQLite: one row's SQL (positional binds, in the order the compiler put them) and per bind the
    place of its value among the row's parameters and its bind processor."""
    statement, params = _row_statement(0, shape)
    compiled = statement.compile(dialect=dialect)
    place = {name: (i, column) for i, (name, column) in enumerate(params)}
    return compiled.string, [(place[name][0], _processor(dialect, place[name][1].type))
                             for name in compiled.positiontup or ()]


def _defaults(dialect, compiled, ours: set[str]) -> dict:
    """The values of the binds of `compiled` that are not `ours`: column defaults of an INSERT, which a
    statement compiled with its values binds as parameters."""
    defaults = {column.key: column.default for column in getattr(compiled, "insert_prefetch", ())}
    constants = {}
    for name, bind in compiled.binds.items():
        if name not in ours:
            default = defaults.get(name)
            if default is None or not default.is_scalar:  # one computed per row cannot be kept with the SQL
                raise ValueError(f"{name}: a write compiled once binds what is not a scalar default")
            process = _processor(dialect, bind.type)
            constants[name] = process(default.arg) if process is not None else default.arg
    return constants


@lru_cache(maxsize=256)
def _statement(dialect, shapes: tuple, extra: tuple = ()) -> tuple[str, list[list], dict, list[str] | None]:
    """The SQL of the rows of `shapes` and the writes of `extra` ((build, keys, number of rows) each) as
    one statement, and per row or write its parameters in order as (name, bind processor): a row's columns
    written, then an update's WHERE (id, and the version it had); a write's keys row by row. Then the
    values of the writes' column defaults (a multi-row INSERT binds a scalar default as a parameter), and
    the order of the statement's positional parameters (None: by name)."""
    ctes: list = []
    answers: list = []
    processors: list[list] = []
    constants: dict = {}
    for i, shape in enumerate(shapes):
        statement, params = _row_statement(i, shape)
        table = db.metadata.tables[shape[1]]
        if shape[0] == "update":
            cte = statement.returning(literal_column("1")).cte(f"w{i}")
            answers.append(select(func.count()).select_from(cte).scalar_subquery())
        else:
            cte = statement.returning(table.c.id).cte(f"w{i}")
            answers.append(select(func.min(cte.c.id)).scalar_subquery())
        ctes.append(cte)
        processors.append([(name, _processor(dialect, column.type)) for name, column in params])
    for i, (build, keys, size) in enumerate(extra, start=len(shapes)):
        names = tuple({key: f"w{i}_{row}_{key}" for key in keys} for row in range(size))
        statement = build(dialect, names)
        compiled = statement.compile(dialect=dialect)
        # Not read: PostgreSQL runs every data-modifying CTE to its end. A text() statement is one as a
        # textual select of no columns.
        ctes.append((statement.columns() if isinstance(statement, TextClause) else statement).cte(f"w{i}"))
        processors.append([(name, _processor(dialect, compiled.binds[name].type))
                           for row in names for name in row.values()])
        constants.update(_defaults(dialect, compiled, {name for row in names for name in row.values()}))
    # One compilation, so that positional placeholders ($1, $2, ...) run on through the whole statement.
    compiled = select(*answers or [literal_column("1")]).add_cte(*ctes).compile(dialect=dialect)
    return compiled.string, processors, constants, compiled.positiontup
