"""System tools some tests need: skipped with the reason on a bare machine, required under CI."""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ["BACKENDS", "BACKEND_ENV", "clean_env", "require_tool", "suite_backend", "tools_required"]


def tools_required() -> bool:
    """`.ci/run` sets ITABOT_REQUIRE_TOOLS=1: there a missing tool fails the test instead of skipping it."""
    return os.environ.get("ITABOT_REQUIRE_TOOLS", "") not in ("", "0")


def require_tool(*names: str, package: str) -> str:
    """The first of the named commands found on PATH; else skip (bare machine) or fail (CI)."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    reason = f"needs {' or '.join(names)} (Debian package {package}); .ci/run installs it"
    if tools_required():
        pytest.fail(reason + " but ITABOT_REQUIRE_TOOLS=1 and it is missing")
    pytest.skip(reason)


BACKEND_ENV = "ITABOT_TEST_BACKEND"
BACKENDS = ("tinydb", "postgresql")


def suite_backend() -> str:
    """The store the whole suite runs on: `make test-pg` sets ITABOT_TEST_BACKEND=postgresql."""
    chosen = os.environ.get(BACKEND_ENV, "") or "tinydb"
    if chosen not in BACKENDS:
        raise pytest.UsageError(f"{BACKEND_ENV}={chosen!r}: choose one of {', '.join(BACKENDS)}")
    return chosen


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without platform tokens or itabot settings — but keeping the suite's database URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "LINE_", "ITABOT_"))}
    if os.environ.get("ITABOT_DATABASE_URL"):
        env["ITABOT_DATABASE_URL"] = os.environ["ITABOT_DATABASE_URL"]
    return {**env, **extra}
