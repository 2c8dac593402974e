"""A hostile cloud for tests: a real HTTP server on loopback that plays Identity, Block Storage and
Compute, and answers whatever a test tells it to, byte by byte if need be.

The well-behaved emulator (tests/emulator_process.py) cannot be made to send a 1e400 limit, an id
`../../logout`, a UTF-16 XML body with a DTD, a gzip bomb or an answer that drips one byte a second.
This server can: a test sets `cloud.answers[("GET", "/volumes/detail")]` to an `Answer` (status,
headers, body) or to a function that writes raw bytes to the socket, and the console meets it over
real HTTP, through its real client.

Paths: Identity at /v3 (a login always works unless told otherwise; the catalog points Block Storage
at /volume/<region>/v1/<project> and Compute at /compute/<region>/v2/<project> on this server, or at
`catalog_base` when set). Answers are looked up by (method, the path after the endpoint), e.g.
("GET", "/volumes/detail"), then by (method, "*") for every path of that method; what is not set gets
a sane default (empty listings, empty limits, 404 for one resource). Every request is kept in
`requests` (method, path, headers) so a test can see where a token went.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROJECT_ID = "0123456789abcdef"
USER_ID = "fedcba9876543210"
REGION = "region-a.geo-1"
TOKEN = "hostile-cloud-token-0123456789"  # noqa: S105 - a test token
JSON_TYPE = "application/json"

EMPTY = {
    "/volumes/detail": b'{"volumes": []}',
    "/volumes": b'{"volumes": []}',
    "/snapshots/detail": b'{"snapshots": []}',
    "/snapshots": b'{"snapshots": []}',
    "/backups/detail": b'{"backups": []}',
    "/backups": b'{"backups": []}',
    "/servers/detail": b'{"servers": []}',
    "/images/detail": b'{"images": []}',
    "/limits": b'{"limits": {"rate": [], "absolute": {"maxTotalVolumes": 10, "maxTotalVolumeGigabytes'
    b'": 1000, "totalVolumesUsed": 0, "totalGigabytesUsed": 0}}}',
}


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": JSON_TYPE})


Writer = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    host: str


class HostileCloud:
    """The server. Use as a context manager, or start()/stop()."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], Answer | Writer] = {}
        self.requests: list[Seen] = []
        self.catalog_base = ""  # "" : this server; else e.g. "http://127.0.0.2:PORT"
        self.token = TOKEN
        self.lock = threading.Lock()
        self.wake = threading.Event()  # set: every hung answer ends now
        cloud = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                with cloud.lock:
                    cloud.requests.append(
                        Seen(self.command, self.path, dict(self.headers), self.headers.get("Host", ""))
                    )
                cloud._dispatch(self)

            do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 - BaseHTTPRequestHandler's names

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread: threading.Thread | None = None

    # --- life -----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def identity_url(self) -> str:
        return f"{self.url}/v3"

    @property
    def volume_url(self) -> str:
        return f"{self.catalog_base or self.url}/volume/{REGION}/v1/{PROJECT_ID}"

    @property
    def compute_url(self) -> str:
        return f"{self.catalog_base or self.url}/compute/{REGION}/v2/{PROJECT_ID}"

    def start(self) -> HostileCloud:
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1})
        self.thread.daemon = True
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> HostileCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        self.wake.set()  # let hung answers of an earlier test go
        self.wake = threading.Event()
        with self.lock:
            self.answers.clear()
            self.requests.clear()
        self.catalog_base = ""
        self.token = TOKEN

    # --- answers --------------------------------------------------------------------------------

    def catalog(self) -> list[dict]:
        return [
            {"type": kind, "endpoints": [{"interface": "public", "region": REGION, "url": url}]}
            for kind, url in (("volume", self.volume_url), ("compute", self.compute_url))
        ]

    def token_document(self) -> bytes:
        expires = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(time.time() + 3600))
        return json.dumps(
            {
                "token": {
                    "expires_at": expires,
                    "user": {"id": USER_ID, "name": "mallory"},
                    "project": {"id": PROJECT_ID, "name": "hostile"},
                    "catalog": self.catalog(),
                }
            }
        ).encode()

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        method = handler.command
        if path.startswith("/v3"):
            rest = path[3:]
            answer = self.answers.get((method, "identity:" + rest))
            if answer is None and (method, rest) == ("POST", "/auth/tokens"):
                answer = Answer(
                    201, self.token_document(), {"Content-Type": JSON_TYPE, "X-Subject-Token": self.token}
                )
        else:
            rest = _endpoint_rest(path)
            answer = self.answers.get((method, rest)) or self.answers.get((method, "*"))
            if answer is None:
                answer = _default(method, rest)
        if answer is None:
            answer = Answer(404, b'{"itemNotFound": {"code": 404, "message": "Not here."}}')
        if callable(answer):
            answer(handler)
            return
        write(handler, answer)


def _endpoint_rest(path: str) -> str:
    """The path after /volume/<region>/v1/<project> or /compute/<region>/v2/<project>."""
    parts = path.split("/")
    if len(parts) >= 5 and parts[1] in ("volume", "compute"):
        return "/" + "/".join(parts[5:])
    return path


def _default(method: str, rest: str) -> Answer | None:
    if method == "GET" and rest in EMPTY:
        return Answer(200, EMPTY[rest])
    return None


def write(handler: BaseHTTPRequestHandler, answer: Answer) -> None:
    """Send an Answer as it is (its headers win; a Content-Length is added when it has none)."""
    handler.send_response(answer.status)
    names = {name.lower() for name in answer.headers}
    for name, value in answer.headers.items():
        handler.send_header(name, value)
    if "content-length" not in names and "transfer-encoding" not in names:
        handler.send_header("Content-Length", str(len(answer.body)))
    if "x-compute-request-id" not in names:
        handler.send_header("X-Compute-Request-Id", "req-hostile")
    declared = {name.lower(): value for name, value in answer.headers.items()}.get("content-length")
    if declared is not None and declared != str(len(answer.body)):
        handler.close_connection = True  # a truncated answer: hang up after it, as a crashed server would
    handler.end_headers()
    try:
        handler.wfile.write(answer.body)
        handler.wfile.flush()
    except OSError:
        pass  # the console hung up (it refused the answer): that is the point


def hang(cloud: HostileCloud, *, limit: float = 60.0) -> Writer:
    """An answer that never comes: the connection is accepted, nothing is sent (until `limit`
    seconds, or the test ends and sets cloud.wake)."""

    def writer(handler: BaseHTTPRequestHandler) -> None:
        cloud.wake.wait(limit)
        handler.close_connection = True

    return writer


def drip(payload: bytes, *, every: float, limit: float = 30.0) -> Writer:
    """An answer that sends `payload` one byte every `every` seconds (giving up after `limit`)."""

    def writer(handler: BaseHTTPRequestHandler) -> None:
        ends = time.monotonic() + limit
        for byte in payload:
            if time.monotonic() > ends:
                break
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:
                return  # the console hung up
            time.sleep(every)
        handler.close_connection = True

    return writer


def endless(chunk: bytes, *, status_line: bytes = b"HTTP/1.1 200 OK\r\n", every: float = 0.0) -> Writer:
    """An answer with headers, then a body that never ends (chunks until the console hangs up)."""

    def writer(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(status_line + b"Content-Type: application/json\r\nConnection: close\r\n\r\n")
        ends = time.monotonic() + 60
        try:
            while time.monotonic() < ends:
                handler.wfile.write(chunk)
                if every:
                    handler.wfile.flush()
                    time.sleep(every)
        except OSError:
            pass
        handler.close_connection = True

    return writer
