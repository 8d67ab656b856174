"""The real Python SDK, `cent` from PyPI, against the chat server's API.

Run by scripts/api-sdk-test.sh with the chat's URLs: API_URL
(http://HOST:PORT/api), WS_URL (ws://HOST:PORT/ws) and API_KEY. Chat
clients (aiohttp, a dependency of cent) speak the chat protocol
(docs/chat-protocol.md): what cent publishes to a room is a bot's message
they see; presence lists them; unsubscribe and disconnect reach them.

Prints one line per check and "chat: N passed, M failed" last; exits
non-zero if anything failed.
"""

import asyncio
import json
import os
import sys

import aiohttp
from cent import (
    AsyncClient,
    BatchRequest,
    ChannelsRequest,
    Client,
    Disconnect,
    DisconnectRequest,
    HistoryRequest,
    InfoRequest,
    PresenceRequest,
    PresenceStatsRequest,
    PublishRequest,
    StreamPosition,
    UnsubscribeRequest,
)
from cent.exceptions import CentApiResponseError, CentUnauthorizedError

# The checks and settings every SDK script shares (capstan-api's tests/sdk).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../capstan-api/tests/sdk"))
from checks import API_KEY, API_URL, WAIT, WS_URL, check, run  # noqa: E402


async def next_of(ws, kind, where=lambda data: True):
    """The data of the next envelope of type `kind` that satisfies `where`
    (others skipped)."""
    while True:
        message = await asyncio.wait_for(ws.receive(), WAIT)
        if message.type != aiohttp.WSMsgType.TEXT:
            raise AssertionError(f"{message.type} while waiting for {kind}")
        envelope = json.loads(message.data)
        if envelope["type"] == kind and where(envelope["data"]):
            return envelope["data"]


async def closed_with(ws):
    """The close code the server ends the connection with."""
    while True:
        message = await asyncio.wait_for(ws.receive(), WAIT)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            return ws.close_code


async def named(session, name):
    ws = await session.ws_connect(WS_URL)
    await ws.send_str(json.dumps({"type": "add_user", "data": {"username": name}}))
    await next_of(ws, "add_user")
    return ws


async def main():
    client = AsyncClient(API_URL, API_KEY)
    try:
        await scenario(client)
    finally:
        await client.close()


async def scenario(client):
    async with aiohttp.ClientSession() as session:
        alice = await named(session, "alice")
        bob = await named(session, "bob")
        await bob.send_str(json.dumps({"type": "join", "data": {"room": "ops"}}))
        await next_of(bob, "joined")

        # publish: a bot's message in the room, stored with an offset.
        reply = await client.publish(
            PublishRequest(channel="general", data={"content": "deploy done", "author": "CI"})
        )
        seen = await next_of(alice, "message")
        check("publish: offset 1", reply.offset == 1, reply)
        check(
            "publish: alice sees the bot's message",
            seen["author"] == "CI" and seen.get("bot") is True and seen["content"] == "deploy done",
            seen,
        )
        # The retry of a keyed publish is stored once.
        first = await client.publish(
            PublishRequest(channel="general", data="order 17 paid", idempotency_key="order-17")
        )
        again = await client.publish(
            PublishRequest(channel="general", data="order 17 paid", idempotency_key="order-17")
        )
        check("publish: a retried key gets the first offset", first.offset == again.offset == 2)
        # skip_history: a notice, not kept.
        await client.publish(PublishRequest(channel="general", data="brb", skip_history=True))
        notice = await next_of(alice, "notice")
        check("publish skip_history: a notice", notice["content"] == "brb" and notice["bot"])

        history = await client.history(HistoryRequest(channel="general", limit=10))
        authors = [p.data["author"] for p in history.publications]
        check("history: the kept messages", authors == ["CI", "server"], authors)
        check("history: offset", history.offset == 2, history)
        since = await client.history(
            HistoryRequest(channel="general", limit=10, since=StreamPosition(offset=1, epoch=""))
        )
        check("history since 1", [p.offset for p in since.publications] == [2], since)
        try:
            await client.history(
                HistoryRequest(channel="general", limit=10, since=StreamPosition(offset=9, epoch=""))
            )
            check("history: beyond the last offset is refused", False)
        except CentApiResponseError as error:
            check("history: beyond the last offset is 112", error.code == 112, error)

        presence = await client.presence(PresenceRequest(channel="general"))
        users = sorted(info.user for info in presence.presence.values())
        check("presence: alice and bob", users == ["alice", "bob"], users)
        stats = await client.presence_stats(PresenceStatsRequest(channel="ops"))
        check("presence_stats: bob in ops", stats.num_users == 1, stats)
        channels = await client.channels(ChannelsRequest())
        check(
            "channels: general and ops",
            sorted(channels.channels) == ["general", "ops"] and channels.channels["general"].num_clients == 2,
            channels,
        )
        info = await client.info(InfoRequest())
        check("info: one node", len(info.nodes) == 1 and info.nodes[0].num_users == 2, info)

        try:
            await client.publish(PublishRequest(channel="No Such Room", data="x"))
            check("publish to a bad room name is refused", False)
        except CentApiResponseError as error:
            check("publish to a bad room name is 102", error.code == 102, error)

        batch = await client.batch(
            BatchRequest(
                requests=[
                    PublishRequest(channel="ops", data="batched"),
                    PresenceStatsRequest(channel="general"),
                ]
            )
        )
        check("batch: two replies", len(batch.replies) == 2, batch)
        batched = await next_of(bob, "message", lambda m: m["room"] == "ops")
        check("batch: bob sees the batched publish in ops", batched["content"] == "batched", batched)

        await client.unsubscribe(UnsubscribeRequest(user="bob", channel="ops"))
        left = await next_of(bob, "left")
        check("unsubscribe: bob left ops by the server", left == {"room": "ops", "by": "server"}, left)
        await client.disconnect(
            DisconnectRequest(user="alice", disconnect=Disconnect(code=4100, reason="bye"))
        )
        check("disconnect: alice closed with 4100", await closed_with(alice) == 4100)
        await bob.close()

    wrong = Client(API_URL, "not-the-key")
    try:
        wrong.publish(PublishRequest(channel="general", data="x"))
        check("a wrong key is refused", False)
    except CentUnauthorizedError:
        check("a wrong key: CentUnauthorizedError", True)
    finally:
        wrong.close()


if __name__ == "__main__":
    run("chat", main)
