"""/publish and /unpublish (admins): the approved round as the office's public site, the zip, taking it down.

The gate (an approval valid for the answers now) is report.site_publish's; the writing (photos resized,
document rendered when the approved one is gone) runs through ctx.bounded like /summary's rendering.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from pathlib import Path

from domain.events import OutFile, Reply
from domain.fiscal import to_arabic_digits
from domain.limits import WorkLimitExceeded
from domain.words import WordError, parse_round
from report.site import PublishResult, org_site, publish, publish_in_worker, unpublish
from report.site_publish import Refusal, approved_rounds, prepare

from .context import Ctx, command
from .services import round_context
from .texts import round_refusal

__all__ = ["cmd_publish", "cmd_unpublish"]

log = logging.getLogger(__name__)
ZIP_MIME = "application/zip"
CHAT_FILE_MAX = 45 * 1024 * 1024  # Telegram bots upload at most 50 MB


def _target(ctx: Ctx) -> tuple[int | None, int, list[Reply]]:
    """"/publish 6" or "/publish 12 2568": the round (None: not typed) and fiscal year, or the refusing reply."""
    words = ctx.event.args.split()
    fy = round_context(ctx.repo, ctx.org.id, ctx.clock).fiscal_year
    if words and re.fullmatch(r"25\d\d", to_arabic_digits(words[-1])):
        fy = int(to_arabic_digits(words.pop()))
    arg = " ".join(words)
    if not arg:
        return None, fy, []
    try:
        return parse_round(arg), fy, []
    except WordError:
        return None, fy, [Reply(round_refusal(ctx.lang, arg))]


def _zip_path(ctx: Ctx) -> Path:
    """Where /publish leaves the site's zip (sent in chat, or taken from the server when too large)."""
    assert ctx.exports_dir is not None
    return ctx.exports_dir / ctx.org.id / f"site-{ctx.org.id}.zip"


def _links(ctx: Ctx, result: PublishResult) -> str:
    """The page addresses to paste into ITAS, when the bot's web server is public."""
    if not ctx.site_url:
        return ctx.t("publish_no_url")
    base = f"{ctx.site_url.rstrip('/')}/{ctx.org.id}/"
    lines = [ctx.t("publish_round_page", url=base + result.round_page)]
    lines += [ctx.t("publish_oit_page", url=base + rel) for rel in result.oit_pages]
    return "\n".join(lines)


@command("publish", role="admin")
def cmd_publish(ctx: Ctx) -> list[Reply]:
    """/publish [ROUND [YEAR]]: publish an approved round (default: the latest approved one of this fiscal year)."""
    if ctx.exports_dir is None:
        return [Reply(ctx.t("publish_unavailable"))]
    typed, fy, refusal = _target(ctx)
    if refusal:
        return refusal
    rnd = typed
    if rnd is None:  # the latest approved round; early in a year that may be the last year's round 12
        years = [fy] if ctx.event.args.strip() else [fy, fy - 1]
        fy, rnd = next(((y, max(r)) for y in years if (r := approved_rounds(ctx.repo, ctx.org.id, y))), (fy, None))
    if rnd is None:
        return [Reply(ctx.t("publish_none_approved", fy=fy))]
    data_dir = ctx.exports_dir.parent
    root = org_site(data_dir, ctx.org.id)
    job = prepare(ctx.repo, ctx.org.id, fy, rnd, ctx.clock.now(), root, ctx.evidence.root, ctx.exports_dir)
    if isinstance(job, Refusal):
        return [Reply(ctx.t(f"publish_refused_{job.reason}", round=rnd, fy=fy))]
    archive = _zip_path(ctx)
    job = replace(job, zip_path=archive)
    try:
        if ctx.evidence.root is None:  # in-memory evidence cannot cross to another process
            result = publish(job, ctx.evidence)
        else:
            result = ctx.bounded(publish_in_worker, job)
    except WorkLimitExceeded as exc:
        log.warning("publishing stopped at its %s limit for %s", exc.limit, ctx.org.id)
        return [Reply(ctx.t("work_limit", limit=ctx.t(f"limit_{exc.limit}")))]
    except Exception:  # a full disk, a broken file: the site as it was stays, the admin is told
        log.exception("publishing failed for %s", ctx.org.id)
        return [Reply(ctx.t("publish_failed"))]
    text = ctx.t("publish_done", round=rnd, fy=fy) + "\n" + _links(ctx, result)
    if archive.stat().st_size > CHAT_FILE_MAX:  # chat apps refuse it: the office takes it from the server
        return [Reply(text + "\n" + ctx.t("publish_zip_too_big", path=str(archive)))]
    return [Reply(text, files=[OutFile(archive, archive.name, ZIP_MIME, "document")])]


@command("unpublish", role="admin")
def cmd_unpublish(ctx: Ctx) -> list[Reply]:
    """/unpublish ROUND [YEAR]: take a round off the public site (this fiscal year unless one is typed)."""
    if ctx.exports_dir is None:
        return [Reply(ctx.t("publish_unavailable"))]
    rnd, fy, refusal = _target(ctx)
    if refusal:
        return refusal
    if rnd is None:
        return [Reply(ctx.t("unpublish_usage"))]
    removed = unpublish(org_site(ctx.exports_dir.parent, ctx.org.id), fy, rnd)
    _zip_path(ctx).unlink(missing_ok=True)  # the last zip still holds the round: it goes with it
    if not removed:
        return [Reply(ctx.t("unpublish_nothing", round=rnd, fy=fy))]
    return [Reply(ctx.t("unpublish_done", round=rnd, fy=fy))]
