"""Benchmark: our 835 parser against oxedi, pyx12, LinuxForHealth x12 and badX12.

Generates balanced dental 835 files (1k, 10k and 50k claims; ``--per-st`` claims per ST,
default 500; reversal pairs and a PLB per ST) with :mod:`workshop.era_synth`, then
parses each file with every parser **in its own subprocess** and reads wall time and peak RSS
(``VmHWM``) there. Then it times ``connector era inspect`` of a 100-claim file from a cold
start (a new interpreter each time, as a person at a terminal runs it).

* ours (pure Python, the only build): ``parse_stream`` (whole remittances) and
  ``stream_claims`` (claims one by one, what the ERA source uses) — the full model plus every
  balancing rule — in this project's venv;
* peers: in ``bench/.venv-peers`` (created by ``--setup``; never a runtime dependency), or for
  oxedi and pyx12 the project's venv when they are installed there (the ``oracles`` extra):
  ``oxedi.parse_file``; ``pyx12.x12file.X12Reader`` (segment reader, no 835 semantics);
  LinuxForHealth ``X12ModelReader.models()`` (on a copy without PER segments, which it cannot
  parse, see the reference's peer table); badX12 ``Parser().parse_document`` + ``validate()``
  (with the ``collections.Iterable`` shim it needs on Python ≥ 3.10).

Usage::

    python bench/era_parse.py --setup                 # create bench/.venv-peers once
    python bench/era_parse.py                          # all sizes, all parsers, 3 runs each
    python bench/era_parse.py --sizes 1000 --repeat 1 --peers oxedi,pyx12

Prints a Markdown table (median of the runs) and writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workshop.era_synth import SynthOptions, write  # noqa: E402

PEER_VENV = ROOT / "bench" / ".venv-peers"
PEER_PYTHON = PEER_VENV / "bin" / "python"
PEER_PACKAGES = ["oxedi==0.6.0", "pyx12==4.0.0", "linuxforhealth-x12==0.57.0",
                 "pydantic<2", "badx12==0.2.2"]  # fmt: skip
RESULTS = ROOT / "bench" / "results"

# Each runner prints one JSON line: claims parsed, seconds, peak RSS (KiB), RSS after imports.
# Peak RSS is VmHWM from /proc/self/status: ru_maxrss is inherited across fork + exec on
# Linux, so a child of this (~40 MiB) process would report at least the parent's peak.
RUNNER = r"""
import json, resource, sys, time
parser, path = sys.argv[1], sys.argv[2]
def rss():
    # VmHWM: this process's own peak. ru_maxrss is not: Linux carries it over from the parent
    # across fork + exec, so every child would report at least the benchmark runner's size.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if parser in ("ours", "baseline"):
    from connector.sources.era.parser import parse_stream
    base = rss(); t = time.perf_counter(); c = time.process_time(); claims = 0; balanced = True
    with open(path, "rb") as f:
        for rem in parse_stream(f, path):
            claims += len(rem.claims); balanced = balanced and rem.balanced
    assert balanced
elif parser == "ours-stream":
    from connector.sources.era.model import ClaimPayment
    from connector.sources.era.parser import RemittanceEnd, stream_claims
    base = rss(); t = time.perf_counter(); c = time.process_time(); claims = 0; balanced = True
    with open(path, "rb") as f:
        for event in stream_claims(f, path):
            if isinstance(event, ClaimPayment):
                claims += 1; balanced = balanced and event.balanced
            elif isinstance(event, RemittanceEnd):
                balanced = balanced and event.remittance.balanced
    assert balanced
elif parser == "oxedi":
    import oxedi
    base = rss(); t = time.perf_counter(); c = time.process_time()
    result = oxedi.parse_file(path)
    claims = result.count_claims()
    assert not result.diagnostics, result.diagnostics[:3]
elif parser == "pyx12":
    import pyx12.x12file
    base = rss(); t = time.perf_counter(); c = time.process_time(); claims = 0
    for seg in pyx12.x12file.X12Reader(path):
        if seg.get_seg_id() == "CLP":
            claims += 1
elif parser == "linuxforhealth":
    from linuxforhealth.x12.io import X12ModelReader
    base = rss(); t = time.perf_counter(); c = time.process_time(); claims = 0
    with X12ModelReader(path) as reader:
        for model in reader.models():
            claims += sum(len(loop.loop_2100) for loop in model.loop_2000)
elif parser == "badx12":
    import collections, collections.abc
    collections.Iterable = collections.abc.Iterable  # badX12 0.2.2 predates Python 3.10
    import badx12
    base = rss(); t = time.perf_counter(); c = time.process_time()
    document = badx12.Parser().parse_document(path)
    document.validate()
    claims = sum(1 for seg in document.text.split("~") if seg.startswith("CLP"))
else:
    raise SystemExit(f"unknown parser {parser}")
