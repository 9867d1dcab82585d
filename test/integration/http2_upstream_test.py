"""HTTP/2 to backends through the real gateway: endpoints with
`http2: prior-knowledge` get h2c from a per-worker pool that hands out streams.

Real HTTP/2 peers on free loopback ports: nghttpd (Debian nghttp2-server;
--echo-upload, --trailer, -v to see its connections) and nginx (`listen ...
http2`: keepalive_requests ends a connection with GOAWAY, `return 444` resets
a stream). An HTTP/1 TestBackend sits next to them in the same gateway.

Run under Bazel (//test/integration:http2_upstream_test) or directly:
MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
    /usr/bin/python3 -m unittest test/integration/http2_upstream_test.py
"""

import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import time
import unittest
import urllib.request

import mgw_harness as h
import oauth_harness as oh

H2 = {"http2": "prior-knowledge"}


def need(binary):
    if shutil.which(binary) is None:
        raise unittest.SkipTest("%s is not installed (tools/install.sh)" % binary)


class Nghttpd:
    """nghttpd without TLS (h2c, prior knowledge) serving files from a run folder."""

    def __init__(self, files, port=None, extra=()):
        self.port = port or h.free_port()
        self.run_dir = h.make_run_dir("mgw-nghttpd-")
        self.www = os.path.join(self.run_dir, "www")
        os.makedirs(self.www)
        for name, content in files.items():
            with open(os.path.join(self.www, name), "wb") as f:
                f.write(content)
        self.extra = list(extra)
        self.process = None

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def start(self):
        argv = ["nghttpd", "--no-tls", "-v", "-a", "127.0.0.1", "-d", self.www] + self.extra + [
            str(self.port)]
        self.process = h.Process("nghttpd", argv, self.run_dir, port=self.port)
        self.process.start(timeout=20)
        return self

    def stop(self):
        if self.process:
            self.process.stop()

    def connections(self):
        """The ids of the connections that carried requests (nghttpd's -v log;
        the harness's port probe is a connection without any)."""
        return set(re.findall(r"\[id=(\d+)\][^\n]*recv HEADERS", self.process.stdout_text()))


