"""A throwaway PostgreSQL cluster for tests: initdb in a temp dir, a unix socket there, no TCP, no Docker.

Started once per test session with one migrated database; each test gets it emptied (DELETE takes
milliseconds, CREATE DATABASE a second). Tests of the schema itself ask for a new, empty database.
PostgreSQL refuses to run as root, so under root (CI) the server runs as `nobody` through setpriv.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.tools import tools_required

__all__ = ["RUNNING", "PgCluster", "pg_bin_dir", "pg_bin_dir_or_none", "pg_cluster", "pg_empty_url", "pg_url", "start_cluster"]

SHARED = "itabot_test"
_SUPERUSER = "itabot"


def pg_bin_dir_or_none() -> Path | None:
    """Where initdb/pg_ctl are: on PATH, else Debian's /usr/lib/postgresql/<version>/bin; None on a bare machine."""
    if os.environ.get("ITABOT_TEST_NO_PG"):  # lets a developer see what a machine without PostgreSQL does
        return None
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return debian[-1].parent if debian else None


def pg_bin_dir() -> Path:
    """Where initdb/pg_ctl are; else skip (bare machine) or fail (ITABOT_REQUIRE_TOOLS=1)."""
    found = pg_bin_dir_or_none()
    if found is not None:
        return found
    reason = "needs initdb (Debian package postgresql); .ci/run installs it"
    if tools_required():
        pytest.fail(reason + " but ITABOT_REQUIRE_TOOLS=1 and it is missing")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgCluster:
    """A running server: its directory (data, log, socket) and port, owned by `owner` when we are root."""

    root: Path
    bin_dir: Path
    port: int
    owner: pwd.struct_passwd | None
    _names: Iterator[int] = field(default_factory=itertools.count)
    _admin: Any = None  # one autocommit connection that empties the shared database between tests
    _wipe: bytes = b""

    def _cmd(self, *args: str) -> list[str]:
        if self.owner is None:
            return list(args)
        drop = ["setpriv", f"--reuid={self.owner.pw_uid}", f"--regid={self.owner.pw_gid}", "--clear-groups", "--"]
        return [*drop, *args]

    def run(self, tool: str, *args: str) -> None:
        """Run a server tool as the cluster's owner; its output lands in the failure message."""
        env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
        proc = subprocess.run(
            self._cmd(str(self.bin_dir / tool), *args), capture_output=True, text=True, env=env, cwd=self.root
        )
        if proc.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace") if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"{tool} failed ({proc.returncode}): {proc.stdout}{proc.stderr}\n{log[-3000:]}")

    def url(self, dbname: str = "postgres") -> str:
        """A libpq URL to one database over the cluster's unix socket."""
        return f"postgresql://{_SUPERUSER}@/{dbname}?host={self.root}&port={self.port}"

    def admin(self, sql: str) -> None:
        """Run one statement (CREATE/DROP DATABASE) on the maintenance database."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.encode())

    def new_database(self) -> str:
        """A new, empty database (no schema): for tests of migrations."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self.admin(f'CREATE DATABASE "{name}"')
        return name

    def emptied(self) -> str:
        """The shared migrated database with every table emptied (the schema version kept)."""
        import psycopg

        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(self.url(SHARED), autocommit=True)
            tables = [r[0] for r in self._admin.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'itabot_schema'"
            )]  # DELETE on a few rows beats TRUNCATE's new files; one round trip for all tables
            self._wipe = "".join(f'DELETE FROM "{table}";' for table in tables).encode()
        try:
            self._admin.execute(self._wipe)
        except psycopg.OperationalError:  # a test terminated our connection: once more on a new one
            self._admin.close()
            return self.emptied()
        return self.url(SHARED)

    def end_other_sessions(self) -> int:
        """Disconnect every client of the shared database but ours (a killed worker's, a leaked pool's)."""
        if self._admin is None or self._admin.closed:
            return 0
        rows = self._admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (SHARED,),
        ).fetchall()
        return len(rows)

    def drop_database(self, name: str) -> None:
        """Drop a test's database (closing leftover connections)."""
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        if self._admin is not None:
            self._admin.close()
        try:
            self.run("pg_ctl", "stop", "-D", str(self.root / "data"), "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> PgCluster:
    """initdb + pg_ctl start in a new temp dir, with the shared database migrated to this release."""
    bin_dir = pg_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="itabot-pg-"))
    owner = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    cluster = PgCluster(root, bin_dir, _free_port(), owner)
    try:
        data = str(root / "data")
        cluster.run("initdb", "-D", data, "-U", _SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")
        options = (
            f"-p {cluster.port} -k {root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c shared_buffers=16MB -c max_connections=80"
        )
        cluster.run("pg_ctl", "start", "-D", data, "-l", str(root / "server.log"), "-o", options, "-w", "-t", "60")
        _make_shared(cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _make_shared(cluster: PgCluster) -> None:
    import psycopg

    from storage.pg_schema import migrate

    cluster.admin(f'CREATE DATABASE "{SHARED}"')
    with psycopg.connect(cluster.url(SHARED), autocommit=True) as conn:
        migrate(conn)


RUNNING: list[PgCluster] = []  # this process's server, for tests/factory.py `empty_store`


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One PostgreSQL server for the whole session (per xdist worker)."""
    cluster = start_cluster()
    RUNNING.append(cluster)
    try:
        yield cluster
    finally:
        RUNNING.remove(cluster)
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """A migrated database, empty, for one test."""
    return pg_cluster.emptied()


@pytest.fixture
def pg_empty_url(pg_cluster: PgCluster) -> Iterator[str]:
    """A new database with no schema at all (for migrations)."""
    name = pg_cluster.new_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)
