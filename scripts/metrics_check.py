"""Drives a running Capstan server with /metrics (the ops_server example of
capstan-api) and checks what it scrapes with prometheus-client's own text
parser: every family parses, the expected ones are there with their help,
and the counters moved with the traffic this script made.

    python metrics_check.py HOST:PORT SCRAPE_FILE

Writes the last scrape to SCRAPE_FILE (for promtool). Prints one line per
check ("ok   ..." or "FAIL ..."); the exit status is non-zero when anything
failed.
"""

import asyncio
import socket
import sys
import urllib.error
import urllib.request

import websockets
from prometheus_client.parser import text_string_to_metric_families

EXPECTED = {
    "capstan_connections_accepted": "counter",
    "capstan_connections_open": "gauge",
    "capstan_connections_closed": "counter",
    "capstan_handshake_rejections": "counter",
    "capstan_messages_received": "counter",
    "capstan_received_bytes": "counter",
    "capstan_messages_sent": "counter",
    "capstan_sent_bytes": "counter",
    "capstan_deliveries": "counter",
    "capstan_queued_bytes": "gauge",
    "capstan_slow_consumer_closes": "counter",
    "capstan_topics": "gauge",
    "capstan_subscriptions": "gauge",
    "capstan_process_resident_memory_bytes": "gauge",
    "capstan_process_open_fds": "gauge",
    "capstan_broker_operation_duration_seconds": "histogram",
}

# Histograms the ops_server example never observes: a family appears once
# it has a series, and is checked then.
IF_OBSERVED = {
    "capstan_api_call_duration_seconds": "histogram",
    "capstan_store_operation_duration_seconds": "histogram",
}

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail and not ok else ""))


def get(addr, path):
    try:
        with urllib.request.urlopen(f"http://{addr}{path}", timeout=10) as response:
            return response.status, response.headers.get("Content-Type"), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read().decode()


def scrape(addr):
    status, content_type, text = get(addr, "/metrics")
    check("/metrics answers 200", status == 200, str(status))
    check("/metrics content type", content_type.startswith("text/plain; version=0.0.4"), content_type)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    return text, families


def value(families, family, sample, labels=None):
    if family not in families:
        return 0.0
    for s in families[family].samples:
        if s.name == sample and (labels is None or all(s.labels.get(k) == v for k, v in labels.items())):
            return s.value
    return 0.0


def refused_upgrade(addr):
    """Sends an upgrade request without Sec-WebSocket-Key; the status."""
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n")
        answer = sock.recv(4096).decode(errors="replace")
    return int(answer.split(" ")[1]) if answer.startswith("HTTP/1.1 ") else 0


async def traffic(addr):
    """Five connections: each sends three echoed messages; one publishes
    to all; one closes by dropping its socket."""
    url = f"ws://{addr}/"
    clients = [await websockets.connect(url, compression=None) for _ in range(5)]
    for client in clients:
        for n in range(3):
            await client.send(f"hello {n}")
            assert await client.recv() == f"hello {n}"
    await clients[0].send("pub:news")
    for client in clients:
        assert await client.recv() == "pub:news"
    for client in clients[1:]:
        await client.close()
    clients[0].transport.abort()
    await asyncio.sleep(0.2)


def main():
    addr, scrape_file = sys.argv[1], sys.argv[2]
    before_text, before = scrape(addr)
    asyncio.run(traffic(addr))
    status = refused_upgrade(addr)
    check("an upgrade without a key is refused with 400", status == 400, str(status))
    text, after = scrape(addr)
    with open(scrape_file, "w") as out:
        out.write(text)

    for name, kind in EXPECTED.items():
        family = after.get(name)
        check(f"{name} is a {kind}", family is not None and family.type == kind,
              family and family.type)
        check(f"{name} has help", family is not None and bool(family.documentation))
    for name, kind in IF_OBSERVED.items():
        if name in after:
            check(f"{name} is a {kind}", after[name].type == kind, after[name].type)
            check(f"{name} has help", bool(after[name].documentation))

    def moved(family, sample, labels=None):
        return value(after, family, sample, labels) - value(before, family, sample, labels)

    check("16 messages received (15 to echo, 1 to publish)",
          moved("capstan_messages_received", "capstan_messages_received_total") == 16)
    check("20 messages sent (15 echoes, 5 deliveries)",
          moved("capstan_messages_sent", "capstan_messages_sent_total") == 20)
    check("5 deliveries", moved("capstan_deliveries", "capstan_deliveries_total") == 5)
    check("5 connections accepted at least",
          moved("capstan_connections_accepted", "capstan_connections_accepted_total", {"transport": "plain"}) >= 5)
    check("4 peer closes", moved("capstan_connections_closed", "capstan_connections_closed_total",
                                 {"cause": "peer_closed"}) == 4)
    check("1 lost connection", moved("capstan_connections_closed", "capstan_connections_closed_total",
                                     {"cause": "connection_lost"}) == 1)
    check("a 400 counted", moved("capstan_handshake_rejections", "capstan_handshake_rejections_total",
                                 {"status": "400"}) == 1)
    check("no connection left open", value(after, "capstan_connections_open", "capstan_connections_open") == 0)
    check("a broker publish timed", moved("capstan_broker_operation_duration_seconds",
                                          "capstan_broker_operation_duration_seconds_count",
                                          {"op": "publish"}) == 1)

    status, _, body = get(addr, "/healthz")
    check("/healthz: 200 ok", (status, body) == (200, "ok\n"), f"{status} {body!r}")
    status, _, body = get(addr, "/readyz")
    check("/readyz: 200 ready", (status, body) == (200, "ready\n"), f"{status} {body!r}")

    sys.exit(1 if False in results else 0)


if __name__ == "__main__":
    main()
