"""Why a session ended, as exceptions (docs/SESSIONS.md §6, §7).

Every one is a ``SessionError``: the session is over and must not be
resumed (a new one may be opened). ``session_error`` picks the class from the
close code and the ``error`` control the server sent before it.
"""

from __future__ import annotations


class SessionError(Exception):
    """The session is over. ``close_code`` is the WebSocket close code that
    ended it (None if none did), ``code`` the ``error`` control's code."""

    close_code: int | None = None
    code: str | None = None

    def __init__(self, message: str, close_code: int | None = None, code: str | None = None):
        super().__init__(message)
        if close_code is not None:
            self.close_code = close_code
        if code is not None:
            self.code = code


class SessionClosed(SessionError):
    """Closed with 1000: by the application on the server, or by ``close()``."""

    close_code = 1000


class SessionExpired(SessionError):
    """No transport could be resumed within the grace period."""


class SessionReplaced(SessionError):
    """4409: another transport resumed this session (not one of this client)."""

    close_code = 4409
    code = "replaced"


class ProtocolViolation(SessionError):
    """4400: a rule of the protocol was broken (the message names it)."""

    close_code = 4400
    code = "protocol_violation"


class UnknownSession(SessionError):
    """4404: the session does not exist, expired, ended, or is someone else's."""

    close_code = 4404
    code = "unknown_session"


class MessagesLost(SessionError):
    """4410: the server no longer keeps messages this client had not received."""

    close_code = 4410
    code = "messages_lost"


class RxBeyondSent(SessionError):
    """4416: a ``resume`` claimed more messages than the server ever sent."""

    close_code = 4416
    code = "rx_beyond_sent"


class VersionNotSupported(SessionError):
    """4426: the server does not speak this client's protocol version."""

    close_code = 4426
    code = "version_not_supported"


class RetentionFull(SessionError):
    """4429: the server kept too many unacknowledged messages for this client."""

    close_code = 4429
    code = "retention_full"


_BY_CLOSE_CODE: dict[int, type[SessionError]] = {
    cls.close_code: cls
    for cls in (
        ProtocolViolation,
        UnknownSession,
        SessionReplaced,
        MessagesLost,
        RxBeyondSent,
        VersionNotSupported,
        RetentionFull,
    )
}
_BY_CODE: dict[str, type[SessionError]] = {cls.code: cls for cls in _BY_CLOSE_CODE.values()}


def ends_session(close_code: int | None) -> bool:
    """Whether a close with this code ends the session (§7): 1000 and
    4400-4499 do; every other code, or none (a cut), only detaches it."""
    return close_code == 1000 or (close_code is not None and 4400 <= close_code <= 4499)


def session_error(
    close_code: int | None,
    reason: str = "",
    error_code: str | None = None,
    error_message: str | None = None,
) -> SessionError:
    """The exception for a session that ended with ``close_code`` (and the
    ``error`` control ``error_code``/``error_message`` before it, if any)."""
    message = error_message or reason or f"closed with {close_code}"
    if close_code == 1000:
        return SessionClosed(message)
    cls = _BY_CLOSE_CODE.get(close_code) if close_code is not None else None
    if cls is None and error_code is not None:
        cls = _BY_CODE.get(error_code)
    if cls is None:
        return SessionError(message, close_code=close_code, code=error_code)
    error = cls(message)
    if error_code is not None and error_code != cls.code:
        error.code = error_code
    return error
