"""Settings read from the environment (and a `.env` file in the working directory)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Transport = Literal["aiohttp", "httpx"]  # TTHC_TRANSPORT: the bot's aiohttp one, or PTB's HTTPXRequest


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), alias="TTHC_DATA_DIR")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    telegram_bot_token: str | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str | None = Field(default=None, alias="TELEGRAM_API_BASE_URL")
    webhook_url: str | None = Field(default=None, alias="WEBHOOK_URL")
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list, alias="TTHC_ADMIN_IDS")
    # The webhook server (when WEBHOOK_URL is set) serves updates and /healthz on this address.
    webhook_listen: str = Field(default="0.0.0.0", alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8443, alias="WEBHOOK_PORT")
    # How the bot talks to the Bot API: its aiohttp transport (bot/request.py), or PTB's stock
    # HTTPXRequest, kept one setting away should the other ever misbehave.
    transport: Transport = Field(default="aiohttp", alias="TTHC_TRANSPORT")
    # PTB's AIORateLimiter keeps sending within Telegram's limits; off only for a Bot API server
    # without them (a load test against a local fake).
    telegram_rate_limit: bool = Field(default=True, alias="TELEGRAM_RATE_LIMIT")
    # Failures are reported to this chat, else to every admin; throttled per error and per hour.
    error_chat_id: int | None = Field(default=None, alias="TTHC_ERROR_CHAT_ID")
    error_report_minutes: float = Field(default=30, gt=0, alias="TTHC_ERROR_REPORT_MINUTES")
    error_reports_per_hour: int = Field(default=10, ge=1, alias="TTHC_ERROR_REPORTS_PER_HOUR")
    # How long the bot waits for the database (a lock, a connection, a statement on PostgreSQL)
    # before it answers "busy"; a citizen's reply waits at most this plus a little.
    db_timeout: float = Field(default=5.0, gt=0, le=300, alias="TTHC_DB_TIMEOUT")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @property
    def db_url(self) -> str:
        """The database URL; a SQLite file inside the data dir unless DATABASE_URL is set."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tthc.sqlite3').resolve()}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def error_recipients(self) -> list[int]:
        """Where failure reports go: ``TTHC_ERROR_CHAT_ID`` when set, else every admin."""
        return [self.error_chat_id] if self.error_chat_id is not None else list(self.admin_ids)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
