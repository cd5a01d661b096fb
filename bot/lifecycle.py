"""Running an Application whose updates come from elsewhere than its own Updater."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from telegram.ext import Application


@contextlib.asynccontextmanager
async def running(app: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    """The Application started — initialised, ``post_init`` run (services opened), started — for
    updates put into its queue from elsewhere (a webhook, a front process); then stopped, letting
    the updates already queued finish, and shut down, PTB's ``run_*`` sequence both ways."""
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        try:
            yield
        finally:
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
