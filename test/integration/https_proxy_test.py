"""HTTPS forward proxy: microgw -TLS-> haproxy (TLS front) -> Squid -> backends.

`[httpClients.proxy] protocol = "https"` (a microgw extension) and https://
proxy URLs in HTTPS_PROXY make the gateway open TLS to the proxy, verify it
against `proxyTrustStorePath` (or the system CAs), send CONNECT and the proxy
credentials inside that TLS, then (https backends) TLS to the backend inside
the tunnel: TLS in TLS. Debian's squid is built with GnuTLS, so a haproxy TLS
front before a plain Squid is the HTTPS proxy (test/support/tls_proxy_front.py).

Proof that traffic went through the proxy comes from Squid's access log
(written when a tunnel closes, so the gateway is stopped first). Proof that
the proxy leg is TLS: the front accepts nothing else.

Run under Bazel (//test/integration:https_proxy_test, tags no-sandbox) or
directly as root: MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
    /usr/bin/python3 -m unittest test/integration/https_proxy_test.py
"""

import http.client
import json
import os
import shutil
import tempfile
import unittest

import mgw_harness as h
import tls_proxy_front

PASSWORD = "Tls-Sq-pass-41b7"  # distinctive, so a leak is easy to spot


class HttpsProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        if not tls_proxy_front.haproxy_available():
            raise unittest.SkipTest("haproxy not installed (tools/install.sh installs it)")
        cls.tmp = tempfile.mkdtemp(prefix="mgw-httpsproxy-")
        cls.backend_ca = h.TestCA(cls.tmp, name="backend-ca")
        cls.proxy_ca = h.TestCA(cls.tmp, name="proxy-ca")
        cls.backend = h.TestBackend().start()
        cls.tls_backend = h.TestBackend(ca=cls.backend_ca).start()
        cls.squid = h.Squid(auth=True, password=PASSWORD).start()
        cls.front = tls_proxy_front.TlsProxyFront(cls.squid.port, cls.proxy_ca).start()

    @classmethod
    def tearDownClass(cls):
        cls.front.cleanup()
        cls.squid.cleanup()
        cls.backend.stop()
        cls.tls_backend.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def apis(self):
        return {
            "plain": h.api_definition("/plain", [self.backend.url("/")]),
            "tls": h.api_definition("/tls", ["https://localhost:%d/" % self.tls_backend.port]),
        }

    def conf(self, password=PASSWORD, proxy_ca=None, **extra):
        proxy = {
            "enabled": True,
            "host": "localhost",
            "port": self.front.port,
            "protocol": "https",
            "proxyTrustStorePath": proxy_ca or self.proxy_ca.cert_path,
            "username": self.squid.username,
            "password": password,
        }
        proxy.update(extra)
        return {"httpClients": {"trustStorePath": self.backend_ca.cert_path, "proxy": proxy}}

    def gateway(self, conf, env=None):
        gw = h.Microgw(self.apis(), conf=conf, env=env)
        self.addCleanup(gw.cleanup)
        gw.start()
        return gw

    def ok(self, gw, path, **kw):
        status, _, body = gw.request("GET", path, **kw)
        self.assertEqual(status, 200, body[:500])
        return json.loads(body)

    def connects_since(self, mark, target):
        return [e for e in self.squid.parsed_log()[mark:]
                if e["method"] == "CONNECT" and e["url"] == target]

    def assert_tunnelled(self, mark, target):
        entries = h.wait_until(lambda: self.connects_since(mark, target), timeout=15,
                               what="CONNECT %s in Squid's log" % target)
        for entry in entries:
            # Squid saw the credentials: they reached it, and only through the TLS front.
            self.assertEqual(entry["user"], self.squid.username, entry["line"])
            self.assertEqual(entry["status"], "200", entry["line"])

    def test_front_refuses_plain_http(self):
        # The precondition the other tests rely on: a plaintext CONNECT to the
        # front gets no proxy answer, so a 200 through it means TLS was used.
        c = http.client.HTTPConnection(h.LOOPBACK, self.front.port, timeout=h.scaled(5))
        self.addCleanup(c.close)
        try:
            c.request("CONNECT", "127.0.0.1:%d" % self.backend.port,
                      headers=self.squid.auth_header())
            status = c.getresponse().status
        except (OSError, http.client.HTTPException):
            status = None
        self.assertNotEqual(status, 200)

    def test_https_proxy_http_backend(self):
        mark = len(self.squid.parsed_log())
        gw = self.gateway(self.conf())
        e = self.ok(gw, "/plain/echo?via=tls-proxy")
        self.assertEqual(e["args"], {"via": "tls-proxy"})
        self.assertNotIn("proxy-authorization", e["headers_lower"])
        gw.stop()
        self.assert_tunnelled(mark, "127.0.0.1:%d" % self.backend.port)
        self.assertNotIn(PASSWORD, gw.log_text())

    def test_https_proxy_https_backend_tls_in_tls(self):
        mark = len(self.squid.parsed_log())
        gw = self.gateway(self.conf())
        c = http.client.HTTPConnection(h.LOOPBACK, gw.port, timeout=h.scaled(30))
        self.addCleanup(c.close)
        for i in range(5):  # the pooled TLS-in-TLS connection is reused
            c.request("GET", "/tls/echo?i=%d" % i)
            r = c.getresponse()
            body = r.read()
            self.assertEqual(r.status, 200, body[:300])
            e = json.loads(body)
            self.assertTrue(e["tls"])
            self.assertEqual(e["args"], {"i": str(i)})
            self.assertNotIn("proxy-authorization", e["headers_lower"])
        c.close()
        gw.stop()
        target = "localhost:%d" % self.tls_backend.port
        self.assert_tunnelled(mark, target)
        self.assertLess(len(self.connects_since(mark, target)), 5)

    def test_wrong_proxy_ca_502_names_proxy_trust_store(self):
        other = h.TestCA(self.tmp, name="unrelated-proxy-ca")
        mark = len(self.squid.parsed_log())
        gw = self.gateway(self.conf(proxy_ca=other.cert_path))
        status, _, body = gw.request("GET", "/plain/echo")
        text = body.decode(errors="replace")
        self.assertEqual(status, 502, text)
        self.assertRegex(text, r"(?i)proxy certificate verification failed")
        gw.stop()
        log = gw.log_text()
        self.assertIn("proxyTrustStorePath", log)
        self.assertIn(other.cert_path, log)
        self.assertRegex(log, r"certificate verify failed")
        self.assertNotIn(PASSWORD, log)
        self.assertEqual(self.connects_since(mark, "127.0.0.1:%d" % self.backend.port), [])

    def test_proxy_auth_over_tls_wrong_password(self):
        wrong = "Wr0ng-tls-pw-9e2"
        gw = self.gateway(self.conf(password=wrong))
        status, _, body = gw.request("GET", "/tls/echo")
        text = body.decode(errors="replace")
        self.assertEqual(status, 502, text)
        self.assertRegex(text, r"(?i)proxy authentication failed")
        self.assertNotIn(wrong, text)
        gw.stop()
        self.assertIn("407", gw.log_text())
        self.assertNotIn(wrong, gw.log_text())

    def test_https_proxy_url_in_environment(self):
        mark = len(self.squid.parsed_log())
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["HTTPS_PROXY"] = "https://%s:%s@localhost:%d" % (self.squid.username, PASSWORD,
                                                           self.front.port)
        # No [httpClients.proxy] section: the proxy is verified against the
        # system CAs, which do not hold the test CA: a clear 502 ...
        gw = self.gateway({"httpClients": {"trustStorePath": self.backend_ca.cert_path}}, env=env)
        status, _, body = gw.request("GET", "/tls/echo")
        self.assertEqual(status, 502, body[:300])
        gw.stop()
        self.assertIn("proxyTrustStorePath unset", gw.log_text())
        self.assertNotIn(PASSWORD, gw.log_text())
        # ... and with SSL_CERT_FILE naming the proxy's CA (OpenSSL's default
        # verify path) the same URL works, TLS in TLS.
        env["SSL_CERT_FILE"] = self.proxy_ca.cert_path
        gw = self.gateway({"httpClients": {"trustStorePath": self.backend_ca.cert_path}}, env=env)
        self.assertTrue(self.ok(gw, "/tls/echo")["tls"])
        gw.stop()
        self.assert_tunnelled(mark, "localhost:%d" % self.tls_backend.port)


if __name__ == "__main__":
    unittest.main()
