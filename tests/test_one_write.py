"""One logical change is one durable write (or a write-ahead record completed on recovery): a kill after
any write leaves the old state or the new one, never half; one-time codes are used once across processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from handlers.services import create_invite
from storage.tinydb_repo import TinyRepository
from tests.factory import make_office, open_store

ROOT = Path(__file__).resolve().parent.parent


def env() -> dict[str, str]:
    """This test's environment (with the suite's database URL) for the child processes."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def run_op(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.crash_ops", str(data), *args], capture_output=True,
                          text=True, timeout=60, cwd=ROOT, env=env())


def prepared(tmp_path: Path) -> tuple[Path, str]:
    """An office with a four-measure plan and one unused invite."""
    base = tmp_path / "base"
    office = make_office(base)
    code = create_invite(office.repo, office.clock, "o1", "officer", ["u1"], name="คนใหม่").code
    office.repo.close()
    return base, code


def kill_at_every_write(tmp_path: Path, base: Path, *op: str) -> list[Path]:
    """Copies of the data directory, each with the operation killed after its n-th write (every n)."""
    dry = tmp_path / "dry"
    shutil.copytree(base, dry)
    finished = run_op(dry, op[0], "0", *op[1:])
    assert finished.returncode == 0, finished.stderr
    writes = int(finished.stdout.split()[-1])
    assert writes >= 1
    copies = []
    for n in range(1, writes + 1):
        copy = tmp_path / f"kill{n}"
        shutil.copytree(base, copy)
        killed = run_op(copy, op[0], str(n), *op[1:])
        assert killed.returncode == -signal.SIGKILL, (n, killed.stderr)
        copies.append(copy)
    return copies


@pytest.mark.backend("tinydb")  # kills between TinyDB's file writes
def test_replacing_the_plan_is_old_or_new_after_a_kill_at_every_write(tmp_path: Path) -> None:
    base, _ = prepared(tmp_path)
    for copy in kill_at_every_write(tmp_path, base, "plan"):
        ids = [m.id for m in TinyRepository(copy).list_measures("o1", 2569)]
        assert ids in (["m1", "m2", "m3", "m4"], [f"n{i}" for i in range(1, 8)]), (copy.name, ids)


@pytest.mark.backend("tinydb")  # kills between TinyDB's file writes
def test_a_reader_never_sees_an_empty_plan_while_it_is_replaced(tmp_path: Path) -> None:
    office = make_office(tmp_path)
    reader = TinyRepository(tmp_path)  # another process's view of the same files
    plans = [office.measures[:2], office.measures]
    seen: set[int] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.add(len(reader.list_measures("o1", 2569)))

    thread = threading.Thread(target=read)
    thread.start()
    for i in range(80):
        office.repo.save_measures("o1", 2569, plans[i % 2])
    stop.set()
    thread.join()
    assert seen <= {2, 4} and seen  # never 0: no "no plan" answer to /report mid-import


@pytest.mark.backend("tinydb")  # kills between TinyDB's file writes
def test_redeeming_an_invite_is_old_or_new_after_a_kill_at_every_write(tmp_path: Path) -> None:
    base, code = prepared(tmp_path)
    for copy in kill_at_every_write(tmp_path, base, "invite", code):
        repo = TinyRepository(copy)  # opening completes an interrupted redemption
        invite = repo.get_invite(code)
        found = repo.find_identity("line", "Unew")
        assert invite is not None
        if not invite.used_by:
            assert found is None and [o.display_name for o in repo.list_officers("o1")] == []
        else:
            assert found == ("o1", invite.used_by), copy.name
            officer = repo.get_officer("o1", invite.used_by)
            assert officer is not None and officer.display_name == "คนใหม่" and officer.unit_ids == ["u1"]
        assert repo._table("registry.json", "redemptions").all() == []  # recovery finished the copies


@pytest.mark.backend("tinydb")  # kills between TinyDB's file writes
def test_saving_a_report_with_its_state_is_old_or_new_and_a_repeat_is_stored_once(tmp_path: Path) -> None:
    from tests.crash_ops import saved_entry

    base, _ = prepared(tmp_path)
    confirm = {"step": "confirm", "draft": {"status": "done"}}
    TinyRepository(base).set_state("o1", "line:Unew", confirm)
    for copy in kill_at_every_write(tmp_path, base, "report"):
        repo = TinyRepository(copy)
        reports, state = repo.list_reports("o1", 2569), repo.get_state("o1", "line:Unew")
        assert (len(reports), state) in ((0, confirm), (1, confirm), (1, None)), copy.name
        if state is not None:  # the officer still sees the recap and presses บันทึก again
            repo.add_report(saved_entry())
            repo.set_state("o1", "line:Unew", None)
        [entry] = repo.list_reports("o1", 2569)
        assert entry.revision == 1 and entry.summary == "ประกาศแผนบนเว็บไซต์"


def test_two_processes_never_redeem_one_code_twice(tmp_path: Path) -> None:
    race_for_codes(tmp_path, 30)


@pytest.mark.soak
def test_two_processes_never_redeem_one_code_twice_in_200_tries(tmp_path: Path) -> None:
    race_for_codes(tmp_path, 200)


def race_for_codes(tmp_path: Path, tries: int) -> None:
    """Two processes on one data directory try the same codes at the same moment."""
    office = make_office(tmp_path)
    codes = [create_invite(office.repo, office.clock, "o1", "officer", ["u1"]).code for _ in range(tries)]
    office.repo.close()
    (tmp_path / "codes.txt").write_text("\n".join(codes))
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.crash_ops", str(tmp_path), "redeem-all", tag,
                          str(tmp_path / "codes.txt"), str(go)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env())
        for tag in ("A", "B")
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    go.touch()
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    wins = [line.split()[1] for out in outputs for line in out.splitlines() if line.startswith("won ")]
    assert sorted(wins) == sorted(codes)  # every code used exactly once, by one of the two
    assert [len(out.splitlines()) for out in outputs] == [tries, tries]  # both really tried every code
    repo = open_store(tmp_path)
    assert len(repo.list_officers("o1")) == tries
    assert len({repo.get_invite(c).used_by for c in codes}) == tries  # type: ignore[union-attr]
