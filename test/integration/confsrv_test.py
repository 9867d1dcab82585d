"""Start-up and listener hardening: the README's minimal set-up, the built-in
filter chain, a second gateway on a port in use, and the admin listener's limits.

Run under Bazel (//test/integration:confsrv_test) or directly:
    MICROGW_BIN=bazel-bin/gateway/microgw MICROGW_README=README.md PYTHONPATH=test/support \
        /usr/bin/python3 -m unittest test/integration/confsrv_test.py
"""

import json
import os
import re
import socket
import subprocess
import unittest

import mgw_harness as h

ADMIN_MAX_CONNECTIONS = 4
MAX_HEADER = 8192


def require_binary():
    if not h.find_microgw():
        raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")


def readme_text():
    candidates = [os.environ.get("MICROGW_README", "")]
    srcdir = os.environ.get("TEST_SRCDIR")
    if srcdir:
        candidates.append(os.path.join(srcdir, os.environ.get("TEST_WORKSPACE", "microgw"),
                                       "README.md"))
    candidates.append(os.path.join(os.path.dirname(__file__), "..", "..", "README.md"))
    for path in candidates:
        if path and os.path.isfile(path):
            with open(path) as f:
                return f.read()
    raise unittest.SkipTest("README.md not found (set MICROGW_README)")


def readme_block(text, first_line):
    """The fenced code block of the README whose first line is `first_line`."""
    m = re.search(r"```[a-z]*\n(%s\n.*?)```" % re.escape(first_line), text, re.S)
    if not m:
        raise AssertionError("README has no code block starting with %r" % first_line)
    return m.group(1)


def clean_env():
    """The process environment without proxy variables (the minimal conf has no proxy)."""
    return {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}


