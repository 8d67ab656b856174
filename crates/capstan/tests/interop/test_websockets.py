"""permessage-deflate interop: Capstan's echo example against the Python
`websockets` client (which offers permessage-deflate by default and
decompresses with CPython's zlib, which enforces the agreed window size).

Run by scripts/interop-test.sh, which starts the echo servers and sets:
  INTEROP_URL_AS_OFFERED  echo with the as-offered config (threshold 0)
  INTEROP_URL_DEFAULT     echo with ECHO_DEFLATE=default (no context takeover
                          either way, threshold 1024)
  INTEROP_URL_OFF         echo with ECHO_DEFLATE=off (optional)

Plain asyncio; prints one line per case and a last line
"interop: N passed, M failed"; exits 1 when anything failed.
"""

import asyncio
import os
import random
import sys
import time
import traceback

from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
)
from websockets.frames import Opcode

CASE_TIMEOUT = 120  # seconds; every case is bounded by this
MAX_SIZE = 16 * 2**20
SIZES = [0, 10, 1024, 64 * 1024, 2**20]

# What each server mode is: whether it keeps context by default, and its
# compression threshold (messages shorter than this come back uncompressed).
MODES = {
    "as_offered": {"forces_no_context": False, "threshold": 0},
    "default": {"forces_no_context": True, "threshold": 1024},
}

WORDS = ["héllo", "wörld", "🦀", "€", "naïve", "日本語", "ascii", "data", "🚀🚀", "{\"k\":1}"]


def text_of(size, seed):
    """A UTF-8 string of exactly `size` bytes, multi-byte characters included."""
    rng = random.Random(seed)
    parts, length = [], 0
    while length < size:
        word = rng.choice(WORDS) + " "
        parts.append(word)
        length += len(word.encode())
    data = "".join(parts).encode()[:size]
    text = data.decode("utf-8", errors="ignore")
    return text + "x" * (size - len(text.encode()))


