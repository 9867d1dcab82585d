"""WSO2 API definitions through the real gateway: an endpoint URL with a query
string (its query goes before the request's own), and an interceptor extension
refused by `microgw --check` with a message naming the API and resource.

Run under Bazel (//test/integration:endpoint_query_test) or directly:
MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
    /usr/bin/python3 -m unittest test/integration/endpoint_query_test.py
"""

import json
import unittest

import mgw_harness as h


class EndpointQueryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        cls.backend = h.TestBackend().start()
        apis = {"q": h.api_definition("/q", [cls.backend.url("/base?key=abc&v=1")],
                                      paths={"/echo": ["get"]})}
        cls.gw = h.Microgw(apis)
        try:
            cls.gw.start()
        except Exception:
            cls.gw.cleanup()
            cls.backend.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.cleanup()
        cls.backend.stop()

    def backend_saw(self, path):
        status, _, body = self.gw.request("GET", path)
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def test_endpoint_query_goes_before_the_requests(self):
        seen = self.backend_saw("/q/echo?limit=2&x=y")
        self.assertEqual(seen["path"], "/base/echo")
        self.assertEqual(seen["query"], "key=abc&v=1&limit=2&x=y")

    def test_endpoint_query_alone(self):
        seen = self.backend_saw("/q/echo")
        self.assertEqual(seen["path"], "/base/echo")
        self.assertEqual(seen["query"], "key=abc&v=1")


class InterceptorCheckTest(unittest.TestCase):
    def test_check_names_api_resource_and_what_to_do(self):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        api = h.api_definition("/shop", ["http://127.0.0.1:9/"], title="Shop",
                               paths={"/orders": ["get", "post"]})
        api["paths"]["/orders"]["post"]["x-wso2-request-interceptor"] = "validateOrder"
        gw = h.Microgw({"shop": api})
        self.addCleanup(gw.cleanup)
        result = gw.check()
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        out = result.stdout + result.stderr
        self.assertIn("paths./orders.post.x-wso2-request-interceptor: API 'Shop', POST /orders: "
                      "microgw cannot run WSO2 request interceptors", out)
        self.assertIn("write the same logic as a filter", out)


if __name__ == "__main__":
    unittest.main()
