"""Proxy-connector integration tests: microgw -> Squid / tinyproxy -> http(s) backends.

Proof that traffic went through the proxy comes from the proxy's own log. Squid
logs a CONNECT only when the tunnel closes, so tests stop the gateway (closing
its pooled tunnels) before reading Squid's access log.

Run under Bazel (//test/integration:proxy_test, tags no-sandbox) or directly as
root: MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
    /usr/bin/python3 -m unittest test/integration/proxy_test.py
"""

import http.client
import json
import os
import re
import shutil
import tempfile
import time
import unittest

import mgw_harness as h

PASSWORD = "Sq-pass-7f3c9a"  # distinctive, so a leak is easy to spot


def require_binary():
    if not h.find_microgw():
        raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")


def proxy_conf(proxy, enabled=True, username=None, password=None, **extra):
    p = {"enabled": enabled, "host": h.LOOPBACK, "port": proxy.port}
    if username is not None:
        p["username"] = username
        p["password"] = password
    p.update(extra)
    return {"httpClients": {"proxy": p}}


class ProxyTestBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="mgw-proxytest-")
        cls.ca = h.TestCA(cls.tmp)
        cls.backend = h.TestBackend().start()
        cls.tls_backend = h.TestBackend(ca=cls.ca).start()
        cls.squid = h.Squid(auth=True, password=PASSWORD).start()

    @classmethod
    def tearDownClass(cls):
        cls.squid.cleanup()
        cls.backend.stop()
        cls.tls_backend.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def gateway(self, conf, apis=None):
        if apis is None:
            apis = {
                "plain": h.api_definition("/plain", [self.backend.url("/")]),
                "tls": h.api_definition("/tls", ["https://localhost:%d/" % self.tls_backend.port]),
            }
        gw = h.Microgw(apis, conf=conf)
        self.addCleanup(gw.cleanup)
        gw.start()
        return gw

    def auth_conf(self, **extra):
        conf = proxy_conf(self.squid, username=self.squid.username, password=PASSWORD, **extra)
        conf["httpClients"]["trustStorePath"] = self.ca.cert_path
        return conf

    def log_mark(self):
        return len(self.squid.parsed_log())

    def log_since(self, mark):
        return self.squid.parsed_log()[mark:]

    def connects_since(self, mark, target):
        return [e for e in self.log_since(mark) if e["method"] == "CONNECT" and e["url"] == target]

    def ok(self, gw, path, **kw):
        status, headers, body = gw.request("GET", path, **kw)
        self.assertEqual(status, 200, body[:500])
        return json.loads(body)


