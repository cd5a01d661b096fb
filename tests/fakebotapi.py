"""A fake Telegram Bot API server on 127.0.0.1, for end-to-end tests and the bot benchmark.

The bot under test is pointed at it with ``base_url`` and talks real HTTP to it. The server
serves getMe, getUpdates (long polling from a queue the test pushes updates into), sendMessage,
editMessageText, answerCallbackQuery, answerInlineQuery, sendPhoto and sendDocument (multipart),
setMyCommands, deleteWebhook and the other calls PTB makes while starting and stopping. It records
every call, keeps the messages it "sent" so a test can press their buttons, and answers unknown
methods with Telegram's 404 so an unexpected call fails loudly. ``fail`` makes the next calls of a
method fail as Telegram's do: refused (429 with ``retry_after``, 400 "query is too old"), or
carried out but answered too late for the bot's timeout.

Usage::

    async with FakeBotAPI() as api:
        app = build_application(..., base_url=api.base_url)
        user = api.user(42, "Lan")
        api.send_text(user, "/start")
        [reply] = await api.wait_for_messages(user, 1)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-TOKEN"
BOT_USERNAME = "tthc_test_bot"
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "from_chat_id"}
_REPLIES = {"sendMessage", "editMessageText", "sendPhoto", "sendDocument"}
_METHOD_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


@dataclass(frozen=True)
class UploadedFile:
    filename: str | None
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Failure:
    """How one call of a method fails: an error answer (not carried out), or a late answer."""

    error_code: int = 429
    description: str = "Too Many Requests: retry after 1"
    retry_after: int | None = None
    late: float = 0.0  # > 0: the call is carried out, and answered after this many seconds


@dataclass(frozen=True)
class Call:
    """One request the bot made: the method, its decoded parameters and any uploaded files."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    at: float = 0.0  # time.perf_counter() when the server received it
    result: Any = None  # what the server answered

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        markup = self.params.get("reply_markup") or {}
        return list(markup.get("inline_keyboard", []))

    def button_labels(self) -> list[str]:
        return [button["text"] for row in self.buttons for button in row]

    def button(self, label_part: str) -> dict[str, Any]:
        """The first button whose label contains ``label_part``."""
        for row in self.buttons:
            for button in row:
                if label_part in button["text"]:
                    return dict(button)
        raise LookupError(f"no button containing {label_part!r} in {self.button_labels()!r}")


def _decode(name: str, value: str) -> Any:
    if value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if name in _INT_FIELDS and value.lstrip("-").isdigit():
        return int(value)
    if value in ("true", "false"):
        return value == "true"
    return value