seconds = time.perf_counter() - t
cpu_seconds = time.process_time() - c
build = "older code" if parser == "baseline" else ""
print(json.dumps({"claims": claims, "seconds": seconds, "cpu_seconds": cpu_seconds,
                  "peak_kib": rss(), "base_kib": base, "build": build}))
"""

PEERS = ["oxedi", "pyx12", "linuxforhealth", "badx12"]
# our parser: whole remittances (parse_stream) or claims one by one (stream_claims)
OURS = ["ours", "ours-stream"]
PURE_PYTHON = {"pyx12", "linuxforhealth", "badx12"}
# peers that are also test oracles (pyproject's "oracles" extra): runnable from our venv
IN_OUR_VENV = {"oxedi", "pyx12"}


def setup_peers() -> None:
    """Create the peers' venv (separate from the project's)."""
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run([str(PEER_PYTHON), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)


def peer_python(parser: str) -> str | None:
    """The interpreter that runs a peer: the peers' venv, else ours for oxedi and pyx12."""
    if PEER_PYTHON.exists():
        return str(PEER_PYTHON)
    if parser in IN_OUR_VENV:
        return sys.executable
    return None


def peer_versions(peers: list[str]) -> dict[str, str]:
    """Installed versions of the peers, from the interpreter each runs in."""
    versions: dict[str, str] = {}
    names = {"oxedi": ["oxedi"], "pyx12": ["pyx12"], "badx12": ["badx12"],
             "linuxforhealth": ["linuxforhealth-x12", "pydantic"]}  # fmt: skip
    code = ("import importlib.metadata as m, json, sys; print(json.dumps({n: m.version(n)"
            " for n in sys.argv[1:]}))")  # fmt: skip
    for peer in peers:
        python = peer_python(peer)
        if python is None:
            continue
        out = subprocess.run([python, "-c", code, *names[peer]], capture_output=True,
                             text=True, check=False)  # fmt: skip
        if out.returncode == 0:
            versions.update(json.loads(out.stdout))
    return versions


def make_files(sizes: list[int], work: Path, per_st: int) -> dict[int, tuple[Path, Path]]:
    """Generate each size once (and a copy without PER for LinuxForHealth)."""
    files = {}
    for size in sizes:
        path = work / f"dental_{size}_st{per_st}.835"
        noper = work / f"dental_{size}_st{per_st}_noper.835"
        if not path.exists():
            with path.open("wb") as out:
                write(out, SynthOptions(claims=size, claims_per_transaction=per_st, seed=1,
                                        reversal_every=250))  # fmt: skip
        if not noper.exists():
            with path.open("rb") as src, noper.open("wb") as dst:
                removed = 0
                for line in src:  # the generator writes one segment per line
                    if line.startswith(b"PER*"):
                        removed += 1
                        continue
                    if line.startswith(b"SE*"):
                        fields = line.split(b"*")
                        fields[1] = str(int(fields[1]) - removed).encode()
                        dst.write(b"*".join(fields))
                        removed = 0
                        continue
                    dst.write(line)
        files[size] = (path, noper)
    return files


