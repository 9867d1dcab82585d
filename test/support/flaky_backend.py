"""A deliberately unreliable HTTP/1.1 backend for resilience tests (stdlib only).

Paths (the query is ignored):
  /fail/<key>/<n>/<status>  the first n requests with this key answer <status>, then 200
  /reset/<key>/<n>          the first n requests with this key reset the connection, then 200
  /slow/<ms>                answers 200 after <ms> milliseconds
  anything else             200, or, while `down` is set, 503 ("status") or a reset ("reset")
Every 200 and failure body is JSON {"backend": name, "path", "hit": <n for the key>, ...}.
hits(key) counts requests per key (the path for the "anything else" case);
bodies(key) lists the SHA-256 of each request body, so a test can see a replayed body.
"""

import hashlib
import http.server
import json
import socket
import struct
import threading
import time

LOOPBACK = "127.0.0.1"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "flaky-backend"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet
        pass

    def _body(self):
        n = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(n) if n else b""

    def _send(self, status, doc):
        data = json.dumps(doc).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _reset(self):
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.connection.close()

    def _handle(self):
        body = self._body()
        path = self.path.split("?", 1)[0]
        parts = [p for p in path.split("/") if p]
        server = self.server
        if len(parts) == 2 and parts[0] == "slow":
            time.sleep(int(parts[1]) / 1000.0)
            return self._send(200, {"backend": server.name, "path": path, "slept_ms": int(parts[1])})
        key = parts[1] if len(parts) >= 3 and parts[0] in ("fail", "reset") else path
        hit = server.note(key, body)
        doc = {"backend": server.name, "path": path, "hit": hit}
        if parts[:1] == ["fail"] and len(parts) == 4 and hit <= int(parts[2]):
            return self._send(int(parts[3]), dict(doc, failed=True))
        if parts[:1] == ["reset"] and len(parts) == 3 and hit <= int(parts[2]):
            return self._reset()
        if parts[:1] not in (["fail"], ["reset"]) and server.down == "reset":
            return self._reset()
        if parts[:1] not in (["fail"], ["reset"]) and server.down == "status":
            return self._send(503, dict(doc, failed=True))
        self._send(200, doc)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


class FlakyBackend(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, name="flaky", port=0):
        super().__init__((LOOPBACK, port), _Handler)
        self.name = name
        self.down = None  # None, "status" or "reset"
        self._lock = threading.Lock()
        self._hits = {}
        self._bodies = {}
        self._thread = None

    @property
    def port(self):
        return self.server_address[1]

    def url(self, path="/"):
        return "http://%s:%d%s" % (LOOPBACK, self.port, path)

    def note(self, key, body):
        with self._lock:
            self._hits[key] = self._hits.get(key, 0) + 1
            self._bodies.setdefault(key, []).append(hashlib.sha256(body).hexdigest())
            return self._hits[key]

    def hits(self, key):
        with self._lock:
            return self._hits.get(key, 0)

    def bodies(self, key):
        with self._lock:
            return list(self._bodies.get(key, []))

    def handle_error(self, request, client_address):  # quiet on resets
        pass

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name=self.name)
        self._thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()
