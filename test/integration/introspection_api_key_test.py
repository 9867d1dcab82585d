"""oauth2_introspection and api_key integration tests: the real gateway,
oidc-provider as the key manager (opaque tokens, RFC 7662 introspection at
/token/introspection, revocation), a test backend and Squid.

Run under Bazel (//test/integration:introspection_api_key_test, tags no-sandbox) or as
root: MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
    /usr/bin/python3 -m unittest test/integration/introspection_api_key_test.py
"""

import json
import os
import socket
import time
import unittest

import mgw_harness as h
import oauth_harness as oh

CHAIN = ("filters:\n  - name: jwt_authn\n  - name: oauth2_introspection\n"
         "  - name: api_key\n  - name: router\n")
KEY_ISSUER = "https://localhost:9095/apikey"


def require_binary():
    if not h.find_microgw():
        raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")


def oauth_api(base_path, backend):
    doc = h.api_definition(base_path, [backend.url("/")], paths={"/echo": ["get", "post"]},
                           extra={"x-wso2-disable-security": False,
                                  "security": [{"default": []}],
                                  "components": {"securitySchemes": {
                                      "default": {"type": "oauth2", "flows": {}}}}})
    doc["paths"]["/echo"]["post"]["security"] = [{"default": ["admin"]}]
    return doc


def key_api(base_path, backend, title, scheme=None):
    extra = {"x-wso2-disable-security": False,
             "x-wso2-application-security": {"security-types": ["api_key"]}}
    if scheme:
        extra["components"] = {"securitySchemes": {"key": dict(type="apiKey", **scheme)}}
        extra["security"] = [{"key": []}]
    return h.api_definition(base_path, [backend.url("/")], paths={"/echo": ["get"]},
                            title=title, extra=extra)


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.km = oh.OAuthServer().start()
        cls.backend = h.TestBackend().start()
        cls.run_dir = h.make_run_dir("mgw-keys-")
        cls.key_pem = os.path.join(cls.run_dir, "apikey.pem")
        with open(cls.key_pem, "w") as f:
            f.write(cls.km.keys()["public_pem"])

    @classmethod
    def tearDownClass(cls):
        cls.backend.stop()
        cls.km.cleanup()

    @classmethod
    def security_conf(cls, extra=None):
        conf = {
            "keyManager": {"introspectionURL": cls.km.introspection_url},
            "keymanager": {"security": {"basic": {
                "enabled": True, "username": cls.km.gateway_client_id,
                "password": cls.km.gateway_client_secret}}},
            "apikey": {"tokenConfigs": {"issuer": KEY_ISSUER, "certificateAlias": cls.key_pem,
                                        "validateAllowedAPIs": True}},
        }
        return h.deep_merge(conf, extra or {})

    @classmethod
    def make_gateway(cls, extra_conf=None):
        apis = {"secure": oauth_api("/secure", cls.backend),
                "keyed": key_api("/keyed", cls.backend, "Keyed"),
                "named": key_api("/named", cls.backend, "Named",
                                 {"in": "header", "name": "X-API-Key"}),
                "byquery": key_api("/byquery", cls.backend, "ByQuery",
                                   {"in": "query", "name": "key"})}
        return h.Microgw(apis, conf=cls.security_conf(extra_conf), filters=CHAIN)

    def get(self, gw, path="/secure/echo", token=None, method="GET", headers=None):
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        return gw.request(method, path, headers=hdrs)

    def introspections(self):
        return self.km.stats().get("/token/introspection", 0)

    def api_key(self, apis=(("Keyed", "1.0.0"),), **overrides):
        payload = {"iss": KEY_ISSUER, "sub": "admin", "exp": None,
                   "subscribedAPIs": [{"name": n, "version": v, "context": "/"} for n, v in apis]}
        payload.update(overrides)
        return self.km.sign(payload=payload, header={"typ": "JWT"})


