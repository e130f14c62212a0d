"""The web server cannot be starved: idle and slow-header connections are closed, connections are capped
below the descriptor limit (raised at start), and /healthz keeps answering."""

from __future__ import annotations

import asyncio
import resource
import time

import aiohttp

from bot.web import WebServer, raise_fd_limit


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """True when the server closed the connection within the time (EOF or reset)."""
    async def until_eof() -> None:
        while await reader.read(1024):
            pass

    try:
        await asyncio.wait_for(until_eof(), seconds)
        return True
    except TimeoutError:
        return False
    except ConnectionError:
        return True


async def healthz_ms(server: WebServer) -> float:
    started = time.monotonic()
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as resp:
        assert resp.status == 200
    return (time.monotonic() - started) * 1000


async def test_idle_and_slow_header_connections_are_closed() -> None:
    server = WebServer("127.0.0.1", 0, header_timeout=0.5)
    await server.start()
    try:
        idle = [await asyncio.open_connection("127.0.0.1", server.bound_port) for _ in range(5)]
        slow_reader, slow_writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
        slow_writer.write(b"POST /line/webhook HTTP/1.1\r\nHost: x\r\n")
        for _ in range(6):  # a header line now and then, never the end of the headers
            await asyncio.sleep(0.2)
            try:
                slow_writer.write(b"X-Slow: 1\r\n")
                await slow_writer.drain()
            except ConnectionError:
                break  # the server gave up on it
        assert await closed_within(slow_reader, 2.0)
        for reader, _ in idle:
            assert await closed_within(reader, 2.0)
        assert await healthz_ms(server) < 500
    finally:
        await server.stop()


async def test_connections_beyond_the_cap_are_closed_and_healthz_recovers() -> None:
    server = WebServer("127.0.0.1", 0, max_connections=20, header_timeout=0.6)
    await server.start()
    try:
        conns = [await asyncio.open_connection("127.0.0.1", server.bound_port) for _ in range(45)]
        refused = [await closed_within(r, 0.3) for r, _ in conns]
        assert sum(refused) >= 25  # no descriptor is held for connections over the cap
        assert all(await asyncio.gather(*(closed_within(r, 2.0) for r, _ in conns)))
        assert await healthz_ms(server) < 500
    finally:
        await server.stop()


def test_the_soft_descriptor_limit_is_raised_where_allowed() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowered = min(soft, 256)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))
    try:
        raised = raise_fd_limit()
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == raised
        assert raised > lowered or hard == lowered
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
