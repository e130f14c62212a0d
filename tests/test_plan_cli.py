"""`itabot import`, `itabot plan` and `itabot template` as an admin runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.commands.plan import PREVIEW_ONLY
from handlers.plan_import import TEMPLATE_HEADERS
from handlers.samples import sample_csv_bytes
from tests.factory import open_store
from tests.test_docx_import import BAD_DOCX, build_seed002_docx
from tests.tools import clean_env

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2025-11-03"  # fiscal year 2569


def run(capsys: pytest.CaptureFixture[str], data: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--data-dir", str(data), "--today", TODAY])
    out = capsys.readouterr()
    return code, out.out, out.err


def plan_json(capsys: pytest.CaptureFixture[str], data: Path, *extra: str) -> list[dict[str, object]]:
    code, out, _ = run(capsys, data, "plan", "--json", *extra)
    assert code == 0
    result: list[dict[str, object]] = json.loads(out)
    return result


@pytest.fixture
def sample_csv(tmp_path: Path) -> Path:
    path = tmp_path / "plan.csv"
    path.write_bytes(sample_csv_bytes(2569))
    return path


def test_import_csv_then_plan_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, sample_csv: Path
) -> None:
    data = tmp_path / "data"
    code, out, _ = run(capsys, data, "import", "--yes", str(sample_csv), "--org", "อบต.คำเนียม")
    assert code == 0
    assert "พบมาตรการ 10 รายการ" in out and "นำเข้าแล้ว" in out and "อบต.คำเนียม" in out
    measures = plan_json(capsys, data)
    assert [m["indicator_no"] for m in measures] == [str(n) for n in range(1, 11)]
    assert (measures[0]["indicator"], measures[0]["indicator_name"]) == ("1 การปฏิบัติหน้าที่", "การปฏิบัติหน้าที่")
    assert measures[1]["units"] == ["งานพัสดุ"] and measures[1]["divisions"] == {"งานพัสดุ": "กองคลัง"}
    assert measures[1]["rounds"] == [3, 6, 9, 12]
    assert measures[0]["all_units"] is True and measures[0]["units"] == ["กองคลัง", "สำนักปลัด"]  # divisions
    assert all(m["id"] and m["title"] for m in measures)
    code, out, _ = run(capsys, data, "plan")
    assert code == 0 and "อบต.คำเนียม" in out and "10 รายการ" in out
    assert "2. [2 การใช้งบประมาณ] มาตรการการเผยแพร่ข้อมูลงบประมาณ" in out and "งานพัสดุ (ใน กองคลัง) · รอบ" in out

    # importing the same file again keeps every id
    ids = [m["id"] for m in measures]
    code, out, _ = run(capsys, data, "import", "--yes", str(sample_csv))
    assert code == 0 and "เหมือนเดิม 10" in out
    assert [m["id"] for m in plan_json(capsys, data)] == ids


def test_a_guessed_section_is_corrected_with_section_and_remembered(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, sample_csv: Path
) -> None:
    data = tmp_path / "data"
    code, out, _ = run(capsys, data, "import", "--yes", str(sample_csv), "--org", "อบต.ทดสอบ")
    assert code == 0 and "งานในกอง: งานพัสดุ (ใน กองคลัง)" in out
    assert "--section 'งานพัสดุ='" in out  # the preview says how to correct the guess

    def measure2() -> tuple[object, object]:
        m = plan_json(capsys, data)[1]
        return m["units"], m["divisions"]

    assert measure2() == (["งานพัสดุ"], {"งานพัสดุ": "กองคลัง"})
    code, out, _ = run(capsys, data, "import", "--yes", str(sample_csv), "--section", "งานพัสดุ=")
    assert code == 0 and "งานในกอง" not in out
    assert measure2() == (["งานพัสดุ", "กองคลัง"], {})  # two units of their own, both answer
    assert run(capsys, data, "import", "--yes", str(sample_csv))[0] == 0
    assert measure2() == (["งานพัสดุ", "กองคลัง"], {})  # the choice is remembered
    code, out, _ = run(capsys, data, "import", "--yes", str(sample_csv), "--section", "งานพัสดุ = สำนักปลัด")
    assert code == 0 and "งานพัสดุ (ใน สำนักปลัด): 2" in out
    assert measure2() == (["งานพัสดุ"], {"งานพัสดุ": "สำนักปลัด"})
    code, _, err = run(capsys, data, "import", "--yes", str(sample_csv), "--section", "งานพัสดุ")
    assert code == 1 and "งานพัสดุ=กองคลัง" in err
    assert measure2() == (["งานพัสดุ"], {"งานพัสดุ": "สำนักปลัด"})


def test_import_docx_and_oit_template(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    doc = tmp_path / "มาตรการ 2569.docx"
    doc.write_bytes(build_seed002_docx())
    assert run(capsys, data, "import", "--yes", str(doc), "--org", "อบต.ทดสอบ")[0] == 0
    code, out, _ = run(capsys, data, "import", "--yes", "--template", "oit-2566")
    assert code == 0 and "OIT o1–o43: 43" in out
    measures = plan_json(capsys, data)
    assert len(measures) == 53 and measures[10]["indicator"] == "o1"
    assert (measures[10]["oit_code"], measures[10]["indicator_no"]) == ("o1", "9.1")
    assert measures[10]["components"][0] == "แสดงแผนผังแสดงโครงสร้างการแบ่งส่วนราชการของหน่วยงาน"
    assert plan_json(capsys, data, "--fiscal-year", "2570") == []


def test_bad_file_changes_nothing_and_names_the_row(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, sample_csv: Path
) -> None:
    data = tmp_path / "data"
    rows = list(csv.reader(io.StringIO(sample_csv.read_text(encoding="utf-8"))))
    rows[6][1] = "ตัวชี้วัด 15"
    broken = tmp_path / "broken.csv"
    with broken.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    code, _, err = run(capsys, data, "import", "--yes", str(broken), "--org", "อบต.ทดสอบ")
    assert code == 1 and "แถวที่ 7" in err and "ตัวชี้วัด" in err
    assert open_store(data).list_orgs() == []  # not even the organization was created

    assert run(capsys, data, "import", "--yes", str(sample_csv), "--org", "อบต.ทดสอบ")[0] == 0
    before = plan_json(capsys, data)
    code, _, err = run(capsys, data, "import", "--yes", str(broken))
    assert code == 1 and "แถวที่ 7" in err
    assert plan_json(capsys, data) == before


@pytest.mark.parametrize(("case", "content", "message"), BAD_DOCX, ids=[c[0] for c in BAD_DOCX])
def test_bad_documents_change_nothing(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    sample_csv: Path,
    case: str,
    content: bytes,
    message: str,
) -> None:
    data = tmp_path / "data"
    assert run(capsys, data, "import", "--yes", str(sample_csv), "--org", "อบต.ทดสอบ")[0] == 0
    before = plan_json(capsys, data)
    bad = tmp_path / "plan.docx"
    bad.write_bytes(content)
    code, out, err = run(capsys, data, "import", "--yes", str(bad))
    assert code == 1 and message in err
    assert "นำเข้าแล้ว" not in out
    assert plan_json(capsys, data) == before


def test_without_a_terminal_or_yes_it_only_previews(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    doc = tmp_path / "plan.docx"
    doc.write_bytes(build_seed002_docx(bad_row=["ตัวชี้วัด 15", "- มาตรการพิเศษ", "", "1. ทำ", "กองช่าง", "ต.ค."]))
    code, out, err = run(capsys, data, "import", str(doc), "--org", "อบต.ทดสอบ")
    assert code == 0 and "ตัวชี้วัด 15" in out and err == ""
    assert out.rstrip().endswith(PREVIEW_ONLY) and "--yes" in PREVIEW_ONLY
    assert open_store(data).list_orgs() == []  # nothing stored, not even the organization
    code, out, _ = run(capsys, data, "import", str(doc), "--org", "อบต.ทดสอบ", "--yes")
    assert code == 0 and "เพิ่ม 10" in out and "นำเข้าแล้ว → อบต.ทดสอบ" in out


def test_removing_measures_is_previewed_until_yes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, sample_csv: Path
) -> None:
    data = tmp_path / "data"
    assert run(capsys, data, "import", "--yes", str(sample_csv), "--org", "อบต.ทดสอบ")[0] == 0
    shorter = tmp_path / "shorter.csv"
    shorter.write_text("\n".join(sample_csv.read_text(encoding="utf-8").splitlines()[:6]), encoding="utf-8")
    code, out, _ = run(capsys, data, "import", str(shorter))
    assert code == 0 and "นำออก 5" in out and PREVIEW_ONLY in out
    assert len(plan_json(capsys, data)) == 10
    assert run(capsys, data, "import", str(shorter), "--yes")[0] == 0
    assert len(plan_json(capsys, data)) == 5


def test_a_first_import_needs_org(capsys: pytest.CaptureFixture[str], tmp_path: Path, sample_csv: Path) -> None:
    data = tmp_path / "data"
    code, out, err = run(capsys, data, "import", "--yes", str(sample_csv))
    assert code == 2 and "พบมาตรการ 10 รายการ" in out and "นำเข้าแล้ว" not in out
    assert "การนำเข้าครั้งแรกต้องระบุชื่อหน่วยงาน" in err and "--org" in err
    assert open_store(data).list_orgs() == []  # no "หน่วยงานของฉัน" made up
    code, out, _ = run(capsys, data, "import", "--yes", str(sample_csv), "--org", "เทศบาลตำบลหนองแวง")
    assert code == 0 and "นำเข้าแล้ว → เทศบาลตำบลหนองแวง" in out


def _import_on_a_terminal(data: Path, plan: Path, answer: str) -> tuple[int, str]:
    """`itabot import` with a pseudo-terminal as stdin that types `answer`; exit code and everything printed."""
    main_fd, term_fd = pty.openpty()
    env = clean_env()
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "import", str(plan), "--org", "อบต.ทดสอบ", "--data-dir", str(data),
         "--today", TODAY], stdin=term_fd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=data.parent, env=env,
    )
    os.close(term_fd)
    os.write(main_fd, answer.encode() + b"\n")
    out, _ = proc.communicate(timeout=120)
    os.close(main_fd)
    return proc.returncode, out.decode()


def test_on_a_terminal_it_previews_and_asks(tmp_path: Path, sample_csv: Path) -> None:
    data = tmp_path / "data"
    code, out = _import_on_a_terminal(data, sample_csv, "n")
    assert code == 1 and "พบมาตรการ 10 รายการ" in out and "นำเข้าแผนนี้หรือไม่? (y/N)" in out
    assert "ยกเลิกแล้ว ยังไม่ได้นำเข้า" in out and "นำเข้าแล้ว" not in out
    assert open_store(data).list_orgs() == []
    code, out = _import_on_a_terminal(data, sample_csv, "y")
    assert code == 0 and "นำเข้าแผนนี้หรือไม่? (y/N)" in out and "✅ นำเข้าแล้ว → อบต.ทดสอบ" in out
    repo = open_store(data)
    assert len(repo.list_measures(repo.list_orgs()[0].id, 2569)) == 10


def test_several_orgs_need_org(capsys: pytest.CaptureFixture[str], tmp_path: Path, sample_csv: Path) -> None:
    data = tmp_path / "data"
    assert run(capsys, data, "import", "--yes", str(sample_csv), "--org", "อบต.หนึ่ง")[0] == 0
    assert run(capsys, data, "import", "--yes", str(sample_csv), "--org", "อบต.สอง")[0] == 0
    code, _, err = run(capsys, data, "import", "--yes", str(sample_csv))
    assert code == 1 and "--org" in err
    code, _, err = run(capsys, data, "plan")
    assert code == 1 and "--org" in err
    assert len(plan_json(capsys, data, "--org", "อบต.สอง")) == 10


def test_plan_without_org_and_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, _, err = run(capsys, data, "plan")
    assert code == 1 and "itabot import" in err
    code, _, err = run(capsys, data, "import")
    assert code == 1 and "--template" in err
    code, _, err = run(capsys, data, "import", "--yes", str(tmp_path / "missing.csv"), "--org", "อบต.ทดสอบ")
    assert code == 1 and "เปิดไฟล์" in err
    code, _, err = run(capsys, data, "import", "--yes", "--template", "oit-2566", "--fiscal-year", "2026")
    assert code == 1 and "พ.ศ." in err


def test_template_csv_and_xlsx_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out, _ = run(capsys, data, "template")
    assert code == 0 and next(csv.reader(io.StringIO(out))) == list(TEMPLATE_HEADERS)
    xlsx = tmp_path / "form.xlsx"
    code, _, _ = run(capsys, data, "template", "--format", "xlsx", "--out", str(xlsx))
    assert code == 0
    book = load_workbook(xlsx)
    ws = book.active
    assert ws is not None
    assert [c.value for c in ws[1]] == list(TEMPLATE_HEADERS)
    ws.append(
        [
            "1",
            "7",
            "ประชาสัมพันธ์ผ่านเสียงตามสาย",
            "จัดทำตารางออกอากาศ",
            "งานประชาสัมพันธ์/ สำนักปลัด",
            "ต.ค.-ก.ย.",
            "รอบ ๖ เดือน",
        ]
    )
    book.save(xlsx)
    code, out, _ = run(capsys, data, "import", "--yes", str(xlsx), "--org", "อบต.ทดสอบ")
    assert code == 0
    (measure,) = plan_json(capsys, data)
    assert measure["indicator"] == "7 ประสิทธิภาพการสื่อสาร" and measure["units"] == ["งานประชาสัมพันธ์"]
    assert measure["divisions"] == {"งานประชาสัมพันธ์": "สำนักปลัด"}
    assert measure["rounds"] == [6]
    csv_out = tmp_path / "form.csv"
    assert run(capsys, data, "template", "--out", str(csv_out))[0] == 0
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel shows the Thai headers
