"""Stored rows become the same records whichever way they are read (the TinyDB store's quick loader)."""

from __future__ import annotations

import pytest

from storage.models import Evidence, Measure, ReportEntry, from_dict, to_dict
from storage.tinydb_repo import _load


def _row() -> dict:
    entry = ReportEntry("r1", "o1", 2569, "m1", 6, "u1", "done", summary="อบรม",
                        evidence=[Evidence("e1", "url", url="https://example.go.th")], covered={"o1": ["e1"]})
    row = to_dict(entry)
    row["from_a_newer_release"] = "ignored"
    del row["suggestion"], row["confirmed_from"]  # written by an older release
    return row


def test_a_report_row_reads_as_from_dict_reads_it_and_shares_no_list_with_the_row():
    row = _row()
    entry = _load(ReportEntry, row)
    assert entry == from_dict(ReportEntry, dict(row))
    assert entry.suggestion == "" and entry.confirmed_from == 0 and isinstance(entry.evidence[0], Evidence)
    entry.evidence.append(Evidence("e2", "url"))
    assert len(row["evidence"]) == 1  # the store's cached row is untouched


def test_a_plan_row_gets_fresh_default_lists():
    one = _load(Measure, {"id": "m1", "no": 1, "indicator": "1", "title": "เผยแพร่ข้อมูล"})
    two = _load(Measure, {"id": "m2", "no": 2, "indicator": "1", "title": "ประชุม"})
    one.unit_ids.append("u1")
    assert two.unit_ids == [] and one.rounds == [3, 6, 9, 12] and one.rounds is not two.rounds


def test_a_row_missing_a_required_field_is_refused_as_before():
    row = _row()
    del row["status"]
    with pytest.raises(TypeError):
        _load(ReportEntry, row)
