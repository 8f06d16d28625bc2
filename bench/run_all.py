"""Run every benchmark and rewrite the result tables of docs/benchmarks.md.

Each benchmark runs as its own process (``bench/<name>.py``), one after the other, so they do
not compete for the CPU. The tables in docs/benchmarks.md sit between ``<!-- begin:NAME -->``
and ``<!-- end:NAME -->`` markers; only those parts are rewritten, the prose stays. Raw output
goes to ``bench/results/`` (ignored by git).

Usage::

    .venv/bin/python bench/run_all.py                       # everything (about 30-40 min)
    .venv/bin/python bench/run_all.py --only e2e,idle       # some of them
    .venv/bin/python bench/run_all.py --before HEAD-1a097f9 # also the end-to-end benchmark
                                                            # without that commit (or at a
                                                            # commit): the before/after tables
    .venv/bin/python bench/run_all.py --quick               # small sizes, to try the runner

``make bench`` runs the first form. The ERA parser comparison with all four peers needs their
venv once: ``python bench/era_parse.py --setup`` (without it: oxedi and pyx12, from the
``oracles`` extra).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
PY = sys.executable
PACKAGES = ["stripe", "requests", "pyodbc", "pydantic", "pydantic-settings", "structlog",
            "APScheduler", "tenacity", "paramiko", "psycopg", "psycopg-pool", "PyYAML"]  # fmt: skip


# -- running ------------------------------------------------------------------------------
def _run(args: list[str], log: str, *, cwd: Path = ROOT) -> str:
    """Run one benchmark command, keep its output in bench/results/<log>.txt, return stdout."""
    started = time.monotonic()
    print(f"$ {' '.join(args)}", flush=True)
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    out = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    (RESULTS / f"{log}.txt").write_text(out.stdout + "\n--- stderr ---\n" + out.stderr)
    print(f"  ({time.monotonic() - started:.0f} s, exit {out.returncode})", flush=True)
    if out.returncode != 0:
        raise RuntimeError(f"{args[1]} failed; see bench/results/{log}.txt")
    return out.stdout


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


# -- the machine --------------------------------------------------------------------------
def machine() -> str:
    """CPU, cores, RAM, OS, Python, servers and package versions."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.processor())  # fmt: skip
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    os_name = platform.platform()
    release = Path("/etc/os-release")
    if release.exists():
        found = re.search(r'^PRETTY_NAME="?([^"\n]+)', release.read_text(), re.M)
        os_name = f"{found.group(1) if found else ''} (Linux {platform.release()})"
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    rows = [
        ["CPU", f"{cpu}, {os.cpu_count()} logical cores"],
        ["RAM", f"{mem_kib / 2**20:.1f} GiB"],
        ["OS", os_name],
        ["Python", f"{platform.python_implementation()} {platform.python_version()}"],
        ["SQLite", sqlite3.sqlite_version],
        ["MariaDB", _version(["mariadbd", "--version"], "/usr/sbin/mariadbd")],
        ["PostgreSQL", _version(["pg_ctl", "--version"], _pg_ctl())],
        ["packages", ", ".join(versions)],
        ["last run", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
         + f", commit {_git('rev-parse', '--short', 'HEAD')} (each table says when it ran)"],
    ]  # fmt: skip
    return _table(["", ""], rows)


def _pg_ctl() -> str:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    return str(found[0]) if found else "pg_ctl"


def _version(args: list[str], path: str) -> str:
    binary = shutil.which(args[0]) or path
    try:
        out = subprocess.run([binary, *args[1:]], capture_output=True, text=True, check=False)
    except OSError:
        return "not installed"
    return out.stdout.strip().split("\n")[0]


def _git(*args: str) -> str:
    out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return out.stdout.strip()


# -- each benchmark -----------------------------------------------------------------------
def e2e(quick: bool, before: str | None) -> dict[str, str]:
    """End-to-end postings (and the same command at ``before``, for the before/after table)."""
    size = ["--practices", "4", "--payments", "400"] if quick else []
    result = _e2e_at(ROOT, size, "e2e_posting")
    sections = {"e2e": _e2e_table([("this commit", result)])}
    if before:
        with tempfile.TemporaryDirectory(prefix="bench-before-") as tmp:
            tree = Path(tmp) / "tree"
            base, _, reverted = before.partition("-")
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), base], cwd=ROOT,
                           check=True, capture_output=True)  # fmt: skip
            if reverted:  # HEAD-<commit>: this tree without that one commit
                subprocess.run(["git", "revert", "--no-commit", reverted], cwd=tree, check=True,
                               capture_output=True)  # fmt: skip
            try:
                old = _e2e_at(tree, size, "e2e_posting_before")
                new = _e2e_at(ROOT, size, "e2e_posting_after")
                old_profile = _profile_at(tree, "profile_before")
                new_profile = _profile_at(ROOT, "profile_after")
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                               check=False, capture_output=True)  # fmt: skip
        sections["before_after"] = _e2e_table([(f"before ({before})", old),
                                                (f"after ({_git('rev-parse', '--short', 'HEAD')})",
                                                 new)])  # fmt: skip
        sections["profile"] = _profile_table(
            [(f"before ({before})", old_profile), ("after", new_profile)]
        )
    return sections


