"""A real HTTP server on 127.0.0.1 for the zoo's download tests, and a tiny real checkpoint to serve."""
from __future__ import annotations

import dataclasses
import hashlib
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import torch

from llie.zoo import ZooEntry

#: how the server sends a file: whole; half of it then closes (Content-Length promises all); without a
#: Content-Length; or half of it, then waits until the test releases it
MODES = ("full", "truncate", "no_length", "stall")


@dataclasses.dataclass
class Route:
    body: bytes
    mode: str = "full"


class _Handler(BaseHTTPRequestHandler):
    server: "ZooServer"

    def do_GET(self) -> None:  # noqa: N802 — http.server's name
        self.server.requests.append(self.path)
        route = self.server.routes.get(self.path.lstrip("/"))
        if route is None:
            self.send_error(404)
            return
        body = route.body
        self.send_response(200)
        if route.mode != "no_length":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if route.mode in ("truncate", "stall"):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            if route.mode == "stall":
                self.server.stalled.set()
                self.server.release.wait(timeout=30)
            return  # HTTP/1.0: the connection closes here, short of Content-Length
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class ZooServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.stalled = threading.Event()  # a "stall" route has sent its first half
        self.release = threading.Event()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"


def checkpoint_bytes(seed: int = 0) -> bytes:
    """A real ``torch.save`` state_dict of ``nn.Linear(3, 2)``, as bytes (~1.8 KB)."""
    gen = torch.Generator().manual_seed(seed)
    state = {"weight": torch.randn(2, 3, generator=gen), "bias": torch.randn(2, generator=gen)}
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_entry(body: bytes, **changes: object) -> ZooEntry:
    fields: dict[str, object] = dict(name="test_linear", file="test_linear.pth",
                                     url="https://example.invalid/test_linear.pth", size=len(body),
                                     sha256=sha256(body), licence="MIT", citation="a test", component="Linear",
                                     aliases=("old_linear.pth",))
    fields.update(changes)
    return ZooEntry(**fields)  # type: ignore[arg-type]


def files_in(folder: Path) -> list[str]:
    """Every file under ``folder``, hidden ones included (an absent folder has none)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
