"""Search in the cases: by case number, or free text over the case's texts.

The index is written by `index_case` in the transaction of every change to a case's texts (projection.
apply_step, which case creation, task completion and timers go through). PostgreSQL keeps tsvectors in
the Swedish configuration (case_search, GIN indexes); SQLite keeps the same words, stemmed here with the
same Snowball algorithm, in an FTS5 table.

User input never reaches a query language: it is cut into words (letters and digits), and each word
goes to PostgreSQL as a bound parameter of plainto_tsquery, or to FTS5 as a quoted string.
"""
from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from weakref import WeakSet

import snowballstemmer  # Snowball, as PostgreSQL's 'swedish' configuration: the same stems on SQLite
from flask import current_app
from sqlalchemy import and_, event, false, func, literal_column, or_, select, text, true, union
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Case, CaseSearch
from app.models.search import FTS_TABLE
from app.services import one_statement
from app.services.access import SENSITIVE_FIELDS, part_condition, sees_everything
from app.services.errors import Invalid

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
# Field keys that are not text about the case (its unit's code is a filter, not a word in it).
NOT_TEXT = frozenset({"unit"})
# Definite endings the Swedish Snowball stemmer leaves on ("fallet", "rollatorn", "huset"): a query word
# is also looked for without them, so "fallet" finds "fall".
DEFINITE_ENDINGS = ("et", "n")
_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"^[A-Za-zÅÄÖåäö]{2,8}-\d{4}-\d{1,9}$")
_SWEDISH: Any = literal_column("'swedish'::regconfig")


@dataclass(frozen=True)
class Query:
    """A parsed search: a case number, or the words of a free-text search (each with its variants)."""

    number: str | None = None
    terms: tuple[tuple[str, ...], ...] = ()

    @property
    def empty(self) -> bool:
        return self.number is None and not self.terms


def parse(raw: str | None) -> Query:
    """Refuse what is too long; keep letters and digits; drop everything else (quotes, operators)."""
    value = (raw or "").strip()
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value):  # NUL and other controls
        raise Invalid("Sökningen innehåller otillåtna tecken.", {"q": ["Sökningen innehåller otillåtna tecken."]})
    if len(value) > MAX_QUERY_CHARS:
        raise Invalid("Sökningen är för lång.", {"q": [f"Skriv högst {MAX_QUERY_CHARS} tecken."]})
    if _NUMBER.match(value):
        return Query(number=value.upper())
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(value) if len(w) <= 60))[:MAX_TERMS]
    return Query(terms=tuple(_variants(w) for w in words))


def _variants(word: str) -> tuple[str, ...]:
    forms = [word] + [word[: -len(e)] for e in DEFINITE_ENDINGS if word.endswith(e) and len(word) - len(e) >= 3]
    return tuple(dict.fromkeys(forms))


# A snowball stemmer keeps the word it works on in itself: one per thread (a threaded server stemming
# two texts at once with one stemmer broke off with IndexError).
_stemmers = threading.local()


@lru_cache(maxsize=20_000)
def _stem(word: str) -> str:
    """A word's stem, remembered: a case's text is indexed anew at every step, mostly the same words
    (20,000 words take about 5 MB)."""
    stemmer = getattr(_stemmers, "swedish", None)
    if stemmer is None:
        stemmer = _stemmers.swedish = snowballstemmer.stemmer("swedish")
    return stemmer.stemWord(word)


def _stems(words: Iterable[str]) -> list[str]:
    return [_stem(word) for word in words]


# --- the index ------------------------------------------------------------------------------------

def texts(case: Case) -> tuple[str, str | None]:
    """(what everyone who sees the case may search, that plus the lex Sarah investigation or None)."""
    public: list[str] = [case.title or ""]
    sensitive: list[str] = []
    for key, value in (case.fields or {}).items():
        if key in NOT_TEXT:
            continue
        values = value if isinstance(value, list) else [value]
        strings = [v for v in values if isinstance(v, str) and v]
        (sensitive if key in SENSITIVE_FIELDS else public).extend(strings)
    document = "\n".join(public)
    if not case.is_lex_sarah:  # nothing of it is ever redacted: one document
        return "\n".join([document, *sensitive]), None
    return document, "\n".join([document, *sensitive])


def _stemmed(value: str) -> str:
    return " ".join(_stems(w.lower() for w in _WORD.findall(value)))


# Within `batch()`: the cases whose index rows are written when the block ends, by id.
_batch: ContextVar[dict[int, Case] | None] = ContextVar("search_batch", default=None)


# Cases whose texts (title, fields, whether lex Sarah) were given a different value since their index row
# was last written in this process: a step that leaves them as they were (a timer's escalation) skips
# the row, whose two tsvectors and GIN entries cost more than the rest of such a step's writes.
_stale: WeakSet[Case] = WeakSet()


