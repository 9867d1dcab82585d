"""Tests of the integration harness itself against the real peers (no gateway needed)."""

import http.client
import json
import os
import shutil
import socket
import ssl
import tempfile
import threading
import time
import unittest

import mgw_harness as h


def _get(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    return resp, resp.read()


class TestBackendTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.backend = h.TestBackend().start()

    @classmethod
    def tearDownClass(cls):
        cls.backend.stop()

    def conn(self):
        c = http.client.HTTPConnection(h.LOOPBACK, self.backend.port, timeout=30)
        self.addCleanup(c.close)
        return c

    def test_echo_and_keepalive_counts(self):
        self.backend.reset_counters()
        c = self.conn()
        resp, body = _get(c, "POST", "/a/echo?x=1&y=two", body=b"hello",
                          headers={"X-Test": "v"})
        self.assertEqual(resp.status, 200)
        echo = json.loads(body)
        self.assertEqual(echo["method"], "POST")
        self.assertEqual(echo["path"], "/a/echo")
        self.assertEqual(echo["query"], "x=1&y=two")
        self.assertEqual(echo["args"], {"x": "1", "y": "two"})
        self.assertEqual(echo["headers_lower"]["x-test"], "v")
        self.assertEqual(echo["body_sha256"], h.sha256(b"hello"))
        self.assertEqual(echo["body_length"], 5)
        resp, body = _get(c, "GET", "/echo")
        self.assertEqual(json.loads(body)["request_on_connection"], 2)
        self.assertEqual(self.backend.requests, 2)
        self.assertEqual(self.backend.connections, 1)

    def test_chunked_request_body(self):
        c = self.conn()
        payload = os.urandom(300000)
        pieces = [payload[i:i + 70000] for i in range(0, len(payload), 70000)]
        c.request("PUT", "/echo", body=iter(pieces), encode_chunked=True,
                  headers={"Transfer-Encoding": "chunked"})
        echo = json.loads(c.getresponse().read())
        self.assertEqual(echo["body_sha256"], h.sha256(payload))
        self.assertEqual(echo["body_length"], len(payload))

    def test_big(self):
        resp, body = _get(self.conn(), "GET", "/big?n=3000000")
        self.assertEqual(resp.getheader("Content-Length"), "3000000")
        self.assertEqual(h.sha256(body), h.sha256(h.big_body(3000000)))

    def test_chunked_response(self):
        resp, body = _get(self.conn(), "GET", "/chunked?n=7")
        self.assertEqual(resp.getheader("Transfer-Encoding"), "chunked")
        self.assertEqual(body, h.chunked_body(7))

    def test_slow(self):
        start = time.monotonic()
        resp, body = _get(self.conn(), "GET", "/slow?ms=300")
        self.assertEqual(resp.status, 200)
        self.assertGreaterEqual(time.monotonic() - start, 0.29)

    def test_status(self):
        resp, body = _get(self.conn(), "GET", "/status/418")
        self.assertEqual(resp.status, 418)
        resp, body = _get(self.conn(), "GET", "/status/204")
        self.assertEqual((resp.status, body), (204, b""))

    def test_head(self):
        resp, body = _get(self.conn(), "HEAD", "/big?n=1000")
        self.assertEqual((resp.status, body, resp.getheader("Content-Length")), (200, b"", "1000"))

    def test_reset(self):
        with self.assertRaises((ConnectionError, http.client.RemoteDisconnected,
                                http.client.BadStatusLine)):
            _get(self.conn(), "GET", "/reset")

    def test_raw_client_pipelining_and_expect(self):
        with h.RawClient(h.LOOPBACK, self.backend.port) as raw:
            raw.send(b"GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /chunked?n=3 HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"HEAD /big?n=10 HTTP/1.1\r\nHost: x\r\n\r\n")
            r1 = raw.read_response()
            r2 = raw.read_response()
            r3 = raw.read_response("HEAD")
            self.assertEqual(r1.json()["args"], {"n": "1"})
            self.assertEqual(r2.body, h.chunked_body(3))
            self.assertEqual((r3.status, r3.body), (200, b""))
            raw.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                     b"Expect: 100-continue\r\n\r\n")
            interim = raw.read_interim()
            self.assertEqual(interim.status, 100)
            raw.send(b"abcd")
            r4 = raw.read_response()
            self.assertEqual(r4.json()["body_sha256"], h.sha256(b"abcd"))

    def test_https_backend(self):
        with tempfile.TemporaryDirectory() as d:
            ca = h.TestCA(d)
            with h.TestBackend(ca=ca) as tls_backend:
                c = http.client.HTTPSConnection("localhost", tls_backend.port, timeout=30,
                                                context=ca.client_context())
                resp, body = _get(c, "GET", "/echo")
                c.close()
                self.assertTrue(json.loads(body)["tls"])
                other = h.TestCA(d, name="other-ca")
                c = http.client.HTTPSConnection(h.LOOPBACK, tls_backend.port, timeout=30,
                                                context=other.client_context())
                with self.assertRaises(ssl.SSLCertVerificationError):
                    c.request("GET", "/echo")
                c.close()

    def test_free_port_unique(self):
        ports = {h.free_port() for _ in range(20)}
        self.assertEqual(len(ports), 20)

    def test_toml_writer(self):
        text = h.to_toml({"a": {"x": 1, "s": "q\"", "l": ["a"], "b": {"t": True}}})
        self.assertIn('[a]\nx = 1\ns = "q\\""\nl = ["a"]', text)
        self.assertIn("[a.b]\nt = true", text)


class SquidTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mgw-selftest-")
        cls.ca = h.TestCA(cls.tmp)
        cls.backend = h.TestBackend().start()
        cls.tls_backend = h.TestBackend(ca=cls.ca).start()
        cls.squid = h.Squid(auth=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.squid.cleanup()
        cls.backend.stop()
        cls.tls_backend.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_connect_with_auth_http_and_https(self):
        c = http.client.HTTPConnection(h.LOOPBACK, self.squid.port, timeout=30)
        c.set_tunnel(h.LOOPBACK, self.backend.port, headers=self.squid.auth_header())
        resp, body = _get(c, "GET", "/echo?via=squid")
        c.close()
        self.assertEqual(resp.status, 200)
        self.assertNotIn("proxy-authorization", json.loads(body)["headers_lower"])
        c = http.client.HTTPSConnection(h.LOOPBACK, self.squid.port, timeout=30,
                                        context=self.ca.client_context())
        c.set_tunnel("localhost", self.tls_backend.port, headers=self.squid.auth_header())
        resp, body = _get(c, "GET", "/echo")
        c.close()
        self.assertTrue(json.loads(body)["tls"])
        target = "127.0.0.1:%d" % self.backend.port
        lines = self.squid.wait_for_log(lambda e: e["method"] == "CONNECT" and
                                        e["url"] == target)
        self.assertEqual(lines[0]["user"], self.squid.username)
        self.assertEqual(lines[0]["status"], "200")
        self.squid.wait_for_log(lambda e: e["url"] == "localhost:%d" % self.tls_backend.port)

    def test_wrong_password_407(self):
        c = http.client.HTTPConnection(h.LOOPBACK, self.squid.port, timeout=30)
        c.set_tunnel(h.LOOPBACK, self.backend.port,
                     headers=self.squid.auth_header(password="wrong"))
        with self.assertRaisesRegex(OSError, "407"):
            c.request("GET", "/echo")
        c.close()

    def test_forward_mode_absolute_form(self):
        c = http.client.HTTPConnection(h.LOOPBACK, self.squid.port, timeout=30)
        resp, body = _get(c, "GET", "http://127.0.0.1:%d/echo?fwd=1" % self.backend.port,
                          headers=self.squid.auth_header())
        c.close()
        self.assertEqual(resp.status, 200)
        self.assertEqual(json.loads(body)["args"], {"fwd": "1"})
        self.squid.wait_for_log(lambda e: e["method"] == "GET" and "fwd=1" in e["url"])


class SquidVariantsTest(unittest.TestCase):
    def setUp(self):
        self.backend = h.TestBackend().start()
        self.addCleanup(self.backend.stop)

    def test_no_auth_and_restart_same_port(self):
        squid = h.Squid(auth=False).start()
        self.addCleanup(squid.cleanup)
        for _ in range(2):
            c = http.client.HTTPConnection(h.LOOPBACK, squid.port, timeout=30)
            c.set_tunnel(h.LOOPBACK, self.backend.port)
            resp, _ = _get(c, "GET", "/echo")
            c.close()
            self.assertEqual(resp.status, 200)
            port = squid.port
            squid.restart()
            self.assertEqual(squid.port, port)

    def test_connect_only_443_gives_403(self):
        squid = h.Squid(auth=True, connect_ports=[443]).start()
        self.addCleanup(squid.cleanup)
        c = http.client.HTTPConnection(h.LOOPBACK, squid.port, timeout=30)
        c.set_tunnel(h.LOOPBACK, self.backend.port, headers=squid.auth_header())
        with self.assertRaisesRegex(OSError, "403"):
            c.request("GET", "/echo")
        c.close()

    def test_stopped_squid_refuses(self):
        squid = h.Squid(auth=False).start()
        self.addCleanup(squid.cleanup)
        start = time.monotonic()
        squid.stop()
        self.assertLess(time.monotonic() - start, 15)
        self.assertFalse(h.port_open(h.LOOPBACK, squid.port))


class TinyproxyTest(unittest.TestCase):
    def test_connect(self):
        with h.TestBackend() as backend, h.Tinyproxy() as tp:
            c = http.client.HTTPConnection(h.LOOPBACK, tp.port, timeout=30)
            c.set_tunnel(h.LOOPBACK, backend.port)
            resp, body = _get(c, "GET", "/echo?tiny=1")
            c.close()
            self.assertEqual(resp.status, 200)
            self.assertEqual(json.loads(body)["args"], {"tiny": "1"})


class NginxTest(unittest.TestCase):
    def test_static_and_proxy(self):
        with h.TestBackend() as backend, \
                h.Nginx(proxy_upstream="127.0.0.1:%d" % backend.port,
                        files={"index.html": "hi\n", "blob.bin": h.big_body(100000)}) as ngx:
            status, _, body = h.http_request(h.LOOPBACK, ngx.port, "GET", "/index.html")
            self.assertEqual((status, body), (200, b"hi\n"))
            status, _, body = h.http_request(h.LOOPBACK, ngx.port, "GET", "/blob.bin")
            self.assertEqual(body, h.big_body(100000))
            status, _, body = h.http_request(h.LOOPBACK, ngx.port, "GET", "/proxy/echo")
            self.assertEqual(json.loads(body)["path"], "/echo")


class ProcessTest(unittest.TestCase):
    def test_start_wait_stop_captures_output(self):
        port = h.free_port()
        d = tempfile.mkdtemp(prefix="mgw-proc-")
        self.addCleanup(shutil.rmtree, d, True)
        p = h.Process("pyhttp", ["/usr/bin/python3", "-u", "-c",
                                 "import sys, http.server as s; print('up'); "
                                 "s.HTTPServer(('127.0.0.1', %d), s.BaseHTTPRequestHandler)"
                                 ".serve_forever()" % port], d, port=port)
        p.start()
        self.assertTrue(p.running())
        p.stop()
        self.assertFalse(p.running())
        self.assertIn("up", p.stdout_text())

    def test_early_exit_is_reported(self):
        d = tempfile.mkdtemp(prefix="mgw-proc-")
        self.addCleanup(shutil.rmtree, d, True)
        p = h.Process("dies", ["/bin/sh", "-c", "echo boom >&2; exit 3"], d, port=h.free_port())
        with self.assertRaisesRegex(RuntimeError, "boom"):
            p.start(timeout=10)


if __name__ == "__main__":
    unittest.main()
