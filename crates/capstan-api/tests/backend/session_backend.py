#!/usr/bin/env python3
"""A small web app with sessions of its own, standing for the PHP or
Python app whose users a Capstan server serves: the backend of the hook
tests (crates/capstan-api/tests/hooks.rs). Python's standard library only.

Its sessions: the `session_id` cookie names a session, the session a
user, the user the channels they may use. It answers the hooks in
Centrifugo's proxy shape ({"result"}, {"error"}, {"disconnect"}):

  POST /connect          who the session cookie is; a banned user refused,
                         a revoked session disconnected, no session 401
  POST /connect/echo     allows user "echo"; its info is what arrived:
                         the headers (lower-case names) and the JSON body
  POST /subscribe        checks the cookie again (the forwarded headers
                         arrive after the handshake too); "room:secret" is
                         refused, "kick" disconnects
  POST /publish          "readonly" is refused; other data is replaced by
                         {"text", "by": user} unless it says "as_is"
  POST /peer             allows any subscription; its info is the port the
                         call came from (the same one again when the hook
                         client kept the connection alive)
  POST /slow             answers after 3 s (past the tests' timeouts)
  POST /status500        answers 500
  POST /malformed        answers 200 with HTML

Usage: session_backend.py   (listens on a free loopback port and prints
"session backend on http://127.0.0.1:PORT/" first)
"""

import http.cookies
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SESSIONS = {
    "s-ann": "ann",
    "s-bob": "bob",
    "s-mallory": "mallory",
    "s-revoked": "carol",
}
USERS = {
    "ann": {"channels": ["news", "room:1"], "info": {"name": "Ann"}},
    "bob": {"info": {"name": "Bob"}},  # no channel list: ask /subscribe
    "mallory": {"banned": True},
    "carol": {"revoked": True},
}


def result(value):
    return {"result": value}


def error(code, message):
    return {"error": {"code": code, "message": message}}


def disconnect(code, reason):
    return {"disconnect": {"code": code, "reason": reason}}


class Hooks(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the hook client pools

    def log_message(self, *args):
        pass  # quiet: the test's output is the test's

    def session_user(self):
        cookies = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
        morsel = cookies.get("session_id")
        return SESSIONS.get(morsel.value) if morsel else None

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"null")
        route = getattr(self, "route_" + self.path.strip("/").replace("/", "_"), None)
        if route is None:
            return self.send(404, b"no such hook")
        answer = route(body)
        if answer is not None:
            self.send(200, json.dumps(answer).encode(), "application/json")

    def send(self, status, data, content_type="text/plain"):
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the hook gave up waiting (/slow)

    def route_connect(self, body):
        user = self.session_user()
        if user is None:
            return error(401, "log in first")
        account = USERS[user]
        if account.get("banned"):
            return error(403, "banned: " + user)
        if account.get("revoked"):
            return disconnect(4501, "session revoked")
        answer = {"user": user, "info": account["info"]}
        if "channels" in account:
            answer["channels"] = account["channels"]
        return result(answer)

    def route_connect_echo(self, body):
        headers = {name.lower(): value for name, value in self.headers.items()}
        return result({"user": "echo", "info": {"headers": headers, "body": body}})

    def route_subscribe(self, body):
        if self.session_user() != body["user"]:
            return error(401, "session does not match the user")
        channel = body["channel"]
        if channel == "room:secret":
            return error(1003, "members only")
        if channel == "kick":
            return disconnect(4502, "kicked from " + channel)
        return result({"info": {"channel": channel, "data": body.get("data")}})

    def route_publish(self, body):
        if body["channel"] == "readonly":
            return error(1004, "read-only channel")
        data = body["data"]
        if isinstance(data, dict) and data.get("as_is"):
            return result({})
        return result({"data": {"text": data.get("text"), "by": body["user"]}})

    def route_peer(self, body):
        return result({"info": {"port": self.client_address[1]}})

    def route_slow(self, body):
        time.sleep(3)
        return result({"user": "late"})

    def route_status500(self, body):
        self.send(500, b"the backend broke")

    def route_malformed(self, body):
        self.send(200, b"<html>Welcome!</html>", "text/html")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    server.daemon_threads = True
    print(f"session backend on http://127.0.0.1:{server.server_port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
