"""Per-office report settings: digits, preamble and the signature path, kept in the repository's settings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from storage.models import Organization
from storage.repository import Repository

__all__ = ["SETTING_KEY", "SIGNER_ROLES", "ReportOptions", "Signer", "as_dict", "load_options", "save_options",
           "with_signer"]

SETTING_KEY = "report"
SIGNER_ROLES: tuple[tuple[str, str], ...] = (  # key, the word after "ลงชื่อ …"
    ("reporter", "ผู้รายงาน"),
    ("checker", "ผู้ตรวจสอบ/เห็นชอบ"),
    ("approver", "ผู้อนุมัติ"),
)


@dataclass(frozen=True)
class Signer:
    """One step of the signature path: who signs, and whether they write an opinion (ความเห็น) first."""

    role: str  # "reporter" | "checker" | "approver"
    name: str = ""
    position: str = ""
    opinion: bool = True  # print "ความเห็น…" with dotted lines to write on
    opinion_lines: int = 2

    @property
    def role_label(self) -> str:
        """ผู้รายงาน / ผู้ตรวจสอบ/เห็นชอบ / ผู้อนุมัติ."""
        return dict(SIGNER_ROLES).get(self.role, self.role)


def _default_signers(org: Organization) -> tuple[Signer, ...]:
    """The reporter from the organization's signer fields, then an empty checker and approver."""
    return (
        Signer("reporter", org.signer_name, org.signer_position, opinion=False),
        Signer("checker"),
        Signer("approver"),
    )


@dataclass(frozen=True)
class ReportOptions:
    """How an office wants its report printed."""

    digits: str = "thai"  # "thai" | "arabic": every number the report prints
    preamble: str = ""  # คำนำ paragraph under the title (empty: none)
    signers: tuple[Signer, ...] = field(default_factory=tuple)

    def signers_for(self, org: Organization) -> tuple[Signer, ...]:
        """The configured signature path (the reporter always from `itabot org --signer-*`), else the default."""
        if not self.signers:
            return _default_signers(org)
        return tuple(replace(s, name=org.signer_name or s.name, position=org.signer_position or s.position)
                     if s.role == "reporter" else s for s in self.signers)


def load_options(repo: Repository, org_id: str) -> ReportOptions:
    """The office's stored options; bad or missing values fall back to the defaults."""
    raw = repo.get_setting(org_id, SETTING_KEY, None)
    if not isinstance(raw, dict):
        return ReportOptions()
    digits = raw.get("digits") if raw.get("digits") in ("thai", "arabic") else "thai"
    signers = []
    for item in raw.get("signers") or []:
        if isinstance(item, dict) and item.get("role") in dict(SIGNER_ROLES):
            signers.append(Signer(
                role=str(item["role"]), name=str(item.get("name", "")), position=str(item.get("position", "")),
                opinion=bool(item.get("opinion", item["role"] != "reporter")),
                opinion_lines=max(0, min(int(item.get("opinion_lines", 2) or 0), 6)),
            ))
    return ReportOptions(digits=str(digits), preamble=str(raw.get("preamble", "")), signers=tuple(signers))


def save_options(repo: Repository, org_id: str, options: ReportOptions) -> None:
    """Store the office's options."""
    repo.set_setting(org_id, SETTING_KEY, {
        "digits": options.digits, "preamble": options.preamble, "signers": [asdict(s) for s in options.signers],
    })


def with_signer(options: ReportOptions, org: Organization, signer: Signer) -> ReportOptions:
    """The options with one role's signer replaced (the others kept or defaulted)."""
    current = list(options.signers_for(org))
    if signer.role == "reporter":
        signer = replace(signer, opinion=False)
    roles = [s.role for s in current]
    if signer.role in roles:
        current[roles.index(signer.role)] = signer
    else:
        current.append(signer)
    order = [r for r, _ in SIGNER_ROLES]
    current.sort(key=lambda s: order.index(s.role))
    return replace(options, signers=tuple(current))


def as_dict(options: ReportOptions) -> dict[str, Any]:
    """JSON-ready form (for `itabot org --json` style output)."""
    return asdict(options)
