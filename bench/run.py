"""Time fastapi-lint against its floor (libcst parse-only) and its peers on the same files.

    python bench/run.py [--corpus DIR] [--jobs N] [--runs 3] [--peer-runs N] [--skip-peers]

Without --corpus, a corpus is built reproducibly from pinned PyPI wheels (their .py files,
unpacked under /tmp/fastapi-lint-bench/corpus and kept between runs). The peers are installed
at pinned versions into their own venv under /tmp/fastapi-lint-bench/peers. Each command runs
as a whole process; the table shows the median of --runs runs of wall and CPU seconds (the
CPU of worker processes included), the peak RSS of the largest single process of the run
(main or worker), and the wall time relative to the parse-only floor. fastapi-lint and the
floor run in rounds, back to back, and the ratios the targets are about are also given
within each round.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from typing import List, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = "/tmp/fastapi-lint-bench"
CORPUS_PACKAGES = (
    "fastapi==0.115.6", "starlette==0.41.3", "pydantic==2.10.4", "sqlalchemy==2.0.36",
    "django==5.1.4", "httpx==0.28.1", "sqlmodel==0.0.22",
)
PEERS = ("ruff==0.8.4", "bandit==1.8.0", "flake8==7.1.1", "flake8-async==24.11.4")


@dataclass
class Timing:
    wall: float
    cpu: float
    peak_mib: float


def _pip(python: str, *args: str) -> None:
    subprocess.run([python, "-m", "pip", "-q", "--disable-pip-version-check", *args], check=True)


def build_corpus() -> str:
    """The .py files of the pinned wheels, one directory per distribution."""
    corpus = os.path.join(WORK, "corpus")
    marker = os.path.join(corpus, ".complete-" + "-".join(p.replace("==", "_") for p in CORPUS_PACKAGES))
    if os.path.exists(marker):
        return corpus
    wheels = os.path.join(WORK, "wheels")
    _pip(sys.executable, "download", "--no-deps", "--only-binary", ":all:", "-d", wheels, *CORPUS_PACKAGES)
    shutil.rmtree(corpus, ignore_errors=True)
    for name in sorted(os.listdir(wheels)):
        if not name.endswith(".whl"):
            continue
        with zipfile.ZipFile(os.path.join(wheels, name)) as archive:
            for member in archive.namelist():
                if member.endswith(".py") and ".dist-info/" not in member:
                    archive.extract(member, os.path.join(corpus, name.split("-")[0].lower()))
    open(marker, "w").close()
    return corpus


def install_peers() -> str:
    venv = os.path.join(WORK, "peers")
    marker = os.path.join(venv, ".complete-" + "-".join(p.replace("==", "_") for p in PEERS))
    if not os.path.exists(marker):
        subprocess.run([sys.executable, "-m", "venv", "--clear", venv], check=True)
        _pip(os.path.join(venv, "bin", "python"), "install", *PEERS)
        open(marker, "w").close()
    return os.path.join(venv, "bin")


def measure(argv: Sequence[str], cwd: str) -> Timing:
    """One whole process: wall time, CPU of it and its waited-for children, peak RSS."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}):\n{stderr[-2000:]}")
    # Linux: ru_maxrss in KiB, the largest of the process and its waited-for descendants
    return Timing(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def median_of(runs: int, argv: Sequence[str], cwd: str) -> Timing:
    return _median([measure(argv, cwd) for _ in range(runs)])


def _median(timings: Sequence[Timing]) -> Timing:
    return Timing(statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings),
                  max(t.peak_mib for t in timings))


def count_files(corpus: str) -> int:
    return sum(1 for _, _, names in os.walk(corpus) for n in names if n.endswith(".py"))


