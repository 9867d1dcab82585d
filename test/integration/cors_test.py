"""CORS (x-wso2-cors) through the real gateway, with the built-in default chain
(no filters.yaml): preflights answered by the gateway, also on a secured API
without a token; response headers only for allowed origins.

Run under Bazel (//test/integration:cors_test) or directly:
MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
    /usr/bin/python3 -m unittest test/integration/cors_test.py
"""

import os
import unittest

import mgw_harness as h

APP = "https://app.example.com"
EVIL = "https://evil.example"


class DefaultChainGateway(h.Microgw):
    """The gateway with no chain file: the built-in default chain runs."""

    def write_files(self):
        self.conf.pop("filters", None)
        super().write_files()
        os.remove(self.filters_path)


def secured_api(backend):
    return h.api_definition(
        "/shop", [backend.url("/")], paths={"/echo": ["get", "post"]},
        extra={"x-wso2-disable-security": False,
               "security": [{"default": []}],
               "components": {"securitySchemes": {"default": {"type": "oauth2", "flows": {}}}},
               "x-wso2-cors": {"accessControlAllowOrigins": [APP],
                               "accessControlAllowMethods": ["GET", "POST"],
                               "accessControlAllowHeaders": ["authorization", "content-type"],
                               "accessControlExposeHeaders": ["X-Request-Id"],
                               "accessControlAllowCredentials": True}})


def open_api(backend):
    # kebab-case keys, as WSO2 also accepts them
    return h.api_definition(
        "/open", [backend.url("/")], paths={"/echo": ["get"]},
        extra={"x-wso2-cors": {"access-control-allow-origins": ["*"],
                               "access-control-allow-credentials": True}})


def preflight(origin, method="POST", headers="content-type, authorization"):
    return {"Origin": origin, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers}


class CorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        cls.backend = h.TestBackend().start()
        apis = {"shop": secured_api(cls.backend), "open": open_api(cls.backend),
                "plain": h.api_definition("/plain", [cls.backend.url("/")],
                                          paths={"/echo": ["get"]})}
        cls.gw = DefaultChainGateway(apis)
        try:
            cls.gw.start()
        except Exception:
            cls.gw.cleanup()
            cls.backend.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.gw.cleanup()
        cls.backend.stop()

    def setUp(self):
        self.backend.reset_counters()

    def test_preflight_on_secured_api_without_token(self):
        status, headers, body = self.gw.request("OPTIONS", "/shop/echo", headers=preflight(APP))
        self.assertEqual(status, 204, body)
        self.assertEqual(body, b"")
        self.assertEqual(headers["Access-Control-Allow-Origin"], APP)
        self.assertEqual(headers["Access-Control-Allow-Credentials"], "true")
        self.assertEqual(headers["Access-Control-Allow-Methods"], "GET, POST")
        self.assertEqual(headers["Access-Control-Allow-Headers"], "authorization, content-type")
        self.assertIn("Origin", headers["Vary"])
        self.assertIsNone(headers["Content-Type"])
        self.assertEqual(self.backend.requests, 0)  # answered by the gateway

    def test_preflight_from_disallowed_origin(self):
        status, headers, body = self.gw.request("OPTIONS", "/shop/echo", headers=preflight(EVIL))
        self.assertEqual(status, 403, body)
        self.assertIsNone(headers["Access-Control-Allow-Origin"])
        self.assertIsNone(headers["Access-Control-Allow-Credentials"])
        self.assertNotIn(b"evil", body)
        self.assertIn(b"accessControlAllowOrigins", body)
        status, headers, _ = self.gw.request("OPTIONS", "/shop/echo",
                                             headers=preflight(APP, "DELETE"))
        self.assertEqual(status, 403)
        self.assertIsNone(headers["Access-Control-Allow-Origin"])
        self.assertIn("preflight for API 'shop' refused", self.gw.log_text())

    def test_other_options_requests_are_not_opened(self):
        # No Access-Control-Request-Method: not a preflight, routed as before.
        status, headers, _ = self.gw.request("OPTIONS", "/shop/echo", headers={"Origin": APP})
        self.assertEqual(status, 405)
        status, _, _ = self.gw.request("OPTIONS", "/shop/echo")
        self.assertEqual(status, 405)
        # The secured resource itself still needs a token; the 401 is readable by the page.
        status, headers, _ = self.gw.request("GET", "/shop/echo", headers={"Origin": APP})
        self.assertEqual(status, 401)
        self.assertEqual(headers["Access-Control-Allow-Origin"], APP)
        self.assertEqual(self.backend.requests, 0)

    def test_actual_request_headers(self):
        status, headers, _ = self.gw.request("GET", "/open/echo", headers={"Origin": EVIL})
        self.assertEqual(status, 200)
        # '*' allows any origin, and never with credentials.
        self.assertEqual(headers["Access-Control-Allow-Origin"], "*")
        self.assertIsNone(headers["Access-Control-Allow-Credentials"])
        status, headers, _ = self.gw.request("OPTIONS", "/open/echo",
                                             headers=preflight(EVIL, "GET", ""))
        self.assertEqual(status, 204)
        self.assertEqual(headers["Access-Control-Allow-Origin"], "*")
        self.assertIsNone(headers["Access-Control-Allow-Credentials"])

    def test_api_without_cors_is_unchanged(self):
        status, headers, _ = self.gw.request("OPTIONS", "/plain/echo", headers=preflight(APP))
        self.assertEqual(status, 405)
        self.assertIsNone(headers["Access-Control-Allow-Origin"])
        status, headers, _ = self.gw.request("GET", "/plain/echo", headers={"Origin": APP})
        self.assertEqual(status, 200)
        self.assertIsNone(headers["Access-Control-Allow-Origin"])
        self.assertIsNone(headers["Vary"])

    def test_metrics_and_startup_log(self):
        self.gw.request("OPTIONS", "/shop/echo", headers=preflight(APP))
        self.gw.request("OPTIONS", "/shop/echo", headers=preflight(EVIL))
        samples = self.gw.metrics()
        self.assertGreaterEqual(h.metric_sum(samples, "microgw_cors_preflights_total",
                                             'result="allowed"'), 1)
        self.assertGreaterEqual(h.metric_sum(samples, "microgw_cors_preflights_total",
                                             'result="refused"'), 1)
        log = self.gw.log_text()
        self.assertIn("built-in default chain", log)
        # '*' with credentials on /open: warned once at start-up.
        self.assertIn("API 'open': x-wso2-cors allows any origin ('*') with "
                      "accessControlAllowCredentials: true", log)


if __name__ == "__main__":
    unittest.main()
