"""The router's GOODBYE on shutdown, seen by autobahn-python: sessions on
each serializer are joined, the router gets SIGTERM, and every session must
leave with reason wamp.close.system_shutdown, then the router must exit.

    python test_router_shutdown.py PORT ROUTER_PID

The last line reads "router-shutdown: N passed, M failed"; exit status 1 if
any failed.
"""

import asyncio
import os
import signal
import sys

import txaio

txaio.use_asyncio()

from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp.serializer import (  # noqa: E402
    CBORSerializer,
    JsonSerializer,
    MsgPackSerializer,
)
from autobahn.wamp.types import ComponentConfig  # noqa: E402

WAIT = 10


async def join(port, serializer):
    """A joined session and a future of the reason it leaves with."""
    loop = asyncio.get_running_loop()
    joined, left = loop.create_future(), loop.create_future()

    class Session(ApplicationSession):
        def onJoin(self, details):
            joined.set_result(self)

        def onLeave(self, details):
            if not left.done():
                left.set_result(details.reason)
            self.disconnect()

    factory = WampWebSocketClientFactory(
        lambda: Session(ComponentConfig("realm1")),
        url=f"ws://127.0.0.1:{port}/ws",
        serializers=[serializer()],
    )
    await loop.create_connection(factory, "127.0.0.1", port)
    await asyncio.wait_for(joined, WAIT)
    return left


def alive(pid):
    """Whether `pid` still runs (an exited child of the script that started
    it stays a zombie until reaped: that counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


async def main(port, pid):
    passed = failed = 0

    def check(name, ok, why=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"PASS {name}")
        else:
            failed += 1
            print(f"FAIL {name}: {why}")

    serializers = {"json": JsonSerializer, "msgpack": MsgPackSerializer, "cbor": CBORSerializer}
    leaving = {name: await join(port, s) for name, s in serializers.items()}
    os.kill(pid, signal.SIGTERM)
    for name, left in leaving.items():
        try:
            reason = await asyncio.wait_for(left, WAIT)
            check(f"goodbye [{name}]", reason == "wamp.close.system_shutdown", reason)
        except asyncio.TimeoutError:
            check(f"goodbye [{name}]", False, "no GOODBYE within 10 s")
    for _ in range(WAIT * 10):
        if not alive(pid):
            break
        await asyncio.sleep(0.1)
    check("the router exits", not alive(pid), "still running 10 s after SIGTERM")
    print(f"router-shutdown: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]))))
