"""Subprocess for the crash test: appends reports forever, acknowledging each durable write on stdout."""

from __future__ import annotations

import sys

from storage.models import ReportEntry
from storage.tinydb_repo import TinyRepository


def main(data_dir: str, start: int) -> None:
    """Write report n, then print n: a printed number is an acknowledged write."""
    repo = TinyRepository(data_dir)
    n = start
    while True:
        entry = ReportEntry(
            id=f"r{n}", org_id="o1", fiscal_year=2569, measure_id=f"m{n % 7}", round=3, unit_id="u1",
            status="done", summary="ดำเนินการแล้ว " * 20,
        )
        repo.add_report(entry)
        repo.set_state("o1", f"test:{n % 5}", {"step": "summary", "n": n})
        sys.stdout.write(f"{n}\n")
        sys.stdout.flush()
        n += 1


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
