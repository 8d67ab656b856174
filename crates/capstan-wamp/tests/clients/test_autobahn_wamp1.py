"""WAMP v1 against the ratchet_pubsub example, with autobahn-python 0.8.15's
`autobahn.wamp1` client on Twisted, under Python 2.7 (the WAMP v1 client of
Ratchet's era, written by WAMP's authors, not by this project).

    python test_autobahn_wamp1.py PORT

The server is crates/capstan-wamp/examples/ratchet_pubsub.rs: PUBLISH is
broadcast with the publisher's exclude and eligible lists, CALL answers
CALLERROR "RPC not supported on this demo" except for
http://example.com/calc#add, which sums its arguments.

That an event did NOT reach a client is checked without waiting on a clock:
the publisher then publishes a sentinel that does reach it; one publisher's
messages are handled in order, so the client's next event must be the
sentinel. Events are read off the wire (every EVENT the client receives),
since autobahn drops events of topics it has no handler for.

Each check is bounded in time; the last line reads
"autobahn-wamp1: N passed, M failed" and the exit status is 1 if any failed.
"""

from __future__ import print_function

import json
import sys

from twisted.internet import defer, reactor

from autobahn.twisted.websocket import connectWS
from autobahn.wamp1.protocol import WampClientFactory, WampClientProtocol

WAIT = 10
ADD = "http://example.com/calc#add"
NOT_SUPPORTED = "RPC not supported on this demo"
INVALID_ARGUMENT = "http://api.wamp.ws/error#invalid-argument"
TOPIC = "http://example.com/topic/"


class Client(WampClientProtocol):
    """A WAMP v1 client that keeps every EVENT it receives, in order."""

    def connectionMade(self):
        WampClientProtocol.connectionMade(self)
        self.events = defer.DeferredQueue()
        self.closed = defer.Deferred()

    def onSessionOpen(self):
        self.factory.opened.callback(self)

    def onMessage(self, msg, binary):
        if not binary:
            message = json.loads(msg)
            if isinstance(message, list) and message and message[0] == 8:
                self.events.put((message[1], message[2]))
        WampClientProtocol.onMessage(self, msg, binary)

    def onClose(self, wasClean, code, reason):
        WampClientProtocol.onClose(self, wasClean, code, reason)
        if not self.closed.called:
            self.closed.callback(code)
        if not self.factory.opened.called:
            self.factory.opened.errback(Exception("closed before WELCOME: %s %s" % (code, reason)))

    def publish_raw(self, *message):
        """Sends a PUBLISH as written: for the forms autobahn's publish()
        cannot express ([7, topic, event, true])."""
        self.sendMessage(self.factory._serialize([7] + list(message)))

    def next_event(self):
        return bounded(self.events.get(), "an event")

    def leave(self):
        self.sendClose()
        return bounded(self.closed, "the close")


def bounded(d, what):
    """`d`, failing after WAIT seconds."""

    def timed_out(failure):
        failure.trap(defer.CancelledError)
        raise Exception("no %s within %ss" % (what, WAIT))

    return d.addTimeout(WAIT, reactor).addErrback(timed_out)


def connect(port):
    """A client whose session is open (WELCOME received)."""
    factory = WampClientFactory("ws://127.0.0.1:%d/" % port)
    factory.protocol = Client
    factory.opened = defer.Deferred()
    connectWS(factory)
    return bounded(factory.opened, "WELCOME")


@defer.inlineCallbacks
def clients(port, n):
    result = []
    for _ in range(n):
        client = yield connect(port)
        result.append(client)
    defer.returnValue(result)


@defer.inlineCallbacks
def subscribed(topic, *subscribers):
    """Subscribes each client to `topic`, then makes sure the server has
    taken the subscriptions (a call answered after them)."""
    for client in subscribers:
        client.subscribe(topic, lambda uri, event: None)
    for client in subscribers:
        yield bounded(client.call(ADD), "a call result")


@defer.inlineCallbacks
def expect_event(client, topic, event):
    got = yield client.next_event()
    assert got == (topic, event), "expected %r, got %r" % ((topic, event), got)


@defer.inlineCallbacks
def expect_call_error(d, uri, desc):
    try:
        result = yield bounded(d, "a call answer")
    except Exception as e:
        assert e.args[:2] == (uri, desc), e.args
    else:
        raise AssertionError("a result, %r, instead of an error" % (result,))


@defer.inlineCallbacks
def call(port):
    (a,) = yield clients(port, 1)
    result = yield bounded(a.call(ADD, 1, 2, 3), "a call result")
    assert result == 6, result
    result = yield bounded(a.call(ADD, 1.5, 2), "a call result")
    assert result == 3.5, result
    result = yield bounded(a.call(ADD), "a call result")
    assert result == 0, result
    yield expect_call_error(a.call("http://example.com/nope", 1), "http://example.com/nope", NOT_SUPPORTED)
    yield expect_call_error(a.call(ADD, 1, "two"), INVALID_ARGUMENT, "add takes numbers")
    yield a.leave()


@defer.inlineCallbacks
def subscribe_and_publish(port):
    a, b = yield clients(port, 2)
    topic = TOPIC + "pubsub"
    got = defer.DeferredQueue()
    a.subscribe(topic, lambda uri, event: got.put((uri, event)))
    yield bounded(a.call(ADD), "a call result")
    event = {"n": 1, "text": "hello", "list": [1, None, True]}
    b.publish(topic, event)
    yield expect_event(a, topic, event)
    handled = yield bounded(got.get(), "the subscription handler")
    assert handled == (topic, event), handled
    yield a.leave()
    yield b.leave()


