"""Data left where earlier versions of the standalone service kept it.

The first releases kept the database and the generated signing key in Flask's default instance folder:
inside the virtualenv for an installed package (``.venv/var/widget-instance``), beside the source in a
checkout (``instance/``). The service now keeps them in the user's data folder (``PLEDGE_DATA_DIR``). After
an upgrade, starting on that folder while it is still empty would begin a new database with a new key:
every widget already pasted would answer 404 and every link already mailed would fail, silently. So the
service refuses to start until the operator has chosen (:func:`refusal` says how), and
``pledge-widget db copy-in`` copies the earlier data over (:func:`copy_in`).

Refusing is safer than using the earlier folder: it lives inside a virtualenv that is thrown away on the
next rebuild, it may be a stale copy the operator already moved elsewhere, and a service that quietly
switches folders makes the next backup miss its data.
"""
from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from .store.sqlite import SQLiteStore

DATABASE = "pledge.db"
KEY = "secret_key"


def earlier_folders() -> list[Path]:
    """The folders earlier versions kept their data in, on this installation: the instance folder Flask
    picks for this package (``sys.prefix/var/widget-instance`` once installed, ``instance/`` beside a
    checkout), and the virtualenv's own one, which an editable install would not name."""
    flask_default = Path(Flask("widget").instance_path)  # what `Flask(__name__)` in widget/ gave them
    folders = [Path(sys.prefix, "var", "widget-instance"), flask_default]
    return list(dict.fromkeys(folder.resolve() for folder in folders))


def needed(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The files of the data folder this configuration uses: the database unless ``PLEDGE_DATABASE``
    names one, the key unless one is set."""
    files = ()
    if not config.get("PLEDGE_DATABASE"):
        files += (DATABASE,)
    if not (config.get("PLEDGE_SECRET_KEY") or config.get("SECRET_KEY")):
        files += (KEY,)
    return files


def stranded(config: Mapping[str, Any], data_folder: str | Path) -> tuple[Path, list[str]] | None:
    """An earlier folder holding files this configuration needs that ``data_folder`` lacks, and their
    names; None when nothing is left behind."""
    data_folder = Path(data_folder).resolve()
    missing = [name for name in needed(config) if not (data_folder / name).exists()]
    for folder in earlier_folders():
        found = [name for name in missing if (folder / name).is_file()]
        if folder != data_folder and found:
            return folder, found
    return None


#: What starting without each file would break.
LOSSES = {DATABASE: "an empty database (the widgets already pasted would answer 404)",
          KEY: "a new key (the links already mailed would fail)"}


def refusal(folder: Path, found: list[str], data_folder: str | Path) -> str:
    """Why the service does not start, and the commands that let it."""
    return (
        f"An earlier version kept this service's {' and '.join(found)} in {folder}; this version keeps them in "
        f"{data_folder}, which lacks them. Starting now would begin {' and '.join(LOSSES[name] for name in found)}.\n"
        "Copy them over (the earlier folder is left as it is), then start again:\n\n"
        f"    pledge-widget db copy-in {shlex.quote(str(folder))}\n\n"
        f"Or keep using that folder with PLEDGE_DATA_DIR={shlex.quote(str(folder))} (it is inside a virtualenv "
        "that upgrades rebuild, so better not); or, to start afresh, move it out of the way."
    )


class CopyInError(Exception):
    """Nothing was copied, and why."""


def copy_in(folder: Path, data_folder: Path, config: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Copy the files of ``folder`` that ``config`` needs into ``data_folder``: the database with SQLite's
    backup API (a consistent copy, even of a WAL database an old process still has open), then the key with
    its owner-only mode. Never replaces a file (one already there is left alone: an interrupted copy-in is
    finished by running it again); ``folder`` is not changed. Returns the names copied and those left alone."""
    folder, data_folder = Path(folder).resolve(), Path(data_folder).resolve()
    if folder == data_folder:
        raise CopyInError(f"{folder} is the data folder already")
    wanted = [name for name in needed(config) if (folder / name).is_file()]
    if not wanted:
        raise CopyInError(f"{folder} holds neither {DATABASE} nor {KEY} to copy")
    present = [name for name in wanted if (data_folder / name).exists()]
    if present == wanted:
        raise CopyInError(f"{data_folder} has its own {' and '.join(present)} already: nothing was copied. If it is "
                          "the empty one an earlier start made, move it out of the way and copy again")
    data_folder.mkdir(parents=True, exist_ok=True)
    if DATABASE in wanted and DATABASE not in present:
        SQLiteStore(str(folder / DATABASE)).backup(data_folder / DATABASE)
    if KEY in wanted and KEY not in present:
        fd = os.open(data_folder / KEY, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write((folder / KEY).read_text())
    return [name for name in wanted if name not in present], present
