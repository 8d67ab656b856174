"""A client of Capstan's resumable sessions over WebSocket, written from
docs/SESSIONS.md alone (asyncio, with the ``websockets`` library).

    client = SessionClient("ws://127.0.0.1:9300/echo")
    await client.open()
    await client.send("hello")
    print(await client.recv())
    await client.close()

A cut transport (a reset, a close that does not end the session, or a link
silent for twice the heartbeat) is resumed on a new connection within the
grace period: the client sends ``resume`` with how many messages it received,
then sends again, in order, what the server had not received. The
application on either side sees one connection: nothing lost, nothing twice.
A close that ends the session (§7) makes ``recv`` raise a ``SessionError``
(after every message received before it), naming why.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from session_errors import (
    ProtocolViolation,
    SessionClosed,
    SessionError,
    SessionExpired,
    SessionReplaced,
    UnknownSession,
    ends_session,
    session_error,
)
from session_inbound import Inbound
from session_outbox import Outbox
from session_wire import (
    Ack,
    Data,
    Heartbeat,
    ServerError,
    Welcome,
    WireError,
    decode,
    encode_ack,
    encode_data,
    encode_hello,
    encode_resume,
)

__all__ = ["SessionClient", "SessionError"]

_log = logging.getLogger("capstan_session")


class _Cut(Exception):
    """A transport was lost without ending the session: resume."""


class SessionClient:
    """One session with a session-mode route of a Capstan server.

    ``url`` is the route's ``ws://`` or ``wss://`` URL. ``open_timeout`` bounds
    each connection's opening and its wait for ``welcome``; ``ack_delay`` is how
    long a received message may wait for its ``ack`` (under §4.4's 1 s);
    ``max_backoff`` caps the wait between resume attempts. Other keyword
    arguments go to ``websockets.asyncio.client.connect``.
    """

    def __init__(
        self,
        url: str,
        *,
        open_timeout: float = 10.0,
        ack_delay: float = 0.2,
        max_backoff: float = 2.0,
        **connect_options: Any,
    ) -> None:
        self.url = url
        self._open_timeout = open_timeout
        self._ack_delay = ack_delay
        self._max_backoff = max_backoff
        self._connect_options = {"proxy": None, "ping_interval": None, **connect_options}
        self._outbox = Outbox()
        self._inbound = Inbound()
        self._delivered: asyncio.Queue[str | bytes | SessionError] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._ack_deadline = 0.0
        self._next_to_send = 1
        self._closing = False
        self._ended: SessionError | None = None
        self._task: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None
        #: The session id, once the server gave one.
        self.sid: str | None = None
        #: The server's heartbeat period and grace period, from ``welcome``.
        self.heartbeat_ms = 0
        self.grace_ms = 0
        #: Transports lost (cut, closed without ending, or found dead).
        self.cuts = 0
        #: Of those, transports found dead by their silence (no ``hb``).
        self.dead_links = 0
        #: Transports resumed (``welcome`` with ``resumed: true``).
        self.resumes = 0

    # --- the application's API ---------------------------------------------

    async def open(self) -> None:
        """Opens the session: connects, sends ``hello``, waits for ``welcome``.
        Raises ``SessionError`` if the server refuses it, ``OSError`` or a
        ``websockets`` error if the connection cannot be made."""
        if self._task is not None:
            raise RuntimeError("open() was called already")
        try:
            self._ws = await self._greet(encode_hello())
        except _Cut as cut:
            raise ConnectionError(f"no welcome from {self.url}: {cut}") from None
        self._task = asyncio.create_task(self._run(), name=f"session {self.sid}")

    async def send(self, payload: str | bytes) -> None:
        """Sends a data message (text for ``str``, binary for ``bytes``). It is
        kept until the server acknowledges it and sent again after a cut, so
        this returns at once; raises the ``SessionError`` if the session is
        over."""
        if self._task is None:
            raise RuntimeError("send() before open()")
        if self._ended is not None:
            raise self._ended
        if self._closing:
            raise SessionClosed("close() was called")
        encode_data(payload)  # type check now, not later in the writer
        self._outbox.add(bytes(payload) if not isinstance(payload, str) else payload)
        self._wake.set()

    async def recv(self) -> str | bytes:
        """The next data message from the server, in order, each once. Raises
        the ``SessionError`` that ended the session once every message
        received before the end was returned."""
        item = await self._delivered.get()
        if isinstance(item, SessionError):
            self._delivered.put_nowait(item)  # every later recv() raises it too
            raise item
        return item

    def __aiter__(self) -> SessionClient:
        return self

    async def __anext__(self) -> str | bytes:
        """Iterates over data messages; stops when the session is closed with
        1000, raises the other ``SessionError``s."""
        try:
            return await self.recv()
        except SessionClosed:
            raise StopAsyncIteration from None

    async def close(self) -> None:
        """Ends the session (close 1000) once every message sent is handed to
        the server, resuming first if a cut is in the way. Returns when the
        session is over, whatever ended it."""
        if self._task is None or self._task.done():
            return
        self._closing = True
        self._wake.set()
        await self._task

    async def __aenter__(self) -> SessionClient:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def ended(self) -> SessionError | None:
        """Why the session ended, or None while it goes on."""
        return self._ended

    # --- transports -----------------------------------------------------------

    async def _run(self) -> None:
        """Serves transport after transport until the session ends."""
        ws = self._ws
        try:
            while True:
                try:
                    await self._serve(ws)
                except _Cut as cut:
                    self.cuts += 1
                    _log.info("session %s: transport lost (%s), resuming", self.sid, cut)
                ws = await self._resume()
        except SessionError as error:
            _log.info("session %s ended: %r", self.sid, error)
            self._end(error)
        except asyncio.CancelledError:
            self._end(SessionClosed("the client was cancelled"))
            raise
        except Exception as error:  # a bug: end the session visibly, not silently
            self._end(SessionError(f"client failure: {error!r}"))
            raise
        finally:
            if self._ws is not None:
                self._ws.transport.abort()

    def _end(self, error: SessionError) -> None:
        if self._ended is None:
            self._ended = error
            self._delivered.put_nowait(error)

    async def _resume(self) -> ClientConnection:
        """Connects again and resumes, with backoff, within the grace period."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.grace_ms / 1000
        delay = 0.05
        while True:
            try:
                return await self._greet(encode_resume(self.sid, self._inbound.received))
            except _Cut as cut:
                _log.info("session %s: resume failed (%s)", self.sid, cut)
            except UnknownSession:
                if self._closing:  # our close 1000 got there before the cut
                    raise SessionClosed("closed by this client") from None
                raise
            wait = delay * random.uniform(0.5, 1.0)
            if loop.time() + wait >= deadline:
                raise SessionExpired(f"no transport within the grace period ({self.grace_ms} ms)")
            await asyncio.sleep(wait)
            delay = min(delay * 2, self._max_backoff)

    async def _greet(self, first: str) -> ClientConnection:
        """Opens a transport, sends ``first`` (hello or resume) and takes the
        ``welcome``; raises ``_Cut`` if the transport fails before it, a
        ``SessionError`` if the server ends the session instead."""
        resuming = self.sid is not None
        try:
            ws = await connect(self.url, open_timeout=self._open_timeout, **self._connect_options)
        except (OSError, EOFError, InvalidHandshake, TimeoutError) as error:
            if not resuming:
                raise
            raise _Cut(f"connect: {error!r}") from None
        self._ws = ws
        try:
            await ws.send(first)
            async with asyncio.timeout(self._open_timeout):
                message = await ws.recv()
            incoming = decode(message)
        except (ConnectionClosed, TimeoutError) as error:
            ws.transport.abort()
            raise self._closed(error) if isinstance(error, ConnectionClosed) else _Cut("no welcome")
        except WireError as error:
            await self._violation(ws, error)
        if isinstance(incoming, ServerError):
            await self._closed_after_error(ws, incoming)
        if not isinstance(incoming, Welcome):
            await self._violation(ws, WireError("unexpected_first", "the first message is not welcome"))
        try:
            self._take_welcome(incoming, resuming)
        except WireError as error:
            await self._violation(ws, error)
        return ws

    def _take_welcome(self, welcome: Welcome, resuming: bool) -> None:
        """Applies ``welcome``: the session id, the periods, and what the
        server received (acknowledged, and the point to send again from)."""
        if resuming and (not welcome.resumed or welcome.sid != self.sid):
            raise WireError("welcome_mismatch", "welcome does not resume this session")
        if not resuming and (welcome.resumed or welcome.rx != 0):
            raise WireError("welcome_mismatch", "welcome of a new session claims a past")
        self._next_to_send = self._outbox.resume_from(welcome.rx)
        self.sid = welcome.sid
        self.heartbeat_ms = welcome.heartbeat_ms
        self.grace_ms = welcome.grace_ms
        self._inbound.take_ack()  # the resume's rx acknowledged everything received
        if resuming:
            self.resumes += 1

    async def _serve(self, ws: ClientConnection) -> None:
        """Reads and writes one transport until it is lost (``_Cut``) or the
        session ends (``SessionError``)."""
        reader = asyncio.create_task(self._read(ws))
        writer = asyncio.create_task(self._write(ws))
        try:
            await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
            if writer.done() and not writer.cancelled():
                failure = writer.exception()
                if failure is not None and not isinstance(failure, ConnectionClosed):
                    raise failure  # a bug in the writer: do not wait for the reader
            await reader  # the reader says how the transport ended
        finally:
            reader.cancel()
            writer.cancel()
            await asyncio.gather(reader, writer, return_exceptions=True)
            ws.transport.abort()

    async def _read(self, ws: ClientConnection) -> None:
        """Takes the server's messages until the transport ends."""
        loop = asyncio.get_running_loop()
        silence = 2 * self.heartbeat_ms / 1000 if self.heartbeat_ms else None
        while True:
            try:
                async with asyncio.timeout(silence):
                    message = await ws.recv()
            except TimeoutError:
                self.dead_links += 1
                raise _Cut(f"nothing received for {silence} s") from None
            except ConnectionClosed as closed:
                raise self._closed(closed) from None
            try:
                incoming = decode(message)
                if isinstance(incoming, Data):
                    self._inbound.receive()
                    self._delivered.put_nowait(incoming.payload)
                    if self._inbound.unacked == 1:
                        self._ack_deadline = loop.time() + self._ack_delay
                    if self._inbound.ack_due() or self._inbound.unacked == 1:
                        self._wake.set()
                elif isinstance(incoming, Ack):
                    self._outbox.ack(incoming.number)
                elif isinstance(incoming, Heartbeat):
                    if incoming.sent > self._inbound.received:
                        # An ordered transport lost messages: resume gets them.
                        raise _Cut(f"hb {incoming.sent}, received {self._inbound.received}")
                elif isinstance(incoming, ServerError):
                    await self._closed_after_error(ws, incoming)
                else:
                    raise WireError("unexpected_control", "welcome after welcome")
            except WireError as error:
                await self._violation(ws, error)

    async def _write(self, ws: ClientConnection) -> None:
        """Sends, in order, what the server has not received, new messages as
        they come, and acks when due; then the close, when asked."""
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            while self._next_to_send <= self._outbox.sent:
                await self._maybe_ack(ws, loop.time())
                await ws.send(encode_data(self._outbox.get(self._next_to_send)))
                self._next_to_send += 1
            await self._maybe_ack(ws, loop.time())
            if self._closing:
                await ws.close(1000)
                return
            timeout = None
            if self._inbound.unacked:
                timeout = max(0.0, self._ack_deadline - loop.time())
            try:
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _maybe_ack(self, ws: ClientConnection, now: float) -> None:
        if self._inbound.ack_due() or (self._inbound.unacked and now >= self._ack_deadline):
            await ws.send(encode_ack(self._inbound.take_ack()))

    # --- endings --------------------------------------------------------------

    def _closed(self, closed: ConnectionClosed) -> Exception:
        """What a transport's close means: the session's end, or a cut."""
        if closed.rcvd is not None and self._closing and closed.sent is not None:
            if closed.sent.code == 1000:
                return SessionClosed("closed by this client")
        if closed.rcvd is None:
            return _Cut("the connection dropped")
        code, reason = closed.rcvd.code, closed.rcvd.reason
        if code == 4409:
            return SessionReplaced(f"replaced by another transport ({reason})")
        if ends_session(code):
            return session_error(code, reason)
        return _Cut(f"closed with {code} {reason}")

    async def _closed_after_error(self, ws: ClientConnection, error: ServerError) -> None:
        """The server sent ``error``: take its close, then raise the end."""
        try:
            async with asyncio.timeout(self._open_timeout):
                await ws.wait_closed()
        except TimeoutError:
            ws.transport.abort()
        raise session_error(ws.close_code, ws.close_reason or "", error.code, error.message)

    async def _violation(self, ws: ClientConnection, error: WireError) -> None:
        """The server broke the protocol: close with 4400 and end."""
        try:
            await ws.close(4400, str(error)[:120])
        except ConnectionClosed:
            pass
        raise ProtocolViolation(f"server broke the protocol: {error}")