# (file suffix, function) → label; cumulative seconds, except "tottime" rows
PROFILED = [
    ("connector/posting/executor.py", "post", "posting engine, per item (cumulative)"),
    ("adapters/opendental/adapter.py", "find_posting", "`find_posting`"),
    ("~", "<method 'execute' of 'pyodbc.Cursor' objects>", "ODBC queries (all)"),
    ("requests/sessions.py", "request", "HTTP to the API double (all)"),
    ("connector/store/sqlite.py", "_tx", "SQLite transactions (all)"),
    ("connector/sources/stripe/source.py", "poll", "Stripe polls"),
]
PROFILE_SIZE = ["--practices", "4", "--payments", "400"]


def _profile_at(tree: Path, name: str) -> dict[str, Any]:
    """``e2e_posting.py --profile`` (``run --once`` under cProfile) at ``tree``; per row of
    :data:`PROFILED`: calls and seconds."""
    import pstats

    out = RESULTS / f"{name}.prof"
    script = str(tree / "bench" / "e2e_posting.py")
    _run([PY, script, *PROFILE_SIZE, "--profile", str(out)], name, cwd=tree)
    stats = pstats.Stats(str(out)).stats  # type: ignore[attr-defined]
    found: dict[str, Any] = {"total": max(ct for _, _, _, ct, _ in stats.values())}
    for suffix, func, label in PROFILED:
        calls = seconds = 0.0
        for (file, _line, name_), (_cc, nc, tt, ct, _callers) in stats.items():
            if name_ == func and file.endswith(suffix):
                calls += nc
                seconds += tt if suffix == "~" else ct
        found[label] = (int(calls), seconds)
    return found


def _profile_table(runs: list[tuple[str, dict[str, Any]]]) -> str:
    rows = [["whole `run --once`", *(f"{r['total']:.2f} s" for _, r in runs)]]
    for _suffix, _func, label in PROFILED:
        cells = []
        for _, r in runs:
            calls, seconds = r[label]
            per = f", {seconds / calls * 1000:.1f} ms each" if calls else ""
            cells.append(f"{seconds:.2f} s ({calls:,} calls{per})")
        rows.append([label, *cells])
    return _table(["cProfile of `run --once`", *(label for label, _ in runs)], rows)


def _e2e_at(tree: Path, size: list[str], name: str) -> dict[str, Any]:
    out = RESULTS / f"{name}.json"
    _run([PY, str(tree / "bench" / "e2e_posting.py"), *size, "--json", str(out)], name, cwd=tree)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def _e2e_table(runs: list[tuple[str, dict[str, Any]]]) -> str:
    rows = [[label, f"{r['practices']} × {r['payments'] // r['practices']:,}",
             _n(r["history_payments_per_practice"]), f"{r['posted_exactly_once']:,}",
             f"**{r['postings_per_s']}**", r["latency_p50_s"], r["latency_p90_s"],
             r["latency_p99_s"], r["latency_max_s"], r["wall_s_from_daemon_start"],
             r["daemon_cpu_s"], r["daemon_peak_rss_mib"]] for label, r in runs]  # fmt: skip
    return _table(["run", "practices × payments", "earlier payments per practice",
                   "posted exactly once", "postings/s", "latency p50 s", "p90 s", "p99 s",
                   "max s", "wall s", "daemon CPU s", "daemon peak RSS MiB"], rows)  # fmt: skip


