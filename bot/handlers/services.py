"""The services every handler reaches through ``context.bot_data``: the store, search, the dialogue."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import ContextTypes

from bot.dialogue import Dialogue
from index.service import SearchService
from knowledge.settings import Settings
from knowledge.store import Store, open_store
from knowledge.versionwatch import VersionWatcher

SERVICES_KEY = "services"


@dataclass
class Services:
    store: Store
    search: SearchService
    dialogue: Dialogue
    watcher: VersionWatcher | None = None  # follows a reload made by any worker

    def close(self) -> None:
        """Stop following the catalogue, write the rest of the query log, close the database."""
        if self.watcher is not None:
            self.watcher.stop()
        self.dialogue.close()
        self.store.close()


def open_services(settings: Settings) -> Services:
    """Open the database (loading the bundled data on first use) and the search index (built if stale)."""
    store = open_store(settings)
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