def _texts_set(target: Case, value, oldvalue, initiator) -> None:
    if value != oldvalue:  # an attribute not loaded (NO_VALUE) always differs
        _stale.add(target)


for _attribute in (Case.title, Case.fields, Case.is_lex_sarah):
    event.listen(_attribute, "set", _texts_set)


def index_case(case: Case, *, force: bool = False) -> None:
    """Write the case's index row (in the caller's transaction) if its texts changed, or `force`;
    inside `batch()`, when the block ends."""
    if not force and case not in _stale:
        return
    _stale.discard(case)
    batched = _batch.get()
    if batched is not None:
        batched[case.id] = case
        return
    _write([case])


@contextmanager
def batch():
    """The index rows of the cases indexed inside the block, as they are when it ends, in one batch of
    statements (a timer sweep steps many cases in one transaction). If the block raises, none is written."""
    if _batch.get() is not None:  # already inside one
        yield
        return
    cases: dict[int, Case] = {}
    token = _batch.set(cases)
    try:
        yield
    finally:
        _batch.reset(token)
    if cases:
        _write(list(cases.values()))


def _pg_upsert(dialect, names: tuple[dict[str, str], ...]):
    """The index rows bound to `names`, inserted or replaced."""
    values = ", ".join(f"(:{n['id']}, to_tsvector('swedish', :{n['document']}), to_tsvector('swedish', :{n['full']}))"
                       for n in names)
    return text(f"INSERT INTO case_search (case_id, document, full_document) VALUES {values} ON CONFLICT (case_id) "
                "DO UPDATE SET document = excluded.document, full_document = excluded.full_document")


def _fts_delete(dialect, names: tuple[dict[str, str], ...]):
    """SQLite: the index rows of the cases bound to `names` taken out (FTS5 has no upsert)."""
    ids = ", ".join(f":{n['id']}" for n in names)
    return text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({ids})")


def _fts_insert(dialect, names: tuple[dict[str, str], ...]):
    """SQLite: the index rows bound to `names`, of words stemmed here."""
    values = ", ".join(f"(:{n['id']}, :{n['document']}, :{n['full']})" for n in names)
    return text(f"INSERT INTO {FTS_TABLE} (rowid, document, full_document) VALUES {values}")


def _write(cases: list[Case]) -> None:
    """The cases' index rows, now or (inside one_statement.joined(), a completion) with the step's other
    writes. Several rows go as one short statement with the rows as parameter sets."""
    rows = [(case.id, *texts(case)) for case in cases]
    if db.session.get_bind().dialect.name == "postgresql":
        one_statement.execute(one_statement.Write(
            _pg_upsert, [{"id": id_, "document": document, "full": full} for id_, document, full in rows]))
    else:
        one_statement.execute(one_statement.Write(_fts_delete, [{"id": id_} for id_, _, _ in rows]))
        one_statement.execute(one_statement.Write(
            _fts_insert, [{"id": id_, "document": _stemmed(document), "full": _stemmed(full) if full else None}
                          for id_, document, full in rows]))


def reindex(batch: int = 2000) -> int:
    """Index every case again (after an upgrade, or rows loaded around the application). Returns the count.
    PostgreSQL builds the same documents as `texts` in one statement; SQLite goes case by case."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(_PG_REINDEX), {"not_text": list(NOT_TEXT), "sensitive": list(SENSITIVE_FIELDS)})
        return int(db.session.scalar(select(func.count()).select_from(CaseSearch)) or 0)
    count, last = 0, 0
    while True:
        cases = db.session.scalars(select(Case).where(Case.id > last).order_by(Case.id).limit(batch)).all()
        if not cases:
            return count
        for case in cases:
            index_case(case, force=True)
        count += len(cases)
        last = cases[-1].id
        db.session.flush()
        db.session.expunge_all()


# `texts` in SQL: the title and the string values (also inside lists) of the fields but NOT_TEXT; the
# investigation text (SENSITIVE_FIELDS) of a lex Sarah case only in full_document.
_PG_REINDEX = """
INSERT INTO case_search (case_id, document, full_document)
SELECT c.id,
       to_tsvector('swedish', concat_ws(E'\n', c.title,
                                        CASE WHEN c.is_lex_sarah THEN w.public_text ELSE w.all_text END)),
       CASE WHEN c.is_lex_sarah THEN to_tsvector('swedish', concat_ws(E'\n', c.title, w.all_text)) END
