"""The store an entry point opens: PostgreSQL when ITABOT_DATABASE_URL is set, else TinyDB files."""

from __future__ import annotations

import argparse
import os
from contextlib import ExitStack
from pathlib import Path

from storage.factory import Store, open_repository

from .config import load_settings

__all__ = ["DATABASE_URL_ENV", "database_url", "open_store"]

DATABASE_URL_ENV = "ITABOT_DATABASE_URL"


def database_url(arg: str | None = None) -> str:
    """--database-url when given, else ITABOT_DATABASE_URL (the environment, or .env as `itabot run` reads it)."""
    load_settings()
    return arg or os.environ.get(DATABASE_URL_ENV, "")


def open_store(data_dir: Path | None, args: argparse.Namespace | None = None) -> Store:
    """The repository CLI commands work on: the same store `itabot run` serves from; closed when `args`' command ends."""
    repo = open_repository(data_dir, database_url())
    closing = getattr(args, "closing", None)
    if isinstance(closing, ExitStack):
        closing.callback(repo.close)  # a PostgreSQL pool left open would warn and hold connections until exit
    return repo
