"""Bot API HTTP calls on aiohttp: PTB's BaseRequest contract at a fraction of httpx/httpcore's CPU per call.

Same contract as PTB's HTTPXRequest, except that parameters go as a JSON body (which the Bot API takes
for every method; percent-encoding Thai text costs both sides far more), multipart with files (each with
its file name and MIME type), DEFAULT_NONE timeouts meaning this object's defaults, a longer write
timeout for uploads, aiohttp's timeouts raised as ``TimedOut`` and its connection errors as
``NetworkError``. One session, one bounded keep-alive connection pool.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

__all__ = ["AiohttpRequest", "UpdatesRequest"]

JSON = {"Content-Type": "application/json"}
KEEPALIVE_S = 30.0  # an idle connection is kept this long (Telegram's servers keep theirs open longer)


class AiohttpRequest(BaseRequest):
    """A PTB request on one aiohttp session with at most `connection_pool_size` connections."""

    __slots__ = ("_connect", "_limit", "_media_write", "_pool", "_proxies", "_read", "_session", "_write")

    def __init__(
        self,
        connection_pool_size: int = 8,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._limit = connection_pool_size
        self._read, self._write, self._connect = read_timeout, write_timeout, connect_timeout
        self._pool, self._media_write = pool_timeout, media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, tuple[URL | None, aiohttp.BasicAuth | None]] = {}

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when a call passes none (PTB adds it to getUpdates' long-poll timeout)."""
        return self._read

    async def initialize(self) -> None:
        """Open the session on the running loop (again after a shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._limit, keepalive_timeout=KEEPALIVE_S)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT},
                timeout=aiohttp.ClientTimeout(total=None))
            self._proxies.clear()  # the environment's proxy settings, read again once per session

    def _proxy(self, url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """HTTPS_PROXY/NO_PROXY for the API's host, looked up once (aiohttp's trust_env reads them on every call)."""
        end = url.find("/", url.find("//") + 2)
        origin = url if end < 0 else url[:end]
        found = self._proxies.get(origin)
        if found is None:
            try:
                found = get_env_proxy_for_url(URL(origin))
            except LookupError:  # no proxy set, or NO_PROXY covers the host
                found = (None, None)
            self._proxies[origin] = found
        return found

    async def shutdown(self) -> None:
        """Close the session and its connections; a second call does nothing."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _timeout(self, body: bool, files: bool, read: ODVInput[float], write: ODVInput[float],
                 connect: ODVInput[float], pool: ODVInput[float]) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for one call: pooled connection + connect, each read, and a bound on sending."""
        read_s = self._read if isinstance(read, DefaultValue) else read
        write_s = (self._media_write if files else self._write) if isinstance(write, DefaultValue) else write
        connect_s = self._connect if isinstance(connect, DefaultValue) else connect
        pool_s = self._pool if isinstance(pool, DefaultValue) else pool
        acquire = None if pool_s is None or connect_s is None else pool_s + connect_s
        # aiohttp has no write timeout (its read timer starts once the body is sent): a call with a body gets a
        # total of all its phases instead, so a stalled upload cannot hold a handler forever; downloads have none
        parts = (acquire, write_s, read_s)
        total = sum(p for p in parts if p is not None) if body and None not in parts else None
        return aiohttp.ClientTimeout(total=total, connect=acquire, sock_connect=connect_s, sock_read=read_s)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One Bot API call or file download: (HTTP status, body)."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        timeout = self._timeout(request_data is not None, bool(files), read_timeout, write_timeout,
                                connect_timeout, pool_timeout)
        body: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            params = request_data.json_parameters
            if files:
                body = aiohttp.FormData(quote_fields=False)
                for name, value in params.items():
                    body.add_field(name, value)
                for name, (filename, content, mime) in files.items():
                    body.add_field(name, content, filename=filename, content_type=mime)
            elif params:  # the parameters as objects (a keyboard is an object, not a JSON string), UTF-8 as is
                body, headers = json.dumps(request_data.parameters, ensure_ascii=False).encode(), JSON
        proxy, proxy_auth = self._proxy(url)
        try:
            async with session.request(method, url, data=body, headers=headers, timeout=timeout, proxy=proxy,
                                       proxy_auth=proxy_auth) as res:
                return res.status, await res.read()
        except TimeoutError as err:  # aiohttp's ServerTimeoutError is one too
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


class UpdatesRequest(AiohttpRequest):
    """The getUpdates connection, keeping the updates as Telegram sent them: the inbox stores those, so
    polling never rebuilds a dict from PTB's objects (``Update.to_dict`` costs more than the parse)."""

    __slots__ = ("_raw",)

    def __init__(self) -> None:
        super().__init__(1)
        self._raw: list[Any] | None = None

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        """PTB's parse, and the call's result kept for `take_raw`."""
        data: dict[str, Any] = BaseRequest.parse_json_payload(payload)
        result = data.get("result") if isinstance(data, dict) else None
        self._raw = result if isinstance(result, list) else None
        return data

    def take_raw(self) -> list[Any] | None:
        """The last getUpdates result as JSON (once: a second call returns None)."""
        raw, self._raw = self._raw, None
        return raw
