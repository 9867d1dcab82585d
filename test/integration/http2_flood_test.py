"""HTTP/2 flood protection (issue 9) through the real gateway: rapid reset
(CVE-2023-44487), SETTINGS / PING / empty DATA floods, CONTINUATION flood
(CVE-2024-27316) and an HPACK bomb, each sent with hand-built frames. Each
case shows that the gateway ends the abusive connection (GOAWAY
ENHANCE_YOUR_CALM) or refuses the stream, stays up and serves another client.

Run under Bazel (//test/integration:http2_flood_test) or directly:
    MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
        /usr/bin/python3 test/integration/http2_flood_test.py
"""

import os
import sys
import unittest

import hyperframe.frame as hf

import mgw_harness as h

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http2_client  # noqa: E402  (beside this file)
from http2_client import ENHANCE_YOUR_CALM  # noqa: E402


class Http2FloodTest(h.GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        cls.backend = h.TestBackend().start()
        cls.peers = (cls.backend,)
        cls.start_gateway(h.Microgw({"core": h.api_definition("/core/v1", [cls.backend.url("/")])},
                                    conf={"listenerConfig": {"workers": 1}}))

    def raw(self):
        self.log_start = len(self.gw.log_text())  # assert_calmed reads only what follows
        r = http2_client.RawH2(h.LOOPBACK, self.gw.port)
        self.addCleanup(r.close)
        return r

    def assert_others_served(self):
        c = http2_client.H2Client(h.LOOPBACK, self.gw.port)
        self.addCleanup(c.close)
        self.assertEqual(c.get("/core/v1/echo").status(), 200)
        self.assertEqual(self.gw.request("GET", "/core/v1/echo")[0], 200)

    def assert_calmed(self, raw, log_needle):
        self.assertEqual(raw.goaway_code(timeout=h.scaled(10)), ENHANCE_YOUR_CALM)
        h.wait_until(lambda: log_needle in self.gw.log_text()[self.log_start:], timeout=10,
                     what="log line with %r" % log_needle)
        self.assert_others_served()

    def test_rapid_reset(self):
        r = self.raw()
        frames = []
        for i in range(600):
            sid = 1 + 2 * i
            headers = hf.HeadersFrame(sid, r.header_block("/core/v1/slow?ms=2000"))
            headers.flags.add("END_HEADERS")
            headers.flags.add("END_STREAM")
            frames += [headers, hf.RstStreamFrame(sid, error_code=8)]
        r.send(*frames)
        self.assert_calmed(r, "rapid reset: more than 200 stream resets")

    def test_settings_flood(self):
        r = self.raw()
        r.send(*[hf.SettingsFrame(0, settings={hf.SettingsFrame.MAX_FRAME_SIZE: 16384})
                 for _ in range(3000)])
        # nghttp2's queue of unsent acknowledgements (max_outbound_ack) or the
        # gateway's SETTINGS/PING rate limit, whichever trips first.
        self.assert_calmed(r, "flood: ")

    def test_ping_flood(self):
        r = self.raw()
        r.send(*[hf.PingFrame(0, opaque_data=b"12345678") for _ in range(3000)])
        self.assert_calmed(r, "flood: ")

    def test_empty_data_flood(self):
        r = self.raw()
        headers = hf.HeadersFrame(1, r.header_block("/core/v1/echo"))
        headers.flags.add("END_HEADERS")
        r.send(headers, *[hf.DataFrame(1, b"") for _ in range(200)])
        self.assert_calmed(r, "empty DATA frames in a row")

    def test_continuation_flood(self):
        r = self.raw()
        block = r.header_block("/core/v1/echo")
        frames = [hf.HeadersFrame(1, block)]  # no END_HEADERS: CONTINUATIONs follow
        for i in range(100):
            frames.append(hf.ContinuationFrame(1, r.encoder.encode([("x-c%d" % i, "v")])))
        r.send(*frames)
        self.assert_calmed(r, "CONTINUATION flood")

    def test_streams_over_max_concurrent_streams_are_refused(self):
        r = self.raw()
        frames = []
        for i in range(101):
            headers = hf.HeadersFrame(1 + 2 * i, r.header_block("/core/v1/slow?ms=1500"))
            headers.flags.add("END_HEADERS")
            headers.flags.add("END_STREAM")
            frames.append(headers)
        r.send(*frames)
        got = r.frames(timeout=h.scaled(10),
                       until=lambda f: isinstance(f, hf.RstStreamFrame))
        resets = [(f.stream_id, f.error_code) for f in got if isinstance(f, hf.RstStreamFrame)]
        self.assertEqual(resets, [(201, 7)])  # the 101st stream: REFUSED_STREAM
        self.assert_others_served()

    def test_hpack_bomb_is_refused_at_the_header_limit(self):
        c = http2_client.H2Client(h.LOOPBACK, self.gw.port)
        self.addCleanup(c.close)
        # One 4000-byte field goes into the HPACK dynamic table; the next
        # request names it 200 times, a byte each: ~800 kB decoded from ~1 kB.
        first = c.get("/core/v1/echo", headers=[("x-bomb", "a" * 4000)])
        self.assertEqual(first.status(), 200)
        start = len(self.gw.log_text())
        bomb = c.get("/core/v1/echo", headers=[("x-bomb", "a" * 4000)] * 200)
        self.assertEqual(bomb.status(), 431)
        self.assertIn("listenerConfig.maxHeaderSize", self.gw.log_text()[start:])
        self.assertEqual(c.get("/core/v1/echo").status(), 200)
        self.assert_others_served()


if __name__ == "__main__":
    unittest.main()
