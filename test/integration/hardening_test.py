"""Hardening (issue 6) through the real gateway: slow readers, aborted responses
in the access log and metrics, invalid backend responses, Connection options.

Run under Bazel (//test/integration:hardening_test) or directly:
    MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
        /usr/bin/python3 -m unittest test/integration/hardening_test.py
"""

import json
import os
import socket
import time
import unittest

import mgw_harness as h

TIMEOUT_MS = 500
MB20 = 20 * 1024 * 1024
BIG = h.big_body(MB20)
FILTERS = ("filters:\n  - name: request_id\n  - name: headers\n    config:\n      request:\n"
           "        add:\n          X-Gateway: microgw\n  - name: router\n")


def require_binary():
    if not h.find_microgw():
        raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")


class HardeningTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.backend = h.TestBackend().start()
        cls.canned = h.CannedBackend({
            "status000": b"HTTP/1.1 000 Zero\r\nContent-Length: 2\r\n\r\nok",
            "status20": b"HTTP/1.1 20 Short\r\nContent-Length: 2\r\n\r\nok",
            "spacecl": b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
            "spacete": b"HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "big": b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (MB20, BIG),
            "trailers": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n"
                         b"X-Checksum: abc\r\nSet-Cookie: s=1\r\nContent-Length: 9\r\n\r\n"),
        })
        apis = {
            "core": h.api_definition("/core/v1", [cls.backend.url("/")], timeout_ms=TIMEOUT_MS),
            "canned": h.api_definition(
                "/canned/v1", [cls.canned.url()], timeout_ms=TIMEOUT_MS,
                paths={"/" + k: ["get"] for k in cls.canned.replies}),
        }
        cls.gw = h.Microgw(apis, filters=FILTERS)
        try:
            cls.gw.start()
        except Exception:
            cls.backend.stop()
            cls.canned.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.cleanup(keep=bool(os.environ.get("MGW_KEEP_RUN_DIRS")))
        cls.backend.stop()
        cls.canned.stop()

    def tearDown(self):
        if not self.gw.running():
            self.fail("gateway died:\n" + self.gw.process.output_tail(80))

    def aborted(self, by):
        return self.gw.metrics().get(
            'microgw_responses_aborted_total{by="%s"}' % by, 0)

    def access_line(self, needle):
        """Waits for the access log line containing `needle`; returns it."""
        found = []

        def seen():
            found[:] = [l for l in self.gw.log_text().splitlines() if needle in l and "ms aborted=" in l]
            return bool(found)

        h.wait_until(seen, timeout=10, what="access log line with %r" % needle)
        return found[-1]

    def slow_client(self, path):
        """Connects with a small receive buffer and sends a GET; returns the socket."""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        s.settimeout(h.scaled(60))
        s.connect((h.LOOPBACK, self.gw.port))
        s.sendall(("GET %s HTTP/1.1\r\nHost: gw\r\n\r\n" % path).encode())
        return s

    # --- slow readers --------------------------------------------------------------

    def test_client_that_stops_reading_is_not_cut_with_504(self):
        # Stalls for 4x timeoutInMillis with the gateway's buffer to it full:
        # waiting for the client is not backend silence.
        s = self.slow_client("/canned/v1/big?stall=1")
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head[:200])
        time.sleep(4 * TIMEOUT_MS / 1000.0)  # the slow reader under test
        body = head.split(b"\r\n\r\n", 1)[1]
        while len(body) < MB20:
            data = s.recv(1 << 20)
            if not data:
                break
            body += data
        self.assertEqual(len(body), MB20, "response cut short after a client-side stall")
        self.assertTrue(body == BIG, "response body differs from the backend's")
        line = self.access_line("stall=1")
        self.assertIn('" 200 %d ' % MB20, line)
        self.assertTrue(line.endswith("aborted=-"), line)

    def test_backend_silence_mid_body_is_logged_as_timeout_abort(self):
        before = self.aborted("timeout")
        s = self.slow_client("/core/v1/chunked?n=3&delay_ms=%d" % (4 * TIMEOUT_MS))
        data = b""
        while True:
            more = s.recv(65536)
            if not more:
                break
            data += more
        self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:200])
        self.assertNotIn(b"0\r\n\r\n", data)  # never properly ended
        line = self.access_line("chunked?n=3&delay_ms=%d" % (4 * TIMEOUT_MS))
        self.assertIn('" 200 ', line)
        self.assertTrue(line.endswith("aborted=timeout"), line)
        h.wait_until(lambda: self.aborted("timeout") >= before + 1, timeout=10,
                     what="microgw_responses_aborted_total{by=timeout}")

    def test_client_gone_mid_response_is_logged_as_client_abort(self):
        before = self.aborted("client")
        s = self.slow_client("/canned/v1/big?gone=1")
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
        s.close()
        line = self.access_line("gone=1")
        self.assertIn('" 200 ', line)
        self.assertTrue(line.endswith("aborted=client"), line)
        h.wait_until(lambda: self.aborted("client") >= before + 1, timeout=10,
                     what="microgw_responses_aborted_total{by=client}")

    # --- invalid backend responses -------------------------------------------------------

    def test_invalid_status_and_header_names_are_502_naming_the_backend(self):
        for name in ("status000", "status20", "spacecl", "spacete"):
            with self.subTest(name):
                status, _, body = self.gw.request("GET", "/canned/v1/" + name)
                self.assertEqual(status, 502, body)
                self.assertNotIn(b"hello", body)
        log = self.gw.log_text()
        self.assertIn("the backend %s sent a malformed HTTP response: status code 0 " % self.canned.url(), log)
        self.assertIn("header name 'Content-Length ' is not a token", log)

    def test_response_trailers_are_filtered(self):
        c = self.gw.raw()
        self.addCleanup(c.sock.close)
        c.request("GET", "/canned/v1/trailers", headers={"TE": "trailers"})
        c.sock.settimeout(h.scaled(10))
        data = b""
        while True:
            end = data.find(b"\r\n0\r\n")
            if end >= 0 and data.endswith(b"\r\n\r\n") and len(data) >= end + 7:
                break
            more = c.sock.recv(65536)
            if not more:
                break
            data += more
        self.assertIn(b"X-Checksum: abc\r\n", data)
        self.assertNotIn(b"Set-Cookie", data)
        self.assertNotIn(b"Content-Length: 9", data)

    # --- Connection options ---------------------------------------------------------------

    def test_connection_option_cannot_drop_gateway_headers(self):
        status, _, body = self.gw.request(
            "GET", "/core/v1/echo",
            headers={"Connection": "X-Request-Id, X-Gateway, X-Forwarded-For, X-Client",
                     "X-Client": "hop"})
        self.assertEqual(status, 200, body)
        seen = json.loads(body)["headers_lower"]
        self.assertIn("x-request-id", seen)
        self.assertEqual(seen.get("x-gateway"), "microgw")
        self.assertEqual(seen.get("x-forwarded-for"), "127.0.0.1")
        self.assertNotIn("x-client", seen)  # the client's own option still applies


if __name__ == "__main__":
    unittest.main()