def gateway_process(run_dir, name, port):
    return h.Process(name, [h.find_microgw(), "--conf", "micro-gw.conf", "--apis", "apis"],
                     run_dir, env=clean_env(), cwd=run_dir, port=port)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class MinimalSetupTest(unittest.TestCase):
    """A fresh folder with only the README's micro-gw.conf and API file."""

    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.readme = readme_text()
        cls.backend = h.TestBackend().start()
        cls.addClassCleanup(cls.backend.stop)

    def make_folder(self, extra_conf=""):
        run_dir = h.make_run_dir("mgw-minimal-")
        port, admin_port = h.free_port(), h.free_port()
        conf = readme_block(self.readme, "# micro-gw.conf (minimal)")
        conf = conf.replace("httpPort = 9090", "httpPort = %d" % port)
        conf = conf.replace("port = 9797", "port = %d" % admin_port)
        api = readme_block(self.readme, "# apis/hello.yaml")
        api = api.replace("http://127.0.0.1:8080/", self.backend.url("/"))
        write(os.path.join(run_dir, "micro-gw.conf"), conf + extra_conf)
        write(os.path.join(run_dir, "apis", "hello.yaml"), api)
        return run_dir, port, admin_port

    def test_starts_and_serves_with_the_builtin_chain(self):
        run_dir, port, admin_port = self.make_folder()
        self.assertEqual(sorted(os.listdir(run_dir)), ["apis", "micro-gw.conf"])
        gw = gateway_process(run_dir, "microgw", port)
        self.addCleanup(gw.stop)
        gw.start(timeout=60)
        status, headers, body = h.http_request(h.LOOPBACK, port, "GET", "/hello/v1/echo")
        self.assertEqual(status, 200, body[:300])
        seen = json.loads(body.decode())
        # The built-in chain is conf/filters.yaml's: headers adds X-Gateway, request_id an id.
        self.assertEqual(seen["headers_lower"].get("x-gateway"), "microgw", seen)
        self.assertIn("x-request-id", seen["headers_lower"], seen)
        self.assertIsNone(headers.get("Server"))
        h.wait_until(lambda: "filter chain: built-in default chain" in gw.stderr_text()
                     + gw.stdout_text(), timeout=10, what="start-up log naming the chain")

    def test_check_names_the_builtin_chain(self):
        run_dir, _, _ = self.make_folder()
        out = subprocess.run([h.find_microgw(), "--check", "--conf", "micro-gw.conf", "--apis",
                              "apis"], cwd=run_dir, env=clean_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("filter chain: built-in default chain", out.stdout)

    def test_missing_explicit_chain_file_is_an_error_naming_the_key(self):
        run_dir, _, _ = self.make_folder('[filters]\n  chainFile = "chain.yaml"\n')
        out = subprocess.run([h.find_microgw(), "--check", "--conf", "micro-gw.conf", "--apis",
                              "apis"], cwd=run_dir, env=clean_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertIn("micro-gw.conf: 'filters.chainFile': no such file: ", out.stderr)
        self.assertIn("chain.yaml", out.stderr)


class SecondGatewayTest(unittest.TestCase):
    """A second gateway on a port another one listens on exits; the first keeps serving."""

    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.backend = h.TestBackend().start()
        cls.addClassCleanup(cls.backend.stop)
        cls.first = h.Microgw({"core": h.api_definition("/core/v1", [cls.backend.url("/")])})
        cls.first.start()
        cls.addClassCleanup(cls.first.cleanup)

    def start_second(self, conf):
        second = h.Microgw({"other": h.api_definition("/other/v1", [self.backend.url("/")])},
                           conf=conf)
        self.addCleanup(second.cleanup)
        second.process = h.Process("microgw", second.argv(), second.run_dir)
        second.process.start(wait=False)
        code = second.process.wait(timeout=30)
        return second, code

    def assert_first_serves(self):
        for _ in range(6):  # with a shared port, some would reach the second's routes
            status, _, body = self.first.request("GET", "/core/v1/echo")
            self.assertEqual(status, 200, body[:200])
        self.assertTrue(self.first.running())

    def test_same_http_port(self):
        second, code = self.start_second({"listenerConfig": {"httpPort": self.first.port}})
        self.assertEqual(code, 1, second.log_text())
        self.assertIn("cannot listen on 127.0.0.1:%d" % self.first.port, second.log_text())
        self.assertIn("another process, maybe another microgw, listens there",
                      second.log_text())
        self.assertIn("change listenerConfig.httpPort", second.log_text())
        self.assert_first_serves()

    def test_same_admin_port(self):
        second, code = self.start_second({"admin": {"port": self.first.admin_port}})
        self.assertEqual(code, 1, second.log_text())
        self.assertIn("admin listener: cannot listen on 127.0.0.1:%d" % self.first.admin_port,
                      second.log_text())
        self.assertIn("change [admin] port", second.log_text())
        self.assert_first_serves()
        status, _, _ = self.first.admin("/healthz")
        self.assertEqual(status, 200)


class AdminLimitsTest(unittest.TestCase):
    """The admin listener has the main listener's limits and a connection cap."""

    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.backend = h.TestBackend().start()
        cls.addClassCleanup(cls.backend.stop)
        conf = {"listenerConfig": {"maxHeaderSize": MAX_HEADER, "maxUriLength": 1024,
                                   "headerReadTimeoutInMillis": 1000},
                "admin": {"maxConnections": ADMIN_MAX_CONNECTIONS}}
        cls.gw = h.Microgw({"core": h.api_definition("/core/v1", [cls.backend.url("/")])},
                           conf=conf)
        cls.gw.start()
        cls.addClassCleanup(cls.gw.cleanup)

    def admin_raw(self, timeout=10):
        client = h.RawClient(h.LOOPBACK, self.gw.admin_port, timeout=timeout)
        self.addCleanup(client.close)
        return client

    def read_until_closed(self, client):
        """Everything the server sends until it closes (b"" on a reset)."""
        data = b""
        sock = client.sock
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return data
            if not chunk:
                return data
            data += chunk

    def test_oversize_headers_get_431_and_close(self):
        client = self.admin_raw()
        head = b"GET /metrics HTTP/1.1\r\nHost: a\r\n"
        filler = b"".join(b"X-Fill-%d: %s\r\n" % (i, b"v" * 1000) for i in range(2000))  # ~2 MB
        try:
            client.send(head + filler + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = self.read_until_closed(client)
        self.assertTrue(data.startswith(b"HTTP/1.1 431 "), data[:200])
        self.assertIn(b"Connection: close", data)
        status, _, _ = self.gw.admin("/healthz")
        self.assertEqual(status, 200)

    def test_long_uri_gets_414(self):
        client = self.admin_raw()
        client.send(b"GET /" + b"a" * 4000 + b" HTTP/1.1\r\nHost: a\r\n\r\n")
        data = self.read_until_closed(client)
        self.assertTrue(data.startswith(b"HTTP/1.1 414 "), data[:200])

    def test_incomplete_headers_time_out_with_408(self):
        client = self.admin_raw()
        client.send(b"GET /healthz HTTP/1.1\r\nHost: a\r\n")
        data = self.read_until_closed(client)
        self.assertTrue(data.startswith(b"HTTP/1.1 408 "), data[:200])

    def test_keep_alive_requests_still_work(self):
        client = self.admin_raw()
        for path, status in (("/healthz", 200), ("/ready", 200), ("/metrics", 200),
                             ("/nope", 404)):
            client.request("GET", path)
            resp = client.read_response()
            self.assertEqual(resp.status, status, path)
            self.assertEqual(int(resp.header("Content-Length")), len(resp.body), path)

    def test_connections_over_the_cap_are_refused(self):
        held = []
        # One at a time, each answered (so the server has seen it) before the next.
        for _ in range(ADMIN_MAX_CONNECTIONS):
            s = socket.create_connection((h.LOOPBACK, self.gw.admin_port), timeout=10)
            self.addCleanup(s.close)
            held.append(s)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            answer = s.recv(4096)
            self.assertTrue(answer.startswith(b"HTTP/1.1 200 "), answer[:300])
        extra = socket.create_connection((h.LOOPBACK, self.gw.admin_port), timeout=10)
        self.addCleanup(extra.close)
        data = b""
        while True:
            try:
                chunk = extra.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        self.assertTrue(data.startswith(b"HTTP/1.1 503 "), data[:200])
        self.assertIn(b"[admin] maxConnections", data)
        h.wait_until(lambda: "connection refused" in self.gw.log_text(), timeout=10,
                     what="a log line for the refused admin connection")
        for s in held:
            s.close()
        # Once they are gone, the admin listener serves again.
        h.wait_until(lambda: self.gw.admin("/healthz")[0] == 200, timeout=10,
                     what="admin serving after the held connections closed")
        self.assertGreaterEqual(
            h.metric_sum(self.gw.metrics(), "microgw_admin_connections_refused_total"), 1)


if __name__ == "__main__":
    unittest.main()
