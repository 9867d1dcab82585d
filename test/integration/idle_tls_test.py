"""Idle connections over TLS (issue 9's idle memory) park as plain ones do:
100 ms after the last request the worker keeps the socket, the TLS session
(OpenSSL's SSL object) and, for HTTP/2, a copy of the session's state
(settings, window, last stream, the client's HPACK table); the connection's
bufferevent, codec and nghttp2 session go. The next bytes get them back, and
the client sees one connection throughout. Real gateway, TLS listener with
ALPN, python3-h2 and Python's ssl module as clients."""

import signal
import socket
import ssl
import time
import unittest

import mgw_harness as h

import http2_client  # noqa: E402  (beside this file)

PARKED = "microgw_downstream_connections_parked"


class IdleTlsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        cls.backend = h.TestBackend().start()
        cls.ca = h.TestCA()
        cls.cert, cls.key = cls.ca.issue()

    @classmethod
    def tearDownClass(cls):
        cls.backend.stop()

    def gateway(self, idle_ms=600000):
        apis = {"core": h.api_definition("/core/v1", [self.backend.url("/")])}
        gw = h.Microgw(apis, conf={"listenerConfig": {"workers": 1, "idleTimeoutInMillis": idle_ms,
                                                      "certificateFile": self.cert,
                                                      "keyFile": self.key},
                                   "http2": {"enable": True}})
        self.addCleanup(gw.cleanup)
        gw.start()
        h.wait_for_port(h.LOOPBACK, gw.https_port, process=gw.process)
        return gw

    def tls(self, alpn):
        ctx = ssl.create_default_context(cafile=self.ca.cert_path)
        ctx.check_hostname = False
        ctx.set_alpn_protocols([alpn])
        return ctx

    def client(self, gw, index=True):
        c = http2_client.H2Client(h.LOOPBACK, gw.https_port, index=index, tls=self.tls("h2"))
        self.addCleanup(c.close)
        return c

    def parked(self, gw):
        return int(gw.metrics().get(PARKED, 0))

    def wait_parked(self, gw, value, what):
        h.wait_until(lambda: self.parked(gw) == value, timeout=h.scaled(5), what=what)

    def http1_get(self, sock, path):
        sock.sendall(b"GET /core/v1/echo%s HTTP/1.1\r\nHost: gw\r\n\r\n" % path)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            self.assertTrue(chunk, "closed before a response: %r" % buf)
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(body) < length:
            body += sock.recv(65536)
        return int(head.split(b" ")[1]), body

    def test_http1_over_tls_parks_and_serves_the_next_requests(self):
        gw = self.gateway()
        sock = self.tls("http/1.1").wrap_socket(
            socket.create_connection((h.LOOPBACK, gw.https_port), timeout=30),
            server_hostname="localhost")
        self.addCleanup(sock.close)
        for round_ in range(3):
            status, body = self.http1_get(sock, b"/tls-%d" % round_)
            self.assertEqual(status, 200)
            self.assertIn(b"/tls-%d" % round_, body)
            self.wait_parked(gw, 1, "the TLS connection parked (round %d)" % round_)
        sock.close()
        self.wait_parked(gw, 0, "the closed connection out of the parking")

    def check_dropped_and_resumed(self, index):
        gw = self.gateway()
        client = self.client(gw, index=index)
        # Two streams first: an indexing client's table is replayed on one
        # stream and a short window on another (Http2ServerCodec::resume).
        for path in ("/core/v1/echo/h2-first", "/core/v1/echo/h2-second"):
            self.assertEqual(client.get(path).status(), 200)
        for round_ in range(2):
            self.wait_parked(gw, 1, "the idle HTTP/2 connection parked (round %d)" % round_)
            # The same fields again: an indexing client refers to its table.
            for _ in range(3):
                r = client.get("/core/v1/echo/h2-first", headers=[("x-round", str(round_))])
                self.assertEqual(r.status(), 200)
                self.assertIn(b"/h2-first", bytes(r.data))
                self.assertIn(b"x-round", bytes(r.data).lower())
        self.assertIsNone(client.goaway)
        client.close()
        self.wait_parked(gw, 0, "the closed connection out of the parking")

    def test_an_indexing_client_is_served_after_parking(self):
        self.check_dropped_and_resumed(index=True)

    def test_a_client_that_does_not_index_is_served_after_parking(self):
        self.check_dropped_and_resumed(index=False)

    def parked_connection(self, gw):
        client = self.client(gw, index=False)
        self.assertEqual(client.get("/core/v1/echo/x").status(), 200)
        self.wait_parked(gw, 1, "the idle HTTP/2 connection parked")
        return client

    def test_idle_timeout_sends_goaway_on_a_parked_tls_connection(self):
        gw = self.gateway(idle_ms=3000)
        t0 = time.time()
        client = self.parked_connection(gw)
        self.assertTrue(client.closed_by_peer(timeout=h.scaled(10)))
        self.assertEqual(client.goaway, 0)  # GOAWAY NO_ERROR, then the close
        self.assertGreater(time.time() - t0, 2.5)
        self.wait_parked(gw, 0, "the timed-out connection out of the parking")

    def test_drain_sends_goaway_on_a_parked_tls_connection(self):
        gw = self.gateway()
        client = self.parked_connection(gw)
        t0 = time.time()
        gw.process.send_signal(signal.SIGTERM)
        self.assertTrue(client.closed_by_peer(timeout=h.scaled(5)))
        self.assertEqual(client.goaway, 0)
        self.assertLess(time.time() - t0, h.scaled(5.0))
        self.assertEqual(gw.process.wait(timeout=10), 0)


if __name__ == "__main__":
    unittest.main()
