"""WAMP v2 Basic Profile against a running router, with autobahn-python
(a client nobody on this project wrote), once per serializer.

    python test_autobahn_python.py PORT [json|msgpack|cbor ...]

Each check is bounded in time; the last line reads
"autobahn-python: N passed, M failed" and the exit status is 1 if any failed.
"""

import asyncio
import sys

from wamp_client_util import SERIALIZERS, WAIT, connect, leave
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import PublishOptions


async def rpc(port, ser):
    callee, callee_left = await connect(port, ser)
    caller, caller_left = await connect(port, ser)
    await callee.register(lambda a, b: a + b, "com.test.add")
    assert await caller.call("com.test.add", 2, 3) == 5

    def kw(**kwargs):
        return sorted(kwargs)

    await callee.register(kw, "com.test.kw")
    assert await caller.call("com.test.kw", x=1, y=b"\x00\xff") == ["x", "y"]

    try:
        await callee.register(lambda: None, "com.test.add")
        raise AssertionError("registered twice")
    except ApplicationError as e:
        assert e.error == "wamp.error.procedure_already_exists", e.error
    try:
        await caller.call("com.test.nobody")
        raise AssertionError("called a procedure nobody registered")
    except ApplicationError as e:
        assert e.error == "wamp.error.no_such_procedure", e.error

    def fails():
        raise ApplicationError("com.test.error.overflow", "too big")

    await callee.register(fails, "com.test.fails")
    try:
        await caller.call("com.test.fails")
        raise AssertionError("an error was lost")
    except ApplicationError as e:
        assert e.error == "com.test.error.overflow", e.error
        assert e.args == ("too big",), e.args
    await leave(callee, callee_left)
    await leave(caller, caller_left)


async def callee_leaves(port, ser):
    callee, callee_left = await connect(port, ser)
    caller, caller_left = await connect(port, ser)
    started = asyncio.get_running_loop().create_future()

    async def slow():
        started.set_result(True)
        await asyncio.sleep(3600)

    await callee.register(slow, "com.test.slow")
    call = asyncio.ensure_future(caller.call("com.test.slow"))
    await asyncio.wait_for(started, WAIT)
    await leave(callee, callee_left)
    try:
        await asyncio.wait_for(call, WAIT)
        raise AssertionError("the call ended well without its callee")
    except ApplicationError as e:
        assert e.error == "wamp.error.canceled", e.error
    await leave(caller, caller_left)


async def pubsub(port, ser):
    sub, sub_left = await connect(port, ser)
    pub, pub_left = await connect(port, ser)
    got, mine = asyncio.Queue(), asyncio.Queue()
    await sub.subscribe(lambda *args, **kwargs: got.put_nowait((args, kwargs)), "com.test.topic")
    await pub.subscribe(lambda *args, **kwargs: mine.put_nowait(args), "com.test.topic")
    publication = await pub.publish("com.test.topic", 1, "two", key=b"\x01", options=PublishOptions(acknowledge=True))
    assert publication.id > 0
    assert await asyncio.wait_for(got.get(), WAIT) == ((1, "two"), {"key": b"\x01"})
    # The publisher is excluded by default; asked, it is included.
    await pub.publish("com.test.topic", 3, options=PublishOptions(acknowledge=True, exclude_me=False))
    assert await asyncio.wait_for(mine.get(), WAIT) == (3,)
    assert await asyncio.wait_for(got.get(), WAIT) == ((3,), {})
    assert mine.empty(), "the publisher got its first publication"
    await leave(sub, sub_left)
    await leave(pub, pub_left)


async def unsubscribe(port, ser):
    sub, sub_left = await connect(port, ser)
    pub, pub_left = await connect(port, ser)
    got = asyncio.Queue()
    subscription = await sub.subscribe(lambda x: got.put_nowait(x), "com.test.once")
    await pub.publish("com.test.once", 1, options=PublishOptions(acknowledge=True))
    assert await asyncio.wait_for(got.get(), WAIT) == 1
    await subscription.unsubscribe()
    await pub.publish("com.test.once", 2, options=PublishOptions(acknowledge=True))
    # A call round trip after the publish: had an event been sent, it came first.
    await pub.register(lambda: "pong", "com.test.ping")
    assert await sub.call("com.test.ping") == "pong"
    assert got.empty(), "an event after unsubscribe"
    await leave(sub, sub_left)
    await leave(pub, pub_left)


async def unknown_realm(port, ser):
    session, refused = await connect(port, ser, realm="nope")
    assert session is None, "joined a realm the router does not serve"
    assert refused.reason == "wamp.error.no_such_realm", refused.reason


CHECKS = [rpc, callee_leaves, pubsub, unsubscribe, unknown_realm]


async def main(port, names):
    passed = failed = 0
    for name in names:
        for check in CHECKS:
            label = f"{check.__name__} [{name}]"
            try:
                await asyncio.wait_for(check(port, SERIALIZERS[name]), 4 * WAIT)
                passed += 1
                print(f"ok   {label}")
            except Exception as e:  # noqa: BLE001 - every failure is reported
                failed += 1
                print(f"FAIL {label}: {type(e).__name__}: {e}")
    print(f"autobahn-python: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    port = int(sys.argv[1])
    names = sys.argv[2:] or list(SERIALIZERS)
    sys.exit(asyncio.run(main(port, names)))
