"""Proxy failure integration tests: microgw against misbehaving proxies and backends.

FakeProxyFailureTest runs the gateway against a small forward proxy written
here whose behaviour is chosen by the CONNECT target's port: it drops a tunnel
mid-response, never answers, answers 503/504, answers garbage, or (any other
port) relays honestly to the test backend. SquidFailureTest runs it through
real Squid: a backend that resets, 5 MB each way, pipelining and tunnel reuse.
Each class ends by checking that the gateway survived everything before it.

Run under Bazel (//test/integration:proxy_failure_test, tags no-sandbox) or
directly as root: MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
    /usr/bin/python3 -m unittest test/integration/proxy_failure_test.py
"""

import contextlib
import hashlib
import http.client
import json
import socket
import threading
import time
import unittest

import mgw_harness as h

PASSWORD = "Fp-pass-3b8e21"  # distinctive, so a leak is easy to spot
CONNECT_TIMEOUT_MS = 1000
ROUTE_TIMEOUT_MS = 300  # shorter than CONNECT_TIMEOUT_MS
FIVE_MB = 5 * 1024 * 1024
DROP_CONTENT_LENGTH = 100000


def require_binary():
    if not h.find_microgw():
        raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")


def read_head(sock, limit=65536):
    """Reads up to the end of an HTTP head; returns (head, leftover) or (None, data) on EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return None, data
        data += chunk
        if len(data) > limit:
            return None, data
    head, _, rest = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


class FakeProxy:
    """A forward proxy on a free loopback port that misbehaves on purpose.

    behaviours: {target_port: method name}; any other target is relayed to
    127.0.0.1:<port> like an honest proxy. Records every CONNECT head.
    """

    def __init__(self, behaviours):
        self.behaviours = dict(behaviours)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((h.LOOPBACK, 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.connect_heads = []
        self.held = []  # sockets kept open on purpose (silent proxy)
        self.closing = False
        self.thread = threading.Thread(target=self._accept_loop, daemon=True, name="fake-proxy")

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.closing = True
        with contextlib.suppress(OSError):
            self.sock.close()
        with self.lock:
            held, self.held = self.held, []
        for s in held:
            with contextlib.suppress(OSError):
                s.close()

    def _hold(self, s):
        with self.lock:
            self.held.append(s)

    def _accept_loop(self):
        while not self.closing:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            conn.settimeout(h.scaled(60))
            head, rest = read_head(conn)
            if head is None:
                conn.close()
                return
            with self.lock:
                self.connect_heads.append(head.decode("latin-1"))
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, target = request_line.split(" ")[:2]
            port = int(target.rsplit(":", 1)[1]) if method == "CONNECT" else 0
            getattr(self, "_" + self.behaviours.get(port, "relay"))(conn, port, rest)
        except (OSError, ValueError, IndexError):
            with contextlib.suppress(OSError):
                conn.close()

    # --- behaviours ---------------------------------------------------------
    def _drop_mid_response(self, conn, port, rest):
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        read_head(conn)  # the gateway's request
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                     b"Content-Length: %d\r\n\r\n" % DROP_CONTENT_LENGTH)
        conn.sendall(b"x" * (DROP_CONTENT_LENGTH // 2))
        conn.close()  # the tunnel dies mid-body

    def _silent(self, conn, port, rest):
        self._hold(conn)  # accept TCP, never answer CONNECT

    def _answer(self, conn, status_line):
        conn.sendall(b"HTTP/1.1 " + status_line + b"\r\nContent-Length: 0\r\n"
                     b"Connection: close\r\n\r\n")
        self._hold(conn)

    def _status503(self, conn, port, rest):
        self._answer(conn, b"503 Service Unavailable")

    def _status504(self, conn, port, rest):
        self._answer(conn, b"504 Gateway Timeout")

    def _garbage(self, conn, port, rest):
        conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\x00\xff\xfe garbage\r\n\r\n")
        self._hold(conn)

    def _relay(self, conn, port, rest):
        try:
            up = socket.create_connection((h.LOOPBACK, port), timeout=h.scaled(10))
        except OSError:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            conn.close()
            return
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        conn.settimeout(None)
        up.settimeout(None)
        if rest:
            up.sendall(rest)
        t = threading.Thread(target=_pipe, args=(up, conn), daemon=True)
        t.start()
        _pipe(conn, up)
        t.join(h.scaled(30))
        for s in (conn, up):
            with contextlib.suppress(OSError):
                s.close()


def _pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)


def raw_exchange(port, request, timeout):
    """Sends `request`, reads until the peer closes or resets; returns (data, how, seconds)."""
    start = time.monotonic()
    s = socket.create_connection((h.LOOPBACK, port), timeout=timeout)
    s.settimeout(timeout)
    data = b""
    how = "closed"
    try:
        s.sendall(request)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        how = "reset"
    except socket.timeout:
        how = "hanging"
    finally:
        s.close()
    return data, how, time.monotonic() - start


class GatewayTestBase(unittest.TestCase):
    gw = None

    def request(self, method, path, body=None, headers=None, timeout=30.0):
        return self.gw.request(method, path, body=body, headers=headers, timeout=timeout)

    def assert_reply(self, path, status, *patterns):
        got, _, body = self.request("GET", path)
        text = body.decode(errors="replace")
        self.assertEqual(got, status, text)
        for p in patterns:
            self.assertRegex(text, p)
        return text

    def assert_gateway_serves(self, path):
        self.assertTrue(self.gw.running(), "microgw died:\n%s" % self.gw.process.output_tail())
        status, _, body = self.gw.admin("/healthz")
        self.assertEqual(status, 200, body[:300])
        status, _, body = self.request("GET", path)
        self.assertEqual(status, 200, body[:500])
        return json.loads(body)


class FakeProxyFailureTest(GatewayTestBase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.backend = h.TestBackend().start()
        ports = {name: h.free_port() for name in
                 ("drop", "silent", "p503", "p504", "garbage")}
        cls.silent_port = ports["silent"]
        cls.proxy = FakeProxy({
            ports["drop"]: "drop_mid_response",
            ports["silent"]: "silent",
            ports["p503"]: "status503",
            ports["p504"]: "status504",
            ports["garbage"]: "garbage",
        }).start()
        apis = {name: h.api_definition("/" + name, ["http://127.0.0.1:%d/" % port])
                for name, port in ports.items()}
        apis["ok"] = h.api_definition("/ok", [cls.backend.url("/")])
        apis["silentroute"] = h.api_definition(
            "/silentroute", ["http://127.0.0.1:%d/" % ports["silent"]],
            timeout_ms=ROUTE_TIMEOUT_MS)
        conf = {"httpClients": {
            "connectTimeoutInMillis": CONNECT_TIMEOUT_MS,
            "proxy": {"enabled": True, "host": h.LOOPBACK, "port": cls.proxy.port,
                      "username": "gwuser", "password": PASSWORD},
        }}
        cls.gw = h.Microgw(apis, conf=conf)
        try:
            cls.gw.start()
        except Exception:
            cls.gw.cleanup()
            cls.proxy.stop()
            cls.backend.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.cleanup()
        cls.proxy.stop()
        cls.backend.stop()

    def test_relay_works_and_sends_credentials(self):
        e = self.assert_gateway_serves("/ok/echo?x=1")
        self.assertEqual(e["args"], {"x": "1"})
        heads = [x for x in self.proxy.connect_heads if "127.0.0.1:%d" % self.backend.port in x]
        self.assertTrue(heads)
        self.assertRegex(heads[0], r"(?i)proxy-authorization: basic ")

    def test_tunnel_dropped_mid_response_closes_client(self):
        data, how, seconds = raw_exchange(
            self.gw.port, b"GET /drop/big HTTP/1.1\r\nHost: gw\r\n\r\n", timeout=h.scaled(20))
        self.assertNotEqual(how, "hanging", "client left hanging with %d bytes" % len(data))
        self.assertLess(seconds, h.scaled(10))
        head, _, body = data.partition(b"\r\n\r\n")
        # The response is streamed: its head went out, so the only honest signal
        # left is a cut connection with the body short of its Content-Length.
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), data[:200])
        self.assertIn(b"Content-Length: %d" % DROP_CONTENT_LENGTH, head)
        self.assertLess(len(body), DROP_CONTENT_LENGTH)

    def test_proxy_never_answers_connect_504_after_connect_timeout(self):
        start = time.monotonic()
        text = self.assert_reply("/silent/echo", 504, r"(?i)timed out",
                                 r"%d ms" % CONNECT_TIMEOUT_MS)
        seconds = time.monotonic() - start
        self.assertGreaterEqual(seconds, 0.8 * CONNECT_TIMEOUT_MS / 1000.0, text)
        self.assertLess(seconds, h.scaled(6), text)

    def test_silent_proxy_named_when_route_timeout_is_shorter(self):
        # Regression (issue 6): this said "the backend ... did not answer".
        start = time.monotonic()
        text = self.assert_reply(
            "/silentroute/echo", 504,
            r"proxy 127\.0\.0\.1:%d accepted the connection but did not answer the CONNECT "
            r"127\.0\.0\.1:%d within %d ms" % (self.proxy.port, self.silent_port, ROUTE_TIMEOUT_MS),
            r"advanceEndpointConfig\.timeoutInMillis")
        self.assertNotIn("backend http", text)
        self.assertLess(time.monotonic() - start, CONNECT_TIMEOUT_MS / 1000.0, text)
        self.assertRegex(self.gw.log_text(), r"did not answer the CONNECT")

    def test_proxy_503_gives_502(self):
        self.assert_reply("/p503/echo", 502, r"(?i)proxy", r"503")

    def test_proxy_504_gives_504(self):
        self.assert_reply("/p504/echo", 504, r"(?i)proxy", r"504")

    def test_proxy_garbage_gives_502(self):
        text = self.assert_reply("/garbage/echo", 502, r"(?i)proxy", r"(?i)invalid")
        self.assertNotIn(PASSWORD, text)

    def test_zz_gateway_survives_failures(self):
        # Runs last (alphabetical order): after every failure above.
        self.assert_gateway_serves("/ok/echo")
        self.assertNotIn(PASSWORD, self.gw.log_text())


class SquidFailureTest(GatewayTestBase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.backend = h.TestBackend().start()
        cls.squid = None
        cls.gw = None
        try:
            cls.squid = h.Squid(auth=True, password=PASSWORD).start()
            apis = {"plain": h.api_definition("/plain", [cls.backend.url("/")])}
            conf = {"httpClients": {
                "proxy": {"enabled": True, "host": h.LOOPBACK, "port": cls.squid.port,
                          "username": cls.squid.username, "password": PASSWORD},
            }}
            cls.gw = h.Microgw(apis, conf=conf)
            cls.gw.start()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.gw is not None:
            cls.gw.cleanup()
        if cls.squid is not None:
            cls.squid.cleanup()
        cls.backend.stop()

    def test_backend_reset_gives_502_with_clear_message(self):
        text = self.assert_reply("/plain/reset", 502, r"(?i)closed|reset")
        self.assertRegex(text, r"127\.0\.0\.1:%d" % self.backend.port)

    def test_upload_5mb_byte_exact(self):
        body = hashlib.sha256(b"seed").digest() * (FIVE_MB // 32)
        self.assertEqual(len(body), FIVE_MB)
        status, _, data = self.request("POST", "/plain/upload", body=body,
                                       headers={"Content-Type": "application/octet-stream"},
                                       timeout=90)
        self.assertEqual(status, 200, data[:300])
        e = json.loads(data)
        self.assertEqual(e["body_length"], FIVE_MB)
        self.assertEqual(e["body_sha256"], h.sha256(body))

    def test_download_5mb_byte_exact(self):
        status, _, data = self.request("GET", "/plain/big?n=%d" % FIVE_MB, timeout=90)
        self.assertEqual(status, 200, data[:300])
        self.assertEqual(len(data), FIVE_MB)
        self.assertEqual(h.sha256(data), h.sha256(h.big_body(FIVE_MB)))

    def test_pipelined_requests_answered_in_order(self):
        with self.gw.raw(timeout=30) as c:
            c.send(b"".join(b"GET /plain/echo?i=%d HTTP/1.1\r\nHost: gw\r\n\r\n" % i
                            for i in range(5)))
            for i in range(5):
                r = c.read_response()
                self.assertEqual(r.status, 200, r.body[:300])
                self.assertEqual(r.json()["args"], {"i": str(i)})

    def test_keepalive_load_reuses_tunnels(self):
        before = h.metric_sum(self.gw.metrics(), "microgw_proxy_tunnels_total", 'result="reused"')
        c = http.client.HTTPConnection(h.LOOPBACK, self.gw.port, timeout=h.scaled(30))
        self.addCleanup(c.close)
        for i in range(50):
            c.request("GET", "/plain/echo?n=%d" % i)
            r = c.getresponse()
            body = r.read()
            self.assertEqual(r.status, 200, body[:300])
        after = h.metric_sum(self.gw.metrics(), "microgw_proxy_tunnels_total", 'result="reused"')
        self.assertGreaterEqual(after - before, 45, "tunnels reused: %s -> %s" % (before, after))

    def test_zz_gateway_survives_failures(self):
        e = self.assert_gateway_serves("/plain/echo?after=failures")
        self.assertEqual(e["args"], {"after": "failures"})


def assert_no_proxy_page(test, text):
    for leak in ("<html", "<HTML", "squid/", "microgw-test-squid", "tinyproxy/", PASSWORD):
        test.assertNotIn(leak, text)


class SquidForwardModeTest(GatewayTestBase):
    """httpMode = "forward" through real Squid: the proxy's own answers (its 407,
    its error pages) become the CONNECT-mode 502/504, and the backend's own
    error answers still pass. Regression for issue 6, defect 6."""

    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.backend = h.TestBackend().start()
        cls.squid = None
        cls.gws = []
        try:
            cls.squid = h.Squid(auth=True, password=PASSWORD).start()
            apis = {"plain": h.api_definition("/plain", [cls.backend.url("/")]),
                    "down": h.api_definition("/down", ["http://127.0.0.1:%d/" % h.free_port()])}

            def gateway(password):
                conf = {"httpClients": {"proxy": {
                    "enabled": True, "host": h.LOOPBACK, "port": cls.squid.port,
                    "username": cls.squid.username, "password": password,
                    "httpMode": "forward"}}}
                gw = h.Microgw(apis, conf=conf)
                cls.gws.append(gw)
                return gw.start()

            cls.gw = gateway(PASSWORD)
            cls.bad_gw = gateway("wrong-" + PASSWORD[::-1])
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for gw in cls.gws:
            gw.cleanup()
        if cls.squid is not None:
            cls.squid.cleanup()
        cls.backend.stop()

    def test_wrong_credentials_give_connect_mode_502(self):
        status, _, body = self.bad_gw.request("GET", "/plain/echo")
        text = body.decode(errors="replace")
        self.assertEqual(status, 502, text)
        self.assertIn("proxy authentication failed", text)
        self.assertIn("httpClients.proxy.username/password", text)
        assert_no_proxy_page(self, text)
        log = self.bad_gw.log_text()
        self.assertRegex(log, r"proxy 127\.0\.0\.1:%d answered a request for 127\.0\.0\.1:%d "
                              r"\(forward mode\) itself with 407" % (self.squid.port,
                                                                     self.backend.port))
        self.assertIn("ERR_CACHE_ACCESS_DENIED", log)
        self.assertNotIn(PASSWORD, log)
        m = self.bad_gw.metrics()
        self.assertGreaterEqual(h.metric_sum(m, "microgw_upstream_connect_failures_total",
                                             'reason="auth"'), 1)
        self.assertGreaterEqual(h.metric_sum(m, "microgw_proxy_tunnel_failures_total",
                                             'reason="auth"'), 1)

    def test_backend_down_gives_502_not_squid_page(self):
        status, _, body = self.gw.request("GET", "/down/echo")
        text = body.decode(errors="replace")
        self.assertEqual(status, 502, text)
        self.assertIn("proxy could not reach the backend", text)
        self.assertIn("ERR_CONNECT_FAIL", text)
        assert_no_proxy_page(self, text)

    def test_backend_error_answer_passes_through(self):
        status, _, body = self.gw.request("GET", "/plain/status/503")
        self.assertEqual(status, 503, body[:300])
        self.assertNotIn(b"proxy", body)
        e = self.assert_gateway_serves("/plain/echo?fwd=1")
        self.assertEqual(e["args"], {"fwd": "1"})


class TinyproxyForwardModeTest(GatewayTestBase):
    """tinyproxy's own error page ("500 Unable to connect", Server: tinyproxy,
    no Via) is the proxy's; a backend answer it relays carries its Via."""

    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.backend = h.TestBackend().start()
        cls.tinyproxy = None
        cls.gw = None
        try:
            cls.tinyproxy = h.Tinyproxy().start()
            apis = {"plain": h.api_definition("/plain", [cls.backend.url("/")]),
                    "down": h.api_definition("/down", ["http://127.0.0.1:%d/" % h.free_port()])}
            conf = {"httpClients": {"proxy": {
                "enabled": True, "host": h.LOOPBACK, "port": cls.tinyproxy.port,
                "httpMode": "forward"}}}
            cls.gw = h.Microgw(apis, conf=conf).start()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.gw is not None:
            cls.gw.cleanup()
        if cls.tinyproxy is not None:
            cls.tinyproxy.cleanup()
        cls.backend.stop()

    def test_backend_down_gives_502(self):
        status, _, body = self.gw.request("GET", "/down/echo")
        text = body.decode(errors="replace")
        self.assertEqual(status, 502, text)
        self.assertIn("proxy could not reach the backend", text)
        assert_no_proxy_page(self, text)

    def test_backend_error_answer_passes_through(self):
        status, _, body = self.gw.request("GET", "/plain/status/503")
        self.assertEqual(status, 503, body[:300])


