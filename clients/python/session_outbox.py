"""What a client sent: numbered data messages, kept until acknowledged
(docs/SESSIONS.md §3, §4.4). No I/O."""

from __future__ import annotations

from session_wire import WireError


class Outbox:
    """Numbers each data message as it is sent (the first is 1) and keeps it
    until the server acknowledges it, so that a resume can send it again."""

    def __init__(self) -> None:
        #: How many data messages were numbered (the number of the last).
        self.sent = 0
        #: The highest number the server acknowledged.
        self.acked = 0
        self._kept: dict[int, str | bytes] = {}

    def add(self, payload: str | bytes) -> int:
        """Numbers ``payload`` and keeps it; returns its number."""
        self.sent += 1
        self._kept[self.sent] = payload
        return self.sent

    def get(self, number: int) -> str | bytes:
        """The kept message ``number`` (not yet acknowledged)."""
        return self._kept[number]

    def ack(self, number: int) -> None:
        """The server received every message up to ``number``: forget them.
        A number at or below an earlier one is ignored; beyond what was sent,
        it is a protocol violation."""
        if number > self.sent:
            raise WireError("ack_beyond_sent", f"ack {number}, sent {self.sent}")
        for done in range(self.acked + 1, number + 1):
            del self._kept[done]
        self.acked = max(self.acked, number)

    def resume_from(self, rx: int) -> int:
        """Applies a ``welcome``'s ``rx`` after a resume; returns the number of
        the first message to send again. ``rx`` may not be behind an earlier
        acknowledgement nor beyond what was sent."""
        if rx < self.acked:
            raise WireError("rx_behind_ack", f"welcome rx {rx} behind ack {self.acked}")
        self.ack(rx)
        return rx + 1

    def __len__(self) -> int:
        """How many messages are kept (sent, not yet acknowledged)."""
        return len(self._kept)
