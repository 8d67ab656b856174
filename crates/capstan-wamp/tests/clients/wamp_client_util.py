"""What the autobahn-python suites share: joining a router (anonymously or
with ticket, WAMP-CRA or cryptosign), leaving, and the few things
autobahn-python no longer sends or shows by itself (disclose_me, CANCEL
modes, router-initiated UNSUBSCRIBED/UNREGISTERED, INTERRUPT), reached
through its message classes and kept in one place here.

Written against autobahn-python 26.x (asyncio). Nothing here is a WAMP
implementation of its own: every message still goes through autobahn's
serializers and session.
"""

import asyncio

import txaio

txaio.use_asyncio()

from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp import auth, message  # noqa: E402
from autobahn.wamp.request import CallRequest  # noqa: E402
from autobahn.wamp.serializer import (  # noqa: E402
    CBORSerializer,
    JsonSerializer,
    MsgPackSerializer,
)
from autobahn.wamp.types import CallOptions, ComponentConfig  # noqa: E402

WAIT = 10
SERIALIZERS = {"json": JsonSerializer, "msgpack": MsgPackSerializer, "cbor": CBORSerializer}


def ticket(secret):
    """onChallenge for WAMP-Ticket."""
    return lambda session, challenge: secret


def wampcra(secret):
    """onChallenge for WAMP-CRA, salted (PBKDF2, as the CHALLENGE says) or not."""

    def answer(session, challenge):
        key = secret.encode("utf8")
        if "salt" in challenge.extra:
            key = auth.derive_key(secret, challenge.extra["salt"], challenge.extra["iterations"], challenge.extra["keylen"])
        return auth.compute_wcs(key, challenge.extra["challenge"].encode("utf8")).decode("ascii")

    return answer


def cryptosign_key(seed_hex):
    from autobahn.wamp.cryptosign import CryptosignKey

    return CryptosignKey.from_bytes(bytes.fromhex(seed_hex))


def cryptosign(key):
    """onChallenge for WAMP-Cryptosign with `key` (no channel binding)."""
    return lambda session, challenge: key.sign_challenge(challenge, channel_id=None, channel_id_type=None)


async def connect(port, serializer, realm="realm1", authmethods=None, authid=None, authextra=None, on_challenge=None, path="/ws"):
    """A session on `realm`: (session, left) once joined, where `left` is a
    future of its close details, or (None, close details) if the router
    refused it. Without `authmethods` the session asks for none (anonymous).

    The session keeps what the router showed it beyond autobahn's API:
    `details` (the WELCOME as SessionDetails), `revoked` (a queue of
    router-initiated UNSUBSCRIBED/UNREGISTERED messages, which autobahn
    would otherwise reject or ignore) and `interrupts` (a queue of INTERRUPT
    messages, which autobahn turns into a cancelled invocation)."""
    loop = asyncio.get_running_loop()
    joined, left = loop.create_future(), loop.create_future()

    class Session(ApplicationSession):
        revoked = None
        interrupts = None
        details = None

        def onConnect(self):
            self.revoked, self.interrupts = asyncio.Queue(), asyncio.Queue()
            if authmethods is None:
                self.join(realm)
            else:
                self.join(realm, authmethods=authmethods, authid=authid, authextra=authextra)

        def onChallenge(self, challenge):
            if on_challenge is None:
                raise Exception(f"no answer to a {challenge.method} challenge")
            return on_challenge(self, challenge)

        def onMessage(self, msg):
            if isinstance(msg, (message.Unsubscribed, message.Unregistered)) and msg.request == 0:
                self.revoked.put_nowait(msg)
                if isinstance(msg, message.Unregistered) and msg.registration in self._registrations:
                    self._registrations.pop(msg.registration).active = False
                if isinstance(msg, message.Unsubscribed):
                    for subscription in self._subscriptions.pop(msg.subscription, []):
                        subscription.active = False
                return
            if isinstance(msg, message.Interrupt):
                self.interrupts.put_nowait(msg)
            super().onMessage(msg)

        def onJoin(self, details):
            self.details = details
            if not joined.done():
                joined.set_result(self)

        def onLeave(self, details):
            if not left.done():
                left.set_result(details)
            self.disconnect()

    factory = WampWebSocketClientFactory(
        lambda: Session(ComponentConfig(realm)),
        url=f"ws://127.0.0.1:{port}{path}",
        serializers=[serializer()],
    )
    await loop.create_connection(factory, "127.0.0.1", port)
    done, _ = await asyncio.wait([joined, left], timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
    if joined in done:
        return joined.result(), left
    if left in done:
        return None, left.result()
    raise TimeoutError("neither joined nor refused")


async def leave(session, left):
    if session.is_attached():
        session.leave()
    await asyncio.wait_for(left, WAIT)


# -- what autobahn-python does not send by itself --------------------------------

_with_options = {}


def _options_class(cls):
    """`cls` (message.Call or message.Publish) with extra keys in its Options."""
    if cls not in _with_options:

        def marshal_options(self):
            options = cls.marshal_options(self)
            options.update(self._extra_options)
            return options

        _with_options[cls] = type(f"{cls.__name__}WithOptions", (cls,), {
            "__slots__": ("_extra_options",),
            "marshal_options": marshal_options,
        })
    return _with_options[cls]


def call_with(session, procedure, *args, options=None, on_progress=None, **kwargs):
    """CALL with `options` (a dict, sent as they are: disclose_me,
    receive_progress, timeout, ...): (request id, future of the result as
    session.call gives it). The result comes back through autobahn's own
    RESULT/ERROR handling."""
    options = dict(options or {})
    if on_progress is not None:
        options["receive_progress"] = True
    request = session._request_id_gen.next()
    msg = _options_class(message.Call)(request, procedure, args=list(args) or None, kwargs=kwargs or None)
    msg._extra_options = options
    future = txaio.create_future()
    session._call_reqs[request] = CallRequest(request, procedure, future, CallOptions(on_progress=on_progress))
    session._transport.send(msg)
    return request, future


def cancel(session, request, mode):
    """CANCEL the call `request` with `mode` (skip, kill, killnowait)."""
    session._transport.send(message.Cancel(request, mode=mode))


def publish_with(session, topic, *args, options=None, **kwargs):
    """PUBLISH, unacknowledged, with `options` (a dict, sent as they are)."""
    msg = _options_class(message.Publish)(session._request_id_gen.next(), topic, args=list(args) or None, kwargs=kwargs or None)
    msg._extra_options = dict(options or {})
    session._transport.send(msg)