class IntrospectionTest(Base):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gw = cls.make_gateway()
        cls.gw.start()

    @classmethod
    def tearDownClass(cls):
        cls.gw.cleanup()
        super().tearDownClass()

    def test_opaque_token_200_once_introspected_then_cached(self):
        token = self.km.get_opaque("read")
        before = self.introspections()
        for _ in range(4):
            status, _, body = self.get(self.gw, token=token)
            self.assertEqual(status, 200, body)
        self.assertEqual(self.introspections(), before + 1, "one introspection, then the cache")
        seen = json.loads(body)["headers_lower"]
        self.assertNotIn("authorization", seen)
        self.assertNotIn(token, self.gw.log_text())
        self.assertNotIn(self.km.gateway_client_secret, self.gw.log_text())

    def test_revoked_token_401(self):
        token = self.km.get_opaque("read")
        self.km.revoke(token)
        status, headers, body = self.get(self.gw, token=token)
        self.assertEqual(status, 401, body)
        self.assertEqual(json.loads(body)["code"], "900901")
        self.assertIn('error="invalid_token"', headers.get("www-authenticate", ""))
        self.assertNotIn(token, body.decode())

    def test_missing_scope_403(self):
        token = self.km.get_opaque("read")
        status, _, body = self.get(self.gw, token=token, method="POST")
        self.assertEqual(status, 403, body)
        self.assertEqual(json.loads(body)["code"], "900908")
        status, _, body = self.get(self.gw, token=self.km.get_opaque("read admin"), method="POST")
        self.assertEqual(status, 200, body)

    def test_key_manager_garbage_503_naming_the_url(self):
        token = self.km.get_opaque("read")
        self.km.set_outage({"/token/introspection": 500})
        self.addCleanup(self.km.set_outage, {})
        status, _, body = self.get(self.gw, token=token)
        self.assertEqual(status, 503, body)
        self.assertIn(self.km.introspection_url, json.loads(body)["description"])

    def test_key_manager_down_503_naming_the_url(self):
        # The restarted key manager has new signing keys: the api_key tests
        # (which trust the first key's PEM) sort before this one.
        token = self.km.get_opaque("read")
        self.km.stop()
        self.addCleanup(lambda: self.km.running() or self.km.start())
        status, _, body = self.get(self.gw, token=token)
        self.assertEqual(status, 503, body)
        self.assertIn(self.km.introspection_url, json.loads(body)["description"])

    def test_api_key_in_header_and_query(self):
        key = self.api_key()
        status, _, body = self.get(self.gw, "/keyed/echo", headers={"apikey": key})
        self.assertEqual(status, 200, body)
        self.assertNotIn("apikey", json.loads(body)["headers_lower"])
        status, _, body = self.get(self.gw, "/keyed/echo?a=1&apikey=" + key)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.backend.records[-1]["query"], "a=1")
        named = self.api_key(apis=[("Named", "1.0.0")])
        status, _, body = self.get(self.gw, "/named/echo", headers={"X-API-Key": named})
        self.assertEqual(status, 200, body)
        self.assertNotIn("x-api-key", json.loads(body)["headers_lower"])
        byquery = self.api_key(apis=[("ByQuery", "1.0.0")])
        status, _, body = self.get(self.gw, "/byquery/echo?key=" + byquery + "&b=2")
        self.assertEqual(status, 200, body)
        self.assertEqual(self.backend.records[-1]["query"], "b=2")

    def test_api_key_wrong_signature_401(self):
        key = self.api_key()
        head, payload, sig = key.split(".")
        tampered = ".".join([head, payload, ("A" if sig[0] != "A" else "B") + sig[1:]])
        status, _, body = self.get(self.gw, "/keyed/echo", headers={"apikey": tampered})
        self.assertEqual(status, 401, body)
        self.assertEqual(json.loads(body)["code"], "900901")
        status, _, body = self.get(self.gw, "/keyed/echo")
        self.assertEqual(status, 401, body)
        self.assertEqual(json.loads(body)["code"], "900902")

    def test_api_key_for_another_api_401(self):
        # validateAllowedAPIs: WSO2 3.2's validateAPIKey() fails authentication
        # (401 900901) when subscribedAPIs does not list the API.
        key = self.api_key(apis=[("Other", "1.0.0")])
        status, _, body = self.get(self.gw, "/keyed/echo", headers={"apikey": key})
        self.assertEqual(status, 401, body)
        self.assertEqual(json.loads(body)["code"], "900901")
        self.assertIn("not allowed for API 'Keyed'", json.loads(body)["description"])


class WithJwtIssuer(h.Microgw):
    """Adds one [[jwtTokenConfig]] (the harness's TOML writer has no arrays of tables)."""

    def __init__(self, issuer, *args, **kwargs):
        self.issuer = issuer
        super().__init__(*args, **kwargs)

    def conf_text(self):
        text = super().conf_text() + "\n[[jwtTokenConfig]]\n"
        for k, v in self.issuer.items():
            text += "%s = %s\n" % (k, h.toml_value(v))
        return text