class FakeBotAPI:
    """The fake server; start it with ``async with`` (or ``start``/``stop``)."""

    def __init__(self, token: str = TOKEN, username: str = BOT_USERNAME) -> None:
        self.token = token
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Trợ lý TTHC",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self.calls: list[Call] = []
        self._by_method: dict[str, list[Call]] = defaultdict(list)  # indexes, so waiting stays cheap
        self._by_chat: dict[int, list[Call]] = defaultdict(list)  # replies (messages, edits) per chat
        self.user_files: dict[str, bytes] = {}  # documents users sent, by file_id (see send_document)
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}  # what the bot sent, by chat and id
        self.pushed_at: dict[int, float] = {}  # update_id -> time.perf_counter() when pushed
        self.polls: list[dict[str, Any]] = []  # the parameters of each getUpdates call, in order
        self.refused: list[Call] = []  # calls answered with an error by ``fail``
        self._failures: dict[str, list[Failure]] = defaultdict(list)
        self._pending: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._new_update = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._handlers: dict[str, Callable[[dict[str, Any], dict[str, UploadedFile]], Any]] = {
            "getMe": lambda _p, _f: self.bot_user,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "getFile": self._get_file,
            "answerCallbackQuery": lambda _p, _f: True,
            "answerInlineQuery": lambda _p, _f: True,
            "setMyCommands": lambda _p, _f: True,
            "deleteMyCommands": lambda _p, _f: True,
            "deleteWebhook": lambda _p, _f: True,
            "setWebhook": lambda _p, _f: True,
            "sendChatAction": lambda _p, _f: True,
            "close": lambda _p, _f: True,
            "logOut": lambda _p, _f: True,
        }

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to pass as PTB's ``base_url`` (the token is appended by PTB)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/{path}", self._download)
        app.router.add_post("/_control/push", self._control_push)
        app.router.add_get("/_control/counts", self._control_counts)
        app.router.add_get("/_control/timings", self._control_timings)
        app.router.add_get("/_control/replies", self._control_replies)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._closing = True
        self._new_update.set()  # release a pending long poll
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    # --- the HTTP side -----------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params: dict[str, Any] = {name: _decode(name, value) for name, value in request.query.items()}
        files: dict[str, UploadedFile] = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                for name, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        files[name] = UploadedFile(value.filename, value.content_type, value.file.read())
                    else:
                        params[name] = _decode(name, str(value))
        if method == "getUpdates":
            async with self._changed:
                self.polls.append(params)
                self._changed.notify_all()
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        received = time.perf_counter()
        failure = self._failures[method].pop(0) if self._failures.get(method) else None
        if failure is not None and not failure.late:
            self.refused.append(Call(method, params, files, received))
            error: dict[str, Any] = {
                "ok": False,
                "error_code": failure.error_code,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                error["parameters"] = {"retry_after": failure.retry_after}
            return web.json_response(error, status=failure.error_code)
        handler = self._handlers.get(method)
        result = handler(params, files) if handler is not None else None
        await self._record(Call(method, params, files, received, result))
        if handler is None:
            return web.json_response(_METHOD_NOT_FOUND, status=404)
        if failure is not None:
            await asyncio.sleep(failure.late)
        return web.json_response({"ok": True, "result": result})

    def fail(self, method: str, *failures: Failure) -> None:
        """The next calls of ``method`` fail, one per ``Failure``, in order; later ones succeed."""
        self._failures[method].extend(failures)

    # --- the control API: driving a server that runs in another process (the benchmark) -------

    async def _control_push(self, request: web.Request) -> web.Response:
        """Queue the updates in the JSON body (a list); answers their update ids."""
        return web.json_response([self.push(update) for update in await request.json()])

    async def _control_counts(self, _request: web.Request) -> web.Response:
        return web.json_response({method: len(calls) for method, calls in self._by_method.items()})

    async def _control_timings(self, _request: web.Request) -> web.Response:
        """When each update was queued, and when each chat got its first reply (perf_counter)."""
        first = {str(chat): calls[0].at for chat, calls in self._by_chat.items() if calls}
        return web.json_response(
            {"pushed": {str(k): v for k, v in self.pushed_at.items()}, "first_reply": first}
        )

    async def _control_replies(self, request: web.Request) -> web.Response:
        """When each chat got the replies whose text holds ``?containing=`` (perf_counter times)."""
        wanted = request.query.get("containing", "")
        return web.json_response(
            {
                str(chat): [call.at for call in calls if wanted in call.text]
                for chat, calls in self._by_chat.items()
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        """A file a user sent, as Telegram's file server serves it (``getFile`` gives the path)."""
        content = self.user_files.get(request.match_info["path"])
        if request.match_info["token"] != self.token or content is None:
            return web.Response(status=404)
        return web.Response(body=content)

    def _get_file(self, params: dict[str, Any], _files: dict[str, UploadedFile]) -> dict[str, Any]:
        file_id = str(params["file_id"])
        content = self.user_files[file_id]
        size = len(content)
        return {"file_id": file_id, "file_unique_id": file_id, "file_size": size, "file_path": file_id}

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._by_method[call.method].append(call)
            if call.method in _REPLIES and call.chat_id is not None:
                self._by_chat[call.chat_id].append(call)
            self._changed.notify_all()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        if offset:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if not self._pending and timeout > 0 and not self._closing:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        return self._pending[:limit]

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": self.bot_user,
            **content,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _send_message(self, params: dict[str, Any], _files: dict[str, UploadedFile]) -> dict[str, Any]:
        return self._message(params, text=params["text"])

    def _edit_message_text(self, params: dict[str, Any], _files: dict[str, UploadedFile]) -> Any:
        if "inline_message_id" in params:
            return True
        message = self.messages[(int(params["chat_id"]), int(params["message_id"]))]
        message["text"] = params["text"]
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        message["edit_date"] = int(time.time())
        return message

    def _edit_reply_markup(self, params: dict[str, Any], _files: dict[str, UploadedFile]) -> Any:
        message = self.messages[(int(params["chat_id"]), int(params["message_id"]))]
        message["reply_markup"] = params.get("reply_markup") or {"inline_keyboard": []}
        return message

    def _file(self, upload: UploadedFile | None) -> dict[str, Any]:
        number = next(self._file_ids)
        return {
            "file_id": f"file-{number}",
            "file_unique_id": f"unique-{number}",
            "file_size": len(upload.content) if upload else 0,
        }

    def _send_photo(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        photo = {**self._file(files.get("photo")), "width": 800, "height": 600}
        return self._message(params, photo=[photo], caption=params.get("caption"))

    def _send_document(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        upload = files.get("document")
        document = {
            **self._file(upload),
            "file_name": upload.filename if upload else None,
            "mime_type": upload.content_type if upload else None,
        }
        return self._message(params, document=document, caption=params.get("caption"))

    # --- the user's side: pushing updates ----------------------------------------------------

    @staticmethod
    def user(user_id: int, first_name: str = "Lan", username: str | None = None) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "vi",
        }
        if username:
            user["username"] = username
        return user

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update (an ``update_id`` is assigned) for the bot's next getUpdates."""
        update_id = next(self._update_ids)
        self._pending.append({"update_id": update_id, **update})
        self.pushed_at[update_id] = time.perf_counter()
        self._new_update.set()
        return update_id

    def send_text(self, user: dict[str, Any], text: str) -> int:
        """The user writes ``text`` in their private chat with the bot (commands get their entity)."""
        return self.push(text_update(user, text, next(self._message_ids)))

    def send_document(self, user: dict[str, Any], filename: str, content: bytes, caption: str = "") -> int:
        """The user sends a file in their private chat (the bot fetches it with getFile)."""
        file_id = f"user-file-{next(self._file_ids)}"
        self.user_files[file_id] = content
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
            "from": user,
            "document": {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_name": filename,
                "file_size": len(content),
            },
        }
        if caption:
            message["caption"] = caption
        return self.push({"message": message})

    def press(self, user: dict[str, Any], message: Call | dict[str, Any], label_part: str) -> int:
        """The user presses the button whose label contains ``label_part`` under a bot message."""
        stored = self._stored(message)
        button = Call("sent", {"reply_markup": stored.get("reply_markup")}).button(label_part)
        return self.press_data(user, stored, button["callback_data"])

    def press_data(self, user: dict[str, Any], message: Call | dict[str, Any], data: str) -> int:
        return self.push(callback_update(user, self._stored(message), data, next(self._query_ids)))

    def inline_query(self, user: dict[str, Any], query: str) -> int:
        inline = {"id": str(next(self._query_ids)), "from": user, "query": query, "offset": ""}
        return self.push({"inline_query": inline})

    def _stored(self, message: Call | dict[str, Any]) -> dict[str, Any]:
        """The current state of a message the bot sent, from the call that sent it or the message."""
        if isinstance(message, Call):
            if not isinstance(message.result, dict):
                raise LookupError(f"{message.method} did not send a message")
            message = message.result
        key = (int(message["chat"]["id"]), int(message["message_id"]))
        return self.messages.get(key, message)  # a message from before the server started is taken as given

    # --- assertions ----------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return list(self._by_method.get(method, []))

    def count(self, *methods: str) -> int:
        return sum(len(self._by_method.get(method, [])) for method in methods)

    def sent_to(self, user: dict[str, Any]) -> list[Call]:
        """Every message sent or edited in the user's chat, in order."""
        return list(self._by_chat.get(user["id"], []))

    def replies_in(self, user: dict[str, Any]) -> int:
        return len(self._by_chat.get(user["id"], []))

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def wait_for_calls(self, method: str, count: int, timeout: float = 10.0) -> list[Call]:
        """Wait until at least ``count`` calls of ``method`` were made in all; returns them all."""
        await self.wait_until(lambda: self.count(method) >= count, timeout)
        return self.calls_to(method)

    async def expect(
        self, user: dict[str, Any], push: Callable[[], object], replies: int = 1, timeout: float = 10.0
    ) -> list[Call]:
        """Run ``push`` (which queues an update); returns the next ``replies`` messages or edits
        in the user's chat."""
        before = self.replies_in(user)
        push()
        await self.wait_until(lambda: self.replies_in(user) >= before + replies, timeout)
        return self.sent_to(user)[before : before + replies]

    async def say(
        self, user: dict[str, Any], text: str, replies: int = 1, timeout: float = 10.0
    ) -> list[Call]:
        """The user writes ``text``; returns the next ``replies`` messages (or edits) in their chat."""
        return await self.expect(user, lambda: self.send_text(user, text), replies, timeout)

    async def tap(
        self,
        user: dict[str, Any],
        message: Call | dict[str, Any],
        label_part: str,
        replies: int = 1,
        timeout: float = 10.0,
    ) -> list[Call]:
        """The user presses a button; returns the next ``replies`` messages (or edits) in their chat."""
        return await self.expect(user, lambda: self.press(user, message, label_part), replies, timeout)


def text_update(user: dict[str, Any], text: str, message_id: int) -> dict[str, Any]:
    """An update (without its id) in which ``user`` writes ``text`` to the bot in private."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"message": message}


def callback_update(
    user: dict[str, Any], message: dict[str, Any], data: str, query_id: int
) -> dict[str, Any]:
    """An update (without its id) in which ``user`` presses a button with ``data`` under ``message``."""
    query = {
        "id": str(query_id),
        "from": user,
        "chat_instance": f"chat-{user['id']}",
        "message": message,
        "data": data,
    }
    return {"callback_query": query}


async def _serve() -> None:
    async with FakeBotAPI() as api:
        print(api.port, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()


if __name__ == "__main__":
    # Standalone, for the benchmark: prints the port, serves until SIGINT/SIGTERM.
    asyncio.run(_serve())
