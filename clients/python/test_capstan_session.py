"""The Python session client and the raw protocol against a real server: the
``session_echo`` example (crates/capstan/examples/session_echo.rs), whose
address is given in CAPSTAN_SESSION_ECHO_ADDR (HOST:PORT; these tests are
skipped without it). scripts/session-python-test.sh starts the server and
runs them. Cuts go through scripts/proxies/cutting-proxy.mjs (needs node).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from capstan_session import SessionClient
from session_errors import RetentionFull, SessionClosed, SessionExpired, SessionReplaced

ADDR = os.environ.get("CAPSTAN_SESSION_ECHO_ADDR")
pytestmark = pytest.mark.skipif(not ADDR, reason="CAPSTAN_SESSION_ECHO_ADDR is not set")

PROXIES = Path(__file__).resolve().parents[2] / "scripts" / "proxies"
#: A safety net for each test, not a measure: every test ends far sooner.
TEST_TIMEOUT_S = 120
#: The server's periods as the script started it (else its defaults).
HEARTBEAT_MS = int(os.environ.get("SESSION_HEARTBEAT_MS", "15000"))
GRACE_MS = int(os.environ.get("SESSION_GRACE_MS", "30000"))
#: A sid of the right shape that no server gave.
UNKNOWN_SID = "AAAAAAAAAAAAAAAAAAAAAA"


def run(coroutine):
    """Runs one test's coroutine with the safety-net timeout."""
    return asyncio.run(asyncio.wait_for(coroutine, TEST_TIMEOUT_S))


def echo_url(addr: str = "") -> str:
    return f"ws://{addr or ADDR}/echo"


