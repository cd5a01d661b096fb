"""PTB's transport to the Bot API on aiohttp instead of httpx.

At a few hundred updates per second the bot's one event-loop thread spent two thirds of its time
inside httpx/httpcore, whose pool walks every connection (and polls its socket) on each request;
aiohttp parses HTTP in C and hands out pooled connections in constant time. Requests are sent as
PTB's own ``HTTPXRequest`` sends them (form fields, multipart when there are files), so any Bot API
server — Telegram's, a self-hosted one, the tests' fake — sees the same thing. Replies are parsed
with orjson.

Only PTB's public interface is used (``telegram.request.BaseRequest`` and ``RequestData``): a
timeout not given comes as ``BaseRequest.DEFAULT_NONE`` (PTB's sentinel, whose class is private),
so anything that is neither a number nor None means "this transport's default".
"""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """One aiohttp session (created in ``initialize``, inside the running loop) with a bounded pool.

    Timeouts mean what they mean for ``HTTPXRequest``: ``pool_timeout`` bounds the wait for a free
    connection, ``media_write_timeout`` replaces ``write_timeout`` for uploads (aiohttp has no
    write timeout of its own: a request's whole time is bounded by pool + connect + write + read).
    """

    def __init__(
        self,
        connection_pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, enable_cleanup_closed=False)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}, raise_for_status=False
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    @staticmethod
    def parse_json_payload(payload: bytes) -> Any:
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError:
            # Invalid UTF-8 or JSON: PTB's own parser replaces bad bytes and raises TelegramError.
            return BaseRequest.parse_json_payload(payload)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        data: aiohttp.FormData | dict[str, str] | None = fields
        if files:
            data = aiohttp.FormData(fields or {})
            for name, (filename, content, mimetype) in files.items():
                data.add_field(name, content, filename=filename, content_type=mimetype)

        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, self._media_write_timeout if files else self._write_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        parts = (pool, connect, write, read)
        total = None if any(part is None for part in parts) else sum(part or 0.0 for part in parts)
        timeout = aiohttp.ClientTimeout(
            total=total,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


def _given(timeout: object, default: float | None) -> float | None:
    """A timeout as given (None: no limit), or ``default`` when PTB passed its "not given" sentinel."""
    if timeout is None or (isinstance(timeout, (int, float)) and not isinstance(timeout, bool)):
        return timeout
    return default