@defer.inlineCallbacks
def publish_exclude_me(port):
    a, b = yield clients(port, 2)
    topic = TOPIC + "exclude-me"
    yield subscribed(topic, a, b)
    # excludeMe true, as AutobahnJS 0.8 sends it: the publisher is left out.
    b.publish_raw(topic, "not to b", True)
    b.publish_raw(topic, "sentinel", False)
    yield expect_event(a, topic, "not to b")
    yield expect_event(a, topic, "sentinel")
    yield expect_event(b, topic, "sentinel")
    # excludeMe false: the publisher gets its own event.
    b.publish(topic, "to all", excludeMe=False)
    yield expect_event(a, topic, "to all")
    yield expect_event(b, topic, "to all")
    yield a.leave()
    yield b.leave()


@defer.inlineCallbacks
def publish_without_exclusion_reaches_the_publisher(port):
    # autobahn's publish(excludeMe=True) sends [7, topic, event], counting on
    # its own router to exclude the publisher by default; Ratchet (and so
    # Capstan) excludes nobody then. Documented in docs/WAMP-v1.md.
    (a,) = yield clients(port, 1)
    topic = TOPIC + "default"
    yield subscribed(topic, a)
    a.publish(topic, "three elements", excludeMe=True)
    yield expect_event(a, topic, "three elements")
    a.publish(topic, "null exclude")  # [7, topic, event, null]
    yield expect_event(a, topic, "null exclude")
    yield a.leave()


@defer.inlineCallbacks
def publish_exclude_list(port):
    a, b, c = yield clients(port, 3)
    topic = TOPIC + "exclude"
    yield subscribed(topic, a, b, c)
    b.publish(topic, "not to a", exclude=[a.session_id])
    b.publish(topic, "sentinel", exclude=[])
    yield expect_event(a, topic, "sentinel")
    for client in (b, c):
        yield expect_event(client, topic, "not to a")
        yield expect_event(client, topic, "sentinel")
    for client in (a, b, c):
        yield client.leave()


@defer.inlineCallbacks
def publish_eligible_list(port):
    a, b, c = yield clients(port, 3)
    topic = TOPIC + "eligible"
    yield subscribed(topic, a, b, c)
    # autobahn sends [7, topic, event, [b], [c]]: b excluded, c eligible.
    b.publish(topic, "only c", eligible=[c.session_id])
    b.publish(topic, "sentinel", exclude=[])
    yield expect_event(c, topic, "only c")
    for client in (a, b, c):
        yield expect_event(client, topic, "sentinel")
    for client in (a, b, c):
        yield client.leave()


@defer.inlineCallbacks
def prefixes(port):
    a, b = yield clients(port, 2)
    a.prefix("calc", "http://example.com/calc#")
    result = yield bounded(a.call("calc:add", 2, 3), "a call result")
    assert result == 5, result
    a.prefix("event", "http://example.com/event#")
    b.prefix("ev", "http://example.com/event#")
    got = defer.DeferredQueue()
    a.subscribe("event:chat", lambda uri, event: got.put((uri, event)))
    yield bounded(a.call("calc:add"), "a call result")
    full = "http://example.com/event#chat"
    b.publish("ev:chat", "by curie")
    b.publish(full, "by uri")
    # The EVENT carries the full URI, whatever CURIE either side used.
    yield expect_event(a, full, "by curie")
    yield expect_event(a, full, "by uri")
    handled = yield bounded(got.get(), "the subscription handler")
    assert handled == (full, "by curie"), handled
    # A prefix no one declared stays as it is.
    yield expect_call_error(a.call("nope:add", 1), "nope:add", NOT_SUPPORTED)
    yield a.leave()
    yield b.leave()


@defer.inlineCallbacks
def unsubscribe(port):
    a, b = yield clients(port, 2)
    gone, kept = TOPIC + "gone", TOPIC + "kept"
    yield subscribed(gone, a)
    yield subscribed(kept, a)
    b.publish(gone, "before")
    yield expect_event(a, gone, "before")
    a.unsubscribe(gone)
    yield bounded(a.call(ADD), "a call result")
    b.publish(gone, "after")
    b.publish(kept, "sentinel")
    yield expect_event(a, kept, "sentinel")
    yield a.leave()
    yield b.leave()


CHECKS = [
    call,
    subscribe_and_publish,
    publish_exclude_me,
    publish_without_exclusion_reaches_the_publisher,
    publish_exclude_list,
    publish_eligible_list,
    prefixes,
    unsubscribe,
]


@defer.inlineCallbacks
def main(port):
    passed = failed = 0
    for check in CHECKS:
        try:
            yield bounded(check(port), "the end of %s" % check.__name__)
            passed += 1
            print("ok   %s" % check.__name__)
        except Exception as e:  # every failure is reported
            failed += 1
            print("FAIL %s: %s: %s" % (check.__name__, type(e).__name__, e))
    print("autobahn-wamp1: %d passed, %d failed" % (passed, failed))
    defer.returnValue(1 if failed else 0)


def run(port):
    status = []

    def finish(result):
        status.append(result if isinstance(result, int) else 1)
        if not isinstance(result, int):
            print("autobahn-wamp1: the run failed: %s" % result)
        reactor.stop()

    reactor.callWhenRunning(lambda: main(port).addBoth(finish))
    reactor.run()
    return status[0] if status else 1


if __name__ == "__main__":
    sys.exit(run(int(sys.argv[1])))
