"""Time the language server: from ``didChange`` to ``publishDiagnostics``, and its memory.

    python bench/lsp.py [--files 2000] [--edits 20] [--long-edits 500] [--dir /tmp/...]
                        [--server "COMMAND"]

Generates a synthetic project (``--files`` modules of helpers, some blocking, and one
1,000-line route module calling them), starts ``fastapi-lint server`` on it with the
minimal client of the tests, opens the route module and a helper, and reports

- the time to the first diagnostics of the route module (the project index is built then);
- the median time from ``didChange`` to ``publishDiagnostics`` over ``--edits`` edits of the
  route module that change no project facts, over as many that do (a route gains and loses
  a blocking call), and over edits of the helper (a blocking call added and removed, so the
  route module is linted again) — the debounce is included;
- the server's RSS after 50 and after ``--long-edits`` edits (the target: within 10 %).

Targets: median ≤ 300 ms; RSS after 500 edits within 10 % of RSS after 50.

``--server`` starts another server (another checkout, to compare: run both back to back
on a quiet machine and compare the CPU medians, which a busy machine disturbs less than
wall times).
"""
from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import sys
import time
from typing import Callable, List

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.lsp_client import Client  # noqa: E402

HELPER = '''\
import time


def helper_{n}_a(value: int) -> int:
    return value + {n}


def helper_{n}_b(value: int) -> int:
    {body}
    return helper_{n}_a(value)


class Service{n}:
    def run(self, value: int) -> int:
        return helper_{n}_b(value)
'''


def route(number: int, module: int) -> str:
    return (f'\n\n@router.get("/items/{number}")\n'
            f"async def item_{number}(value: int) -> dict:\n"
            f"    # route {number}: the project's helper does the work\n"
            f"    result = mod_{module}.helper_{module}_b(value)\n"
            f'    return {{"id": {number}, "value": result, "name": "item {number}"}}\n')


