"""The gate before the site: a round is published only with an approval that is valid for its answers as they are.

Both entry points (`itabot publish` and /publish) call `prepare()`: it compiles the round (report.compile, so
the status rule is domain.status's), asks domain.review which approval is current for the answers now, and
returns a picklable PublishJob, or the reason it refuses (nothing is written then).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from domain.review import OUTDATED as APPROVAL_OUTDATED
from domain.review import answers_digest, approval_state, current_approval
from storage.models import ROUNDS, Approval
from storage.repository import Repository

from .compile import compile_round
from .options import load_options
from .site import PublishJob
from .site_model import PublicApproval

__all__ = ["NO_PLAN", "NOT_APPROVED", "OUTDATED", "Refusal", "approved_rounds", "prepare", "private_tokens"]

NO_PLAN = "no_plan"
NOT_APPROVED = "not_approved"
OUTDATED = "outdated"


@dataclass(frozen=True)
class Refusal:
    """Why a round cannot be published: NO_PLAN, NOT_APPROVED (never approved) or OUTDATED (answers changed since)."""

    reason: str
    fiscal_year: int
    round_no: int


def private_tokens(repo: Repository, org_id: str) -> frozenset[str]:
    """The office's chat ids, LINE ids and officer ids: masked wherever an answer happens to contain one."""
    tokens: set[str] = set()
    for person in repo.list_officers(org_id):
        tokens.add(person.id)
        for ident in person.identities:
            tokens.update(t for t in (ident.user_id, ident.chat_id) if t)
    return frozenset(t for t in tokens if len(t) >= 5)


def _current(repo: Repository, org_id: str, fiscal_year: int, round_no: int) -> Approval | None | str:
    """The approval valid for the round's answers now; OUTDATED when only older ones exist; None when none."""
    approvals = repo.list_approvals(org_id, fiscal_year, round_no)
    digest = answers_digest(repo.list_reports(org_id, fiscal_year), round_no)  # carried answers count, as printed
    approval = current_approval(approvals, digest)
    if approval is not None:
        return approval
    return OUTDATED if approval_state(approvals, digest) == APPROVAL_OUTDATED else None


def approved_rounds(repo: Repository, org_id: str, fiscal_year: int) -> list[int]:
    """The rounds of the year with an approval valid for their answers now."""
    return [r for r in ROUNDS if isinstance(_current(repo, org_id, fiscal_year, r), Approval)]


def prepare(repo: Repository, org_id: str, fiscal_year: int, round_no: int, now: datetime, org_root: Path,
            evidence_root: Path | None, exports_dir: Path | None) -> PublishJob | Refusal:
    """A publish job for an approved round, or the refusal (nothing is compiled into the site then)."""
    if not repo.list_measures(org_id, fiscal_year):
        return Refusal(NO_PLAN, fiscal_year, round_no)
    found = _current(repo, org_id, fiscal_year, round_no)
    if not isinstance(found, Approval):
        return Refusal(found or NOT_APPROVED, fiscal_year, round_no)
    report = compile_round(repo, org_id, fiscal_year, round_no, now)
    options = load_options(repo, org_id)
    public = PublicApproval(found.at, found.document_sha256)
    documents = exports_dir / org_id if exports_dir else None  # the worker looks for the approved file there
    return PublishJob(report, public, options, org_root, evidence_root, documents, private_tokens(repo, org_id), now)
