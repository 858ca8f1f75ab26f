"""``pledge-widget db ...``: the database as a whole (a consistent backup of a live SQLite file)."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..extension import state


@click.group("db", help="The database as a whole: backups.")
def db() -> None:
    pass


@db.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@with_appcontext
def db_backup(path: Path, force: bool) -> None:
    """A consistent copy of the live SQLite database at PATH, while the service keeps running."""
    store = state().store
    if not hasattr(store, "backup"):
        raise click.ClickException("db backup copies an SQLite database; for PostgreSQL use pg_dump")
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists: give another path, or --force to replace it")
    pages = store.backup(path)
    click.echo(f"backed up {pages} page(s) to {path}")