def idle(quick: bool) -> dict[str, str]:
    """Idle RSS and CPU of `connector run`, and its imports."""
    out = RESULTS / "idle_footprint.json"
    window = ["--window", "30"] if quick else []
    _run([PY, "bench/idle_footprint.py", *window, "--json", str(out)], "idle_footprint")
    r = json.loads(out.read_text())
    imp = r["imports"]
    rows = [
        ["practices (jobs)", f"{r['practices']} ({r['jobs']})", ""],
        ["RSS after imports alone", f"{imp['rss_after_imports_mib']} MiB", ""],
        ["RSS after the first cycle (everything posted)", f"{r['rss_after_work_mib']} MiB", ""],
        ["RSS idle, median / max over the window",
         f"**{r['rss_idle_median_mib']} / {r['rss_idle_max_mib']} MiB**", "≤ 70 MB"],
        ["CPU over the window", f"**{r['cpu_percent']} %** ({r['cpu_s_in_window']} s in "
         f"{r['window_s']} s, {r['job_runs_in_window']} job runs)", "≤ 0.2 %"],
        ["threads", r["threads"], ""],
        ["modules imported by `run --once`", f"{imp['modules_imported']} "
         f"({imp['import_ms_total']} ms)", ""],
        ["largest imports (ms)", ", ".join(f"{k} {v}" for k, v in imp["top_packages_ms"].items()),
         ""],
        ["optional parts not imported", ", ".join(imp["optional_not_imported"]), ""],
    ]  # fmt: skip
    return {"idle": _table(["measure", "value", "goal"], rows)}


def era_parse(quick: bool) -> dict[str, str]:
    """Our 835 parser against the peers (all four with bench/.venv-peers, else oxedi, pyx12)."""
    peers = [] if (ROOT / "bench" / ".venv-peers" / "bin" / "python").exists() else [
        "--peers", "oxedi,pyx12"]  # fmt: skip
    sizes = ["--sizes", "1000", "--repeat", "1"] if quick else []
    _run([PY, "bench/era_parse.py", "--per-st", "500", *peers, *sizes], "era_parse")
    report = json.loads((RESULTS / "era_parse_st500.json").read_text())
    rows = []
    for row in report["rows"]:
        if "error" in row:
            rows.append([_n(row["size"]), row["parser"], f"failed: {row['error']}", "", "", ""])
            continue
        mine = next(r for r in report["rows"] if r["size"] == row["size"]
                    and r["parser"] == "ours")  # fmt: skip
        ratio = "" if row is mine else f"{row['seconds'] / mine['seconds']:.2f}×"
        name = f"**{row['parser']}**" if row is mine else row["parser"]
        rows.append([_n(row["size"]), name, f"{row['seconds']:.3f}", _n(row["claims_per_s"]),
                     f"{row['peak_mib']:.1f}", ratio])  # fmt: skip
    versions = ", ".join(f"{k} {v}" for k, v in report["peer_versions"].items())
    table = _table(["claims", "parser", "wall s (median)", "claims/s", "peak RSS MiB",
                    "its time / ours"], rows)  # fmt: skip
    goals = "".join(f"\n- goal: {line}" for line in report.get("goals", []))
    return {"era_parse": table + f"\n\nPeer versions: {versions}.\n{goals}"}


def stripe_calls(quick: bool) -> dict[str, str]:
    """Stripe requests of one poll against the floor."""
    text = _run([PY, "bench/stripe_calls.py"], "stripe_calls")
    rows = [re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in text.splitlines()
            if line.strip()]  # fmt: skip
    return {"stripe_calls": _table(["", ""], rows)}


def writeback(quick: bool) -> dict[str, str]:
    """The Open Dental adapter alone, 10,000 payments into one database."""
    out = RESULTS / "writeback.json"
    size = ["--payments", "500", "--families", "200"] if quick else []
    _run([PY, "bench/writeback.py", *size, "--json", str(out)], "writeback")
    r = json.loads(out.read_text())
    rows = [[k.replace("_", " "), _n(v, 2 if isinstance(v, float) else 0)] for k, v in r.items()]
    return {"writeback": _table(["measure", "value"], rows)}


def posting(quick: bool) -> dict[str, str]:
    """The posting engine on SQLite with the memory ledger."""
    size = ["--payments", "200", "--claims", "200"] if quick else []
    text = _run([PY, "bench/posting.py", *size], "posting")
    rows = [line.split(": ", 1) for line in text.splitlines() if ": " in line]
    return {"posting": _table(["measurement", "result"], rows)}


def store_engines(quick: bool) -> dict[str, str]:
    """SQLite against PostgreSQL, and lease cycles."""
    text = _run([PY, "bench/store_engines.py"], "store_engines")
    return {"store_engines": "\n".join(ln for ln in text.splitlines() if ln.startswith("|"))}


