"""An admin sends the plan (.docx/.pdf/.xlsx/.csv) in chat: the bot previews it and imports after a confirm.

When no table is understood surely, the admin picks the table and then each column's role with buttons;
the mapping chosen is remembered for the office's next document of the same shape.
"""

from __future__ import annotations

from typing import Any

from domain.events import Reply
from domain.limits import WorkLimitExceeded

from .context import Ctx, action, step
from .services import is_admin, round_context

__all__ = ["offer_import", "PLAN_SUFFIXES"]

PLAN_SUFFIXES = (".docx", ".pdf", ".xlsx", ".csv")
_ROLE_BUTTONS = ("title", "number", "indicator", "steps", "responsible", "period", "rounds", "topic", "weakness",
                 "ignore")


def _cut(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _parse(ctx: Ctx, data: bytes, name: str, choice: dict[str, Any] | None) -> Any:
    """Parse in the bounded worker with the office's remembered mappings and the admin's choice, if any."""
    from .plan_import import ColumnChoice, parse_plan_bytes
    from .plan_mapping import stored_mappings

    chosen = None
    if choice:
        chosen = ColumnChoice(int(choice["table"]), {int(c): r for c, r in choice["columns"].items()})
    return ctx.bounded(parse_plan_bytes, data, name, stored_mappings(ctx.repo, ctx.org.id), chosen)


def _failed(ctx: Ctx, exc: Exception) -> list[Reply]:
    if isinstance(exc, WorkLimitExceeded):
        return [Reply(ctx.t("work_limit", limit=ctx.t(f"limit_{exc.limit}")))]
    return [Reply(ctx.t("import_failed", error=str(exc)))]


def _preview(ctx: Ctx, parsed: Any) -> list[Reply]:
    """The preview with import, correct-columns (when columns were read) and cancel buttons."""
    from .plan_import import apply_plan, preview_text

    st = ctx.state or {}
    fy = int(st["fy"])
    changes = apply_plan(ctx.repo, ctx.org.id, fy, parsed, dry_run=True)
    mappable = parsed.columns and st.get("name", "").lower().endswith((".docx", ".pdf"))
    if mappable:
        first = parsed.columns[0].table
        st["fix"] = {"table": first, "columns": [[c.header, ""] for c in parsed.columns if c.table == first]}
    ctx.new_nonce()
    row = [ctx.button(ctx.t("btn_import"), "i"), ctx.button(ctx.t("btn_cancel"), "x")]
    rows = [row, [ctx.button(ctx.t("btn_fix_columns"), "mf")]] if mappable else [row]
    ctx.save(st)
    text = preview_text(parsed, fy, changes) + "\n\n" + ctx.t("import_preview_confirm", fy=fy)
    return [Reply(text, rows)]


def _column_screen(ctx: Ctx) -> list[Reply]:
    """Ask what the next column of the chosen table is, with a button per role."""
    st = ctx.state or {}
    columns = st["columns"]
    col = int(st["col"])
    header, sample = columns[col]
    ctx.new_nonce()
    buttons = [ctx.button(ctx.t(f"role_btn_{r}"), "mc", r) for r in _ROLE_BUTTONS]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    ctx.save(st)
    text = ctx.t("import_map_column", table=st["table"], col=col + 1, width=len(columns),
                 header=_cut(header) or "-", sample=_cut(sample) or "-")
    return [Reply(text, rows)]


def _mapping_tables(ctx: Ctx, exc: Any) -> list[Reply]:
    """The tables found and a button per table: the start of the mapping step."""
    from .plan_mapping import tables_text

    st = ctx.state or {}
    tables = exc.tables[:8]
    st.update(step="map", tables={
        str(t.number): [[_cut(h), _cut(" / ".join(r.cells[i] for r in t.rows[1:3] if i < len(r.cells)))]
                        for i, h in enumerate(t.first_cells())]
        for t in tables
    })
    ctx.new_nonce()
    buttons = [ctx.button(ctx.t("btn_map_table", n=t.number), "mt", str(t.number)) for t in tables]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)] + [[ctx.button(ctx.t("btn_cancel"), "x")]]
    ctx.save(st)
    return [Reply(ctx.t("import_map_tables", error=str(exc), tables=tables_text(tables)), rows)]


def _read_and_preview(ctx: Ctx) -> list[Reply]:
    """Parse the stored file (with the choice so far) and preview it, or start the mapping step."""
    from .plan_import import MappingNeeded, PlanImportError

    st = ctx.state or {}
    data = ctx.evidence.read(st.get("sha", ""))
    if data is None:
        ctx.save(None)
        return [Reply(ctx.t("stale_button"))]
    try:
        parsed = _parse(ctx, data, st["name"], st.get("choice"))
    except MappingNeeded as exc:
        return _mapping_tables(ctx, exc)
    except (PlanImportError, WorkLimitExceeded) as exc:
        if st.get("choice"):  # a mapping that reads nothing: choose again, the file is kept
            st.pop("choice")
            return [Reply(ctx.t("import_failed", error=str(exc)))] + _column_restart(ctx)
        ctx.save(None)
        return _failed(ctx, exc)
    return _preview(ctx, parsed)


def _column_restart(ctx: Ctx) -> list[Reply]:
    st = ctx.state or {}
    st.update(step="map", col=0, chosen={})
    return _column_screen(ctx) if st.get("columns") else [Reply(ctx.t("stale_button"))]


