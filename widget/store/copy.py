"""``pledge-widget db copy``: move an installation from one database to another, SQLite or PostgreSQL either
way, through the store's own connections (the same code for every pair of engines).

- Both schemas are brought up to date first (a source newer than this code is refused: it may hold what
  this code cannot copy), then every table of :data:`schema.TABLES` is copied in primary-key order, in
  batches, each batch in one write transaction of the target. ``schema_migrations`` is not copied: the
  target's migrations wrote their own.
- Resumable: each batch records how far it got in ``copy_progress`` (source, table, last key copied, rows,
  done) in the batch's own transaction, so the target never holds a row its record does not account for.
  Started again after a crash or a kill, the same command goes on after the last key recorded: no row
  twice, none lost. Once the copy is verified the record is dropped.
- A target with rows and no record of a copy from this source is refused (it would mix two installations),
  unless ``force``: then its rows are deleted and the copy starts from the beginning.
- At the end, the row counts of every table and a random sample of rows, field by field, are compared.

The service should not write to the source meanwhile: rows written behind the copy's position are not
copied (the verification then reports different counts).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import open_store
from .schema import MIGRATIONS, TABLES
from .sql import marks

BATCH = 5000
SAMPLE = 100
#: The most values one statement may carry: SQLite before 3.32 takes 999.
PARAMETERS = 999
PROGRESS = ("CREATE TABLE IF NOT EXISTS copy_progress (source TEXT NOT NULL, table_name TEXT NOT NULL, "
            "last_key TEXT, copied INTEGER NOT NULL, done INTEGER NOT NULL, PRIMARY KEY (source, table_name))")

#: ``(column, type, position in the primary key or 0, auto-numbered)`` of a table, in the table's order
#: (no row: no such table).
COLUMNS = {
    "sqlite": "SELECT name, type, pk, 0 FROM pragma_table_info(?) ORDER BY cid",
    "postgresql": (
        "SELECT c.column_name, c.data_type, COALESCE(k.ordinal_position, 0), c.is_identity = 'YES' "
        "FROM information_schema.columns c LEFT JOIN information_schema.table_constraints t "
        "ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.constraint_type = 'PRIMARY KEY' "
        "LEFT JOIN information_schema.key_column_usage k ON k.constraint_schema = t.constraint_schema "
        "AND k.constraint_name = t.constraint_name AND k.column_name = c.column_name "
        "WHERE c.table_schema = current_schema() AND c.table_name = ? ORDER BY c.ordinal_position"
    ),
}
#: Which database a store is connected to, whatever the URL's spelling (never a password): the copy's
#: name in ``copy_progress``, and the guard against copying a database onto itself. (No ``?`` in them: the
#: PostgreSQL store reads every ``?`` as a placeholder.)
IDENTITY = {
    "sqlite": "SELECT 'sqlite:///' || file FROM pragma_database_list WHERE name = 'main'",
    "postgresql": ("SELECT 'postgresql://' || COALESCE(host(inet_server_addr()), 'local') || ':' || "
                   "inet_server_port() || '/' || current_database() || ' (schema ' || current_schema() || ')'"),
}


class CopyError(Exception):
    """Why a copy cannot start; the message tells the operator."""


@dataclass
class Table:
    """What is copied of one table: the columns both databases have (in the target's spelling, with the
    target's types), its primary key, and the key's columns in their order of pagination."""

    name: str
    columns: list[str]
    types: list[str]
    key: list[str]
    order: list[str]
    serial: list[str] = field(default_factory=list)  # the target's auto-numbered columns

    def key_of(self, row: tuple) -> tuple:
        return tuple(row[self.columns.index(column)] for column in self.key)


@dataclass
class Verification:
    """``counts``: ``(table, source rows, target rows)``; ``sampled``: rows compared field by field."""

    counts: list[tuple[str, int, int]]
    sampled: int
    mismatches: list[str]

    @property
    def ok(self) -> bool:
        return not self.mismatches and all(source == target for _table, source, target in self.counts)


def copy_database(source_url: str, target_url: str, *, force: bool = False, batch: int = BATCH,
                  sample: int = SAMPLE, echo: Callable[[str], Any] = print) -> Verification:
    """Copy every table from ``source_url`` to ``target_url`` (``PLEDGE_DATABASE`` URLs), resuming an
    interrupted copy from the same source; print progress and the verification with ``echo``."""
    if batch < 1:
        raise CopyError("the batch size must be at least 1")
    if source_url.startswith("sqlite:///") and not Path(source_url[len("sqlite:///"):]).is_file():
        raise CopyError(f"no SQLite database at {source_url[len('sqlite:///'):]}")
    source, target = _open(source_url, "--from"), _open(target_url, "--to")
    try:
        return _copy(source, target, force, batch, sample, echo)
    except (*source.Unavailable, *target.Unavailable) as exc:  # run again once it is back: it resumes
        raise CopyError(f"a database went out of reach: {exc}") from None
    finally:
        source.close()
        target.close()


def _open(url: str, option: str) -> Any:
    try:
        return open_store(url)
    except ValueError as exc:
        raise CopyError(f"{option}: {exc}") from None


def _copy(source: Any, target: Any, force: bool, batch: int, sample: int, echo: Callable[[str], Any]) -> Verification:
    source_id, target_id = _identity(source), _identity(target)
    if source_id == target_id:
        raise CopyError(f"the source and the target are the same database ({source_id})")
    if not _columns(source, "sites"):
        raise CopyError(f"{source_id} holds no pledge-widget tables")
    for store, name in ((source, "source"), (target, "target")):
        if (version := _version(store)) > len(MIGRATIONS):
            raise CopyError(f"the {name}'s schema is at version {version}, newer than this pledge-widget knows "
                            f"({len(MIGRATIONS)}): copy with the newer version")
    progress = {} if force else _progress(target, source_id)
    if not force and not progress:
        _refuse_rows(target, target_id)
    source.migrate()
    target.migrate()
    with target.write() as db:
        db.execute(PROGRESS)
        if force:
            for name in (*reversed(TABLES), "copy_progress"):
                db.execute(f"DELETE FROM {name}")
    echo(f"{'resuming the interrupted copy' if progress else 'copying'} from {source_id} to {target_id}"
         + (" (--force starts again from the beginning)" if progress else ""))
    tables = [_table(source, target, name) for name in TABLES]
    started, total = time.monotonic(), 0
    for table in tables:
        total += _copy_table(source, target, table, source_id, progress.get(table.name), batch, echo)
    _renumber(target, tables)
    elapsed = time.monotonic() - started
    echo(f"copied {total} rows in {elapsed:.1f} s ({total / max(elapsed, 1e-6):,.0f} rows/s)")
    verification = verify(source, target, tables, sample, echo)
    if verification.ok:
        with target.write() as db:
            db.execute("DROP TABLE copy_progress")
    return verification


# -- what each database holds --------------------------------------------------------------------


def _identity(store: Any) -> str:
    return store.query(IDENTITY[store.engine])[0][0]


def _columns(store: Any, table: str) -> list[tuple[str, str, int, bool]]:
    return [(name, (kind or "").lower(), pk, bool(serial))
            for name, kind, pk, serial in store.query(COLUMNS[store.engine], [table])]


def _version(store: Any) -> int:
    # Before migrating: a database without schema_migrations is new, or recorded its version the old way.
    return store.schema_version() if _columns(store, "schema_migrations") else 0


def _progress(target: Any, source_id: str) -> dict[str, tuple[Any, int, bool]]:
    """``{table: (last key copied, rows copied, done)}`` of an interrupted copy from this source."""
    if not _columns(target, "copy_progress"):
        return {}
    rows = target.query("SELECT table_name, last_key, copied, done FROM copy_progress WHERE source = ?", [source_id])
    return {name: (json.loads(last_key) if last_key else None, copied, bool(done))
            for name, last_key, copied, done in rows}


def _refuse_rows(target: Any, target_id: str) -> None:
    """Refuse a target that holds rows of its own (checked before anything is written to it)."""
    held = [f"{target.query(f'SELECT COUNT(*) FROM {name}')[0][0]} {name}" for name in TABLES
            if _columns(target, name) and target.query(f"SELECT 1 FROM {name} LIMIT 1")]
    if not held:
        return
    others = (target.query("SELECT DISTINCT source FROM copy_progress ORDER BY source")
              if _columns(target, "copy_progress") else [])
    why = f"; it holds an unfinished copy from {others[0][0]}" if others else ""
    raise CopyError(f"the target {target_id} is not empty ({', '.join(held)}){why}: copying into it would mix "
                    "two installations. Give an empty database, or --force to delete the target's rows and copy")


def _table(source: Any, target: Any, name: str) -> Table:
    theirs = _columns(source, name)
    ours = {column.lower(): (column, kind, serial) for column, kind, _pk, serial in _columns(target, name)}
    key = [(pk, column, kind) for column, kind, pk, _serial in theirs if pk]
    if not key:
        raise CopyError(f"the source's table {name} has no primary key")
    # Pagination needs one total order, the same for the ORDER BY and for the "after the last key" test,
    # and the same again when an interrupted copy resumes (perhaps after an upgrade of the system's
    # locales). Text keys are ordered by their bytes: SQLite's BINARY collation does it by default; on
    # PostgreSQL a column's collation comes from the database's locale (en_US sorts "a" < "B", C does not,
    # ICU ones may even call two different strings equal, and glibc upgrades have changed orders), so
    # COLLATE "C" asks for bytes. Both engines then walk the rows in one order (code points, for UTF-8),
    # and no two different keys are ever equal. The price: PostgreSQL sorts instead of reading the
    # primary-key index when its locale is not C (a top-N sort of the rows left, once a batch).
    order = [f'{column} COLLATE "C"' if source.engine == "postgresql" and ("char" in kind or "text" in kind)
             else column for _pk, column, kind in sorted(key)]
    common = [ours[column.lower()] for column, *_rest in theirs if column.lower() in ours]
    return Table(name, [column for column, *_rest in common], [kind for _column, kind, _serial in common],
                 [ours[column.lower()][0] for _pk, column, _kind in sorted(key)], order,
                 [column for column, _kind, serial in common if serial])


# -- copying ---------------------------------------------------------------------------------------


def _copy_table(source: Any, target: Any, table: Table, source_id: str, resume: tuple[Any, int, bool] | None,
                batch: int, echo: Callable[[str], Any]) -> int:
    """Copy one table after ``resume``'s last key; return the rows copied now."""
    last_key, before, done = resume or (None, 0, False)
    if done:
        echo(f"{table.name}: {before} rows, copied before the interruption")
        return 0
    started, copied, shown = time.monotonic(), 0, time.monotonic()
    while not done:
        rows = source.query(_page(table, last_key is not None), [*(last_key or []), batch])
        done = len(rows) < batch
        if rows:
            last_key = list(table.key_of(rows[-1]))
        copied += len(rows)
        with target.write() as db:
            _insert_rows(db, target.engine, table, rows)
            db.execute("INSERT INTO copy_progress (source, table_name, last_key, copied, done) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (source, table_name) DO UPDATE SET last_key = excluded.last_key, "
                       "copied = excluded.copied, done = excluded.done",
                       [source_id, table.name, json.dumps(last_key), before + copied, int(done)])
        if not done and time.monotonic() - shown > 5:
            echo(f"{table.name}: {before + copied} rows so far")
            shown = time.monotonic()
    elapsed = time.monotonic() - started
    echo(f"{table.name}: {copied} rows copied" + (f" (and {before} before the interruption)" if before else "")
         + (f", {copied / elapsed:,.0f} rows/s" if copied >= batch else ""))
    return copied


def _page(table: Table, after: bool) -> str:
    """The next batch of rows in key order, after the last key copied (``after``) or from the start."""
    where = f" WHERE ({', '.join(table.order)}) > ({marks(table.key)})" if after else ""
    return f"SELECT {', '.join(table.columns)} FROM {table.name}{where} ORDER BY {', '.join(table.order)} LIMIT ?"


def _insert_rows(db: Any, engine: str, table: Table, rows: list[tuple]) -> None:
    """Many rows a statement: far fewer round trips than one INSERT a row, with only the store's execute()."""
    if not rows:
        return
    if engine == "postgresql":
        # One array a column, the whole batch in one statement. (Not a VALUES list of thousands of
        # placeholders: psycopg parses such a query anew each time, and that took two thirds of the copy.)
        arrays = ", ".join(f"?::{kind}[]" for kind in table.types)
        db.execute(f"INSERT INTO {table.name} ({', '.join(table.columns)}) SELECT * FROM unnest({arrays})",
                   [list(column) for column in zip(*rows)])
        return
    per = max(1, PARAMETERS // len(table.columns))
    row = f"({marks(table.columns)})"
    for start in range(0, len(rows), per):
        chunk = rows[start:start + per]
        db.execute(f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES {', '.join([row] * len(chunk))}",
                   [value for values in chunk for value in values])


def _renumber(target: Any, tables: list[Table]) -> None:
    """Move PostgreSQL's identities past the ids copied in (SQLite numbers after the largest rowid itself)."""
    if target.engine != "postgresql":
        return
    with target.write() as db:
        for table in tables:
            for column in table.serial:
                db.execute(f"SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX({column}), 1), "
                           f"MAX({column}) IS NOT NULL) FROM {table.name}", [table.name, column])


# -- verification ----------------------------------------------------------------------------------


def verify(source: Any, target: Any, tables: list[Table], sample: int = SAMPLE,
           echo: Callable[[str], Any] = print) -> Verification:
    """Compare the row counts of every table, and ``sample`` random rows of each (all of a smaller table)
    field by field; print both."""
    counts = [(table.name, source.query(f"SELECT COUNT(*) FROM {table.name}")[0][0],
               target.query(f"SELECT COUNT(*) FROM {table.name}")[0][0]) for table in tables]
    width = max(len(name) for name in ("table", *TABLES))
    echo(f"{'table':<{width}}  {'source':>9}  {'target':>9}")
    for name, in_source, in_target in counts:
        echo(f"{name:<{width}}  {in_source:>9}  {in_target:>9}" + ("" if in_source == in_target else "  DIFFERENT"))
    sampled, mismatches = 0, []
    for table in tables:
        rows = source.query(f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY RANDOM() LIMIT ?", [sample])
        copies = _rows_by_key(target, table, [table.key_of(row) for row in rows])
        sampled += len(rows)
        for row in rows:
            mismatches += _differences(table, row, copies.get(table.key_of(row)))
    echo(f"sample: {sampled} rows compared field by field, {len(mismatches)} mismatches")
    for mismatch in mismatches:
        echo(f"  {mismatch}")
    return Verification(counts, sampled, mismatches)


def _rows_by_key(store: Any, table: Table, keys: list[tuple]) -> dict[tuple, tuple]:
    found: dict[tuple, tuple] = {}
    per = max(1, PARAMETERS // len(table.key))
    for start in range(0, len(keys), per):
        chunk = keys[start:start + per]
        values = ", ".join([f"({marks(table.key)})"] * len(chunk))
        sql = f"SELECT {', '.join(table.columns)} FROM {table.name} WHERE ({', '.join(table.key)}) IN (VALUES {values})"
        for row in store.query(sql, [value for key in chunk for value in key]):
            found[table.key_of(row)] = row
    return found


def _differences(table: Table, row: tuple, copy: tuple | None) -> list[str]:
    # Exact equality, floats included: both engines store a timestamp as the same 8-byte double.
    where = f"{table.name} {dict(zip(table.key, table.key_of(row)))}"
    if copy is None:
        return [f"{where}: missing from the target"]
    return [f"{where}: {column} is {mine!r:.80} in the source, {theirs!r:.80} in the target"
            for column, mine, theirs in zip(table.columns, row, copy) if mine != theirs]