def binary_of(size, seed):
    """`size` bytes, half random, half repetitive."""
    rng = random.Random(seed)
    half = size // 2
    pattern = bytes(range(256)) * ((size - half) // 256 + 1)
    return rng.randbytes(half) + pattern[: size - half]


def expected_answer(mode, snct=False, cnct=False, smwb=None, cmwb=True):
    """The exact Sec-WebSocket-Extensions answer Capstan gives to an offer."""
    if MODES[mode]["forces_no_context"]:
        snct = cnct = True
    answer = "permessage-deflate"
    if snct:
        answer += "; server_no_context_takeover"
    if cnct:
        answer += "; client_no_context_takeover"
    if smwb is not None:
        answer += f"; server_max_window_bits={smwb}"
    if isinstance(cmwb, int) and cmwb is not True:
        answer += f"; client_max_window_bits={cmwb}"
    return answer


def spy_rsv1(ws):
    """Records RSV1 of each incoming data message's first frame."""
    seen = []
    for ext in ws.protocol.extensions:
        original = ext.decode

        def decode(frame, *, max_size=None, original=original):
            if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
                seen.append(frame.rsv1)
            return original(frame, max_size=max_size)

        ext.decode = decode
    return seen


async def round_trips(ws, sizes, seed, threshold=None, rounds=1, kinds=("text", "binary")):
    """Text then binary messages of each size, echoed and compared; with
    `threshold`, checks which echoes came back compressed."""
    seen = spy_rsv1(ws) if threshold is not None else None
    sent = []
    for r in range(rounds):
        for kind in kinds:
            for size in sizes:
                s = seed * 1000 + r * 100 + size % 97
                message = text_of(size, s) if kind == "text" else binary_of(size, s)
                await ws.send(message)
                echo = await ws.recv()
                assert type(echo) is type(message), f"{kind} {size}: got {type(echo).__name__}"
                assert echo == message, f"{kind} {size}: echo differs (len {len(echo)})"
                sent.append((kind, size))
    if seen is not None:
        assert len(seen) == len(sent), f"{len(seen)} data messages seen for {len(sent)} sent"
        for (kind, size), rsv1 in zip(sent, seen):
            assert rsv1 == (size >= threshold), (
                f"{kind} of {size} bytes: RSV1={rsv1}, threshold {threshold}"
            )
    # Several messages again, in a row, to work the contexts.
    for i in range(5):
        message = text_of(3000, seed + i)
        await ws.send(message)
        assert await ws.recv() == message


def negotiated(ws):
    header = ws.response.headers.get("Sec-WebSocket-Extensions")
    exts = ws.protocol.extensions
    return header, exts


async def case_default_client(url, mode):
    # One connection per kind, each starting with its empty message (empty
    # messages after others have their own case below).
    for kind in ("text", "binary"):
        async with connect(url, max_size=MAX_SIZE, open_timeout=10, close_timeout=5) as ws:
            header, exts = negotiated(ws)
            assert header == expected_answer(mode), f"answer {header!r}"
            assert len(exts) == 1 and isinstance(exts[0], PerMessageDeflate), exts
            ext = exts[0]
            forced = MODES[mode]["forces_no_context"]
            assert ext.remote_no_context_takeover == forced, ext
            assert ext.local_no_context_takeover == forced, ext
            assert ext.remote_max_window_bits == 15 and ext.local_max_window_bits == 15, ext
            await round_trips(ws, SIZES, 1, threshold=MODES[mode]["threshold"], kinds=(kind,))


async def case_empty_messages_between_others(url, mode):
    """Empty messages after other messages, both kinds. Against the
    as-offered echo (threshold 0, server context takeover) this exposes
    Capstan's Deflater returning no bytes for an empty message once its
    context holds a sync flush: the echo is an RSV1 frame with an empty
    payload, and the next message fails to decompress."""
    async with connect(url, max_size=MAX_SIZE, open_timeout=10, close_timeout=5) as ws:
        for message in ["first", "", b"\x00" * 100, b"", "after the empty ones", b""]:
            await ws.send(message)
            echo = await ws.recv()
            assert echo == message, f"echo of {message!r} was {echo!r}"


async def case_no_compression(url, mode):
    async with connect(url, compression=None, max_size=MAX_SIZE, open_timeout=10, close_timeout=5) as ws:
        header, exts = negotiated(ws)
        assert header is None, f"answer {header!r} to no offer"
        assert exts == [], exts
        await round_trips(ws, SIZES, 2)


async def case_factory(url, mode, *, snct=False, cnct=False, smwb=None, cmwb=True):
    factory = ClientPerMessageDeflateFactory(
        server_no_context_takeover=snct,
        client_no_context_takeover=cnct,
        server_max_window_bits=smwb,
        client_max_window_bits=cmwb,
    )
    async with connect(
        url, extensions=[factory], max_size=MAX_SIZE, open_timeout=10, close_timeout=5
    ) as ws:
        header, exts = negotiated(ws)
        if smwb == 8:
            # zlib cannot compress with a 256-byte window: declined.
            assert header is None, f"answer {header!r} to server_max_window_bits=8"
            assert exts == []
            await round_trips(ws, [10, 1024, 64 * 1024], 3)
            return
        assert header == expected_answer(mode, snct, cnct, smwb, cmwb), f"answer {header!r}"
        assert len(exts) == 1, exts
        ext = exts[0]
        forced = MODES[mode]["forces_no_context"]
        assert ext.remote_no_context_takeover == (snct or forced), ext
        assert ext.local_no_context_takeover == (cnct or forced), ext
        assert ext.remote_max_window_bits == (smwb or 15), ext
        assert ext.local_max_window_bits == (cmwb if cmwb not in (None, True) else 15), ext
        await round_trips(ws, [10, 1024, 64 * 1024, 300_000], 4, threshold=MODES[mode]["threshold"])


async def case_server_off(url):
    async with connect(url, max_size=MAX_SIZE, open_timeout=10, close_timeout=5) as ws:
        header, exts = negotiated(ws)
        assert header is None, f"answer {header!r} with compression off"
        assert exts == []
        await round_trips(ws, SIZES, 5)


def cases():
    urls = {
        "as_offered": os.environ.get("INTEROP_URL_AS_OFFERED"),
        "default": os.environ.get("INTEROP_URL_DEFAULT"),
    }
    if not any(urls.values()):
        sys.exit("set INTEROP_URL_AS_OFFERED and/or INTEROP_URL_DEFAULT (scripts/interop-test.sh does)")
    for mode, url in urls.items():
        if not url:
            continue
        yield f"{mode}: default client", lambda url=url, mode=mode: case_default_client(url, mode)
        yield f"{mode}: empty messages between others", (
            lambda url=url, mode=mode: case_empty_messages_between_others(url, mode)
        )
        yield f"{mode}: compression=None", lambda url=url, mode=mode: case_no_compression(url, mode)
        for bits in range(8, 16):
            yield f"{mode}: server_max_window_bits={bits}", (
                lambda url=url, mode=mode, bits=bits: case_factory(url, mode, smwb=bits)
            )
        for bits in range(9, 16):
            yield f"{mode}: client_max_window_bits={bits}", (
                lambda url=url, mode=mode, bits=bits: case_factory(url, mode, cmwb=bits)
            )
        for snct in (False, True):
            for cnct in (False, True):
                yield f"{mode}: server_no_context_takeover={snct} client_no_context_takeover={cnct}", (
                    lambda url=url, mode=mode, s=snct, c=cnct: case_factory(url, mode, snct=s, cnct=c)
                )
        yield f"{mode}: all parameters (no context, windows 10/11)", (
            lambda url=url, mode=mode: case_factory(url, mode, snct=True, cnct=True, smwb=10, cmwb=11)
        )
        yield f"{mode}: client_max_window_bits=None (not offered)", (
            lambda url=url, mode=mode: case_factory(url, mode, cmwb=None)
        )
    off = os.environ.get("INTEROP_URL_OFF")
    if off:
        yield "off: default client gets no extension", lambda: case_server_off(off)


async def main():
    passed, failed = 0, []
    for name, make in cases():
        start = time.monotonic()
        try:
            await asyncio.wait_for(make(), CASE_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - report every failure
            failed.append(name)
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            print(f"FAIL {name}: {detail}", flush=True)
            if os.environ.get("INTEROP_VERBOSE"):
                traceback.print_exc()
        else:
            passed += 1
            print(f"ok   {name} ({time.monotonic() - start:.2f}s)", flush=True)
    if failed:
        print("failed cases:\n  " + "\n  ".join(failed))
    print(f"interop: {passed} passed, {len(failed)} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
