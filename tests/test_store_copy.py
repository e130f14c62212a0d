"""`itabot store copy`: a host moves its whole store between TinyDB and PostgreSQL, verified, safely re-runnable."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main as cli
from storage.evidence import EvidenceStore
from storage.factory import open_repository
from storage.models import Approval, Evidence, Identity, Invite, Officer, ReportEntry, Review, SendRecord
from storage.tinydb_repo import TinyRepository
from tests.factory import make_office

PHOTO = b"\x89PNG\r\n\x1a\n" + b"evidence-bytes" * 50


def seed(data_dir: Path) -> None:
    """Two offices with people, invites, plans for two years, revised reports with a file, state, sends, settings."""
    office = make_office(data_dir, tinydb=True)  # a TinyDB directory, the copy's source
    repo = office.repo
    ev = EvidenceStore(data_dir / "evidence").put(PHOTO, "ภาพกิจกรรม.png", "image/png", created_at="2026-02-10")
    officer = Officer(id="p1", org_id="o1", display_name="สมชาย ใจดี", role="officer", unit_ids=["u0"],
                      identities=[Identity(platform="telegram", user_id="111", chat_id="111")])
    repo.save_officer(officer)
    repo.link_identity("telegram", "111", "o1", "p1")
    repo.save_invite(Invite(code="K7Q2M9XA", org_id="o1", role="officer", unit_ids=["u1"], used_by=""))
    repo.save_invite(Invite(code="USED0001", org_id="o1", role="head", used_by="p1", used_at="2026-01-05"))
    for rev, status in enumerate(("doing", "done"), 1):
        repo.add_report(ReportEntry(id=f"r{rev}", org_id="o1", fiscal_year=2569, measure_id="m1", round=6,
                                    unit_id="u0", status=status, summary=f"ครั้งที่ {rev}", officer_id="p1",
                                    evidence=[ev] if rev == 2 else [], created_at=f"2026-02-1{rev}"))
    repo.save_measures("o1", 2568, office.measures[:2])
    repo.add_report(ReportEntry(id="r0", org_id="o1", fiscal_year=2568, measure_id="m2", round=12, unit_id="u1",
                                status="done", evidence=[Evidence(id="e9", kind="url", url="https://example.go.th/a")]))
    repo.add_review(Review(org_id="o1", fiscal_year=2569, round_no=6, measure_id="m1", unit_id="u0",
                           state="returned", comment="แนบคำสั่งที่ลงนามแล้ว", reviewer_id="p1",
                           at="2026-02-12T10:00:00+07:00", answer_revision=1))
    repo.add_approval(Approval(org_id="o1", fiscal_year=2569, round_no=6, approver_id="p1", approver_name="นายก",
                               platform="telegram", account="111", at="2026-02-13T09:00:00+07:00",
                               document_sha256="ab" * 32, answers_digest="cd" * 32))
    repo.set_state("o1", "telegram:111", {"flow": "report", "step": "summary", "measure": "m1", "n": 3})
    repo.log_send(SendRecord(key="k1", org_id="o1", fiscal_year=2569, round=6, kind="open", recipient="p1",
                             due="2026-02-01T09:00:00+07:00", result="sent"))
    repo.log_send(SendRecord(key="k2", org_id="o1", fiscal_year=2569, round=6, kind="due", recipient="p1",
                             due="2026-03-20T09:00:00+07:00", result="waiting", reason="quota"))
    repo.set_setting("o1", "report_options", {"digits": "thai", "preamble": "คำนำ"})
    repo.log_send(SendRecord(key="old", org_id="o1", fiscal_year=2567, round=12, kind="digest", recipient="p1",
                             due="2024-09-30T09:30:00+07:00"))  # a year with a send log but no plan any more
    other = make_office(None).org
    other.id, other.name = "o2", "เทศบาลตำบลตัวอย่าง"
    repo.save_org(other)
    repo.set_setting("o2", "policy", {"lead_days": [7, 1]})
    repo.close()


def contents(repo: Any) -> dict[str, Any]:
    """Everything a user could be shown, read through the repository interface."""
    out: dict[str, Any] = {"orgs": repo.list_orgs(), "invites": sorted(repo.list_invites(), key=lambda i: i.code),
                           "ids": sorted(repo.list_identities())}
    for org in repo.list_orgs():
        years = repo.data_years(org.id)  # fiscal_years differs: TinyDB lists every year file, PostgreSQL plan years
        out[org.id] = {
            "units": repo.list_units(org.id), "officers": repo.list_officers(org.id), "years": years,
            "plans": {fy: repo.list_measures(org.id, fy) for fy in years},
            "reports": {fy: repo.list_reports(org.id, fy) for fy in years},
            "sends": {fy: sorted(repo.list_sends(org.id, fy), key=lambda s: s.key) for fy in years},
            "states": repo.list_states(org.id), "settings": repo.list_settings(org.id),
            "reviews": {fy: repo.list_reviews(org.id, fy) for fy in years},
            "approvals": {fy: repo.list_approvals(org.id, fy) for fy in years},
        }
    return out


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = cli(["store", "copy", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def row(out: str, kind: str) -> list[str]:
    """One row of the verification table, split into its columns."""
    line = next(x for x in out.splitlines() if x.startswith(f"{kind} "))
    return line.split()


@pytest.mark.backend("tinydb")  # copies between TinyDB directories
def test_copy_between_directories_is_complete_verified_and_safe_to_repeat(tmp_path: Path, capsys) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    seed(src)
    code, out = run(capsys, "--from", str(src), "--to", str(dst))
    assert code == 0, out
    assert "verified: every kind matches" in out
    assert row(out, "reports")[1:4] == ["3", "3", "3"] and row(out, "evidence")[1:4] == ["1", "1", "1"]
    assert all(row(out, k)[4] == "✓" for k in ("orgs", "units", "officers", "identities", "invites", "measures",
                                                 "reports", "reviews", "approvals", "states", "sends", "settings",
                                                 "evidence"))
    assert row(out, "reviews")[1:4] == ["1", "1", "1"] and row(out, "approvals")[1:4] == ["1", "1", "1"]
    before, after = TinyRepository(src), TinyRepository(dst)
    assert contents(after) == contents(before)
    assert [r.revision for r in after.list_reports("o1", 2569)] == [1, 2]  # ids and revisions kept
    assert [s.key for s in after.list_sends("o1", 2567)] == ["old"]
    assert after.find_identity("telegram", "111") == ("o1", "p1")
    sha = hashlib.sha256(PHOTO).hexdigest()
    assert EvidenceStore(dst / "evidence").read(sha) == PHOTO

    code, out = run(capsys, "--from", str(src), "--to", str(dst))  # again: nothing new, verified again
    assert code == 0, out
    assert row(out, "sends")[1] == "3"
    assert all(row(out, k)[3] == "0" for k in ("orgs", "reports", "reviews", "approvals", "states", "sends", "evidence"))
    assert [r.id for r in TinyRepository(dst).list_reports("o1", 2569)] == ["r1", "r2"]  # not appended twice


@pytest.mark.backend("tinydb")  # copies between TinyDB directories
def test_a_target_holding_other_data_is_refused_unless_merged(tmp_path: Path, capsys) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    seed(src)
    theirs = make_office(dst).repo
    theirs.set_setting("o1", "report_options", {"digits": "arabic"})  # the same office id, changed there
    theirs.close()
    code, out = run(capsys, "--from", str(src), "--to", str(dst))
    assert code == 1
    assert "nothing was copied" in out and "settings" in out
    assert TinyRepository(dst).list_officers("o1") == []  # refused before any write
    code, out = run(capsys, "--from", str(src), "--to", str(dst), "--merge")
    assert code == 0, out
    merged = TinyRepository(dst)
    assert merged.get_setting("o1", "report_options") == {"digits": "thai", "preamble": "คำนำ"}  # the source wins
    assert [o.id for o in merged.list_officers("o1")] == ["p1"]


@pytest.mark.backend("tinydb")  # copies between TinyDB directories
def test_damaged_evidence_shows_as_a_failed_check(tmp_path: Path, capsys) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    seed(src)
    sha = hashlib.sha256(PHOTO).hexdigest()
    (src / "evidence" / sha[:2] / sha).write_bytes(b"not the photo")
    code, out = run(capsys, "--from", str(src), "--to", str(dst))
    assert code == 1
    assert row(out, "evidence")[4] == "✗" and "damaged source evidence file" in out
    assert row(out, "reports")[4] == "✓"


def test_bad_ends_are_usage_errors(tmp_path: Path, capsys) -> None:
    code, out = run(capsys, "--from", str(tmp_path / "none"), "--to", str(tmp_path / "dst"))
    assert code == 2 and "no itabot data" in out
    seed(tmp_path / "src")
    code, out = run(capsys, "--from", str(tmp_path / "src"), "--to", str(tmp_path / "src" / "."))
    assert code == 2 and "the same store" in out


@pytest.mark.backend("postgresql")  # copies into and out of PostgreSQL
def test_round_trip_through_postgresql_keeps_everything(tmp_path: Path, capsys, pg_url: str) -> None:
    src, back = tmp_path / "src", tmp_path / "back"
    seed(src)
    pg_evidence = tmp_path / "shared-evidence"
    code, out = run(capsys, "--from", str(src), "--to", pg_url, "--to-evidence", str(pg_evidence))
    assert code == 0, out
    pg = open_repository(None, pg_url)
    try:
        assert contents(pg) == contents(TinyRepository(src))
        assert [r.revision for r in pg.list_reports("o1", 2569)] == [1, 2]
    finally:
        pg.close()
    code, out = run(capsys, "--from", str(src), "--to", pg_url, "--to-evidence", str(pg_evidence))
    assert code == 0 and row(out, "reports")[3] == "0" and row(out, "evidence")[3] == "0", out
    code, out = run(capsys, "--from", pg_url, "--from-evidence", str(pg_evidence), "--to", str(back))
    assert code == 0, out
    assert contents(TinyRepository(back)) == contents(TinyRepository(src))
    assert [s.key for s in TinyRepository(back).list_sends("o1", 2567)] == ["old"]
    assert EvidenceStore(back / "evidence").read(hashlib.sha256(PHOTO).hexdigest()) == PHOTO


@pytest.mark.backend("postgresql")  # copies into and out of PostgreSQL
def test_an_unmigrated_or_unreachable_database_is_refused_before_anything(tmp_path: Path, capsys, pg_empty_url: str) -> None:
    seed(tmp_path / "src")
    code, out = run(capsys, "--from", str(tmp_path / "src"), "--to", pg_empty_url, "--to-evidence", str(tmp_path / "e"))
    assert code == 3 and "itabot migrate" in out
    code, out = run(capsys, "--from", "postgresql://nobody@127.0.0.1:1/none", "--to", str(tmp_path / "dst"))
    assert code == 3 and "cannot reach the database" in out
    assert not (tmp_path / "e").exists() and not (tmp_path / "dst").exists()
