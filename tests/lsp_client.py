"""A minimal LSP client for tests and benchmarks: ``fastapi-lint server`` as a subprocess,
Content-Length framed JSON-RPC over its stdin/stdout."""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from typing import Any, Callable, Dict, List, Sequence

TIMEOUT = 30


class Client:
    """Content-Length framed JSON-RPC over the server's stdin/stdout."""

    def __init__(self, cwd: str, command: Sequence[str] = (sys.executable, "-m", "fastapi_lint", "server")) -> None:
        self.process = subprocess.Popen(list(command), cwd=cwd,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.messages: "queue.Queue[Dict[str, Any]]" = queue.Queue()
        self.seen: List[Dict[str, Any]] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.messages.put(json.loads(stream.read(length)))

    def send(self, message: Dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    def wait(self, accept: Callable[[Dict[str, Any]], bool]) -> Dict[str, Any]:
        for message in self.seen:
            if accept(message):
                self.seen.remove(message)
                return message
        while True:
            message = self.messages.get(timeout=TIMEOUT)
            if "id" in message and "method" in message:  # a request of the server's: say yes
                self.send({"id": message["id"], "result": None})
            if accept(message):
                return message
            self.seen.append(message)

    def request(self, method: str, params: Any = None) -> Any:
        self.next_id += 1
        number = self.next_id
        self.send({"id": number, "method": method, "params": params})
        reply = self.wait(lambda m: m.get("id") == number and "method" not in m)
        assert "error" not in reply, reply
        return reply.get("result")

    def diagnostics(self, uri: str) -> List[Dict[str, Any]]:
        message = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                            and m["params"]["uri"] == uri)
        return message["params"]["diagnostics"]
