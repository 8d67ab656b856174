"""Any WAMP client can watch a game: autobahn-python (PyPI) joins the game
server's realm `tikztakz` at `/wamp`, once per serializer, subscribes to a
game's topic, and receives every move and the end, in order, as the game's
own messages (kwargs); publishing there is refused. The two players are
plain WebSocket clients (`websockets`) speaking the classic protocol.

    python test_autobahn_watch.py PORT json msgpack cbor

Prints "game-wamp: N passed, M failed"; exits non-zero if any failed.
"""

import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../capstan-wamp/tests/clients"))

import websockets  # noqa: E402
from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.types import PublishOptions  # noqa: E402
from wamp_client_util import SERIALIZERS, WAIT, connect  # noqa: E402


async def expect(ws, kind):
    message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert message["type"] == kind, f"{kind} expected, got {message}"
    return message


async def started_game(port):
    url = f"ws://127.0.0.1:{port}/"
    x, o = await websockets.connect(url), await websockets.connect(url)
    # Public games: a private game's events are never published.
    await x.send(json.dumps({"type": "create_player", "data": {"player_name": "Xena", "game_public": True}}))
    joined = await expect(x, "create_player_resp")
    await expect(x, "info_resp")
    game_id = joined["data"]["game_id"]
    await o.send(json.dumps({"type": "create_player", "data": {"player_name": "Otto", "game_public": True}}))
    assert (await expect(o, "create_player_resp"))["data"]["game_id"] == game_id
    for ws in (x, o):
        await expect(ws, "info_resp")
    for ws in (x, o):
        await expect(ws, "start_game_resp")
    return x, o, game_id


async def move(mover, other, row, col):
    await mover.send(json.dumps({"type": "add_move", "data": {"coords": {"x": str(row), "y": str(col)}}}))
    for ws in (mover, other):
        await expect(ws, "add_move_resp")


async def watch(port, serializer):
    x, o, game_id = await started_game(port)
    session, left = await connect(port, SERIALIZERS[serializer], realm="tikztakz", path="/wamp")
    assert session is not None, f"not joined: {left}"
    events = asyncio.Queue()
    topic = f"tikztakz.game.{game_id}"
    await session.subscribe(lambda **kwargs: events.put_nowait(kwargs), topic)
    moves = [(x, o, 9, c) if i % 2 == 0 else (o, x, 10, c) for i, c in enumerate([0, 0, 1, 1, 2, 2, 3, 3, 4])]
    for mover, other, row, col in moves:
        await move(mover, other, row, col)
    await expect(x, "end_of_game_resp")
    seen = [await asyncio.wait_for(events.get(), WAIT) for _ in range(len(moves) + 1)]
    assert [e["type"] for e in seen] == ["add_move_resp"] * len(moves) + ["end_of_game_resp"], seen
    assert [(e["data"]["coords"]["x"], e["data"]["coords"]["y"]) for e in seen[:-1]] == [(r, c) for _, _, r, c in moves]
    assert seen[-1]["data"]["reason"] == "five" and len(seen[-1]["data"]["line"]) == 5, seen[-1]
    try:
        await session.publish(topic, "forged", options=PublishOptions(acknowledge=True))
        raise AssertionError("an anonymous client published in a game's topic")
    except ApplicationError as refused:
        assert refused.error == "wamp.error.not_authorized", refused.error
    session.leave()
    await asyncio.wait_for(left, WAIT)
    for ws in (x, o):
        await ws.close()


async def main(port, serializers):
    passed = failed = 0
    for serializer in serializers:
        try:
            await asyncio.wait_for(watch(port, serializer), 6 * WAIT)
            passed += 1
            print(f"ok - a game watched over WAMP ({serializer})")
        except Exception as error:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print(f"FAILED - a game watched over WAMP ({serializer}): {error!r}")
    print(f"game-wamp: {passed} passed, {failed} failed")
    return failed


if __name__ == "__main__":
    sys.exit(1 if asyncio.run(main(int(sys.argv[1]), sys.argv[2:] or ["json"])) else 0)
