"""jwt_authn integration tests: the real gateway, oidc-provider as the key manager
(JWKS, RS256 JWT access tokens), a test backend and Squid.

Run under Bazel (//test/integration:jwt_authn_test, tags no-sandbox) or directly as
root: MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
    /usr/bin/python3 -m unittest test/integration/jwt_authn_test.py
"""

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import time
import unittest

import mgw_harness as h
import oauth_harness as oh

CHAIN = "filters:\n  - name: jwt_authn\n  - name: router\n"


def require_binary():
    if not h.find_microgw():
        raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(obj):
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def unb64(seg):
    return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))


class SecuredGateway(h.Microgw):
    """Microgw with [[jwtTokenConfig]] entries (the harness's TOML writer has no
    arrays of tables)."""

    def __init__(self, apis, issuers, **kwargs):
        self.issuers = issuers
        kwargs.setdefault("filters", CHAIN)
        super().__init__(apis, **kwargs)

    def conf_text(self):
        text = super().conf_text()
        for issuer in self.issuers:
            text += "\n[[jwtTokenConfig]]\n"
            for k, v in issuer.items():
                text += "%s = %s\n" % (k, h.toml_value(v))
        return text


def secure_api(base_path, backend, scope_on_post="admin"):
    doc = h.api_definition(base_path, [backend.url("/")], paths={"/echo": ["get", "post"]},
                           extra={"x-wso2-disable-security": False,
                                  "security": [{"default": []}],
                                  "components": {"securitySchemes": {
                                      "default": {"type": "oauth2", "flows": {}}}}})
    doc["paths"]["/echo"]["post"]["security"] = [{"default": [scope_on_post]}]
    return doc


class JwtAuthnTestBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.km = oh.OAuthServer().start()
        cls.backend = h.TestBackend().start()

    @classmethod
    def tearDownClass(cls):
        cls.backend.stop()
        cls.km.cleanup()

    @classmethod
    def issuer(cls):
        return {"issuer": cls.km.issuer, "audience": cls.km.resource, "jwksURL": cls.km.jwks_url}

    def gateway(self, conf=None, apis=None, issuers=None):
        if apis is None:
            apis = {"secure": secure_api("/secure", self.backend),
                    "open": h.api_definition("/open", [self.backend.url("/")])}
        gw = SecuredGateway(apis, issuers if issuers is not None else [self.issuer()],
                            conf=conf or {})
        self.addCleanup(gw.cleanup)
        gw.start()
        return gw

    def get(self, gw, token=None, path="/secure/echo", method="GET", headers=None):
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        status, resp_headers, body = gw.request(method, path, headers=hdrs)
        return status, resp_headers, body

    def assert_refused(self, gw, token, status=401, code="900901"):
        got, headers, body = self.get(gw, token)
        self.assertEqual(got, status, body)
        doc = json.loads(body)
        self.assertEqual(doc["code"], code)
        if token:
            self.assertNotIn(token, body.decode())
        return headers, doc


