"""Bounded chaos soak of the real microgw (ASan/UBSan build) through real Squid.

Run through tools/soak/run.sh, which builds the sanitizer binary. Directly:
    PYTHONPATH=test/support python3 tools/soak/soak.py --binary /path/to/microgw [--seconds 60]

Topology: client threads -> microgw (2 workers) -> Squid (basic auth, CONNECT)
-> soak backend (http + https, harness test CA), plus the API /direct that goes
straight to the http backend. See tools/soak/README.md for the request kinds,
the chaos timeline and the invariants. Exit status: 0 when every invariant
held, 1 otherwise.
"""

import argparse
import collections
import contextlib
import hashlib
import itertools
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "support"))
import mgw_harness as h  # noqa: E402

READ_TIMEOUT = 20.0          # no byte for this long = a hang
API_TIMEOUT_MS = 1000        # advanceEndpointConfig.timeoutInMillis of the chaos APIs
STALL_SECONDS = 2.5          # backend stall, well past API_TIMEOUT_MS
HEADER_TIMEOUT_MS = 3000     # listenerConfig.headerReadTimeoutInMillis
IDLE_TIMEOUT_MS = 5000       # listenerConfig.idleTimeoutInMillis
DRAIN_TIMEOUT_MS = 10000
MAX_BODY = 8 * 1024 * 1024   # listenerConfig.maxEntityBodySize
FAULT_GRACE = 2.0            # seconds a fault window explains failures after it ends
PASSWORD = "Soak-pr0xy-9c41"
RELOAD_SECONDS = float(os.environ.get("SOAK_RELOAD_MS", "250")) / 1000.0  # SIGHUP period
INVALID_EVERY = 10           # every 10th reload is an invalid configuration (must be refused)
SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")

SQUID_APIS = ("sq", "sqs", "bulk", "bulks")
ALL_APIS = SQUID_APIS + ("direct",)
FAULT_STATUSES = {502, 503, 504}

_ids = itertools.count(1)
_ids_lock = threading.Lock()


def next_id(prefix):
    with _ids_lock:
        return "%s-%d" % (prefix, next(_ids))


def now():
    return time.time()


# ---------------------------------------------------------------------------
# Results and fault bookkeeping
# ---------------------------------------------------------------------------

class Result:
    __slots__ = ("kind", "api", "sid", "t0", "t1", "outcome", "status", "detail", "allowed",
                 "verdict", "prev")

    def __init__(self, kind, api, sid, t0):
        self.kind, self.api, self.sid, self.t0 = kind, api, sid, t0
        self.t1 = t0
        self.outcome = None   # "status" | "close" | "hang" | "bad" | "corrupt" | "no-close" | "done"
        self.status = None
        self.detail = ""
        self.allowed = None   # abusive kinds: statuses that are right for this request
        self.verdict = None
        self.prev = None      # pipelined: the sid of the request before this one

    def label(self):
        return str(self.status) if self.outcome == "status" else self.outcome

    def describe(self):
        return "%s %s sid=%s t=+%.1fs..+%.1fs %s %s" % (
            self.kind, self.api or "-", self.sid, self.t0 - START[0], self.t1 - START[0],
            self.label(), self.detail[:200])


START = [now()]


class Faults:
    """Time windows of injected faults, and the request ids the backend sabotaged."""

    def __init__(self, sabotage_log):
        self.lock = threading.Lock()
        self.windows = []  # [name, scope(set of apis), start, end or None]
        self.sabotage_log = sabotage_log
        self.events = []

    def begin(self, name, scope):
        w = [name, set(scope), now(), None]
        with self.lock:
            self.windows.append(w)
        return w

    def end(self, w):
        w[3] = now()
        with self.lock:
            self.events.append("%-18s +%5.1fs .. +%5.1fs" % (w[0], w[2] - START[0],
                                                            w[3] - START[0]))

    def overlaps(self, api, t0, t1):
        with self.lock:
            for name, scope, s, e in self.windows:
                end = (e if e is not None else now()) + FAULT_GRACE
                if api in scope and t0 <= end and t1 >= s - 0.2:
                    return name
        return None

    def sabotaged(self):
        out = {}
        for line in h.read_text(self.sabotage_log).splitlines():
            parts = line.split()
            if len(parts) >= 2:
                out[parts[0]] = parts[1]
        return out


# ---------------------------------------------------------------------------
# Client plumbing
# ---------------------------------------------------------------------------

