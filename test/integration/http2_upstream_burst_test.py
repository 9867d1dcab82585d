"""A burst of concurrent requests to an https backend that no connection has
reached yet (issue 9): the requests wait for a few connects, up to
maxActiveStreamsPerConnection on each, rather than opening a CONNECT tunnel
and a TLS handshake apiece; a backend whose ALPN answer is HTTP/1.1 gets the
same burst over HTTP/1.1, and later requests go there directly. Real nginx
(`ssl http2`, and `ssl` alone), real Squid, h2load as the client (one h2c
connection to the gateway, all streams sent at once)."""

import re
import subprocess
import unittest

import mgw_harness as h
from http2_upstream_test import H2Nginx, need

BURST = 40
STREAMS_PER_CONNECTION = 10
TM_EVENTS = 400  # within the Unauthenticated tier (500 a minute)


class Http2BurstTest(unittest.TestCase):

    def setUp(self):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        need("nginx")
        need("h2load")
        self.ca = h.TestCA()
        self.squid = h.Squid(auth=False).start()
        self.addCleanup(self.squid.cleanup)

    def gateway(self, backend):
        api = h.api_definition("/tls", [backend.url("/")], paths={"/hello": ["get"]})
        conf = {"listenerConfig": {"workers": 1},
                "httpClients": {"trustStorePath": self.ca.cert_path,
                                "poolConfig": {
                                    "maxActiveStreamsPerConnection": STREAMS_PER_CONNECTION},
                                "proxy": {"enabled": True, "host": h.LOOPBACK,
                                          "port": self.squid.port}}}
        gw = h.Microgw({"tls": api}, conf=conf)
        self.addCleanup(gw.cleanup)
        gw.start()
        return gw

    def burst(self, gw):
        """BURST requests at once on one HTTP/2 connection; all must succeed."""
        out = subprocess.run(["h2load", "-n%d" % BURST, "-c1", "-m%d" % BURST,
                              "http://127.0.0.1:%d/tls/hello" % gw.port],
                             capture_output=True, text=True, timeout=60)
        text = out.stdout + out.stderr
        done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded", text)
        self.assertIsNotNone(done, text)
        self.assertEqual(int(done.group(2)), BURST, text + gw.log_text()[-2000:])
        self.assertIn("%d 2xx" % BURST, text)

    def tunnels(self, gw):
        return h.metric_sum(gw.metrics(), "microgw_proxy_tunnels_total", 'result="opened"')

    def test_a_burst_waits_for_few_http2_connections(self):
        backend = H2Nginx(tls=self.ca.issue()).start()
        self.addCleanup(backend.stop)
        gw = self.gateway(backend)
        self.burst(gw)
        lines = [line.split() for line in backend.log()]
        self.assertEqual(len(lines), BURST)
        self.assertEqual({l[3] for l in lines}, {"HTTP/2.0"}, lines)
        needed = BURST // STREAMS_PER_CONNECTION
        # One connect per maxActiveStreamsPerConnection requests (a request
        # that finds every connection full after all may open one more).
        self.assertLessEqual(self.tunnels(gw), needed + 1)
        self.assertLessEqual(len({l[0] for l in lines}), needed + 1, lines)
        # The next burst finds them open.
        self.burst(gw)
        self.assertLessEqual(self.tunnels(gw), needed + 1)

    def test_a_backend_that_chooses_http1_gets_the_burst_over_http1(self):
        backend = H2Nginx(tls=self.ca.issue(), http2=False).start()
        self.addCleanup(backend.stop)
        gw = self.gateway(backend)
        self.burst(gw)
        lines = [line.split() for line in backend.log()]
        self.assertEqual(len(lines), BURST)
        self.assertEqual({l[3] for l in lines}, {"HTTP/1.1"}, lines)
        opened = self.tunnels(gw)
        self.assertGreaterEqual(opened, 1)
        # Remembered: one request after another now takes pooled HTTP/1.1
        # connections, no new tunnel.
        for _ in range(5):
            status, _, body = gw.request("GET", "/tls/hello")
            self.assertEqual((status, body), (200, b"hello over h2\n"))
        self.assertEqual(self.tunnels(gw), opened)
        self.assertEqual({l.split()[3] for l in backend.log()}, {"HTTP/1.1"})


class InternalClientBurstTest(unittest.TestCase):
    """The gateway's own HTTP client waits the same way: the throttle
    filter's publisher sends up to 16 POSTs at once to a traffic manager
    (nginx `ssl http2`, answering 200) that no connection has reached yet;
    they share one HTTP/2 connection."""

    def test_a_burst_of_traffic_manager_posts_shares_one_connection(self):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        need("nginx")
        need("h2load")
        ca = h.TestCA()
        tm = H2Nginx(tls=ca.issue()).start()  # /hello... answers 200 to any method
        self.addCleanup(tm.stop)
        backend = h.TestBackend().start()
        self.addCleanup(backend.stop)
        api = h.api_definition("/open", [backend.url("/")], paths={"/echo": ["get"]})
        conf = {"listenerConfig": {"workers": 1},
                "httpClients": {"trustStorePath": ca.cert_path},
                "throttlingConfig": {"enabledGlobalTMEventPublishing": True,
                                     "throttleEndpointUrl": tm.url("/hello"),
                                     "throttleEndpointbase64Header": "admin:secret",
                                     "eventBatchSize": 1,
                                     # Polled elsewhere: a poll to the traffic
                                     # manager would open its connection first.
                                     "decisionEndpointUrl":
                                         "http://127.0.0.1:%d/decisions" % h.free_port(),
                                     "decisionPollIntervalInMillis": 600000}}
        gw = h.Microgw({"open": api}, conf=conf,
                       filters="filters:\n  - name: throttle\n  - name: router\n")
        self.addCleanup(gw.cleanup)
        gw.start()
        out = subprocess.run(["h2load", "-n%d" % TM_EVENTS, "-c4", "-m100",
                              "http://127.0.0.1:%d/open/echo" % gw.port],
                             capture_output=True, text=True, timeout=60)
        self.assertIn("%d 2xx" % TM_EVENTS, out.stdout, out.stdout + out.stderr)
        h.wait_until(lambda: h.metric_sum(gw.metrics(), "microgw_throttle_events_sent_total")
                     == TM_EVENTS, timeout=h.scaled(10), what="every event delivered")
        posts = [line.split() for line in tm.log() if "/throttleEventReceiver" in line]
        self.assertEqual(len(posts), TM_EVENTS)  # one event per POST
        self.assertEqual({p[3] for p in posts}, {"HTTP/2.0"}, posts)
        self.assertEqual(len({p[0] for p in posts}), 1, posts)


if __name__ == "__main__":
    unittest.main()
