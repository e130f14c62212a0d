"""PostgreSQL schema migrations, applied in order by `itabot migrate` (storage.pg_schema)."""
