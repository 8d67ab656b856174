"""What a client received: the count of data messages and when to
acknowledge them (docs/SESSIONS.md §3, §4.4). No I/O."""

from __future__ import annotations

#: Acknowledge at least every this many data messages received (§4.4).
ACK_EVERY = 32


class Inbound:
    """Counts the data messages received (the n-th is number n) and what was
    acknowledged of them: by an ``ack``, or by a ``resume``'s ``rx``."""

    def __init__(self, ack_every: int = ACK_EVERY) -> None:
        #: How many data messages were received (the number of the last).
        self.received = 0
        #: The highest number acknowledged to the server.
        self.acked = 0
        self._ack_every = ack_every

    def receive(self) -> int:
        """Counts one data message; returns its number."""
        self.received += 1
        return self.received

    @property
    def unacked(self) -> int:
        """How many received messages are not acknowledged yet."""
        return self.received - self.acked

    def ack_due(self) -> bool:
        """Whether enough messages wait for an ``ack`` to send one now."""
        return self.unacked >= self._ack_every

    def take_ack(self) -> int:
        """Marks everything received as acknowledged; returns the number to
        put in the ``ack`` (or a ``resume``'s ``rx``)."""
        self.acked = self.received
        return self.received
