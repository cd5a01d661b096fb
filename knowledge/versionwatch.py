"""Telling a bot process that the catalogue version, or the everyday names admins added, changed, so
it can rebuild its own search index.

Several bot processes share one database, each with its own index. A reload commits a new current
``CatalogueVersion`` and, on PostgreSQL, a ``NOTIFY`` on :data:`CHANNEL` in the same transaction
(delivered only if it commits). A :class:`VersionWatcher` LISTENs for it and, in any case, polls the
current version every ``poll_interval`` seconds: a notification is only a hint to look now, the
version row is the truth. That covers SQLite (no notifications), a dropped LISTEN connection, and
notifications meant for another schema in the same database.

The everyday names admins add (knowledge.everyday.add_phrase) change what the index holds without a
new version: the watcher compares their stamp too on each look, and calls back when it changes.

Nothing here knows about the search index: the watcher calls ``on_change(version_id)``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from knowledge.everyday import phrases_stamp
from knowledge.models import CatalogueVersion

CHANNEL = "tthc_catalogue"
log = logging.getLogger(__name__)


def watched_state(engine: Engine) -> tuple[int | None, str]:
    """The current version and the stamp of the added everyday names, read together."""
    with Session(engine) as session:
        version = session.scalar(select(CatalogueVersion.id).where(CatalogueVersion.is_current.is_(True)))
        return version, phrases_stamp(session)


def announce(session: Session, version_id: int) -> None:
    """Queue a notification of the new version; PostgreSQL sends it when the transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": str(version_id)}
        )


class VersionWatcher:
    """A daemon thread that calls ``on_change(version_id)`` whenever the current version (or the
    added everyday names) changes.

    The version seen at :meth:`start` is the baseline: the callback runs only for later changes.
    The callback runs in the watcher's thread; an exception in it is logged and the version is
    looked at again on the next round, so a failed index rebuild is retried.
    """

    def __init__(
        self,
        engine: Engine,
        on_change: Callable[[int | None], object],
        *,
        poll_interval: float = 10.0,
        listen: bool = True,
    ) -> None:
        self.engine = engine
        self.on_change = on_change
        self.poll_interval = poll_interval
        self.listen = listen and engine.dialect.name == "postgresql"
        self.seen: int | None = None
        self.seen_phrases = ""  # phrases_stamp: none added
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Look at the current version now; call the callback if it changed. True if it changed."""
        version, phrases = watched_state(self.engine)
        if (version, phrases) == (self.seen, self.seen_phrases):
            return False
        try:
            self.on_change(version)
        except Exception:
            log.exception("catalogue version %s: this process could not follow the change", version)
            return False
        self.seen, self.seen_phrases = version, phrases
        return True

    def start(self) -> None:
        self.seen, self.seen_phrases = watched_state(self.engine)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="catalogue-version-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.listen:
                    self._listen()
                else:
                    self.check()
                    self._stop.wait(self.poll_interval)
            except Exception:
                log.exception("catalogue version watch failed; retrying in %ss", self.poll_interval)
                self._stop.wait(self.poll_interval)

    def _listen(self) -> None:
        """LISTEN on a connection of its own; wake at least every half second to notice stop()."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"LISTEN {CHANNEL}")
            driver = conn.connection.driver_connection
            assert driver is not None
            self.check()  # anything committed before LISTEN took effect
            next_poll = time.monotonic() + self.poll_interval
            while not self._stop.is_set():
                notified = any(True for _ in driver.notifies(timeout=0.5, stop_after=1))
                if notified or time.monotonic() >= next_poll:
                    self.check()
                    next_poll = time.monotonic() + self.poll_interval
