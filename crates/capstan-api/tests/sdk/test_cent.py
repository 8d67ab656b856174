"""The real Python SDK, `cent` from PyPI, against Capstan's server API.

Run by scripts/api-sdk-test.sh with the example server's URLs:
API_URL (http://HOST:PORT/api), WS_URL (ws://HOST:PORT/ws) and API_KEY.
WebSocket clients (aiohttp, a dependency of cent) subscribe at
WS_URL/{user}/{channel} and are told "welcome" once subscribed.

Prints one line per check and "cent: N passed, M failed" last; exits
non-zero if anything failed.
"""

import asyncio
import json

import aiohttp
from cent import (
    AsyncClient,
    BatchRequest,
    BroadcastRequest,
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

from checks import API_KEY, API_URL, WAIT, WS_URL, check, run


async def connect(session, user, channel):
    ws = await session.ws_connect(f"{WS_URL}/{user}/{channel}")
    first = await asyncio.wait_for(ws.receive(), WAIT)
    assert first.data == "welcome", first
    return ws


async def next_text(ws):
    message = await asyncio.wait_for(ws.receive(), WAIT)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return message.data


async def scenario():
    api = AsyncClient(API_URL, API_KEY)
    sync_api = Client(API_URL, API_KEY)
    async with aiohttp.ClientSession() as session:
        ann = await connect(session, "ann", "news")
        bob = await connect(session, "bob", "sport")

        # publish: delivered as the data's JSON, kept with an offset.
        published = await api.publish(PublishRequest(channel="news", data={"text": "hi"}))
        check("publish: an offset and an epoch", published.offset == 1 and published.epoch != "", published)
        check("publish: delivered", json.loads(await next_text(ann)) == {"text": "hi"})

        # idempotency: a retry gets the first reply and is not delivered again.
        keyed = PublishRequest(channel="news", data="once", idempotency_key="cent-1")
        first, retry = await api.publish(keyed), await api.publish(keyed)
        check("publish: a retried key gets the first reply", first.offset == retry.offset == 2, (first, retry))
        await api.publish(PublishRequest(channel="news", data="marker", skip_history=True))
        got = [json.loads(await next_text(ann)) for _ in range(2)]
        check("publish: a retried key is delivered once", got == ["once", "marker"], got)

        # the sync client too (requests).
        sync_reply = sync_api.publish(PublishRequest(channel="sport", data={"sync": True}))
        check("publish (sync client)", sync_reply.offset == 1, sync_reply)
        check("publish (sync client): delivered", json.loads(await next_text(bob)) == {"sync": True})

        # broadcast: each channel's answer.
        broadcast = await api.broadcast(BroadcastRequest(channels=["news", "sport", "bad name!"], data=7))
        errors = [r.error.code if r.error else None for r in broadcast.responses]
        check("broadcast: one answer per channel, the bad name 102", errors == [None, None, 102], broadcast)
        check("broadcast: delivered", await next_text(ann) == "7" and await next_text(bob) == "7")

        # presence and presence_stats.
        presence = await api.presence(PresenceRequest(channel="news"))
        users = sorted(c.user for c in presence.presence.values())
        check("presence: the subscribers' users", users == ["ann"], presence)
        stats = await api.presence_stats(PresenceStatsRequest(channel="news"))
        check("presence_stats", (stats.num_clients, stats.num_users) == (1, 1), stats)

        # history: forward, backward, since, and an unrecoverable position.
        history = await api.history(HistoryRequest(channel="news", limit=10))
        data = [p.data for p in history.publications]
        check("history: what was kept, oldest first", data == [{"text": "hi"}, "once", 7], data)
        newest = await api.history(HistoryRequest(channel="news", limit=1, reverse=True))
        check("history: reverse", [p.data for p in newest.publications] == [7], newest)
        since = await api.history(
            HistoryRequest(channel="news", limit=10, since=StreamPosition(offset=2, epoch=history.epoch))
        )
        check("history: since a position", [p.offset for p in since.publications] == [3], since)
        try:
            await api.history(HistoryRequest(channel="news", limit=10, since=StreamPosition(offset=1, epoch="x")))
            check("history: another epoch is 112", False, "no error")
        except CentApiResponseError as error:
            check("history: another epoch is 112", error.code == 112, error)

        # channels and info.
        channels = await api.channels(ChannelsRequest())
        check("channels", set(channels.channels) == {"news", "sport"}, channels)
        filtered = await api.channels(ChannelsRequest(pattern="sp*"))
        check("channels: a pattern", set(filtered.channels) == {"sport"}, filtered)
        info = await api.info(InfoRequest())
        node = info.nodes[0]
        check("info: this node", (node.num_clients, node.num_users, node.num_channels) == (2, 2, 2), node)

        # batch: replies in order, an error in its place.
        batch = await api.batch(
            BatchRequest(
                requests=[
                    PublishRequest(channel="sport", data="b1"),
                    PresenceStatsRequest(channel="sport"),
                ],
                parallel=True,
            )
        )
        check(
            "batch: replies in order",
            batch.replies[0].offset == 3 and batch.replies[1].num_clients == 1,
            batch,
        )
        check("batch: delivered", await next_text(bob) == '"b1"')

        # unsubscribe, then disconnect with a code.
        await api.unsubscribe(UnsubscribeRequest(user="bob", channel="sport"))
        stats = await api.presence_stats(PresenceStatsRequest(channel="sport"))
        check("unsubscribe", stats.num_clients == 0, stats)
        await api.disconnect(DisconnectRequest(user="ann", disconnect=Disconnect(code=4001, reason="bye")))
        closed = await asyncio.wait_for(ann.receive(), WAIT)
        check("disconnect: closed with the code given", closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4001, closed)

        # errors.
        try:
            await api.publish(PublishRequest(channel="bad name!", data=1))
            check("publish: an unknown channel is 102", False, "no error")
        except CentApiResponseError as error:
            check("publish: an unknown channel is 102", error.code == 102, error)
        wrong = AsyncClient(API_URL, "not-the-key")
        try:
            await wrong.info(InfoRequest())
            check("a wrong key: CentUnauthorizedError", False, "no error")
        except CentUnauthorizedError:
            check("a wrong key: CentUnauthorizedError", True)
        try:
            Client(API_URL, "not-the-key").info(InfoRequest())
            check("a wrong key (sync client): CentUnauthorizedError", False, "no error")
        except CentUnauthorizedError:
            check("a wrong key (sync client): CentUnauthorizedError", True)
        await wrong.close()
        await bob.close()
    await api.close()
    sync_api.close()


if __name__ == "__main__":
    run("cent", scenario)
