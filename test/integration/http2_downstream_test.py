"""HTTP/2 towards clients (issue 9) through the real gateway: h2c with prior
knowledge on the plain port, checked with curl, nghttp, h2load and a Python h2
client: the filter chain per stream, concurrent streams on one connection,
trailers both ways, a client that never reads (flow control keeps the
gateway's memory flat), resets both ways, GOAWAY on drain, [http2] enable,
the codec's own answers (JSON error bodies), stalled header blocks and bodies.

Run under Bazel (//test/integration:http2_downstream_test) or directly:
    MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
        /usr/bin/python3 -m unittest test/integration/http2_downstream_test.py
"""

import json
import os
import signal
import subprocess
import sys
import time
import unittest

import mgw_harness as h

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http2_client  # noqa: E402  (beside this file)

FILTERS = ("filters:\n  - name: request_id\n  - name: headers\n    config:\n      request:\n"
           "        add:\n          X-Gateway: microgw\n  - name: router\n")
BIG = 48 * 1024 * 1024


def require_tools():
    if not h.find_microgw():
        raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
    for tool in ("curl", "nghttp", "h2load"):
        if subprocess.run(["which", tool], stdout=subprocess.DEVNULL).returncode != 0:
            raise unittest.SkipTest("%s not installed (tools/install.sh)" % tool)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Http2DownstreamTest(h.GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        require_tools()
        cls.backend = h.TestBackend().start()
        cls.canned = h.CannedBackend({
            "trailers": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n"
                         b"X-Checksum: abc\r\n\r\n"),
            "truncated": b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nonly this",
        })
        apis = {
            "core": h.api_definition("/core/v1", [cls.backend.url("/")]),
            "canned": h.api_definition("/canned/v1", [cls.canned.url()],
                                       paths={"/trailers": ["get"], "/truncated": ["get"]}),
        }
        cls.peers = (cls.backend, cls.canned)
        cls.start_gateway(h.Microgw(apis, filters=FILTERS, conf={"listenerConfig": {"workers": 1}}))

    def url(self, path):
        return "http://%s:%d%s" % (h.LOOPBACK, self.gw.port, path)

    def client(self, **kw):
        c = http2_client.H2Client(h.LOOPBACK, self.gw.port, **kw)
        self.addCleanup(c.close)
        return c

    def access_line(self, needle):
        found = []

        def seen():
            found[:] = [l for l in self.gw.log_text().splitlines() if needle in l and " ms" in l
                        or needle in l and "ms aborted=" in l]
            return bool(found)

        h.wait_until(seen, timeout=10, what="access log line with %r" % needle)
        return found[-1]

    # --- the basics through real clients -------------------------------------------

    def test_curl_prior_knowledge_and_http1_on_the_same_port(self):
        for flag, version in (("--http2-prior-knowledge", "2"), ("--http1.1", "1.1")):
            out = subprocess.run(
                ["curl", "-sS", "-m", "20", flag, "-w", "\n%{http_code} %{http_version}",
                 self.url("/core/v1/echo?via=" + version)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
            body, _, tail = out.stdout.rpartition("\n")
            self.assertEqual(tail, "200 " + version, out.stderr)
            seen = json.loads(body)
            # The filter chain ran for the stream, and :authority became Host.
            self.assertEqual(seen["headers_lower"].get("x-gateway"), "microgw")
            self.assertEqual(seen["headers_lower"].get("x-forwarded-host"),
                             "%s:%d" % (h.LOOPBACK, self.gw.port))
            self.assertEqual(seen["args"], {"via": version})

    def test_h2load_many_concurrent_streams_on_few_connections(self):
        before = h.metric_sum(self.gw.metrics(), "microgw_downstream_http2_connections_total")
        out = subprocess.run(["h2load", "-n", "400", "-c", "2", "-m", "20",
                              self.url("/core/v1/echo")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=h.scaled(120))
        self.assertIn("400 succeeded, 0 failed", out.stdout, out.stdout + out.stderr)
        self.assertIn("Application protocol: h2c", out.stdout)
        after = h.metric_sum(self.gw.metrics(), "microgw_downstream_http2_connections_total")
        self.assertEqual(after - before, 2)

    def test_nghttp_streams_on_one_connection_each_with_its_own_chain(self):
        urls = [self.url("/core/v1/echo?i=%d" % i) for i in range(8)]
        out = subprocess.run(["nghttp", "-n", "-s"] + urls, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True,
                             timeout=h.scaled(60))
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        # One request-id per stream: every request got its own filter chain.
        c = self.client()
        sids = [c.request("GET", "/core/v1/echo?i=%d" % i) for i in range(10)]
        ids = set()
        for i, sid in enumerate(sids):
            s = c.response(sid)
            self.assertEqual(s.status(), 200)
            seen = json.loads(bytes(s.data))
            self.assertEqual(seen["args"], {"i": str(i)})
            self.assertEqual(seen["headers_lower"]["x-gateway"], "microgw")
            self.assertEqual(seen["headers_lower"]["x-forwarded-host"], "gw.example")
            ids.add(seen["headers_lower"].get("x-request-id"))
        self.assertEqual(len(ids), 10)
        self.assertNotIn(None, ids)

    def test_max_concurrent_streams_is_advertised(self):
        out = subprocess.run(["nghttp", "-nv", self.url("/core/v1/echo")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=h.scaled(30))
        self.assertIn("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100", out.stdout)

    # --- trailers --------------------------------------------------------------

    def test_trailers_both_ways(self):
        c = self.client()
        s = c.get("/canned/v1/trailers")
        self.assertEqual(s.status(), 200)
        self.assertEqual(bytes(s.data), b"ok")
        self.assertIn(("x-checksum", "abc"), s.trailers or [])
        sid = c.request("POST", "/core/v1/echo", body=b"hello",
                        trailers=[("x-request-sum", "42")])
        s = c.response(sid)
        self.assertEqual(s.status(), 200)
        seen = json.loads(bytes(s.data))
        self.assertEqual(seen["body_length"], 5)
        self.assertIn(["X-Request-Sum", "42"], [[k.title(), v] for k, v in seen["trailers"]])

    def test_local_replies_and_uploads_per_stream(self):
        c = self.client()
        s = c.get("/nope/v1/x")
        self.assertEqual(s.status(), 404)
        self.assertIn("message", json.loads(bytes(s.data)))
        # A 4 MiB upload with Content-Length: the gateway opens the window as
        # the backend takes the body (64 KiB initial window per stream).
        data = h.big_body(4 << 20)
        sid = c.request("POST", "/core/v1/echo", headers=[("content-length", str(len(data)))],
                        end=False)
        c.send_body(sid, data)
        s = c.response(sid, timeout=h.scaled(60))
        self.assertEqual(s.status(), 200)
        seen = json.loads(bytes(s.data))
        self.assertEqual(seen["body_length"], len(data))
        self.assertEqual(seen["body_sha256"], h.sha256(data))

    # --- flow control: a client that never reads ---------------------------------

    def test_client_that_never_reads_keeps_gateway_memory_flat(self):
        pid = self.gw.process.pid
        base = rss_kb(pid)
        stalled = self.client(auto_ack=False, rcvbuf=32 * 1024)
        sid = stalled.request("GET", "/core/v1/big?n=%d" % BIG)
        time.sleep(h.scaled(3))
        grown = rss_kb(pid) - base
        # Without flow control the gateway would hold most of the 48 MB body.
        self.assertLess(grown, 16 * 1024, "gateway RSS grew %d kB" % grown)
        # Others are served meanwhile, on a new connection and on HTTP/1.
        self.assertEqual(self.client().get("/core/v1/echo").status(), 200)
        self.assertEqual(self.gw.request("GET", "/core/v1/echo")[0], 200)
        # The stalled stream got some of its body, far from all of it.
        stalled.read_once(timeout=1)
        got = len(stalled.streams[sid].data)
        self.assertLess(got, BIG // 4)
        # When the client reads again, the whole body arrives.
        stalled.auto_ack = True
        stalled.conn.acknowledge_received_data(got, sid) if got else None
        stalled.conn.increment_flow_control_window(BIG)
        stalled.conn.increment_flow_control_window(BIG, stream_id=sid)
        stalled.flush()
        s = stalled.response(sid, timeout=h.scaled(60))
        self.assertEqual(len(s.data), BIG)
        self.assertEqual(s.header("x-body-sha256"), h.sha256(h.big_body(BIG)))

    # --- resets ----------------------------------------------------------------

    def test_client_reset_cancels_the_upstream_request(self):
        c = self.client()
        sid = c.request("GET", "/core/v1/slow?ms=4000&tag=cancelme")
        time.sleep(0.5)
        start = time.monotonic()
        c.reset(sid)
        line = self.access_line("tag=cancelme")
        self.assertLess(time.monotonic() - start, 3.0, line)
        self.assertIn('" 499 ', line)
        # The connection goes on serving other streams.
        self.assertEqual(c.get("/core/v1/echo").status(), 200)

    def test_backend_cut_mid_response_resets_only_that_stream(self):
        c = self.client()
        sid = c.request("GET", "/canned/v1/truncated")
        s = c.response(sid)
        self.assertEqual(s.status(), 200)
        self.assertEqual(s.reset_code, 2)  # INTERNAL_ERROR
        self.assertEqual(c.get("/core/v1/echo").status(), 200)
        self.assertFalse(c.closed)

    def test_malformed_and_oversized_requests_get_a_status_not_a_crash(self):
        c = self.client()
        s = c.get("/core/v1/echo", headers=[("x-big", "a" * 9000)])
        self.assertEqual(s.status(), 431)
        s = c.get("/core/v1/" + "p" * 5000)
        self.assertEqual(s.status(), 414)
        self.assertEqual(c.get("/core/v1/echo").status(), 200)

    def test_codec_answers_carry_the_same_json_body_as_http1(self):
        """431/414/501 answered by the HTTP/2 codec itself: the JSON error body
        ({"code","message","description"}) that HTTP/1 gets for the same fault."""
        c = self.client()
        cases = [
            (431, "Request header fields too large", "listenerConfig.maxHeaderSize",
             lambda: c.get("/core/v1/echo", headers=[("x-big", "a" * 9000)]),
             ("GET", "/core/v1/echo", [("X-Big", "a" * 9000)])),
            (414, "URI too long", "listenerConfig.maxUriLength",
             lambda: c.get("/core/v1/" + "p" * 5000), ("GET", "/core/v1/" + "p" * 5000, [])),
        ]
        for status, message, key, h2_request, h1_request in cases:
            s = h2_request()
            self.assertEqual(s.status(), status)
            self.assertEqual(s.header("content-type"), "application/json")
            self.assertEqual(int(s.header("content-length")), len(s.data))
            body = json.loads(bytes(s.data))
            self.assertEqual(body["message"], message)
            self.assertEqual(body["code"], "900%d" % status)
            self.assertIn(key, body["description"])
            method, path, headers = h1_request
            h1_status, _, h1_body = self.gw.request(method, path, headers=dict(headers))
            self.assertEqual(h1_status, status)
            h1 = json.loads(h1_body)
            self.assertEqual((h1["code"], h1["message"]), (body["code"], body["message"]))
        sid = c.conn.get_next_available_stream_id()  # CONNECT: no :path, no :scheme
        c.conn.config.validate_outbound_headers = False  # h2 wants a :path on every request
        c.conn.send_headers(sid, [(":method", "CONNECT"), (":authority", "backend.example:443")],
                            end_stream=True)
        c.streams[sid] = http2_client.Stream()
        c.flush()
        s = c.response(sid)
        self.assertEqual(s.status(), 501)
        self.assertEqual(json.loads(bytes(s.data))["message"], "Protocol upgrade not supported")
        self.assertEqual(c.get("/core/v1/echo").status(), 200)


class Http2StalledRequestTest(h.GatewayTestCase):
    """A stream that stalls mid-request: a header block whose CONTINUATIONs never
    come (the whole connection waits on it, RFC 9113 6.10) ends the connection at
    headerReadTimeoutInMillis with GOAWAY PROTOCOL_ERROR whose debug data is the
    JSON error body; a request body that stops is answered 408 on its stream
    (requestBodyTimeoutInMillis) and the connection goes on."""

    @classmethod
    def setUpClass(cls):
        require_tools()
        cls.backend = h.TestBackend().start()
        cls.peers = (cls.backend,)
        listener = {"workers": 1, "headerReadTimeoutInMillis": 1000,
                    "requestBodyTimeoutInMillis": 1000}
        cls.start_gateway(h.Microgw({"core": h.api_definition("/core/v1", [cls.backend.url("/")])},
                                    conf={"listenerConfig": listener}))

    def test_header_block_without_end_headers_times_out(self):
        from hyperframe import frame as hf
        raw = http2_client.RawH2(h.LOOPBACK, self.gw.port)
        self.addCleanup(raw.close)
        block = raw.header_block("/core/v1/echo")
        start = time.monotonic()
        raw.send(hf.HeadersFrame(1, block[:3], flags=["END_STREAM"]),
                 hf.ContinuationFrame(1, block[3:5]))  # and then nothing
        frames = raw.frames(timeout=h.scaled(15))
        elapsed = time.monotonic() - start
        goaways = [f for f in frames if isinstance(f, hf.GoAwayFrame)]
        self.assertTrue(goaways, frames)
        self.assertEqual(goaways[-1].error_code, 1)  # PROTOCOL_ERROR
        reason = json.loads(bytes(goaways[-1].additional_data))
        self.assertEqual(reason["message"], "Request timeout")
        self.assertIn("listenerConfig.headerReadTimeoutInMillis", reason["description"])
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, h.scaled(10))
        h.wait_until(lambda: "408 Request timeout" in self.gw.log_text(), timeout=10,
                     what="the 408 in the gateway's log")

    def test_header_block_completed_in_time_is_served(self):
        from hyperframe import frame as hf
        raw = http2_client.RawH2(h.LOOPBACK, self.gw.port)
        self.addCleanup(raw.close)
        block = raw.header_block("/core/v1/echo")
        raw.send(hf.HeadersFrame(1, block[:3], flags=["END_STREAM"]))
        time.sleep(0.4)
        raw.send(hf.ContinuationFrame(1, block[3:], flags=["END_HEADERS"]))
        frames = raw.frames(timeout=h.scaled(10), until=lambda f: isinstance(f, hf.DataFrame)
                            and "END_STREAM" in f.flags)
        self.assertTrue(any(isinstance(f, hf.HeadersFrame) and f.stream_id == 1 for f in frames),
                        frames)
        self.assertFalse(any(isinstance(f, hf.GoAwayFrame) for f in frames), frames)

    def test_stalled_request_body_is_a_408_on_its_stream(self):
        c = http2_client.H2Client(h.LOOPBACK, self.gw.port)
        self.addCleanup(c.close)
        sid = c.request("POST", "/core/v1/echo", headers=[("content-length", "100")],
                        body=b"only ten b", end=False)
        s = c.response(sid, timeout=h.scaled(15))
        self.assertEqual(s.status(), 408)
        body = json.loads(bytes(s.data))
        self.assertIn("requestBodyTimeoutInMillis", body["description"])
        # Only that stream ended: the connection serves the next request.
        self.assertEqual(c.get("/core/v1/echo").status(), 200)


class Http2DrainAndSwitchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_tools()
        cls.backend = h.TestBackend().start()

    @classmethod
    def tearDownClass(cls):
        cls.backend.stop()

    def gateway(self, conf=None):
        gw = h.Microgw({"core": h.api_definition("/core/v1", [self.backend.url("/")])},
                       conf=conf)
        gw.start()
        self.addCleanup(gw.cleanup)
        return gw

    def test_sigterm_sends_goaway_and_finishes_streams_in_flight(self):
        gw = self.gateway()
        client = subprocess.Popen(
            ["nghttp", "-v", "http://%s:%d/core/v1/slow?ms=1500" % (h.LOOPBACK, gw.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        time.sleep(0.5)
        gw.process.send_signal(signal.SIGTERM)
        out, _ = client.communicate(timeout=h.scaled(30))
        self.assertRegex(out, r"recv GOAWAY frame .*\n.*error_code=NO_ERROR")
        self.assertIn(":status: 200", out)
        self.assertIn("slow ok", out)
        self.assertEqual(gw.process.wait(timeout=20), 0)

    def test_http2_enable_false_serves_http1_only(self):
        gw = self.gateway(conf={"http2": {"enable": False}})
        out = subprocess.run(["curl", "-sS", "-m", "10", "--http2-prior-knowledge", "-o",
                              "/dev/null", "-w", "%{http_code}",
                              "http://%s:%d/core/v1/echo" % (h.LOOPBACK, gw.port)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True)
        self.assertNotEqual(out.stdout, "200")  # the preface is a malformed HTTP/1 request
        self.assertEqual(gw.request("GET", "/core/v1/echo")[0], 200)


if __name__ == "__main__":
    unittest.main()