class JwtAuthnTest(JwtAuthnTestBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        apis = {"secure": secure_api("/secure", cls.backend),
                "open": h.api_definition("/open", [cls.backend.url("/")])}
        cls.gw = SecuredGateway(apis, [cls.issuer()],
                                conf={"jwtConfig": {"enable": True}})
        cls.gw.start()
        h.wait_until(lambda: cls.km.stats().get("/jwks", 0) >= 1, what="start-up JWKS fetch")

    @classmethod
    def tearDownClass(cls):
        cls.gw.cleanup()
        super().tearDownClass()

    def test_valid_token_200_claims_header_and_no_credential_to_backend(self):
        token = self.km.get_jwt("read")
        status, _, body = self.get(self.gw, token,
                                   headers={"X-JWT-Assertion": "forged-by-client"})
        self.assertEqual(status, 200, body)
        seen = json.loads(body)["headers_lower"]
        self.assertNotIn("authorization", seen)
        assertion = seen["x-jwt-assertion"]
        claims = json.loads(unb64(assertion.split(".")[1]))
        self.assertEqual(claims["iss"], self.km.issuer)
        self.assertEqual(claims["client_id"], "mgw-app")
        self.assertEqual(claims["scope"], "read")

    def test_no_token_401_missing_credentials(self):
        headers, doc = self.assert_refused(self.gw, None, code="900902")
        self.assertEqual(headers["WWW-Authenticate"], "Bearer")
        self.assertEqual(doc["message"], "Missing Credentials")

    def test_expired_and_not_yet_valid(self):
        now = int(time.time())
        expired = self.km.sign({"aud": self.km.resource, "iat": now - 7200, "exp": now - 3600})
        headers, _ = self.assert_refused(self.gw, expired)
        self.assertEqual(headers["WWW-Authenticate"], 'Bearer error="invalid_token"')
        early = self.km.sign({"aud": self.km.resource, "nbf": now + 3600})
        self.assert_refused(self.gw, early)

    def test_wrong_audience_and_wrong_issuer(self):
        self.assert_refused(self.gw, self.km.get_jwt("read", resource=self.km.other_resource))
        self.assert_refused(self.gw, self.km.sign({"aud": self.km.resource,
                                                   "iss": "http://evil.example"}))

    def test_tampered_payload_and_signature(self):
        token = self.km.get_jwt("read")
        header, payload, signature = token.split(".")
        claims = json.loads(unb64(payload))
        claims["scope"] = "read write admin"
        self.assert_refused(self.gw, ".".join([header, segment(claims), signature]))
        flipped = ("A" if signature[5] != "A" else "B")
        self.assert_refused(self.gw, ".".join([header, payload,
                                               signature[:5] + flipped + signature[6:]]))

    def test_alg_none_and_hs256_with_the_public_key(self):
        now = int(time.time())
        claims = {"iss": self.km.issuer, "aud": self.km.resource, "exp": now + 600,
                  "scope": "read admin"}
        kid = self.km.keys()["current_kid"]
        none = segment({"alg": "none", "kid": kid}) + "." + segment(claims) + "."
        self.assert_refused(self.gw, none)
        signing_input = segment({"alg": "HS256", "kid": kid}) + "." + segment(claims)
        pem = self.km.keys()["public_pem"].encode()
        mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
        self.assert_refused(self.gw, signing_input + "." + b64url(mac))

    def test_missing_scope_403(self):
        token = self.km.get_jwt("read")
        status, headers, body = self.get(self.gw, token, method="POST")
        self.assertEqual(status, 403, body)
        self.assertEqual(json.loads(body)["code"], "900908")
        self.assertIn('error="insufficient_scope"', headers["WWW-Authenticate"])
        status, _, body = self.get(self.gw, self.km.get_jwt("read admin"), method="POST")
        self.assertEqual(status, 200, body)

    def test_disabled_security_api_is_open(self):
        status, _, body = self.gw.request("GET", "/open/echo")
        self.assertEqual(status, 200, body)

    def test_tokens_never_in_logs_or_metrics(self):
        token = self.km.get_jwt("read")
        self.get(self.gw, token)
        self.get(self.gw, token[:-3] + "xyz")
        _, _, metrics = self.gw.admin("/metrics")
        signature = token.split(".")[2]
        self.assertNotIn(signature, metrics.decode())
        self.assertNotIn(signature, self.gw.log_text())
        samples = self.gw.metrics()
        self.assertGreaterEqual(h.metric_sum(samples, "microgw_authn_results_total",
                                             'outcome="invalid"'), 1)


class JwtAuthnKeysTest(JwtAuthnTestBase):
    """Key rotation and JWKS outages, each on its own gateway."""

    def jwks_fetches(self):
        return self.km.stats().get("/jwks", 0)

    def test_unknown_kid_after_rotation_is_refetched_once(self):
        gw = self.gateway()
        h.wait_until(lambda: self.get(gw, self.km.get_jwt("read"))[0] == 200,
                     what="first key set")
        before = self.jwks_fetches()
        self.km.rotate_keys(keep_old=True)
        token = self.km.get_jwt("read")
        # The request naming the new kid triggers one refetch and does not
        # wait for it; the key arrives within a moment.
        h.wait_until(lambda: self.get(gw, token)[0] == 200, timeout=10, what="new kid accepted")
        self.assertEqual(self.jwks_fetches(), before + 1)
        # Another unknown kid within 30 s: refused, no second fetch.
        header, payload, signature = token.split(".")
        hdr = json.loads(unb64(header))
        hdr["kid"] = "not-a-published-kid"
        self.assert_refused(gw, ".".join([segment(hdr), payload, signature]))
        time.sleep(0.3)  # a refetch, if one were wrongly made, would show in the count
        self.assertEqual(self.jwks_fetches(), before + 1)

    def test_jwks_down_with_cached_key_keeps_working(self):
        gw = self.gateway()
        h.wait_until(lambda: self.get(gw, self.km.get_jwt("read"))[0] == 200,
                     what="first key set")
        self.km.set_outage({"/jwks": 503})
        self.addCleanup(self.km.set_outage, {})
        for _ in range(3):  # fresh tokens: not in the token cache, keys from the held set
            status, _, body = self.get(gw, self.km.get_jwt("read"))
            self.assertEqual(status, 200, body)

    def test_remove_auth_header_false_passes_the_credential(self):
        gw = self.gateway(conf={"authConfig": {"removeAuthHeaderFromOutMessage": False}})
        token = self.km.get_jwt("read")
        h.wait_until(lambda: self.get(gw, token)[0] == 200, what="first key set")
        status, _, body = self.get(gw, token)
        self.assertEqual(json.loads(body)["headers_lower"]["authorization"], "Bearer " + token)

    def test_secured_api_without_auth_filter_is_401(self):
        apis = {"secure": secure_api("/secure", self.backend)}
        gw = SecuredGateway(apis, [self.issuer()], filters=h.DEFAULT_FILTERS)
        self.addCleanup(gw.cleanup)
        gw.start()
        status, headers, body = self.get(gw, self.km.get_jwt("read"))
        self.assertEqual(status, 401, body)
        self.assertEqual(json.loads(body)["code"], "900902")
        self.assertIn("API 'secure' (/secure) security: oauth2", gw.log_text())
        self.assertIn("no authentication filter (jwt_authn) in the chain", gw.log_text())
        self.assertEqual(h.metric_sum(gw.metrics(), "microgw_authn_results_total",
                                      'outcome="unauthenticated"'), 1)


class JwtAuthnLifecycleTest(JwtAuthnTestBase):
    """Reload and --check with jwt_authn: its JWKS thread belongs to the Runtime."""

    def test_reload_rebuilds_keys_and_keeps_security(self):
        gw = self.gateway()
        token = self.km.get_jwt("read")
        h.wait_until(lambda: self.get(gw, token)[0] == 200, what="first key set")
        fetches = self.km.stats().get("/jwks", 0)
        for i in range(3):
            before = gw.log_text().count("configuration reloaded")
            gw.process.send_signal(signal.SIGHUP)
            h.wait_until(lambda: gw.log_text().count("configuration reloaded") > before,
                         timeout=15, what="reload %d" % i)
            self.assertEqual(self.get(gw, None)[0], 401)
            # The new Runtime starts with the keys the old one held: no 503 window.
            status, _, body = self.get(gw, self.km.get_jwt("read"))
            self.assertEqual(status, 200, body)
            h.wait_until(lambda: self.km.stats().get("/jwks", 0) >= fetches + i + 1,
                         what="refetch after reload %d" % i)
        self.assertEqual(self.km.stats().get("/jwks", 0), fetches + 3)
        self.assertTrue(gw.running())

    def test_check_with_key_manager_down_exits_quickly(self):
        gw = SecuredGateway({"secure": secure_api("/secure", self.backend)},
                            [{"issuer": "http://km.invalid", "jwksURL":
                              "http://127.0.0.1:%d/jwks" % h.free_port()}])
        self.addCleanup(gw.cleanup)
        gw.write_files()
        started = time.monotonic()
        result = subprocess.run(gw.argv() + ["--check"], capture_output=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertLess(time.monotonic() - started, 10)

    def test_key_manager_down_at_start_gateway_serves_and_recovers(self):
        self.km.stop()
        self.addCleanup(lambda: self.km.running() or self.km.start())
        gw = self.gateway()
        self.assertEqual(self.get(gw, None)[0], 401)
        # A token of the configured issuer: its keys are not there yet -> 503, never 200.
        crafted = ".".join([segment({"alg": "RS256", "kid": "k1"}),
                            segment({"iss": self.km.issuer, "exp": int(time.time()) + 60}),
                            "AAAA"])
        status, _, body = self.get(gw, crafted)
        self.assertEqual(status, 503, body)
        self.assertIn(self.km.jwks_url, json.loads(body)["description"])
        self.assertIn("fetch failed", gw.log_text())
        self.km.start()
        token = self.km.get_jwt("read")
        h.wait_until(lambda: self.get(gw, token)[0] == 200, timeout=20,
                     what="keys after the key manager came back")


class JwtAuthnProxyTest(JwtAuthnTestBase):
    """The JWKS fetch is an internal service: it goes through the proxy exactly
    when [httpClients.proxy] enableInternalServices is true."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.squid = h.Squid(auth=False).start()

    @classmethod
    def tearDownClass(cls):
        cls.squid.cleanup()
        super().tearDownClass()

    def proxy_conf(self, enabled, internal):
        return {"httpClients": {"proxy": {"enabled": enabled, "enableInternalServices": internal,
                                          "host": h.LOOPBACK, "port": self.squid.port,
                                          "httpMode": "forward"}}}

    def jwks_lines(self):
        return [e for e in self.squid.parsed_log() if e["url"].endswith("/jwks")]

    def backend_lines(self):
        target = "127.0.0.1:%d" % self.backend.port
        return [e for e in self.squid.parsed_log() if target in e["url"]]

    def test_internal_services_only_jwks_through_squid(self):
        before_jwks, before_backend = len(self.jwks_lines()), len(self.backend_lines())
        gw = self.gateway(conf=self.proxy_conf(enabled=False, internal=True))
        h.wait_until(lambda: len(self.jwks_lines()) > before_jwks, timeout=15,
                     what="JWKS fetch in Squid's log")
        status, _, body = self.get(gw, self.km.get_jwt("read"))
        self.assertEqual(status, 200, body)
        gw.stop()
        self.assertEqual(len(self.backend_lines()), before_backend,
                         "backend traffic must go direct when enabled = false")

    def test_internal_services_false_jwks_direct(self):
        before = len(self.jwks_lines())
        fetches = self.km.stats().get("/jwks", 0)
        gw = self.gateway(conf=self.proxy_conf(enabled=True, internal=False))
        h.wait_until(lambda: self.km.stats().get("/jwks", 0) > fetches, what="JWKS fetch")
        status, _, body = self.get(gw, self.km.get_jwt("read"))
        self.assertEqual(status, 200, body)
        gw.stop()
        self.assertEqual(len(self.jwks_lines()), before)


class SandboxRoutingTest(JwtAuthnTestBase):
    """x-wso2-sandbox-endpoints: the token's `keytype` claim picks the endpoint set."""

    def token(self, keytype):
        return self.km.sign({"aud": self.km.resource, "scope": "read", "keytype": keytype})

    def backend_path(self, gw, token, path):
        status, _, body = self.get(gw, token, path)
        self.assertEqual(status, 200, body[:300])
        return json.loads(body)["path"]

    def test_keytype_picks_sandbox_or_production_and_a_missing_set_is_refused(self):
        both = secure_api("/both", self.backend)
        both["x-wso2-sandbox-endpoints"] = {"urls": [self.backend.url("/sandbox")]}
        gw = self.gateway(apis={"both": both, "prod": secure_api("/prod", self.backend)})
        self.assertEqual(self.backend_path(gw, self.token("SANDBOX"), "/both/echo"),
                         "/sandbox/echo")
        self.assertEqual(self.backend_path(gw, self.token("PRODUCTION"), "/both/echo"), "/echo")
        self.assertEqual(self.backend_path(gw, self.token("PRODUCTION"), "/prod/echo"), "/echo")
        status, _, body = self.get(gw, self.token("SANDBOX"), "/prod/echo")
        self.assertEqual(status, 403, body)
        doc = json.loads(body)
        self.assertEqual(doc["code"], "900901")
        self.assertEqual(doc["message"], "Sandbox key offered to the API with no sandbox endpoint")
        h.wait_until(lambda: "refused a sandbox token" in gw.log_text(), timeout=5,
                     what="the refusal in the log")


if __name__ == "__main__":
    unittest.main()
