#!/usr/bin/env python3
"""Bad Docker engines on a unix socket, for test_engines.sh.

  engine_fake.py MODE SOCKET [EXPORT_TAR IMAGE_ID]
    notengine  an ordinary HTTP server: 404 "page not found" for everything
    garbage    not HTTP at all: a line of text, then the connection closes
    old        a Docker engine that speaks API 1.20 only
    truncated  a Docker engine whose export (GET /images/NAME/get) is the first half
               of EXPORT_TAR, after which the connection drops (Content-Length promised
               the whole; IMAGE_ID is what GET /images/NAME/json answers)
    halftar    the same, but the HTTP answer is complete: its body is half a tar
Serves until killed; at most 200 connections, then exits by itself."""
import json, os, socket, socketserver, sys
from http.server import BaseHTTPRequestHandler

mode, path = sys.argv[1], sys.argv[2]
tar = sys.argv[3] if len(sys.argv) > 3 else None
image_id = sys.argv[4] if len(sys.argv) > 4 else None


class Engine(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="application/json", api="1.41", length=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        if api:
            self.send_header("Api-Version", api)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self):
        p = self.path
        if mode == "notengine":
            return self.send(404, "404 page not found\n", "text/plain", api=None)
        api = "1.20" if mode == "old" else "1.41"
        if p == "/_ping":
            return self.send(200, "OK", "text/plain", api=api)
        if p.endswith("/version"):
            return self.send(200, json.dumps({"Version": "fake", "ApiVersion": api, "MinAPIVersion": "1.12"}), api=api)
        if p.endswith("/images/json"):
            return self.send(200, json.dumps([{"Id": image_id, "RepoTags": ["app:src"]}]))
        if p.endswith("/json"):
            return self.send(200, json.dumps({"Id": image_id, "RepoTags": ["app:src"]}))
        if p.endswith("/get"):
            data = open(tar, "rb").read()
            half = data[: len(data) // 2]
            if mode == "halftar":
                return self.send(200, half, "application/x-tar")
            self.send(200, half, "application/x-tar", length=len(data))
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        return self.send(404, json.dumps({"message": "page not found"}))

    do_POST = do_GET


class Garbage(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            self.request.recv(4096)
            self.request.sendall(b"hello, this is not HTTP\r\n\r\n")
        except OSError:
            pass


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(path):
    os.unlink(path)
srv = Server(path, Garbage if mode == "garbage" else Engine)
for _ in range(200):
    srv.handle_request()
