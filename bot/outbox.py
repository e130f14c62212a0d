"""Routes pushed replies ("platform:user_id" recipients) to the adapter of that platform.

Adapters register a sender for their platform when they start; the engine's pushes (e.g. telling a head
that a unit reported) and the reminder scheduler deliver through `Outbox.send` / `Outbox.deliver`
without knowing which chat platform a person uses. One Outbox is built by the runner and passed down.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from domain.events import Reply
from domain.sends import REASON_NO_ACCOUNT, Undeliverable
from storage.models import Officer

__all__ = ["OfficerNotifier", "Outbox", "Sender", "split_recipient"]

log = logging.getLogger(__name__)

Sender = Callable[[str, Reply], Awaitable[bool]]
"""An adapter's push: (user_id, reply) → delivered?"""


def split_recipient(recipient: str) -> tuple[str, str] | None:
    """"telegram:123" → ("telegram", "123"); None when malformed."""
    platform, sep, user_id = recipient.partition(":")
    if not sep or not platform or not user_id:
        return None
    return platform, user_id


class Outbox:
    """Platform name → sender; unknown platforms and failed sends return False, never raise."""

    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}

    def register(self, platform: str, sender: Sender) -> None:
        """An adapter announces it can push to users of `platform`."""
        self._senders[platform] = sender

    def unregister(self, platform: str) -> None:
        """An adapter stopped."""
        self._senders.pop(platform, None)

    def sender_for(self, platform: str) -> Sender | None:
        """The registered sender of a platform, if its adapter runs."""
        return self._senders.get(platform)

    def platforms(self) -> list[str]:
        """Platforms that can receive pushes now."""
        return sorted(self._senders)

    async def send(self, platform: str, user_id: str, reply: Reply) -> bool:
        """Deliver one reply to a user of a platform; False when impossible or failed."""
        sender = self._senders.get(platform)
        if sender is None:
            log.warning("no adapter for platform %r; push to %s dropped", platform, user_id)
            return False
        try:
            return bool(await sender(user_id, reply))
        except Undeliverable as exc:
            log.info("push to %s:%s not delivered: %s", platform, user_id, exc.reason)
            return False
        except Exception:  # an adapter failure must not break the caller's loop
            log.exception("push to %s:%s failed", platform, user_id)
            return False

    async def deliver(self, reply: Reply) -> bool:
        """Send a reply whose `recipient` is "platform:user_id"."""
        target = split_recipient(reply.recipient)
        if target is None:
            log.warning("reply without a valid recipient: %r", reply.recipient)
            return False
        return await self.send(target[0], target[1], reply)

    async def deliver_all(self, replies: Iterable[Reply]) -> int:
        """Send several pushes; return how many were delivered."""
        count = 0
        for reply in replies:
            count += await self.deliver(reply)
        return count


class OfficerNotifier:
    """The reminders' Notifier: reaches a person on their active accounts, in order, until one accepts.

    Unlike Outbox.send it lets transient errors (network trouble) propagate so the caller can retry.
    A refusal with a reason (domain.sends.Undeliverable: LINE quota used up, blocked …) moves on to the
    person's next account, so someone on LINE and Telegram still hears when LINE's pushes run out; when
    no account accepts, the first reason is raised (no running platform for any account: no_account).
    """

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def send(self, officer: Officer, reply: Reply) -> bool:
        """True once one account accepted; False when the only tried platform refused without a reason."""
        refusal: Undeliverable | None = None
        refused = False
        for ident in officer.identities:
            sender = self.outbox.sender_for(ident.platform)
            if not ident.active or sender is None:
                continue
            try:
                if await sender(ident.user_id, reply):
                    return True
                refused = True
            except Undeliverable as exc:
                log.info("%s not reached on %s: %s", officer.id, ident.platform, exc.reason)
                refusal = refusal or exc
        if refusal is not None:
            raise refusal
        if refused:
            return False
        log.info("no reachable chat account for %s", officer.id)
        raise Undeliverable(REASON_NO_ACCOUNT, "no active account on a running platform")
