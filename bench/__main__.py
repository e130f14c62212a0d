"""`python -m bench` (`make bench`): run the ten benchmarks, write bench/results.json, print a table.

Options: `--quick` tiny sizes (a smoke run, seconds not minutes; figures are not comparable),
`--profile` (needs pyinstrument: writes bench/profile-NAME.txt per benchmark; `memory` runs the bot
in a subprocess, profile that one with `py-spy record --subprocesses -- python -m bench --only memory`),
`--only NAME[,NAME]` (repeatable), `--out PATH` (default bench/results.json), `--work-dir DIR` where
temporary data directories go (default: the system temp dir; its filesystem is recorded).
Headline figures sit at fixed top-level keys of results.json; each benchmark's full object (figures,
units, how it was measured, runtime, machine, date) sits under its name. A missed goal is reported,
not an error; the exit code is 1 only when a benchmark could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from importlib import import_module, metadata
from pathlib import Path
from typing import Any

from storage.clock import SystemClock

__all__ = ["BENCHMARKS", "GOALS", "main", "machine_info"]

RESULTS = Path(__file__).resolve().parent / "results.json"

# headline key → (goal text, predicate)
GOALS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "storage_growth.ratio_200_to_1": ("≤ 1.5", lambda v: v <= 1.5),
    "telegram_throughput.ratio_to_bare_ptb": ("≥ 0.5", lambda v: v >= 0.5),
    "telegram_throughput.ratio_to_bare_ptb_postgresql": ("≥ 0.5", lambda v: v >= 0.5),
    "fanout.fraction_of_cap": ("≥ 0.9", lambda v: v >= 0.9),
    "fanout.errors_429": ("0", lambda v: v == 0),
    "fanout.duplicates": ("0", lambda v: v == 0),
    "fanout.lost": ("0", lambda v: v == 0),
    "report_compile.ratio_10x": ("≤ 12", lambda v: v <= 12),
    "memory.peak_rss_mb": ("< 300", lambda v: v < 300),
    "line_cost.busiest_month_pushes": ("≤ 300", lambda v: v <= 300),
    "evidence_reuse.lookup_ms_p99": ("< 20", lambda v: v < 20),
    "report_pages.pages_53": ("≤ 35", lambda v: v <= 35),
    "stall.healthz_p99_ms": ("< 100", lambda v: v < 100),
    "hosting.ratio_1000_to_1": ("≤ 1.3", lambda v: v <= 1.3),
    "hosting.scale_2_workers": ("≥ 1.4", lambda v: v >= 1.4),
    "planning.refresh_ms_1000": ("≤ 1000", lambda v: v <= 1000),
}


def _storage_growth(quick: bool, work_dir: str | None) -> dict[str, Any]:
    from . import storage_growth

    if quick:
        return storage_growth.run(samples=5, sizes=(1, 5), work_dir=work_dir)
    return storage_growth.run(work_dir=work_dir)


def _telegram_throughput(quick: bool, work_dir: str | None) -> dict[str, Any]:
    from . import telegram_throughput

    if quick:
        return telegram_throughput.run(n_officers=5, measures=1, n_orgs=5, repeats=1, work_dir=work_dir)
    return telegram_throughput.run(work_dir=work_dir)


def _fanout(quick: bool, work_dir: str | None) -> dict[str, Any]:
    from . import fanout

    return fanout.run(150, 30) if quick else fanout.run()


def _report_compile(quick: bool, work_dir: str | None) -> dict[str, Any]:
    """Wraps bench/report_compile.py: its per-step ratios, plus the headline ratio of the summed seconds."""
    from . import report_compile

    if quick:
        base, tenx = report_compile.time_year(5, 10), report_compile.time_year(50, 10)
        raw: dict[str, Any] = {"1x": base, "10x": tenx}
    else:
        raw = report_compile.run(1)
    base_s, tenx_s = sum(raw["1x"]["seconds"].values()), sum(raw["10x"]["seconds"].values())
    by_step = {k: round(raw["10x"]["seconds"][k] / v, 2) if v else None for k, v in raw["1x"]["seconds"].items()}
    return {
        "report_compile.ratio_10x": round(tenx_s / base_s, 2) if base_s else None,
        "unit": "ratio of seconds (10× measures / 1×), all four rounds compiled and rendered",
        "goal": "ratio_10x <= 12 (linear)",
        "ratio_10x_by_step": by_step,
        "seconds_1x": round(base_s, 3), "seconds_10x": round(tenx_s, 3),
        "1x": raw["1x"], "10x": raw["10x"],
        "how": "bench/report_compile.py: compile_round + DOCX + XLSX + PNG for each round, summed; "
               f"{raw['1x']['measures']} vs {raw['10x']['measures']} measures, {raw['1x']['evidence_items']} evidence items",
    }


def _memory(quick: bool, work_dir: str | None) -> dict[str, Any]:
    from . import memory

    return memory.run(n_orgs=10, work_dir=work_dir) if quick else memory.run(work_dir=work_dir)


def _line_cost(quick: bool, work_dir: str | None) -> dict[str, Any]:
    """Wraps bench/line_cost.py (written with the scheduler); its keys are already prefixed."""
    try:
        line_cost = import_module(f"{__package__}.line_cost")
    except ImportError as exc:
        raise RuntimeError("bench/line_cost.py is not there yet (scheduler issue)") from exc
    out: dict[str, Any] = dict(line_cost.run())
    out.setdefault("unit", out.get("line_cost.unit", "LINE pushes per month"))
    out.setdefault("goal", "busiest_month_pushes <= 300 (LINE free plan)")
    out.setdefault("how", out.get("line_cost.method", ""))
    return out


def _evidence_reuse(quick: bool, work_dir: str | None) -> dict[str, Any]:
    from . import evidence_reuse

    return evidence_reuse.run(stored=2_000, lookups=200) if quick else evidence_reuse.run()


def _report_pages(quick: bool, work_dir: str | None) -> dict[str, Any]:
    """Wraps bench/report_pages.py (needs LibreOffice and poppler); the same single render when quick."""
    from . import report_pages

    return report_pages.run(work_dir)


def _stall(quick: bool, work_dir: str | None) -> dict[str, Any]:
    """Wraps bench/stall.py: /healthz latency while heavy imports and a /summary run (smaller when quick)."""
    from . import stall

    return stall.run(depth=6, photos=10, work_dir=work_dir) if quick else stall.run(work_dir=work_dir)


def _hosting(quick: bool, work_dir: str | None) -> dict[str, Any]:
    """Wraps bench/hosting.py: 1,000 offices in PostgreSQL, two workers vs one (needs PostgreSQL's binaries)."""
    from . import hosting

    if quick:
        return hosting.run(offices=20, tiny_offices=20, samples=10, officers=8, work_dir=work_dir)
    return hosting.run(work_dir=work_dir)


def _planning(quick: bool, work_dir: str | None) -> dict[str, Any]:
    """Wraps bench/planning.py: starting on and re-deriving the reminders of 1,000 offices."""
    from . import planning

    return planning.run(offices=20, work_dir=work_dir) if quick else planning.run(work_dir=work_dir)


BENCHMARKS: dict[str, Callable[[bool, str | None], dict[str, Any]]] = {
    "storage_growth": _storage_growth,
    "telegram_throughput": _telegram_throughput,
    "fanout": _fanout,
    "report_compile": _report_compile,
    "memory": _memory,
    "line_cost": _line_cost,
    "evidence_reuse": _evidence_reuse,
    "report_pages": _report_pages,
    "stall": _stall,
    "hosting": _hosting,
    "planning": _planning,
}


def _run_text(cmd: Sequence[str]) -> str:
    try:
        out = subprocess.run(list(cmd), capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent.parent)
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _mem_total_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return None


def _fs_type(path: str) -> str:
    """Filesystem of the temp data directories (fsync costs differ a lot between tmpfs and disks)."""
    best, kind = "", ""
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) > 2 and path.startswith(parts[1]) and len(parts[1]) > len(best):
                best, kind = parts[1], parts[2]
    except OSError:
        pass
    return f"{kind} ({best})" if kind else "unknown"


