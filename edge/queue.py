"""The scale agent's durable queue: its own SQLite file, written before anything else happens.

synchronous=FULL with WAL: when put() returns, the event is on the SD card and survives a power cut.
The detector's reference weight is stored in the same transaction as the event it produced, so after
a restart the agent neither counts a bag twice nor misses one that was dropped while it was down.
Events leave the queue only when the server has answered for them (ack).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS event (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Events the service refused one by one as malformed (HTTP 400/422 for a batch of one): kept on the
-- device with the answer, out of the way of the events behind them, never deleted.
CREATE TABLE IF NOT EXISTS quarantine (
    id TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL DEFAULT (datetime('now'))
);
-- A donated frame (the household consented) waiting beside the queue: it may go once its event has
-- left the queue as accepted, and its file is deleted when the service has it. Its bin is kept because
-- consent is given per bin's camera and the event row, which names the bin too, leaves first.
CREATE TABLE IF NOT EXISTS photo (event_id TEXT PRIMARY KEY, path TEXT NOT NULL, bin TEXT);
"""


class EventQueue:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()  # one connection shared by the sampling and upload threads
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        if not self._photos_name_bins():
            self._add_photo_bins()

    def _photos_name_bins(self) -> bool:
        return "bin" in {row[1] for row in self._db.execute("PRAGMA table_info(photo)")}

    def _add_photo_bins(self) -> None:
        """A queue file from before frames named their bin: named from their events where those are
        still on the device; the others stay unattributed, and a withdrawal deletes them."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                # Asked again under the write lock: another process (the CLI's status beside the
                # running agent) may have upgraded the file since the look outside, and a second
                # ALTER fails with "duplicate column name".
                if self._photos_name_bins():
                    self._db.execute("COMMIT")
                    return
                self._db.execute("ALTER TABLE photo ADD COLUMN bin TEXT")
                rows = self._db.execute(
                    "SELECT id, payload FROM event WHERE id IN (SELECT event_id FROM photo) UNION ALL "
                    "SELECT id, payload FROM quarantine WHERE id IN (SELECT event_id FROM photo)"
                ).fetchall()
                self._db.executemany(
                    "UPDATE photo SET bin = ? WHERE event_id = ? AND bin IS NULL",
                    [(json.loads(payload).get("bin"), i) for i, payload in rows],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def put(self, event: dict[str, Any], state: dict[str, Any] | None = None, photo: Path | None = None) -> None:
        """`photo`: the event's donated frame, already written; referenced in the event's transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR IGNORE INTO event (id, payload) VALUES (?, ?)",
                    (event["id"], json.dumps(event, separators=(",", ":"))),
                )
                if photo is not None:
                    self._db.execute(
                        "INSERT OR REPLACE INTO photo (event_id, path, bin) VALUES (?, ?, ?)",
                        (event["id"], str(photo), event.get("bin")),
                    )
                self._set_state(state or {})
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def set_state(self, state: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._set_state(state)
            self._db.execute("COMMIT")

    def _set_state(self, state: dict[str, Any]) -> None:
        self._db.executemany(
            "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [(k, json.dumps(v)) for k, v in state.items()],
        )

    def state(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def peek(self, n: int) -> list[dict[str, Any]]:
        """The oldest n events, still queued until acked."""
        with self._lock:
            rows = self._db.execute("SELECT payload FROM event ORDER BY seq LIMIT ?", (n,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def mark_attempt(self, ids: list[str]) -> None:
        with self._lock:
            self._db.executemany("UPDATE event SET attempts = attempts + 1 WHERE id = ?", [(i,) for i in ids])

    def ack(self, ids: list[str]) -> int:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            cur = self._db.executemany("DELETE FROM event WHERE id = ?", [(i,) for i in ids])
            self._db.execute("COMMIT")
        return cur.rowcount

    def quarantine(self, ids: list[str], reason: str) -> int:
        """Move events from the queue to the quarantine, in one transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for i in ids:
                    self._db.execute(
                        "INSERT OR REPLACE INTO quarantine (id, payload, reason) "
                        "SELECT id, payload, ? FROM event WHERE id = ?",
                        (reason[:1000], i),
                    )
                cur = self._db.executemany("DELETE FROM event WHERE id = ?", [(i,) for i in ids])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return cur.rowcount

    def quarantined(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT id, payload, reason, at FROM quarantine ORDER BY at, id").fetchall()
        return [{"id": i, "event": json.loads(p), "reason": r, "at": a} for i, p, r, a in rows]

    def photos_ready(self, n: int) -> list[tuple[str, str | None, Path]]:
        """Donated frames (event id, bin, file) whose event the service has answered for (no longer
        queued or quarantined)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT event_id, bin, path FROM photo WHERE event_id NOT IN (SELECT id FROM event) "
                "AND event_id NOT IN (SELECT id FROM quarantine) ORDER BY rowid LIMIT ?",
                (n,),
            ).fetchall()
        return [(i, b, Path(p)) for i, b, p in rows]

    def photos(self) -> list[tuple[str, Path]]:
        """Every donated frame still on the device, whether its event went yet or not."""
        with self._lock:
            rows = self._db.execute("SELECT event_id, path FROM photo ORDER BY rowid").fetchall()
        return [(i, Path(p)) for i, p in rows]

    def forget_photos(self, event_ids: list[str]) -> None:
        """The references only; the caller deletes the files after (a crash between leaves a file
        that no row names, which the agent sweeps away at its next start)."""
        with self._lock:
            self._db.executemany("DELETE FROM photo WHERE event_id = ?", [(i,) for i in event_ids])

    def withdraw_photos(self, donors: frozenset[str]) -> list[Path]:
        """Forget the frames of every bin not in `donors` (and those of no known bin), and mark their
        events still on the device as not donated, in one transaction; returns the files for the
        caller to delete. The events themselves stay: a withdrawal costs the frame, never the weighing,
        and the service is not told to wait for a frame that will not come."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = self._db.execute("SELECT event_id, bin, path FROM photo").fetchall()
                gone = [(i, Path(p)) for i, b, p in rows if b is None or b not in donors]
                self._db.executemany("DELETE FROM photo WHERE event_id = ?", [(i,) for i, _ in gone])
                for event_id, _ in gone:
                    self._undonate(event_id)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return [path for _, path in gone]

    def _undonate(self, event_id: str) -> None:
        for select, update in (
            ("SELECT payload FROM event WHERE id = ?", "UPDATE event SET payload = ? WHERE id = ?"),
            ("SELECT payload FROM quarantine WHERE id = ?", "UPDATE quarantine SET payload = ? WHERE id = ?"),
        ):
            row = self._db.execute(select, (event_id,)).fetchone()
            if row is None:
                continue
            event = json.loads(row[0])
            quality = event.get("quality")
            if isinstance(quality, dict) and quality.get("photo_donated"):
                quality["photo_donated"] = False
                self._db.execute(update, (json.dumps(event, separators=(",", ":")), event_id))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM event").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