def as_installed() -> None:
    """Time fastapi-lint as pip installs it, with bytecode: an environment that forbids
    writing ``.pyc`` files (PYTHONDONTWRITEBYTECODE) makes every run compile its ~120
    modules again, a fixed 0.2 s that no user pays. The first run writes them."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def main() -> int:
    as_installed()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", help="lint this directory instead of the pinned-wheel corpus")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peer-runs", type=int, help="runs of each peer (default: --runs); "
                        "flake8-async takes many minutes a run")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--default-rules", action="store_true",
                        help="lint with the default rules, as `fastapi-lint .` does (default: --preview, every rule)")
    args = parser.parse_args()
    os.makedirs(WORK, exist_ok=True)
    source = os.path.abspath(args.corpus) if args.corpus else build_corpus()
    # a private copy: the cache directory and the one-file edit must not touch the original
    corpus = os.path.join(WORK, "work-copy")
    shutil.rmtree(corpus, ignore_errors=True)
    # symlinks stay links: real projects hold dangling ones (copying their target would fail)
    shutil.copytree(source, corpus, symlinks=True, ignore=shutil.ignore_patterns(".fastapi_lint_cache", ".git"),
                    dirs_exist_ok=True)
    cache = os.path.join(corpus, ".fastapi_lint_cache")
    lint = [sys.executable, "-m", "fastapi_lint", ".", "--exit-zero", "--format", "json"]
    if not args.default_rules:
        lint.append("--preview")
    jobs = ["--jobs", str(args.jobs)]
    edited = next(os.path.join(d, n) for d, _, names in sorted(os.walk(corpus)) for n in sorted(names) if n.endswith(".py"))

    def drop_cache(_: int) -> None:
        shutil.rmtree(cache, ignore_errors=True)

    def edit_one(number: int) -> None:
        with open(edited, "a") as handle:
            handle.write(f"\n# bench edit {time.time_ns()} {number}\n")

    print(f"corpus: {source} ({count_files(corpus)} .py files), jobs={args.jobs}, runs={args.runs}", flush=True)
    # Our commands run in rounds (floor, cold 1, cold N, warm, one changed; then again), so
    # every round sees the same machine: on a shared machine speed drifts by tens of percent
    # within minutes, and a ratio of medians taken minutes apart measures the drift.
    # The cold --jobs N run of a round fills the cache its warm runs read.
    ours = [
        (f"libcst parse-only, {args.jobs} procs (floor)",
         [sys.executable, os.path.join(HERE, "parse_only.py"), ".", *jobs], None),
        ("fastapi-lint cold --jobs 1", lint + ["--jobs", "1"], drop_cache),
        (f"fastapi-lint cold --jobs {args.jobs}", lint + jobs, drop_cache),
        ("fastapi-lint warm (all cached)", lint + jobs, None),
        ("fastapi-lint warm, one file changed", lint + jobs, edit_one),
    ]
    rounds: List[List[Timing]] = []
    for number in range(args.runs):
        timings = []
        for _, argv, before in ours:
            if before is not None:
                before(number)
            timings.append(measure(argv, corpus))
        rounds.append(timings)
        print(f"  round {number + 1}: " + ", ".join(f"{t.wall:.2f}" for t in timings) + " s wall", flush=True)
    rows = [(name, _median([r[i] for r in rounds])) for i, (name, _, _) in enumerate(ours)]
    paired = {
        f"cold --jobs {args.jobs} / floor": [r[2].wall / r[0].wall for r in rounds],
        f"cold --jobs 1 / cold --jobs {args.jobs}": [r[1].wall / r[2].wall for r in rounds],
        f"warm / cold --jobs {args.jobs}": [r[3].wall / r[2].wall for r in rounds],
        f"one file changed / cold --jobs {args.jobs}": [r[4].wall / r[2].wall for r in rounds],
    }
    run = lambda name, argv, runs: rows.append((name, median_of(runs, argv, corpus))) or print(
        f"  {name}: {rows[-1][1].wall:.2f} s wall, {rows[-1][1].cpu:.1f} s CPU, {rows[-1][1].peak_mib:.0f} MiB",
        flush=True)
    if not args.skip_peers:
        peers = install_peers()
        runs = args.peer_runs or args.runs
        run("ruff --select ASYNC,S,FAST --no-cache",
            [os.path.join(peers, "ruff"), "check", "--select", "ASYNC,S,FAST", "--no-cache", "--exit-zero", "-q", "."],
            runs)
        run("bandit -r -q", [os.path.join(peers, "bandit"), "-r", "-q", "--exit-zero", "."], runs)
        run("flake8 --select ASYNC", [os.path.join(peers, "flake8"), "--select", "ASYNC", "--exit-zero", "."],
            runs)
    floor = rows[0][1].wall
    print()
    print(f"| {'command':<40} | wall s | CPU s | peak RSS MiB | x floor |")
    print(f"|{'-' * 42}|-------:|------:|-------------:|--------:|")
    for name, timing in rows:
        print(f"| {name:<40} | {timing.wall:6.2f} | {timing.cpu:5.1f} | {timing.peak_mib:12.0f} | {timing.wall / floor:7.2f} |")
    print()
    print("paired ratios, each within one round (median [min-max]):")
    for name, values in paired.items():
        print(f"  {name:<40} {statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
