"""The TLS listener (issue 9) through the real gateway: TLS 1.2 and 1.3 with
curl, openssl s_client and Python's ssl module, session resumption with a
ticket, certificate reload on SIGHUP under a live keep-alive connection,
client certificates (optional, require, per-API mandatory), the client
certificate header at the backend, x-wso2-transports, and start-up errors and
warnings. Certificates are made at test time with the openssl CLI.

Run under Bazel (//test/integration:tls_listener_test) or directly:
    MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
        /usr/bin/python3 -m unittest test/integration/tls_listener_test.py
"""

import base64
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time
import unittest

import mgw_harness as h

PASSWORD = "Keystore-Pa55"
CERT_HEADER = "x-wso2-client-certificate"


def require_binary():
    if not h.find_microgw():
        raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")


def openssl(*args, cwd=None, input_text=None):
    return subprocess.run(["openssl"] + list(args), cwd=cwd, input=input_text,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60, check=False)


def must(result):
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return result


def key_store(directory, name, cert, key, password=PASSWORD):
    """A PKCS#12 key store (as WSO2's ballerinaKeystore.p12) of `cert` and `key`."""
    path = os.path.join(directory, name + ".p12")
    must(openssl("pkcs12", "-export", "-inkey", key, "-in", cert, "-name", "ballerina",
                 "-out", path, "-passout", "pass:" + password))
    return path


def issue_client(ca, cn):
    """A client certificate (clientAuth) from the test CA; returns (cert, key)."""
    base = os.path.join(ca.directory, "client-%s" % cn)
    ext = base + ".ext"
    with open(ext, "w") as f:
        f.write("extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")
    must(openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % cn,
                 "-keyout", base + ".key", "-out", base + ".csr"))
    must(openssl("x509", "-req", "-in", base + ".csr", "-CA", ca.cert_path, "-CAkey", ca.key_path,
                 "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", base + ".crt"))
    return base + ".crt", base + ".key"


def expired_certificate(directory):
    """A self-signed certificate valid only in 2020 (openssl ca sets the dates)."""
    d = os.path.join(directory, "expired")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "index.txt"), "w"):
        pass
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\n"
                "serial = serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n")
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("01\n")
    must(openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=expired.example",
                 "-keyout", "k.pem", "-out", "r.csr", cwd=d))
    must(openssl("ca", "-config", "ca.cnf", "-selfsign", "-keyfile", "k.pem", "-in", "r.csr",
                 "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-batch",
                 "-notext", "-out", "c.pem", cwd=d))
    return os.path.join(d, "c.pem"), os.path.join(d, "k.pem")


def der_base64(cert_path):
    pem = h.read_text(cert_path)
    return base64.b64encode(ssl.PEM_cert_to_DER_cert(pem)).decode()


def api(base_path, backend, extra=None):
    doc = h.api_definition(base_path, [backend.url("/")], title=base_path.strip("/"),
                           extra=extra)
    return doc


class TlsGateway:
    """Certificates, a plain backend and a gateway with the TLS listener on."""

    def __init__(self, test, listener=None, mutual=None, apis=None, http2=True):
        self.ca = h.TestCA()
        self.dir = self.ca.directory
        cert, key = self.ca.issue()
        self.keystore = key_store(self.dir, "gateway", cert, key)
        self.client_cert, self.client_key = issue_client(self.ca, "alice")
        self.backend = h.TestBackend().start()
        test.addCleanup(self.backend.stop)
        conf = {"listenerConfig": dict({"keyStorePath": self.keystore,
                                        "keyStorePassword": PASSWORD,
                                        "trustStorePath": self.ca.cert_path},
                                       **(listener or {})),
                "mutualSSLConfig": dict({"sslVerifyClient": "optional"}, **(mutual or {})),
                "http2": {"enable": http2}}
        self.gw = h.Microgw(apis or {"open": api("/open", self.backend)}, conf=conf)
        test.addCleanup(self.gw.stop)
        self.gw.start()
        h.wait_for_port(h.LOOPBACK, self.gw.https_port, process=self.gw.process)

    def context(self, cert=None, key=None, version=None):
        ctx = ssl.create_default_context(cafile=self.ca.cert_path)
        if version is not None:
            ctx.minimum_version = ctx.maximum_version = version
        if cert:
            ctx.load_cert_chain(cert, key)
        return ctx

    def https(self, method, path, ctx=None, headers=None):
        conn = http.client.HTTPSConnection(h.LOOPBACK, self.gw.https_port,
                                           context=ctx or self.context(), timeout=h.scaled(20))
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read(), conn.sock.version()
        finally:
            conn.close()

    def wait_log(self, pattern, timeout=10.0):
        return h.wait_until(lambda: re.search(pattern, self.gw.log_text()), timeout=timeout,
                            what="log line %r" % pattern)


class TlsListenerTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        require_binary()

    def setUp(self):
        self.t = None

    def gateway(self, **kwargs):
        self.t = TlsGateway(self, **kwargs)
        return self.t

    def test_tls12_and_tls13_with_python_and_curl(self):
        t = self.gateway()
        for version, name in ((ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
                              (ssl.TLSVersion.TLSv1_3, "TLSv1.3")):
            with self.subTest(version=name):
                status, body, negotiated = t.https("GET", "/open/echo",
                                                   ctx=t.context(version=version))
                self.assertEqual(status, 200, body)
                self.assertEqual(negotiated, name)
                seen = json.loads(body)["headers_lower"]
                self.assertEqual(seen.get("x-forwarded-proto"), "https")
        for flags in (["--tlsv1.2", "--tls-max", "1.2"], ["--tlsv1.3"]):
            self.assertEqual(self.curl(t, ["--http1.1"] + flags), "200 1.1")
        # The plain port still speaks plain HTTP, with X-Forwarded-Proto http.
        status, _, body = t.gw.request("GET", "/open/echo")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["headers_lower"].get("x-forwarded-proto"), "http")
        self.assertIn("TLS on 127.0.0.1:%d" % t.gw.https_port, t.gw.log_text())

    def curl(self, t, flags, path="/open/echo"):
        out = subprocess.run(["curl", "-sS", "--cacert", t.ca.cert_path, "-o", "/dev/null",
                              "-w", "%{http_code} %{http_version}"] + flags +
                             ["https://127.0.0.1:%d%s" % (t.gw.https_port, path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=60)
        return out.stdout or out.stderr

    def test_alpn_picks_http2_unless_it_is_off(self):
        t = self.gateway()
        self.assertEqual(self.curl(t, ["--http2"]), "200 2")
        self.assertEqual(self.curl(t, ["--http1.1"]), "200 1.1")
        ctx = t.context()
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection((h.LOOPBACK, t.gw.https_port), timeout=h.scaled(10)) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                self.assertEqual(tls.selected_alpn_protocol(), "h2")
        t.gw.stop()
        off = self.gateway(listener={}, http2=False)
        self.assertEqual(self.curl(off, ["--http2"]), "200 1.1",
                         "with [http2] enable = false the listener offers only http/1.1")

    def test_session_resumption_with_a_ticket(self):
        t = self.gateway()
        for proto in ("-tls1_2", "-tls1_3"):
            with self.subTest(proto=proto):
                sess = os.path.join(t.dir, "sess%s.pem" % proto)
                request = "GET /open/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                base = ["s_client", "-connect", "127.0.0.1:%d" % t.gw.https_port, proto,
                        "-CAfile", t.ca.cert_path, "-ign_eof"]
                first = openssl(*(base + ["-sess_out", sess]), input_text=request)
                self.assertIn("HTTP/1.1 200", first.stdout, first.stderr)
                self.assertIn("New, ", first.stdout)
                second = openssl(*(base + ["-sess_in", sess]), input_text=request)
                self.assertIn("HTTP/1.1 200", second.stdout, second.stderr)
                self.assertIn("Reused, ", second.stdout, second.stdout[-2000:])

    def test_sighup_reloads_the_certificate_without_dropping_connections(self):
        t = self.gateway()
        conn = http.client.HTTPSConnection(h.LOOPBACK, t.gw.https_port, context=t.context(),
                                           timeout=h.scaled(20))
        self.addCleanup(conn.close)
        conn.request("GET", "/open/echo")
        resp = conn.getresponse()
        resp.read()
        self.assertEqual(resp.status, 200)
        first_peer = conn.sock.getpeercert()
        sess = os.path.join(t.dir, "before-reload.pem")
        request = "GET /open/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        s_client = ["s_client", "-connect", "127.0.0.1:%d" % t.gw.https_port, "-tls1_3",
                    "-CAfile", t.ca.cert_path, "-ign_eof"]
        self.assertIn("HTTP/1.1 200", openssl(*(s_client + ["-sess_out", sess]),
                                              input_text=request).stdout)
        # A new certificate under the same path, then SIGHUP.
        cert, key = t.ca.issue(cn="renewed.example",
                               sans=("IP:127.0.0.1", "DNS:renewed.example"))
        tmp = key_store(t.dir, "renewed", cert, key)
        os.replace(tmp, t.keystore)
        t.gw.process.send_signal(signal.SIGHUP)
        t.wait_log(r"TLS listener: new handshakes use .*CN=renewed\.example")
        # The keep-alive connection made before the reload still serves.
        conn.request("GET", "/open/echo")
        resp = conn.getresponse()
        resp.read()
        self.assertEqual(resp.status, 200)
        self.assertEqual(conn.sock.getpeercert(), first_peer)
        # A session from before the reload resumes: the ticket keys outlive it.
        resumed = openssl(*(s_client + ["-sess_in", sess]), input_text=request)
        self.assertIn("HTTP/1.1 200", resumed.stdout, resumed.stderr)
        self.assertIn("Reused, ", resumed.stdout)
        # New handshakes get the new certificate.
        with socket.create_connection((h.LOOPBACK, t.gw.https_port), timeout=10) as raw:
            with t.context().wrap_socket(raw, server_hostname="renewed.example") as tls:
                subject = dict(x[0] for x in tls.getpeercert()["subject"])
                self.assertEqual(subject["commonName"], "renewed.example")

    def test_client_certificates_optional_mandatory_and_the_backend_header(self):
        backend = h.TestBackend().start()
        self.addCleanup(backend.stop)
        apis = {"open": api("/open", backend),
                "mtls": api("/mtls", backend, {"x-wso2-mutual-ssl": "mandatory"})}
        t = self.gateway(apis=apis)
        with_cert = t.context(t.client_cert, t.client_key)
        # Optional at the listener: a client without a certificate connects.
        status, body, _ = t.https("GET", "/open/echo", headers={CERT_HEADER: "forged"})
        self.assertEqual(status, 200)
        self.assertNotIn(CERT_HEADER, json.loads(body)["headers_lower"],
                         "a client-supplied certificate header must not reach the backend")
        # Mandatory on the API: 401 without a certificate (TLS or plain), 200 with one.
        status, body, _ = t.https("GET", "/mtls/echo")
        self.assertEqual(status, 401, body)
        self.assertIn(b"x-wso2-mutual-ssl", body)
        status, _, _ = t.gw.request("GET", "/mtls/echo", headers={CERT_HEADER: "forged"})
        self.assertEqual(status, 401)
        status, body, _ = t.https("GET", "/mtls/echo", ctx=with_cert,
                                  headers={CERT_HEADER: "forged"})
        self.assertEqual(status, 200, body)
        seen = json.loads(body)["headers"]
        values = [v for k, v in seen if k.lower() == CERT_HEADER]
        self.assertEqual(values, [der_base64(t.client_cert)])
        # A certificate from another CA fails the handshake, and the log says why.
        rogue = h.TestCA(name="rogue-ca")
        rogue_cert, rogue_key = issue_client(rogue, "mallory")
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            t.https("GET", "/open/echo", ctx=t.context(rogue_cert, rogue_key,
                                                       version=ssl.TLSVersion.TLSv1_2))
        t.wait_log(r"TLS handshake failed: client certificate refused")

    def test_sslverifyclient_require(self):
        t = self.gateway(mutual={"sslVerifyClient": "require"})
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            t.https("GET", "/open/echo", ctx=t.context(version=ssl.TLSVersion.TLSv1_2))
        status, _, _ = t.https("GET", "/open/echo", ctx=t.context(t.client_cert, t.client_key))
        self.assertEqual(status, 200)
        t.wait_log(r"TLS handshake failed: the client sent no certificate")

    def test_transports_per_api(self):
        backend = h.TestBackend().start()
        self.addCleanup(backend.stop)
        apis = {"secure": api("/secure", backend, {"x-wso2-transports": ["https"]}),
                "plain": api("/plain", backend, {"x-wso2-transports": ["http"]}),
                "both": api("/both", backend, {"x-wso2-transports": ["http", "https"]})}
        t = self.gateway(apis=apis)
        status, _, body = t.gw.request("GET", "/secure/echo")
        self.assertEqual(status, 403, body)
        self.assertIn(b"served over https only", body)
        self.assertEqual(t.https("GET", "/secure/echo")[0], 200)
        status, body, _ = t.https("GET", "/plain/echo")
        self.assertEqual(status, 403, body)
        self.assertIn(b"served over http only", body)
        self.assertEqual(t.gw.request("GET", "/plain/echo")[0], 200)
        self.assertEqual(t.gw.request("GET", "/both/echo")[0], 200)
        self.assertEqual(t.https("GET", "/both/echo")[0], 200)
        self.assertEqual(backend.requests, 4)

    def test_garbage_instead_of_a_client_hello_and_a_silent_client(self):
        t = self.gateway(listener={"tlsHandshakeTimeoutInMillis": 500})
        for garbage in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", os.urandom(512)):
            with socket.create_connection((h.LOOPBACK, t.gw.https_port), timeout=10) as s:
                s.sendall(garbage)
                s.settimeout(h.scaled(10))
                try:
                    while s.recv(4096):
                        pass
                except ConnectionResetError:
                    pass
        t.wait_log(r"TLS handshake failed: the client did not send a TLS ClientHello")
        # A client that connects and sends nothing is closed after the timeout.
        with socket.create_connection((h.LOOPBACK, t.gw.https_port), timeout=10) as s:
            s.settimeout(h.scaled(10))
            start = time.monotonic()
            self.assertEqual(s.recv(1), b"")
            self.assertLess(time.monotonic() - start, h.scaled(8))
        t.wait_log(r"did not finish the TLS handshake within 500 ms")
        self.assertTrue(t.gw.process.running())
        self.assertEqual(t.https("GET", "/open/echo")[0], 200)


