"""Settings from the command line and the environment (a .env file is read too); secrets never in code."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from dotenv import load_dotenv

from storage.atomic import StartupError
from storage.clock import Clock, FixedClock, ShiftedClock, SystemClock

__all__ = ["Settings", "load_settings", "make_clock", "resolve_data_dir"]


def _number(env: os._Environ[str], name: str, default: float, whole: bool = True) -> float:
    """A numeric setting; a typo in the environment is one clear line at start, not a traceback."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        kind = "จำนวนเต็ม / a whole number" if whole else "ตัวเลข / a number"
        raise StartupError(f"{name}={raw!r} ต้องเป็น{kind}") from None
    if value < 0:
        raise StartupError(f"{name}={raw!r} ติดลบไม่ได้ / cannot be negative")
    return value


def resolve_data_dir(arg: str | None) -> Path:
    """--data-dir, else ITABOT_DATA_DIR, else ./data."""
    return Path(arg or os.environ.get("ITABOT_DATA_DIR") or "data").expanduser()


def make_clock(today: str | date | datetime | None) -> Clock:
    """--today YYYY-MM-DD pins the date (real time of day); --now (a datetime) pins the moment."""
    if today is None:
        return SystemClock()
    if isinstance(today, datetime):
        return FixedClock(today)
    day = today if isinstance(today, date) else date.fromisoformat(today)
    return ShiftedClock(day)


@dataclass(frozen=True)
class Settings:
    """Everything `itabot run` needs from the environment."""

    telegram_token: str = ""
    telegram_bot_username: str = ""
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_base_url: str = ""
    line_channel_secret: str = ""
    line_access_token: str = ""
    line_api_base_url: str = ""
    line_monthly_push_limit: int = 300
    public_base_url: str = ""
    link_secret: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    max_file_mb: int = 20
    link_check: bool = True  # evidence links checked in the background (ITABOT_LINK_CHECK=0: off)
    telegram_max_per_second: float = 30.0  # Telegram's bot-wide cap; several workers share it


def load_settings(env_file: str | None = ".env") -> Settings:
    """Read settings from the environment (after loading .env without overriding real variables)."""
    if env_file and Path(env_file).exists():
        load_dotenv(env_file, override=False)
    env = os.environ
    return Settings(
        telegram_token=env.get("TELEGRAM_BOT_TOKEN", ""),
        telegram_bot_username=env.get("TELEGRAM_BOT_USERNAME", "").lstrip("@"),
        telegram_webhook_url=env.get("TELEGRAM_WEBHOOK_URL", ""),
        telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", ""),
        telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL", ""),
        line_channel_secret=env.get("LINE_CHANNEL_SECRET", ""),
        line_access_token=env.get("LINE_CHANNEL_ACCESS_TOKEN", ""),
        line_api_base_url=env.get("LINE_API_BASE_URL", ""),
        line_monthly_push_limit=int(_number(env, "LINE_MONTHLY_PUSH_LIMIT", 300)),
        public_base_url=env.get("PUBLIC_BASE_URL", ""),
        link_secret=env.get("ITABOT_LINK_SECRET", ""),
        host=env.get("ITABOT_HOST", "127.0.0.1"),
        port=int(_number(env, "ITABOT_PORT", 8080)),
        max_file_mb=int(_number(env, "ITABOT_MAX_FILE_MB", 20)),
        link_check=env.get("ITABOT_LINK_CHECK", "1").strip().lower() not in ("0", "false", "no", "off"),
        telegram_max_per_second=_number(env, "ITABOT_TELEGRAM_MAX_PER_SECOND", 30, whole=False),
    )
