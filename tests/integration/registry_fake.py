#!/usr/bin/env python3
"""A fake distribution-API registry that misbehaves on purpose, for test_registry_fake.sh.

    registry_fake.py LAYOUT PORTFILE MODES

Serves the OCI layout LAYOUT read-only under any repository (tag "latest" = its first manifest)
and accepts pushes into memory. MODES is a comma list of:
  flaky      the first request for each method+path answers 503 (the client must retry)
  redirect   blob GETs answer 307 to a second server on "localhost" (another host name), which
             refuses requests carrying an Authorization header (credentials must not follow)
  bad-dcd    manifests come with a wrong Docker-Content-Digest
  short-blob blobs are served one byte short
  bearer     everything under /v2/ needs "Bearer good-token"; GET /token hands it out as
             {"access_token": ...} (no "token" field) and only with a scope parameter
  abs-location  upload Locations are absolute URLs (default: relative)
  fresh      HEAD knows only pushed blobs, so pushes really upload
  mount      POST ...?mount=D&from=R answers 201 (mounted) when it has D; without this mode
             the mount parameters are ignored (202 + an upload session), as some registries do
  mount-denied  POST ...?mount= answers 403 DENIED (no pull right on the source repository)
GET /v2/NAME/tags/list lists "latest" and the tags pushed, sorted, paginated as the distribution
spec says (?n=N&last=T, a Link: <...>; rel="next" header while more remain).
Writes "PORT" to PORTFILE once listening; a request log goes to stderr.
"""
import hashlib, json, os, sys, threading, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

layout, portfile, modes = sys.argv[1], sys.argv[2], set(sys.argv[3].split(",")) if len(sys.argv) > 3 else set()
seen = set()
uploads = {}
pushed_blobs = {}
pushed_manifests = {}
lock = threading.Lock()


def blob(digest):
    if digest in pushed_blobs:
        return pushed_blobs[digest]
    p = os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[-1])
    if "/" in digest or not os.path.isfile(p):
        return None
    with open(p, "rb") as f:
        return f.read()


def first_manifest():
    with open(os.path.join(layout, "index.json")) as f:
        d = json.load(f)["manifests"][0]
    return d["digest"], d["mediaType"]