def run_one(
    parser: str, path: Path, timeout: float, baseline: Path | None = None
) -> dict[str, float] | str:
    """Parse in a fresh subprocess; the measured numbers, or why it failed."""
    ours = parser.startswith("ours") or parser == "baseline"
    python = sys.executable if ours else peer_python(parser)
    if python is None:
        return "not installed (python bench/era_parse.py --setup)"
    tree = baseline if parser == "baseline" and baseline is not None else ROOT
    env = dict(os.environ, PYTHONPATH=str(tree))
    try:
        command = [python, "-c", RUNNER, parser, str(path)]
        out = subprocess.run(command, check=False, capture_output=True, text=True,
                             timeout=timeout, env=env, cwd=str(tree))  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"timeout after {timeout:.0f} s"
    if out.returncode != 0:
        return (out.stderr.strip().splitlines() or ["failed"])[-1][:200]
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--setup", action="store_true", help="create bench/.venv-peers and exit")
    ap.add_argument("--sizes", default="1000,10000,50000")
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument(
        "--ours",
        default=",".join(OURS),
        help=f"which of our variants to run, from {','.join(OURS)}",
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument(
        "--baseline", type=Path, default=None,
        help="a source tree of older code (git archive <commit> connector | tar -x -C DIR),"
        " run as 'baseline' (parse_stream) for a before/after in the same run",
    )  # fmt: skip
    ap.add_argument("--work", type=Path, default=RESULTS / "files")
    ap.add_argument(
        "--inspect-runs",
        type=int,
        default=10,
        help="cold starts of `connector era inspect` on a 100-claim file (0: none)",
    )
    ap.add_argument(
        "--per-st",
        type=int,
        default=500,
        help="claims per ST (one check/EFT); memory is bounded by this, not the file",
    )
    args = ap.parse_args()
    if args.setup:
        setup_peers()
        return 0
    peers = [p for p in args.peers.split(",") if p]
    ours = [p for p in args.ours.split(",") if p]
    if any(p not in OURS for p in ours):
        ap.error(f"--ours takes {','.join(OURS)}")
    if not PEER_PYTHON.exists() and set(peers) - IN_OUR_VENV:
        print(
            "bench/.venv-peers is missing (linuxforhealth, badx12): run"
            " `python bench/era_parse.py --setup` first, or pass --peers oxedi,pyx12"
        )
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    files = make_files(sizes, args.work, args.per_st)
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rows = []
    for size in sizes:
        path, noper = files[size]
        baseline = ["baseline"] if args.baseline else []
        for parser in [*baseline, *ours, *peers]:
            target = noper if parser == "linuxforhealth" else path
            runs = [run_one(parser, target, args.timeout, args.baseline)
                    for _ in range(args.repeat)]  # fmt: skip
            good = [r for r in runs if isinstance(r, dict)]
            if not good:
                rows.append({"size": size, "parser": parser, "error": runs[0]})
                print(f"{size:>6} {parser:<15} FAILED: {runs[0]}", flush=True)
                continue
            seconds = statistics.median(r["seconds"] for r in good)
            row = {
                "size": size, "parser": parser, "file_mib": target.stat().st_size / 2**20,
                "claims": good[0]["claims"], "seconds": seconds,
                # CPU time of the parse (user + system): less moved by other work on a shared
                # machine than wall time, which waits for a free core
                "cpu_seconds": statistics.median(r["cpu_seconds"] for r in good),
                "claims_per_s": good[0]["claims"] / seconds,
                "peak_mib": max(r["peak_kib"] for r in good) / 1024,
                "base_mib": max(r["base_kib"] for r in good) / 1024, "runs": len(good),
                "build": good[0].get("build", ""),
            }  # fmt: skip
            rows.append(row)
            print(
                f"{size:>6} {parser:<17} {seconds:8.3f} s (cpu {row['cpu_seconds']:.3f} s)"
                f" {row['claims_per_s']:>10,.0f} claims/s"
                f"  peak {row['peak_mib']:7.1f} MiB (base {row['base_mib']:.1f})",
                flush=True,
            )
    report = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "python": sys.version.split()[0],
        "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPUs",
        "peer_versions": peer_versions(peers),
        "claims_per_st": args.per_st,
        "load_before": load_before,
        "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "command": " ".join(sys.argv),
        "rows": rows,
    }
    inspect = time_inspect(args.work, args.inspect_runs) if args.inspect_runs else None
    report["inspect"] = inspect
    report["goals"] = goals(rows, inspect)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"era_parse_st{args.per_st}.json").write_text(json.dumps(report, indent=2))
    _print_table(report)
    return 0


GOAL_SECONDS_50K = 3.0  # 50,000 claims, full model and balancing, at most
GOAL_PEAK_MIB = 32.0  # peak RSS of the same run, at most
GOAL_INSPECT_MS = 120.0  # `connector era inspect` of a 100-claim file, cold start, at most
INSPECT_CLAIMS = 100


def time_inspect(work: Path, runs: int) -> dict[str, dict[str, float]]:
    """Wall time of ``connector era inspect`` on a 100-claim file, each run a new process.

    Two installs of the same tree, each timed ``runs`` times (median and fastest, in ms): the
    product as a practice installs it (this tree's wheel in a new venv; ``era inspect`` imports
    none of its dependencies, a test says so, so they are not installed there) and this
    project's editable development venv, whose import finder adds its own start-up cost. The
    console script (interpreter start, imports, parse, printing) is what a person at a
    terminal waits for. Python runs with its bytecode cache, as an installed product does:
    pip compiles every module of a wheel it installs, while a shell with
    ``PYTHONDONTWRITEBYTECODE`` set (this sandbox's) would compile all of them again on every
    start. One untimed run first writes the cache.
    """
    path = work / f"dental_{INSPECT_CLAIMS}.835"
    if not path.exists():
        with path.open("wb") as out:
            write(out, SynthOptions(claims=INSPECT_CLAIMS, seed=1))
    # no PYTHONPATH either: with this tree on it, pip would take the tree's *.egg-info for
    # an installed copy ("already satisfied") and the installed script would import the tree
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
    }
    scripts = {"installed wheel": installed_script(work, env),
               "editable dev venv": Path(sys.executable).parent / "connector"}  # fmt: skip
    results: dict[str, dict[str, float]] = {}
    for label, script in scripts.items():
        command = [str(script), "era", "inspect", str(path)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=str(work), env=env)
        times, cpu = [], []
        for _ in range(runs):
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=str(work),
                           env=env)  # fmt: skip
            times.append((time.perf_counter() - start) * 1000)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append((after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime) * 1000)
        result = {"median_ms": statistics.median(times), "min_ms": min(times), "runs": runs,
                  "cpu_median_ms": statistics.median(cpu)}  # fmt: skip
        print(f"era inspect ({INSPECT_CLAIMS} claims, cold, {label}): median"
              f" {result['median_ms']:.0f} ms, fastest {result['min_ms']:.0f} ms of {runs};"
              f" CPU median {result['cpu_median_ms']:.0f} ms", flush=True)  # fmt: skip
        results[label] = result
    return results


