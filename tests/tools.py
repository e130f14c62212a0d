"""System tools some tests need: skipped with the reason on a bare machine, required under CI."""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ["require_tool", "tools_required"]


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