class Main(BaseHTTPRequestHandler):
    def reply(self, code, body=b"", headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, code, ecode, msg):
        self.reply(code, json.dumps({"errors": [{"code": ecode, "message": msg}]}).encode(),
                   {"Content-Type": "application/json"})

    def gate(self):
        """True when the request may go on (not a planned 503, authorised)."""
        key = self.command + " " + urlparse(self.path).path
        with lock:
            first = key not in seen
            seen.add(key)
        if "flaky" in modes and first:
            self.reply(503, b"try again")
            return False
        if "bearer" in modes and self.path.startswith("/v2"):
            if self.headers.get("Authorization") != "Bearer good-token":
                port = self.server.server_address[1]
                self.reply(401, b"", {"WWW-Authenticate":
                    'Bearer realm="http://127.0.0.1:%d/token",service="fake",scope="repository:x:pull"' % port})
                return False
        return True

    def route(self):
        u = urlparse(self.path)
        parts = u.path.split("/")
        if u.path == "/token":
            q = parse_qs(u.query)
            if "mount-denied" in modes and q.get("mount"):
                return self.error(403, "DENIED", "requested access to the resource is denied")
            if not q.get("scope"):
                return self.reply(400, b"no scope")
            return self.reply(200, b'{"access_token":"good-token"}', {"Content-Type": "application/json"})
        if not self.gate():
            return
        if u.path == "/v2/":
            return self.reply(200, b"{}")
        if u.path.startswith("/upload/"):
            return self.upload(u)
        if len(parts) < 5 or parts[1] != "v2":
            return self.reply(404)
        kind = parts[-2]
        ref = parts[-1]
        if kind == "manifests":
            return self.manifest(ref)
        if kind == "tags" and ref == "list" and self.command == "GET":
            return self.tags_list(u, "/".join(parts[2:-2]))
        if kind == "blobs" and self.command in ("GET", "HEAD"):
            return self.get_blob(ref)
        if u.path.endswith("/blobs/uploads/") and self.command == "POST":
            q = parse_qs(u.query)
            if "mount-denied" in modes and q.get("mount"):
                return self.error(403, "DENIED", "requested access to the resource is denied")
            if "mount" in modes and q.get("from") and q.get("mount") and blob(q["mount"][0]) is not None:
                pushed_blobs[q["mount"][0]] = blob(q["mount"][0])
                return self.reply(201, b"", {"Docker-Content-Digest": q["mount"][0]})
            uid = uuid.uuid4().hex
            uploads[uid] = b""
            loc = "/upload/%s?state=1" % uid
            if "abs-location" in modes:
                loc = "http://127.0.0.1:%d%s" % (self.server.server_address[1], loc)
            return self.reply(202, b"", {"Location": loc, "Docker-Upload-UUID": uid})
        return self.reply(404)

    def manifest(self, ref):
        if self.command == "PUT":
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            d = "sha256:" + hashlib.sha256(body).hexdigest()
            pushed_manifests[ref] = (body, self.headers.get("Content-Type"))
            pushed_manifests[d] = pushed_manifests[ref]
            return self.reply(201, b"", {"Docker-Content-Digest": d})
        if ref in pushed_manifests:
            body, mt = pushed_manifests[ref]
        else:
            d, mt = first_manifest()
            if ref not in ("latest", d):
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            body = blob(d)
        d = "sha256:" + hashlib.sha256(body).hexdigest()
        if "bad-dcd" in modes:
            d = "sha256:" + "0" * 64
        self.reply(200, body, {"Content-Type": mt, "Docker-Content-Digest": d})

    def tags_list(self, u, name):
        q = parse_qs(u.query)
        tags = sorted({"latest"} | {t for t in pushed_manifests if not t.startswith("sha256:")})
        if q.get("last"):
            tags = [t for t in tags if t > q["last"][0]]
        headers = {"Content-Type": "application/json"}
        n = int(q["n"][0]) if q.get("n") else len(tags)
        if len(tags) > n:
            tags = tags[:n]
            headers["Link"] = '</v2/%s/tags/list?n=%d&last=%s>; rel="next"' % (name, n, tags[-1])
        self.reply(200, json.dumps({"name": name, "tags": tags}).encode(), headers)

    def get_blob(self, digest):
        data = blob(digest)
        if self.command == "HEAD" and "fresh" in modes and digest not in pushed_blobs:
            data = None
        if data is None:
            return self.error(404, "BLOB_UNKNOWN", "blob unknown")
        if "redirect" in modes and self.command == "GET":
            return self.reply(307, b"", {"Location": "http://localhost:%d/storage/%s?sig=1" % (storage_port, digest)})
        if "short-blob" in modes:
            data = data[:-1]
        self.reply(200, data, {"Content-Type": "application/octet-stream", "Docker-Content-Digest": digest})

    def upload(self, u):
        uid = u.path.split("/")[-1]
        if uid not in uploads or self.command != "PUT":
            return self.reply(404)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        want = parse_qs(u.query).get("digest", [""])[0]
        got = "sha256:" + hashlib.sha256(body).hexdigest()
        if want != got or parse_qs(u.query).get("state") != ["1"]:
            return self.error(400, "DIGEST_INVALID", "digest %s != %s" % (want, got))
        pushed_blobs[got] = body
        self.reply(201, b"", {"Docker-Content-Digest": got, "Location": "/v2/x/blobs/" + got})

    do_GET = do_HEAD = do_POST = do_PUT = route

    def log_message(self, fmt, *args):
        sys.stderr.write("fake: %s %s\n" % (self.headers.get("Authorization", "-")[:6], fmt % args))


class Storage(BaseHTTPRequestHandler):
    """The 'other host' blobs redirect to: refuses forwarded credentials."""
    def do_GET(self):
        if self.headers.get("Authorization"):
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        digest = urlparse(self.path).path.split("/")[-1]
        data = blob(digest) or b""
        self.send_response(200 if data else 404)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("storage: " + (fmt % args) + "\n")


storage = ThreadingHTTPServer(("127.0.0.1", 0), Storage)
storage_port = storage.server_address[1]
threading.Thread(target=storage.serve_forever, daemon=True).start()
srv = ThreadingHTTPServer(("127.0.0.1", 0), Main)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
