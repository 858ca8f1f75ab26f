"""``pledge-widget db ...``: the database as a whole (a consistent backup of a live SQLite file, a copy of
an installation to another database)."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..appstate import state
from ..config import data_dir, read_environment
from ..earlier_data import CopyInError, copy_in
from ..store.copy import BATCH, CopyError, copy_database


@click.group("db", help="The database as a whole: backups, copies to another database.")
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


# No app context: the two URLs say everything, and the app's own database (which may be either, or
# neither, of them) is never opened.
@db.command("copy")
@click.option("--from", "source", required=True, metavar="URL",
              help="The database to copy: sqlite:///PATH or postgresql://...")
@click.option("--to", "target", required=True, metavar="URL", help="Where to copy it: an empty database, or --force.")
@click.option("--force", is_flag=True, help="Delete the rows the target holds, then copy.")
@click.option("--batch", default=BATCH, show_default=True, type=click.IntRange(min=1), help="Rows per transaction.")
def db_copy(source: str, target: str, force: bool, batch: int) -> None:
    """Copy an installation to another database (SQLite or PostgreSQL, either way): every table, in
    batches; run it again after an interruption and it resumes. Ends with a check of the row counts and
    of a sample of rows; exits 1 when they differ."""
    try:
        verification = copy_database(source, target, force=force, batch=batch, echo=click.echo)
    except CopyError as exc:
        raise click.ClickException(str(exc)) from None
    if not verification.ok:
        raise click.ClickException("the target differs from the source (see above): was the service writing to "
                                   "the source? Stop it, then copy again with --force")


# Only the standalone service's command line has it (a host app keeps its data where it says): no app
# context either, since the service refuses to start until the earlier data is copied.
@click.command("copy-in")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def db_copy_in(folder: Path) -> None:
    """Copy the data an earlier version kept in FOLDER (its pledge.db, consistently, and its secret_key)
    into this version's data folder (PLEDGE_DATA_DIR, else the user's data folder). Replaces nothing;
    FOLDER is left as it is."""

    config = read_environment()
    target = Path(data_dir(config.get("PLEDGE_DATA_DIR")))
    try:
        copied, kept = copy_in(folder, target, config)
    except CopyInError as exc:
        raise click.ClickException(str(exc)) from None
    for name in copied:
        click.echo(f"copied {folder / name} to {target / name}")
    for name in kept:
        click.echo(f"left {target / name} as it was (it exists)")
    click.echo(f"Start the service as before: it uses {target}. Once it runs on the copy, {folder} may go.")
