"""Conversation state lives in one small append-only file per chat: a step is one small write that survives
a kill at any moment, a torn line is never read, damage is refused, and the file stays small."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from storage.atomic import StoreCorrupted
from storage.state_store import StateStore, state_file_name
from storage.tinydb_repo import TinyRepository

pytestmark = pytest.mark.backend("tinydb")  # TinyDB's per-chat state files

ROOT = Path(__file__).resolve().parent.parent


def state_file(data: Path, key: str) -> Path:
    return data / "orgs" / "o1" / "states" / state_file_name(key)


def test_a_step_appends_to_its_chat_file_and_leaves_the_office_file_alone(tmp_path: Path) -> None:
    repo = TinyRepository(tmp_path)
    repo.set_state("o1", "telegram:1", {"flow": "menu"})
    office = tmp_path / "orgs" / "o1" / "org.json"
    before = office.read_bytes() if office.exists() else b""
    for step in range(5):
        repo.set_state("o1", "telegram:1", {"flow": "report", "step": step})
    assert (office.read_bytes() if office.exists() else b"") == before
    path = state_file(tmp_path, "telegram:1")
    assert len(path.read_bytes().splitlines()) == 6 and path.stat().st_mode & 0o777 == 0o600
    assert TinyRepository(tmp_path).get_state("o1", "telegram:1") == {"flow": "report", "step": 4}


def test_chat_keys_get_distinct_plain_file_names() -> None:
    names = {state_file_name(k) for k in ("telegram:1", "telegram%3A1", "telegram_1", "line:U1", ".hidden", "ก")}
    assert len(names) == 6
    assert all(not n.startswith(".") and "/" not in n for n in names)  # backups skip dot files
    assert len(state_file_name("x" * 500)) < 100


def test_a_torn_last_line_is_skipped_and_cut_before_the_next_step(tmp_path: Path) -> None:
    repo = TinyRepository(tmp_path)
    repo.set_state("o1", "telegram:1", {"step": "summary"})
    path = state_file(tmp_path, "telegram:1")
    with open(path, "ab") as fh:  # a kill in the middle of the next append
        fh.write(b'{"k":"telegram:1","s":{"step":"outc')
    again = TinyRepository(tmp_path)
    assert again.get_state("o1", "telegram:1") == {"step": "summary"}
    again.set_state("o1", "telegram:1", {"step": "evidence"})
    assert TinyRepository(tmp_path).get_state("o1", "telegram:1") == {"step": "evidence"}
    assert len(path.read_bytes().splitlines()) == 2


def test_a_damaged_state_file_stops_startup_naming_it(tmp_path: Path) -> None:
    TinyRepository(tmp_path).set_state("o1", "telegram:1", {"step": "summary"})
    path = state_file(tmp_path, "telegram:1")
    path.write_bytes(b'{"k":"telegram:1","s":{"step":"summary"}}\n{"k": 5, "s": "x"}\n')
    with pytest.raises(StoreCorrupted, match=state_file_name("telegram:1")):
        TinyRepository(tmp_path)


def test_forgetting_is_a_step_too_and_the_file_is_compacted_when_it_grows(tmp_path: Path) -> None:
    store = StateStore(tmp_path, compact_bytes=2000)
    for n in range(200):
        store.put("o1", "line:U1", {"n": n, "text": "ข้อความ" * 10})
        assert store.get("o1", "line:U1") == {"n": n, "text": "ข้อความ" * 10}
    path = tmp_path / "orgs" / "o1" / "states" / state_file_name("line:U1")
    assert path.stat().st_size <= 2000
    store.put("o1", "line:U1", None)
    store.put("o1", "line:never", None)  # nothing stored: no file made
    assert StateStore(tmp_path).get("o1", "line:U1") is None
    assert not (path.parent / state_file_name("line:never")).exists()
    assert StateStore(tmp_path).all("o1") == {}


def test_list_states_gives_every_chat_of_an_office(tmp_path: Path) -> None:
    for repo in (TinyRepository(tmp_path), TinyRepository(None)):
        repo.set_state("o1", "telegram:1", {"a": 1})
        repo.set_state("o1", "line:U" + "x" * 300, {"b": 2})  # a long key: hashed file name, key kept inside
        repo.set_state("o1", "telegram:2", {"c": 3})
        repo.set_state("o1", "telegram:2", None)
        repo.set_state("o2", "telegram:1", {"d": 4})
        assert repo.list_states("o1") == {"telegram:1": {"a": 1}, "line:U" + "x" * 300: {"b": 2}}


def test_writers_in_two_processes_never_lose_or_tear_a_step(tmp_path: Path) -> None:
    # two stores on one directory stand for two processes (flock is per open file, not per process)
    stores = [StateStore(tmp_path, compact_bytes=1500), StateStore(tmp_path, compact_bytes=1500)]
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            for n in range(150):
                stores[i].put("o1", "telegram:1", {"writer": i, "n": n, "pad": "x" * 40})
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = StateStore(tmp_path).get("o1", "telegram:1")
    assert final is not None and final["n"] == 149  # the last step of whichever writer finished last
    raw = (tmp_path / "orgs" / "o1" / "states" / state_file_name("telegram:1")).read_bytes()
    assert raw.endswith(b"\n") and len(raw) <= 1500


def test_sigkill_at_any_moment_keeps_every_acknowledged_step(tmp_path: Path) -> None:
    rng = random.Random(16)
    acknowledged: dict[str, int] = {}
    start = 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(12):
        proc = subprocess.Popen([sys.executable, "-m", "tests.crash_states", str(tmp_path), str(start)],
                                stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
        assert proc.stdout is not None
        wanted, got = rng.randint(5, 60), 0
        while got < wanted:
            line = proc.stdout.readline()
            if not line:
                break
            n = int(line)
            acknowledged[f"telegram:{n % 3}"] = n
            got += 1
        time.sleep(rng.random() * 0.02)  # land the kill anywhere inside the next append or compaction
        proc.send_signal(signal.SIGKILL)
        for line in proc.stdout:
            if line.strip():
                acknowledged[f"telegram:{int(line) % 3}"] = int(line)
        proc.wait()
        repo = TinyRepository(tmp_path)  # must load, every time
        newest = 0
        for key, n in acknowledged.items():
            state = repo.get_state("o1", key)
            assert state is not None and state["n"] in (n, n + 3), (key, n, state)  # the acknowledged step, or the next
            newest = max(newest, state["n"])
        start = newest + 1
    assert len(acknowledged) == 3
