"""Idle HTTP/2 connections over TLS (issue 9's idle memory): the socket
cannot park (the TLS session lives in the gateway's bufferevent), so after
100 ms without a stream the connection drops its nghttp2 session and keeps a
copy of its state (settings, window, last stream, the client's HPACK table);
the next frame gets a new session that takes up where the old one stopped.
Real gateway, TLS listener with ALPN h2, python3-h2 client."""

import signal
import ssl
import time
import unittest

import mgw_harness as h

import http2_client  # noqa: E402  (beside this file)

RELEASED = "microgw_downstream_http2_sessions_released"


class IdleTlsHttp2Test(unittest.TestCase):

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

    def client(self, gw, index=True):
        ctx = ssl.create_default_context(cafile=self.ca.cert_path)
        ctx.check_hostname = False
        ctx.set_alpn_protocols(["h2"])
        c = http2_client.H2Client(h.LOOPBACK, gw.https_port, index=index, tls=ctx)
        self.addCleanup(c.close)
        return c

    def released(self, gw):
        return int(gw.metrics().get(RELEASED, 0))

    def wait_released(self, gw, value, what):
        h.wait_until(lambda: self.released(gw) == value, timeout=h.scaled(5), what=what)

    def check_dropped_and_resumed(self, index):
        gw = self.gateway()
        client = self.client(gw, index=index)
        # Two streams first: an indexing client's table is replayed on one
        # stream and a short window on another (Http2ServerCodec::resume).
        for path in ("/core/v1/echo/h2-first", "/core/v1/echo/h2-second"):
            self.assertEqual(client.get(path).status(), 200)
        for round_ in range(2):
            self.wait_released(gw, 1, "the idle session dropped (round %d)" % round_)
            # The same fields again: an indexing client refers to its table.
            for _ in range(3):
                r = client.get("/core/v1/echo/h2-first", headers=[("x-round", str(round_))])
                self.assertEqual(r.status(), 200)
                self.assertIn(b"/h2-first", bytes(r.data))
                self.assertIn(b"x-round", bytes(r.data).lower())
        self.assertIsNone(client.goaway)
        client.close()
        self.wait_released(gw, 0, "the closed connection off the gauge")

    def test_an_indexing_client_is_served_after_its_session_was_dropped(self):
        self.check_dropped_and_resumed(index=True)

    def test_a_client_that_does_not_index_is_served_after_its_session_was_dropped(self):
        self.check_dropped_and_resumed(index=False)

    def released_connection(self, gw):
        client = self.client(gw, index=False)
        self.assertEqual(client.get("/core/v1/echo/x").status(), 200)
        self.wait_released(gw, 1, "the idle session dropped")
        return client

    def test_idle_timeout_sends_goaway_on_a_dropped_session(self):
        gw = self.gateway(idle_ms=3000)
        t0 = time.time()
        client = self.released_connection(gw)
        self.assertTrue(client.closed_by_peer(timeout=h.scaled(10)))
        self.assertEqual(client.goaway, 0)  # GOAWAY NO_ERROR, then the close
        self.assertGreater(time.time() - t0, 2.5)
        self.wait_released(gw, 0, "the timed-out connection off the gauge")

    def test_drain_sends_goaway_on_a_dropped_session(self):
        gw = self.gateway()
        client = self.released_connection(gw)
        t0 = time.time()
        gw.process.send_signal(signal.SIGTERM)
        self.assertTrue(client.closed_by_peer(timeout=h.scaled(5)))
        self.assertEqual(client.goaway, 0)
        self.assertLess(time.time() - t0, h.scaled(5.0))
        self.assertEqual(gw.process.wait(timeout=10), 0)


if __name__ == "__main__":
    unittest.main()
