"""Shared fixtures: the session's throwaway PostgreSQL cluster (tests/pg.py) and the suite's store backend.

`ITABOT_TEST_BACKEND=postgresql` (or `pytest --backend postgresql`) runs the whole suite on PostgreSQL: every
test gets ITABOT_DATABASE_URL pointing at a migrated, emptied database, so the CLI, the runner and its worker
subprocesses use it, and tests/factory.py `open_store` hands out a PgRepository on it. Tests about one
backend's own files or SQL carry `@pytest.mark.backend("tinydb")` or `("postgresql")` and are deselected in
the other pass.

Modules whose tests never open a store (pure domain, words, calendars, adapters against fake servers) are
listed in STORE_FREE and run in the TinyDB pass only: the PostgreSQL pass would run them unchanged. The rule is
checked where they run: every repository constructor is watched for the whole session and, around each of their
tests (fixtures included), ITABOT_DATABASE_URL points at a database that does not exist; so a listed module
whose test opens a store, in this process or in an `itabot` subprocess, fails and must leave the list.
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

STORE_FREE_URL = "postgresql://store-free-test@/no-store?host=/nonexistent/store_free&connect_timeout=1"
STORE_FREE = frozenset({  # whole modules only: a module-scoped fixture's store is seen by the module's first test
    "test_architecture.py", "test_bounded.py", "test_catalogues.py", "test_evidence_rules.py", "test_fiscal.py",
    "test_inbox.py",
    "test_line_events.py", "test_review_rules.py", "test_telegram.py", "test_telegram_ratelimit.py",
    "test_telegram_request.py", "test_thai_repair.py", "test_web_limits.py", "test_words.py",
})
_OPENED: list[str] = []  # stores opened since the current test's setup began


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
    _watch_stores()


def _watch_stores() -> None:
    """Note every repository opened in this process (for the STORE_FREE check)."""
    from storage.tinydb_repo import TinyRepository

    try:
        from storage.pg_repo import PgRepository
    except ImportError:  # psycopg missing: only TinyDB can be opened
        PgRepository = None  # type: ignore[assignment,misc]  # noqa: N806
    for cls in (TinyRepository, PgRepository):
        if cls is None:
            continue
        original = cls.__init__

        def watched(self: Any, *args: Any, _original: Any = original, _name: str = cls.__name__, **kwargs: Any) -> None:
            _OPENED.append(_name)
            _original(self, *args, **kwargs)

        cls.__init__ = watched  # type: ignore[method-assign]
    if PgRepository is None:
        return
    pg_open = PgRepository.open.__func__  # type: ignore[attr-defined]

    def watched_open(cls: Any, *args: Any, **kwargs: Any) -> Any:
        _OPENED.append("PgRepository")  # before connecting: the poisoned URL never gets as far as __init__
        return pg_open(cls, *args, **kwargs)

    PgRepository.open = classmethod(watched_open)  # type: ignore[method-assign,assignment]


def store_free(item: pytest.Item) -> bool:
    """The test's module is in STORE_FREE."""
    return item.path.name in STORE_FREE


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """From before the item's first fixture: count opened stores and, for STORE_FREE, poison the database URL."""
    _OPENED.clear()
    if store_free(item):
        os.environ["ITABOT_DATABASE_URL"] = STORE_FREE_URL
    yield


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield
    if store_free(item) and os.environ.get("ITABOT_DATABASE_URL") == STORE_FREE_URL:
        del os.environ["ITABOT_DATABASE_URL"]


def pytest_report_header(config: pytest.Config) -> str:
    return f"store backend: {suite_backend()} (${BACKEND_ENV} or --backend)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (not skip) the tests that belong to the other backend."""
    backend = suite_backend()
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        names = {m.args[0] for m in item.iter_markers("backend")}
        unknown = names - set(BACKENDS)
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: unknown backend marker {sorted(unknown)}")
        if backend == "postgresql" and store_free(item):
            names = names or {"tinydb"}  # the same test with the same result: once is enough
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
    if store_free(request.node):
        monkeypatch.setenv("ITABOT_DATABASE_URL", STORE_FREE_URL)
        yield "none"
        if _OPENED:
            pytest.fail(f"{request.node.nodeid} opened a store ({', '.join(sorted(set(_OPENED)))}) but its module is "
                        "in STORE_FREE (tests/conftest.py), which runs it in the TinyDB pass only: take it off the list")
        return
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

