"""The services every handler reaches through ``context.bot_data``: the store, search, the dialogue,
and :func:`answer_in_thread`, which runs a citizen's request off the event loop within a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from telegram.ext import ContextTypes

from bot.dialogue import Dialogue
from index.service import SearchService
from knowledge.db import private_folder
from knowledge.settings import Settings
from knowledge.store import Store, open_store
from knowledge.versionwatch import VersionWatcher

SERVICES_KEY = "services"
# A reply waits for the database at most TTHC_DB_TIMEOUT plus this: the database's own timeouts
# answer first; this catches a database that does not answer at all (a hung server).
DEADLINE_MARGIN = 2.0
T = TypeVar("T")


class Busy(TimeoutError):
    """The request did not finish within its deadline: the citizen is told the system is busy."""


@dataclass
class Services:
    store: Store
    search: SearchService
    dialogue: Dialogue
    watcher: VersionWatcher | None = None  # follows a reload made by any bot process

    def close(self) -> None:
        """Stop following the catalogue, write the rest of the query log, close the database."""
        if self.watcher is not None:
            self.watcher.stop()
        self.dialogue.close()
        self.store.close()


def open_services(settings: Settings) -> Services:
    """Open the database (loading the bundled data on first use) and the search index (built if stale)."""
    private_folder(settings.data_dir)  # the index and, by default, the SQLite file: owner only
    store = open_store(settings, serving=True)
    search = SearchService(store.sessions, settings.index_dir)
    search.ensure_index()
    # underthesea loads its segmenter on first use, and two worker threads doing that at once break
    # it: one query here loads it before any handler runs (and spares the first user the wait).
    search.search("làm giấy khai sinh")
    dialogue = Dialogue(store.sessions, search)
    # A new version rebuilds the index and starts the dialogue's caches afresh.
    watcher = VersionWatcher(store.engine, lambda _version: dialogue.follow_catalogue())
    watcher.start()
    return Services(store, search, dialogue, watcher)


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    services = context.bot_data.get(SERVICES_KEY)
    if not isinstance(services, Services):
        raise RuntimeError("services are not open: build the bot with bot.app.build_application")
    return services


async def answer_in_thread(context: ContextTypes.DEFAULT_TYPE, work: Callable[[], T]) -> T:
    """``work`` (a dialogue step: the database and the search) in a worker thread, given at most
    ``TTHC_DB_TIMEOUT`` + ``DEADLINE_MARGIN`` seconds; past that, Busy (answered "hệ thống đang bận").

    The thread itself cannot be stopped: it finishes, or fails, when the database answers; its result
    is then dropped. Only for steps that change nothing an admin waits for (not a reload).
    """
    deadline = services_of(context).store.settings.db_timeout + DEADLINE_MARGIN
    try:
        return await asyncio.wait_for(asyncio.to_thread(work), deadline)
    except TimeoutError as exc:
        raise Busy(f"no answer within {deadline:g} s") from exc
