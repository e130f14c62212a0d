"""Which store a process opens: TinyDB files under the data directory, or PostgreSQL given a URL."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .repository import Repository
from .tinydb_repo import TinyRepository

__all__ = ["DEFAULT_POOL_SIZE", "Store", "StoreUnavailable", "open_repository", "pool_options", "redact_url"]

DEFAULT_POOL_SIZE = 8
_POOL_KEYS = ("pool_min", "pool_max")


class StoreUnavailable(RuntimeError):
    """The configured database cannot be used (driver missing, unreachable, schema not this release's)."""


class Store(Repository, Protocol):
    """A repository a process opens once and closes at shutdown."""

    def close(self) -> None: ...


def redact_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def pool_options(url: str) -> tuple[str, int, int]:
    """Split itabot's own `pool_min`/`pool_max` query options off a libpq URL (libpq rejects them)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    ours = {k: v for k, v in query if k in _POOL_KEYS}
    rest = [(k, v) for k, v in query if k not in _POOL_KEYS]
    conninfo = urlunsplit(parts._replace(query=urlencode(rest))) if ours else url
    try:
        max_size = int(ours.get("pool_max", DEFAULT_POOL_SIZE))
        min_size = int(ours.get("pool_min", 1))
    except ValueError as exc:
        raise StoreUnavailable(f"pool_min/pool_max ต้องเป็นตัวเลข / must be numbers: {redact_url(url)}") from exc
    if not 1 <= min_size <= max_size:
        raise StoreUnavailable(f"ต้องเป็น 1 ≤ pool_min ≤ pool_max / need 1 ≤ pool_min ≤ pool_max: {redact_url(url)}")
    return conninfo, min_size, max_size


def open_repository(data_dir: str | Path | None, database_url: str | None = None) -> Store:
    """PostgreSQL when a URL is given (ITABOT_DATABASE_URL), else TinyDB under data_dir (None: memory)."""
    if not database_url:
        return TinyRepository(data_dir)
    if not database_url.startswith(("postgresql://", "postgres://")):
        raise StoreUnavailable(
            f"ITABOT_DATABASE_URL ต้องขึ้นต้นด้วย postgresql:// / must start with postgresql://: {redact_url(database_url)}"
        )
    try:
        from .pg_repo import PgRepository  # psycopg is the optional `postgres` extra
    except ImportError as exc:
        raise StoreUnavailable(
            "ไม่ได้ติดตั้งไดรเวอร์ PostgreSQL / the PostgreSQL driver is missing: pip install 'itabot[postgres]'"
        ) from exc
    conninfo, min_size, max_size = pool_options(database_url)
    repo = PgRepository.open(conninfo, min_size=min_size, max_size=max_size)
    repo.data_dir = Path(data_dir) if data_dir is not None else None  # files beside the database: reminders.toml
    return repo
