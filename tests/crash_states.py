"""Subprocess for the state crash test: saves conversation states forever, acknowledging each on stdout."""

from __future__ import annotations

import sys

import storage.state_store as state_store
from storage.tinydb_repo import TinyRepository


def main(data_dir: str, start: int) -> None:
    """Save state n for chat n % 3, then print n: a printed number is an acknowledged step."""
    state_store.COMPACT_BYTES = 3000  # compact every few steps, so kills land inside compactions too
    repo = TinyRepository(data_dir)
    n = start
    while True:
        repo.set_state("o1", f"telegram:{n % 3}", {"step": "summary", "n": n, "draft": {"summary": "ประชุม " * (n % 40)}})
        sys.stdout.write(f"{n}\n")
        sys.stdout.flush()
        n += 1


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
