"""The session protocol's messages on the wire (docs/SESSIONS.md §2, §4).

Every WebSocket message of a session starts with one type byte: ``m`` for a
data message (text or binary, the payload after it unchanged) or ``c`` for a
control (text only: one JSON object with exactly one key, the control's
name). This module encodes what a client sends and decodes, strictly, what a
server sends. It does no I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

#: The protocol version this client speaks.
VERSION = 1

#: The largest message number (JavaScript's largest safe integer).
MAX_NUMBER = 2**53 - 1

DATA_PREFIX = "m"
CONTROL_PREFIX = "c"

#: A session id: 22 characters of URL-safe base64, the last of ``A Q g w``.
_SID_SHAPE = re.compile(r"[A-Za-z0-9_-]{21}[AQgw]")


class WireError(ValueError):
    """A message that breaks the protocol (a ``protocol_violation``, §6);
    ``rule`` names the rule broken, e.g. ``bad_prefix``, ``malformed_control``."""

    def __init__(self, rule: str, detail: str = "") -> None:
        super().__init__(f"{rule}: {detail}" if detail else rule)
        self.rule = rule


@dataclass(frozen=True)
class Data:
    """A data message: the application's payload, text or bytes."""

    payload: str | bytes


@dataclass(frozen=True)
class Welcome:
    """The server's first message on a transport (§4.3)."""

    sid: str
    rx: int
    resumed: bool
    heartbeat_ms: int
    grace_ms: int


@dataclass(frozen=True)
class Ack:
    """A cumulative acknowledgement of the data messages up to ``number``."""

    number: int


@dataclass(frozen=True)
class Heartbeat:
    """``hb``: the server has sent ``sent`` data messages so far (§4.6)."""

    sent: int


@dataclass(frozen=True)
class ServerError:
    """The server's ``error`` control, sent just before it closes (§4.5)."""

    code: str
    message: str


Incoming = Data | Welcome | Ack | Heartbeat | ServerError


# --- what a client sends ---------------------------------------------------


def encode_data(payload: str | bytes) -> str | bytes:
    """Frames a data message, keeping its frame type (text or binary)."""
    if isinstance(payload, str):
        return DATA_PREFIX + payload
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return DATA_PREFIX.encode() + bytes(payload)
    raise TypeError(f"a data message is str or bytes, not {type(payload).__name__}")


def _control(name: str, value: object) -> str:
    return CONTROL_PREFIX + json.dumps({name: value}, separators=(",", ":"))


def encode_hello(version: int = VERSION) -> str:
    """``hello``: the first message of a new session (§4.1)."""
    return _control("hello", {"v": version})


def encode_resume(sid: str, rx: int) -> str:
    """``resume``: the first message of a transport that resumes (§4.2)."""
    return _control("resume", {"sid": sid, "rx": rx})


def encode_ack(number: int) -> str:
    """``ack``: every data message up to ``number`` was received (§4.4)."""
    return _control("ack", number)


# --- what a server sends ---------------------------------------------------


def is_sid(value: object) -> bool:
    """Whether ``value`` has the shape of a session id (§5.1)."""
    return isinstance(value, str) and _SID_SHAPE.fullmatch(value) is not None


def decode(message: str | bytes) -> Incoming:
    """Decodes one message from the server; raises ``WireError`` if it is not
    one the protocol allows."""
    if isinstance(message, (bytes, bytearray)):
        if not message:
            raise WireError("empty_message")
        if message[0] == ord(DATA_PREFIX):
            return Data(bytes(message[1:]))
        if message[0] == ord(CONTROL_PREFIX):
            raise WireError("control_in_binary_frame")
        raise WireError("bad_prefix", f"unknown prefix byte 0x{message[0]:02x}")
    if not message:
        raise WireError("empty_message")
    if message[0] == DATA_PREFIX:
        return Data(message[1:])
    if message[0] == CONTROL_PREFIX:
        return _decode_control(message[1:])
    raise WireError("bad_prefix", f"unknown prefix {message[0]!r}")


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj: dict[str, object] = {}
    for key, value in pairs:
        if key in obj:
            raise WireError("malformed_control", f"duplicate key {key!r}")
        obj[key] = value
    return obj


def _no_constant(name: str) -> object:
    raise WireError("malformed_control", f"{name} is not JSON")


def _decode_control(text: str) -> Incoming:
    try:
        parsed = json.loads(
            text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant
        )
    except json.JSONDecodeError as error:
        raise WireError("malformed_control", f"control is not JSON ({error.msg})") from None
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise WireError("malformed_control", "a control is an object with exactly one key")
    ((name, value),) = parsed.items()
    if name == "welcome":
        fields = _fields(value, name, ("sid", "rx", "resumed", "heartbeat_ms", "grace_ms"))
        if not is_sid(fields["sid"]):
            raise WireError("malformed_control", "welcome.sid is not a session id")
        if not isinstance(fields["resumed"], bool):
            raise WireError("malformed_control", "welcome.resumed is not a boolean")
        return Welcome(
            sid=fields["sid"],
            rx=_number(fields["rx"], "welcome.rx"),
            resumed=fields["resumed"],
            heartbeat_ms=_number(fields["heartbeat_ms"], "welcome.heartbeat_ms"),
            grace_ms=_number(fields["grace_ms"], "welcome.grace_ms"),
        )
    if name == "error":
        fields = _fields(value, name, ("code", "message"))
        if not isinstance(fields["code"], str) or not isinstance(fields["message"], str):
            raise WireError("malformed_control", "error.code and error.message are strings")
        return ServerError(code=fields["code"], message=fields["message"])
    if name == "ack":
        return Ack(_number(value, "ack"))
    if name == "hb":
        return Heartbeat(_number(value, "hb"))
    raise WireError("unexpected_control", f"no control {name!r} from a server")


def _fields(value: object, name: str, required: tuple[str, ...]) -> dict[str, object]:
    """The object of a ``welcome`` or ``error``: every required field there;
    fields this client does not know are ignored (§4)."""
    if not isinstance(value, dict):
        raise WireError("malformed_control", f"{name} is not an object")
    missing = [field for field in required if field not in value]
    if missing:
        raise WireError("malformed_control", f"{name} lacks {', '.join(missing)}")
    return value


def _number(value: object, what: str) -> int:
    """A protocol number: an integer in 0 ..= 2^53 - 1 (not a float, not a bool)."""
    if type(value) is not int or not 0 <= value <= MAX_NUMBER:
        raise WireError("malformed_control", f"{what} is not a number in 0..2^53-1")
    return value
