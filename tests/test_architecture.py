"""The house rules of ARCHITECTURE.md: which package may import which (arrows point down only)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "scheduler", "report", "domain", "storage", "bench")
SDKS = ("telegram", "linebot", "aiohttp", "apscheduler")

# package -> first-party packages it must never import
FORBIDDEN: dict[str, set[str]] = {
    "storage": {"bot", "handlers", "scheduler", "report", "domain", "bench"},
    "domain": {"bot", "handlers", "scheduler", "report", "bench"},
    "report": {"bot", "handlers", "scheduler", "bench"},
    "handlers": {"bot", "scheduler", "bench"},
    "scheduler": {"bot", "handlers", "report", "bench"},
    "bot": {"bench"},
}
# third-party SDKs only bot/ may know (the scheduler's service wraps APScheduler itself)
SDK_ALLOWED = {"bot": set(SDKS), "scheduler": {"apscheduler"}, "bench": set(SDKS)}


# known breaks being removed (issue 11): delete an entry when its module is fixed; the list only shrinks
KNOWN: set[str] = set()


def _imports(path: Path) -> set[str]:
    """Top-level names a module imports (absolute imports; relative ones stay inside the package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_arrows_point_down(package: str) -> None:
    bad = []
    for path in _modules(package):
        hit = _imports(path) & FORBIDDEN[package]
        if hit and str(path.relative_to(ROOT)) not in KNOWN:
            bad.append(f"{path.relative_to(ROOT)} imports {sorted(hit)}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "bench"])
def test_only_bot_knows_platform_sdks(package: str) -> None:
    allowed = SDK_ALLOWED.get(package, set())
    bad = []
    for path in _modules(package):
        hit = (_imports(path) & set(SDKS)) - allowed
        if hit:
            bad.append(f"{path.relative_to(ROOT)} imports {sorted(hit)}")
    assert not bad, "\n".join(bad)


def test_nothing_imports_bench() -> None:
    bad = [str(p.relative_to(ROOT)) for pkg in PACKAGES if pkg != "bench" for p in _modules(pkg) if "bench" in _imports(p)]
    assert not bad, bad
