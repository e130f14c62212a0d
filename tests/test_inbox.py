"""The durable inbox on its own: duplicates refused across restarts, torn tails skipped, files compacted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from storage.atomic import StoreCorrupted
from storage.inbox import FileInbox, InboxBusy, InboxRecord

pytestmark = pytest.mark.backend("tinydb")  # the file inbox (PostgreSQL's is tests/test_pg_inbox.py)


def rec(n: int, chat: str = "c1") -> InboxRecord:
    return InboxRecord(f"line:{n}", "line", chat, {"n": n})


def test_inbox_refuses_duplicates_and_keeps_unfinished_records_across_a_restart(tmp_path: Path) -> None:
    inbox = FileInbox(tmp_path)
    assert inbox.append([rec(1), rec(2), rec(1)]) == [True, True, False]
    assert inbox.append([rec(2), rec(3, "c2")]) == [False, True]
    inbox.done("line:1")
    inbox.close()
    again = FileInbox(tmp_path)  # a restart: what was not done comes back, in arrival order
    assert [r.key for r in again.pending()] == ["line:2", "line:3"]
    assert again.pending()[1].chat == "c2" and again.pending()[0].payload == {"n": 2}
    assert again.append([rec(1), rec(2), rec(4)]) == [False, False, True]  # done or not, a key is known


def test_torn_last_line_is_skipped_but_a_damaged_line_stops_startup(tmp_path: Path) -> None:
    inbox = FileInbox(tmp_path)
    inbox.append([rec(1)])
    inbox.close()
    [segment] = tmp_path.glob("seg-*.log")
    with segment.open("ab") as fh:
        fh.write(b'{"k":"line:2","p":"line","c":"c1","d":{"n"')  # a kill mid-append: never acknowledged
    assert [r.key for r in FileInbox(tmp_path).pending()] == ["line:1"]
    segment.write_bytes(b'{"k":"line:1","p":"line","c":"c1","d":{}}\n\xff\xfe broken\n')
    with pytest.raises(StoreCorrupted) as info:
        FileInbox(tmp_path)
    assert str(segment) in str(info.value)


def test_one_process_owns_the_inbox(tmp_path: Path) -> None:
    first = FileInbox(tmp_path)
    with pytest.raises(InboxBusy) as info:
        FileInbox(tmp_path)
    assert info.value.exit_code == 1 and str(tmp_path) in str(info.value)
    first.close()
    FileInbox(tmp_path).close()


def test_storage_stays_small_however_many_events_pass(tmp_path: Path) -> None:
    inbox = FileInbox(tmp_path, segment_records=50, keep=120)
    for n in range(2000):
        inbox.append([rec(n, f"office{n % 300}")])
        inbox.done(f"line:{n}")
    segments = list(tmp_path.glob("seg-*.log"))
    assert 2 <= len(segments) <= 5  # finished segments are deleted once the duplicate window is full
    assert inbox.append([rec(1999)]) == [False]  # recent ids are still refused
    assert inbox.pending() == []


def test_done_marks_survive_a_killed_process_without_an_fsync_each(tmp_path: Path) -> None:
    # a done mark costs no fsync: it is in the page cache once written, which a SIGKILL does not touch
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from storage.inbox import FileInbox, InboxRecord\n"
        "inbox = FileInbox(Path(sys.argv[1]))\n"
        "inbox.append([InboxRecord(f'line:{n}', 'line', 'c1', {'n': n}) for n in range(30)])\n"
        "for n in range(20):\n"
        "    inbox.done(f'line:{n}')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    root = Path(__file__).resolve().parent.parent
    killed = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=root, capture_output=True,
                            env={**os.environ, "PYTHONPATH": str(root)}, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    again = FileInbox(tmp_path)
    assert [r.key for r in again.pending()] == [f"line:{n}" for n in range(20, 30)]  # none done is repeated
    assert again.append([rec(5)]) == [False]


def test_fsyncs_per_event_are_one_for_the_record_and_none_for_its_done_mark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = FileInbox(tmp_path)
    inbox.append([rec(0)])  # the segment file and its directory entry exist now
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    for n in range(1, 11):
        inbox.append([rec(n)])
        inbox.done(f"line:{n}")
    assert len(synced) == 10
    inbox.close()  # closing makes the marks durable too
    assert len(synced) == 11
