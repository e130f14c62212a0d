"""Evidence links checked once in the background: status, final address and page title.

A user must not be able to make the server probe its own network, so every address a name resolves to
(and every redirect's) is checked first and private, loopback, link-local, reserved and multicast ones
are refused before any connection; the connection then goes to the checked address only.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

__all__ = ["LinkCheck", "LinkChecker", "Lookup", "PrivateAddress", "is_public_address", "system_lookup"]

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)
_MAX_BODY = 256 * 1024
_MAX_REDIRECTS = 5


class PrivateAddress(ValueError):
    """The link points into a private or local network."""


class NotWeb(ValueError):
    """The link (or a redirect) leaves http/https: ftp, file, javascript …"""


def is_public_address(ip: str) -> bool:
    """True only for globally routable unicast addresses."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_global and not (addr.is_multicast or addr.is_reserved or addr.is_loopback or addr.is_link_local)


@dataclass(frozen=True)
class LinkCheck:
    """What one check found; ok is False for an HTTP error, a refused address or no answer."""

    url: str
    ok: bool
    status: int = 0
    final_url: str = ""
    title: str = ""
    error: str = ""
    checked_at: str = ""
    final: bool = True  # False: no answer at all (offline, timeout), worth another try later
    attempts: int = 1

    def to_dict(self) -> dict[str, Any]:
        """For storing beside the office's settings."""
        return asdict(self)


Lookup = Callable[[str, int, socket.AddressFamily], Awaitable[list[Any]]]


async def system_lookup(host: str, port: int, family: socket.AddressFamily) -> list[Any]:
    """The system resolver, as getaddrinfo tuples."""
    loop = asyncio.get_running_loop()
    return await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)


class _PublicOnlyResolver(AbstractResolver):
    """Resolves like the system, then drops every non-public address (refusing when none is left)."""

    def __init__(self, allowed: Callable[[str], bool], lookup: Lookup = system_lookup) -> None:
        self._allowed = allowed
        self._lookup = lookup

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        infos = await self._lookup(host, port, family)
        out: list[ResolveResult] = []
        for fam, _, proto, _, sockaddr in infos:
            ip = str(sockaddr[0])
            if self._allowed(ip):
                out.append(ResolveResult(hostname=host, host=ip, port=int(sockaddr[1]), family=fam, proto=proto,
                                         flags=socket.AI_NUMERICHOST))
        if not out:
            raise PrivateAddress(host)
        return out

    async def close(self) -> None:
        return None


def _literal_guard(url: str, allowed: Callable[[str], bool]) -> None:
    """Refuse a literal private address, a local name and non-http schemes without touching the network."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotWeb(url)
    host = parts.hostname
    try:
        ipaddress.ip_address(host)
    except ValueError:
        local = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
        if local and not allowed("127.0.0.1"):
            raise PrivateAddress(host) from None
        return
    if not allowed(host):
        raise PrivateAddress(host)


class LinkChecker:
    """Checks links with timeouts, a body cap and the private-address guard on every hop."""

    def __init__(
        self,
        timeout: float = 10.0,
        allow_private: bool = False,
        allowed: Callable[[str], bool] | None = None,
        lookup: Lookup = system_lookup,
    ) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._lookup = lookup  # tests: a fake DNS, to see a name that resolves into the LAN refused
        # the address policy: public addresses only. Tests widen it (their server is on 127.0.0.1) through
        # `allowed` (one address) or `allow_private`; production never passes either
        self._allowed: Callable[[str], bool] = (
            (lambda ip: True) if allow_private else (allowed or is_public_address)
        )

    async def check(self, url: str, checked_at: str = "") -> LinkCheck:
        """Follow up to five redirects (each one guarded) and read the page title."""
        connector = aiohttp.TCPConnector(resolver=_PublicOnlyResolver(self._allowed, self._lookup), limit=4)
        current = url
        try:
            async with aiohttp.ClientSession(timeout=self._timeout, connector=connector) as session:
                for _ in range(_MAX_REDIRECTS + 1):
                    _literal_guard(current, self._allowed)
                    async with session.get(current, allow_redirects=False, headers={"User-Agent": "itabot-linkcheck"}) as resp:
                        if resp.status in (301, 302, 303, 307, 308) and resp.headers.get("Location"):
                            current = urljoin(current, resp.headers["Location"])
                            continue
                        body = await resp.content.read(_MAX_BODY)
                        title = _title(body, resp.charset or "")
                        return LinkCheck(url, resp.status < 400, resp.status, current, title, "", checked_at)
                return LinkCheck(url, False, 0, current, "", "too many redirects", checked_at)
        except PrivateAddress:
            return LinkCheck(url, False, 0, current, "", "private address refused", checked_at)
        except NotWeb:
            return LinkCheck(url, False, 0, current, "", "not a web address", checked_at)
        except ValueError as exc:  # a malformed address: trying again will not help
            return LinkCheck(url, False, 0, current, "", type(exc).__name__, checked_at)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:  # no answer: offline, or the site is down
            return LinkCheck(url, False, 0, current, "", type(exc).__name__, checked_at, final=False)


_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_\-]+)", re.I)


def _title(body: bytes, charset: str = "") -> str:
    """The page's <title>, decoded as the page says (Thai sites still serve TIS-620 / windows-874)."""
    match = _TITLE.search(body)
    if not match:
        return ""
    raw = match.group(1)[:1000]
    meta = _META_CHARSET.search(body[:4096])
    for encoding in (charset, meta.group(1).decode("ascii") if meta else "", "utf-8"):
        if not encoding:
            continue
        try:
            text = raw.decode(encoding)
            break
        except (LookupError, UnicodeDecodeError):
            continue
    else:
        text = raw.decode("cp874", errors="replace")
    return " ".join(html.unescape(text).split())[:200]
