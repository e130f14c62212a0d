"""A throwaway, durable PostgreSQL server for benchmarks, and the benchmark workload loaded into it.

Unlike the test suite's cluster (fsync off, for speed), this one keeps PostgreSQL's defaults (fsync on,
synchronous_commit on): a benchmark compares durable stores with durable stores. It needs Debian's
`postgresql` package (initdb, pg_ctl); `available()` says whether it is there.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["available", "durable_cluster", "load_orgs", "new_database", "settle"]

_names = itertools.count()


def available() -> bool:
    """Are PostgreSQL's server tools installed (on PATH or in Debian's versioned directory)?"""
    return bool(shutil.which("initdb")) or any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


@contextmanager
def durable_cluster() -> Iterator[Any]:
    """initdb + pg_ctl start in a temp dir with default durability; stopped and removed afterwards."""
    from tests.pg import PgCluster, _free_port, pg_bin_dir

    root = Path(tempfile.mkdtemp(prefix="itabot-bench-pg-"))
    owner = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    cluster = PgCluster(root, pg_bin_dir(), _free_port(), owner)
    try:
        data = str(root / "data")
        cluster.run("initdb", "-D", data, "-U", "itabot", "--auth=trust", "-E", "UTF8", "--no-locale")
        options = f"-p {cluster.port} -k {root} -c listen_addresses='' -c max_connections=60"
        cluster.run("pg_ctl", "start", "-D", data, "-l", str(root / "server.log"), "-o", options, "-w", "-t", "60")
        yield cluster
    finally:
        cluster.stop()


def new_database(cluster: Any) -> str:
    """A new database migrated to this release's schema; its URL."""
    import psycopg

    from storage.pg_schema import migrate

    name = f"bench{os.getpid()}_{next(_names)}"
    cluster.admin(f'CREATE DATABASE "{name}"')
    url: str = cluster.url(name)
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
    return url


def load_orgs(url: str, orgs: list[Any]) -> None:
    """The workload's organizations (bench.workload.OrgData) as rows, in one transaction."""
    import psycopg
    from psycopg.types.json import Jsonb

    with psycopg.connect(url) as conn, conn.transaction(), conn.cursor() as cur:
        for data in orgs:
            oid = data.org.id
            cur.execute("INSERT INTO orgs (id, data) VALUES (%s, %s)", (oid, Jsonb(_plain(data.org))))
            tables = data.files[f"orgs/{oid}/org.json"]
            cur.executemany("INSERT INTO units (org_id, id, data) VALUES (%s, %s, %s)",
                            [(oid, u["id"], Jsonb(u)) for u in tables["units"]])
            cur.executemany("INSERT INTO officers (org_id, id, data) VALUES (%s, %s, %s)",
                            [(oid, o["id"], Jsonb(o)) for o in tables["officers"]])
            cur.executemany("INSERT INTO identities (platform, user_id, org_id, officer_id) VALUES (%s, %s, %s, %s)",
                            [(i["platform"], i["user_id"], i["org_id"], i["officer_id"]) for i in data.identities])
            for rel, year in data.files.items():
                if not rel.endswith(".json") or "/fy" not in rel:
                    continue
                fy = int(rel.rsplit("/fy", 1)[1][:-5])
                cur.executemany("INSERT INTO measures (org_id, fiscal_year, id, data) VALUES (%s, %s, %s, %s)",
                                [(oid, fy, m["id"], Jsonb(m)) for m in year["measures"]])
                cur.executemany(
                    "INSERT INTO reports (org_id, fiscal_year, measure_id, round, unit_id, revision, id, data) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [(oid, fy, r["measure_id"], r["round"], r["unit_id"], r["revision"], r["id"], Jsonb(r))
                     for r in year["reports"]],
                )
    settle(url)


def settle(url: str) -> None:
    """VACUUM ANALYZE, as autovacuum leaves a live database: index-only counts, planner statistics."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _plain(obj: Any) -> dict[str, Any]:
    from storage.models import to_dict

    return to_dict(obj)
