"""The HTTP/1.1 server around `Emulator.handle`: keep-alive, request ids, headers, dropped connections."""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .app import Emulator
from .wire import ApiError, Request, encode, fault_reply, response_format

log = logging.getLogger("emulator")

MAX_BODY = 1024 * 1024


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        super().__init__(address, EmulatorHandler)


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms ACK stalls
    server_version = "BlockStorageEmulator/1.0"
    server: EmulatorServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def do_HEAD(self) -> None:  # noqa: N802
        self._dispatch(head=True)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        log.debug("%s %s", self.address_string(), format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (malformed request line, URI too long...) in the spec's format."""
        self.close_connection = True
        if code == 501:  # a method http.server does not know: the API's answer is 405 badMethod
            code, message = 405, f"Method {self.command} is not allowed."
        reply = fault_reply(ApiError(code, message or "Malformed request."))
        payload, content_type = encode(reply, "json")
        self._send(code, payload, content_type, reply.headers, f"req-{uuid.uuid4()}", head=False)

    def _read_body(self) -> bytes | None:
        """The request body, or None when it is too large (the connection is then closed)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _dispatch(self, head: bool = False) -> None:
        request_id = f"req-{uuid.uuid4()}"
        split = urlsplit(self.path)
        path, fmt = response_format(split.path or "/", self.headers.get("Accept", ""))
        try:
            body = self._read_body()
        except (ValueError, OSError):
            body = None
        request = Request(
            method="GET" if head else self.command,
            path=path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body or b"",
            fmt=fmt,
        )
        if body is None:
            self.close_connection = True
            reply = fault_reply(
                ApiError(400, f"Request body too large or unreadable (at most {MAX_BODY} bytes).")
            )
            self._send(reply.status, *encode(reply, fmt), reply.headers, request_id, head)
            return
        outcome = self.server.emulator.handle(request, request_id)
        if outcome.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        reply = outcome.reply
        payload, content_type = encode(reply, fmt)
        status = reply.status
        if outcome.malformed:
            status, payload = 200, payload[: len(payload) // 2] if len(payload) > 4 else b'{"volu'
        self._send(status, payload, content_type, reply.headers, request_id, head)

    def _send(
        self,
        status: int,
        payload: bytes,
        content_type: str,
        headers: dict[str, str],
        request_id: str,
        head: bool,
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Compute-Request-Id", request_id)
            self.send_header("X-Openstack-Request-Id", request_id)
            for key, value in headers.items():
                self.send_header(key, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if payload and not head:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(emulator: Emulator, addr: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM; every answered call is already committed to SQLite."""
    server = EmulatorServer((addr, port), emulator)
    signal.signal(signal.SIGTERM, _stop)
    log.info("Emulator listening on http://%s:%s/ (state in %s)", addr, port, emulator.config.db_path)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        log.info("Emulator stopped")
