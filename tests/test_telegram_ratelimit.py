"""Send pacing and 429 handling of bot.ratelimit, on a fake clock (no real waiting)."""

from __future__ import annotations

import asyncio
import time
import warnings

import pytest
from telegram.error import RetryAfter

from bot.ratelimit import ChatRateLimiter


class FakeTime:
    """A clock that moves only when the limiter sleeps."""

    def __init__(self) -> None:
        self.t = 100.0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


def limiter(clock: FakeTime, **kw: float) -> ChatRateLimiter:
    return ChatRateLimiter(now=clock.now, sleep=clock.sleep, **kw)  # type: ignore[arg-type]


async def send_times(lim: ChatRateLimiter, clock: FakeTime, chat_ids: list[object]) -> list[float]:
    """When each request actually reached the callback (relative to the start)."""
    start, times = clock.t, []

    async def callback() -> bool:
        times.append(round(clock.t - start, 3))
        return True

    for chat_id in chat_ids:
        data = {} if chat_id is None else {"chat_id": chat_id}
        assert await lim.process_request(callback, (), {}, "sendMessage", data, None) is True
    return times


async def test_one_chat_gets_a_short_burst_then_one_message_per_second():
    clock = FakeTime()
    times = await send_times(limiter(clock), clock, [42] * 6)
    assert times == pytest.approx([0, 1 / 30, 2 / 30, 1, 2, 3], abs=1e-3)  # the burst still obeys 30/s


async def test_groups_are_paced_slower_and_chats_do_not_block_each_other():
    clock = FakeTime()
    lim = limiter(clock)
    assert await send_times(lim, clock, [-100] * 4) == pytest.approx([0, 1 / 30, 2 / 30, 3], abs=1e-3)
    clock2 = FakeTime()
    assert await send_times(limiter(clock2), clock2, [1, 2, 3, 1, 2, 3]) == pytest.approx(
        [0, 1 / 30, 2 / 30, 3 / 30, 4 / 30, 5 / 30], abs=1e-3
    )


async def test_overall_rate_is_thirty_per_second():
    clock = FakeTime()
    times = await send_times(limiter(clock), clock, list(range(1, 91)))
    assert times[-1] == pytest.approx(89 / 30, abs=1e-3)
    in_first_second = [t for t in times if t < 1.0]
    assert len(in_first_second) == 30


async def test_calls_without_a_chat_are_not_paced():
    clock = FakeTime()
    assert await send_times(limiter(clock), clock, [None] * 50) == [0] * 50


def retry_after(seconds: int) -> RetryAfter:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return RetryAfter(seconds)


async def test_429_waits_retry_after_then_delivers_and_holds_other_chats_too():
    clock = FakeTime()
    lim = limiter(clock)
    attempts: list[float] = []

    async def flaky() -> bool:
        attempts.append(clock.t)
        if len(attempts) == 1:
            raise retry_after(5)
        return True

    assert await lim.process_request(flaky, (), {}, "sendMessage", {"chat_id": 7}, None) is True
    assert len(attempts) == 2 and attempts[1] - attempts[0] >= 5.0
    # while a flood wait runs, other chats wait it out too (Telegram's limit is per bot)
    lim.penalize(7, 4.0)
    assert lim.reserve_chat(8) == 0 and lim.reserve_overall() >= 4.0


async def test_429_beyond_max_retries_is_raised():
    clock = FakeTime()
    lim = limiter(clock, max_retries=2)
    calls = 0

    async def always_busy() -> bool:
        nonlocal calls
        calls += 1
        raise retry_after(1)

    with pytest.raises(RetryAfter):
        await lim.process_request(always_busy, (), {}, "sendMessage", {"chat_id": 7}, None)
    assert calls == 3


async def test_editing_a_pressed_keyboard_does_not_wait_for_the_chat_slot():
    clock = FakeTime()
    lim = limiter(clock)
    start, times = clock.t, []

    async def callback() -> bool:
        times.append(round(clock.t - start, 3))
        return True

    for endpoint in ("sendMessage", "sendMessage", "sendMessage", "editMessageReplyMarkup", "sendMessage"):
        await lim.process_request(callback, (), {}, endpoint, {"chat_id": 7}, None)
    # the burst of three, then the edit only waits for the bot-wide 30/s; the next message for its second
    assert times == pytest.approx([0, 1 / 30, 2 / 30, 3 / 30, 1], abs=1e-3)


async def test_a_paced_chat_does_not_hold_other_chats_replies_behind_it():
    # real time, small intervals: chat 42 has used its burst and waits for its next slot; chat 7's reply goes now
    lim = ChatRateLimiter(overall_per_second=1000, chat_interval=0.4, chat_burst=3)
    start = time.monotonic()
    sent: dict[str, float] = {}

    async def send(chat: int, label: str) -> None:
        async def callback() -> bool:
            sent[label] = time.monotonic() - start
            return True

        await lim.process_request(callback, (), {}, "sendMessage", {"chat_id": chat}, None)

    busy = asyncio.gather(*(send(42, f"42-{i}") for i in range(4)))
    await asyncio.sleep(0.05)  # chat 42's fourth message is waiting for its slot
    await send(7, "7")
    await busy
    assert sent["42-3"] >= 0.35  # the fourth message of a chat waits for its slot
    assert sent["7"] < 0.3  # another chat's reply does not wait with it