class Proxy:
    """cutting-proxy.mjs in front of the server, for one test."""

    def __init__(self, *options: str) -> None:
        self.process = subprocess.Popen(
            ["node", str(PROXIES / "cutting-proxy.mjs"), "0", ADDR, *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        match = re.fullmatch(r"listening on (\d+)\n", line)
        if not match:
            self.process.kill()
            raise RuntimeError(f"cutting-proxy said {line!r}: {self.process.stderr.read()}")
        self.addr = f"127.0.0.1:{match.group(1)}"

    def stop(self) -> list[str]:
        """Stops the proxy; returns its stderr lines (one per cut)."""
        self.process.terminate()
        _, err = self.process.communicate(timeout=10)
        return err.splitlines()


@pytest.fixture
def proxy_factory():
    started: list[Proxy] = []

    def start(*options: str) -> Proxy:
        proxy = Proxy(*options)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        if proxy.process.poll() is None:
            proxy.stop()


async def ask(client: SessionClient, command: str) -> str:
    """Sends a text command and returns the next message (its answer)."""
    await client.send(command)
    return await client.recv()


def first_difference(got: list, expected: list) -> str:
    """Where two long lists part, for a readable failure."""
    for index, (a, b) in enumerate(zip(got, expected)):
        if a != b:
            return f"at {index}: got {a!r}, expected {b!r}"
    return f"lengths {len(got)} and {len(expected)}"


# --- the client ------------------------------------------------------------


def test_echo_of_text_binary_and_commands():
    async def scenario():
        async with SessionClient(echo_url()) as client:
            assert await ask(client, "hello") == "hello"
            assert await ask(client, "") == ""
            assert await ask(client, "héllo ✓") == "héllo ✓"
            assert await ask(client, b"\x00m\xffc") == b"\x00m\xffc"
            assert await ask(client, b"") == b""
            assert await ask(client, "!transport") == "transport=websocket"
            assert await ask(client, "!count") == "count=7"
            assert client.sid is not None and client.resumes == 0

    run(scenario())


def test_the_application_closing_ends_the_session():
    async def scenario():
        client = SessionClient(echo_url())
        await client.open()
        await client.send("!close")
        with pytest.raises(SessionClosed) as ended:
            await client.recv()
        assert ended.value.close_code == 1000
        assert str(ended.value) == "bye"
        with pytest.raises(SessionClosed):
            await client.send("too late")

    run(scenario())


def test_close_by_the_client_reaches_the_application():
    async def scenario():
        async with SessionClient(echo_url()) as watcher:
            before = int((await ask(watcher, "!closes")).split("=")[1])
            client = SessionClient(echo_url())
            await client.open()
            assert await ask(client, "last") == "last"
            await client.close()
            assert isinstance(client.ended, SessionClosed)
            # on_close runs after the close handshake: ask until it shows.
            while int((await ask(watcher, "!closes")).split("=")[1]) == before:
                await asyncio.sleep(0.05)

    run(scenario())


def test_a_cut_mid_stream_loses_nothing_and_repeats_nothing(proxy_factory):
    """2,000 messages each way through a proxy that cuts every connection
    within 100-400 ms: each arrives once, in order, and the application sees
    one session."""
    proxy = proxy_factory("--seed", "17", "--min-ms", "100", "--max-ms", "400")

    async def scenario():
        client = SessionClient(echo_url(proxy.addr))
        await client.open()
        opens = await ask(client, "!opens")
        expected = []
        for i in range(1, 2001):
            if i % 100 == 1:
                await client.send("!flood 100")
                expected += [f"flood {n}" for n in range(1, 101)]
            up = f"up {i}" if i % 10 else f"up {i}".encode()  # some binary
            await client.send(up)
            expected.append(up)
            await asyncio.sleep(0.001)  # spread the stream over many cuts
        await client.send("!count")
        await client.send("!opens")
        expected += [f"count={1 + 20 + 2000 + 1}", opens]
        got = [await client.recv() for _ in expected]
        assert got == expected, first_difference(got, expected)
        assert client.resumes >= 1
        await client.close()
        return client

    client = run(scenario())
    cuts = [line for line in proxy.stop() if line.startswith("cut ")]
    assert len(cuts) >= 1
    print(f"{len(cuts)} cuts, {client.resumes} resumes", file=sys.stderr)


def test_a_silent_link_is_found_dead_and_resumed(proxy_factory):
    """The first connection stops forwarding (no reset, no FIN): the client
    sees no heartbeat for twice its period, resumes on a new connection, and
    what was sent meanwhile arrives once."""
    proxy = proxy_factory("--stall", "--cuts", "1", "--min-ms", "300", "--max-ms", "300")

    async def scenario():
        client = SessionClient(echo_url(proxy.addr))
        await client.open()
        assert await ask(client, "before") == "before"
        stalled = await asyncio.to_thread(proxy.process.stderr.readline)
        assert stalled.startswith("stall 1: connection 1 ")
        assert await ask(client, "during") == "during"
        assert (client.dead_links, client.resumes) == (1, 1)
        assert await ask(client, "!count") == "count=3"
        await client.close()

    run(scenario())


async def closes(watcher: SessionClient) -> int:
    """The application's on_close count so far."""
    return int((await ask(watcher, "!closes")).split("=")[1])


def test_a_client_cut_off_past_the_grace_period_is_told_it_expired(proxy_factory):
    """The only way to the server goes away: the client's resumes fail until
    the grace period is over, then recv raises SessionExpired; the server
    expires the session too (on_close), and a late resume is 4404."""
    proxy = proxy_factory("--cuts", "0")

    async def scenario():
        async with SessionClient(echo_url()) as watcher:
            before = await closes(watcher)
            client = SessionClient(echo_url(proxy.addr))
            await client.open()
            assert await ask(client, "hi") == "hi"
            await asyncio.to_thread(proxy.stop)
            with pytest.raises(SessionExpired):
                await client.recv()
            assert client.cuts == 1 and client.resumes == 0
            while await closes(watcher) == before:
                await asyncio.sleep(0.1)
            ws = await raw_open()
            await ws.send('c{"resume":{"sid":"%s","rx":1}}' % client.sid)
            assert await ended_with(ws) == ("unknown_session", 4404)

    run(scenario())


def test_a_transport_resumed_by_someone_else_ends_the_clients_session():
    async def scenario():
        client = SessionClient(echo_url())
        await client.open()
        assert await ask(client, "mine") == "mine"
        thief = await raw_open()
        await thief.send('c{"resume":{"sid":"%s","rx":1}}' % client.sid)
        assert (await control(thief))["welcome"]["rx"] == 1
        with pytest.raises(SessionReplaced) as ended:
            await client.recv()
        assert ended.value.close_code == 4409
        await thief.close(1000)

    run(scenario())


def test_a_burst_under_the_retention_bound_arrives_whole():
    """300,000 short messages (~3.6 MB of payload, under the default 4 MiB
    the server keeps): a client that reads and acknowledges gets them all."""

    async def scenario():
        async with SessionClient(echo_url()) as client:
            await client.send("!flood 300000")
            for n in range(1, 300001):
                assert await client.recv() == f"flood {n}"

    run(scenario())


def test_a_burst_over_the_retention_bound_is_retention_full():
    """600,000 short messages (~7 MB, over the default 4 MiB kept until
    acknowledged) in one burst: the session ends with 4429 (§4.4, §6)."""

    async def scenario():
        client = SessionClient(echo_url())
        await client.open()
        await client.send("!flood 600000")
        with pytest.raises(RetentionFull):
            while True:
                await client.recv()

    run(scenario())


# --- the protocol, raw -----------------------------------------------------


async def raw_open(url: str | None = None):
    return await connect(url or echo_url(), proxy=None, ping_interval=None)


async def control(ws) -> dict:
    """The next message, which must be a control; its JSON object."""
    message = await ws.recv()
    assert isinstance(message, str) and message.startswith("c"), message
    return json.loads(message[1:])


async def hello(ws) -> dict:
    await ws.send('c{"hello":{"v":1}}')
    return (await control(ws))["welcome"]


async def ended_with(ws) -> tuple[str | None, int | None]:
    """Reads to the close: the ``error`` control's code (if one came) and the
    close code."""
    error = None
    try:
        while True:
            message = await ws.recv()
            if isinstance(message, str) and message.startswith('c{"error"'):
                error = json.loads(message[1:])["error"]["code"]
    except ConnectionClosed:
        pass
    return error, ws.close_code


def test_raw_new_session_then_resume_resends_what_was_missed():
    async def scenario():
        ws = await raw_open()
        welcome = await hello(ws)
        assert (welcome["resumed"], welcome["rx"]) == (False, 0)
        for text in ("a", "b", "c"):
            await ws.send("m" + text)
        assert [await ws.recv() for _ in range(3)] == ["ma", "mb", "mc"]
        ws.transport.abort()  # a cut: the client had received 3, says 1

        ws = await raw_open()
        await ws.send("c" + json.dumps({"resume": {"sid": welcome["sid"], "rx": 1}}))
        resumed = (await control(ws))["welcome"]
        assert (resumed["sid"], resumed["resumed"], resumed["rx"]) == (welcome["sid"], True, 3)
        assert [await ws.recv() for _ in range(2)] == ["mb", "mc"]
        await ws.send("m!count")
        assert await ws.recv() == "mcount=4"
        await ws.close(1000)

    run(scenario())


def test_resume_of_an_unknown_session_is_4404():
    async def scenario():
        ws = await raw_open()
        await ws.send('c{"resume":{"sid":"%s","rx":0}}' % UNKNOWN_SID)
        assert await ended_with(ws) == ("unknown_session", 4404)

    run(scenario())


@pytest.mark.parametrize(
    "first",
    [
        'c{"hello":{"v":1}',  # not JSON
        'c{"hello":{"v":1},"ack":1}',  # two keys
        'c{"hello":{}}',  # missing field
        'c{"hello":{"v":1,"x":2}}',  # unknown field
        'c{"hello":{"v":"1"}}',  # wrong type
        'c{"resume":{"sid":"short","rx":0}}',  # not a session id
        'c{"resume":{"sid":"AAAAAAAAAAAAAAAAAAAAAB","rx":0}}',  # low bits not zero
        'c{"resume":{"sid":"AAAAAAAAAAAAAAAAAAAAAA","rx":-1}}',  # negative
        'c{"hello":{"v":-1}}',  # not a number of the protocol
        'c{"hello":{"v":1.0}}',  # a fraction
        'c{"hello":{"v":1e0}}',  # an exponent
        'c{"nope":1}',  # unknown control
        'c{"ack":0}',  # not hello nor resume first
        "mhello",  # data before hello
        b'c{"hello":{"v":1}}',  # control in a binary frame
        "xhello",  # unknown prefix
        "",  # empty message
    ],
)
def test_a_malformed_first_message_is_4400(first):
    async def scenario():
        ws = await raw_open()
        await ws.send(first)
        assert await ended_with(ws) == ("protocol_violation", 4400)

    run(scenario())


@pytest.mark.parametrize(
    "message",
    [
        'c{"ack":"1"}',  # wrong type
        'c{"ack":1.0}',  # fraction
        'c{"ack":-1}',  # negative
        'c{"ack":5}',  # beyond what was sent (ack_beyond_sent)
        'c{"hello":{"v":1}}',  # hello again
        'c{"resume":{"sid":"AAAAAAAAAAAAAAAAAAAAAA","rx":0}}',  # resume later
        'c{"ack":0e0}',  # an exponent
        'c{"hb":1}',  # a server's control
        "c[]",  # not an object
        b"c{}",  # control in a binary frame
        b"z",  # unknown prefix, binary
    ],
)
def test_a_malformed_message_after_welcome_is_4400(message):
    async def scenario():
        ws = await raw_open()
        await hello(ws)
        await ws.send(message)
        assert await ended_with(ws) == ("protocol_violation", 4400)

    run(scenario())


def test_an_unknown_version_is_4426():
    async def scenario():
        ws = await raw_open()
        await ws.send('c{"hello":{"v":2}}')
        assert await ended_with(ws) == ("version_not_supported", 4426)

    run(scenario())


def test_resume_with_rx_beyond_sent_is_4416_and_ends_the_session():
    async def scenario():
        ws = await raw_open()
        sid = (await hello(ws))["sid"]
        await ws.send("m!flood 3")
        assert [await ws.recv() for _ in range(3)] == ["mflood 1", "mflood 2", "mflood 3"]
        ws.transport.abort()

        ws = await raw_open()
        await ws.send('c{"resume":{"sid":"%s","rx":4}}' % sid)
        assert await ended_with(ws) == ("rx_beyond_sent", 4416)

        ws = await raw_open()
        await ws.send('c{"resume":{"sid":"%s","rx":3}}' % sid)
        assert await ended_with(ws) == ("unknown_session", 4404)

    run(scenario())


def test_resume_with_rx_behind_an_ack_is_4400():
    async def scenario():
        ws = await raw_open()
        sid = (await hello(ws))["sid"]
        await ws.send("m!flood 3")
        assert [await ws.recv() for _ in range(3)] == ["mflood 1", "mflood 2", "mflood 3"]
        await ws.send('c{"ack":3}')
        ws.transport.abort()

        ws = await raw_open()
        await ws.send('c{"resume":{"sid":"%s","rx":2}}' % sid)
        assert await ended_with(ws) == ("protocol_violation", 4400)

    run(scenario())


def test_a_second_transport_replaces_the_first_with_4409():
    async def scenario():
        first = await raw_open()
        sid = (await hello(first))["sid"]
        second = await raw_open()
        await second.send('c{"resume":{"sid":"%s","rx":0}}' % sid)
        assert (await control(second))["welcome"]["resumed"] is True
        assert await ended_with(first) == (None, 4409)
        await second.send("m!count")
        assert await second.recv() == "mcount=1"
        await second.close(1000)

    run(scenario())


def test_welcome_states_the_servers_periods():
    async def scenario():
        ws = await raw_open()
        welcome = await hello(ws)
        assert (welcome["heartbeat_ms"], welcome["grace_ms"]) == (HEARTBEAT_MS, GRACE_MS)
        await ws.close(1000)

    run(scenario())


def test_an_idle_transport_gets_heartbeats_that_count_what_was_sent():
    async def scenario():
        ws = await raw_open()
        await hello(ws)
        await ws.send("m!flood 3")
        assert [await ws.recv() for _ in range(3)] == ["mflood 1", "mflood 2", "mflood 3"]
        await ws.send('c{"ack":3}')
        # The server owes an ack of the one message it received; then, idle,
        # a heartbeat.
        beat = await control(ws)
        if "ack" in beat:
            assert beat == {"ack": 1}
            beat = await control(ws)
        assert beat == {"hb": 3}
        await ws.close(1000)

    run(scenario())


def test_the_server_acknowledges_what_it_received():
    async def scenario():
        ws = await raw_open()
        await hello(ws)
        for i in range(40):
            await ws.send(f"m{i}")
        echoes, acks = [], []
        while not acks or acks[-1] < 40:
            message = await ws.recv()
            if not message.startswith("c"):
                echoes.append(message)
            elif (ack := json.loads(message[1:]).get("ack")) is not None:
                acks.append(ack)  # (an hb may come between)
        # Increasing, at least every 32 received (§4.4), the rest within 1 s.
        assert all(0 < b - a <= 32 for a, b in zip([0] + acks, acks)), acks
        assert acks[-1] == 40
        echoes += [await ws.recv() for _ in range(40 - len(echoes))]
        assert echoes == [f"m{i}" for i in range(40)]
        await ws.close(1000)

    run(scenario())


def test_a_client_close_1000_ends_the_session():
    async def scenario():
        ws = await raw_open()
        sid = (await hello(ws))["sid"]
        await ws.close(1000)
        ws = await raw_open()
        await ws.send('c{"resume":{"sid":"%s","rx":0}}' % sid)
        assert await ended_with(ws) == ("unknown_session", 4404)

    run(scenario())


@pytest.mark.parametrize("code", [1001, 4000])
def test_a_client_close_with_another_code_only_detaches(code):
    async def scenario():
        ws = await raw_open()
        sid = (await hello(ws))["sid"]
        await ws.send("mone")
        assert await ws.recv() == "mone"
        await ws.close(code)
        ws = await raw_open()
        await ws.send('c{"resume":{"sid":"%s","rx":1}}' % sid)
        welcome = (await control(ws))["welcome"]
        assert (welcome["resumed"], welcome["rx"]) == (True, 1)
        await ws.close(1000)

    run(scenario())


def test_ack_beyond_sent_is_named_in_the_error():
    async def scenario():
        ws = await raw_open()
        await hello(ws)
        await ws.send("mx")
        assert await ws.recv() == "mx"
        await ws.send('c{"ack":2}')
        error = (await control(ws))["error"]
        assert error["code"] == "protocol_violation"
        assert "ack_beyond_sent" in error["message"]
        assert await ended_with(ws) == (None, 4400)

    run(scenario())


def test_an_old_ack_is_ignored():
    async def scenario():
        ws = await raw_open()
        await hello(ws)
        await ws.send("m!flood 3")
        assert [await ws.recv() for _ in range(3)] == ["mflood 1", "mflood 2", "mflood 3"]
        for ack in (3, 2, 3, 0):
            await ws.send('c{"ack":%d}' % ack)
        await ws.send("m!count")
        assert await ws.recv() == "mcount=2"
        await ws.close(1000)

    run(scenario())


def test_what_the_application_sent_while_detached_comes_on_resume():
    """A flood cut at once: whatever the server had committed, to the old
    transport or to none, comes after the resume's welcome, each once."""
    async def scenario():
        ws = await raw_open()
        sid = (await hello(ws))["sid"]
        await ws.send("m!flood 5000")
        ws.transport.abort()
        ws = await raw_open()
        await ws.send('c{"resume":{"sid":"%s","rx":0}}' % sid)
        welcome = (await control(ws))["welcome"]
        assert welcome["resumed"] is True and welcome["rx"] in (0, 1)
        if welcome["rx"] == 0:  # the cut took the command too: send it again
            await ws.send("m!flood 5000")
        got = []
        while len(got) < 5000:
            message = await ws.recv()
            if not message.startswith("c"):  # skip acks and heartbeats
                got.append(message)
        expected = [f"mflood {n}" for n in range(1, 5001)]
        assert got == expected, first_difference(got, expected)
        await ws.close(1000)

    run(scenario())
