"""Idle downstream connections give back their codec memory (issue 9, memory
per idle connection) and still serve what comes next: after a second without a
request an HTTP/1 keep-alive connection drops its codec and an HTTP/2 one its
frame buffer pages, counted by microgw_downstream_connections_idle_released;
the next request, pipelined requests and the next HTTP/2 stream are answered
as before, and closing a released connection takes it off the gauge.

Run under Bazel (//test/integration:idle_connection_test) or directly:
    MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
        /usr/bin/python3 -m unittest test/integration/idle_connection_test.py
"""

import os
import signal
import socket
import sys
import time
import unittest

import mgw_harness as h

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http2_client  # noqa: E402  (beside this file)

GAUGE = "microgw_downstream_connections_idle_released"


def read_response(sock, buf=b""):
    """One HTTP/1.1 response with Content-Length: (status, body, rest of the bytes)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed before a response head: %r" % buf)
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(buf) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed mid-body")
        buf += chunk
    return status, buf[:length], buf[length:]


class IdleConnectionTest(h.GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        cls.backend = h.TestBackend().start()
        apis = {"core": h.api_definition("/core/v1", [cls.backend.url("/")])}
        cls.peers = (cls.backend,)
        cls.start_gateway(h.Microgw(apis, conf={"listenerConfig": {"workers": 1},
                                                "http2": {"enable": True}}))

    def gauge(self):
        return int(self.gw.metrics().get(GAUGE, 0))

    def wait_gauge(self, value, timeout=10.0):
        deadline = time.time() + h.scaled(timeout)
        while True:
            now = self.gauge()
            if now == value:
                return
            if time.time() > deadline:
                self.fail("%s stayed %d, expected %d" % (GAUGE, now, value))
            time.sleep(0.1)

    def get(self, sock, path, rest=b""):
        sock.sendall(b"GET /core/v1%s HTTP/1.1\r\nHost: gw\r\n\r\n" % path)
        return read_response(sock, rest)

    def test_http1_idle_connection_releases_and_serves_the_next_requests(self):
        self.wait_gauge(0)
        with socket.create_connection((h.LOOPBACK, self.gw.port), timeout=10) as sock:
            status, body, rest = self.get(sock, b"/echo/first")
            self.assertEqual(status, 200)
            self.assertIn(b"/first", body)
            self.wait_gauge(1)
            # The codec is rebuilt for the next request on the same connection.
            status, body, rest = self.get(sock, b"/echo/second", rest)
            self.assertEqual(status, 200)
            self.assertIn(b"/second", body)
            self.wait_gauge(1)
            # Pipelined requests after a release: answered in order.
            sock.sendall(b"GET /core/v1/echo/p1 HTTP/1.1\r\nHost: gw\r\n\r\n"
                         b"GET /core/v1/echo/p2 HTTP/1.1\r\nHost: gw\r\n\r\n")
            s1, b1, rest = read_response(sock, rest)
            s2, b2, rest = read_response(sock, rest)
            self.assertEqual((s1, s2), (200, 200))
            self.assertIn(b"/p1", b1)
            self.assertIn(b"/p2", b2)
            self.assertEqual(rest, b"")
            self.wait_gauge(1)
        # Closed by the client while released: off the gauge.
        self.wait_gauge(0)

    def released_connection(self):
        """A connection that was answered once and has released (parked) since:
        (socket, bytes read past the answer)."""
        self.wait_gauge(0)
        sock = socket.create_connection((h.LOOPBACK, self.gw.port), timeout=10)
        self.addCleanup(sock.close)
        status, _, rest = self.get(sock, b"/echo/before")
        self.assertEqual(status, 200)
        self.wait_gauge(1)
        return sock, rest

    def test_http1_request_split_across_the_release(self):
        sock, rest = self.released_connection()
        with sock:
            sock.sendall(b"GET /core/v1/echo/split HTTP/1.1\r\n")
            time.sleep(0.2)
            sock.sendall(b"Host: gw\r\n\r\n")
            status, body, _ = read_response(sock, rest)
            self.assertEqual(status, 200)
            self.assertIn(b"/split", body)
        self.wait_gauge(0)

    def test_http2_idle_connection_releases_and_serves_the_next_stream(self):
        self.wait_gauge(0)
        client = http2_client.H2Client(h.LOOPBACK, self.gw.port)
        try:
            first = client.get("/core/v1/echo/h2-first")
            self.assertEqual(first.status(), 200)
            self.wait_gauge(1)
            second = client.get("/core/v1/echo/h2-second")
            self.assertEqual(second.status(), 200)
            self.assertIn(b"/h2-second", bytes(second.data))
            self.wait_gauge(1)
        finally:
            client.close()
        self.wait_gauge(0)

    def check_http2_parked_and_resumed(self, index):
        self.wait_gauge(0)
        client = http2_client.H2Client(h.LOOPBACK, self.gw.port, index=index)
        try:
            # Two streams first: an indexing client with an indexed :authority
            # and a window short of 65,535 needs one stream to replay its
            # HPACK table on and another for the window (Http2ServerCodec::resume).
            for path in ("/core/v1/echo/h2-first", "/core/v1/echo/h2-second"):
                self.assertEqual(client.get(path).status(), 200)
            for round_ in range(2):
                h.wait_until(lambda: self.parked() == 1, timeout=h.scaled(5),
                             what="the HTTP/2 connection parked (round %d)" % round_)
                self.assertEqual(self.active(), 1)
                # The same fields again: an indexing client refers to its table.
                for i in range(3):
                    r = client.get("/core/v1/echo/h2-first", headers=[("x-round", str(round_))])
                    self.assertEqual(r.status(), 200)
                    self.assertIn(b"/h2-first", bytes(r.data))
                    self.assertIn(b"x-round", bytes(r.data).lower())
            self.assertIsNone(client.goaway)
        finally:
            client.close()
        h.wait_until(lambda: self.parked() == 0 and self.gauge() == 0 and self.active() == 0,
                     timeout=h.scaled(5), what="the closed HTTP/2 connection off the gauges")

    def test_http2_idle_connection_is_parked_and_resumed(self):
        # python3-h2 indexes its fields (as curl, browsers and gRPC do): the
        # gateway's copy of its HPACK table comes back with the session.
        self.check_http2_parked_and_resumed(index=True)

    def test_http2_idle_connection_of_a_client_that_does_not_index(self):
        self.check_http2_parked_and_resumed(index=False)

    def active(self, gw=None):
        return int((gw or self.gw).metrics().get("microgw_downstream_connections_active", 0))

    def test_http1_parked_connections_are_counted_and_closed_by_their_clients(self):
        self.wait_gauge(0)
        socks = [socket.create_connection((h.LOOPBACK, self.gw.port), timeout=10)
                 for _ in range(20)]
        try:
            for i, sock in enumerate(socks):
                status, _, _ = self.get(sock, b"/echo/c%d" % i)
                self.assertEqual(status, 200)
            self.wait_gauge(20)
            self.assertEqual(self.active(), 20)  # parked, still open connections
            for sock in socks[:10]:
                sock.close()
            self.wait_gauge(10)
            h.wait_until(lambda: self.active() == 10, timeout=h.scaled(5),
                         what="the closed parked connections off the active gauge")
            for i, sock in enumerate(socks[10:]):
                status, body, _ = self.get(sock, b"/echo/again%d" % i)
                self.assertEqual(status, 200)
                self.assertIn(b"/again%d" % i, body)
        finally:
            for sock in socks[10:]:
                sock.close()
        self.wait_gauge(0)
        h.wait_until(lambda: self.active() == 0, timeout=h.scaled(5), what="no open connection")

    def parked(self):
        return int(self.gw.metrics().get("microgw_downstream_connections_parked", 0))

    def test_a_client_that_comes_back_quickly_is_parked_later(self):
        # Parked at 100 ms idle; back 50 ms later: from then on the connection
        # releases its codec at 100 ms but parks only after 1.1 s idle, so a
        # client pausing 300 ms between requests is not parked each time.
        sock, rest = self.released_connection()
        with sock:
            self.assertEqual(self.parked(), 1)
            status, _, rest = self.get(sock, b"/echo/back-soon", rest)
            self.assertEqual(status, 200)
            for i in range(4):
                time.sleep(0.3)
                self.assertEqual(self.parked(), 0, "parked again %d x 300 ms after" % i)
                self.assertEqual(self.gauge(), 1)  # the codec is released all the same
                status, _, rest = self.get(sock, b"/echo/steady%d" % i, rest)
                self.assertEqual(status, 200)
            h.wait_until(lambda: self.parked() == 1, timeout=h.scaled(5),
                         what="the connection parked after a longer pause")
        self.wait_gauge(0)
        h.wait_until(lambda: self.parked() == 0, timeout=h.scaled(5), what="no parked connection")

    def test_http1_request_with_eof_on_a_parked_connection_is_answered(self):
        sock, rest = self.released_connection()
        with sock:
            sock.sendall(b"GET /core/v1/echo/last HTTP/1.1\r\nHost: gw\r\n\r\n")
            sock.shutdown(socket.SHUT_WR)
            status, body, _ = read_response(sock, rest)
            self.assertEqual(status, 200)
            self.assertIn(b"/last", body)
        self.wait_gauge(0)


class ParkedConnectionLifetimeTest(unittest.TestCase):
    """A parked connection keeps listenerConfig.idleTimeoutInMillis, and a
    draining gateway closes it at once."""

    @classmethod
    def setUpClass(cls):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        cls.backend = h.TestBackend().start()

    @classmethod
    def tearDownClass(cls):
        cls.backend.stop()

    def gateway(self, idle_ms):
        apis = {"core": h.api_definition("/core/v1", [self.backend.url("/")])}
        gw = h.Microgw(apis, conf={"listenerConfig": {"workers": 1,
                                                      "idleTimeoutInMillis": idle_ms},
                                   "http2": {"enable": True}})
        self.addCleanup(gw.cleanup)
        gw.start()
        return gw

    def parked_connection(self, gw):
        sock = socket.create_connection((h.LOOPBACK, gw.port), timeout=30)
        self.addCleanup(sock.close)
        sock.sendall(b"GET /core/v1/echo/x HTTP/1.1\r\nHost: gw\r\n\r\n")
        status, _, rest = read_response(sock)
        self.assertEqual(status, 200)
        self.assertEqual(rest, b"")
        h.wait_until(lambda: int(gw.metrics().get(GAUGE, 0)) == 1, timeout=h.scaled(5),
                     what="the connection parked")
        return sock

    def test_idle_timeout_closes_a_parked_connection(self):
        gw = self.gateway(1500)
        t0 = time.time()
        sock = self.parked_connection(gw)
        self.assertEqual(sock.recv(100), b"")  # closed by the gateway
        took = time.time() - t0
        self.assertGreater(took, 1.2)
        self.assertLess(took, h.scaled(6.0))
        h.wait_until(lambda: int(gw.metrics().get("microgw_downstream_connections_active", 0)) == 0
                     and int(gw.metrics().get(GAUGE, 0)) == 0,
                     timeout=h.scaled(5), what="the timed-out connection off both gauges")

    def test_drain_closes_parked_connections_at_once(self):
        gw = self.gateway(600000)
        sock = self.parked_connection(gw)
        t0 = time.time()
        gw.process.send_signal(signal.SIGTERM)
        self.assertEqual(sock.recv(100), b"")
        self.assertLess(time.time() - t0, h.scaled(5.0))
        self.assertEqual(gw.process.wait(timeout=10), 0)

    def parked_http2_connection(self, gw):
        client = http2_client.H2Client(h.LOOPBACK, gw.port, index=False)
        self.addCleanup(client.close)
        self.assertEqual(client.get("/core/v1/echo/x").status(), 200)
        h.wait_until(lambda: int(gw.metrics().get("microgw_downstream_connections_parked", 0)) == 1,
                     timeout=h.scaled(5), what="the HTTP/2 connection parked")
        return client

    def test_idle_timeout_sends_goaway_on_a_parked_http2_connection(self):
        gw = self.gateway(4000)
        t0 = time.time()
        client = self.parked_http2_connection(gw)
        self.assertTrue(client.closed_by_peer(timeout=h.scaled(10)))
        took = time.time() - t0
        self.assertEqual(client.goaway, 0)  # GOAWAY NO_ERROR, then the close
        self.assertGreater(took, 3.5)
        h.wait_until(lambda: int(gw.metrics().get("microgw_downstream_connections_active", 0)) == 0,
                     timeout=h.scaled(5), what="the timed-out connection off the active gauge")

    def test_drain_sends_goaway_on_a_parked_http2_connection(self):
        gw = self.gateway(600000)
        client = self.parked_http2_connection(gw)
        t0 = time.time()
        gw.process.send_signal(signal.SIGTERM)
        self.assertTrue(client.closed_by_peer(timeout=h.scaled(5)))
        self.assertEqual(client.goaway, 0)
        self.assertLess(time.time() - t0, h.scaled(5.0))
        self.assertEqual(gw.process.wait(timeout=10), 0)


if __name__ == "__main__":
    unittest.main()
