"""SQLite persistence: the replay log of verified jti values, and saved profiles.

One file, by default in the user's data directory; a connection per operation keeps it
safe across uvicorn's worker threads and across restarts.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .core.errors import InputError
from .core.policy import ReplayGuard

__all__ = ["MAX_PROFILES", "MAX_PROFILE_BYTES", "Profile", "ReplayLog", "Store", "default_db_path"]
#: default caps: how many profiles, and how large one may be (its stored JSON, in bytes)
MAX_PROFILES = 500
MAX_PROFILE_BYTES = 256 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_jti (
    issuer TEXT NOT NULL,
    jti TEXT NOT NULL,
    first_seen REAL NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE TABLE IF NOT EXISTS profiles (
    name TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    updated REAL NOT NULL
);
"""


def default_db_path() -> Path:
    """jwtlens.sqlite3 in the platform's per-user data directory."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "jwtlens" / "jwtlens.sqlite3"


@dataclass(frozen=True)
class Profile:
    """A named validation policy with its keys, shared as JSON."""

    name: str
    data: dict[str, Any]
    updated: float = 0.0


def _create_private(path: Path) -> None:
    """The directory (0700, when we make it) and an empty file (0600): profiles may hold secrets."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


class Store:
    def __init__(
        self, path: Path, *, max_profiles: int = MAX_PROFILES, max_profile_bytes: int = MAX_PROFILE_BYTES
    ) -> None:
        self.path = path
        self.max_profiles = max_profiles
        self.max_profile_bytes = max_profile_bytes
        self._ready = False
        self._batch = threading.local()
        #: seconds a write waits for another writer's lock before giving up
        self.busy_timeout = 5.0

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        current: sqlite3.Connection | None = getattr(self._batch, "connection", None)
        if current is not None:  # inside batch(): its one transaction
            yield current
            return
        if not self._ready:
            _create_private(self.path)
        try:
            connection = sqlite3.connect(self.path, timeout=self.busy_timeout)
            try:
                if not self._ready:
                    connection.executescript(_SCHEMA)
                    self._ready = True
                with connection:
                    yield connection
            finally:
                connection.close()
        except sqlite3.OperationalError:
            # Locked by another writer too long, a read-only disk, a full one: an answer, not a 500.
            raise InputError(
                "store_unavailable",
                f"The SQLite file {self.path} is busy or cannot be written; try again",
                "store",
                upstream=True,
            ) from None

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Everything this thread stores inside is one transaction: all of it is kept, or none."""
        with self._connect() as connection:
            self._batch.connection = connection
            try:
                yield
            finally:
                self._batch.connection = None

    # -- replay log -----------------------------------------------------------
    # Expiry always runs on the server's clock: a client's "check as of" time never deletes entries.

    def first_seen(self, issuer: str, jti: str) -> float | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT first_seen FROM seen_jti WHERE issuer = ? AND jti = ? AND expires > ?",
                (issuer, jti, time.time()),
            ).fetchone()
        return float(row[0]) if row else None

    def record(self, issuer: str, jti: str, keep_until: float) -> float | None:
        """Record atomically: None when this call recorded the jti, else when it was first recorded."""
        now = time.time()
        with self._connect() as db:
            db.execute("DELETE FROM seen_jti WHERE expires <= ?", (now,))
            inserted = db.execute(
                "INSERT OR IGNORE INTO seen_jti (issuer, jti, first_seen, expires) VALUES (?, ?, ?, ?)",
                (issuer, jti, now, keep_until),
            ).rowcount
            if inserted:
                return None
            row = db.execute("SELECT first_seen FROM seen_jti WHERE issuer = ? AND jti = ?", (issuer, jti)).fetchone()
        return float(row[0]) if row else now

    def replay_count(self) -> int:
        with self._connect() as db:
            (count,) = db.execute("SELECT COUNT(*) FROM seen_jti WHERE expires > ?", (time.time(),)).fetchone()
        return int(count)

    def clear_replay(self) -> int:
        with self._connect() as db:
            return db.execute("DELETE FROM seen_jti").rowcount

    # -- profiles -------------------------------------------------------------

    def profiles(self) -> list[Profile]:
        with self._connect() as db:
            rows = db.execute("SELECT name, data, updated FROM profiles ORDER BY name COLLATE NOCASE").fetchall()
        return [Profile(name, json.loads(data), updated) for name, data, updated in rows]

    def profile(self, name: str) -> Profile | None:
        with self._connect() as db:
            row = db.execute("SELECT name, data, updated FROM profiles WHERE name = ?", (name,)).fetchone()
        return Profile(row[0], json.loads(row[1]), row[2]) if row else None

    def stored_form(self, profile: Profile) -> str:
        """The profile's JSON as stored; InputError when it is over the size cap."""
        data = json.dumps(profile.data)
        size = len(data.encode())
        if size > self.max_profile_bytes:
            raise InputError(
                "profile_too_large",
                f"The profile is {size:,} bytes stored; the limit is {self.max_profile_bytes:,}",
                "profile",
                too_large=True,
            )
        return data

    def save_profile(self, profile: Profile) -> Profile:
        """Insert or replace; InputError when the profile is too large or the store holds too many."""
        saved = Profile(profile.name, profile.data, time.time())
        data = self.stored_form(saved)
        with self._connect() as db:
            exists = db.execute("SELECT 1 FROM profiles WHERE name = ?", (saved.name,)).fetchone()
            (count,) = db.execute("SELECT COUNT(*) FROM profiles").fetchone()
            if not exists and count >= self.max_profiles:
                raise InputError(
                    "profile_limit",
                    f"jwtlens keeps at most {self.max_profiles:,} profiles; delete one first",
                    "profile",
                    too_large=True,
                )
            db.execute(
                "INSERT INTO profiles (name, data, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET data = excluded.data, updated = excluded.updated",
                (saved.name, data, saved.updated),
            )
        return saved

    def delete_profile(self, name: str) -> bool:
        with self._connect() as db:
            return db.execute("DELETE FROM profiles WHERE name = ?", (name,)).rowcount > 0


class ReplayLog(ReplayGuard):
    """The core's replay guard, backed by a Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def first_seen(self, issuer: str, jti: str) -> float | None:
        return self.store.first_seen(issuer, jti)

    def record(self, issuer: str, jti: str, keep_until: float) -> float | None:
        return self.store.record(issuer, jti, keep_until)