class Conn(h.RawClient):
    def __init__(self, port, timeout=READ_TIMEOUT):
        super().__init__(h.LOOPBACK, port, timeout=timeout)

    @staticmethod
    def head_bytes(method, path, headers):
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: soak.local"]
        lines += ["%s: %s" % kv for kv in headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def rst_close(self):
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()


def chunked_encode(body, rng, trailers=()):
    out, i = [], 0
    while i < len(body):
        n = min(len(body) - i, rng.choice((1, 100, 4096, 65536, 300000)))
        out.append(b"%x\r\n" % n + body[i:i + n] + b"\r\n")
        i += n
    out.append(b"0\r\n" + b"".join(("%s: %s\r\n" % kv).encode("latin-1") for kv in trailers)
               + b"\r\n")
    return b"".join(out)


_big_sha = {}
_big_lock = threading.Lock()


def big_sha(n):
    with _big_lock:
        if n not in _big_sha:
            _big_sha[n] = h.sha256(h.big_body(n))
        return _big_sha[n]


def make_body(n, sid, rng):
    seed = hashlib.sha256(sid.encode()).digest()
    block = seed * 2048  # 64 KiB, differs per request
    reps, rest = divmod(n, len(block))
    return block * reps + block[:rest]


# ---------------------------------------------------------------------------
# Steady load
# ---------------------------------------------------------------------------

STEADY_KINDS = [  # (kind, weight)
    ("get", 18), ("get_https", 14), ("get_direct", 10), ("post_cl", 12),
    ("post_chunked", 10), ("head", 8), ("conn_close", 6), ("pipelined", 8),
    ("big_download", 4), ("big_upload", 4), ("trailers", 4), ("underscore", 4),
    ("no_content", 3),
]

# Trailers a client may try to smuggle to the backend; none may arrive there.
FORBIDDEN_TRAILERS = [("Proxy-Authorization", "Basic c291azpzb2Fr"), ("X-Forwarded-For", "6.6.6.6"),
                      ("Content-Length", "999"), ("Host", "evil.example"),
                      ("Transfer-Encoding", "gzip"), ("Authorization", "Bearer stolen")]
# Header names with underscores that backends (CGI/WSGI) read as the dashed name.
UNDERSCORE_HEADERS = [("X_Forwarded_For", "6.6.6.6"), ("Proxy_Authorization", "Basic c291aw==")]
# Backend answers that must become a 502, never reach the client.
GARBAGE_ACTIONS = {"bad_status", "bad_name"}


class SteadyClient(threading.Thread):
    def __init__(self, soak, index):
        super().__init__(daemon=True, name="steady-%d" % index)
        self.soak = soak
        self.rng = random.Random(index * 7919 + int(now()))
        self.conn = None
        self.kinds = [k for k, w in STEADY_KINDS for _ in range(w)]

    def run(self):
        try:
            while not self.soak.stop.is_set():
                kind = self.rng.choice(self.kinds)
                for r in getattr(self, "do_" + kind)():
                    self.soak.record(r)
                    if r.outcome != "status" or r.status >= 500:
                        self.soak.stop.wait(0.05)
        except Exception:
            self.soak.internal_error("%s: %s" % (self.name, traceback.format_exc()))
        finally:
            self.drop()

    def drop(self, rst=False):
        if self.conn is not None:
            self.conn.rst_close() if rst else self.conn.close()
            self.conn = None

    def get_conn(self):
        if self.conn is None:
            self.conn = Conn(self.soak.gw.port)
        return self.conn

    # One request on the thread's keep-alive connection.
    def exchange(self, kind, api, method, path, body=None, chunked=False, close=False,
                 validate=None, extra_headers=(), trailers=()):
        sid = next_id("s")
        r = Result(kind, api, sid, now())
        sep = "&" if "?" in path else "?"
        target = "/%s%s%ssid=%s" % (api, path, sep, sid)
        headers = [("X-Soak-Id", sid)] + list(extra_headers)
        payload = b""
        if body is not None:
            if chunked:
                headers.append(("Transfer-Encoding", "chunked"))
                payload = chunked_encode(body, self.rng, trailers)
            else:
                headers.append(("Content-Length", str(len(body))))
                payload = body
            headers.append(("Content-Type", "application/octet-stream"))
        if close:
            headers.append(("Connection", "close"))
        try:
            c = self.get_conn()
        except OSError as e:
            r.outcome, r.detail, r.t1 = "connect-fail", str(e), now()
            return r
        try:
            try:
                c.send(c.head_bytes(method, target, headers) + payload)
            except (BrokenPipeError, ConnectionResetError) as e:
                r.detail = "send: %s; " % e  # an early reply may still be readable
            resp = c.read_response(method)
            r.outcome, r.status = "status", resp.status
            if validate and 200 <= resp.status < 300:
                problem = validate(resp, sid)
                if problem:
                    r.outcome, r.detail = "corrupt", problem
            conn_hdr = (resp.header("Connection") or "").lower()
            if close or "close" in conn_hdr or r.detail:
                if close and "close" not in conn_hdr:
                    r.detail += "no Connection: close in the reply; "
                if close and not c.closed_by_peer(timeout=5):
                    r.outcome, r.detail = "no-close", r.detail + "still open 5 s after the reply"
                self.drop()
        except socket.timeout:
            r.outcome, r.detail = "hang", "no byte for %.0f s" % READ_TIMEOUT
            self.drop()
        except (ConnectionError, OSError) as e:
            r.outcome, r.detail = "close", r.detail + str(e)
            self.drop()
        except ValueError as e:
            r.outcome, r.detail = "bad", str(e)
            self.drop()
        r.t1 = now()
        return r

    # --- validators -------------------------------------------------------
    @staticmethod
    def echo_check(method, body=None):
        def check(resp, sid):
            try:
                e = resp.json()
            except ValueError:
                return "echo body is not JSON: %r" % resp.body[:120]
            if e.get("args", {}).get("sid") != sid:
                return "reply for another request: sid %r != %r" % (e.get("args", {}).get("sid"), sid)
            if e.get("method") != method:
                return "method %r != %r" % (e.get("method"), method)
            n = 0 if body is None else len(body)
            if e.get("body_length") != n:
                return "backend saw %s body bytes, sent %d" % (e.get("body_length"), n)
            if body is not None and e.get("body_sha256") != h.sha256(body):
                return "request body corrupted on the way"
            lower = {k.lower() for k, _ in e.get("headers", [])}
            if "proxy-authorization" in lower:
                return "Proxy-Authorization leaked to the backend"
            return None
        return check

    @staticmethod
    def trailer_check(body, allowed):
        echo = SteadyClient.echo_check("POST", body)

        def check(resp, sid):
            problem = echo(resp, sid)
            if problem:
                return problem
            e = resp.json()
            seen = {k.lower(): v for k, v in e.get("trailers", [])}
            for name, value in FORBIDDEN_TRAILERS:
                if seen.get(name.lower()) == value:
                    return "trailer %s reached the backend" % name
            for name, value in allowed:
                if seen.get(name.lower()) != value:
                    return "trailer %s lost on the way (backend saw %r)" % (name, seen)
            headers = {k.lower(): v for k, v in e.get("headers", [])}
            if "6.6.6.6" in headers.get("x-forwarded-for", ""):
                return "a trailer spoofed X-Forwarded-For"
            return None
        return check

    @staticmethod
    def underscore_check():
        echo = SteadyClient.echo_check("GET")

        def check(resp, sid):
            problem = echo(resp, sid)
            if problem:
                return problem
            e = resp.json()
            names = [k for k, _ in e.get("headers", [])]
            if any("_" in n for n in names):
                return "header with an underscore reached the backend: %r" % names
            xff = {k.lower(): v for k, v in e.get("headers", [])}.get("x-forwarded-for", "")
            if "6.6.6.6" in xff:
                return "X_Forwarded_For spoofed X-Forwarded-For: %r" % xff
            return None
        return check

    @staticmethod
    def no_content_check(resp, sid):
        if resp.status == 204 and (resp.header("Content-Length") is not None or
                                   resp.header("Transfer-Encoding") is not None or resp.body):
            return "204 with framing or a body: CL=%r TE=%r body=%r" % (
                resp.header("Content-Length"), resp.header("Transfer-Encoding"), resp.body[:40])
        return None

    @staticmethod
    def big_check(n):
        def check(resp, sid):
            if len(resp.body) != n:
                return "download %d bytes, expected %d" % (len(resp.body), n)
            if h.sha256(resp.body) != big_sha(n):
                return "download body corrupted"
            return None
        return check

    @staticmethod
    def head_check(n):
        def check(resp, sid):
            if resp.header("Content-Length") != str(n):
                return "HEAD Content-Length %r != %d" % (resp.header("Content-Length"), n)
            return None
        return check

    # --- kinds ------------------------------------------------------------
    def do_get(self):
        return [self.exchange("get", "sq", "GET", "/echo", validate=self.echo_check("GET"))]

    def do_get_https(self):
        return [self.exchange("get_https", "sqs", "GET", "/echo",
                              validate=self.echo_check("GET"))]

    def do_get_direct(self):
        return [self.exchange("get_direct", "direct", "GET", "/echo",
                              validate=self.echo_check("GET"))]

    def small_body(self):
        return make_body(self.rng.choice((0, 1, 100, 4096, 20000, 65536)), str(self.rng.random()),
                         self.rng)

    def do_post_cl(self):
        body = self.small_body()
        api = self.rng.choice(("sq", "sqs", "direct"))
        return [self.exchange("post_cl", api, "POST", "/echo", body=body,
                              validate=self.echo_check("POST", body))]

    def do_post_chunked(self):
        body = self.small_body()
        api = self.rng.choice(("sq", "sqs", "direct"))
        return [self.exchange("post_chunked", api, "POST", "/echo", body=body, chunked=True,
                              validate=self.echo_check("POST", body))]

    def do_head(self):
        n = self.rng.choice((0, 1, 12345, 1 << 20))
        api = self.rng.choice(("sq", "sqs", "direct"))
        return [self.exchange("head", api, "HEAD", "/big?n=%d" % n, validate=self.head_check(n))]

    def do_conn_close(self):
        api = self.rng.choice(("sq", "sqs", "direct"))
        if self.rng.random() < 0.5:
            return [self.exchange("conn_close", api, "GET", "/echo", close=True,
                                  validate=self.echo_check("GET"))]
        body = self.small_body()
        return [self.exchange("conn_close", api, "POST", "/echo", body=body, close=True,
                              validate=self.echo_check("POST", body))]

    def do_big_download(self):
        n = self.rng.randint(1 << 20, 5 << 20)
        api = self.rng.choice(("bulk", "bulks"))
        return [self.exchange("big_download", api, "GET", "/big?n=%d" % n,
                              validate=self.big_check(n))]

    def do_big_upload(self):
        n = self.rng.randint(1 << 20, 5 << 20)
        api = self.rng.choice(("bulk", "bulks"))
        body = make_body(n, str(self.rng.random()), self.rng)
        return [self.exchange("big_upload", api, "POST", "/upload", body=body,
                              chunked=self.rng.random() < 0.5,
                              validate=self.echo_check("POST", body))]

    def do_trailers(self):
        body = self.small_body()
        api = self.rng.choice(("sq", "sqs", "direct"))
        allowed = [("X-Checksum", h.sha256(body)[:16])]
        return [self.exchange("trailers", api, "POST", "/echo", body=body, chunked=True,
                              trailers=FORBIDDEN_TRAILERS + allowed,
                              validate=self.trailer_check(body, allowed))]

    def do_underscore(self):
        api = self.rng.choice(("sq", "sqs", "direct"))
        return [self.exchange("underscore", api, "GET", "/echo", extra_headers=UNDERSCORE_HEADERS,
                              validate=self.underscore_check())]

    def do_no_content(self):
        api = self.rng.choice(("sq", "sqs", "direct"))
        return [self.exchange("no_content", api, "GET", "/status/204",
                              validate=self.no_content_check)]

    def do_pipelined(self):
        """Two requests in one write; the replies must come back in order."""
        api = self.rng.choice(("sq", "sqs", "direct"))
        results, reqs = [], []
        body = self.small_body() if self.rng.random() < 0.5 else None
        data = b""
        t0 = now()
        for i in range(2):
            sid = next_id("p")
            method = "POST" if (i == 1 and body is not None) else "GET"
            headers = [("X-Soak-Id", sid)]
            payload = b""
            if method == "POST":
                headers.append(("Content-Length", str(len(body))))
                payload = body
            path = "/%s/echo?sid=%s&i=%d" % (api, sid, i)
            data += Conn.head_bytes(method, path, headers) + payload
            r = Result("pipelined", api, sid, t0)
            r.prev = reqs[-1][0].sid if reqs else None
            reqs.append((r, method, self.echo_check(method, body if method == "POST" else None)))
        try:
            c = self.get_conn()
        except OSError as e:
            for r, _, _ in reqs:
                r.outcome, r.detail, r.t1 = "connect-fail", str(e), now()
            return [r for r, _, _ in reqs]
        broken = None
        try:
            c.send(data)
        except OSError as e:
            broken = "send: %s" % e
        for r, method, check in reqs:
            if broken:
                r.outcome, r.detail = ("hang" if broken == "hang" else "close"), broken
            else:
                try:
                    resp = c.read_response(method)
                    r.outcome, r.status = "status", resp.status
                    if 200 <= resp.status < 300:
                        problem = check(resp, r.sid)
                        if problem:
                            r.outcome, r.detail = "corrupt", problem
                    if "close" in (resp.header("Connection") or "").lower():
                        broken = "closed after the previous reply (Connection: close)"
                        r.detail = "reply said Connection: close"
                except socket.timeout:
                    r.outcome, r.detail = "hang", "no byte for %.0f s" % READ_TIMEOUT
                    broken = "hang"
                except (ConnectionError, OSError) as e:
                    r.outcome, r.detail = "close", str(e)
                    broken = "closed: %s" % e
                except ValueError as e:
                    r.outcome, r.detail = "bad", str(e)
                    broken = "bad"
            r.t1 = now()
            results.append(r)
        if broken:
            self.drop()
        return results


# ---------------------------------------------------------------------------
# Abusive clients
# ---------------------------------------------------------------------------

def malformed_cases():
    """(name, bytes, allowed statuses). A clean close is always acceptable too."""
    H = b"Host: soak.local\r\n"
    return [
        ("garbage-line", b"GARBAGE\r\n\r\n", {400}),
        ("no-colon", b"GET /sq/echo HTTP/1.1\r\n" + H + b"Bad Header\r\n\r\n", {400}),
        ("dup-cl", b"POST /sq/echo HTTP/1.1\r\n" + H +
         b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", {400}),
        ("neg-cl", b"POST /sq/echo HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n", {400}),
        ("cl-and-te", b"POST /sq/echo HTTP/1.1\r\n" + H +
         b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {400}),
        ("bad-chunk", b"POST /sq/echo HTTP/1.1\r\n" + H +
         b"Transfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n", {400, 502}),
        ("bad-version", b"GET /sq/echo HTTP/9.9\r\n" + H + b"\r\n", {400, 505}),
        ("te-gzip", b"POST /sq/echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip\r\n\r\n",
         {400, 501}),
        ("no-host", b"GET /sq/echo HTTP/1.1\r\n\r\n", {400}),
        ("nul-in-header", b"GET /sq/echo HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n", {400}),
        ("connect", b"CONNECT 127.0.0.1:443 HTTP/1.1\r\n" + H + b"\r\n", {400, 405, 501}),
        ("upgrade", b"GET /sq/echo HTTP/1.1\r\n" + H +
         b"Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n", {400, 501}),
        ("h2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", {400, 505}),
        ("bare-cr", b"GET /sq/echo HTTP/1.1\r\n" + H + b"X-A: a\rb\r\n\r\n", {400}),
        ("space-before-colon", b"GET /sq/echo HTTP/1.1\r\n" + H + b"X-A : b\r\n\r\n", {400}),
        ("fragment", b"DELETE /sq/echo/# HTTP/1.1\r\n" + H + b"\r\n", {400}),
        ("fragment-get", b"GET /sq/echo#top HTTP/1.1\r\n" + H + b"\r\n", {400}),
        ("tab-in-target", b"GET /sq/ec\tho HTTP/1.1\r\n" + H + b"\r\n", {400}),
        ("high-byte-in-target", b"GET /sq/ech\xf6 HTTP/1.1\r\n" + H + b"\r\n", {400}),
        ("chunk-no-crlf", b"POST /sq/echo HTTP/1.1\r\n" + H +
         b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXY0\r\n\r\n", {400}),
        ("chunk-bare-cr", b"POST /sq/echo HTTP/1.1\r\n" + H +
         b"Transfer-Encoding: chunked\r\n\r\n5\rXhello\r\n0\r\n\r\n", {400}),
    ]


class AbusiveClient(threading.Thread):
    KINDS = [("malformed", 6), ("oversize_header", 3), ("oversize_uri", 2),
             ("oversize_body", 2), ("abort_upload", 3), ("abort_download", 3)]

    def __init__(self, soak, index):
        super().__init__(daemon=True, name="abusive-%d" % index)
        self.soak = soak
        self.rng = random.Random(index * 104729 + int(now()))
        self.kinds = [k for k, w in self.KINDS for _ in range(w)]
        skip = set(filter(None, os.environ.get("SOAK_SKIP_MALFORMED", "").split(",")))
        self.cases = [c for c in malformed_cases() if c[0] not in skip]

    def run(self):
        try:
            while not self.soak.stop.is_set():
                kind = self.rng.choice(self.kinds)
                self.soak.record(getattr(self, "do_" + kind)())
                time.sleep(self.rng.uniform(0.02, 0.15))
        except Exception:
            self.soak.internal_error("%s: %s" % (self.name, traceback.format_exc()))

    def one_shot(self, kind, data, allowed, detail=""):
        """Sends bytes on a fresh connection; expects an allowed status or a close."""
        r = Result(kind, None, next_id("a"), now())
        r.allowed, r.detail = allowed, detail
        try:
            c = Conn(self.soak.gw.port, timeout=10)
        except OSError as e:
            r.outcome, r.detail, r.t1 = "connect-fail", str(e), now()
            return r
        try:
            try:
                c.send(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            resp = c.read_response()
            r.outcome, r.status = "status", resp.status
            protocol_error = 400 <= resp.status < 500 or resp.status in (501, 505)
            if protocol_error and not c.closed_by_peer(timeout=5):
                r.outcome = "no-close"
                r.detail += " %d but the connection stayed open 5 s" % resp.status
        except socket.timeout:
            r.outcome, r.detail = "hang", detail + " no reply or close within 10 s"
        except (ConnectionError, OSError) as e:
            r.outcome, r.detail = "close", "%s %s" % (detail, e)
        except ValueError as e:
            r.outcome, r.detail = "bad", "%s %s" % (detail, e)
        finally:
            c.close()
        r.t1 = now()
        return r

    def do_malformed(self):
        if self.rng.random() < 0.1:
            junk = bytes(self.rng.getrandbits(8) for _ in range(300)) + b"\r\n\r\n"
            return self.one_shot("malformed", junk, {400, 501, 505}, "random-bytes")
        name, data, allowed = self.rng.choice(self.cases)
        return self.one_shot("malformed", data, allowed, name)

    def do_oversize_header(self):
        if self.rng.random() < 0.5:
            extra = b"X-Big: " + b"a" * self.rng.randint(9000, 40000) + b"\r\n"
            name = "one-big-header"
        else:
            extra = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 40) for i in range(400))
            name = "many-headers"
        data = b"GET /sq/echo HTTP/1.1\r\nHost: soak.local\r\n" + extra + b"\r\n"
        return self.one_shot("oversize_header", data, {431, 400}, name)

    def do_oversize_uri(self):
        data = (b"GET /sq/echo?q=" + b"u" * self.rng.randint(5000, 20000) +
                b" HTTP/1.1\r\nHost: soak.local\r\n\r\n")
        return self.one_shot("oversize_uri", data, {414, 400, 431})

    def do_oversize_body(self):
        n = MAX_BODY + self.rng.randint(1, 4 << 20)
        data = (b"POST /bulk/upload HTTP/1.1\r\nHost: soak.local\r\n"
                b"Content-Length: %d\r\n\r\n" % n) + b"x" * 1000
        return self.one_shot("oversize_body", data, {413})

    def do_abort_upload(self):
        """Declares a 1-5 MB body, sends part of it, disconnects (FIN or RST)."""
        r = Result("abort_upload", "bulk", next_id("u"), now())
        n = self.rng.randint(1 << 20, 5 << 20)
        sent = self.rng.randint(1, n // 2)
        api = self.rng.choice(("bulk", "bulks", "direct"))
        r.api = api
        try:
            c = Conn(self.soak.gw.port, timeout=10)
        except OSError as e:
            r.outcome, r.detail, r.t1 = "connect-fail", str(e), now()
            return r
        try:
            c.send(c.head_bytes("POST", "/%s/upload?sid=%s" % (api, r.sid),
                                [("X-Soak-Id", r.sid), ("Content-Length", str(n))]))
            c.send(b"z" * sent)
            r.outcome, r.detail = "done", "sent %d of %d" % (sent, n)
        except socket.timeout:
            r.outcome, r.detail = "hang", "gateway stopped reading the upload for 10 s"
        except OSError as e:
            r.outcome, r.detail = "close", str(e)
        finally:
            c.rst_close() if self.rng.random() < 0.5 else c.close()
        r.t1 = now()
        return r

    def do_abort_download(self):
        """Asks for 2-5 MB, reads part of it, disconnects (FIN or RST)."""
        api = self.rng.choice(("bulk", "bulks", "direct"))
        r = Result("abort_download", api, next_id("d"), now())
        n = self.rng.randint(2 << 20, 5 << 20)
        want = self.rng.randint(0, 1 << 20)
        try:
            c = Conn(self.soak.gw.port, timeout=10)
        except OSError as e:
            r.outcome, r.detail, r.t1 = "connect-fail", str(e), now()
            return r
        try:
            c.send(c.head_bytes("GET", "/%s/big?n=%d&sid=%s" % (api, n, r.sid),
                                [("X-Soak-Id", r.sid)]))
            _, status, _, headers = c._read_head()
            if status != 200:
                r.outcome, r.status = "status", status  # judged like a normal request
            else:
                got = len(c.buf)
                while got < want:
                    data = c.sock.recv(65536)
                    if not data:
                        break
                    got += len(data)
                r.outcome, r.detail = "done", "read %d of %d body bytes" % (got, n)
        except socket.timeout:
            r.outcome, r.detail = "hang", "no byte for 10 s"
        except OSError as e:
            r.outcome, r.detail = "close", str(e)
        finally:
            c.rst_close() if self.rng.random() < 0.5 else c.close()
        r.t1 = now()
        return r


class SlowClient(threading.Thread):
    """Slowloris: request heads dribbled a byte at a time, then abandoned or held."""

    def __init__(self, soak, index):
        super().__init__(daemon=True, name="slow-%d" % index)
        self.soak = soak
        self.rng = random.Random(index * 15485863 + int(now()))

    def run(self):
        try:
            while not self.soak.stop.is_set():
                variant = self.rng.choice(("abandon", "abandon", "hold", "silent"))
                self.soak.record(self.dribble(variant))
        except Exception:
            self.soak.internal_error("%s: %s" % (self.name, traceback.format_exc()))

    def dribble(self, variant):
        kind = "slowloris_" + variant
        r = Result(kind, None, next_id("w"), now())
        r.allowed = {408}
        head = (b"GET /sq/echo?slow=1 HTTP/1.1\r\nHost: soak.local\r\n" +
                b"".join(b"X-Slow-%d: %s\r\n" % (i, b"s" * 20) for i in range(40)))
        # A dribbled head must end in 408 (or a close) by headerReadTimeoutInMillis; a
        # connection that sends nothing is closed by idleTimeoutInMillis.
        bound = (HEADER_TIMEOUT_MS if variant == "hold" else IDLE_TIMEOUT_MS) / 1000.0 + 5.0
        try:
            c = Conn(self.soak.gw.port, timeout=10)
        except OSError as e:
            r.outcome, r.detail, r.t1 = "connect-fail", str(e), now()
            return r
        try:
            if variant == "abandon":
                for b in head[:self.rng.randint(1, 60)]:
                    c.send(bytes([b]))
                    time.sleep(0.05)
                r.outcome, r.detail = "done", "abandoned mid-head"
                return r
            # hold/silent: the gateway must answer 408 or close within the header timeout.
            deadline = now() + bound
            i = 0
            while now() < deadline:
                if variant == "hold" and i < len(head):
                    try:
                        c.send(head[i:i + 1])
                    except OSError:
                        pass
                    i += 1
                readable, _, _ = select.select([c.sock], [], [], 0.25)
                if readable:
                    try:
                        resp = c.read_response()
                        r.outcome, r.status = "status", resp.status
                    except (ConnectionError, OSError) as e:
                        r.outcome, r.detail = "close", str(e)
                    except ValueError as e:
                        r.outcome, r.detail = "bad", str(e)
                    break
            else:
                r.outcome = "hang"
                r.detail = "neither 408 nor close after %.0f s" % bound
        finally:
            c.rst_close() if r.outcome == "hang" else c.close()
            r.t1 = now()
        return r


# ---------------------------------------------------------------------------
# Chaos and monitors
# ---------------------------------------------------------------------------

class Backend:
    """The soak backend process (http + https) with restart on the same ports."""

    def __init__(self, run_dir, cert, key, sabotage_log):
        self.run_dir = run_dir
        self.http_port = h.free_port()
        self.https_port = h.free_port()
        self.cert, self.key = cert, key
        self.sabotage_log = sabotage_log
        self.process = None

    def start(self):
        argv = [sys.executable, os.path.join(HERE, "soak_backend.py"),
                "--http-port", self.http_port, "--https-port", self.https_port,
                "--cert", self.cert, "--key", self.key, "--sabotage-log", self.sabotage_log,
                "--stall-seconds", STALL_SECONDS]
        env = dict(os.environ)
        env.pop("ASAN_OPTIONS", None)
        self.process = h.Process("backend", argv, self.run_dir, env=env, port=self.http_port)
        self.process.start(timeout=30)
        h.wait_for_port(h.LOOPBACK, self.https_port, timeout=30, process=self.process)
        return self

    def stop(self):
        if self.process is not None:
            self.process.stop(timeout=5)

    def url(self, tls, path="/"):
        return "%s://127.0.0.1:%d%s" % ("https" if tls else "http",
                                        self.https_port if tls else self.http_port, path)

    def chaos(self, **p):
        q = "&".join("%s=%s" % kv for kv in p.items())
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/__soak/chaos?%s"
                                        % (self.http_port, q), timeout=5) as resp:
                return resp.read().decode().strip()
        except OSError as e:
            return "chaos control failed: %s" % e


BACKGROUND_CHAOS = dict(reset=0.005, reset_mid=0.005, stall=0.005, stall_mid=0.003,
                        bad_status=0.003, bad_name=0.003)
RESET_BURST = dict(reset=0.12, reset_mid=0.08, stall=0.005, stall_mid=0.003)
STALL_BURST = dict(reset=0.005, reset_mid=0.005, stall=0.10, stall_mid=0.05)
GARBAGE_BURST = dict(reset=0, reset_mid=0, stall=0, stall_mid=0, bad_status=0.06, bad_name=0.06)
NO_CHAOS = dict(reset=0, reset_mid=0, stall=0, stall_mid=0, bad_status=0, bad_name=0)


class ChaosThread(threading.Thread):
    def __init__(self, soak):
        super().__init__(daemon=True, name="chaos")
        self.soak = soak
        self.log = []

    def note(self, text):
        line = "+%5.1fs %s" % (now() - START[0], text)
        self.log.append(line)
        print("  chaos " + line, flush=True)

    def at(self, fraction):
        """Sleeps until `fraction` of the soak; False when the soak is stopping."""
        t = START[0] + fraction * self.soak.seconds
        while now() < t:
            if self.soak.stop.wait(min(0.2, t - now())):
                return False
        return True

    def run(self):
        s = self.soak
        try:
            self.note("background backend chaos on: %s" % s.backend.chaos(**BACKGROUND_CHAOS))
            plan = [
                (0.12, self.restart_squid),
                (0.25, lambda: self.burst("backend resets", RESET_BURST, 0.10)),
                (0.42, self.restart_squid),
                (0.55, lambda: self.burst("backend stalls", STALL_BURST, 0.10)),
                (0.62, lambda: self.burst("backend garbage", GARBAGE_BURST, 0.06)),
                (0.70, self.restart_squid),
                (0.82, self.restart_backend),
            ]
            for fraction, action in plan:
                if not self.at(fraction):
                    break
                action()
        except Exception:
            s.internal_error("chaos: %s" % traceback.format_exc())
        finally:
            self.note("backend chaos off: %s" % s.backend.chaos(**NO_CHAOS))

    def burst(self, name, probabilities, fraction):
        w = self.soak.faults.begin(name, ALL_APIS)
        self.note("%s on: %s" % (name, self.soak.backend.chaos(**probabilities)))
        self.at((now() - START[0]) / self.soak.seconds + fraction)
        self.note("%s off: %s" % (name, self.soak.backend.chaos(**BACKGROUND_CHAOS)))
        self.soak.faults.end(w)

    def restart_squid(self):
        s = self.soak
        w = s.faults.begin("squid restart", SQUID_APIS)
        self.note("squid stop")
        s.squid.stop()
        h.wait_until(lambda: not h.port_open(h.LOOPBACK, s.squid.port), timeout=20,
                     what="squid port closed")
        time.sleep(1.5)
        s.squid.start()
        self.note("squid started again on port %d" % s.squid.port)
        s.faults.end(w)
        s.restarts["squid"] += 1

    def restart_backend(self):
        s = self.soak
        w = s.faults.begin("backend down", ALL_APIS)
        self.note("backend stop (process killed with its connections)")
        s.backend.stop()
        time.sleep(2.0)
        s.backend.start()
        self.note("backend started again: %s" % s.backend.chaos(**BACKGROUND_CHAOS))
        s.faults.end(w)
        s.restarts["backend"] += 1


class ReloadThread(threading.Thread):
    """SIGHUP every RELOAD_SECONDS, each with a changed configuration.

    Valid reloads add or remove an API (/extra), and every fourth one also
    changes httpClients.connectTimeoutInMillis, so each worker gets a new
    upstream connector while requests run on the old one. Every INVALID_EVERY-th
    reload adds a broken API file: the gateway must refuse it and keep serving.
    A reload is never a fault window: a request it breaks is a FAIL.
    """

    REFUSED = "configuration reload refused"
    RELOADED = "configuration reloaded"

    def __init__(self, soak):
        super().__init__(daemon=True, name="reload")
        self.soak = soak
        self.sent = collections.Counter()  # valid, invalid, unanswered

    def reload_lines(self):
        text = self.soak.gw.process.stderr_text()
        return text.count(self.RELOADED) + text.count(self.REFUSED)

    def write(self, path, text):
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)

    def prepare(self, n):
        gw = self.soak.gw
        broken = os.path.join(gw.apis_dir, "broken.yaml")
        extra = os.path.join(gw.apis_dir, "extra.yaml")
        if n % INVALID_EVERY == 0:
            self.write(broken, "openapi: 3.0.0\npaths: [\n")
            return "invalid"
        with contextlib.suppress(FileNotFoundError):
            os.remove(broken)
        if n % 2:
            self.write(extra, json.dumps(h.api_definition(
                "/extra", [self.soak.backend.url(False)], timeout_ms=API_TIMEOUT_MS)))
        else:
            with contextlib.suppress(FileNotFoundError):
                os.remove(extra)
        if n % 4 == 0:
            gw.conf = h.deep_merge(gw.conf, {"httpClients": {
                "connectTimeoutInMillis": 2000 + (n // 4) % 2}})
            self.write(gw.conf_path, gw.conf_text())
        return "valid"

    def run(self):
        s = self.soak
        n = 0
        try:
            while not s.stop.wait(RELOAD_SECONDS):
                n += 1
                kind = self.prepare(n)
                before = self.reload_lines()
                s.gw.process.send_signal(signal.SIGHUP)
                self.sent[kind] += 1
                try:
                    h.wait_until(lambda: self.reload_lines() > before, timeout=10,
                                 what="the reload log line")
                except TimeoutError:
                    self.sent["unanswered"] += 1
        except Exception:
            s.internal_error("reload: %s" % traceback.format_exc())
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(s.gw.apis_dir, "broken.yaml"))


class HealthThread(threading.Thread):
    """Polls /healthz every second and watches the gateway process."""

    def __init__(self, soak):
        super().__init__(daemon=True, name="health")
        self.soak = soak

    def run(self):
        s = self.soak
        while not s.stop.is_set():
            if not s.gw.process.running():
                s.gateway_died = "exited with %s at +%.1fs" % (s.gw.process.returncode(),
                                                              now() - START[0])
                s.stop.set()
                return
            r = Result("healthz", None, next_id("h"), now())
            r.allowed = {200}
            try:
                status, _, _ = s.gw.admin("/healthz", timeout=5)
                r.outcome, r.status = "status", status
            except socket.timeout:
                r.outcome = "hang"
            except (ConnectionError, OSError) as e:
                r.outcome, r.detail = "close", str(e)
            r.t1 = now()
            s.record(r)
            s.stop.wait(1.0)


# ---------------------------------------------------------------------------
# The soak
# ---------------------------------------------------------------------------

STEADY_KIND_NAMES = [k for k, _ in STEADY_KINDS]


class Soak:
    def __init__(self, args):
        self.args = args
        self.seconds = args.seconds
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.results = []
        self.errors = []
        self.gateway_died = None
        self.restarts = collections.Counter()
        self.run_dir = h.make_run_dir("mgw-soak-")
        self.faults = Faults(os.path.join(self.run_dir, "sabotage.log"))
        self.squid = self.backend = self.gw = None

    def record(self, r):
        with self.lock:
            self.results.append(r)

    def internal_error(self, text):
        with self.lock:
            self.errors.append(text)
        print("INTERNAL ERROR in the soak driver: " + text, file=sys.stderr, flush=True)

    # --- set-up -------------------------------------------------------------
    def setup(self):
        print("run folder: %s" % self.run_dir, flush=True)
        ca = h.TestCA(os.path.join(self.run_dir, "ca"))
        cert, key = ca.issue()
        self.backend = Backend(self.run_dir, cert, key, self.faults.sabotage_log).start()
        self.squid = h.Squid(auth=True, password=PASSWORD).start()
        sq = {"enabled": True, "host": h.LOOPBACK, "port": self.squid.port,
              "username": self.squid.username, "password": PASSWORD}
        bulk_timeout = self.args.bulk_timeout_ms
        apis = {
            "sq": h.api_definition("/sq", [self.backend.url(False)], timeout_ms=API_TIMEOUT_MS),
            "sqs": h.api_definition("/sqs", [self.backend.url(True)], timeout_ms=API_TIMEOUT_MS),
            "bulk": h.api_definition("/bulk", [self.backend.url(False)], timeout_ms=bulk_timeout),
            "bulks": h.api_definition("/bulks", [self.backend.url(True)],
                                      timeout_ms=bulk_timeout),
            "direct": h.api_definition("/direct", [self.backend.url(False)],
                                       timeout_ms=API_TIMEOUT_MS,
                                       endpoint_extra={"proxy": "none"}),
        }
        conf = {
            "listenerConfig": {"workers": 2, "headerReadTimeoutInMillis": HEADER_TIMEOUT_MS,
                               "idleTimeoutInMillis": IDLE_TIMEOUT_MS,
                               "drainTimeoutInMillis": DRAIN_TIMEOUT_MS,
                               "maxHeaderSize": 8192, "maxUriLength": 4096,
                               "maxEntityBodySize": MAX_BODY},
            "httpClients": {"connectTimeoutInMillis": 2000, "trustStorePath": ca.cert_path,
                            "proxy": sq},
        }
        self.gw = h.Microgw(apis, conf=conf, binary=self.args.binary)
        self.gw.start(timeout=60)
        print("microgw pid %d on :%d (admin :%d), squid :%d, backend http :%d https :%d"
              % (self.gw.process.pid, self.gw.port, self.gw.admin_port, self.squid.port,
                 self.backend.http_port, self.backend.https_port), flush=True)
        # Smoke: every API answers before the chaos starts.
        for api in ALL_APIS:
            status, _, body = self.gw.request("GET", "/%s/echo?smoke=1" % api, timeout=30)
            if status != 200:
                raise RuntimeError("smoke request to /%s answered %d: %s"
                                   % (api, status, body[:300]))

    def teardown(self):
        for d in (self.gw, self.squid):
            if d is not None:
                with contextlib.suppress(Exception):
                    d.stop()
        if self.backend is not None:
            self.backend.stop()

    # --- the run ------------------------------------------------------------
    def run(self):
        START[0] = now()
        threads = ([SteadyClient(self, i) for i in range(self.args.steady)] +
                   [AbusiveClient(self, i) for i in range(self.args.abusive)] +
                   [SlowClient(self, i) for i in range(self.args.slow)])
        self.chaos = ChaosThread(self)
        self.reloader = ReloadThread(self)
        health = HealthThread(self)
        print("soak: %d s, %d steady + %d abusive + %d slowloris client threads"
              % (self.seconds, self.args.steady, self.args.abusive, self.args.slow), flush=True)
        for t in threads + [self.chaos, self.reloader, health]:
            t.start()
        end = START[0] + self.seconds
        while now() < end and not self.stop.is_set():
            self.stop.wait(min(5.0, end - now()))
            if not self.stop.is_set():
                print("  +%3.0fs %d requests" % (now() - START[0], len(self.results)), flush=True)
        self.stop.set()
        stuck = []
        join_deadline = now() + READ_TIMEOUT + 15
        for t in threads + [self.chaos, self.reloader, health]:
            t.join(max(0.1, join_deadline - now()))
            if t.is_alive():
                stuck.append(t.name)
        self.stuck = stuck
        self.elapsed = now() - START[0]

    # --- verdicts -----------------------------------------------------------
    def judge(self):
        sabotaged = self.faults.sabotaged()
        self.sabotaged = sabotaged
        for r in self.results:
            r.verdict = self.verdict(r, sabotaged)

    def verdict(self, r, sabotaged):
        """ok | explained | warn | FAIL."""
        if r.outcome in ("hang", "bad", "corrupt", "no-close", "connect-fail", None):
            if r.outcome == "corrupt" and sabotaged.get(r.sid, "garbage") not in GARBAGE_ACTIONS:
                return "explained"
            return "FAIL"
        if r.allowed is not None:  # abusive kinds and healthz
            if r.outcome == "status":
                return "ok" if r.status in r.allowed else "FAIL"
            return "ok"  # clean close / done
        if sabotaged.get(r.sid) in GARBAGE_ACTIONS:
            # A response no gateway may pass on: exactly 502, or a close.
            if r.outcome == "status" and r.status != 502:
                r.detail = "[%s] want 502; %s" % (sabotaged[r.sid], r.detail)
                return "FAIL"
            return "explained"
        if r.outcome == "done":
            return "ok"
        if r.outcome == "status" and 200 <= r.status < 300:
            return "ok"
        cause = sabotaged.get(r.sid) or self.faults.overlaps(r.api, r.t0, r.t1)
        if not cause and r.prev in sabotaged and r.outcome == "close":
            cause = "pipelined after %s %s" % (r.prev, sabotaged[r.prev])
        if r.outcome == "status":
            if r.status in FAULT_STATUSES and cause:
                r.detail = ("[%s] " % cause) + r.detail
                return "explained"
            return "FAIL"
        # A clean close of a normal request: acceptable, but say when nothing explains it.
        if cause:
            r.detail = ("[%s] " % cause) + r.detail
            return "explained"
        return "warn"

    # --- final checks -------------------------------------------------------
    def final_checks(self):
        checks = []

        def check(name, ok, detail=""):
            checks.append((name, bool(ok), detail))

        alive = self.gw.process.running()
        check("gateway alive after the soak", alive and not self.gateway_died,
              self.gateway_died or "pid %d" % self.gw.process.pid)
        check("no client thread stuck", not self.stuck, ", ".join(self.stuck))
        check("driver ran without internal errors", not self.errors,
              (self.errors[0].splitlines()[-1] if self.errors else ""))
        check("chaos happened (3 Squid restarts, 1 backend restart)",
              self.restarts["squid"] >= 3 and self.restarts["backend"] >= 1,
              "squid %d, backend %d" % (self.restarts["squid"], self.restarts["backend"]))
        sent = self.reloader.sent
        check("reloads happened (SIGHUP every %.2f s)" % RELOAD_SECONDS,
              sent["valid"] >= 1 and (sent["invalid"] >= 1 or self.seconds < 30),
              "%d valid, %d invalid" % (sent["valid"], sent["invalid"]))
        check("every SIGHUP answered by a reload log line", sent["unanswered"] == 0,
              "%d unanswered" % sent["unanswered"])
        self.metrics_after = {}
        if alive:
            self.backend.chaos(**NO_CHAOS)
            if not self.squid.running():
                self.squid.start()
            time.sleep(1.0)
            try:
                status, _, _ = self.gw.admin("/healthz", timeout=10)
                check("/healthz is 200", status == 200, "got %d" % status)
            except OSError as e:
                check("/healthz is 200", False, str(e))
            for api in ("sq", "sqs", "direct"):
                name = "final GET /%s/echo%s" % (api, " (through Squid)" if api != "direct" else "")
                try:
                    status, _, body = self.gw.request("GET", "/%s/echo?final=1" % api,
                                                      headers={"X-Soak-Final": "1"}, timeout=15)
                    ok = status == 200 and json.loads(body).get("args") == {"final": "1"}
                    check(name, ok, "%d %s" % (status, body[:200] if not ok else ""))
                except (OSError, ValueError) as e:
                    check(name, False, str(e))
            try:
                status, _, body = self.gw.request("POST", "/sq/echo?final=2", body=b"f" * 100000,
                                                  timeout=15)
                ok = status == 200 and json.loads(body).get("body_length") == 100000
                check("final POST 100 kB through Squid", ok, "%d" % status)
            except (OSError, ValueError) as e:
                check("final POST 100 kB through Squid", False, str(e))
            with contextlib.suppress(Exception):
                time.sleep(0.5)
                m = self.gw.metrics()
                self.metrics_after = m
                active = h.metric_sum(m, "microgw_downstream_connections_active")
                # The /metrics request itself is on the admin listener, not counted here.
                check("downstream connections back to 0 after the clients left", active <= 0,
                      "microgw_downstream_connections_active = %g" % active)
                ok_reloads = m.get('microgw_config_reloads_total{result="success"}', 0)
                bad_reloads = m.get('microgw_config_reloads_total{result="failure"}', 0)
                check("reloads counted: every valid one applied, every invalid one refused",
                      ok_reloads == sent["valid"] and bad_reloads == sent["invalid"],
                      "success %g (sent %d), failure %g (sent %d)"
                      % (ok_reloads, sent["valid"], bad_reloads, sent["invalid"]))
            # SIGTERM with a request in flight: it is answered, then the gateway exits 0
            # within drainTimeoutInMillis.
            inflight = {}

            def slow_request():
                try:
                    inflight["status"] = self.gw.request("GET", "/bulk/slow?ms=800",
                                                         timeout=15)[0]
                except OSError as e:
                    inflight["status"] = str(e)

            t = threading.Thread(target=slow_request, daemon=True)
            t.start()
            time.sleep(0.3)
            t0 = now()
            self.gw.process.send_signal(signal.SIGTERM)
            bound = DRAIN_TIMEOUT_MS / 1000.0
            rc = None
            try:
                rc = self.gw.process.popen.wait(timeout=bound + 5)
            except Exception:
                pass
            took = now() - t0
            if rc is None:
                self.gw.process.stop(timeout=1)
                rc = self.gw.process.returncode()
            t.join(15)
            check("SIGTERM: the request in flight is still answered (200)",
                  inflight.get("status") == 200, "got %s" % inflight.get("status"))
            check("SIGTERM: exit 0 within the drain timeout (%.0f s)" % bound,
                  rc == 0 and took <= bound, "exit %s after %.1f s" % (rc, took))
        else:
            check("/healthz is 200", False, "gateway not running")
        text = self.gw.process.stderr_text() + self.gw.process.stdout_text()
        bad = [l for l in text.splitlines() if any(m in l for m in SANITIZER_MARKERS)]
        check("no AddressSanitizer / LeakSanitizer / 'runtime error:' lines", not bad,
              "%d line(s), first: %s" % (len(bad), bad[0][:160]) if bad else "")
        self.checks = checks
        self.sanitizer_report = self.sanitizer_excerpt(text) if bad else ""
        return checks

    @staticmethod
    def sanitizer_excerpt(text, limit=80):
        lines = text.splitlines()
        for i, l in enumerate(lines):
            if any(m in l for m in SANITIZER_MARKERS):
                return "\n".join(lines[max(0, i - 3):i + limit])
        return ""

    # --- report -------------------------------------------------------------
    def report(self):
        kinds = STEADY_KIND_NAMES + [k for k, _ in AbusiveClient.KINDS] + [
            "slowloris_abandon", "slowloris_hold", "slowloris_silent", "healthz"]
        by_kind = collections.defaultdict(list)
        for r in self.results:
            by_kind[r.kind].append(r)
        print()
        print("=" * 100)
        print("microgw soak: %.0f s, %d requests, squid restarts %d, backend restarts %d, "
              "backend sabotaged %d requests (%s)"
              % (self.elapsed, len(self.results), self.restarts["squid"],
                 self.restarts["backend"], len(self.sabotaged),
                 ", ".join("%s %d" % kv for kv in
                           sorted(collections.Counter(self.sabotaged.values()).items()))))
        print("fault windows: " + "; ".join(self.faults.events))
        print("-" * 100)
        print("%-18s %6s %6s %9s %5s %5s  %s" % ("kind", "n", "ok", "explained", "warn", "FAIL",
                                                 "outcomes (status or close/done/hang/...)"))
        print("-" * 100)
        totals = collections.Counter()
        for kind in kinds + sorted(set(by_kind) - set(kinds)):
            rs = by_kind.get(kind, [])
            v = collections.Counter(r.verdict for r in rs)
            outcomes = collections.Counter(r.label() for r in rs)
            totals.update(v)
            totals["n"] += len(rs)
            print("%-18s %6d %6d %9d %5d %5d  %s" % (
                kind, len(rs), v["ok"], v["explained"], v["warn"], v["FAIL"],
                " ".join("%s:%d" % kv for kv in sorted(outcomes.items()))))
        print("-" * 100)
        print("%-18s %6d %6d %9d %5d %5d" % ("TOTAL", totals["n"], totals["ok"],
                                             totals["explained"], totals["warn"],
                                             totals["FAIL"]))
        print("=" * 100)
        fails = [r for r in self.results if r.verdict == "FAIL"]
        warns = [r for r in self.results if r.verdict == "warn"]
        if fails:
            print("FAILED requests (first 25 of %d):" % len(fails))
            for r in fails[:25]:
                print("  " + r.describe())
        if warns:
            print("unexplained clean closes of normal requests (first 10 of %d):" % len(warns))
            for r in warns[:10]:
                print("  " + r.describe())
        print("invariants:")
        for name, ok, detail in self.checks:
            print("  [%s] %s%s" % ("PASS" if ok else "FAIL", name,
                                   (": " + detail) if detail else ""))
        if self.sanitizer_report:
            print("sanitizer report (excerpt):")
            print(self.sanitizer_report)
        requests_ok = not fails
        passed = requests_ok and all(ok for _, ok, _ in self.checks)
        print("  [%s] every request: expected status or clean close, no hang (%d failed)"
              % ("PASS" if requests_ok else "FAIL", len(fails)))
        print("RESULT: %s  (logs: %s)" % ("PASS" if passed else "FAIL", self.run_dir))
        self.write_json()
        return passed

    def write_json(self):
        path = os.path.join(self.run_dir, "results.jsonl")
        with open(path, "w") as f:
            for r in self.results:
                f.write(json.dumps({k: getattr(r, k) for k in Result.__slots__
                                    if k != "allowed"}) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=os.environ.get("MICROGW_BIN"), required=False)
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", "60")))
    ap.add_argument("--steady", type=int, default=int(os.environ.get("SOAK_STEADY", "4")))
    ap.add_argument("--abusive", type=int, default=int(os.environ.get("SOAK_ABUSIVE", "2")))
    ap.add_argument("--slow", type=int, default=int(os.environ.get("SOAK_SLOW", "2")))
    ap.add_argument("--bulk-timeout-ms", type=int,
                    default=int(os.environ.get("SOAK_BULK_TIMEOUT_MS", str(API_TIMEOUT_MS))))
    args = ap.parse_args()
    if not args.binary:
        ap.error("--binary (or MICROGW_BIN) is required")
    os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
    os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    soak = Soak(args)
    passed = False
    try:
        soak.setup()
        soak.run()
        soak.judge()
        soak.final_checks()
        passed = soak.report()
    except Exception:
        traceback.print_exc()
        if soak.gw is not None and soak.gw.process is not None:
            print(soak.gw.process.output_tail(60), file=sys.stderr)
    finally:
        soak.teardown()
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