class SquidProxyTest(ProxyTestBase):
    def test_http_backend_through_squid_with_auth(self):
        mark = self.log_mark()
        gw = self.gateway(self.auth_conf())
        e = self.ok(gw, "/plain/echo?via=squid")
        self.assertEqual(e["args"], {"via": "squid"})
        gw.stop()  # closes the tunnels, so Squid logs them
        target = "127.0.0.1:%d" % self.backend.port
        h.wait_until(lambda: self.connects_since(mark, target), timeout=15,
                     what="CONNECT %s in Squid's log" % target)
        for entry in self.connects_since(mark, target):
            self.assertEqual(entry["user"], self.squid.username, entry["line"])
            self.assertEqual(entry["status"], "200", entry["line"])

    def test_https_backend_through_squid_with_auth(self):
        mark = self.log_mark()
        gw = self.gateway(self.auth_conf())
        e = self.ok(gw, "/tls/echo")
        self.assertTrue(e["tls"])
        gw.stop()
        target = "localhost:%d" % self.tls_backend.port
        h.wait_until(lambda: self.connects_since(mark, target), timeout=15,
                     what="CONNECT %s in Squid's log" % target)
        self.assertEqual(self.connects_since(mark, target)[0]["user"], self.squid.username)

    def test_wso2_spelling_enable_is_accepted(self):
        mark = self.log_mark()
        conf = self.auth_conf()
        conf["httpClients"]["proxy"]["enable"] = conf["httpClients"]["proxy"].pop("enabled")
        gw = self.gateway(conf)
        self.ok(gw, "/plain/echo")
        gw.stop()
        target = "127.0.0.1:%d" % self.backend.port
        h.wait_until(lambda: self.connects_since(mark, target), timeout=15,
                     what="CONNECT via `enable = true`")

    def test_forward_mode_sends_absolute_form_to_squid(self):
        # httpMode = "forward": plain-http backends get absolute-form requests
        # (no CONNECT), authenticated with the gateway's own credentials.
        mark = self.log_mark()
        gw = self.gateway(self.auth_conf(httpMode="forward"))
        e = self.ok(gw, "/plain/echo?mode=forward",
                    headers={"Proxy-Authorization": "Basic Y2xpZW50OmNsaWVudA=="})
        self.assertEqual(e["args"], {"mode": "forward"})
        self.assertNotIn("proxy-authorization", e["headers_lower"])
        url = "http://127.0.0.1:%d/echo?mode=forward" % self.backend.port
        entries = h.wait_until(
            lambda: [x for x in self.log_since(mark) if x["method"] == "GET" and x["url"] == url],
            timeout=15, what="absolute-form GET %s in Squid's log" % url)
        self.assertEqual(entries[0]["user"], self.squid.username, entries[0]["line"])
        self.assertEqual(self.connects_since(mark, "127.0.0.1:%d" % self.backend.port), [])
        # https backends still go through a CONNECT tunnel in forward mode.
        self.assertTrue(self.ok(gw, "/tls/echo")["tls"])

    def test_environment_proxies_per_scheme(self):
        # No [httpClients.proxy] section: HTTPS_PROXY carries https targets
        # through Squid (with the URL's credentials); HTTP_PROXY is unset, so
        # plain-http targets go direct, as curl and Go do.
        mark = self.log_mark()
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["HTTPS_PROXY"] = "http://%s:%s@%s:%d" % (self.squid.username, PASSWORD, h.LOOPBACK,
                                                   self.squid.port)
        conf = {"httpClients": {"trustStorePath": self.ca.cert_path}}
        apis = {
            "plain": h.api_definition("/plain", [self.backend.url("/")]),
            "tls": h.api_definition("/tls", ["https://localhost:%d/" % self.tls_backend.port]),
        }
        gw = h.Microgw(apis, conf=conf, env=env)
        self.addCleanup(gw.cleanup)
        gw.start()
        self.assertTrue(self.ok(gw, "/tls/echo")["tls"])
        self.ok(gw, "/plain/echo")
        gw.stop()
        target = "localhost:%d" % self.tls_backend.port
        h.wait_until(lambda: self.connects_since(mark, target), timeout=15,
                     what="CONNECT %s from HTTPS_PROXY" % target)
        self.assertEqual(self.connects_since(mark, target)[0]["user"], self.squid.username)
        self.assertEqual(self.connects_since(mark, "127.0.0.1:%d" % self.backend.port), [])
        self.assertNotIn(PASSWORD, gw.log_text())

    def test_disabled_leaves_squid_untouched(self):
        mark = self.log_mark()
        conf = self.auth_conf()
        conf["httpClients"]["proxy"]["enabled"] = False
        gw = self.gateway(conf)
        self.ok(gw, "/plain/echo")
        self.assertTrue(self.ok(gw, "/tls/echo")["tls"])
        gw.stop()
        time.sleep(1.5)  # give Squid a chance to log anything it saw (it should see nothing)
        self.assertEqual(self.log_since(mark), [])

    def test_non_proxy_hosts_bypass(self):
        mark = self.log_mark()
        gw = self.gateway(self.auth_conf(nonProxyHosts=["127.0.0.1"]), apis={
            "direct": h.api_definition("/direct", ["http://127.0.0.1:%d/" % self.backend.port]),
            "proxied": h.api_definition("/proxied", ["http://localhost:%d/" % self.backend.port]),
        })
        self.ok(gw, "/direct/echo")
        self.ok(gw, "/proxied/echo")
        gw.stop()
        h.wait_until(lambda: self.connects_since(mark, "localhost:%d" % self.backend.port),
                     timeout=15, what="proxied CONNECT")
        self.assertEqual(self.connects_since(mark, "127.0.0.1:%d" % self.backend.port), [])

    def test_wrong_password_502_without_leaking_it(self):
        wrong = "Wr0ng-pw-55e1d0"
        conf = proxy_conf(self.squid, username=self.squid.username, password=wrong)
        gw = self.gateway(conf)
        status, _, body = gw.request("GET", "/plain/echo")
        text = body.decode(errors="replace")
        self.assertEqual(status, 502, text)
        self.assertRegex(text, r"(?i)proxy")
        self.assertRegex(text, r"(?i)auth")
        self.assertNotIn(wrong, text)
        gw.stop()
        self.assertNotIn(wrong, gw.log_text())
        self.assertNotIn(PASSWORD, gw.log_text())

    def test_client_proxy_authorization_not_forwarded(self):
        gw = self.gateway(self.auth_conf())
        for path in ("/plain/echo", "/tls/echo"):
            e = self.ok(gw, path, headers={"Proxy-Authorization": "Basic Y2xpZW50OmNsaWVudA=="})
            self.assertNotIn("proxy-authorization", e["headers_lower"], path)

    def test_tunnel_reuse(self):
        mark = self.log_mark()
        gw = self.gateway(self.auth_conf())
        c = http.client.HTTPConnection(h.LOOPBACK, gw.port, timeout=h.scaled(30))
        self.addCleanup(c.close)
        n = 8
        for i in range(n):
            c.request("GET", "/plain/echo?i=%d" % i)
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
        c.close()
        gw.stop()
        target = "127.0.0.1:%d" % self.backend.port
        h.wait_until(lambda: self.connects_since(mark, target), timeout=15, what="CONNECT lines")
        time.sleep(0.5)
        connects = len(self.connects_since(mark, target))
        self.assertLess(connects, n, "%d CONNECTs for %d requests" % (connects, n))

    def test_wrong_ca_502_names_tls_verification(self):
        other = h.TestCA(self.tmp, name="unrelated-ca")
        conf = self.auth_conf()
        conf["httpClients"]["trustStorePath"] = other.cert_path
        gw = self.gateway(conf)
        status, _, body = gw.request("GET", "/tls/echo")
        text = body.decode(errors="replace")
        self.assertEqual(status, 502, text)
        self.assertRegex(text, r"(?i)tls|certificate|ssl")
        self.assertRegex(text, r"(?i)verif")