class H2Nginx:
    """nginx with an h2c (prior knowledge) server on `port` and the same
    locations over HTTP/1.1 on `h1_port`; $connection in its access log."""

    def __init__(self, keepalive_requests=1000, tls=None, files=None, http2=True):
        """tls: (cert, key) = the HTTP/2 port is `ssl http2` (ALPN h2), not h2c;
        with http2=False it is `ssl` alone (ALPN offers only http/1.1).
        files: {name: bytes} served as /name (application/json)."""
        self.tls = tls
        self.http2 = http2
        self.files = files or {}
        self.port = h.free_port()
        self.h1_port = h.free_port()
        self.keepalive_requests = keepalive_requests
        self.run_dir = h.make_run_dir("mgw-h2nginx-", owner=h.DAEMON_USER)
        self.process = None

    def url(self, path="/"):
        return "%s://127.0.0.1:%d%s" % ("https" if self.tls else "http", self.port, path)

    def start(self):
        rd = self.run_dir
        h2_listen = "listen 127.0.0.1:%d http2;" % self.port
        if self.tls:
            h2_listen = ("listen 127.0.0.1:%d ssl%s;\n    ssl_certificate %s;\n"
                         "    ssl_certificate_key %s;" % ((self.port, " http2" if self.http2 else "")
                                                          + tuple(self.tls)))
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(rd, "tmp", sub), exist_ok=True)
        os.makedirs(os.path.join(rd, "www"), exist_ok=True)
        for name, content in self.files.items():
            with open(os.path.join(rd, "www", name), "wb") as f:
                f.write(content)
        user = "user %s %s;\n" % (h.DAEMON_USER, h.DAEMON_USER) if os.geteuid() == 0 else ""
        temps = "".join("  %s_temp_path %s/tmp/%s;\n" % (k, rd, k)
                        for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        conf = ("%sdaemon off;\nworker_processes 1;\npid %s/nginx.pid;\n"
                "error_log %s/error.log warn;\nevents { worker_connections 1024; }\n"
                "http {\n  log_format c '$connection $request_uri $status $server_protocol';\n"
                "  access_log %s/access.log c;\n%s"
                "  keepalive_requests %d;\n"
                "  server {\n    %s\n    listen 127.0.0.1:%d;\n    root %s/www;\n"
                "    default_type application/json;\n"
                "    location /hello { return 200 'hello over h2\\n'; }\n"
                "    location /reset { return 444; }\n  }\n}\n"
                % (user, rd, rd, rd, temps, self.keepalive_requests, h2_listen, self.h1_port,
                   rd))
        with open(os.path.join(rd, "nginx.conf"), "w") as f:
            f.write(conf)
        h.chown_tree(rd, h.DAEMON_USER)
        self.process = h.Process("nginx", ["nginx", "-p", rd, "-e", os.path.join(rd, "error.log"),
                                           "-c", os.path.join(rd, "nginx.conf")], rd,
                                 port=self.port)
        self.process.start(timeout=20)
        return self

    def stop(self):
        if self.process:
            self.process.stop()

    def log(self):
        return h.read_text(os.path.join(self.run_dir, "access.log")).splitlines()


def sha(data):
    return hashlib.sha256(data).hexdigest()


BIG = bytes((i * 7 + i // 251) % 256 for i in range(3 << 20))  # 3 MiB, not repetitive


class Http2UpstreamTest(h.SharedPeersTestCase):
    """One gateway (one worker, so one pool) with HTTP/2 and HTTP/1 endpoints."""

    @classmethod
    def start_peers(cls):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        need("nghttpd")
        need("nginx")
        cls.nghttpd = Nghttpd({"small.txt": b"small file\n", "big.bin": BIG},
                              extra=["--echo-upload", "--no-content-length",
                                     "--trailer=x-h2-trailer: from-backend"]).start()
        cls.cleanups.append(cls.nghttpd.stop)
        cls.nginx = H2Nginx(keepalive_requests=3).start()
        cls.cleanups.append(cls.nginx.stop)
        cls.backend = h.TestBackend().start()
        cls.cleanups.append(cls.backend.stop)
        apis = {
            "h2": h.api_definition("/h2", [cls.nghttpd.url("/")], endpoint_extra=H2,
                                   paths={"/small.txt": ["get"], "/big.bin": ["get"],
                                          "/upload": ["post"]}),
            "ng": h.api_definition("/ng", [cls.nginx.url("/")], endpoint_extra=H2,
                                   paths={"/hello": ["get"], "/reset": ["get"]}),
            "h1": h.api_definition("/h1", [cls.backend.url("/")]),
        }
        cls.gw = h.Microgw(apis, conf={"listenerConfig": {"workers": 1}})
        cls.cleanups.append(cls.gw.cleanup)
        cls.gw.start()

    def get(self, path, **kw):
        return self.gw.request("GET", path, **kw)

    def test_many_concurrent_requests_share_one_connection(self):
        def one(i):
            return self.get("/h2/small.txt")

        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(one, range(40)))
        for status, _, body in results:
            self.assertEqual(status, 200, body)
            self.assertEqual(body, b"small file\n")
        seen = self.nghttpd.connections()
        # One worker, one pool: one connection for all 40 (and for the earlier
        # tests' requests, within the pool's idle timeout).
        self.assertEqual(len(seen), 1, sorted(seen))

    def test_large_response_body(self):
        status, _, body = self.get("/h2/big.bin")
        self.assertEqual(status, 200)
        self.assertEqual(len(body), len(BIG))
        self.assertEqual(sha(body), sha(BIG))

    def test_large_request_body_echoed(self):
        status, _, body = self.gw.request("POST", "/h2/upload", body=BIG,
                                          headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200, body[:200])
        self.assertEqual(len(body), len(BIG))
        self.assertEqual(sha(body), sha(BIG))

    def test_slow_client_large_download(self):
        # The client reads slowly: the gateway stops consuming the stream and
        # the backend's window closes; the body still arrives whole.
        s = socket.create_connection((self.gw.host, self.gw.port), timeout=h.scaled(30))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.sendall(b"GET /h2/big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        time.sleep(1.0)  # let the gateway's buffer to the client fill up
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        head, _, rest = data.partition(b"\r\n\r\n")
        self.assertIn(b" 200 ", head.split(b"\r\n")[0])
        body = dechunk(rest) if b"chunked" in head.lower() else rest
        self.assertEqual(sha(body), sha(BIG))

    def test_trailers_reach_the_client(self):
        s = socket.create_connection((self.gw.host, self.gw.port), timeout=h.scaled(30))
        s.sendall(b"GET /h2/small.txt HTTP/1.1\r\nHost: x\r\nTE: trailers\r\n"
                  b"Connection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        head, _, rest = data.partition(b"\r\n\r\n")
        self.assertIn(b"transfer-encoding: chunked", head.lower(), data)
        last = rest.rfind(b"0\r\n")
        self.assertIn(b"x-h2-trailer: from-backend", rest[last:].lower(), data)

    def test_request_trailers_reach_the_backend(self):
        s = socket.create_connection((self.gw.host, self.gw.port), timeout=h.scaled(30))
        s.sendall(b"POST /h2/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  b"Connection: close\r\n\r\n5\r\nhello\r\n0\r\n"
                  b"X-Client-Trailer: sent-by-client\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertIn(b" 200 ", data.split(b"\r\n")[0], data)
        self.assertIn(b"hello", data)
        h.wait_until(lambda: "x-client-trailer: sent-by-client" in
                     self.nghttpd.process.stdout_text(), timeout=10,
                     what="nghttpd logging the request trailer")

    def test_http1_endpoint_next_to_http2(self):
        status, _, body = self.get("/h1/echo")
        self.assertEqual(status, 200, body)
        seen = json.loads(body)
        self.assertEqual(seen["path"], "/echo")
        status, _, body = self.get("/ng/hello")
        self.assertEqual(status, 200, body)
        self.assertEqual(body, b"hello over h2\n")
        self.assertTrue(any(line.endswith("HTTP/2.0") for line in self.nginx.log()),
                        self.nginx.log())

    def test_goaway_after_keepalive_requests_moves_to_new_connections(self):
        # nginx ends each connection with GOAWAY after 3 streams; streams above
        # its last id are refused and retried (GET) on a new connection.
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda i: self.get("/ng/hello"), range(24)))
        for status, _, body in results:
            self.assertEqual(status, 200, body)
        conns = {line.split()[0] for line in self.nginx.log() if "/hello" in line}
        self.assertGreaterEqual(len(conns), 8, self.nginx.log())

    def test_backend_reset_stream_is_502(self):
        status, _, body = self.get("/ng/reset")
        self.assertEqual(status, 502, body)
        h.wait_until(lambda: "reset the stream" in self.gw.log_text(), timeout=10,
                     what="the gateway's log line about the reset")
        # The connection is still good for the next stream.
        status, _, _ = self.get("/ng/hello")
        self.assertEqual(status, 200)


def dechunk(data):
    out = b""
    while True:
        line, _, data = data.partition(b"\r\n")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            return out
        out += data[:size]
        data = data[size + 2:]


class Http2BackendRestartTest(unittest.TestCase):
    def test_backend_gone_then_back(self):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        need("nghttpd")
        backend = Nghttpd({"a.txt": b"A\n"}).start()
        self.addCleanup(backend.stop)
        gw = h.Microgw({"h2": h.api_definition("/h2", [backend.url("/")], endpoint_extra=H2,
                                               paths={"/a.txt": ["get"]})},
                       conf={"listenerConfig": {"workers": 1}})
        self.addCleanup(gw.cleanup)
        gw.start()
        self.assertEqual(gw.request("GET", "/h2/a.txt")[2], b"A\n")
        backend.stop()
        status, _, _ = gw.request("GET", "/h2/a.txt")
        self.assertEqual(status, 502)
        backend = Nghttpd({"a.txt": b"B\n"}, port=backend.port).start()
        self.addCleanup(backend.stop)
        status, _, body = gw.request("GET", "/h2/a.txt")
        self.assertEqual((status, body), (200, b"B\n"))


class Http2PoolSettingsTest(unittest.TestCase):
    def start(self, conf):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        need("nghttpd")
        backend = Nghttpd({"big.bin": BIG}).start()
        self.addCleanup(backend.stop)
        conf = h.deep_merge({"listenerConfig": {"workers": 1}}, conf)
        gw = h.Microgw({"h2": h.api_definition("/h2", [backend.url("/")], endpoint_extra=H2,
                                               paths={"/big.bin": ["get"]})}, conf=conf)
        self.addCleanup(gw.cleanup)
        gw.start()
        return backend, gw

    def test_max_active_streams_per_connection_opens_more_connections(self):
        backend, gw = self.start({"httpClients": {"poolConfig": {
            "maxActiveStreamsPerConnection": 2}}})
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda i: gw.request("GET", "/h2/big.bin"), range(8)))
        for status, _, body in results:
            self.assertEqual(status, 200)
            self.assertEqual(sha(body), sha(BIG))
        # 8 downloads of 3 MiB overlap; 2 streams per connection need several.
        self.assertGreaterEqual(len(backend.connections()), 2, backend.connections())

    def test_enable_http2_false_sends_http1(self):
        backend, gw = self.start({"httpClients": {"enableHttp2": False}})
        status, _, _ = gw.request("GET", "/h2/big.bin")
        # nghttpd speaks only HTTP/2: an HTTP/1.1 request fails, as it should.
        self.assertEqual(status, 502)
        self.assertEqual(backend.connections(), set())


class Http2ReloadTest(unittest.TestCase):
    def test_new_connector_on_reload_retires_the_old_pool(self):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        need("nghttpd")
        backend = Nghttpd({"a.txt": b"A\n"}).start()
        self.addCleanup(backend.stop)
        gw = h.Microgw({"h2": h.api_definition("/h2", [backend.url("/")], endpoint_extra=H2,
                                               paths={"/a.txt": ["get"]})},
                       conf={"listenerConfig": {"workers": 1},
                             # A connection cap: pooled HTTP/2 connections hold slots of
                             # the connector they came from, which must outlive them.
                             "httpClients": {"poolIdleTimeoutInMillis": 1000,
                                             "poolConfig": {"maxActiveConnections": 8}}})
        self.addCleanup(gw.cleanup)
        gw.start()
        self.assertEqual(gw.request("GET", "/h2/a.txt")[0], 200)
        # Changed [httpClients]: the worker gets a new connector; the old one's
        # HTTP/2 connection closes later (idle), after the reload dropped it.
        gw.conf["httpClients"]["connectTimeoutInMillis"] = 4000
        gw.write_files()
        before = gw.log_text().count("configuration reloaded")
        gw.process.send_signal(signal.SIGHUP)
        h.wait_until(lambda: gw.log_text().count("configuration reloaded") > before, timeout=15,
                     what="the reload log line")
        for _ in range(3):
            self.assertEqual(gw.request("GET", "/h2/a.txt")[0], 200)
        time.sleep(2.5)  # past poolIdleTimeoutInMillis: idle connections close
        self.assertTrue(gw.process.running(), gw.log_text()[-2000:])
        self.assertEqual(gw.request("GET", "/h2/a.txt")[0], 200)
        self.assertGreaterEqual(len(backend.connections()), 2, backend.connections())


class Http2AlpnTest(unittest.TestCase):
    """https backends: the router offers "h2" in ALPN ([httpClients] enableHttp2), directly
    and inside a CONNECT tunnel through Squid, and speaks what the backend picks."""

    def setUp(self):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        need("nginx")
        self.ca = h.TestCA()
        self.nginx = H2Nginx(tls=self.ca.issue()).start()
        self.addCleanup(self.nginx.stop)

    def gateway(self, http_clients):
        apis = {"tls": h.api_definition("/tls", [self.nginx.url("/")],
                                        paths={"/hello": ["get"]})}
        conf = {"listenerConfig": {"workers": 1},
                "httpClients": h.deep_merge({"trustStorePath": self.ca.cert_path}, http_clients)}
        gw = h.Microgw(apis, conf=conf)
        self.addCleanup(gw.cleanup)
        gw.start()
        return gw

    def protocols(self, n=6):
        """Sends n requests one after another; returns nginx's log lines for them."""
        before = len(self.nginx.log())
        for _ in range(n):
            status, _, body = self.gw.request("GET", "/tls/hello")
            self.assertEqual(status, 200, body)
            self.assertEqual(body, b"hello over h2\n")
        h.wait_until(lambda: len(self.nginx.log()) >= before + n, timeout=10, what="nginx log")
        return [line.split() for line in self.nginx.log()[before:]]

    def test_h2_is_negotiated_and_its_connection_shared(self):
        self.gw = self.gateway({})
        lines = self.protocols()
        self.assertEqual({l[3] for l in lines}, {"HTTP/2.0"}, lines)
        self.assertEqual(len({l[0] for l in lines}), 1, "one pooled HTTP/2 connection: %s" % lines)

    def test_h2_inside_a_connect_tunnel(self):
        squid = h.Squid(auth=False).start()
        self.addCleanup(squid.cleanup)
        self.gw = self.gateway({"proxy": {"enabled": True, "host": h.LOOPBACK,
                                          "port": squid.port}})
        lines = self.protocols()
        self.assertEqual({l[3] for l in lines}, {"HTTP/2.0"}, lines)
        self.gw.stop()  # Squid logs a CONNECT when the tunnel closes
        target = "127.0.0.1:%d" % self.nginx.port
        h.wait_until(lambda: any(e["method"] == "CONNECT" and target in e["url"]
                                 for e in squid.parsed_log()), timeout=10,
                     what="the CONNECT in Squid's log")

    def test_enable_http2_false_offers_only_http1(self):
        self.gw = self.gateway({"enableHttp2": False})
        lines = self.protocols()
        self.assertEqual({l[3] for l in lines}, {"HTTP/1.1"}, lines)


class JwksGateway(h.Microgw):
    """Microgw with one [[jwtTokenConfig]] (the harness's TOML writer has no
    arrays of tables)."""

    def __init__(self, apis, issuer_text, **kwargs):
        self.issuer_text = issuer_text  # conf_text() runs in the base constructor
        super().__init__(apis, **kwargs)

    def conf_text(self):
        return super().conf_text() + self.issuer_text


class InternalClientHttp2Test(h.SharedPeersTestCase):
    """The gateway's own HTTP client (here jwt_authn's JWKS fetch, an internal
    service) speaks HTTP/2 to an https server that picks "h2" in ALPN, directly
    and inside a CONNECT tunnel (enableInternalServices), and HTTP/1.1 with
    [httpClients] enableHttp2 = false. nginx serves the key manager's JWKS."""

    @classmethod
    def start_peers(cls):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        need("nginx")
        cls.km = oh.OAuthServer().start()
        cls.cleanups.append(cls.km.cleanup)
        with urllib.request.urlopen(cls.km.jwks_url, timeout=10) as r:
            jwks = r.read()
        cls.ca = h.TestCA()
        cls.nginx = H2Nginx(tls=cls.ca.issue(), files={"jwks": jwks}).start()
        cls.cleanups.append(cls.nginx.stop)
        cls.backend = h.TestBackend().start()
        cls.cleanups.append(cls.backend.stop)

    def gateway(self, http_clients):
        apis = {"secure": h.api_definition(
            "/secure", [self.backend.url("/")], paths={"/echo": ["get"]},
            extra={"x-wso2-disable-security": False, "security": [{"default": []}],
                   "components": {"securitySchemes": {
                       "default": {"type": "oauth2", "flows": {}}}}})}
        conf = {"listenerConfig": {"workers": 1},
                "httpClients": h.deep_merge({"trustStorePath": self.ca.cert_path}, http_clients)}
        issuer = ("\n[[jwtTokenConfig]]\nissuer = %s\naudience = %s\njwksURL = %s\n"
                  % (h.toml_value(self.km.issuer), h.toml_value(self.km.resource),
                     h.toml_value(self.nginx.url("/jwks"))))
        gw = JwksGateway(apis, issuer, conf=conf,
                         filters="filters:\n  - name: jwt_authn\n  - name: router\n")
        self.addCleanup(gw.cleanup)
        gw.start()
        return gw

    def jwks_protocols(self, gw, before):
        """A token checks out (the keys came from nginx); the protocols of
        nginx's /jwks lines since `before`."""
        token = self.km.get_jwt("read")
        try:
            h.wait_until(lambda: gw.request("GET", "/secure/echo", headers={
                "Authorization": "Bearer " + token})[0] == 200, timeout=20,
                what="a token validated with the JWKS from nginx")
        except TimeoutError:
            self.fail("no token validated; gateway log:\n" + gw.log_text()[-3000:])
        h.wait_until(lambda: len(self.jwks_lines(before)) >= 1, timeout=10, what="nginx log")
        return {l[3] for l in self.jwks_lines(before)}

    def jwks_lines(self, before):
        return [l.split() for l in self.nginx.log()[before:] if l.split()[1] == "/jwks"]

    def test_jwks_fetched_over_http2(self):
        before = len(self.nginx.log())
        gw = self.gateway({})
        self.assertEqual(self.jwks_protocols(gw, before), {"HTTP/2.0"})

    def test_jwks_over_http2_inside_the_connect_tunnel(self):
        squid = h.Squid(auth=False).start()
        self.addCleanup(squid.cleanup)
        before = len(self.nginx.log())
        gw = self.gateway({"proxy": {"enabled": False, "enableInternalServices": True,
                                     "host": h.LOOPBACK, "port": squid.port}})
        self.assertEqual(self.jwks_protocols(gw, before), {"HTTP/2.0"})
        gw.stop()  # Squid logs a CONNECT when the tunnel closes
        target = "127.0.0.1:%d" % self.nginx.port
        h.wait_until(lambda: any(e["method"] == "CONNECT" and target in e["url"]
                                 for e in squid.parsed_log()), timeout=10,
                     what="the JWKS fetch's CONNECT in Squid's log")

    def test_enable_http2_false_fetches_over_http1(self):
        before = len(self.nginx.log())
        gw = self.gateway({"enableHttp2": False})
        self.assertEqual(self.jwks_protocols(gw, before), {"HTTP/1.1"})


class Http2ConfigTest(unittest.TestCase):
    def check(self, endpoint_extra, urls=("http://127.0.0.1:9/",)):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        gw = h.Microgw({"a": h.api_definition("/a", list(urls), endpoint_extra=endpoint_extra)})
        self.addCleanup(gw.cleanup)
        result = gw.check()
        return result.returncode, result.stdout + result.stderr

    def test_misspelt_key_suggests_http2(self):
        code, out = self.check({"htpp2": "prior-knowledge"})
        self.assertNotEqual(code, 0, out)
        self.assertIn("htpp2", out)
        self.assertIn("http2", out)

    def test_bad_value_lists_the_choices(self):
        code, out = self.check({"http2": "prior-knowlege"})
        self.assertNotEqual(code, 0, out)
        self.assertIn("expected prior-knowledge or off", out)

    def test_https_url_is_refused(self):
        code, out = self.check(H2, urls=("https://127.0.0.1:9/",))
        self.assertNotEqual(code, 0, out)
        self.assertIn("ALPN", out)

    def test_valid(self):
        code, out = self.check(H2)
        self.assertEqual(code, 0, out)


if __name__ == "__main__":
    unittest.main()
