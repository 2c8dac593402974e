"""The emulator's state: one SQLite file, one connection guarded by one lock, lazy lifecycles.

Every resource row carries its `status` and, while a lifecycle step is running, the status it will
reach (`next_status`) and when (`next_at`, unix time). `advance()` applies every step that is due;
it runs under the lock at the start of every API call, so there is no background thread, the outcome
is deterministic for a given clock, and a restart resumes where the previous process stopped.
The side effects of a step follow from (status, next_status): see `_volume_step`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .config import REGIONS

GONE = "deleted"  # next_status meaning "the row disappears when the step is due"
CHUNK_MB = 50  # backups are written in 50 MB objects
DEMO_ACCOUNTS = (
    ("demo", "demo-password", "demo", "10000000000001"),
    ("acme", "acme-password", "acme", "10000000000002"),
)
# Servers seeded for every project in every region: (name, availability zone).
SEED_SERVERS = (
    ("web-01", "az1"),
    ("web-02", "az1"),
    ("app-01", "az2"),
    ("app-02", "az2"),
    ("db-01", "az3"),
)
# Global images: (name, size in bytes, minDisk in GB).
SEED_IMAGES = (
    ("debian-7-wheezy-amd64", 536_870_912, 2),
    ("ubuntu-12.04-server-amd64", 1_073_741_824, 5),
    ("centos-6.4-x86_64", 2_147_483_648, 10),
    ("windows-2008-r2-datacenter", 16_106_127_360, 30),
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, quota_volumes INTEGER, quota_gigabytes INTEGER);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, salt TEXT NOT NULL, password_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (
    user_id TEXT NOT NULL, project_id TEXT NOT NULL, PRIMARY KEY (user_id, project_id));
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, project_id TEXT NOT NULL,
    issued_at REAL NOT NULL, expires_at REAL NOT NULL, methods TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS servers (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
    status TEXT NOT NULL, az TEXT NOT NULL, created TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS servers_owner ON servers (project_id, region);
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY, project_id TEXT, name TEXT NOT NULL, size INTEGER NOT NULL,
    min_disk INTEGER NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS volumes (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, region TEXT NOT NULL,
    display_name TEXT, display_description TEXT, size INTEGER NOT NULL, az TEXT NOT NULL,
    status TEXT NOT NULL, bootable TEXT NOT NULL, created_at TEXT NOT NULL,
    snapshot_id TEXT, source_volid TEXT, image_id TEXT, image_name TEXT, volume_type TEXT,
    metadata TEXT NOT NULL, derived INTEGER NOT NULL DEFAULT 0,
    next_status TEXT, next_at REAL);
CREATE INDEX IF NOT EXISTS volumes_owner ON volumes (project_id, region);
CREATE INDEX IF NOT EXISTS volumes_due ON volumes (next_at) WHERE next_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS snapshots (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, region TEXT NOT NULL, volume_id TEXT NOT NULL,
    display_name TEXT, display_description TEXT, size INTEGER NOT NULL, status TEXT NOT NULL,
    created_at TEXT NOT NULL, metadata TEXT NOT NULL, next_status TEXT, next_at REAL);
CREATE INDEX IF NOT EXISTS snapshots_owner ON snapshots (project_id, region);
CREATE INDEX IF NOT EXISTS snapshots_volume ON snapshots (volume_id);
CREATE INDEX IF NOT EXISTS snapshots_due ON snapshots (next_at) WHERE next_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS backups (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, region TEXT NOT NULL, volume_id TEXT NOT NULL,
    name TEXT, description TEXT, container TEXT NOT NULL, size INTEGER NOT NULL, az TEXT NOT NULL,
    status TEXT NOT NULL, object_count INTEGER NOT NULL, fail_reason TEXT, created_at TEXT NOT NULL,
    next_status TEXT, next_at REAL);
CREATE INDEX IF NOT EXISTS backups_owner ON backups (project_id, region);
CREATE INDEX IF NOT EXISTS backups_due ON backups (next_at) WHERE next_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS attachments (
    volume_id TEXT PRIMARY KEY, server_id TEXT NOT NULL, device TEXT NOT NULL,
    project_id TEXT NOT NULL, region TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS attachments_server ON attachments (server_id);
"""


