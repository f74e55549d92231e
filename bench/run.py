"""Run the benchmarks, print a table, write bench/results.json; exit 1 when a budget is missed.

    python -m bench                     # everything (what `make bench` runs), about 3 minutes
    python -m bench --only server,core  # some of them: core scale server memory cold page keystroke adversarial
    python -m bench --quick             # shorter runs, for trying the harness (figures are noisier)

Exit codes: 0 every budget met, 1 a budget missed (or a benchmark could not measure), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import adversarial, cold, core, keystroke, memory, page, scale, server
from bench.common import ROOT, Budget, NoBrowser, Section, fmt, machine_info

#: key -> (title, runner, budgets it owns: reported as failed when the benchmark cannot run)
BENCHMARKS: dict[str, tuple[str, Callable[..., None], tuple[str, ...]]] = {
    "server": (
        "1. Server overhead (loopback, keep-alive)",
        server.run,
        ("HS256 fragment throughput / ceiling (/healthz)", "POST /api/verify HS256 throughput / ceiling (/healthz)"),
    ),
    "core": (
        "1b. Core in-process vs joserfc bare verify",
        core.run,
        (
            "RS256 core / joserfc decode+verify+claims (key in hand)",
            "HS256 core, right secret, new token / joserfc (key in hand)",
        ),
    ),
    "keystroke": (
        "2. Keystroke to screen (Chromium)",
        keystroke.run,
        ("keystroke to screen p95 (debounce included)",),
    ),
    "page": ("3. Page weight (first load of /)", page.run, ("first load of /: bytes transferred",)),
    "cold": (
        "4. Cold start (jwtlens serve -> 200 on /; jwtlens decode)",
        cold.run,
        ("cold start to first 200 on /", "jwtlens decode / python -c 'import joserfc.jws, joserfc.jwt' (wall)"),
    ),
    "memory": ("5. Memory (RSS under mixed load)", memory.run, ("RSS after 20,000 / after 1,000 requests",)),
    "scale": (
        "6. Scale (token size, weak-secret scan)",
        scale.run,
        ("RS256 verify growth: µs/KB 64->256 KB vs 16->64 KB",),
    ),
    "adversarial": (
        "7. Adversarial (1 MB hostile pastes; worst-case requests in flight)",
        adversarial.run,
        (
            "1 MB adversarial paste, slowest extraction",
            "/healthz p95 with 4 worst-case requests in flight",
            "ordinary verify p95 with 4 worst-case requests in flight",
        ),
    ),
}
ORDER = ("core", "scale", "server", "memory", "cold", "page", "keystroke", "adversarial")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="jwtlens benchmarks and budgets")
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(ORDER)}")
    parser.add_argument("--skip", help="comma-separated benchmarks to leave out")
    parser.add_argument("--quick", action="store_true", help="shorter runs (noisier figures)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json", help="where to write results")
    parser.add_argument("--processes", type=int, default=2, help="load generator processes (default 2)")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections in all (default 4)")
    args = parser.parse_args(argv)
    for name in ("only", "skip"):
        chosen = [x.strip() for x in (getattr(args, name) or "").split(",") if x.strip()]
        unknown = [x for x in chosen if x not in BENCHMARKS]
        if unknown:
            parser.error(f"--{name}: unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(ORDER)}")
        setattr(args, name, chosen)
    return args


def run_one(key: str, args: argparse.Namespace) -> Section:
    title, runner, owned = BENCHMARKS[key]
    section = Section(key, title)
    print(f"-- {title} ...", flush=True)
    started = time.perf_counter()
    options: dict[str, Any] = {"quick": args.quick}
    if key in ("server", "memory"):
        options.update(processes=args.processes, connections=args.connections)
    try:
        runner(section, **options)
    except NoBrowser as exc:
        section.error = str(exc)
    except Exception as exc:
        section.error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    section.seconds = time.perf_counter() - started
    if section.error:
        have = {b.name for b in section.budgets}
        for name in owned:
            if name not in have:
                section.budgets.append(Budget(name, None, float("nan"), "<=", note=f"not measured: {section.error}"))
    return section


def print_report(info: dict[str, Any], sections: list[Section], seconds: float) -> None:
    width = max([len(label) for s in sections for label, _ in s.rows] + [30])
    print()
    print(
        f"jwtlens benchmarks: {info['cpu_model']}, {info['cores']} cores, Python {info['python']}, "
        f"load average at start {info['load_average_at_start']}"
    )
    for section in sections:
        print()
        print(f"{section.title}  [{section.seconds:.0f} s]")
        if section.error:
            print(f"  ERROR: {section.error}")
        for label, value in section.rows:
            print(f"  {label.ljust(width)}  {value}")
    budgets = [b for s in sections for b in s.budgets]
    print()
    print("Budgets")
    name_width = max([len(b.name) for b in budgets] + [10])
    print(f"  {'budget'.ljust(name_width)}  {'limit':>12}  {'measured':>12}  result")
    for b in budgets:
        limit = f"{b.op} {fmt(b.limit)}{b.unit}" if b.limit == b.limit else "-"
        measured = f"{fmt(b.measured)}{b.unit}" if b.measured is not None else "n/a"
        verdict = "pass" if b.passed else "FAIL"
        print(f"  {b.name.ljust(name_width)}  {limit:>12}  {measured:>12}  {verdict}  {b.note}")
    failed = [b for b in budgets if not b.passed]
    print()
    print(
        f"{len(budgets) - len(failed)} of {len(budgets)} budgets met in {seconds:.0f} s"
        + (f"; MISSED: {', '.join(b.name for b in failed)}" if failed else "")
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # joserfc warns on every use of the name "EdDSA" (deprecated by RFC 9864); the benchmark uses it on purpose.
    warnings.filterwarnings("ignore", message=".*deprecated via RFC 9864")
    chosen = [k for k in ORDER if (not args.only or k in args.only) and k not in args.skip]
    info = machine_info()
    started = time.perf_counter()
    sections = [run_one(key, args) for key in chosen]
    seconds = time.perf_counter() - started
    print_report(info, sections, seconds)
    budgets = [b for s in sections for b in s.budgets]
    document = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "quick": args.quick,
        "machine": info,
        "benchmarks": {s.key: s.as_dict() for s in sections},
        "budgets": [b.as_dict() for b in budgets],
        "passed": all(b.passed for b in budgets),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"figures written to {args.json}")
    return 0 if document["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