def machine_info(work_dir: str | None) -> dict[str, Any]:
    """What the figures were measured on."""
    versions: dict[str, str | None] = {}
    for pkg in ("python-telegram-bot", "tinydb", "aiohttp", "httpx", "python-docx", "openpyxl", "matplotlib"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    tmp = os.path.realpath(work_dir or tempfile.gettempdir())
    return {
        "hostname": platform.node(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "mem_total_mb": _mem_total_mb(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "work_dir": tmp,
        "work_dir_fs": _fs_type(tmp),
        "git_commit": _run_text(["git", "rev-parse", "--short", "HEAD"]) or None,
        "git_dirty": bool(_run_text(["git", "status", "--porcelain", "--untracked-files=no"])),
        "packages": versions,
    }


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return "—" if value is None else str(value)


def table(results: dict[str, Any]) -> str:
    """The short terminal table: headline figure, value, goal, met."""
    rows = [("figure", "value", "goal", "met")]
    for key, (goal, ok) in GOALS.items():
        value = results.get(key)
        if value is None:
            bench = key.split(".", 1)[0]
            err = results.get(bench, {}).get("error")
            rows.append((key, "not run" if err is None else "error", goal, "—"))
            continue
        rows.append((key, _fmt(value), goal, "yes" if ok(value) else "NO"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _profiled(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one benchmark under pyinstrument and keep the text profile beside the results."""
    try:
        from pyinstrument import Profiler
    except ImportError as exc:
        raise RuntimeError("--profile needs pyinstrument: .venv/bin/pip install pyinstrument") from exc
    profiler = Profiler(async_mode="disabled")
    profiler.start()
    try:
        return BENCHMARKS[name](args.quick, args.work_dir)
    finally:
        profiler.stop()
        target = args.out.parent / f"profile-{name}.txt"
        target.write_text(profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
        print(f"  profile: {target}", file=sys.stderr)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description="itabot benchmarks")
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run, figures not comparable")
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help=f"run only these (comma-separated or repeated): {', '.join(BENCHMARKS)}")
    p.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON (default bench/results.json)")
    p.add_argument("--work-dir", help="directory for temporary data directories (default: system temp)")
    p.add_argument("--profile", action="store_true", help="profile each benchmark with pyinstrument (installed separately)")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks in order, write the JSON, print the table."""
    args = _parse(argv)
    names = [n.strip() for arg in args.only for n in arg.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    clock = SystemClock()  # the only wall clock: dates of the measurements (Asia/Bangkok)
    started = clock.now()
    machine = machine_info(args.work_dir)
    results: dict[str, Any] = {"date": started.isoformat(timespec="seconds"), "quick": args.quick,
                               "machine": machine}
    failed = False
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for name in names:
        print(f"running {name} …", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            figures = _profiled(name, args) if args.profile else BENCHMARKS[name](args.quick, args.work_dir)
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed = True
            figures = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(limit=5)}
            print(f"  {name} failed: {exc}", file=sys.stderr)
        figures["runtime_seconds"] = round(time.perf_counter() - t0, 1)
        figures["date"] = clock.now().isoformat(timespec="seconds")
        figures["machine"] = machine
        results[name] = figures
        for key in GOALS:
            if key in figures:
                results[key] = figures[key]
        print(f"  {name}: {figures['runtime_seconds']} s", file=sys.stderr, flush=True)
    ordered: dict[str, Any] = {k: results[k] for k in ("date", "quick") if k in results}
    ordered.update({k: results[k] for k in GOALS if k in results})
    ordered.update({k: v for k, v in results.items() if k not in ordered})
    args.out.write_text(json.dumps(ordered, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(table(ordered))
    print(f"\nwritten {args.out}" + ("  (quick run: sizes are tiny, do not compare)" if args.quick else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
