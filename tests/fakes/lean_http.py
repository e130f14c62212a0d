"""A bare HTTP/1.1 front for the fake Bot API's JSON calls, for benchmarks that run it beside the workers.

Telegram is not on a host's machine; the fake that stands in for it there should cost as little CPU as it can.
This protocol answers keep-alive POST/GET requests to /bot<token>/<method> with a JSON body (or none) through
FakeTelegramAPI's own methods, at about a third of aiohttp's server cost per call. Uploads (multipart) and file
downloads are not served here: 404/415, as the tests that need them use the aiohttp server.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol

__all__ = ["LeanHttp"]

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            413: "Payload Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests"}
MAX_BODY = 1 << 20


class JsonApi(Protocol):
    """What the front needs of the fake: one call from its token, method and parameters to (status, body)."""

    async def invoke_json(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, bytes]: ...


class LeanHttp(asyncio.Protocol):
    """One connection: requests answered one at a time, in order (keep-alive unless the client closes)."""

    def __init__(self, api: JsonApi) -> None:
        self.api = api
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._next()

    def _next(self) -> None:
        """Start answering the next complete request in the buffer, if any and none is being answered."""
        if self.busy or self.transport is None:
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        verb, path, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self._write(413, b'{"ok":false}', close=True)
            return
        if len(self.buffer) < end + 4 + length:
            return  # the body is still on its way
        body = bytes(self.buffer[end + 4:end + 4 + length])
        del self.buffer[:end + 4 + length]
        self.busy = True
        close = headers.get("connection", "").lower() == "close"
        asyncio.get_running_loop().create_task(self._answer(verb, path, headers.get("content-type", ""), body, close))

    async def _answer(self, verb: str, path: str, content_type: str, body: bytes, close: bool) -> None:
        status, payload = 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
        token, _, method = path[4:].partition("/") if path.startswith("/bot") else ("", "", "")
        if method and "/" not in method and verb in ("GET", "POST"):
            if body and not content_type.startswith("application/json"):
                status, payload = 415, b'{"ok":false,"error_code":415,"description":"JSON bodies only"}'
            else:
                try:
                    params = json.loads(body) if body else {}
                except ValueError:
                    params = None
                if isinstance(params, dict):
                    status, payload = await self.api.invoke_json(token, method.partition("?")[0], params)
                else:
                    status, payload = 400, b'{"ok":false,"error_code":400,"description":"Bad Request"}'
        self.busy = False
        self._write(status, payload, close)
        if not close:
            self._next()

    def _write(self, status: int, payload: bytes, close: bool = False) -> None:
        if self.transport is None:
            return
        head = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\n{'Connection: close' + chr(13) + chr(10) if close else ''}\r\n")
        self.transport.write(head.encode() + payload)
        if close:
            self.transport.close()