FROM cases c
LEFT JOIN LATERAL (
    SELECT string_agg(t.v, E'\n') FILTER (WHERE t.k <> ALL(:sensitive)) AS public_text,
           string_agg(t.v, E'\n') AS all_text
    FROM (SELECT e.key AS k, e.value #>> '{}' AS v FROM jsonb_each(c.fields) e
          WHERE jsonb_typeof(e.value) = 'string' AND e.key <> ALL(:not_text)
          UNION ALL
          SELECT e.key, a.value #>> '{}' FROM jsonb_each(c.fields) e
          CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(e.value) = 'array' THEN e.value
                                                       ELSE '[]'::jsonb END) a
          WHERE jsonb_typeof(a.value) = 'string' AND e.key <> ALL(:not_text)) t
) w ON true
ON CONFLICT (case_id) DO UPDATE SET document = excluded.document, full_document = excluded.full_document
"""


# --- the query ------------------------------------------------------------------------------------

def condition(user, query: Query, rows: int | None = None):
    """A WHERE clause on Case for `query`, as `user` may search: the investigation text of a lex Sarah
    case only matches for someone with a part in it (access.has_part). `rows`: how many rows of the
    ordered list the caller reads (its count limit); given, a common word is looked up case by case."""
    if query.number is not None:
        return or_(Case.number == query.number, Case.number == query.number.lower())
    if not query.terms:
        return false()
    if db.session.get_bind().dialect.name == "postgresql":
        term_queries: list[Any] = []
        for variants in query.terms:
            alternatives: Any = None
            for word in variants:  # each word a bound parameter: no tsquery syntax from the user
                words = func.plainto_tsquery(_SWEDISH, word)
                alternatives = words if alternatives is None else alternatives.op("||")(words)
            term_queries.append(alternatives)
        tsquery: Any = term_queries[0]
        for alternatives in term_queries[1:]:
            tsquery = tsquery.op("&&")(alternatives)
        if rows is not None and _common(term_queries, rows):
            # Many matches: the list walks its own order and looks each case up in the index (its row by
            # case_id), stopping at `rows`, instead of reading every match before it can sort them.
            # OFFSET 0 keeps PostgreSQL from hashing all the matches first.
            full: Any = CaseSearch.full_document.op("@@")(tsquery)
            if not sees_everything(user):
                full = and_(full, part_condition(user))
            return select(CaseSearch.case_id).where(
                CaseSearch.case_id == Case.id, or_(CaseSearch.document.op("@@")(tsquery), full)
            ).offset(0).correlate(Case).exists()
        # Few matches: read them from the GIN indexes and join the list on them. The investigation text
        # only exists for lex Sarah cases: of those matches, the ones the user has a part in.
        matches: Any = select(CaseSearch.case_id).where(CaseSearch.document.op("@@")(tsquery))
        searched = aliased(Case)
        full_matches = select(CaseSearch.case_id).join(searched, searched.id == CaseSearch.case_id).where(
            CaseSearch.full_document.op("@@")(tsquery),
            true() if sees_everything(user) else part_condition(user, searched))
        return Case.id.in_(union(matches, full_matches))
    else:
        expression = " AND ".join(
            "(" + " OR ".join(f'"{stem}"' for stem in dict.fromkeys(_stems(variants))) + ")"
            for variants in query.terms)
        public_ids: Any = select(literal_column("rowid")).select_from(text(FTS_TABLE)).where(
            text(f"{FTS_TABLE} MATCH :fts_public").bindparams(fts_public=f"document : ({expression})"))
        full_ids: Any = select(literal_column("rowid")).select_from(text(FTS_TABLE)).where(
            text(f"{FTS_TABLE} MATCH :fts_full").bindparams(fts_full=f"full_document : ({expression})"))
        return or_(Case.id.in_(public_ids), and_(Case.id.in_(full_ids), part_condition(user)))


def _common(term_queries: list, rows: int) -> bool:
    """Whether the words match so many cases that walking the list's order and looking each case up is
    cheaper than reading every match. The planner's estimate per word (its statistics of the index's
    words; the least common word bounds the matches of all) against the table's size: reading M
    matches costs M, walking costs about rows * cases / M for a reader who sees a quarter of the cases
    (an enhetschef), so the walk wins above sqrt(4 * rows * cases)."""
    mode = current_app.config.get("SEARCH_WALK", "auto")
    if mode in ("always", "never"):
        return mode == "always"
    cases = db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'case_search'")) or 0
    if cases <= 0:  # never analysed: a small table, either way is cheap
        return False
    bind = db.session.get_bind()
    estimate = None
    for term in term_queries:
        compiled = select(literal_column("1")).select_from(CaseSearch.__table__).where(
            CaseSearch.document.op("@@")(term)).compile(bind)
        answer: Any = db.session.connection().exec_driver_sql(
            "EXPLAIN (FORMAT JSON) " + str(compiled),
            one_statement.driver_params(compiled.params, compiled.positiontup)).scalar()
        plan = json.loads(answer) if isinstance(answer, str) else answer
        rows_estimate = float(plan[0]["Plan"]["Plan Rows"])
        estimate = rows_estimate if estimate is None else min(estimate, rows_estimate)
    return estimate is not None and estimate * estimate > 4 * rows * cases
