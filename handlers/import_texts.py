"""The plan import's chat sentences (Thai and English), merged into handlers.texts' catalogue."""

from __future__ import annotations

__all__ = ["IMPORT_EN", "IMPORT_TH"]

IMPORT_TH: dict[str, str] = {
    "import_map_tables": "{error}\n\n{tables}\n\nเลือกตารางที่เป็นตารางมาตรการ:",
    "btn_map_table": "ตารางที่ {n}",
    "import_map_column": (
        "ตารางที่ {table} · คอลัมน์ {col}/{width}\nหัวคอลัมน์: {header}\nตัวอย่าง: {sample}\n\n"
        "คอลัมน์นี้คืออะไร? (หรือพิมพ์ทั้งหมดทีเดียว เช่น title=3,responsible=5)"
    ),
    "import_map_no_title": "ยังไม่ได้เลือกคอลัมน์ชื่อมาตรการ: เริ่มเลือกใหม่ตั้งแต่คอลัมน์ 1",
    "btn_fix_columns": "แก้การอ่านคอลัมน์",
    "import_mapping_kept": "จำการอ่านคอลัมน์นี้ไว้แล้ว: เอกสารปีหน้าที่ตารางแบบเดียวกันจะนำเข้าได้เอง",
    "role_btn_title": "ชื่อมาตรการ",
    "role_btn_number": "ลำดับ",
    "role_btn_indicator": "ตัวชี้วัด",
    "role_btn_steps": "ขั้นตอน/แนวทาง",
    "role_btn_responsible": "ผู้รับผิดชอบ",
    "role_btn_period": "ระยะเวลา",
    "role_btn_rounds": "รอบรายงาน",
    "role_btn_topic": "ประเด็น",
    "role_btn_weakness": "จุดอ่อน",
    "role_btn_ignore": "ไม่ใช้",
}

IMPORT_EN: dict[str, str] = {
    "import_map_tables": "{error}\n\n{tables}\n\nWhich table holds the measures?",
    "btn_map_table": "Table {n}",
    "import_map_column": (
        "Table {table} · column {col}/{width}\nHeader: {header}\nExample: {sample}\n\n"
        "What is this column? (or type all at once, e.g. title=3,responsible=5)"
    ),
    "import_map_no_title": "No column was chosen as the measure title: choose again from column 1",
    "btn_fix_columns": "Correct columns",
    "import_mapping_kept": "Column mapping remembered: next year's document of the same shape imports by itself",
    "role_btn_title": "Measure title",
    "role_btn_number": "Number",
    "role_btn_indicator": "Indicator",
    "role_btn_steps": "Steps",
    "role_btn_responsible": "Responsible",
    "role_btn_period": "Period",
    "role_btn_rounds": "Rounds",
    "role_btn_topic": "Topic",
    "role_btn_weakness": "Weakness",
    "role_btn_ignore": "Not used",
}