class SquidLifecycleTest(ProxyTestBase):
    def test_squid_stopped_then_restarted(self):
        squid = h.Squid(auth=False).start()
        self.addCleanup(squid.cleanup)
        gw = self.gateway(proxy_conf(squid))
        self.ok(gw, "/plain/echo")
        squid.stop()
        start = time.monotonic()
        status, _, body = gw.request("GET", "/plain/echo")
        self.assertEqual(status, 502, body[:300])
        self.assertLess(time.monotonic() - start, h.scaled(5))
        squid.restart()

        def works():
            status, _, _ = gw.request("GET", "/plain/echo")
            return status == 200
        h.wait_until(works, timeout=30, interval=0.3, what="requests to succeed after restart")

    def test_proxy_refusing_port_502_names_port(self):
        squid = h.Squid(auth=True, password=PASSWORD, connect_ports=[443]).start()
        self.addCleanup(squid.cleanup)
        gw = self.gateway(proxy_conf(squid, username=squid.username, password=PASSWORD))
        status, _, body = gw.request("GET", "/plain/echo")
        text = body.decode(errors="replace")
        self.assertEqual(status, 502, text)
        self.assertIn(str(self.backend.port), text)


class TinyproxyTest(ProxyTestBase):
    def test_through_tinyproxy(self):
        tp = h.Tinyproxy().start()
        self.addCleanup(tp.cleanup)
        conf = proxy_conf(tp)
        conf["httpClients"]["trustStorePath"] = self.ca.cert_path
        gw = self.gateway(conf)
        self.ok(gw, "/plain/echo")
        self.assertTrue(self.ok(gw, "/tls/echo")["tls"])
        h.wait_until(lambda: re.search(r"CONNECT 127\.0\.0\.1:%d " % self.backend.port,
                                       tp.log_text()), timeout=10,
                     what="CONNECT in tinyproxy's log")


if __name__ == "__main__":
    unittest.main()