def now_stamp(moment: float | None = None) -> str:
    """A timestamp as the spec writes created_at: 2013-01-23T11:25:03.000000 (UTC)."""
    dt = datetime.fromtimestamp(time.time() if moment is None else moment, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")


def object_count(size_gb: int) -> int:
    return math.ceil(size_gb * 1024 / CHUNK_MB)


def _hash(password: str, salt: str) -> str:
    return hashlib.sha256((salt + password).encode()).hexdigest()


class Store:
    """The SQLite database. Use `with store.transaction() as db:` for everything."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=OFF")
        self.db.executescript(SCHEMA)
        self._next_due = float("-inf")  # earliest pending step; -inf means "look in the database"
        with self.transaction():
            self._seed()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The lock plus one SQLite transaction: everything or nothing is written."""
        with self.lock:
            if self.db.in_transaction:  # nested: part of the caller's transaction
                yield self.db
                return
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # --- accounts --------------------------------------------------------------------------------

    def _seed(self) -> None:
        if not self.db.execute("SELECT 1 FROM images LIMIT 1").fetchone():
            for name, size, min_disk in SEED_IMAGES:
                self.db.execute(
                    "INSERT INTO images VALUES (?, NULL, ?, ?, ?, 'active', ?)",
                    (
                        str(uuid.uuid5(uuid.NAMESPACE_URL, "emulator-image:" + name)),
                        name,
                        size,
                        min_disk,
                        "2013-01-01T00:00:00.000000",
                    ),
                )
        for user, password, project, project_id in DEMO_ACCOUNTS:
            if not self.db.execute("SELECT 1 FROM projects WHERE id = ?", (project_id,)).fetchone():
                self.add_account(user, password, project, project_id=project_id)

    def add_account(
        self,
        user: str,
        password: str,
        project: str,
        project_id: str | None = None,
        servers: Sequence[tuple[str, str]] | None = None,
    ) -> dict:
        """Create (or update) a user and a project, make the user a member, seed the project's servers.

        A new project gets `servers` ((name, zone) pairs) in every region, SEED_SERVERS when None.
        An existing user keeps its id and gets the new password; an existing project is reused as is.
        """
        with self.transaction() as db:
            row = db.execute("SELECT id FROM projects WHERE name = ?", (project,)).fetchone()
            if row:
                project_id = row["id"]
            else:
                if project_id is None:
                    last = db.execute("SELECT MAX(CAST(id AS INTEGER)) FROM projects").fetchone()[0]
                    project_id = str(max(int(last or 0), 10000000000002) + 1)
                db.execute("INSERT INTO projects (id, name) VALUES (?, ?)", (project_id, project))
                created = now_stamp()
                for region in REGIONS:
                    for name, zone in SEED_SERVERS if servers is None else servers:
                        db.execute(
                            "INSERT INTO servers VALUES (?, ?, ?, ?, 'ACTIVE', ?, ?)",
                            (str(uuid.uuid4()), project_id, region, name, zone, created),
                        )
            salt = secrets.token_hex(8)
            row = db.execute("SELECT id FROM users WHERE name = ?", (user,)).fetchone()
            if row:
                user_id = row["id"]
                db.execute(
                    "UPDATE users SET salt = ?, password_hash = ? WHERE id = ?",
                    (salt, _hash(password, salt), user_id),
                )
            else:
                user_id = uuid.uuid4().hex
                db.execute(
                    "INSERT INTO users VALUES (?, ?, ?, ?)", (user_id, user, salt, _hash(password, salt))
                )
            db.execute("INSERT OR IGNORE INTO members VALUES (?, ?)", (user_id, project_id))
        return {"user_id": user_id, "project_id": project_id, "project": project}

    def check_password(self, user: str, password: str) -> sqlite3.Row | None:
        row = self.one("SELECT * FROM users WHERE name = ?", user)
        if row and hmac.compare_digest(row["password_hash"], _hash(password, row["salt"])):
            return row
        return None

    # --- tokens ----------------------------------------------------------------------------------

    def issue_token(
        self, user_id: str, project_id: str, ttl: float, methods: str
    ) -> tuple[str, float, float]:
        token = secrets.token_hex(16)
        issued = time.time()
        with self.transaction() as db:
            db.execute("DELETE FROM tokens WHERE expires_at < ?", (issued - 86400,))
            db.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?)",
                (token, user_id, project_id, issued, issued + ttl, methods),
            )
        return token, issued, issued + ttl

    def token(self, token: str) -> sqlite3.Row | None:
        """The token's row if it exists and has not expired."""
        with self.lock:
            row = self.db.execute("SELECT * FROM tokens WHERE id = ?", (token,)).fetchone()
        if row is None or row["expires_at"] <= time.time():
            return None
        return row

    def expire_tokens(self, user: str | None) -> int:
        with self.transaction() as db:
            if user is None:
                return db.execute("UPDATE tokens SET expires_at = ?", (time.time(),)).rowcount
            return db.execute(
                "UPDATE tokens SET expires_at = ? WHERE user_id IN (SELECT id FROM users WHERE name = ?)",
                (time.time(), user),
            ).rowcount

    # --- lifecycles ------------------------------------------------------------------------------

    def advance(self, now: float | None = None) -> None:
        """Apply every lifecycle step that is due (in the order they fell due)."""
        now = time.time() if now is None else now
        if now < self._next_due:
            return
        with self.transaction() as db:
            steps = []
            for table in ("volumes", "snapshots", "backups"):
                for row in db.execute(
                    f"SELECT * FROM {table} WHERE next_at IS NOT NULL AND next_at <= ?",  # noqa: S608
                    (now,),
                ):
                    steps.append((row["next_at"], table, row))
            steps.sort(key=lambda step: step[0])
            for _, table, row in steps:
                getattr(self, f"_{table}_step")(db, row)
            pending = [
                db.execute(f"SELECT MIN(next_at) FROM {table} WHERE next_at IS NOT NULL").fetchone()[0]  # noqa: S608
                for table in ("volumes", "snapshots", "backups")
            ]
            self._next_due = min((at for at in pending if at is not None), default=float("inf"))

    @staticmethod
    def _volumes_step(db: sqlite3.Connection, row: sqlite3.Row) -> None:
        status, target = row["status"], row["next_status"]
        if target == GONE:
            db.execute("DELETE FROM attachments WHERE volume_id = ?", (row["id"],))
            db.execute("DELETE FROM volumes WHERE id = ?", (row["id"],))
            return
        if (status, target) in (("attaching", "error_attaching"), ("detaching", "available")):
            db.execute("DELETE FROM attachments WHERE volume_id = ?", (row["id"],))
        db.execute(
            "UPDATE volumes SET status = ?, next_status = NULL, next_at = NULL WHERE id = ?",
            (target, row["id"]),
        )

    @staticmethod
    def _snapshots_step(db: sqlite3.Connection, row: sqlite3.Row) -> None:
        if row["next_status"] == GONE:
            db.execute("DELETE FROM snapshots WHERE id = ?", (row["id"],))
            return
        db.execute(
            "UPDATE snapshots SET status = ?, next_status = NULL, next_at = NULL WHERE id = ?",
            (row["next_status"], row["id"]),
        )

    @staticmethod
    def _backups_step(db: sqlite3.Connection, row: sqlite3.Row) -> None:
        status, target = row["status"], row["next_status"]
        if target == GONE:
            db.execute("DELETE FROM backups WHERE id = ?", (row["id"],))
            return
        count, reason = row["object_count"], row["fail_reason"]
        if status == "creating" and target == "available":
            count = object_count(row["size"])
        elif status == "creating" and target == "error":
            count, reason = (
                0,
                f"Backup of volume {row['volume_id']} failed: the backup service could not write it.",
            )
        elif status == "deleting" and target == "error":
            reason = "The backup objects could not be deleted from object storage."
        elif status == "restoring" and target == "error":
            reason = "The restore failed: the backup could not be written to its target volume."
        db.execute(
            "UPDATE backups SET status = ?, object_count = ?, fail_reason = ?, next_status = NULL, "
            "next_at = NULL WHERE id = ?",
            (target, count, reason, row["id"]),
        )

    def schedule(
        self, db: sqlite3.Connection, table: str, row_id: str, status: str, target: str, seconds: float
    ) -> None:
        """Put a row in `status` now and make it reach `target` after `seconds`."""
        due = time.time() + seconds
        db.execute(
            f"UPDATE {table} SET status = ?, next_status = ?, next_at = ? WHERE id = ?",  # noqa: S608
            (status, target, due, row_id),
        )
        self._next_due = min(self._next_due, due)

    # --- reads -----------------------------------------------------------------------------------

    def one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        with self.lock:
            return self.db.execute(sql, args).fetchone()

    def all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()
