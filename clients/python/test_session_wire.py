"""Unit tests of session_wire: the prefixes and controls of docs/SESSIONS.md."""

import json

import pytest

from session_wire import (
    MAX_NUMBER,
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
    is_sid,
)

SID = "yW2Y9Qm8TtKJvV0dOqz1xA"


def welcome(**fields):
    value = {"sid": SID, "rx": 17, "resumed": True, "heartbeat_ms": 15000, "grace_ms": 30000}
    value.update(fields)
    return "c" + json.dumps({"welcome": value})


def test_data_keeps_its_frame_type():
    assert encode_data("hello") == "mhello"
    assert encode_data("") == "m"
    assert encode_data(b"\x00\x01") == b"m\x00\x01"
    assert encode_data(bytearray(b"m")) == b"mm"
    with pytest.raises(TypeError):
        encode_data(42)


def test_data_decodes_text_and_binary():
    assert decode("mhello") == Data("hello")
    assert decode("m") == Data("")
    assert decode("mc{}") == Data("c{}")
    assert decode(b"m\x00\xff") == Data(b"\x00\xff")
    assert decode(b"m") == Data(b"")


def test_client_controls_are_one_key_objects():
    assert json.loads(encode_hello()[1:]) == {"hello": {"v": 1}}
    assert encode_hello().startswith("c")
    assert json.loads(encode_resume(SID, 41)[1:]) == {"resume": {"sid": SID, "rx": 41}}
    assert encode_ack(57) == 'c{"ack":57}'


def test_server_controls_decode():
    assert decode(welcome()) == Welcome(SID, 17, True, 15000, 30000)
    assert decode('c{"ack":57}') == Ack(57)
    assert decode('c{"hb":1234}') == Heartbeat(1234)
    assert decode('c{"error":{"code":"unknown_session","message":"no such session"}}') == (
        ServerError("unknown_session", "no such session")
    )
    assert decode(f'c{{"ack":{MAX_NUMBER}}}') == Ack(MAX_NUMBER)


def test_unknown_fields_of_welcome_and_error_are_ignored():
    assert decode(welcome(node="a", extra={"x": 1})).sid == SID
    assert decode('c{"error":{"code":"x","message":"y","hint":"z"}}') == ServerError("x", "y")


@pytest.mark.parametrize(
    "message, rule",
    [
        ("", "empty_message"),
        (b"", "empty_message"),
        ("xhello", "bad_prefix"),
        (b"\x00", "bad_prefix"),
        (b'c{"ack":1}', "control_in_binary_frame"),
        ("c", "malformed_control"),
        ("cnot json", "malformed_control"),
        ("c[1]", "malformed_control"),
        ("c{}", "malformed_control"),
        ('c{"ack":1,"hb":2}', "malformed_control"),
        ('c{"ack":1,"ack":2}', "malformed_control"),
        ('c{"ack":-1}', "malformed_control"),
        ('c{"ack":1.0}', "malformed_control"),
        ('c{"ack":1e3}', "malformed_control"),
        ('c{"ack":true}', "malformed_control"),
        ('c{"ack":"1"}', "malformed_control"),
        ('c{"ack":NaN}', "malformed_control"),
        (f'c{{"ack":{MAX_NUMBER + 1}}}', "malformed_control"),
        ('c{"hb":null}', "malformed_control"),
        ('c{"error":{"code":"x"}}', "malformed_control"),
        ('c{"error":{"code":1,"message":"y"}}', "malformed_control"),
        ('c{"error":"x"}', "malformed_control"),
        ('c{"hello":{"v":1}}', "unexpected_control"),
        ('c{"resume":{"sid":"' + SID + '","rx":0}}', "unexpected_control"),
        ('c{"nope":1}', "unexpected_control"),
    ],
)
def test_malformed_messages_name_the_rule(message, rule):
    with pytest.raises(WireError) as caught:
        decode(message)
    assert caught.value.rule == rule


@pytest.mark.parametrize(
    "fields",
    [
        {"sid": "short"},
        {"sid": SID[:-1] + "B"},
        {"sid": SID[:-1] + "+"},
        {"rx": -1},
        {"resumed": 1},
        {"heartbeat_ms": "15000"},
        {"grace_ms": 1.5},
    ],
)
def test_a_malformed_welcome_is_refused(fields):
    with pytest.raises(WireError):
        decode(welcome(**fields))


def test_a_welcome_without_a_field_is_refused():
    value = json.loads(welcome()[1:])
    del value["welcome"]["grace_ms"]
    with pytest.raises(WireError):
        decode("c" + json.dumps(value))


def test_session_id_shape():
    assert is_sid(SID)
    assert is_sid("A" * 22)
    assert is_sid("-" * 21 + "w")
    assert not is_sid("A" * 21 + "B")  # low four bits not zero
    assert not is_sid("A" * 23)
    assert not is_sid("A" * 21 + "=")
    assert not is_sid(None)