def installed_script(work: Path, env: dict[str, str]) -> Path:
    """This tree built as a wheel and installed (without its dependencies) in a new venv."""
    dist, venv = work / "wheel", work / "venv-installed"
    shutil.rmtree(dist, ignore_errors=True)
    shutil.rmtree(venv, ignore_errors=True)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(dist), str(ROOT)], check=True, env=env)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    [wheel] = dist.glob("*.whl")
    subprocess.run([*pip, "--python", str(venv / "bin" / "python"), "install", "--no-deps",
                    str(wheel)], check=True, env=env)  # fmt: skip
    return venv / "bin" / "connector"


def goals(rows: list[dict[str, object]], inspect: dict[str, dict[str, float]] | None) -> list[str]:
    """The issue's goals, checked on this run's rows, and the ratios against the peers."""

    def seconds(row: dict[str, object]) -> float:
        value = row["seconds"]
        assert isinstance(value, float)
        return value

    def cpu(row: dict[str, object]) -> float:
        value = row["cpu_seconds"]
        assert isinstance(value, float)
        return value

    lines = []
    for size in sorted({int(str(r["size"])) for r in rows}):
        done = [r for r in rows if r["size"] == size and "seconds" in r]
        for mine in (r for r in done if r["parser"] in OURS):
            for peer in (r for r in done if r["parser"] in PEERS):
                lines.append(f"{size:,} claims: {peer['parser']} takes"
                             f" {seconds(peer) / seconds(mine):.2f}x the time of"
                             f" {mine['parser']} (CPU time:"
                             f" {cpu(peer) / cpu(mine):.2f}x)")  # fmt: skip
            if size == 50_000:
                peak = mine["peak_mib"]
                assert isinstance(peak, float)
                verdict = ("met" if seconds(mine) <= GOAL_SECONDS_50K and peak <= GOAL_PEAK_MIB
                           else "NOT met")  # fmt: skip
                lines.append(f"50,000 claims: {mine['parser']} {seconds(mine):.2f} s (CPU"
                             f" {cpu(mine):.2f} s), peak {peak:.1f} MiB (goal <="
                             f" {GOAL_SECONDS_50K:.0f} s and <= {GOAL_PEAK_MIB:.0f} MiB):"
                             f" {verdict}")  # fmt: skip
    for label, timing in (inspect or {}).items():
        verdict = "met" if timing["median_ms"] <= GOAL_INSPECT_MS else "NOT met"
        lines.append(f"era inspect, {INSPECT_CLAIMS} claims, cold start, {label}: median"
                     f" {timing['median_ms']:.0f} ms, CPU {timing['cpu_median_ms']:.0f} ms"
                     f" (goal <= {GOAL_INSPECT_MS:.0f} ms): {verdict}")  # fmt: skip
    return lines


def _print_table(report: dict[str, object]) -> None:
    """Print the goals and the Markdown table of one run."""
    rows = report["rows"]
    assert isinstance(rows, list)
    print(f"\nload average {report['load_before']} before, {report['load_after']} after")
    for line in report.get("goals", []):  # type: ignore[attr-defined]
        print(f"goal: {line}")
    print("\n| claims | parser | wall s | claims/s | peak RSS MiB | after imports MiB"
          " | its time ÷ ours |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|---:|")
    for size in sorted({r["size"] for r in rows}):
        # ratios against the first of our current variants that ran (normally "ours")
        mine = next((r for r in rows if r["size"] == size and r["parser"].startswith("ours")
                     and "seconds" in r), None)  # fmt: skip
        for row in (r for r in rows if r["size"] == size):
            if "error" in row:
                print(f"| {size:,} | {row['parser']} | failed: {row['error']} | | | | |")
                continue
            ratio = ""
            if mine and "seconds" in mine and row is not mine:
                ratio = f"{row['seconds'] / mine['seconds']:.2f}x"
            label = f"{row['parser']} ({row['build']})" if row.get("build") else row["parser"]
            print(
                f"| {size:,} | {label} | {row['seconds']:.3f} | "
                f"{row['claims_per_s']:,.0f} | {row['peak_mib']:.1f} | {row['base_mib']:.1f} | "
                f"{ratio} |"
            )


if __name__ == "__main__":
    raise SystemExit(main())