class UpstreamLimitsTest(GatewayTestBase):
    """[listenerConfig] requestBodyTimeoutInMillis and [httpClients.poolConfig]
    maxActiveConnections / waitTimeInMillis, direct to the test backend."""

    BODY_TIMEOUT_MS = 1000
    WAIT_MS = 300

    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.backend = h.TestBackend().start()
        conf = {"listenerConfig": {"requestBodyTimeoutInMillis": cls.BODY_TIMEOUT_MS},
                "httpClients": {"poolConfig": {"maxActiveConnections": 1,
                                               "waitTimeInMillis": cls.WAIT_MS}}}
        cls.gw = h.Microgw({"plain": h.api_definition("/plain", [cls.backend.url("/")])},
                           conf=conf)
        try:
            cls.gw.start()
        except Exception:
            cls.gw.cleanup()
            cls.backend.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.cleanup()
        cls.backend.stop()

    def test_trickled_body_gets_408_and_frees_the_upstream(self):
        # Regression (issue 6): 1 byte per interval kept the upstream connection forever.
        s = socket.create_connection((h.LOOPBACK, self.gw.port), timeout=h.scaled(10))
        self.addCleanup(s.close)
        s.sendall(b"POST /plain/upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\n")
        start = time.monotonic()
        s.settimeout(0.25)
        data = b""
        sent = 0
        while time.monotonic() - start < h.scaled(8) and b"\r\n\r\n" not in data:
            with contextlib.suppress(OSError):
                s.sendall(b"x")
                sent += 1
            try:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            except socket.timeout:
                pass
        seconds = time.monotonic() - start
        self.assertTrue(data.startswith(b"HTTP/1.1 408"), (sent, data[:300]))
        self.assertIn(b"requestBodyTimeoutInMillis", data)
        self.assertIn(b"Connection: close", data)
        self.assertGreaterEqual(seconds, 0.8 * self.BODY_TIMEOUT_MS / 1000.0)
        # The one allowed upstream connection is free again at once.
        e = self.assert_gateway_serves("/plain/echo?after=trickle")
        self.assertEqual(e["args"], {"after": "trickle"})

    def test_over_max_active_connections_waits_then_503(self):
        slow = threading.Thread(target=self.request, args=("GET", "/plain/slow?ms=2000"),
                                daemon=True)
        slow.start()
        self.addCleanup(slow.join, h.scaled(10))
        h.wait_until(lambda: [r for r in list(self.backend.records) if r["path"].endswith("/slow")],
                     timeout=10, what="the slow request at the backend")
        start = time.monotonic()
        status, _, body = self.request("GET", "/plain/echo")
        seconds = time.monotonic() - start
        text = body.decode(errors="replace")
        self.assertEqual(status, 503, text)
        self.assertIn("httpClients.poolConfig.maxActiveConnections", text)
        self.assertIn("waitTimeInMillis", text)
        self.assertGreaterEqual(seconds, 0.8 * self.WAIT_MS / 1000.0)
        slow.join(h.scaled(10))
        e = self.assert_gateway_serves("/plain/echo?after=cap")
        self.assertEqual(e["args"], {"after": "cap"})


if __name__ == "__main__":
    unittest.main()
