"""Telegram send pacing: ~30 messages/s overall, about one per second per chat, 429 retry_after honoured.

A PTB `BaseRateLimiter` (plugged in with `ApplicationBuilder.rate_limiter`), so every Bot API call with a
`chat_id` goes through it; getUpdates and answerCallbackQuery are not paced. Pacing uses the generic cell
rate algorithm: each chat may send a short burst, then one message per interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

__all__ = ["ChatRateLimiter", "Pace"]

log = logging.getLogger(__name__)


class Pace:
    """One GCRA lane: `burst` sends at once, then one per `interval` seconds; slots are reserved."""

    def __init__(self, interval: float, burst: int = 1) -> None:
        self.interval = interval
        self.tolerance = max(0, burst - 1) * interval
        self.tat = 0.0  # theoretical arrival time of the next conforming send

    def earliest(self, now: float) -> float:
        """When the next send may go, if it were asked now."""
        return max(now, self.tat - self.tolerance)

    def reserve(self, at: float) -> None:
        """Book a send at time `at`."""
        self.tat = max(self.tat, at) + self.interval

    def hold_until(self, moment: float) -> None:
        """Nothing goes before `moment` (after a 429)."""
        self.tat = max(self.tat, moment + self.tolerance)

    def idle(self, now: float) -> bool:
        """True when the lane carries no memory any more (can be forgotten)."""
        return self.tat <= now


class ChatRateLimiter(BaseRateLimiter[int]):
    """Paces chat sends and retries after 429 Too Many Requests up to `max_retries` times."""

    def __init__(
        self,
        overall_per_second: float = 30.0,
        chat_interval: float = 1.0,
        group_interval: float = 3.0,
        chat_burst: int = 3,
        max_retries: int = 3,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.overall = Pace(1.0 / overall_per_second if overall_per_second else 0.0)
        self.chat_interval = chat_interval
        self.group_interval = group_interval
        self.chat_burst = chat_burst
        self.max_retries = max_retries
        self._now = now
        self._sleep = sleep
        self._chats: dict[str, Pace] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _lane(self, chat_id: object) -> Pace:
        key = str(chat_id)
        lane = self._chats.get(key)
        if lane is None:
            if len(self._chats) > 4096:
                now = self._now()
                self._chats = {k: v for k, v in self._chats.items() if not v.idle(now)}
            is_group = key.startswith("-") or key.startswith("@")
            lane = Pace(self.group_interval if is_group else self.chat_interval, self.chat_burst)
            self._chats[key] = lane
        return lane

    def reserve_chat(self, chat_id: object | None, per_chat: bool = True) -> float:
        """Book the earliest slot of chat_id's own lane; the delay before it (0: no chat, or an edit of a keyboard)."""
        if chat_id is None or not per_chat:
            return 0.0
        now = self._now()
        lane = self._lane(chat_id)
        at = lane.earliest(now)
        lane.reserve(at)
        return max(0.0, at - now)

    def reserve_overall(self) -> float:
        """Book the bot-wide slot of a send that is due now; the delay before it.

        Taken once the chat's own slot has come, never ahead: a slot booked a second away for a paced chat would
        hold every other chat's reply behind it (one busy chat stalling the rest)."""
        now = self._now()
        at = self.overall.earliest(now)
        self.overall.reserve(at)
        return max(0.0, at - now)

    def penalize(self, chat_id: object | None, retry_after: float) -> None:
        """After a 429 hold every send (Telegram's limit is per bot) until retry_after has passed."""
        until = self._now() + retry_after
        self.overall.hold_until(until)
        if chat_id is not None:
            self._lane(chat_id).hold_until(until)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for this chat's slot, send, and on 429 wait retry_after and try again."""
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        chat_id = data.get("chat_id")
        attempt = 0
        while True:
            delay = self.reserve_chat(chat_id, per_chat=not endpoint.startswith("editMessage"))
            if delay > 0:
                await self._sleep(delay)
            delay = self.reserve_overall() if chat_id is not None else 0.0
            if delay > 0:
                await self._sleep(delay)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                with warnings.catch_warnings():  # PTB warns that the type will become timedelta
                    warnings.simplefilter("ignore")
                    wait = _seconds(exc.retry_after) + 0.1
                if attempt >= retries:
                    log.error("%s to chat %s: still 429 after %d retries", endpoint, chat_id, retries)
                    raise
                attempt += 1
                log.warning("%s to chat %s: 429, retrying in %.1f s", endpoint, chat_id, wait)
                self.penalize(chat_id, wait)


def _seconds(value: object) -> float:
    """retry_after is an int or a timedelta depending on PTB settings."""
    with contextlib.suppress(AttributeError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(value.total_seconds())  # type: ignore[attr-defined]
    return float(value)  # type: ignore[arg-type]
