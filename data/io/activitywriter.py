"""Writing an import's activity rows: blocks COPYed into ``activity`` by a thread, so that the
database inserts one block (its indexes, key checks and triggers) while the importer reads the
next ones; the import stays one transaction on the session's one connection."""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from psycopg.errors import UniqueViolation
from sqlalchemy import event
from sqlalchemy.orm import Session

__all__ = ["BATCH", "ActivityWriter"]

BATCH = 5000  # rows COPYed together (each block costs the thread a few round trips)
DEPTH = 2  # blocks being written or waiting while the importer reads on


class ActivityWriter:
    """Writes rows (tuples in ``columns`` order) into ``activity`` whose fingerprint is new,
    from one thread. Any statement the session runs meanwhile first waits until every row
    given so far is written: the connection runs one thing at a time."""

    def __init__(self, session: Session, columns: tuple[str, ...], key: int):
        self.conn = session.connection()
        self.cur = self.conn.connection.driver_connection.cursor()
        self.names = ", ".join(columns)
        self.key = key  # index of the fingerprint in a row
        self.block: list[tuple] = []
        self.futures: deque[Future] = deque()
        self.pool: ThreadPoolExecutor | None = None
        self.checked = False  # look fingerprints up before COPYing (one was found stored)
        self.staged = False
        self.created = 0
        self.unchanged = 0
        self.hook = self._before_statement
        event.listen(self.conn, "before_cursor_execute", self.hook)

    def add(self, row: tuple) -> None:
        """Queue one row; a full block goes to the thread."""
        self.block.append(row)
        if len(self.block) >= BATCH:
            self._submit()

    def drain(self) -> None:
        """Write every row given so far and wait until it is written (errors raise here)."""
        if self.block:
            self._submit()
        while self.futures:
            self._collect(self.futures.popleft())

    def close(self) -> None:
        """Write the rest, then stop the thread and stop watching the session."""
        try:
            self.drain()
        finally:
            self._stop()

    def abort(self) -> None:
        """The import failed: let the thread finish its block (the caller rolls back and
        raises its own error, not the thread's), then stop."""
        self.block = []
        while self.futures:
            self.futures.popleft().exception()
        self._stop()

    # ---------------------------------------------------------------- main thread
    def _before_statement(self, *_args: Any) -> None:
        self.drain()

    def _submit(self) -> None:
        rows, self.block = self.block, []
        if self.pool is None:
            self.pool = ThreadPoolExecutor(1, thread_name_prefix="activity-writer")
        while len(self.futures) >= DEPTH:
            self._collect(self.futures.popleft())
        self.futures.append(self.pool.submit(self._write, rows))

    def _collect(self, future: Future) -> None:
        created, unchanged = future.result()
        self.created += created
        self.unchanged += unchanged

    def _stop(self) -> None:
        if event.contains(self.conn, "before_cursor_execute", self.hook):
            event.remove(self.conn, "before_cursor_execute", self.hook)
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None

    # ---------------------------------------------------------------- writer thread
    def _write(self, rows: list[tuple]) -> tuple[int, int]:
        """COPY a block straight in; once a stored fingerprint was met, look the block's
        fingerprints up first (one index scan) and COPY only the new rows. Should another
        import write one meanwhile, the block goes through a temporary table and
        ``INSERT ... ON CONFLICT (fingerprint) DO NOTHING``. Returns (created, unchanged)."""
        cur = self.cur
        if not self.checked:
            if self._copy_new(rows):
                return len(rows), 0
            self.checked = True  # a re-import, or rows another source wrote before
        cur.execute("SELECT fingerprint FROM activity "
                    "WHERE fingerprint = ANY(string_to_array(%s, ','))",
                    (",".join([r[self.key] for r in rows]),))
        known = {r[0] for r in cur.fetchall()}
        new = [r for r in rows if r[self.key] not in known] if known else rows
        if not new:
            return 0, len(rows)
        created = len(new) if self._copy_new(new) else self._insert_staged(new)
        return created, len(rows) - created

    def _copy_new(self, rows: list[tuple]) -> bool:
        """COPY ``rows`` into ``activity`` in a savepoint; False (undone) when one of their
        fingerprints is stored already."""
        cur = self.cur
        cur.execute("SAVEPOINT activity_copy")
        try:
            with cur.copy(f"COPY activity ({self.names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT activity_copy; "
                        "RELEASE SAVEPOINT activity_copy")
            return False
        cur.execute("RELEASE SAVEPOINT activity_copy")
        return True

    def _insert_staged(self, rows: list[tuple]) -> int:
        """The slower, concurrency-safe way: COPY into a temporary table, then insert what
        is still new."""
        cur = self.cur
        if not self.staged:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS _activity_in "
                        "(LIKE activity INCLUDING DEFAULTS)")
            self.staged = True
        with cur.copy(f"COPY _activity_in ({self.names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(f"INSERT INTO activity ({self.names}) SELECT {self.names} "
                    "FROM _activity_in ON CONFLICT (fingerprint) DO NOTHING")
        created = cur.rowcount
        cur.execute("TRUNCATE _activity_in")
        return created
