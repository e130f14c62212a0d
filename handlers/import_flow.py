"""An admin sends the plan (.docx/.xlsx/.csv) in chat: the bot previews it and imports after a confirm."""

from __future__ import annotations

from domain.events import Reply
from domain.limits import WorkLimitExceeded

from .context import Ctx, action
from .services import is_admin, round_context

__all__ = ["offer_import", "PLAN_SUFFIXES"]

PLAN_SUFFIXES = (".docx", ".xlsx", ".csv")


def offer_import(ctx: Ctx) -> list[Reply]:
    """Parse the file, show the preview, and keep it (by hash) until the admin confirms."""
    from .plan_import import PlanImportError, apply_plan, parse_plan_bytes, preview_text

    att = next((a for a in ctx.event.attachments if a.name.lower().endswith(PLAN_SUFFIXES)), None)
    if att is None:
        return [Reply(ctx.t("idle_text"))]
    if not is_admin(ctx.officer):
        return [Reply(ctx.t("import_admin_only"))]
    if att.data is None:
        return [Reply(ctx.t("file_too_big", name=att.name, limit=ctx.evidence.max_bytes // (1024 * 1024)))]
    try:
        parsed = ctx.bounded(parse_plan_bytes, att.data, att.name)
    except PlanImportError as exc:
        return [Reply(ctx.t("import_failed", error=str(exc)))]
    except WorkLimitExceeded as exc:
        return [Reply(ctx.t("work_limit", limit=ctx.t(f"limit_{exc.limit}")))]
    fy = round_context(ctx.repo, ctx.org.id, ctx.clock).fiscal_year
    changes = apply_plan(ctx.repo, ctx.org.id, fy, parsed, dry_run=True)
    stored = ctx.evidence.put(att.data, att.name, att.mime, ctx.officer.id)
    ctx.save({"flow": "import", "step": "import", "sha": stored.sha256, "name": stored.name, "fy": fy})
    ctx.new_nonce()
    rows = [[ctx.button(ctx.t("btn_import"), "i"), ctx.button(ctx.t("btn_cancel"), "x")]]
    ctx.save(ctx.state)
    text = preview_text(parsed, fy, changes) + "\n\n" + ctx.t("import_preview_confirm", fy=fy)
    return [Reply(text, rows)]


@action("i")
def act_import(ctx: Ctx, arg: str) -> list[Reply]:
    """Confirmed: import the previewed file into the plan (reports already made are kept)."""
    from .plan_import import PlanImportError, apply_plan, parse_plan_bytes

    st = ctx.state or {}
    if not is_admin(ctx.officer) or st.get("flow") != "import":
        return [Reply(ctx.t("stale_button"))]
    data = ctx.evidence.read(st.get("sha", ""))
    ctx.save(None)
    if data is None:
        return [Reply(ctx.t("stale_button"))]
    try:
        result = apply_plan(ctx.repo, ctx.org.id, int(st["fy"]), ctx.bounded(parse_plan_bytes, data, st["name"]))
    except PlanImportError as exc:
        return [Reply(ctx.t("import_failed", error=str(exc)))]
    except WorkLimitExceeded as exc:
        return [Reply(ctx.t("work_limit", limit=ctx.t(f"limit_{exc.limit}")))]
    return [Reply(ctx.t("import_done") + "\n" + result.text())]
