"""Gateway-core integration tests: the real microgw binary against the Python test backend.

Run under Bazel (//test/integration:gateway_core_test) or directly:
    MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
        /usr/bin/python3 -m unittest test/integration/gateway_core_test.py
"""

import http.client
import json
import os
import re
import signal
import threading
import time
import unittest

import mgw_harness as h

MAX_URI = 2048
MAX_HEADER = 8192
MAX_BODY = 32 * 1024 * 1024
HEADER_READ_TIMEOUT_MS = 2000
MB20 = 20 * 1024 * 1024


def require_binary():
    if not h.find_microgw():
        raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")


def error_fields(test, body):
    """Asserts the gateway's JSON error body shape; returns the parsed object."""
    try:
        obj = json.loads(body.decode())
    except ValueError:
        test.fail("error body is not JSON: %r" % body[:300])
    for field in ("code", "message", "description"):
        test.assertIn(field, obj, "error body lacks %r: %r" % (field, obj))
    return obj


class GatewayCoreTest(h.GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.backend = h.TestBackend().start()
        down_port = h.free_port()  # nothing listens there
        apis = {
            "core": h.api_definition("/core/v1", [cls.backend.url("/")]),
            "svc": h.api_definition("/svc/v2", [cls.backend.url("/backend-base")],
                                    paths={"/echo": ["get"]}),
            "down": h.api_definition("/down/v1", ["http://127.0.0.1:%d/" % down_port],
                                     paths={"/echo": ["get"]}),
            "timeout": h.api_definition("/timeout/v1", [cls.backend.url("/")],
                                        paths={"/slow": ["get"]}, timeout_ms=500),
        }
        conf = {"listenerConfig": {"maxUriLength": MAX_URI, "maxHeaderSize": MAX_HEADER,
                                   "maxEntityBodySize": MAX_BODY,
                                   "headerReadTimeoutInMillis": HEADER_READ_TIMEOUT_MS}}
        cls.peers = (cls.backend,)
        cls.start_gateway(h.Microgw(apis, conf=conf))

    def conn(self, timeout=60):
        c = http.client.HTTPConnection(h.LOOPBACK, self.gw.port, timeout=h.scaled(timeout))
        self.addCleanup(c.close)
        return c

    def get(self, path, method="GET", body=None, headers=None, timeout=60):
        return self.gw.request(method, path, body=body, headers=headers, timeout=timeout)

    def echo(self, path, **kw):
        status, headers, body = self.get(path, **kw)
        self.assertEqual(status, 200, body[:500])
        return json.loads(body)

    # --- routing -------------------------------------------------------------
    def test_route_by_base_path_and_method(self):
        e = self.echo("/core/v1/echo")
        self.assertEqual((e["method"], e["path"]), ("GET", "/echo"))
        e = self.echo("/core/v1/echo", method="POST", body=b"x")
        self.assertEqual(e["method"], "POST")

    def test_path_template_and_query(self):
        e = self.echo("/core/v1/echo/42?x=1&y=a%20b")
        self.assertEqual(e["path"], "/echo/42")
        self.assertEqual(e["args"], {"x": "1", "y": "a b"})

    def test_base_path_stripped_onto_endpoint_path(self):
        e = self.echo("/svc/v2/echo?k=v")
        self.assertEqual(e["path"], "/backend-base/echo")
        self.assertEqual(e["query"], "k=v")

    def test_unknown_api_404_json(self):
        status, headers, body = self.get("/nope/v1/echo")
        self.assertEqual(status, 404)
        self.assertIn("json", headers.get("Content-Type", ""))
        error_fields(self, body)

    def test_unknown_resource_404(self):
        status, _, body = self.get("/core/v1/not-a-resource")
        self.assertEqual(status, 404)
        error_fields(self, body)

    def test_method_not_defined_405_json(self):
        status, _, body = self.get("/core/v1/chunked", method="DELETE")
        self.assertEqual(status, 405)
        error_fields(self, body)
        self.assertEqual(self.backend_requests_for("DELETE", "/chunked"), 0)

    def backend_requests_for(self, method, path):
        return sum(1 for r in list(self.backend.records)
                   if r["method"] == method and r["path"] == path)

    # --- bodies --------------------------------------------------------------
    def test_large_upload_byte_exact(self):
        payload = os.urandom(MB20)
        e = self.echo("/core/v1/upload", method="POST", body=payload, timeout=120)
        self.assertEqual(e["body_length"], MB20)
        self.assertEqual(e["body_sha256"], h.sha256(payload))

    def test_large_download_byte_exact(self):
        status, headers, body = self.get("/core/v1/big?n=%d" % MB20, timeout=120)
        self.assertEqual(status, 200)
        self.assertEqual(len(body), MB20)
        self.assertEqual(h.sha256(body), h.sha256(h.big_body(MB20)))

    def test_chunked_request_body(self):
        payload = os.urandom(1_000_000)
        pieces = [payload[i:i + 65536] for i in range(0, len(payload), 65536)]
        c = self.conn()
        c.request("POST", "/core/v1/upload", body=iter(pieces), encode_chunked=True,
                  headers={"Transfer-Encoding": "chunked"})
        resp = c.getresponse()
        e = json.loads(resp.read())
        self.assertEqual(resp.status, 200)
        self.assertEqual((e["body_length"], e["body_sha256"]), (len(payload), h.sha256(payload)))

    def test_chunked_response(self):
        with self.gw.raw() as raw:
            raw.request("GET", "/core/v1/chunked?n=50&delay_ms=5")
            r = raw.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, h.chunked_body(50))

    # --- connections ----------------------------------------------------------
    def test_keep_alive_reuses_backend_connections(self):
        self.backend.reset_counters()
        c = self.conn()
        for i in range(10):
            c.request("GET", "/core/v1/echo?i=%d" % i)
            resp = c.getresponse()
            resp.read()
            self.assertEqual(resp.status, 200)
        self.assertEqual(self.backend.requests, 10)
        self.assertLess(self.backend.connections, 10,
                        "backend saw %d connections for 10 requests" % self.backend.connections)

    def test_pipelined_requests_answered_in_order(self):
        with self.gw.raw() as raw:
            raw.send(b"GET /core/v1/echo?i=1 HTTP/1.1\r\nHost: a\r\n\r\n"
                     b"GET /core/v1/slow?ms=200 HTTP/1.1\r\nHost: a\r\n\r\n"
                     b"GET /core/v1/echo?i=3 HTTP/1.1\r\nHost: a\r\n\r\n")
            r1, r2, r3 = raw.read_response(), raw.read_response(), raw.read_response()
        self.assertEqual(r1.json()["args"], {"i": "1"})
        self.assertEqual(r2.body, b"slow ok\n")
        self.assertEqual(r3.json()["args"], {"i": "3"})

    def test_head(self):
        with self.gw.raw() as raw:
            raw.request("HEAD", "/core/v1/big?n=1000")
            r = raw.read_response("HEAD")
            self.assertEqual(r.status, 200)
            # The next response on the same connection parses cleanly: no stray body bytes.
            raw.request("GET", "/core/v1/echo?after=head")
            r2 = raw.read_response()
        self.assertEqual(r2.json()["args"], {"after": "head"})

    def test_expect_100_continue(self):
        with self.gw.raw() as raw:
            raw.send(b"POST /core/v1/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n"
                     b"Expect: 100-continue\r\n\r\n")
            interim = raw.read_interim()
            self.assertEqual(interim.status, 100)
            raw.send(b"0123456789")
            r = raw.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["body_sha256"], h.sha256(b"0123456789"))

    # --- upstream errors -----------------------------------------------------
    def test_backend_down_502(self):
        start = time.monotonic()
        status, _, body = self.get("/down/v1/echo")
        self.assertEqual(status, 502)
        error_fields(self, body)
        self.assertLess(time.monotonic() - start, h.scaled(10))

    def test_backend_timeout_504(self):
        start = time.monotonic()
        status, _, body = self.get("/timeout/v1/slow?ms=5000")
        elapsed = time.monotonic() - start
        self.assertEqual(status, 504)
        error_fields(self, body)
        self.assertLess(elapsed, 4.5)

    def test_backend_reset_502(self):
        status, _, body = self.get("/core/v1/reset")
        self.assertEqual(status, 502)

    # --- limits and malformed requests ---------------------------------------
    def raw_status(self, data, timeout=30):
        with self.gw.raw(timeout=timeout) as raw:
            raw.send(data)
            return raw.read_response()

    def test_uri_too_long_414(self):
        path = "/core/v1/echo?q=" + "a" * (MAX_URI + 100)
        r = self.raw_status(("GET %s HTTP/1.1\r\nHost: a\r\n\r\n" % path).encode())
        self.assertEqual(r.status, 414)

    def test_headers_too_large_431(self):
        big = "b" * (MAX_HEADER + 100)
        r = self.raw_status(("GET /core/v1/echo HTTP/1.1\r\nHost: a\r\nX-Big: %s\r\n\r\n"
                             % big).encode())
        self.assertEqual(r.status, 431)

    def test_body_too_large_413(self):
        r = self.raw_status(b"POST /core/v1/upload HTTP/1.1\r\nHost: a\r\n"
                            b"Content-Length: %d\r\n\r\n" % (MAX_BODY + 1))
        self.assertEqual(r.status, 413)

    def test_content_length_and_transfer_encoding_400(self):
        r = self.raw_status(b"POST /core/v1/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        self.assertEqual(r.status, 400)

    def test_conflicting_content_lengths_400(self):
        r = self.raw_status(b"POST /core/v1/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                            b"Content-Length: 6\r\n\r\nhello!")
        self.assertEqual(r.status, 400)

    def test_garbage_request_line_400(self):
        r = self.raw_status(b"THIS IS NOT HTTP\r\n\r\n")
        self.assertEqual(r.status, 400)

    def test_dot_segments_rejected_400(self):
        # "/echo/{id}" would match "..", and the backend would then serve "/".
        for target in (b"/core/v1/echo/..", b"/core/v1/echo/%2e%2E", b"/core/v1/./echo"):
            r = self.raw_status(b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertEqual(r.status, 400, target)
            self.assertIn(b"segment", r.body, target)

    # Issue 6: fragments, parameter-only segments, raw control/non-ASCII bytes.
    def test_fragment_and_parameter_only_segment_400(self):
        for target in (b"/core/v1/echo/#", b"/core/v1/echo/1#x", b"/core/v1/echo/;x"):
            r = self.raw_status(b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertEqual(r.status, 400, target)
            error_fields(self, r.body)
        self.assertEqual(self.backend_requests_for("GET", "/echo/"), 0)

    def test_request_target_control_and_high_bytes_400(self):
        for target in (b"/core/v1/echo?a=\tb", b"/core/v1/ech\x0co", b"/core/v1/echo/caf\xc3\xa9"):
            r = self.raw_status(b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertEqual(r.status, 400, target)

    def test_lenient_chunk_framing_400(self):
        for body in (b"5\r\nhelloXY0\r\n\r\n", b"5\rXhello\r\n0\r\n\r\n",
                     b"5;a=b\nhello\r\n0\r\n\r\n"):
            r = self.raw_status(b"POST /core/v1/upload HTTP/1.1\r\nHost: a\r\n"
                                b"Transfer-Encoding: chunked\r\n\r\n" + body)
            self.assertEqual(r.status, 400, body)

    def test_header_section_counted_on_the_wire_431(self):
        # 99 fields: 8,019 bytes of names and values (under MAX_HEADER), 8,415 on the wire.
        fields = b"".join(b"X%02d: %s\r\n" % (i, b"v" * 78) for i in range(99))
        r = self.raw_status(b"GET /core/v1/echo HTTP/1.1\r\nHost: a\r\n" + fields + b"\r\n")
        self.assertEqual(r.status, 431)
        self.assertIn(b"maxHeaderSize", r.body)
        many = b"".join(b"X-%d: 1\r\n" % i for i in range(101))  # default maxHeaderCount 100
        r = self.raw_status(b"GET /core/v1/echo HTTP/1.1\r\n" + many + b"Host: a\r\n\r\n")
        self.assertEqual(r.status, 431)
        self.assertIn(b"maxHeaderCount", r.body)

    def test_underscore_headers_dropped_and_counted(self):
        def dropped():
            _, _, body = self.gw.admin("/metrics")
            return h.metric_sum(h.parse_prometheus(body.decode()),
                                "microgw_downstream_headers_with_underscores_dropped_total")
        before = dropped()
        e = self.echo("/core/v1/echo", headers={"X_Forwarded_For": "198.51.100.9",
                                                 "Proxy_Authorization": "Basic eDp5"})
        hdrs = e["headers_lower"]
        self.assertNotIn("x_forwarded_for", hdrs)
        self.assertNotIn("proxy_authorization", hdrs)
        self.assertNotIn("198.51.100.9", hdrs.get("x-forwarded-for", ""))
        self.assertEqual(dropped(), before + 2)

    def test_absolute_form_target_is_routed(self):
        r = self.raw_status(b"GET http://gw.example/core/v1/echo?abs=1 HTTP/1.1\r\nHost: a\r\n\r\n")
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertIn(b'"abs"', r.body)

    def test_header_read_timeout_408(self):
        with self.gw.raw(timeout=30) as raw:
            start = time.monotonic()
            raw.send(b"GET /core/v1/echo HTTP/1.1\r\nHost: a\r\n")  # never finished
            r = raw.read_response()
            elapsed = time.monotonic() - start
        self.assertEqual(r.status, 408)
        self.assertGreaterEqual(elapsed, HEADER_READ_TIMEOUT_MS / 1000.0 * 0.8)
        self.assertLess(elapsed, h.scaled(HEADER_READ_TIMEOUT_MS / 1000.0 + 10))

    # --- header handling ------------------------------------------------------
    def test_hop_by_hop_removed_and_forwarded_headers_added(self):
        with self.gw.raw() as raw:
            raw.request("GET", "/core/v1/echo", headers={
                "Connection": "keep-alive, X-Hop",
                "X-Hop": "must-not-pass",
                "Keep-Alive": "timeout=5",
                "Proxy-Connection": "keep-alive",
                "Proxy-Authorization": "Basic Y2xpZW50OnNlY3JldA==",
                "X-End-To-End": "kept",
            })
            r = raw.read_response()
        e = r.json()
        hdrs = e["headers_lower"]
        for hop in ("x-hop", "keep-alive", "proxy-connection", "proxy-authorization"):
            self.assertNotIn(hop, hdrs, "hop-by-hop header %s reached the backend" % hop)
        self.assertEqual(hdrs.get("x-end-to-end"), "kept")
        self.assertIn("127.0.0.1", hdrs.get("x-forwarded-for", ""))
        self.assertEqual(hdrs.get("x-forwarded-proto"), "http")

    def test_x_forwarded_for_appends(self):
        e = self.echo("/core/v1/echo", headers={"X-Forwarded-For": "203.0.113.7"})
        xff = e["headers_lower"].get("x-forwarded-for", "")
        self.assertTrue(re.match(r"^203\.0\.113\.7,\s*127\.0\.0\.1$", xff), xff)

    # --- admin ---------------------------------------------------------------
    def test_admin_healthz(self):
        status, _, _ = self.gw.admin("/healthz")
        self.assertEqual(status, 200)

    def test_admin_memory_reports_the_allocator(self):
        status, headers, body = self.gw.admin("/memory")
        self.assertEqual(status, 200)
        stats = json.loads(body)
        # The default build links tcmalloc; --define=allocator=libc builds say glibc.
        self.assertIn(stats["allocator"], ("tcmalloc", "glibc"))
        self.assertGreater(stats["allocated"], 100000)  # configs, tables, buffers
        self.assertGreaterEqual(stats["heap_size"], stats["allocated"])
        self.assertEqual(stats["free_in_heap"], stats["heap_size"] - stats["allocated"])

    def test_admin_metrics_counts_requests(self):
        last = {"text": ""}

        def request_total():
            status, _, body = self.gw.admin("/metrics")
            self.assertEqual(status, 200)
            text = last["text"] = body.decode()
            # Labelled counters may appear only after their first increment.
            counters = set(re.findall(r"^# TYPE (\S*request\S*) counter", text, re.M))
            samples = h.parse_prometheus(text)
            return sum(v for k, v in samples.items() if k.split("{")[0] in counters)

        before = request_total()
        for _ in range(3):
            self.echo("/core/v1/echo")
        try:
            h.wait_until(lambda: request_total() >= before + 3, timeout=10,
                         what="a request counter to grow by 3")
        except TimeoutError:
            self.fail("no request counter grew by 3 in /metrics:\n" + last["text"][:3000])


class GatewayCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()

    def make(self, conf=None):
        gw = h.Microgw({"a": h.api_definition("/a", ["http://127.0.0.1:9/"])}, conf=conf)
        self.addCleanup(gw.cleanup)
        return gw

    def test_check_valid_conf(self):
        r = self.make().check()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_check_misspelt_key_exit_2_with_suggestion(self):
        gw = self.make({"httpClients": {"proxy": {"enabeld": True}}})
        r = gw.check()
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 2, out)
        self.assertIn("enabeld", out)
        self.assertIn("enabled", out.replace("enabeld", ""))
        self.assertIn("micro-gw.conf", out)

    def test_check_wrong_type_in_filter_config_exit_2_naming_file_entry_and_key(self):
        # A list where request_id expects a string used to abort --check (exit 134).
        for config, key in (("header: [a, b]", "config.header"),
                            ("request:\n        add: 5", "config.request.add")):
            name = "request_id" if key == "config.header" else "headers"
            gw = h.Microgw({"a": h.api_definition("/a", ["http://127.0.0.1:9/"])},
                           filters="filters:\n  - name: %s\n    config:\n      %s\n"
                                   "  - name: router\n" % (name, config))
            self.addCleanup(gw.cleanup)
            r = gw.check()
            out = r.stdout + r.stderr
            self.assertEqual(r.returncode, 2, out)
            self.assertIn("filters.yaml: filters[0] '%s': %s: expected " % (name, key), out)

    def test_version(self):
        import subprocess
        r = subprocess.run([h.find_microgw(), "--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30, universal_newlines=True)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertRegex(r.stdout, r"\d+\.\d+")


class GracefulShutdownTest(unittest.TestCase):
    def test_in_flight_request_completes_and_listener_closes(self):
        require_binary()
        backend = h.TestBackend().start()
        self.addCleanup(backend.stop)
        gw = h.Microgw({"core": h.api_definition("/core/v1", [backend.url("/")])},
                       conf={"listenerConfig": {"drainTimeoutInMillis": 15000}})
        self.addCleanup(gw.cleanup)
        gw.start()
        result = {}

        def slow():
            try:
                result["r"] = gw.request("GET", "/core/v1/slow?ms=3000", timeout=60)
            except Exception as e:  # reported below
                result["e"] = e

        t = threading.Thread(target=slow)
        t.start()
        h.wait_until(lambda: any(r["path"] == "/slow" for r in list(backend.records)),
                     timeout=20, what="slow request at the backend")
        gw.process.send_signal(signal.SIGTERM)
        h.wait_until(lambda: not h.port_open(h.LOOPBACK, gw.port, timeout=0.2), timeout=10,
                     what="listener to close after SIGTERM")
        self.assertTrue(t.is_alive(), "slow request finished before the listener closed")
        t.join(h.scaled(30))
        self.assertNotIn("e", result, result.get("e"))
        status, _, body = result["r"]
        self.assertEqual((status, body), (200, b"slow ok\n"))
        code = gw.process.wait(timeout=20)
        self.assertEqual(code, 0, gw.process.output_tail())


if __name__ == "__main__":
    unittest.main()