def offer_import(ctx: Ctx) -> list[Reply]:
    """Keep the file (by hash) and show what it holds, or the mapping step when its tables are not understood."""
    att = next((a for a in ctx.event.attachments if a.name.lower().endswith(PLAN_SUFFIXES)), None)
    if att is None:
        return [Reply(ctx.t("idle_text"))]
    if not is_admin(ctx.officer):
        return [Reply(ctx.t("import_admin_only"))]
    if att.data is None:
        return [Reply(ctx.t("file_too_big", name=att.name, limit=ctx.evidence.max_bytes // (1024 * 1024)))]
    from .plan_import import MappingNeeded, PlanImportError

    needed: MappingNeeded | None = None
    try:
        parsed = _parse(ctx, att.data, att.name, None)
    except MappingNeeded as exc:
        needed = exc
    except (PlanImportError, WorkLimitExceeded) as exc:  # refused before anything is kept
        return _failed(ctx, exc)
    fy = round_context(ctx.repo, ctx.org.id, ctx.clock).fiscal_year
    stored = ctx.evidence.put(att.data, att.name, att.mime, ctx.officer.id)
    ctx.state = {"flow": "import", "step": "import", "sha": stored.sha256, "name": att.name, "fy": fy}
    return _mapping_tables(ctx, needed) if needed is not None else _preview(ctx, parsed)


def _guard(ctx: Ctx) -> dict[str, Any] | None:
    st = ctx.state or {}
    return st if is_admin(ctx.officer) and st.get("flow") == "import" else None


@action("mt")
def act_map_table(ctx: Ctx, arg: str) -> list[Reply]:
    """The admin picked the table: ask each of its columns in turn."""
    st = _guard(ctx)
    if st is None or arg not in st.get("tables", {}):
        return [Reply(ctx.t("stale_button"))]
    st.update(table=int(arg), columns=st["tables"][arg])
    return _column_restart(ctx)


@action("mf")
def act_fix_columns(ctx: Ctx, arg: str) -> list[Reply]:
    """The admin corrects how an understood table's columns were read."""
    st = _guard(ctx)
    if st is None or not st.get("fix"):
        return [Reply(ctx.t("stale_button"))]
    st.update(table=int(st["fix"]["table"]), columns=st["fix"]["columns"])
    return _column_restart(ctx)


def _mapped(ctx: Ctx, columns: dict[str, str]) -> list[Reply]:
    """Every column answered: read the file with this mapping (a measure title is required)."""
    st = ctx.state or {}
    if "title" not in columns.values():
        return [Reply(ctx.t("import_map_no_title"))] + _column_restart(ctx)
    st.update(step="import", choice={"table": st["table"], "columns": columns})
    return _read_and_preview(ctx)


@action("mc")
def act_map_column(ctx: Ctx, arg: str) -> list[Reply]:
    """One column's role chosen; the next column, or the preview after the last."""
    st = _guard(ctx)
    if st is None or st.get("step") != "map" or "columns" not in st or arg not in _ROLE_BUTTONS:
        return [Reply(ctx.t("stale_button"))]
    chosen = st.setdefault("chosen", {})
    if arg != "ignore":
        chosen = {c: r for c, r in chosen.items() if r != arg}  # one column per role: the later choice wins
        chosen[str(st["col"])] = arg
    st["chosen"], st["col"] = chosen, int(st["col"]) + 1
    if st["col"] < len(st["columns"]):
        return _column_screen(ctx)
    return _mapped(ctx, chosen)


@step("map")
def typed_mapping(ctx: Ctx) -> list[Reply]:
    """ "title=3,responsible=5" typed instead of pressing a button per column."""
    from .plan_import import PlanImportError
    from .plan_mapping import parse_columns

    if ctx.event.kind == "file":  # another file instead: start over with it
        ctx.save(None)
        return offer_import(ctx)
    st = _guard(ctx)
    if st is None or "columns" not in st:
        return [Reply(ctx.t("choose_button"))]
    try:
        columns = parse_columns(ctx.event.text or "")
    except PlanImportError as exc:
        return [Reply(ctx.t("import_failed", error=str(exc)))] + _column_screen(ctx)
    return _mapped(ctx, {str(c): r for c, r in columns.items()})


@action("i")
def act_import(ctx: Ctx, arg: str) -> list[Reply]:
    """Confirmed: import the previewed file into the plan (reports already made are kept)."""
    from .plan_import import PlanImportError, apply_plan
    from .plan_mapping import remember_mapping

    st = _guard(ctx)
    if st is None:
        return [Reply(ctx.t("stale_button"))]
    data = ctx.evidence.read(st.get("sha", ""))
    ctx.save(None)
    if data is None:
        return [Reply(ctx.t("stale_button"))]
    try:
        parsed = _parse(ctx, data, st["name"], st.get("choice"))
        result = apply_plan(ctx.repo, ctx.org.id, int(st["fy"]), parsed)
    except (PlanImportError, WorkLimitExceeded) as exc:
        return _failed(ctx, exc)
    remember_mapping(ctx.repo, ctx.org.id, parsed.mapping)
    kept = "\n" + ctx.t("import_mapping_kept") if parsed.mapping else ""
    return [Reply(ctx.t("import_done") + "\n" + result.text() + kept)]
