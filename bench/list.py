"""The public list of signatories at scale: how long one page takes on page 1 and on a deep page (keyset
pagination), with a filter, with a search, and the count, on 100,000 confirmed sign-ons, on SQLite and
PostgreSQL. Prints figures; asserts nothing.

    .venv/bin/python bench/list.py [--rows 100000] [--engines sqlite,postgresql] [--repeat 20]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import data  # noqa: E402

from widget.store import open_store  # noqa: E402
from widget.store.listing import Cursor, Filters  # noqa: E402

POSTGRES_URL = os.environ.get("PLEDGE_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/test")
PAGE = 50


def timed(action, repeat: int) -> float:
    """The median milliseconds of ``action`` over ``repeat`` runs (after one to warm the caches)."""
    action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def deep_cursor(store, filters: Filters, position: int) -> Cursor:
    """The cursor that starts the page after ``position`` entries (what following ``next`` links gives)."""
    where, params = filters.where()
    row = store.query(
        "SELECT confirmed_at, public_id FROM signons WHERE status = 'confirmed' AND consent_at IS NOT NULL "
        "AND organization IS NOT NULL" + (" AND " + where if where else "")
        + " ORDER BY confirmed_at DESC, public_id DESC LIMIT 1 OFFSET ?", [*params, position - 1])[0]
    return Cursor(row[0], row[1])


def measure(engine: str, rows: int, repeat: int, folder: str) -> list[tuple[str, float]]:
    with data.fresh_database(engine, folder, POSTGRES_URL) as database:
        database.create()
        print(f"{engine}: loading {rows:,} confirmed sign-ons...", file=sys.stderr)
        database.fill_confirmed(rows)
        store = open_store(database.url)
        try:
            campaign = Filters(campaign=data.CAMPAIGN)
            country = Filters(campaign=data.CAMPAIGN, country="KE")
            site = Filters(campaign=data.CAMPAIGN, site_key=database.keys[0])
            deep = rows - PAGE  # the last page: page 2,000 of 100,000 at 50 a page
            cases = [
                ("page 1", lambda: store.list_entries(campaign, limit=PAGE)),
                (f"page {deep // PAGE + 1:,} (keyset)",
                 (lambda after: lambda: store.list_entries(campaign, after=after, limit=PAGE))(
                     deep_cursor(store, campaign, deep))),
                ("country=KE, page 1", lambda: store.list_entries(country, limit=PAGE)),
                ("country=KE, last page",
                 (lambda after: lambda: store.list_entries(country, after=after, limit=PAGE))(
                     deep_cursor(store, country, store.count_entries(country) - PAGE))),
                ("site (10% of rows), last page",
                 (lambda after: lambda: store.list_entries(site, after=after, limit=PAGE))(
                     deep_cursor(store, site, store.count_entries(site) - PAGE))),
                ("search, common word", lambda: store.list_entries(
                    Filters(campaign=data.CAMPAIGN, q="organisation 12"), limit=PAGE)),
                ("search, no match (whole scan)", lambda: store.list_entries(
                    Filters(campaign=data.CAMPAIGN, q="no such name"), limit=PAGE)),
                ("count, whole list", lambda: store.count_entries(campaign)),
                ("count, country=KE", lambda: store.count_entries(country)),
            ]
            return [(name, timed(action, repeat)) for name, action in cases]
        finally:
            store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    results: dict[str, list[tuple[str, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for engine in args.engines.split(","):
            if engine == "postgresql" and (problem := data.postgres_problem(POSTGRES_URL)):
                print(f"postgresql skipped: {problem}", file=sys.stderr)
                continue
            results[engine] = measure(engine, args.rows, args.repeat, folder)
    engines = list(results)
    print(f"The public list on {args.rows:,} confirmed sign-ons: median ms of {args.repeat} runs, {PAGE} a page")
    print("| query | " + " | ".join(engines) + " |")
    print("| --- | " + " | ".join("---:" for _ in engines) + " |")
    for index, (name, _ms) in enumerate(next(iter(results.values()), [])):
        print(f"| {name} | " + " | ".join(f"{results[e][index][1]:.2f}" for e in engines) + " |")


if __name__ == "__main__":
    main()
