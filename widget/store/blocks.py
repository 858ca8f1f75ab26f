"""Block lists: domains, mailboxes and clients (keyed hashes) whose sign-ons are held quietly (a part of
:class:`widget.store.sql.SQLStore`).

Each block is one row, found by its ``target`` (``domain:example.org``, ``email:jdoe@gmail.com``,
``ip:<hash>``): a sign-on asks for all of its targets in one look-up of the unique index on it. What a target's
value is (a parsed domain, a mailbox, a hash) is :mod:`widget.blocking`'s business; this module stores it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .admin import Audit

BLOCK_COLUMNS = "id, kind, value, reason, created_at, created_by"


@dataclass(frozen=True)
class Block:
    """One blocked domain (``kind`` ``domain``), mailbox (``email``) or client (``ip``: its keyed hash)."""

    id: int
    kind: str
    value: str
    reason: str
    created_at: float
    created_by: str


def block_target(kind: str, value: str) -> str:
    """The key a block is looked up by."""
    return f"{kind}:{value}"


class BlockTables:
    """The block list. Mixed into the store, whose ``query()``, ``read()``, ``write()`` and ``_append_audit()`` it uses."""

    query: Any
    read: Any
    write: Any
    _append_audit: Any

    def add_block(self, kind: str, value: str, reason: str, actor: str, audit: Audit | None = None) -> tuple[Block, bool]:
        """Block ``value`` of ``kind``: ``(the block, True)``, or ``(the block already there, False)``; ``audit``
        (given the new block) makes the audit entry appended with it."""
        target = block_target(kind, value)
        with self.write(f"block:{target}") as db:
            found = db.execute(f"SELECT {BLOCK_COLUMNS} FROM blocks WHERE target = ?", [target]).fetchone()
            if found is not None:
                return Block(*found), False
            row = db.execute(
                f"INSERT INTO blocks (target, kind, value, reason, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?) "
                f"RETURNING {BLOCK_COLUMNS}", [target, kind, value, reason, time.time(), actor]).fetchone()
            block = Block(*row)
            if audit is not None:
                self._append_audit(db, audit(block))
        return block, True

    def list_blocks(self) -> list[Block]:
        """Every block, the newest first."""
        return [Block(*row) for row in self.query(f"SELECT {BLOCK_COLUMNS} FROM blocks ORDER BY id DESC")]

    def get_block(self, block_id: int) -> Block | None:
        rows = self.query(f"SELECT {BLOCK_COLUMNS} FROM blocks WHERE id = ?", [block_id])
        return Block(*rows[0]) if rows else None

    def remove_block(self, block_id: int, audit: Audit | None = None) -> Block | None:
        """Lift a block (appending the entry ``audit`` makes of it); None if there is no such block."""
        with self.write() as db:
            row = db.execute(f"DELETE FROM blocks WHERE id = ? RETURNING {BLOCK_COLUMNS}", [block_id]).fetchone()
            if row is not None and audit is not None:
                self._append_audit(db, audit(Block(*row)))
        return Block(*row) if row else None

    def blocking(self, targets: list[str]) -> int | None:
        """The id of a block on one of ``targets`` (see :func:`block_target`), or None: one look-up of one
        index, whatever the number of targets (a sign-on's domains, mailbox and client)."""
        if not targets:
            return None
        with self.read() as db:
            row = db.execute(f"SELECT id FROM blocks WHERE target IN ({', '.join('?' * len(targets))}) LIMIT 1",
                             list(targets)).fetchone()
        return row[0] if row else None