class JwtAndIntrospectionTest(Base):
    """jwt_authn and oauth2_introspection in one chain."""

    def gateway(self, flag):
        base = self.make_gateway({"keyManager": {"enableIntrospectForFailedJWT": flag}})
        gw = WithJwtIssuer({"issuer": self.km.issuer, "audience": self.km.resource,
                            "jwksURL": self.km.jwks_url},
                           base.apis, conf=base.conf, filters=CHAIN)
        base.cleanup()
        self.addCleanup(gw.cleanup)
        gw.start()
        h.wait_until(lambda: self.km.stats().get("/jwks", 0) >= 1, what="JWKS fetch")
        return gw

    def test_jwt_of_known_issuer_is_not_introspected(self):
        gw = self.gateway(False)
        before = self.introspections()
        status, _, body = self.get(gw, token=self.km.get_jwt("read"))
        self.assertEqual(status, 200, body)
        status, _, body = self.get(gw, token=self.km.get_opaque("read"))
        self.assertEqual(status, 200, body)
        self.assertEqual(self.introspections(), before + 1, "only the opaque token")

    def test_unknown_issuer_introspected_only_with_enable_introspect_for_failed_jwt(self):
        foreign = self.km.sign(payload={"iss": "https://elsewhere.test/", "aud": self.km.resource,
                                        "scope": "read"})
        gw = self.gateway(False)
        before = self.introspections()
        status, _, body = self.get(gw, token=foreign)
        self.assertEqual(status, 401, body)
        self.assertEqual(self.introspections(), before)
        gw.stop()
        gw = self.gateway(True)
        status, _, body = self.get(gw, token=foreign)
        # oidc-provider introspects opaque tokens only (400 for a JWT): the
        # gateway reports the key manager's failure, never 200.
        self.assertNotEqual(status, 200, body)
        self.assertEqual(self.introspections(), before + 1)


class SlowKeyManagerTest(Base):
    def test_key_manager_that_never_answers_503_after_the_timeout(self):
        # A listener whose connections the kernel completes but nobody answers.
        silent = socket.socket()
        silent.bind((h.LOOPBACK, 0))
        silent.listen(16)
        self.addCleanup(silent.close)
        url = "http://%s:%d/oauth2/introspect" % (h.LOOPBACK, silent.getsockname()[1])
        gw = self.make_gateway({"keyManager": {"introspectionURL": url}})
        self.addCleanup(gw.cleanup)
        gw.start()
        started = time.monotonic()
        status, _, body = self.get(gw, token="opaque-token-never-answered")
        elapsed = time.monotonic() - started
        self.assertEqual(status, 503, body)
        self.assertIn(url, json.loads(body)["description"])
        self.assertGreaterEqual(elapsed, 4.5)  # the documented 5 s timeout
        self.assertLess(elapsed, 15)


class IntrospectionProxyTest(Base):
    """Introspection is an internal service: through Squid exactly when
    [httpClients.proxy] enableInternalServices is true."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.squid = h.Squid(auth=False).start()

    @classmethod
    def tearDownClass(cls):
        cls.squid.cleanup()
        super().tearDownClass()

    def introspection_lines(self):
        return [e for e in self.squid.parsed_log() if e["url"].endswith("/token/introspection")]

    def run_with(self, internal):
        gw = self.make_gateway({"httpClients": {"proxy": {
            "enabled": False, "enableInternalServices": internal, "host": h.LOOPBACK,
            "port": self.squid.port, "httpMode": "forward"}}})
        self.addCleanup(gw.cleanup)
        gw.start()
        before = self.introspections()
        status, _, body = self.get(gw, token=self.km.get_opaque("read"))
        self.assertEqual(status, 200, body)
        self.assertEqual(self.introspections(), before + 1)
        gw.stop()

    def test_internal_services_true_introspection_through_squid(self):
        before = len(self.introspection_lines())
        self.run_with(True)
        h.wait_until(lambda: len(self.introspection_lines()) > before, timeout=15,
                     what="introspection in Squid's access log")

    def test_internal_services_false_introspection_direct(self):
        before = len(self.introspection_lines())
        self.run_with(False)
        self.assertEqual(len(self.introspection_lines()), before)


if __name__ == "__main__":
    unittest.main()