def pms_emulated(quick: bool) -> dict[str, str]:
    """Dentrix and Eaglesoft adapters on their emulated databases."""
    text = _run([PY, "bench/pms_emulated.py", "50" if quick else "200"], "pms_emulated")
    rows, vendor = [], ""
    for line in text.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            vendor = line[:-1]
            continue
        found = re.match(r"\s+(\S+)\s+n=(\d+)\s+p50=\s*([\d.]+) ms\s+p95=\s*([\d.]+) ms\s+"
                         r"max=\s*([\d.]+) ms", line)  # fmt: skip
        if found:
            rows.append([vendor, f"`{found.group(1)}`", *found.group(2, 3, 4, 5)])
    return {"pms_emulated": _table(["vendor", "operation", "n", "p50 ms", "p95 ms", "max ms"],
                                   rows)}  # fmt: skip


def era_inbox(quick: bool) -> dict[str, str]:
    """ERA inbox: folder and SFTP."""
    size = ["--files", "40", "--small", "20", "--large-mb", "4"] if quick else []
    text = _run([PY, "bench/era_inbox.py", *size], "era_inbox")
    rows = [line.split(": ", 1) for line in text.splitlines() if ": " in line]
    return {"era_inbox": _table(["measurement", "result"], rows)}


def console(quick: bool) -> dict[str, str]:
    """The staff console's queue page with 10,000 items; the idle console's memory."""
    size = ["--items", "2000", "--rounds", "5"] if quick else []
    text = _run([PY, "bench/console_queue.py", *size], "console_queue")
    pages: dict[str, dict[str, tuple[str, ...]]] = {}
    rss = "?"
    for line in text.splitlines():
        found = re.match(r"(\w+): (.+): p50=([\d.]+) ms p95=([\d.]+) ms bytes=(\d+)", line)
        if found:
            pages.setdefault(found.group(2), {})[found.group(1)] = found.group(3, 4, 5)
        idle = re.match(r"idle RSS of connector console \(sqlite\): ([\d.]+) MiB", line)
        if idle:
            rss = idle.group(1)
    rows: list[list[Any]] = []
    for label, engines in pages.items():
        lite, pg = engines.get("sqlite", ("-",) * 3), engines.get("postgres", ("-",) * 3)
        rows.append([label, f"{lite[0]} / {lite[1]}", f"{pg[0]} / {pg[1]}", lite[2]])
    rows.append(["idle `connector console` (SQLite, after one page)", f"**{rss} MiB RSS**", "",
                 ""])  # fmt: skip
    header = ["page (10,000 items)", "SQLite p50 / p95 ms", "PostgreSQL p50 / p95 ms", "bytes"]
    return {"console": _table(header, rows)}


BENCHES: dict[str, Callable[[bool], dict[str, str]]] = {
    "idle": idle,
    "era_parse": era_parse,
    "stripe_calls": stripe_calls,
    "writeback": writeback,
    "posting": posting,
    "store_engines": store_engines,
    "pms_emulated": pms_emulated,
    "era_inbox": era_inbox,
    "console": console,
}


# -- the document -------------------------------------------------------------------------
def rewrite(doc: Path, sections: dict[str, str]) -> list[str]:
    """Replace each ``<!-- begin:NAME -->…<!-- end:NAME -->`` block; the names not found."""
    text = doc.read_text(encoding="utf-8")
    missing = []
    for name, body in sections.items():
        pattern = re.compile(rf"(<!-- begin:{name} -->\n)(?:.*?\n)?(<!-- end:{name} -->)", re.S)
        if not pattern.search(text):
            missing.append(name)
            continue
        text = pattern.sub(lambda m, b=body: m.group(1) + b.rstrip("\n") + "\n" + m.group(2), text)
    doc.write_text(text, encoding="utf-8")
    return missing


def main() -> int:
    """Run the chosen benchmarks, then rewrite their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated: e2e," + ",".join(BENCHES))
    parser.add_argument(
        "--before",
        help="also run the end-to-end benchmark at this commit, or at HEAD-<commit> (this "
        "tree without that commit)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (tries the runner)")
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else ["e2e", *BENCHES]
    RESULTS.mkdir(parents=True, exist_ok=True)
    sections = {"machine": machine()}
    failed = []
    for name in chosen:
        try:
            if name == "e2e":
                sections.update(e2e(args.quick, args.before))
            else:
                sections.update(BENCHES[name](args.quick))
        except (RuntimeError, subprocess.CalledProcessError, KeyError, ValueError) as exc:
            print(f"  {name}: {exc}", flush=True)
            failed.append(name)
    stamp = (f"\n\n<sub>{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit "
             f"{_git('rev-parse', '--short', 'HEAD')}</sub>")  # fmt: skip
    sections = {k: v if k == "machine" else v + stamp for k, v in sections.items()}
    missing = rewrite(args.doc, sections)
    if missing:
        print(f"no markers in {args.doc} for: {', '.join(missing)}")
    print(f"rewrote {len(sections) - len(missing)} tables in {args.doc}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
