"""Unit tests of session_errors: which closes end a session, and as what
(docs/SESSIONS.md §6, §7)."""

import pytest

from session_errors import (
    MessagesLost,
    ProtocolViolation,
    RetentionFull,
    RxBeyondSent,
    SessionClosed,
    SessionError,
    SessionReplaced,
    UnknownSession,
    VersionNotSupported,
    ends_session,
    session_error,
)


@pytest.mark.parametrize("code", [1000, 4400, 4404, 4409, 4410, 4416, 4426, 4429, 4499])
def test_these_closes_end_the_session(code):
    assert ends_session(code)


@pytest.mark.parametrize("code", [None, 1001, 1006, 1011, 1012, 1013, 3000, 4000, 4399, 4500])
def test_these_closes_only_detach_it(code):
    assert not ends_session(code)


@pytest.mark.parametrize(
    "close_code, error_code, cls",
    [
        (1000, None, SessionClosed),
        (4400, "protocol_violation", ProtocolViolation),
        (4404, "unknown_session", UnknownSession),
        (4409, None, SessionReplaced),
        (4410, "messages_lost", MessagesLost),
        (4416, "rx_beyond_sent", RxBeyondSent),
        (4426, "version_not_supported", VersionNotSupported),
        (4429, "retention_full", RetentionFull),
    ],
)
def test_each_close_code_has_its_error(close_code, error_code, cls):
    error = session_error(close_code, "reason", error_code, "message")
    assert type(error) is cls
    assert error.close_code == close_code
    assert str(error) == "message"
    if error_code is not None:
        assert error.code == error_code


def test_the_error_control_names_the_error_when_the_close_code_does_not():
    error = session_error(None, "", "unknown_session", "no such session")
    assert type(error) is UnknownSession


def test_an_unknown_4xxx_code_is_still_a_session_error():
    error = session_error(4450, "odd", "odd_code")
    assert type(error) is SessionError
    assert (error.close_code, error.code, str(error)) == (4450, "odd_code", "odd")
