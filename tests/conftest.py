"""Shared fixtures: the session's throwaway PostgreSQL cluster (tests/pg.py) and the suite's store backend.

`ITABOT_TEST_BACKEND=postgresql` (or `pytest --backend postgresql`) runs the whole suite on PostgreSQL: every
test gets ITABOT_DATABASE_URL pointing at a migrated, emptied database, so the CLI, the runner and its worker
subprocesses use it, and tests/factory.py `open_store` hands out a PgRepository on it. Tests about one
backend's own files or SQL carry `@pytest.mark.backend("tinydb")` or `("postgresql")` and are deselected in
the other pass.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from tests.pg import pg_bin_dir_or_none, pg_cluster, pg_empty_url, pg_url
from tests.tools import BACKEND_ENV, BACKENDS, suite_backend, tools_required

__all__ = ["pg_cluster", "pg_empty_url", "pg_url", "store_backend"]



class PoolLeftOpen(UserWarning):
    """The code under test opened a PostgreSQL pool and never closed it (the fixture closed it)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", choices=BACKENDS, default=None,
                     help=f"the store every test opens (default ${BACKEND_ENV}, else tinydb)")


def pytest_configure(config: pytest.Config) -> None:
    chosen = config.getoption("--backend")
    if chosen:  # the environment carries it to xdist workers and to subprocesses alike
        os.environ[BACKEND_ENV] = chosen
    config.addinivalue_line("markers", "backend(name): a test about one store's files or SQL; "
                                       "deselected when the suite runs on the other backend")


def pytest_report_header(config: pytest.Config) -> str:
    return f"store backend: {suite_backend()} (${BACKEND_ENV} or --backend)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (not skip) the tests that belong to the other backend."""
    backend = suite_backend()
    keep, drop = [], []
    for item in items:
        names = {m.args[0] for m in item.iter_markers("backend")}
        unknown = names - set(BACKENDS)
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: unknown backend marker {sorted(unknown)}")
        (drop if names and backend not in names else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    if backend == "postgresql" and pg_bin_dir_or_none() is None:  # a bare machine: the whole pass, one reason
        reason = "the PostgreSQL pass needs initdb (Debian package postgresql); .ci/run installs it"
        if tools_required():
            raise pytest.UsageError(reason + " but ITABOT_REQUIRE_TOOLS=1 and it is missing")
        for item in items:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def store_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the test's store at the suite's backend; on PostgreSQL, close every pool the test left open."""
    monkeypatch.delenv("ITABOT_DATABASE_URL", raising=False)
    if suite_backend() != "postgresql":
        yield "tinydb"
        return
    cluster = request.getfixturevalue("pg_cluster")
    monkeypatch.setenv("ITABOT_DATABASE_URL", cluster.emptied())
    from storage.pg_repo import PgRepository

    opened: list[Any] = []
    original = PgRepository.__init__

    def tracked(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(PgRepository, "__init__", tracked)
    yield "postgresql"
    left = [repo for repo in opened if not repo.pool.closed]
    if any(not getattr(repo, "test_owned", False) for repo in left):
        warnings.warn(PoolLeftOpen(f"{request.node.nodeid} left a PostgreSQL pool open"), stacklevel=1)
    for repo in left:
        repo.close()
    cluster.end_other_sessions()