def make_project(directory: str, files: int) -> str:
    """The project's root; the route module is ``app/routes.py`` (1,000 lines)."""
    shutil.rmtree(directory, ignore_errors=True)
    package = os.path.join(directory, "app")
    os.makedirs(package)
    with open(os.path.join(directory, "pyproject.toml"), "w") as handle:
        handle.write("[tool.fastapi-lint]\n")
    open(os.path.join(package, "__init__.py"), "w").close()
    for n in range(files - 2):
        body = "time.sleep(0.1)" if n % 10 == 0 else "value += 1"
        with open(os.path.join(package, f"mod_{n}.py"), "w") as handle:
            handle.write(HELPER.format(n=n, body=body))
    lines = ["import time\n", "\n", "from fastapi import APIRouter\n", "\n"]
    lines += [f"from app import mod_{n}\n" for n in range(100)]
    lines += ["\nrouter = APIRouter()\n"]
    text = "".join(lines)
    number = 0
    while text.count("\n") < 995:
        text += route(number, number % 100)
        number += 1
    with open(os.path.join(package, "routes.py"), "w") as handle:
        handle.write(text)
    return directory


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (robust to a busy machine, unlike wall time)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Session:
    def __init__(self, root: str, command: List[str]) -> None:
        self.client = Client(root, command)
        self.client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {},
                                           "workspaceFolders": [{"uri": "file://" + root, "name": "bench"}]})
        self.client.notify("initialized", {})
        self.versions = {}
        self.texts = {}
        self.cpu: List[float] = []

    def open(self, path: str) -> float:
        with open(path) as handle:
            text = handle.read()
        uri = "file://" + path
        self.versions[uri], self.texts[uri] = 1, text
        start = time.perf_counter()
        self.client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python",
                                                                     "version": 1, "text": text}})
        self.wait(uri, 1)
        return time.perf_counter() - start

    def wait(self, uri: str, version: int) -> None:
        self.client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                         and m["params"]["uri"] == uri and m["params"].get("version") == version)

    def edit(self, uri: str, change: Callable[[str], str], published: str = "") -> float:
        """Seconds from didChange to the diagnostics of ``published`` (default: the edited
        document); the server's CPU seconds for it go to ``self.cpu``."""
        before = cpu_seconds(self.client.process.pid)
        self.client.seen.clear()  # earlier diagnostics of the same version must not count
        self.texts[uri] = text = change(self.texts[uri])
        self.versions[uri] += 1
        start = time.perf_counter()
        self.client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": self.versions[uri]},
                                                      "contentChanges": [{"text": text}]})
        target = published or uri
        self.wait(target, self.versions[target])
        elapsed = time.perf_counter() - start
        self.cpu.append(cpu_seconds(self.client.process.pid) - before)
        return elapsed

    def close(self) -> None:
        self.client.request("shutdown")
        self.client.notify("exit")
        self.client.process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--long-edits", type=int, default=500)
    parser.add_argument("--dir", default="/tmp/fastapi-lint-bench/lsp-project")
    parser.add_argument("--server", help="the command that starts the server (default: this environment's "
                                         "`fastapi-lint server`)")
    args = parser.parse_args()
    root = make_project(args.dir, args.files)
    routes, helper = os.path.join(root, "app", "routes.py"), os.path.join(root, "app", "mod_1.py")
    routes_uri, helper_uri = "file://" + routes, "file://" + helper
    command = shlex.split(args.server) if args.server else [
        os.path.join(os.path.dirname(sys.executable), "fastapi-lint"), "server"]
    session = Session(root, command)
    first = session.open(routes)
    session.open(helper)
    print(f"project: {args.files} files; route module: {session.texts[routes_uri].count(chr(10))} lines")
    print(f"first diagnostics of the route module (index built): {first * 1000:.0f} ms")

    def rename(k: int) -> Callable[[str], str]:
        return lambda text: text.replace(f'"name": "item {k}"', f'"name": "item {k}!"', 1)

    def toggle_blocking(text: str) -> str:
        marker = "    # route 3: the project's helper does the work\n"
        blocking = "    time.sleep(1)\n"
        if marker + blocking in text:
            return text.replace(marker + blocking, marker, 1)
        return text.replace(marker, marker + blocking, 1)

    def toggle_helper(text: str) -> str:
        return text.replace("value += 1", "time.sleep(0.1)", 1) if "value += 1" in text \
            else text.replace("time.sleep(0.1)", "value += 1", 1)

    rounds = []
    for label, uri, change, published in (
            ("route module, no facts changed", routes_uri, None, ""),
            ("route module, its facts changed", routes_uri, toggle_blocking, ""),
            ("helper edited, route module re-linted", helper_uri, toggle_helper, routes_uri)):
        session.cpu.clear()
        times = [session.edit(uri, change or rename(k), published) for k in range(args.edits)]
        rounds.append((label, times, list(session.cpu)))
    for label, times, cpu in rounds:
        print(f"didChange -> publishDiagnostics, {label}: median {statistics.median(times) * 1000:.0f} ms "
              f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, n={len(times)}); "
              f"server CPU median {statistics.median(cpu) * 1000:.0f} ms")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times grow with it)")
    done = 3 * args.edits
    edits = [toggle_blocking, toggle_helper]
    first_rss = None
    while done < args.long_edits:
        if first_rss is None and done >= 50:
            first_rss = (done, rss_mib(session.client.process.pid))
        uri = routes_uri if done % 2 == 0 else helper_uri
        session.edit(uri, edits[done % 2])
        done += 1
    if first_rss is not None:
        after_long = rss_mib(session.client.process.pid)
        growth = (after_long - first_rss[1]) / first_rss[1] * 100
        print(f"server RSS: {first_rss[1]:.0f} MiB after {first_rss[0]} edits, {after_long:.0f} MiB after {done} "
              f"({growth:+.1f} %)")
    session.close()


if __name__ == "__main__":
    main()