class ParkedTlsConnectionTest(unittest.TestCase):
    """An idle TLS connection parks with its TLS session (idle_tls_test.py):
    what the handshake established, the client certificate included, still
    holds for the requests after it resumes."""

    def test_the_client_certificate_reaches_the_backend_after_parking(self):
        backend = h.TestBackend().start()
        self.addCleanup(backend.stop)
        t = TlsGateway(self, apis={"mtls": api("/mtls", backend,
                                               {"x-wso2-mutual-ssl": "mandatory"})})
        conn = http.client.HTTPSConnection(h.LOOPBACK, t.gw.https_port,
                                           context=t.context(t.client_cert, t.client_key),
                                           timeout=h.scaled(20))
        self.addCleanup(conn.close)
        for round_ in range(2):
            conn.request("GET", "/mtls/echo/%d" % round_)
            resp = conn.getresponse()
            body = resp.read()
            self.assertEqual(resp.status, 200, body)
            values = [v for k, v in json.loads(body)["headers"] if k.lower() == CERT_HEADER]
            self.assertEqual(values, [der_base64(t.client_cert)])
            h.wait_until(lambda: int(t.gw.metrics().get(
                "microgw_downstream_connections_parked", 0)) == 1,
                timeout=h.scaled(5), what="the TLS connection parked (round %d)" % round_)
        # One connection throughout: one handshake.
        self.assertEqual(int(t.gw.metrics().get(
            "microgw_downstream_tls_handshakes_total{result=\"success\"}", 0)), 1)


class TlsStartupTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        require_binary()

    def test_wrong_keystore_password_is_a_startup_error(self):
        ca = h.TestCA()
        cert, key = ca.issue()
        store = key_store(ca.directory, "gateway", cert, key)
        gw = h.Microgw({"x": h.api_definition("/x", ["http://127.0.0.1:9/"])},
                       conf={"listenerConfig": {"keyStorePath": store,
                                                    "keyStorePassword": "Wr0ng-Pa55word"}})
        out = subprocess.run(gw.argv(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=60)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("'listenerConfig.keyStorePath': %s: the PKCS#12 store does not open with "
                      "the configured password" % store, out.stderr)
        self.assertNotIn("Wr0ng-Pa55word", out.stdout + out.stderr)

    def test_expired_certificate_is_a_startup_warning(self):
        tmp = h.make_run_dir("mgw-tls-expired-")
        cert, key = expired_certificate(tmp)
        gw = h.Microgw({"x": h.api_definition("/x", ["http://127.0.0.1:9/"])},
                       conf={"listenerConfig": {"certificateFile": cert, "keyFile": key}})
        self.addCleanup(gw.stop)
        gw.start()
        h.wait_until(lambda: "expired on" in gw.log_text(), what="expiry warning")
        self.assertRegex(gw.log_text(), r"\[warn\] %s: the TLS listener's certificate "
                         r"\(CN=expired\.example\) expired on Jan  2 00:00:00 2020 GMT"
                         % re.escape(cert))


if __name__ == "__main__":
    unittest.main()
