"""Shared fixtures: the session's throwaway PostgreSQL cluster (tests/pg.py)."""

from tests.pg import pg_cluster, pg_empty_url, pg_url

__all__ = ["pg_cluster", "pg_empty_url", "pg_url"]
